"""Making a pod's Docker objects: volumes, the pause container, containers. Shared by `up` and the agent.

Each method makes one kind of object, with the ownership checks, subPath staging
and tmpfs filling it needs; the order is the caller's (`execute` for `up`, the
agent's `sync` afterwards).
"""
from __future__ import annotations

import os
import socket
import uuid
from dataclasses import replace
from typing import Any, Callable, Mapping

import docker
import docker.errors
from docker.utils import version_gte

from .. import downward, envfile, naming, translate
from ..errors import PodcomposeError
from ..events import Event, EventSink
from ..model import Container, Pod, Volume, VolumeKind
from . import (admission, cgroups, hostpath, hostsfile, identity, imagevolume, localfs, ownership, seccomp, subpath,
               termination)
from .client import docker_errors

VOLUME_SUBPATH_API = "1.45"   # Docker 26: VolumeOptions.Subpath, opened by the engine without following links
IMAGE_MOUNT_API = "1.48"      # Docker 28: Mount type image (ImageOptions.Subpath)
RECURSIVE_READ_ONLY_API = "1.44"   # Docker 25: BindOptions.ReadOnlyNonRecursive / ReadOnlyForceRecursive


class MountRefused(PodcomposeError):
    """A container's mount cannot be made safely (a subPath that is or crosses a link, ...)."""

    def __init__(self, message: str, *, pod: str, container: str) -> None:
        super().__init__(message)
        self.pod = pod
        self.container = container


class ContainerConfigError(PodcomposeError):
    """The kubelet's CreateContainerConfigError: what the container needs at start is not there (an env file's
    key, ...); it is tried again, as the kubelet does, since another container may still provide it."""

    def __init__(self, message: str, *, pod: str, container: str) -> None:
        super().__init__(message)
        self.pod = pod
        self.container = container


