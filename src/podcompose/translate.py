"""Translate: pure builders of docker SDK arguments from the model.

Each function returns the keyword arguments of one docker-py call
(`client.containers.create`, `client.volumes.create`); nothing here talks to
Docker, so the output can be snapshot-tested and printed by `--dry-run`.
"""
from __future__ import annotations

import posixpath
from typing import Any, Mapping

from . import downward, naming, redact
from . import kubelet
from .model import Container, Pod, Port, Resources, Volume, VolumeKind, VolumeMount

CONFIG_VOLUME_KINDS = (VolumeKind.CONFIG_MAP, VolumeKind.SECRET, VolumeKind.DOWNWARD_API,   # files written by
                       VolumeKind.PROJECTED)                                                # podcompose, read-only


PROPAGATION = {"None": "rprivate", "HostToContainer": "rslave", "Bidirectional": "rshared"}
TMPFS_HOLDER = "/.podcompose/volumes"   # where the pause container holds the pod's tmpfs volumes


def is_tmpfs(volume: Volume) -> bool:
    """A volume kept in memory: a Memory emptyDir, and every secret, downwardAPI and projected volume (as a
    kubelet keeps them)."""
    return (volume.kind == VolumeKind.EMPTY_DIR and volume.medium == "Memory") or \
        volume.kind in (VolumeKind.SECRET, VolumeKind.DOWNWARD_API, VolumeKind.PROJECTED)


CGROUP_ROOT = "podcompose"          # the pods' cgroups, in every hierarchy: /podcompose/<namespace>_<pod>
IMAGE_ROOTFS_SUFFIX = ".rootfs"     # an image volume's copy of the image (no Kubernetes volume name holds a '.')


def pod_cgroup_name(namespace: str, pod: str) -> str:
    """The pod's cgroup below each hierarchy's root, as Docker's cgroup_parent."""
    return f"/{CGROUP_ROOT}/{namespace}_{pod}"


def pod_cgroup_parent(pod: Pod) -> str | None:
    """The pod's cgroup_parent, when it has pod-level resources; None otherwise."""
    return None if pod.resources is None else pod_cgroup_name(pod.namespace, pod.name)


def image_rootfs_volume(pod: Pod, volume: Volume) -> str:
    """The volume holding an image volume's files (the containers mount a read-only, noexec view of it)."""
    return naming.volume_name(pod.namespace, pod.name, volume.name) + IMAGE_ROOTFS_SUFFIX


def image_volume_args(pod: Pod, volume: Volume, spec_hash: str, rootfs_mountpoint: str) -> tuple[dict[str, Any],
                                                                                             dict[str, Any]]:
    """(the rootfs volume, the view the containers mount): the view binds the rootfs read-only and noexec,
    as a kubelet mounts an image volume (the local driver remounts a bind that is ro with all its flags)."""
    labels = naming.pod_labels(pod.namespace, pod.name) | {naming.VOLUME: volume.name, naming.SPEC_HASH: spec_hash}
    rootfs = {"name": image_rootfs_volume(pod, volume), "driver": "local", "labels": labels}
    view = {"name": naming.volume_name(pod.namespace, pod.name, volume.name), "driver": "local", "labels": labels,
            "driver_opts": {"type": "none", "device": rootfs_mountpoint, "o": "bind,ro,noexec"}}
    return rootfs, view


def volume_source(pod: Pod, volume: Volume) -> str:
    """The Docker volume behind a pod volume: the pod's own, or, for a claim, the namespace's."""
    if volume.kind == VolumeKind.PERSISTENT_VOLUME_CLAIM:
        return naming.claim_volume_name(pod.namespace, volume.claim_name)
    return naming.volume_name(pod.namespace, pod.name, volume.name)


