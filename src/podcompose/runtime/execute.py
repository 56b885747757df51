"""Execute a plan against Docker, emitting events; undo it all on failure."""
from __future__ import annotations

import time

import docker
import docker.errors

from .. import naming, translate
from ..errors import PodcomposeError
from ..events import Event, EventSink
from ..model import Container, Pod
from ..plan import DEFAULT_PAUSE_IMAGE, CreateVolume, EnsureImage, Plan, RemovePod, RunInit, RunPause, StartContainer, Step
from .client import docker_errors
from .images import ensure_image
from .observe import observe
from .pause import local_pause_image
from .remove import remove_pod

SETTLE_SECONDS = 0.3      # how long `up -d` watches for containers that fail at once (most do within 0.1 s)
LOG_TAIL_LINES = 20


class PodFailed(PodcomposeError):
    """A container of the pod failed while it was being brought up."""

    def __init__(self, message: str, *, pod: str, container: str, detail: str = "") -> None:
        super().__init__(message, detail=detail)
        self.pod = pod
        self.container = container


def log_tail(client: docker.DockerClient, container_id: str, lines: int = LOG_TAIL_LINES) -> str:
    try:
        raw = client.api.logs(container_id, stdout=True, stderr=True, tail=lines)
    except docker.errors.APIError:
        return ""
    return raw.decode(errors="replace").rstrip()


class _Executor:
    def __init__(self, client: docker.DockerClient, plan: Plan, sink: EventSink) -> None:
        self.client = client
        self.plan = plan
        self.pod: Pod = plan.pod
        self.sink = sink
        self.volume_paths: dict[str, str] = {}
        self.created_anything = False
        self.requested_pause_image = next(s.image for s in plan.steps if isinstance(s, RunPause))
        self.pause_image = self.requested_pause_image   # the image built here when that one cannot be had

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

    def check_name_free(self, name: str) -> None:
        """Refuse to touch a container podcompose did not make."""
        found = self.client.api.containers(all=True, filters={"name": f"^/{name}$"})
        for summary in found:
            labels = summary.get("Labels") or {}
            if labels.get(naming.MANAGED) != "true":
                raise PodcomposeError(f"a container named {name} already exists and was not made by podcompose; "
                                      f"remove or rename it (docker rm -f {name})")
            # a leftover of this pod from an interrupted run
            self.client.api.remove_container(summary["Id"], force=True)

    def create_volume(self, step: CreateVolume) -> None:
        args = translate.volume_create_args(self.pod, step.volume, self.plan.spec_hash)
        with docker_errors(f"creating volume {args['name']}"):
            self.created_anything = True
            volume = self.client.volumes.create(**args)
            self.volume_paths[step.volume.name] = volume.attrs.get("Mountpoint", "")
            archive = translate.volume_archive(step.volume)
            if archive is not None:
                self.populate(args["name"], archive)
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
        self.sink(Event("started", pod=self.pod.name, container=naming.PAUSE_CONTAINER))

    def create_and_start(self, spec: Container) -> str:
        args = translate.container_create_args(self.pod, spec, self.plan.spec_hash, self.volume_paths)
        with docker_errors(f"starting container {spec.name} of pod {self.pod.name}"):
            self.check_name_free(args["name"])
            self.created_anything = True
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
        """Fail `up` when a container exits with an error right after it started."""
        deadline = time.monotonic() + SETTLE_SECONDS
        while True:
            pod = observe(self.client, self.pod.namespace, self.pod.name).find(self.pod.namespace, self.pod.name)
            for container in pod.by_role("sidecar", "app") if pod else []:
                failed = (container.status == "exited" and container.exit_code not in (0, None)) \
                    or container.restart_count > 0
                if failed:
                    raise PodFailed(
                        f"container {container.container} of pod {self.pod.name} exited with code "
                        f"{container.exit_code if container.exit_code is not None else '(restarting)'} right after it started",
                        pod=self.pod.name, container=container.container, detail=log_tail(self.client, container.id))
            if time.monotonic() >= deadline:
                break
            time.sleep(0.1)
        for spec in self.pod.containers:
            self.sink(Event("running", pod=self.pod.name, container=spec.name))


def execute(client: docker.DockerClient, plan: Plan, sink: EventSink, *, keep_on_failure: bool = False,
            settle: bool = True) -> None:
    """Run the plan's steps in order; on any failure (or Ctrl-C) remove what was made.

    With `settle`, a container that exits with an error right after it started
    fails the run (as `up -d` reports); attached, that exit is the pod's result.
    """
    if plan.up_to_date:
        sink(Event("up-to-date", pod=plan.pod.name))
        return
    executor = _Executor(client, plan, sink)
    try:
        for step in plan.steps:
            executor.run(step)
        if settle:
            executor.settle()
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
    except (PodcomposeError, docker.errors.DockerException) as error:
        sink(Event("warning", pod=pod.name, message=f"could not clean up: {error}"))