class PodBuilder:
    def __init__(self, client: docker.DockerClient, pod: Pod, spec_hash: str, pause_image: str,
                 sink: EventSink) -> None:
        self.client = client
        self.pod = pod
        self.spec_hash = spec_hash
        self.pause_image = pause_image
        self.sink = sink
        self.volume_paths: dict[str, str] = {}
        self.pending_fills: list[tuple[str, bytes]] = []   # tmpfs volumes, filled once the pause container holds them
        self.created_anything = False
        self.volume_subpath = version_gte(getattr(client.api, "api_version", "1.41"), VOLUME_SUBPATH_API)
        self.image_mounts = version_gte(getattr(client.api, "api_version", "1.41"), IMAGE_MOUNT_API)
        self.recursive_read_only = version_gte(getattr(client.api, "api_version", "1.41"), RECURSIVE_READ_ONLY_API)
        self._node: tuple[int, int, int] | None = None

    # --- the downward API's runtime values --------------------------------------------------

    def node_allocatable(self) -> tuple[int, int, int]:
        """(cores, memory bytes, bytes of the file system under Docker's root) of the daemon's host."""
        if self._node is None:
            with docker_errors("reading the Docker host's cores and memory"):
                info = self.client.info()
            try:
                stat = os.statvfs(info.get("DockerRootDir") or "/var/lib/docker")
                storage = stat.f_blocks * stat.f_frsize
            except OSError:
                storage = 0
            self._node = (int(info.get("NCPU") or os.cpu_count() or 1), int(info.get("MemTotal") or 0), storage)
        return self._node

    def runtime_values(self, *, pod_ip: bool = True) -> downward.RuntimeValues:
        """The values of the model's placeholders: the pod's uid, its IP (the pause container's; the
        host's under hostNetwork), the host's IP and the node's allocatable."""
        pod = self.pod
        cpu, memory, storage = self.node_allocatable()
        uid = pod.uid or str(uuid.uuid5(uuid.NAMESPACE_URL, f"podcompose:{pod.namespace}/{pod.name}"))
        host_ip = host_address()
        ips: tuple[str, ...] = ()
        if pod_ip:
            if pod.host_network:
                ips = (host_ip,)
            else:
                name = naming.container_name(pod.namespace, pod.name, naming.PAUSE_CONTAINER)
                with docker_errors(f"reading the IP of pod {pod.name}"):
                    settings = self.client.api.inspect_container(name).get("NetworkSettings") or {}
                ips = tuple(ip for ip in (settings.get("IPAddress"), settings.get("GlobalIPv6Address")) if ip)
                if not ips:
                    networks: dict[str, Any] = settings.get("Networks") or {}
                    ips = tuple(n["IPAddress"] for n in networks.values() if n.get("IPAddress"))[:1]
        return downward.RuntimeValues(uid=uid, pod_ips=ips, host_ip=host_ip, node_cpu=cpu, node_memory=memory,
                                      node_storage=storage)

    def resolved(self, volume: Volume) -> Volume:
        """`volume` with the placeholders in its downward API files (uid, resource limits) resolved."""
        if not downward.needs_values(volume.files, volume.runtime_paths):
            return volume
        values = self.runtime_values(pod_ip=False)
        return replace(volume, files=downward.resolve_files(volume.files, volume.runtime_paths, values))

    def preflight(self) -> None:
        """Before anything is made: hostPath types hold, and no name the pod needs is someone else's."""
        pod = self.pod
        admission.check_admission(self.client, pod)
        with docker_errors(f"checking the cgroup driver for pod {pod.name}"):
            cgroups.check_driver(self.client, pod)
        hostpath.check(pod)
        self.check_recursive_read_only()
        with docker_errors(f"checking the names pod {pod.name} needs"):
            names = [naming.container_name(pod.namespace, pod.name, naming.PAUSE_CONTAINER)]
            names += [naming.container_name(pod.namespace, pod.name, c.name) for c in pod.all_containers]
            for name in names:
                ownership.check_container_name(self.client, name, pod.namespace, pod.name)
            for volume in pod.volumes:
                if volume.kind == VolumeKind.PERSISTENT_VOLUME_CLAIM:
                    self.claim_volume(volume, create=False)
                elif volume.kind != VolumeKind.HOST_PATH:
                    ownership.check_volume_name(self.client, naming.volume_name(pod.namespace, pod.name, volume.name),
                                                pod.namespace, pod.name)
                if volume.kind == VolumeKind.IMAGE:
                    ownership.check_volume_name(self.client, translate.image_rootfs_volume(pod, volume),
                                                pod.namespace, pod.name)
            ownership.check_volume_name(self.client, naming.desired_volume_name(pod.namespace, pod.name),
                                        pod.namespace, pod.name)
        hostpath.prepare(pod)

    def check_recursive_read_only(self) -> None:
        """recursiveReadOnly Enabled on an engine that cannot make a recursively read-only mount: the pod is
        refused, as a kubelet refuses it on a runtime without the feature."""
        if self.recursive_read_only:
            return
        for spec in self.pod.all_containers:
            for index, mount in enumerate(spec.volume_mounts):
                if mount.recursive_read_only == "Enabled":
                    engine = getattr(self.client.api, "api_version", "?")
                    raise PodcomposeError(
                        f"pod {self.pod.name}: container {spec.name}: volumeMounts[{index}].recursiveReadOnly "
                        f"Enabled needs a recursively read-only mount (Docker 25+, API {RECURSIVE_READ_ONLY_API}); "
                        f"this Docker Engine speaks API {engine}, so nothing was created (IfPossible runs it with "
                        "a plain read-only mount)")

    def check_name_free(self, name: str) -> None:
        """Refuse to touch a container that is not this pod's; remove this pod's leftover of an interrupted run."""
        leftover = ownership.check_container_name(self.client, name, self.pod.namespace, self.pod.name)
        if leftover is not None:
            self.client.api.remove_container(leftover["Id"], force=True)

    # --- volumes ----------------------------------------------------------------------------

    def claim_volume(self, volume: Volume, *, create: bool = True) -> dict[str, Any] | None:
        """The Docker volume of a PersistentVolumeClaim: found, or (with `create`) made on first use.

        It belongs to the namespace, not to the pod: `down` leaves it; `down --volumes` removes it."""
        pod = self.pod
        name = translate.volume_source(pod, volume)
        attrs = ownership.find_volume(self.client, name)
        if attrs is not None:
            labels = attrs.get("Labels") or {}
            if labels.get(naming.MANAGED) != "true" or labels.get(naming.CLAIM) != volume.claim_name \
                    or labels.get(naming.NAMESPACE) != pod.namespace:
                raise PodcomposeError(f"a volume named {name} already exists and is not the volume of claim "
                                      f"{volume.claim_name} in namespace {pod.namespace}; podcompose leaves it "
                                      f"untouched (remove or rename it: docker volume rm {name})")
            return attrs
        if not create:
            return None
        args = translate.volume_create_args(pod, volume, self.spec_hash)
        self.created_anything = True
        created = self.client.volumes.create(**args)
        how = "" if volume.claim_declared else " (the claim is not among the documents: made on first use)"
        self.sink(Event("info", pod=pod.name, message=f"claim {volume.claim_name} is volume {name}{how}; it outlives "
                                                      f"the pod: `down --volumes` removes it"))
        return dict(created.attrs)

    def create_volume(self, volume: Volume) -> None:
        if volume.kind == VolumeKind.PERSISTENT_VOLUME_CLAIM:
            with docker_errors(f"preparing claim {volume.claim_name}"):
                attrs = self.claim_volume(volume) or {}
            self.volume_paths[volume.name] = attrs.get("Mountpoint", "")
            return
        if volume.kind == VolumeKind.IMAGE:
            if not self.image_mounts:
                self.create_image_volume(volume)
            return
        volume = self.resolved(volume)
        args = translate.volume_create_args(self.pod, volume, self.spec_hash)
        name = args["name"]
        with docker_errors(f"creating volume {name}"):
            mountpoint = str(self.new_volume(args).get("Mountpoint", ""))
            self.volume_paths[volume.name] = mountpoint
            if translate.is_tmpfs(volume):
                archive = translate.volume_archive(volume, root=volume.name)
                if archive is not None:
                    self.pending_fills.append((volume.name, archive))
            else:
                archive = translate.volume_archive(volume)
                if archive is not None and not localfs.set_root(mountpoint, archive):
                    self.populate(name, archive)
        self.sink(Event("volume-created", pod=self.pod.name, message=volume.name))

    def new_volume(self, args: Mapping[str, Any]) -> dict[str, Any]:
        """A volume of this pod, made afresh (a leftover of an interrupted run of this pod is removed)."""
        name = args["name"]
        if ownership.check_volume_name(self.client, name, self.pod.namespace, self.pod.name) is not None:
            self.client.api.remove_volume(name, force=True)   # this pod's, from an interrupted run: start empty
        self.created_anything = True
        created = self.client.volumes.create(**args)
        if not ownership.belongs(created.attrs.get("Labels"), self.pod.namespace, self.pod.name):
            # made by someone else between the check and the create: Docker handed back theirs
            raise ownership.foreign_volume(name, created.attrs.get("Labels"), self.pod.namespace, self.pod.name)
        return dict(created.attrs)

    def create_image_volume(self, volume: Volume) -> None:
        """An image volume on an engine without image mounts: the image's files copied into a volume of
        the pod, and the read-only, noexec view of it that the containers mount."""
        rootfs_name = translate.image_rootfs_volume(self.pod, volume)
        with docker_errors(f"copying image {volume.image_reference} into volume {volume.name}"):
            placeholder, _ = translate.image_volume_args(self.pod, volume, self.spec_hash, "")
            rootfs = self.new_volume(placeholder)
            imagevolume.copy_image(self.client, self.pod, volume, rootfs_name, self.pause_image)
            _, view = translate.image_volume_args(self.pod, volume, self.spec_hash, rootfs.get("Mountpoint", ""))
            self.new_volume(view)
        self.volume_paths[volume.name] = rootfs.get("Mountpoint", "")
        self.sink(Event("volume-created", pod=self.pod.name, message=volume.name))

    def populate(self, volume: str, archive: bytes) -> None:
        """Write files into a volume through a never-started helper container."""
        helper = self.client.api.create_container(
            self.pause_image, labels=naming.pod_labels(self.pod.namespace, self.pod.name) | {naming.ROLE: "helper"},
            host_config=self.client.api.create_host_config(
                mounts=[{"Type": "volume", "Source": volume, "Target": "/" + translate.VOLUME_ARCHIVE_ROOT,
                         "VolumeOptions": {"NoCopy": True}}]))
        try:
            self.client.api.put_archive(helper["Id"], "/", archive)
        finally:
            self.client.api.remove_container(helper["Id"], force=True)

    def refill_tmpfs(self) -> None:
        """A new pause container mounts the tmpfs volumes afresh (empty): their files are written again."""
        self.pending_fills = [(v.name, archive) for v in self.pod.volumes if translate.is_tmpfs(v)
                              if (archive := translate.volume_archive(self.resolved(v), root=v.name)) is not None]

    def fill_tmpfs(self, pause_id: str) -> None:
        """Write secret files into their tmpfs through the running pause container, which holds it mounted.

        The archive streams from memory to the daemon, which unpacks it into the
        tmpfs: the files never touch a disk.
        """
        for volume, archive in self.pending_fills:
            with docker_errors(f"filling volume {volume} of pod {self.pod.name}"):
                self.client.api.put_archive(pause_id, translate.TMPFS_HOLDER, archive)
        self.pending_fills.clear()

    def volume_base(self, volume: Volume) -> str:
        if volume.kind == VolumeKind.HOST_PATH:
            return translate.host_source(volume)
        if volume.kind == VolumeKind.IMAGE and volume.name not in self.volume_paths:
            attrs = ownership.check_volume_name(self.client, translate.image_rootfs_volume(self.pod, volume),
                                                self.pod.namespace, self.pod.name)
            self.volume_paths[volume.name] = (attrs or {}).get("Mountpoint", "")
        if volume.name not in self.volume_paths and volume.kind == VolumeKind.PERSISTENT_VOLUME_CLAIM:
            self.volume_paths[volume.name] = (self.claim_volume(volume, create=False) or {}).get("Mountpoint", "")
        if volume.name not in self.volume_paths:
            name = naming.volume_name(self.pod.namespace, self.pod.name, volume.name)
            attrs = ownership.check_volume_name(self.client, name, self.pod.namespace, self.pod.name)
            self.volume_paths[volume.name] = (attrs or {}).get("Mountpoint", "")
        return self.volume_paths[volume.name]

    # --- env files (fileKeyRef) -------------------------------------------------------------

    def with_env_files(self, spec: Container, values: downward.RuntimeValues) -> downward.RuntimeValues:
        """`values` with what each fileKeyRef of `spec` reads now, at container start, as the kubelet does."""
        found: dict[str, str] = {}
        missing: set[str] = set()
        for ref in downward.file_refs(_value_texts(spec)):
            value = self.env_file_value(spec, ref)
            if value is None:
                missing.add(ref.token)
            else:
                found[ref.token] = value
        return replace(values, env_files=found, env_files_missing=frozenset(missing)) if found or missing else values

    def env_file_value(self, spec: Container, ref: envfile.FileKeyRef) -> str | None:
        """The value of `ref`, read through the volume's mountpoint without following a link; None when the
        file or key is missing and the reference is optional."""
        def refuse(why: str) -> ContainerConfigError:
            return ContainerConfigError(f"pod {self.pod.name}: container {spec.name} not started "
                                        f"(CreateContainerConfigError): fileKeyRef {ref.shown}: {why}",
                                        pod=self.pod.name, container=spec.name)
        volume = next((v for v in self.pod.volumes if v.name == ref.volume), None)
        if volume is None or volume.kind != VolumeKind.EMPTY_DIR:       # validation refuses both; never read past it
            raise refuse(f"volume {ref.volume} is not an emptyDir volume of the pod")
        base = self.volume_base(volume)
        if not base or not os.path.isdir(base):
            raise refuse("the volume's directory cannot be read on this machine (a remote Docker engine?)")
        try:
            opened = subpath.open_beneath(base, ref.path, volume.name, create=False)
        except subpath.SubPathError as error:
            if "does not exist" in error.message and ref.optional:
                return None
            raise refuse(error.message) from error
        except OSError as error:
            raise refuse(f"cannot be opened: {error.strerror or error}") from error
        try:
            if opened.is_dir:
                raise refuse(f"{ref.path} is a directory, not an env file")
            content = localfs.read_regular(opened.fd, envfile.MAX_FILE_BYTES)
        except localfs.NotARegularFile as error:
            raise refuse(f"{ref.path} {error}") from error
        except OSError as error:
            raise refuse(f"cannot be read: {error.strerror or error}") from error
        finally:
            os.close(opened.fd)
        try:
            value = envfile.read_value(content, ref)
        except envfile.EnvFileError as error:
            raise refuse(f"{ref.path} is not a valid env file: {error}") from error
        if value is None and not ref.optional:
            raise refuse(f"{ref.path} has no key {ref.key} (set optional: true to start without the variable)")
        return value

    # --- containers -------------------------------------------------------------------------

    def run_pause(self, default_host_ip: str, labels: Mapping[str, str] | None = None) -> str:
        args = translate.pause_create_args(self.pod, self.pause_image, self.spec_hash, default_host_ip, labels)
        cgroups.ensure(self.pod)
        with docker_errors(f"starting the pause container of pod {self.pod.name}"):
            self.check_name_free(args["name"])
            self.created_anything = True
            container_id = create_container(self.client, args)
            self.client.api.start(container_id)
            hostsfile.write_pod_files(self.client, self.pod, container_id)
        self.fill_tmpfs(container_id)
        self.sink(Event("started", pod=self.pod.name, container=naming.PAUSE_CONTAINER))
        return container_id

    def mount_problem(self, spec: Container, index: int, text: str) -> MountRefused:
        sub_path = spec.volume_mounts[index].sub_path
        return MountRefused(f"pod {self.pod.name}: container {spec.name}: volumeMounts[{index}] (subPath {sub_path}): "
                            f"{text}", pod=self.pod.name, container=spec.name)

    def stage_subpaths(self, spec: Container) -> dict[int, str]:
        """Open every subPath of the container without following links; the staging path of each index.

        On engines with volume subpaths the engine binds a named volume's subPath
        itself: it is only created (safely) and checked here, when the volume is on
        this machine, for a clear message (the engine refuses links again at each start).
        """
        staged: dict[int, str] = {}
        for index, volume, sub_path in translate.staged_mounts(self.pod, spec, self.volume_subpath,
                                                               self.image_mounts):
            target = subpath.staging_path(self.pod.namespace, self.pod.name, spec.name, index)
            try:
                staged[index] = subpath.stage(self.volume_base(volume), sub_path, volume.name, target,
                                              image=volume.kind == VolumeKind.IMAGE)
            except subpath.SubPathError as error:
                raise self.mount_problem(spec, index, error.message) from error
            except OSError as error:
                raise self.mount_problem(spec, index, f"cannot be staged: {error.strerror or error}") from error
        if self.volume_subpath:
            volumes = {v.name: v for v in self.pod.volumes}
            for index, mount in enumerate(spec.volume_mounts):
                volume = volumes[mount.volume]
                if index in staged or not mount.sub_path or (volume.kind == VolumeKind.IMAGE and self.image_mounts) \
                        or not os.path.isdir(self.volume_base(volume)):
                    continue
                try:
                    os.close(subpath.open_beneath(self.volume_base(volume), mount.sub_path, volume.name).fd)
                except subpath.SubPathError as error:
                    raise self.mount_problem(spec, index, error.message) from error
                except OSError as error:
                    raise self.mount_problem(spec, index, f"cannot be opened: {error.strerror or error}") from error
        return staged

    def create_and_start(self, spec: Container, labels: Mapping[str, str] | None = None,
                         make_room: Callable[[], None] | None = None) -> str:
        """A new attempt of `spec` under its plain name.

        `make_room` moves an earlier attempt aside; it runs once the mounts are known to be
        safe, so a refused mount leaves the earlier attempt where it was."""
        name = naming.container_name(self.pod.namespace, self.pod.name, spec.name)
        self.created_anything = True
        staged = self.stage_subpaths(spec)
        if make_room is not None:
            make_room()
        with docker_errors(f"starting container {spec.name} of pod {self.pod.name}"):
            self.check_name_free(name)
        values = self.runtime_values() if _uses_runtime_values(spec) else None
        if values is not None:
            values = self.with_env_files(spec, values)
        with docker_errors(f"starting container {spec.name} of pod {self.pod.name}"):
            identity.check_non_root(self.client, self.pod, spec)
            process_identity = identity.container_identity(self.client, self.pod, spec)
        args = translate.container_create_args(self.pod, spec, self.spec_hash, staged,
                                               volume_subpath=self.volume_subpath, image_mounts=self.image_mounts,
                                               recursive_read_only=self.recursive_read_only, labels=labels,
                                               values=values, identity=process_identity)
        cgroups.ensure(self.pod)
        with docker_errors(f"starting container {spec.name} of pod {self.pod.name}"):
            seccomp.load_profiles(self.pod, spec, args)
            termination.add_termination_log(self.client, self.pod, spec, args)
            container_id = create_container(self.client, args)
            self.sink(Event("created", pod=self.pod.name, container=spec.name))
            self.client.api.start(container_id)
        self.sink(Event("started", pod=self.pod.name, container=spec.name, data={"role": spec.role}))
        return container_id


