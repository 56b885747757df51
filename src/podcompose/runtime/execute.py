"""Execute a plan against Docker, emitting events; undo it all on failure."""
from __future__ import annotations

import os
import time

import docker
import docker.errors
from docker.utils import version_gte

from .. import naming, translate
from ..errors import PodcomposeError
from ..events import Event, EventSink
from ..model import Container, Pod, Volume
from ..plan import DEFAULT_PAUSE_IMAGE, CreateVolume, EnsureImage, Plan, RemovePod, RunInit, RunPause, StartContainer, Step
from . import hostpath, ownership, subpath
from .client import docker_errors
from .images import ensure_image
from .observe import observe
from .pause import local_pause_image
from .remove import remove_pod, remove_staging

VOLUME_SUBPATH_API = "1.45"   # Docker 26: VolumeOptions.Subpath, opened by the engine without following links
from .settle import log_tail, watch as watch_ended_runs

SETTLE_SECONDS = 0.3      # how long `up -d` watches for containers that fail at once (most do within 0.1 s)


class PodFailed(PodcomposeError):
    """A container of the pod failed while it was being brought up."""

    def __init__(self, message: str, *, pod: str, container: str, detail: str = "") -> None:
        super().__init__(message, detail=detail)
        self.pod = pod
        self.container = container


class ContainerFailed(PodFailed):
    """An app or sidecar container exited non-zero after it started: reported, and the pod is kept."""