def volume_create_args(pod: Pod, volume: Volume, spec_hash: str) -> dict[str, Any]:
    if volume.kind == VolumeKind.PERSISTENT_VOLUME_CLAIM:
        return {"name": volume_source(pod, volume), "driver": "local",
                "labels": naming.claim_labels(pod.namespace, volume.claim_name)}
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
        naming.QOS_CLASS: pod.qos_class,
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
    if (parent := pod_cgroup_parent(pod)) is not None:
        args["cgroup_parent"] = parent
    if pod.uid:
        args["labels"][naming.POD_UID] = pod.uid
    if pod.host_network:
        args["network_mode"] = "host"
    else:
        args.update(pod_identity(pod))
        bindings = _port_bindings(pod.ports, default_host_ip)
        if bindings:
            args["ports"] = bindings
        if pod.host_aliases:
            args["extra_hosts"] = extra_hosts(pod)
        if pod.dns_policy == "None":   # fully given: Docker writes it (the runtime writes the others, see pod_dns)
            dns = kubelet.pod_dns("None", False, kubelet.DNS(), pod.dns_nameservers, pod.dns_searches,
                                  pod.dns_options, pod.dns_config)
            args.update({k: list(v) for k, v in (("dns", dns.servers), ("dns_search", dns.searches),
                                                 ("dns_opt", dns.options)) if v})
    if pod.host_ipc:
        args["ipc_mode"] = "host"
    if pod.host_pid:
        args["pid_mode"] = "host"
    if pod.sysctls:
        args["sysctls"] = dict(pod.sysctls)
    holders = tmpfs_holder_mounts(pod)
    if holders:
        args["mounts"] = holders
    return args


def pod_identity(pod: Pod) -> dict[str, Any]:
    """The pause container's hostname (and domain), as the kubelet names the pod.

    With a subdomain Docker writes `<ip> <hostname>.<subdomain>.<ns>.svc.cluster.local <hostname>` into
    /etc/hosts; setHostnameAsFQDN makes the kernel hostname that full name."""
    domain = kubelet.pod_domain(pod.namespace, pod.subdomain)
    if pod.set_hostname_as_fqdn and domain:
        return {"hostname": f"{pod.hostname}.{domain}"}
    return {"hostname": pod.hostname, "domainname": domain} if domain else {"hostname": pod.hostname}


def extra_hosts(pod: Pod) -> list[str]:
    """hostAliases as Docker's `host:ip` entries (the runtime then writes the kubelet's own lines)."""
    return [f"{name}:{ip}" for ip, names in pod.host_aliases for name in names]


def pod_hosts_file(pod: Pod, ip: str) -> str:
    """The /etc/hosts the kubelet writes for this pod, given its IP."""
    return kubelet.hosts_file([ip] if ip else [], pod.hostname, kubelet.pod_domain(pod.namespace, pod.subdomain),
                              pod.host_aliases)


def pod_resolv_conf(pod: Pod, host_resolv: str) -> str | None:
    """The pod's resolv.conf from the one Docker made from the host's (None: keep Docker's as it is)."""
    if pod.dns_policy != "None" and not pod.dns_config:
        return None
    dns = kubelet.pod_dns(pod.dns_policy, pod.host_network, kubelet.parse_resolv_conf(host_resolv),
                          pod.dns_nameservers, pod.dns_searches, pod.dns_options, pod.dns_config)
    return kubelet.resolv_conf(dns)


def staged_mounts(pod: Pod, container: Container, volume_subpath: bool = False,
                  image_mounts: bool = False) -> list[tuple[int, Volume, str]]:
    """(mount index, volume, subPath) of the mounts whose subPath the runtime must stage itself.

    Engines with volume subpaths (API 1.45+, `volume_subpath`) open a named
    volume's subPath safely themselves; a hostPath bind has no such option.
    """
    volumes = {v.name: v for v in pod.volumes}
    staged = []
    for index, mount in enumerate(container.volume_mounts):
        volume = volumes[mount.volume]
        if volume.kind == VolumeKind.IMAGE and image_mounts:
            continue     # the engine mounts the image and opens its subPath itself (ImageOptions.Subpath)
        if mount.sub_path and (volume.kind == VolumeKind.HOST_PATH or not volume_subpath):
            staged.append((index, volume, mount.sub_path))
    return staged


def staged_placeholder(volume: Volume, sub_path: str) -> str:
    """What `--dry-run` shows for a bind source that only exists once staged."""
    return f"<subPath {sub_path} of volume {volume.name}, staged at start>"


def host_source(volume: Volume) -> str:
    """The bind source of a hostPath volume: normalised, and `/` stays `/`."""
    return posixpath.normpath(volume.host_path) if volume.host_path else ""


