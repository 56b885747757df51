"""Translate: pure builders of docker SDK arguments from the model.

Each function returns the keyword arguments of one docker-py call
(`client.containers.create`, `client.volumes.create`); nothing here talks to
Docker, so the output can be snapshot-tested and printed by `--dry-run`.
"""
from __future__ import annotations

import posixpath
from typing import Any, Mapping

from . import naming, redact
from .model import Container, Pod, Port, Volume

CONFIG_VOLUME_KINDS = ("configMap", "secret")


TMPFS_HOLDER = "/.podcompose/volumes"   # where the pause container holds the pod's tmpfs volumes


def is_tmpfs(volume: Volume) -> bool:
    """A volume kept in memory: a Memory emptyDir, and every secret volume (as a kubelet keeps them)."""
    return (volume.kind == "emptyDir" and volume.medium == "Memory") or volume.kind == "secret"


def volume_create_args(pod: Pod, volume: Volume, spec_hash: str) -> dict[str, Any]:
    labels = naming.pod_labels(pod.namespace, pod.name) | {
        naming.VOLUME: volume.name, naming.SPEC_HASH: spec_hash}
    args: dict[str, Any] = {"name": naming.volume_name(pod.namespace, pod.name, volume.name),
                            "driver": "local", "labels": labels}
    if is_tmpfs(volume):
        # A shared tmpfs: Docker's own tmpfs mounts are private to one container. The local driver
        # mounts it while some container uses it: the pause container holds it for the pod's life.
        options = {"type": "tmpfs", "device": "tmpfs"}
        if volume.size_limit_bytes:
            options["o"] = f"size={volume.size_limit_bytes}"
        args["driver_opts"] = options
    return args


def tmpfs_holder_mounts(pod: Pod) -> list[dict[str, Any]]:
    """The pause container's mounts of the pod's tmpfs volumes, so that they outlive any other container.

    Without a holder the local driver unmounts a tmpfs volume (and loses its
    files) whenever no running container uses it: between an init container and
    the apps, or while the only user restarts. It is also how a secret volume is
    filled: through the running pause container, while the tmpfs is mounted.
    """
    return [{"Type": "volume", "Source": naming.volume_name(pod.namespace, pod.name, v.name),
             "Target": f"{TMPFS_HOLDER}/{v.name}", "ReadOnly": False, "VolumeOptions": {"NoCopy": True}}
            for v in pod.volumes if is_tmpfs(v)]


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