class _Executor:
    def __init__(self, client: docker.DockerClient, plan: Plan, sink: EventSink) -> None:
        self.client = client
        self.plan = plan
        self.pod: Pod = plan.pod
        self.sink = sink
        self.volume_paths: dict[str, str] = {}
        self.pending_fills: list[tuple[str, bytes]] = []   # tmpfs volumes, filled once the pause container holds them
        self.created_anything = False
        self.volume_subpath = version_gte(getattr(client.api, "api_version", "1.41"), VOLUME_SUBPATH_API)
        self.requested_pause_image = next(s.image for s in plan.steps if isinstance(s, RunPause))
        self.pause_image = self.requested_pause_image   # the image built here when that one cannot be had
        self.started_at = time.time()                   # settle() reads the daemon's events from here

    def run(self, step: Step) -> None:
        if isinstance(step, EnsureImage):
            try:
                ensure_image(self.client, step.image, step.policy, self.sink)
            except PodcomposeError as error:
                if step.image == self.requested_pause_image:
                    self.pause_image = self.pause_fallback(error)
                    return
                raise PodcomposeError(f"{error.message}; to run a local image instead: --image {step.image}=LOCAL") \
                    from error
        elif isinstance(step, RemovePod):
            self.sink(Event("removing", pod=step.name, message=step.reason))
            existing = observe(self.client, step.namespace, step.name).find(step.namespace, step.name)
            if existing is not None:
                remove_pod(self.client, existing, self.sink)
        elif isinstance(step, CreateVolume):
            self.create_volume(step)
        elif isinstance(step, RunPause):
            self.run_pause(step)
        elif isinstance(step, RunInit):
            self.run_init(step.container)
        elif isinstance(step, StartContainer):
            self.start(step.container)

    def preflight(self) -> None:
        """Before anything is made: hostPath types hold, and no name the pod needs is someone else's."""
        pod = self.pod
        hostpath.check(pod)
        with docker_errors(f"checking the names pod {pod.name} needs"):
            names = [naming.container_name(pod.namespace, pod.name, naming.PAUSE_CONTAINER)]
            names += [naming.container_name(pod.namespace, pod.name, c.name) for c in pod.all_containers]
            for name in names:
                ownership.check_container_name(self.client, name, pod.namespace, pod.name)
            for volume in pod.volumes:
                if volume.kind != "hostPath":
                    ownership.check_volume_name(self.client, naming.volume_name(pod.namespace, pod.name, volume.name),
                                                pod.namespace, pod.name)
        hostpath.prepare(pod)

    def check_name_free(self, name: str) -> None:
        """Refuse to touch a container that is not this pod's; remove this pod's leftover of an interrupted run."""
        leftover = ownership.check_container_name(self.client, name, self.pod.namespace, self.pod.name)
        if leftover is not None:
            self.client.api.remove_container(leftover["Id"], force=True)

    def create_volume(self, step: CreateVolume) -> None:
        args = translate.volume_create_args(self.pod, step.volume, self.plan.spec_hash)
        name = args["name"]
        with docker_errors(f"creating volume {name}"):
            leftover = ownership.check_volume_name(self.client, name, self.pod.namespace, self.pod.name)
            if leftover is not None:
                self.client.api.remove_volume(name, force=True)   # this pod's, from an interrupted run: start empty
            self.created_anything = True
            volume = self.client.volumes.create(**args)
            if not ownership.belongs(volume.attrs.get("Labels"), self.pod.namespace, self.pod.name):
                # made by someone else between the check and the create: Docker handed back theirs
                raise ownership.foreign_volume(name, volume.attrs.get("Labels"), self.pod.namespace, self.pod.name)
            self.volume_paths[step.volume.name] = volume.attrs.get("Mountpoint", "")
            if translate.is_tmpfs(step.volume):
                archive = translate.volume_archive(step.volume, root=step.volume.name)
                if archive is not None:
                    self.pending_fills.append((step.volume.name, archive))
            else:
                archive = translate.volume_archive(step.volume)
                if archive is not None:
                    self.populate(name, archive)
        self.sink(Event("volume-created", pod=self.pod.name, message=step.volume.name))

    def populate(self, volume: str, archive: bytes) -> None:
        """Write files into a volume through a never-started helper container."""
        helper = self.client.api.create_container(
            self.pause_image, labels=naming.pod_labels(self.pod.namespace, self.pod.name),
            host_config=self.client.api.create_host_config(
                mounts=[{"Type": "volume", "Source": volume, "Target": "/" + translate.VOLUME_ARCHIVE_ROOT,
                         "VolumeOptions": {"NoCopy": True}}]))
        try:
            self.client.api.put_archive(helper["Id"], "/", archive)
        finally:
            self.client.api.remove_container(helper["Id"], force=True)

    def fill_tmpfs(self, pause_id: str) -> None:
        """Write secret files into their tmpfs through the running pause container, which holds it mounted.

        The archive streams from memory to the daemon, which unpacks it into the
        tmpfs: the files never touch a disk.
        """
        for volume, archive in self.pending_fills:
            with docker_errors(f"filling volume {volume} of pod {self.pod.name}"):
                self.client.api.put_archive(pause_id, translate.TMPFS_HOLDER, archive)
        self.pending_fills.clear()

    def pause_fallback(self, error: PodcomposeError) -> str:
        """Only the Kubernetes default pause image may be replaced by one built here; a chosen one may not."""
        hint = "; give a local pause image with --pause-image or PODCOMPOSE_PAUSE_IMAGE"
        if self.requested_pause_image != DEFAULT_PAUSE_IMAGE:
            raise PodcomposeError(error.message + hint) from error
        try:
            return local_pause_image(self.client, self.sink)
        except PodcomposeError as build_error:
            raise PodcomposeError(f"{error.message}; nor could a pause image be built here: "
                                  f"{build_error.message}{hint}") from error

    def run_pause(self, step: RunPause) -> None:
        args = translate.pause_create_args(self.pod, self.pause_image, self.plan.spec_hash, step.default_host_ip)
        with docker_errors(f"starting the pause container of pod {self.pod.name}"):
            self.check_name_free(args["name"])
            self.created_anything = True
            container = self.client.containers.create(**args)
            container.start()
        self.fill_tmpfs(container.id)
        self.sink(Event("started", pod=self.pod.name, container=naming.PAUSE_CONTAINER))

    def volume_base(self, volume: Volume) -> str:
        return translate.host_source(volume) if volume.kind == "hostPath" else self.volume_paths.get(volume.name, "")

    def mount_problem(self, spec: Container, index: int, text: str) -> PodFailed:
        sub_path = spec.volume_mounts[index].sub_path
        return PodFailed(f"pod {self.pod.name}: container {spec.name}: volumeMounts[{index}] (subPath {sub_path}): {text}",
                         pod=self.pod.name, container=spec.name)

    def stage_subpaths(self, spec: Container) -> dict[int, str]:
        """Open every subPath of the container without following links; the staging path of each index.

        On engines with volume subpaths the engine binds a named volume's subPath
        itself: it is only created (safely) and checked here, when the volume is on
        this machine, for a clear message (the engine refuses links again at each start).
        """
        staged: dict[int, str] = {}
        for index, volume, sub_path in translate.staged_mounts(self.pod, spec, self.volume_subpath):
            target = subpath.staging_path(self.pod.namespace, self.pod.name, spec.name, index)
            try:
                staged[index] = subpath.stage(self.volume_base(volume), sub_path, volume.name, target)
            except subpath.SubPathError as error:
                raise self.mount_problem(spec, index, error.message) from error
            except OSError as error:
                raise self.mount_problem(spec, index, f"cannot be staged: {error.strerror or error}") from error
        if self.volume_subpath:
            volumes = {v.name: v for v in self.pod.volumes}
            for index, mount in enumerate(spec.volume_mounts):
                volume = volumes[mount.volume]
                if index in staged or not mount.sub_path or not os.path.isdir(self.volume_base(volume)):
                    continue
                try:
                    os.close(subpath.open_beneath(self.volume_base(volume), mount.sub_path, volume.name).fd)
                except subpath.SubPathError as error:
                    raise self.mount_problem(spec, index, error.message) from error
                except OSError as error:
                    raise self.mount_problem(spec, index, f"cannot be opened: {error.strerror or error}") from error
        return staged

    def create_and_start(self, spec: Container) -> str:
        name = naming.container_name(self.pod.namespace, self.pod.name, spec.name)
        with docker_errors(f"starting container {spec.name} of pod {self.pod.name}"):
            self.check_name_free(name)
        self.created_anything = True
        staged = self.stage_subpaths(spec)
        args = translate.container_create_args(self.pod, spec, self.plan.spec_hash, staged,
                                               volume_subpath=self.volume_subpath)
        with docker_errors(f"starting container {spec.name} of pod {self.pod.name}"):
            container = self.client.containers.create(**args)
            self.sink(Event("created", pod=self.pod.name, container=spec.name))
            container.start()
        self.sink(Event("started", pod=self.pod.name, container=spec.name, data={"role": spec.role}))
        return container.id

    def run_init(self, spec: Container) -> None:
        container_id = self.create_and_start(spec)
        with docker_errors(f"waiting for init container {spec.name}"):
            result = self.client.api.wait(container_id)
        code = int(result.get("StatusCode", -1))
        if code != 0:
            raise PodFailed(
                f"init container {spec.name} of pod {self.pod.name} failed with exit code {code}",
                pod=self.pod.name, container=spec.name, detail=log_tail(self.client, container_id))
        self.sink(Event("completed", pod=self.pod.name, container=spec.name, data={"exit_code": 0}))

    def start(self, spec: Container) -> None:
        self.create_and_start(spec)

    def settle(self) -> None:
        """Report containers that ended right after they started; the pod is kept either way."""
        pod = observe(self.client, self.pod.namespace, self.pod.name).find(self.pod.namespace, self.pod.name)
        containers = pod.by_role("sidecar", "app") if pod else []
        ended = {run.container: run for run in watch_ended_runs(self.client, containers, self.started_at,
                                                            SETTLE_SECONDS)}
        failures = [run for run in ended.values() if run.failed]
        for spec in self.pod.containers:
            run = ended.get(spec.name)
            if run is None:
                self.sink(Event("running", pod=self.pod.name, container=spec.name))
            elif not run.failed:
                self.sink(Event("completed", pod=self.pod.name, container=spec.name, data={"exit_code": 0}))
        if failures:
            first = failures[0]
            ids = {c.container: c.id for c in containers}
            restarts = f", {first.runs_ended} runs ended" if first.runs_ended > 1 else ""
            raise ContainerFailed(
                f"container {first.container} of pod {self.pod.name} exited with code {first.exit_code} "
                f"({first.reason}{restarts}) right after it started; the pod is kept "
                f"(podcompose logs {self.pod.name} -c {first.container}; podcompose down {self.pod.name})",
                pod=self.pod.name, container=first.container,
                detail=log_tail(self.client, ids[first.container]))


