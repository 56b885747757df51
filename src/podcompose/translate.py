"""Translate: pure builders of docker SDK arguments from the model.

Each function returns the keyword arguments of one docker-py call
(`client.containers.create`, `client.volumes.create`); nothing here talks to
Docker, so the output can be snapshot-tested and printed by `--dry-run`.
"""
from __future__ import annotations

from typing import Any, Mapping

from . import naming, redact
from .model import Container, Pod, Port, Volume

CONFIG_VOLUME_KINDS = ("configMap", "secret")


def volume_create_args(pod: Pod, volume: Volume, spec_hash: str) -> dict[str, Any]:
    labels = naming.pod_labels(pod.namespace, pod.name) | {
        naming.VOLUME: volume.name, naming.SPEC_HASH: spec_hash}
    args: dict[str, Any] = {"name": naming.volume_name(pod.namespace, pod.name, volume.name),
                            "driver": "local", "labels": labels}
    if volume.kind == "emptyDir" and volume.medium == "Memory":
        # A shared tmpfs: Docker's own tmpfs mounts are private to one container.
        options = {"type": "tmpfs", "device": "tmpfs"}
        if volume.size_limit_bytes:
            options["o"] = f"size={volume.size_limit_bytes}"
        args["driver_opts"] = options
    return args


def _container_labels(pod: Pod, container: str, role: str, order: int, spec_hash: str) -> dict[str, str]:
    return naming.pod_labels(pod.namespace, pod.name) | {
        naming.CONTAINER: container,
        naming.ROLE: role,
        naming.ORDER: str(order),
        naming.SPEC_HASH: spec_hash,
        naming.SOURCE: pod.source,
        naming.GRACE: str(pod.termination_grace_seconds),
    }


def _port_bindings(ports: tuple[Port, ...], default_host_ip: str) -> dict[str, list[Any]]:
    bindings: dict[str, list[Any]] = {}
    for port in ports:
        if not port.host_port:
            continue
        key = f"{port.container_port}/{port.protocol.lower()}"
        host_ip = port.host_ip or default_host_ip
        bindings.setdefault(key, []).append((host_ip, port.host_port) if host_ip else port.host_port)
    return bindings


def pause_create_args(pod: Pod, image: str, spec_hash: str, default_host_ip: str = "") -> dict[str, Any]:
    """The pause container: owner of the pod's network, IPC and UTS namespaces and its ports."""
    args: dict[str, Any] = {
        "image": image,
        "name": naming.container_name(pod.namespace, pod.name, naming.PAUSE_CONTAINER),
        "labels": _container_labels(pod, naming.PAUSE_CONTAINER, "pause", 0, spec_hash),
        "ipc_mode": "shareable",
        "detach": True,
    }
    if pod.host_network:
        args["network_mode"] = "host"
    else:
        args["hostname"] = pod.hostname
        bindings = _port_bindings(pod.ports, default_host_ip)
        if bindings:
            args["ports"] = bindings
    return args


def _restart_policy(container: Container) -> dict[str, Any] | None:
    if container.role == "init":
        return None
    name = {"Always": "unless-stopped", "OnFailure": "on-failure"}.get(container.restart_policy)
    return {"Name": name} if name else None


def _mounts(pod: Pod, container: Container, volume_paths: Mapping[str, str]) -> tuple[list[dict[str, Any]], list[str]]:
    """Docker mounts for a container's volumeMounts: (Mounts entries, Binds strings)."""
    volumes = {v.name: v for v in pod.volumes}
    mounts: list[dict[str, Any]] = []
    binds: list[str] = []
    for mount in container.volume_mounts:
        volume = volumes[mount.volume]
        read_only = mount.read_only or volume.kind in CONFIG_VOLUME_KINDS
        mode = "ro" if read_only else "rw"
        if volume.kind == "hostPath":
            source = volume.host_path.rstrip("/") + ("/" + mount.sub_path if mount.sub_path else "")
            binds.append(f"{source}:{mount.mount_path}:{mode}")
        elif mount.sub_path:
            # Engines before API 1.45 have no volume subpath: bind the directory inside the volume.
            base = volume_paths.get(volume.name, f"<{volume.name}>")
            binds.append(f"{base}/{mount.sub_path}:{mount.mount_path}:{mode}")
        else:
            mounts.append({
                "Type": "volume",
                "Source": naming.volume_name(pod.namespace, pod.name, volume.name),
                "Target": mount.mount_path,
                "ReadOnly": read_only,
                # A Kubernetes emptyDir starts empty: never copy the image's files into it.
                "VolumeOptions": {"NoCopy": True},
            })
    return mounts, binds