def create_container(client: docker.DockerClient, args: Mapping[str, Any]) -> str:
    """`client.containers.create(**args)` without the inspect it adds; the new container's id."""
    from docker.models.containers import _create_container_args

    sdk_args = dict(args)
    extras = {field: sdk_args.pop(key) for key, field in translate.HOST_CONFIG_EXTRAS.items() if key in sdk_args}
    create_kwargs = _create_container_args(sdk_args | {"version": client.api.api_version})
    create_kwargs["host_config"].update(extras)
    return str(client.api.create_container(**create_kwargs)["Id"])


def _value_texts(spec: Container) -> list[str]:
    """The texts of the container that may hold runtime placeholders: env values, command, args."""
    return [v for _, v in spec.env] + list(spec.command or ()) + list(spec.args or ())


def _uses_runtime_values(spec: Container) -> bool:   # fileKeyRef values are placeholders too
    return any(downward.has_placeholder(t) for t in _value_texts(spec))


def host_address() -> str:
    """This host's address as a kubelet reports status.hostIP: the source address of its default route
    (a UDP socket is connected, no packet is sent); 127.0.0.1 on a host without one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))      # TEST-NET-1: routed by the default route, never answered
            return str(probe.getsockname()[0])
        except OSError:
            return "127.0.0.1"