def execute(client: docker.DockerClient, plan: Plan, sink: EventSink, *, keep_on_failure: bool = False,
            settle: bool = True) -> None:
    """Run the plan's steps in order; on any failure (or Ctrl-C) remove what was made.

    With `settle`, containers that end right after they start are reported
    (ContainerFailed for a non-zero exit; the pod is kept either way); attached,
    that exit is the pod's result.
    """
    if plan.up_to_date:
        sink(Event("up-to-date", pod=plan.pod.name))
        return
    executor = _Executor(client, plan, sink)
    try:
        executor.preflight()
        for step in plan.steps:
            executor.run(step)
        if settle:
            executor.settle()
    except ContainerFailed:
        raise              # a kubelet never removes a pod because a container ended: reported, kept
    except BaseException:
        if executor.created_anything and not keep_on_failure:
            cleanup(client, plan.pod, sink)
        raise


def cleanup(client: docker.DockerClient, pod: Pod, sink: EventSink) -> None:
    """Remove whatever exists of `pod`, quickly; never raises over the original error."""
    try:
        existing = observe(client, pod.namespace, pod.name).find(pod.namespace, pod.name)
        if existing is not None:
            remove_pod(client, existing, sink, timeout=1)
        else:
            remove_staging(pod.namespace, pod.name, sink)    # staged before any container was made
    except (PodcomposeError, docker.errors.DockerException) as error:
        sink(Event("warning", pod=pod.name, message=f"could not clean up: {error}"))
