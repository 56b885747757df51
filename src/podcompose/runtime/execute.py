"""Execute `up`'s plan against Docker up to the sandbox, emitting events; undo it all on failure.

The plan's images, removal, volumes and sandbox are made here. Its starts are
the node agent's: `api.up` runs the agent's first sync (agent/bringup.py) right
after, so one set of rules (decide) orders every start.
"""
from __future__ import annotations

import docker
import docker.errors

from ..errors import PodcomposeError
from ..events import Event, EventSink
from ..model import Pod
from ..plan import DEFAULT_PAUSE_IMAGE, EnsureImage, Plan, RemovePod, RunPause
from .builder import MountRefused, PodBuilder  # noqa: F401 - MountRefused is raised through here
from .images import ensure_image
from .observe import observe
from .pause import local_pause_image
from .remove import remove_pod, remove_staging
from .settle import log_tail, watch as watch_ended_runs

SETTLE_SECONDS = 0.3      # how long `up -d` watches for containers that fail at once (most do within 0.1 s)


class PodFailed(PodcomposeError):
    """A container of the pod failed while it was being brought up."""

    def __init__(self, message: str, *, pod: str, container: str, detail: str = "") -> None:
        super().__init__(message, detail=detail)
        self.pod = pod
        self.container = container


class ContainerFailed(PodFailed):
    """A container exited non-zero after it started (or an init container is being retried): reported, pod kept."""


class _Executor:
    def __init__(self, client: docker.DockerClient, plan: Plan, sandbox: RunPause, sink: EventSink) -> None:
        self.client = client
        self.plan = plan
        self.sandbox = sandbox
        self.sink = sink
        self.requested_pause_image = sandbox.image
        self.builder = PodBuilder(client, plan.pod, plan.spec_hash, self.requested_pause_image, sink)

    @property
    def created_anything(self) -> bool:
        return self.builder.created_anything

    @property
    def pause_image(self) -> str:
        return self.builder.pause_image

    def run(self, sandbox_labels: dict[str, str]) -> None:
        """Images, the removal of the pod Docker holds, volumes, then the sandbox."""
        self.builder.preflight()
        for image in self.plan.images:
            self.ensure_image(image)
        if self.plan.removal is not None:
            self.remove_pod(self.plan.removal)
        for volume in self.plan.volumes:
            self.builder.create_volume(volume.volume)
        self.builder.run_pause(self.sandbox.default_host_ip, sandbox_labels)

    def ensure_image(self, step: EnsureImage) -> None:
        try:
            ensure_image(self.client, step.image, step.policy, self.sink)
        except PodcomposeError as error:
            if step.image == self.requested_pause_image:
                self.builder.pause_image = self.pause_fallback(error)
                return
            raise PodcomposeError(f"{error.message}; to run a local image instead: --image {step.image}=LOCAL") \
                from error

    def remove_pod(self, step: RemovePod) -> None:
        self.sink(Event("removing", pod=step.name, message=step.reason))
        existing = observe(self.client, step.namespace, step.name).find(step.namespace, step.name)
        if existing is not None:
            remove_pod(self.client, existing, self.sink)

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


def execute(client: docker.DockerClient, plan: Plan, sink: EventSink, *, keep_on_failure: bool = False,
            sandbox_labels: dict[str, str] | None = None) -> str:
    """Run the plan's steps up to the pause container; on any failure (or Ctrl-C) remove what was made.

    The pause image used (the one built here when the default cannot be had).
    """
    if plan.up_to_date:
        sink(Event("up-to-date", pod=plan.pod.name))
        return ""
    if plan.sandbox is None:
        raise ValueError(f"the plan of pod {plan.pod.name} makes no sandbox")
    executor = _Executor(client, plan, plan.sandbox, sink)
    try:
        executor.run(sandbox_labels or {})
    except BaseException:
        if executor.created_anything and not keep_on_failure:
            cleanup(client, plan.pod, sink)
        raise
    return executor.pause_image


def settle(client: docker.DockerClient, pod: Pod, since: float, started: float) -> set[str]:
    """The containers that ended with exit 0 right after they started (by `started` + SETTLE_SECONDS, unix
    seconds); ContainerFailed for a non-zero exit. The pod is kept either way (the agent restarts or records them)."""
    observed = observe(client, pod.namespace, pod.name).find(pod.namespace, pod.name)
    containers = observed.by_role("sidecar", "app") if observed else []
    ended = {run.container: run for run in watch_ended_runs(client, containers, since, started + SETTLE_SECONDS)}
    failures = [run for run in ended.values() if run.failed]
    if failures:
        first = failures[0]
        ids = {c.container: c.id for c in containers}
        restarts = f", {first.runs_ended} runs ended" if first.runs_ended > 1 else ""
        raise ContainerFailed(
            f"container {first.container} of pod {pod.name} exited with code {first.exit_code} "
            f"({first.reason}{restarts}) right after it started; the pod is kept "
            f"(podcompose logs {pod.name} -c {first.container}; podcompose down {pod.name})",
            pod=pod.name, container=first.container, detail=log_tail(client, ids[first.container]))
    return set(ended)


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