def pause_create_args(pod: Pod, image: str, spec_hash: str, default_host_ip: str = "",
                      labels: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The pause container: owner of the pod's network, IPC and UTS namespaces and its ports.

    `labels` adds the agent's sandbox labels (podcompose.agent.labels)."""
    args: dict[str, Any] = {
        "image": image,
        "name": naming.container_name(pod.namespace, pod.name, naming.PAUSE_CONTAINER),
        "labels": _container_labels(pod, naming.PAUSE_CONTAINER, "pause", 0, spec_hash) | dict(labels or {}),
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
    holders = tmpfs_holder_mounts(pod)
    if holders:
        args["mounts"] = holders
    return args


def staged_mounts(pod: Pod, container: Container, volume_subpath: bool = False) -> list[tuple[int, Volume, str]]:
    """(mount index, volume, subPath) of the mounts whose subPath the runtime must stage itself.

    Engines with volume subpaths (API 1.45+, `volume_subpath`) open a named
    volume's subPath safely themselves; a hostPath bind has no such option.
    """
    volumes = {v.name: v for v in pod.volumes}
    staged = []
    for index, mount in enumerate(container.volume_mounts):
        volume = volumes[mount.volume]
        if mount.sub_path and (volume.kind == "hostPath" or not volume_subpath):
            staged.append((index, volume, mount.sub_path))
    return staged


def staged_placeholder(volume: Volume, sub_path: str) -> str:
    """What `--dry-run` shows for a bind source that only exists once staged."""
    return f"<subPath {sub_path} of volume {volume.name}, staged at start>"


def host_source(volume: Volume) -> str:
    """The bind source of a hostPath volume: normalised, and `/` stays `/`."""
    return posixpath.normpath(volume.host_path) if volume.host_path else ""


def _mounts(pod: Pod, container: Container, staged: Mapping[int, str],
            volume_subpath: bool) -> list[dict[str, Any]]:
    """Docker Mounts entries (never `src:dst:mode` strings: a `:` in a path cannot corrupt them)."""
    volumes = {v.name: v for v in pod.volumes}
    mounts: list[dict[str, Any]] = []
    for index, mount in enumerate(container.volume_mounts):
        volume = volumes[mount.volume]
        read_only = mount.read_only or volume.kind in CONFIG_VOLUME_KINDS
        if mount.sub_path and (volume.kind == "hostPath" or not volume_subpath):
            # The directory (or file) opened without following links, bound onto a staging path.
            mounts.append({"Type": "bind", "Source": staged.get(index) or staged_placeholder(volume, mount.sub_path),
                           "Target": mount.mount_path, "ReadOnly": read_only})
        elif volume.kind == "hostPath":
            # Docker's default propagation (rprivate, rslave for a source holding the daemon's root, such as `/`)
            mounts.append({"Type": "bind", "Source": host_source(volume), "Target": mount.mount_path,
                           "ReadOnly": read_only})
        else:
            # A Kubernetes emptyDir starts empty: never copy the image's files into it.
            options: dict[str, Any] = {"NoCopy": True}
            if mount.sub_path:
                options["Subpath"] = mount.sub_path     # API 1.45+: the engine opens it without following links
            mounts.append({
                "Type": "volume",
                "Source": naming.volume_name(pod.namespace, pod.name, volume.name),
                "Target": mount.mount_path,
                "ReadOnly": read_only,
                "VolumeOptions": options,
            })
    return mounts


def _user(container: Container) -> str | None:
    user, group = container.security.run_as_user, container.security.run_as_group
    if user is None and group is None:
        return None
    if group is None:
        return str(user)
    return f"{0 if user is None else user}:{group}"


def container_create_args(pod: Pod, container: Container, spec_hash: str,
                          staged: Mapping[int, str] | None = None, *, volume_subpath: bool = False,
                          labels: Mapping[str, str] | None = None) -> dict[str, Any]:
    """An init, sidecar or app container joined to the pod's pause container.

    Kubernetes `command` replaces ENTRYPOINT and drops the image CMD (Docker
    ignores the image CMD whenever an entrypoint is given); `args` alone
    replaces CMD. An unset command stays None: `[]` would clear ENTRYPOINT.
    No Docker restart policy: the node agent owns restarts (each one a new
    attempt), and `labels` adds its attempt labels. `staged` maps a volumeMount's index to the staging path of its subPath;
    `volume_subpath` says the engine has volume subpaths (API 1.45+).
    """
    pause = naming.container_name(pod.namespace, pod.name, naming.PAUSE_CONTAINER)
    order = pod.all_containers.index(container) + 1
    mounts = _mounts(pod, container, staged or {}, volume_subpath)
    security = container.security
    args: dict[str, Any] = {
        "image": container.image,
        "name": naming.container_name(pod.namespace, pod.name, container.name),
        "labels": _container_labels(pod, container.name, container.role, order, spec_hash) | dict(labels or {}),
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


def volume_archive(volume: Volume, root: str = VOLUME_ARCHIVE_ROOT) -> bytes | None:
    """A tar whose top directory `root` is the volume, built in memory (never a file on disk).

    Unpacked at / in a helper container that mounts the volume at /data, or, for
    a tmpfs volume, at TMPFS_HOLDER in the pause container that holds it (root
    the volume's name). An emptyDir is world-writable as in Kubernetes (Docker
    makes a new volume 0755 root, which a non-root container cannot write); a
    configMap or secret volume holds its files with their modes, owned by root.
    A Memory emptyDir needs nothing: its tmpfs is 1777 already.
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

        directory(root, 0o777 if volume.kind == "emptyDir" else 0o755)
        made: set[str] = set()
        for path, content, mode in volume.files:
            parts = path.split("/")[:-1]
            for i in range(1, len(parts) + 1):
                name = "/".join(parts[:i])
                if name not in made:
                    made.add(name)
                    directory(f"{root}/{name}", 0o755)
            info = tarfile.TarInfo(f"{root}/{path}")
            info.size = len(content)
            info.mode = mode
            tar.addfile(info, io.BytesIO(content))
    return buffer.getvalue()