def _bind_read_only_options(mount: VolumeMount, read_only: bool, recursive_read_only: bool) -> dict[str, Any]:
    """BindOptions for recursiveReadOnly on an engine that has them (API 1.44+, which makes read-only binds
    recursive where it can by default): Disabled (Kubernetes' default) is non-recursive, Enabled is forced,
    IfPossible is the engine's default. Older engines make every read-only bind non-recursive."""
    if not read_only or not recursive_read_only or mount.recursive_read_only == "IfPossible":
        return {}
    if mount.recursive_read_only == "Enabled":
        return {"ReadOnlyForceRecursive": True}
    return {"ReadOnlyNonRecursive": True}


def _mounts(pod: Pod, container: Container, staged: Mapping[int, str],
            volume_subpath: bool, image_mounts: bool = False,
            recursive_read_only: bool = False) -> list[dict[str, Any]]:
    """Docker Mounts entries (never `src:dst:mode` strings: a `:` in a path cannot corrupt them)."""
    volumes = {v.name: v for v in pod.volumes}
    mounts: list[dict[str, Any]] = []
    for index, mount in enumerate(container.volume_mounts):
        volume = volumes[mount.volume]
        read_only = mount.read_only or volume.kind in CONFIG_VOLUME_KINDS or volume.read_only
        if volume.kind == VolumeKind.IMAGE and not image_mounts:
            # Its source is read-only and noexec already (the view volume, or a sealed staged subPath): a
            # ReadOnly mount would have the runtime remount it with `ro` alone, which drops noexec.
            read_only = False
        if volume.kind == VolumeKind.IMAGE and image_mounts:
            image_mount: dict[str, Any] = {"Type": "image", "Source": volume.image_reference,
                                           "Target": mount.mount_path, "ReadOnly": True}
            if mount.sub_path:
                image_mount["ImageOptions"] = {"Subpath": mount.sub_path}
            mounts.append(image_mount)
        elif mount.sub_path and (volume.kind == VolumeKind.HOST_PATH or not volume_subpath):
            # The directory (or file) opened without following links, bound onto a staging path.
            staged_bind: dict[str, Any] = {"Type": "bind", "Target": mount.mount_path, "ReadOnly": read_only,
                                           "Source": staged.get(index) or staged_placeholder(volume, mount.sub_path)}
            if (options := _bind_read_only_options(mount, read_only, recursive_read_only)):
                staged_bind["BindOptions"] = options
            mounts.append(staged_bind)
        elif volume.kind == VolumeKind.HOST_PATH:
            # Docker's default propagation (rprivate, rslave for a source holding the daemon's root, such as `/`)
            # unless mountPropagation says: None -> rprivate, HostToContainer -> rslave, Bidirectional -> rshared
            bind = {"Type": "bind", "Source": host_source(volume), "Target": mount.mount_path, "ReadOnly": read_only}
            options = _bind_read_only_options(mount, read_only, recursive_read_only)
            if mount.propagation in PROPAGATION:
                options["Propagation"] = PROPAGATION[mount.propagation]
            if options:
                bind["BindOptions"] = options
            mounts.append(bind)
        else:
            # A Kubernetes emptyDir starts empty: never copy the image's files into it.
            options: dict[str, Any] = {"NoCopy": True}
            if mount.sub_path:
                options["Subpath"] = mount.sub_path     # API 1.45+: the engine opens it without following links
            mounts.append({
                "Type": "volume",
                "Source": volume_source(pod, volume),
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
                          image_mounts: bool = False, recursive_read_only: bool = False,
                          labels: Mapping[str, str] | None = None,
                          values: downward.RuntimeValues | None = None,
                          identity: kubelet.ProcessIdentity | None = None) -> dict[str, Any]:
    """An init, sidecar or app container joined to the pod's pause container.

    Kubernetes `command` replaces ENTRYPOINT and drops the image CMD (Docker
    ignores the image CMD whenever an entrypoint is given); `args` alone
    replaces CMD. An unset command stays None: `[]` would clear ENTRYPOINT.
    No Docker restart policy: the node agent owns restarts (each one a new
    attempt), and `labels` adds its attempt labels. `staged` maps a volumeMount's index to the staging path of its subPath;
    `volume_subpath` says the engine has volume subpaths (API 1.45+), `recursive_read_only` bind options for
    recursiveReadOnly (API 1.44+). `values` resolves the downward API's
    runtime placeholders (pod IP, uid, node allocatable) in env, command and args; without them (a dry run)
    they are shown as `<status.podIP>`. `identity` is the uid, gid and groups the runtime computed from the
    image's /etc/passwd and /etc/group (kubelet.process_identity); without it (a dry run) the securityContext's
    user and groups are shown as written.
    """
    pause = naming.container_name(pod.namespace, pod.name, naming.PAUSE_CONTAINER)
    order = pod.all_containers.index(container) + 1
    mounts = _mounts(pod, container, staged or {}, volume_subpath, image_mounts, recursive_read_only)
    security = container.security
    args: dict[str, Any] = {
        "image": container.image,
        "name": naming.container_name(pod.namespace, pod.name, container.name),
        "labels": _container_labels(pod, container.name, container.role, order, spec_hash) | dict(labels or {}),
        "entrypoint": [downward.resolve(a, values) for a in container.command] if container.command else None,
        "command": [downward.resolve(a, values) for a in container.args] if container.args is not None else None,
        "environment": {k: downward.resolve(v, values) for k, v in container.env if not downward.unset(v, values)},
        "network_mode": "host" if pod.host_network else f"container:{pause}",
        "ipc_mode": "host" if pod.host_ipc else f"container:{pause}",
        "detach": True,
    }
    if pod.host_network and pod.host_aliases:
        args["extra_hosts"] = extra_hosts(pod)
    if (shown := redact.command_label(container)) is not None:
        args["labels"][naming.SHOWN_COMMAND] = shown   # never a secret value: arguments as written
    if pod.host_pid:
        args["pid_mode"] = "host"
    elif pod.share_process_namespace:
        args["pid_mode"] = f"container:{pause}"
    if container.working_dir:
        args["working_dir"] = container.working_dir
    if mounts:
        args["mounts"] = mounts
    if identity is not None:
        args["user"] = f"{identity.uid}:{identity.gid}"   # with a group, Docker adds none of the image's itself
    elif (user := _user(container)) is not None:
        args["user"] = user
    if security.privileged:
        args["privileged"] = True
    if security.read_only_root_filesystem:
        args["read_only"] = True
    if security.add_capabilities:
        args["cap_add"] = list(security.add_capabilities)
    if security.drop_capabilities:
        args["cap_drop"] = list(security.drop_capabilities)
    groups = identity.groups if identity is not None else security.groups
    if groups:
        args["group_add"] = [str(g) for g in groups]
    if (options := security_options(container)):
        args["security_opt"] = options
    args.update(unmasked_proc_args(container))
    args.update(cpu_args(container, pod.resources))
    if (memory := container.resources.memory_limit_bytes or (pod.resources and pod.resources.memory_limit_bytes)):
        args["mem_limit"] = memory     # a container with no limit of its own gets the pod's (getMemoryLimit)
    if (parent := pod_cgroup_parent(pod)) is not None:
        args["cgroup_parent"] = parent
    if container.tty:
        args["tty"] = True
    if container.stdin:
        args["stdin_open"] = True
    if container.stdin_once:
        # docker-py's ContainerConfig sets StdinOnce (with the Attach* flags, which only `docker run` reads) for a
        # container created not detached; nothing attaches at create, so this changes nothing else
        args["detach"] = False
    return args


def security_options(container: Container) -> list[str]:
    """Docker `security_opt` for the merged securityContext.

    seccompProfile: unset or RuntimeDefault keeps Docker's default profile, Unconfined turns it off,
    Localhost names a JSON file under the kubelet's seccomp root (`seccomp=localhost/<path>`: the
    runtime loads the file's content, the only form Docker's API takes). appArmorProfile the same way
    (Localhost names a profile loaded on the host). allowPrivilegeEscalation false sets
    no-new-privileges. procMount Unmasked is not a security option (the Engine API refuses the docker CLI's
    `systempaths=unconfined`): it is `masked_paths` and `readonly_paths` left empty (`unmasked_proc_args`)."""
    security = container.security
    options: list[str] = []
    if security.allow_privilege_escalation is False:
        options.append("no-new-privileges")
    if security.seccomp == "Unconfined":
        options.append("seccomp=unconfined")
    elif security.seccomp.startswith("Localhost/"):
        options.append("seccomp=localhost/" + security.seccomp.split("/", 1)[1])
    if security.apparmor == "Unconfined":
        options.append("apparmor=unconfined")
    elif security.apparmor.startswith("Localhost/"):
        options.append("apparmor=" + security.apparmor.split("/", 1)[1])
    options += [f"label={key}:{value}" for key, value in security.selinux]
    return options


# The Engine API's HostConfig fields that docker-py's create_host_config does not take: the runtime's
# create_container moves these keys of the arguments into the host config as they are.
HOST_CONFIG_EXTRAS = {"masked_paths": "MaskedPaths", "readonly_paths": "ReadonlyPaths"}


def unmasked_proc_args(container: Container) -> dict[str, Any]:
    """procMount Unmasked: no path of /proc masked or read-only (HostConfig MaskedPaths and ReadonlyPaths set
    to empty lists, which the Engine keeps; unset, it fills in its defaults), as the docker CLI's
    `--security-opt systempaths=unconfined` asks the Engine."""
    if container.security.proc_mount != "Unmasked":
        return {}
    return {"masked_paths": [], "readonly_paths": []}


def cpu_args(container: Container, pod_resources: Resources | None = None) -> dict[str, Any]:
    """The kubelet's CFS settings: shares from the request (MilliCPUToShares), quota/period from the limit
    (the pod-level limit for a container with none of its own: getCPULimit)."""
    resources = container.resources
    args: dict[str, Any] = {"cpu_shares": kubelet.shares_for(resources.cpu_request_milli, resources.cpu_limit_milli)}
    limit = resources.cpu_limit_milli or (pod_resources.cpu_limit_milli if pod_resources else None)
    if limit:
        args["cpu_period"] = kubelet.QUOTA_PERIOD
        args["cpu_quota"] = kubelet.milli_cpu_to_quota(limit)
    return args


VOLUME_ARCHIVE_ROOT = "data"   # the helper container mounts the volume at /data; archives unpack at /


def volume_archive(volume: Volume, root: str = VOLUME_ARCHIVE_ROOT) -> bytes | None:
    """A tar whose top directory `root` is the volume, built in memory (never a file on disk).

    Unpacked at / in a helper container that mounts the volume at /data, or, for
    a tmpfs volume, at TMPFS_HOLDER in the pause container that holds it (root
    the volume's name). An emptyDir is world-writable as in Kubernetes (Docker
    makes a new volume 0755 root, which a non-root container cannot write); a
    configMap or secret volume holds its files with their modes, owned by root.
    An emptyDir's `mode` replaces that default. A Memory emptyDir without mode
    or fsGroup needs nothing: its tmpfs is 1777 already. With the pod's fsGroup
    every entry is of that group, with the kubelet's SetVolumeOwnership modes
    (group read, write unless read-only; setgid directories), over `mode` too.
    """
    import io
    import tarfile

    if volume.kind == VolumeKind.EMPTY_DIR and volume.medium == "Memory" and volume.fs_group is None \
            and volume.mode is None:
        return None
    read_only = volume.kind in kubelet.READ_ONLY_VOLUMES

    def owned(info: tarfile.TarInfo) -> tarfile.TarInfo:
        if volume.fs_group is not None:
            info.gid = volume.fs_group
            info.mode = kubelet.ownership_modes(info.mode, directory=info.isdir(), read_only=read_only)
        return info
    if volume.kind not in (VolumeKind.EMPTY_DIR,) + CONFIG_VOLUME_KINDS:
        return None
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        def directory(name: str, mode: int) -> None:
            info = tarfile.TarInfo(name)
            info.type = tarfile.DIRTYPE
            info.mode = mode
            tar.addfile(owned(info))

        directory(root, empty_dir_mode(volume) if volume.kind == VolumeKind.EMPTY_DIR else 0o755)
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
            tar.addfile(owned(info), io.BytesIO(content))
    return buffer.getvalue()


def empty_dir_mode(volume: Volume) -> int:
    """An emptyDir's directory mode before fsGroup: its `mode`, else 0777 on disk (the kubelet's default) and
    1777 for a tmpfs (the mount's own default, which the kubelet leaves)."""
    if volume.mode is not None:
        return volume.mode
    return 0o1777 if volume.medium == "Memory" else 0o777
