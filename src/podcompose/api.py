"""The Python API: one plain function per verb, shared by the CLI and tests.

Each function takes explicit options and an event sink, and raises only
PodcomposeError. Nothing here prints.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable, Literal, Mapping

from . import podsecurity, redact
from .errors import PodcomposeError, Problem
from .events import Event, EventSink, ignore
from .model import Pod, pods_from_documents
from .plan import DEFAULT_PAUSE_IMAGE, Plan, PlanOptions, PullOverride, plan_up
from .state import ObservedContainer, ObservedPod

if TYPE_CHECKING:  # the runtime imports docker: keep it off the import path of light verbs
    from .runtime import Runtime

PAUSE_IMAGE_ENV = "PODCOMPOSE_PAUSE_IMAGE"
HOST_IP_ENV = "PODCOMPOSE_HOST_IP"
UnknownFields = Literal["strict", "warn", "ignore"]


def default_pause_image() -> str:
    return os.environ.get(PAUSE_IMAGE_ENV) or DEFAULT_PAUSE_IMAGE


@dataclass(frozen=True)
class LoadOptions:
    namespace: str | None = None
    image_overrides: Mapping[str, str] = field(default_factory=dict)
    unknown_fields: UnknownFields = "strict"
    # a Pod Security Standards level (privileged|baseline|restricted); None warns on host access only
    pod_security: str | None = field(default_factory=podsecurity.level_from_env)


@dataclass(frozen=True)
class LoadedPods:
    pods: list[Pod]
    problems: list[Problem]      # warnings and notes; errors raise


def load_pods(files: Iterable[str], options: LoadOptions = LoadOptions(),
              kustomizations: Iterable[str] = ()) -> LoadedPods:
    """Load, validate and model every runnable pod in `files` and kustomization folders (raises ManifestError)."""
    from .load import load_files
    from .validate import require_runnable, require_valid

    documents = load_files(files, kustomizations)
    redact.register_documents(documents)
    with redact.secret_fields_hidden(documents):
        notes = require_valid(documents, options.unknown_fields)
    require_runnable(documents)
    notes = checked_secure(documents, options.pod_security, notes)
    pods = pods_from_documents(documents, namespace=options.namespace, image_overrides=options.image_overrides)
    redact.register_pods(pods)
    seen: set[tuple[str, str]] = set()
    for pod in pods:
        key = (pod.namespace, pod.name)
        if key in seen:
            raise PodcomposeError(f"pod {pod.name} is defined twice in namespace {pod.namespace}")
        seen.add(key)
    return LoadedPods(pods, notes)


def checked_secure(documents: list, level: str | None, notes: list[Problem]) -> list[Problem]:
    """`notes` plus the Pod Security warnings of `documents`; ManifestError on a violation of `level`."""
    with redact.secret_fields_hidden(documents):
        return redact.problems(notes + podsecurity.require(documents, level), documents)


def parse_image_overrides(values: Iterable[str]) -> dict[str, str]:
    """`OLD=NEW` pairs from `--image` flags."""
    overrides: dict[str, str] = {}
    for value in values:
        old, sep, new = value.partition("=")
        if not sep or not old or not new:
            raise PodcomposeError(f"--image takes OLD=NEW, got {value!r}", exit_code=2)
        overrides[old] = new
    return overrides


@dataclass(frozen=True)
class UpOptions:
    pause_image: str = field(default_factory=default_pause_image)
    pull: PullOverride | None = None
    replace: bool = False
    host_ip: str = field(default_factory=lambda: os.environ.get(HOST_IP_ENV, ""))
    keep_on_failure: bool = False
    detach: bool = True        # attached, a container that exits at once is the pod's result, not a failure

    def plan_options(self) -> PlanOptions:
        return PlanOptions(pause_image=self.pause_image, pull=self.pull, replace=self.replace,
                           default_host_ip=self.host_ip)


def plan(pods: list[Pod], observed: Mapping[tuple[str, str], ObservedPod], options: UpOptions) -> list[Plan]:
    """The plans `up` would carry out (pure: `observed` is what Docker holds)."""
    return [plan_up(p, observed.get((p.namespace, p.name)), options.plan_options()) for p in pods]


def observed_for(runtime: "Runtime", pods: list[Pod]) -> dict[tuple[str, str], ObservedPod]:
    """What Docker holds in the namespaces of `pods`, by (namespace, name)."""
    return {(p.namespace, p.name): p
            for namespace in sorted({pod.namespace for pod in pods})
            for p in runtime.observe(namespace).pods}


def up(runtime: "Runtime", pods: list[Pod], options: UpOptions = UpOptions(), sink: EventSink = ignore) -> list[Plan]:
    """Bring every pod up (or leave it as it is when unchanged); the plans carried out."""
    from .runtime import ContainerFailed

    plans = plan(pods, observed_for(runtime, pods), options)
    failures: list[ContainerFailed] = []
    for pod_plan in plans:
        try:
            runtime.up(pod_plan, sink, keep_on_failure=options.keep_on_failure, settle=options.detach)
        except ContainerFailed as failure:   # that pod is up (and kept): the others still come up
            failures.append(failure)
    if failures:
        raise failures[0]
    return plans


def wait_running(runtime: "Runtime", pods: list[Pod], timeout: float = 60) -> None:
    """Until every app and sidecar container of the pods runs (no readiness probes yet)."""
    import time

    deadline = time.monotonic() + timeout
    for pod in pods:
        while True:
            observed = find_pod(runtime, pod.namespace, pod.name)
            waiting = [c.container for c in observed.by_role("app", "sidecar")
                       if c.status != "running" and not (c.status == "exited" and c.exit_code == 0)]
            if not waiting:
                break
            if time.monotonic() > deadline:
                raise PodcomposeError(f"pod {pod.name}: {', '.join(waiting)} not running after {timeout:g}s")
            time.sleep(0.2)


def down(runtime: "Runtime", targets: Iterable[tuple[str, str]], *, timeout: int | None = None,
         sink: EventSink = ignore) -> list[str]:
    """Remove each (namespace, pod) that exists; absent ones are no error. The names removed."""
    removed: list[str] = []
    for namespace, name in targets:
        existing = runtime.find(namespace, name)
        if existing is None:
            sink(Event("info", pod=name, message="not running"))
            continue
        runtime.down(existing, sink, timeout=timeout)
        removed.append(name)
    return removed


def ps(runtime: "Runtime", namespace: str | None = None, names: Iterable[str] = ()) -> list[ObservedPod]:
    wanted = set(names)
    return [p for p in runtime.observe(namespace).pods if not wanted or p.name in wanted]


def find_pod(runtime: "Runtime", namespace: str, name: str) -> ObservedPod:
    pod = runtime.find(namespace, name)
    if pod is None:
        where = "" if namespace == "default" else f" in namespace {namespace}"
        raise PodcomposeError(f"no pod named {name}{where} (see `podcompose ps`)")
    return pod


def pick_container(pod: ObservedPod, name: str | None) -> ObservedContainer:
    """The named container, or as kubectl does, the first app container."""
    if name is None:
        apps = pod.by_role("app")
        if not apps:
            raise PodcomposeError(f"pod {pod.name} has no app container")
        return apps[0]
    for container in pod.containers:
        if container.container == name and container.role != "pause":
            return container
    names = ", ".join(c.container for c in pod.containers if c.role != "pause")
    raise PodcomposeError(f"pod {pod.name} has no container {name!r} (it has: {names})")