def _user(container: Container) -> str | None:
    user, group = container.security.run_as_user, container.security.run_as_group
    if user is None and group is None:
        return None
    if group is None:
        return str(user)
    return f"{0 if user is None else user}:{group}"


def container_create_args(pod: Pod, container: Container, spec_hash: str,
                          volume_paths: Mapping[str, str] | None = None) -> dict[str, Any]:
    """An init, sidecar or app container joined to the pod's pause container.

    Kubernetes `command` replaces ENTRYPOINT and drops the image CMD (Docker
    ignores the image CMD whenever an entrypoint is given); `args` alone
    replaces CMD. An unset command stays None: `[]` would clear ENTRYPOINT.
    """
    pause = naming.container_name(pod.namespace, pod.name, naming.PAUSE_CONTAINER)
    order = pod.all_containers.index(container) + 1
    mounts, binds = _mounts(pod, container, volume_paths or {})
    security = container.security
    args: dict[str, Any] = {
        "image": container.image,
        "name": naming.container_name(pod.namespace, pod.name, container.name),
        "labels": _container_labels(pod, container.name, container.role, order, spec_hash),
        "entrypoint": list(container.command) if container.command else None,
        "command": list(container.args) if container.args is not None else None,
        "environment": dict(container.env),
        "network_mode": "host" if pod.host_network else f"container:{pause}",
        "ipc_mode": f"container:{pause}",
        "detach": True,
    }
    if (shown := redact.command_label(container)) is not None:
        args["labels"][naming.SHOWN_COMMAND] = shown   # never a secret value: arguments as written
    if pod.share_process_namespace:
        args["pid_mode"] = f"container:{pause}"
    if container.working_dir:
        args["working_dir"] = container.working_dir
    if mounts:
        args["mounts"] = mounts
    if binds:
        args["volumes"] = binds
    restart = _restart_policy(container)
    if restart:
        args["restart_policy"] = restart
    if (user := _user(container)) is not None:
        args["user"] = user
    if security.privileged:
        args["privileged"] = True
    if security.read_only_root_filesystem:
        args["read_only"] = True
    if security.add_capabilities:
        args["cap_add"] = list(security.add_capabilities)
    if security.drop_capabilities:
        args["cap_drop"] = list(security.drop_capabilities)
    if container.resources.cpu_limit_nano:
        args["nano_cpus"] = container.resources.cpu_limit_nano
    if container.resources.memory_limit_bytes:
        args["mem_limit"] = container.resources.memory_limit_bytes
    if container.tty:
        args["tty"] = True
    if container.stdin:
        args["stdin_open"] = True
    return args


VOLUME_ARCHIVE_ROOT = "data"   # the helper container mounts the volume at /data; archives unpack at /


def volume_archive(volume: Volume) -> bytes | None:
    """A tar to unpack at / in a helper container that mounts the volume at /data.

    An emptyDir is world-writable as in Kubernetes (Docker makes a new volume
    0755 root, which a non-root container cannot write); a configMap or secret
    volume holds its files with their modes. A Memory emptyDir needs nothing:
    its tmpfs is 1777 already, and would not keep files between mounts.
    """
    import io
    import tarfile

    if volume.kind == "emptyDir" and volume.medium == "Memory":
        return None
    if volume.kind not in ("emptyDir",) + CONFIG_VOLUME_KINDS:
        return None
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        def directory(name: str, mode: int) -> None:
            info = tarfile.TarInfo(name)
            info.type = tarfile.DIRTYPE
            info.mode = mode
            tar.addfile(info)

        directory(VOLUME_ARCHIVE_ROOT, 0o777 if volume.kind == "emptyDir" else 0o755)
        made: set[str] = set()
        for path, content, mode in volume.files:
            parts = path.split("/")[:-1]
            for i in range(1, len(parts) + 1):
                name = "/".join(parts[:i])
                if name not in made:
                    made.add(name)
                    directory(f"{VOLUME_ARCHIVE_ROOT}/{name}", 0o755)
            info = tarfile.TarInfo(f"{VOLUME_ARCHIVE_ROOT}/{path}")
            info.size = len(content)
            info.mode = mode
            tar.addfile(info, io.BytesIO(content))
    return buffer.getvalue()
