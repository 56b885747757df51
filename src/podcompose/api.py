"""The Python API: one plain function per verb, shared by the CLI and tests.

The only door of the faces (cli/, testing.py) to the runtime and the agent: they
import neither. Each function takes explicit options and an event sink, and raises
only PodcomposeError. Nothing here prints. A pod's status is the agent's typed
report (podstatus.PodReport), or before it reports, the same getPhase over what
Docker holds (`pod_views`).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Literal, Mapping

from . import podsecurity, redact
from .defaults import DEFAULT_NAMESPACE, namespace_or_default
from .errors import PodcomposeError, Problem
from .events import Event, EventSink, ignore
from .model import Pod, VolumeKind
from .model_build import pods_from_documents as build_pods   # validated just before, by require_valid
from .plan import DEFAULT_PAUSE_IMAGE, Plan, PlanOptions, PullOverride, plan_up
from .podstatus import AgentReport, PodReport, PodStatus, observed_status
from .state import ObservedContainer, ObservedPod
from .api_objects import create_object, keep_objects, kept_documents, kept_objects, remove_objects  # noqa: F401

if TYPE_CHECKING:  # the runtime imports docker: keep it off the import path of light verbs
    from .load import Document
    from .runtime import ContainerFailed, ExecResult, LogOptions, PodFailed, Runtime

_FROM_RUNTIME = ("Runtime", "PodFailed", "ContainerFailed", "LogOptions")


def __getattr__(name: str) -> Any:
    """The runtime's types (`api.PodFailed`, `api.LogOptions`...), imported only when asked for."""
    if name in _FROM_RUNTIME:
        from . import runtime
        return getattr(runtime, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def connect() -> "Runtime":
    """A connection to the Docker Engine (DOCKER_HOST, else the local socket)."""
    from .runtime import Runtime
    return Runtime()

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
    # `up --host-ip`: where hostPorts without a hostIP go, for the warning on every address (None: $PODCOMPOSE_HOST_IP)
    host_ip: str | None = None


@dataclass(frozen=True)
class LoadedPods:
    pods: list[Pod]
    problems: list[Problem]      # warnings and notes; errors raise
    objects: list[Any] = field(default_factory=list)   # ConfigMaps, Secrets, claims of object-only files, to keep


def _same_object(document: Any, namespace: str | None) -> tuple[str, str, str]:
    return (document.kind, namespace or namespace_or_default((document.data.get("metadata") or {}).get("namespace")),
            document.name)


def load_pods(files: Iterable[str], options: LoadOptions = LoadOptions(),
              kustomizations: Iterable[str] = (), kept_objects: Callable[[], list[Any]] | None = None) -> LoadedPods:
    """Load, validate and model every runnable pod in `files` and kustomization folders (raises ManifestError).

    With `kept_objects` (`up`: the ConfigMaps, Secrets and claims kept in Docker, as documents), files that hold
    only such objects are returned as `objects` to keep, and pods may refer to the kept ones."""
    from .load import load_files
    from .validate import OBJECT_KINDS, RUNNABLE_KINDS, require_runnable, require_valid

    documents = load_files(files, kustomizations)
    if documents and all(d.kind in OBJECT_KINDS for d in documents):   # valid on their own: `config` shows no pod
        redact.register_documents(documents)
        with redact.secret_fields_hidden(documents):
            notes = require_valid(documents, options.unknown_fields, options.namespace)
        if kept_objects is not None:
            notes = [n for n in notes if "nothing in these documents runs" not in n.message]
        return LoadedPods([], notes, documents)
    if kept_objects is not None and any(d.kind in RUNNABLE_KINDS for d in documents):
        defined = {_same_object(d, options.namespace) for d in documents if d.kind in OBJECT_KINDS}
        documents = documents + [d for d in kept_objects()
                                 if _same_object(d, None) not in defined and (
                                     options.namespace is None or _same_object(d, None)[1] == options.namespace)]
    redact.register_documents(documents)
    with redact.secret_fields_hidden(documents):
        notes = require_valid(documents, options.unknown_fields, options.namespace)
    require_runnable(documents)
    notes = checked_secure(documents, options.pod_security, notes, host_ip=options.host_ip)
    pods = build_pods(documents, namespace=options.namespace, image_overrides=options.image_overrides)
    redact.register_pods(pods)
    seen: set[tuple[str, str]] = set()
    for pod in pods:
        key = (pod.namespace, pod.name)
        if key in seen:
            raise PodcomposeError(f"pod {pod.name} is defined twice in namespace {pod.namespace}")
        seen.add(key)
    return LoadedPods(pods, notes)


def checked_secure(documents: list, level: str | None, notes: list[Problem], enforce: bool = True,
                   host_ip: str | None = None) -> list[Problem]:
    """`notes` plus the Pod Security problems of `documents`, Secret values taken out; with `enforce`, a
    violation of `level` raises ManifestError (`up`), else it is one more error in the list (`validate`).
    `host_ip`: where hostPorts without a hostIP are published (None: $PODCOMPOSE_HOST_IP)."""
    redact.register_documents(documents)
    with redact.secret_fields_hidden(documents):
        found = podsecurity.require(documents, level, host_ip) if enforce else podsecurity.check(documents, level, host_ip)
        return redact.problems(notes + found, documents)


def validate_files(files: Iterable[str], kustomizations: Iterable[str], unknown_fields: UnknownFields,
                   level: str | None) -> tuple[list["Document"], list[Problem]]:
    """`validate`: the documents and every problem found in them, Pod Security's included (raises only on
    files that cannot be read or parsed)."""
    from .load import load_files
    from .validate import validate

    documents = load_files(files, kustomizations)
    return documents, checked_secure(documents, level, validate(documents, unknown_fields), enforce=False)


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
    probe_wait: float | None = None   # how long to wait on a startup probe or back-off (None: bringup's; --wait: 0)

    def plan_options(self) -> PlanOptions:
        return PlanOptions(pause_image=self.pause_image, pull=self.pull, replace=self.replace,
                           default_host_ip=self.host_ip)


def plan(pods: list[Pod], observed: Mapping[tuple[str, str], ObservedPod], options: UpOptions) -> list[Plan]:
    """The plans `up` would carry out (pure: `observed` is what Docker holds)."""
    return [plan_up(p, observed.get((p.namespace, p.name)), options.plan_options()) for p in pods]


def observed_for(runtime: "Runtime", pods: list[Pod]) -> dict[tuple[str, str], ObservedPod]:
    """What Docker holds for `pods`, by (namespace, name) (each looked up by its own labels)."""
    found: dict[tuple[str, str], ObservedPod] = {}
    for pod in pods:
        observed = runtime.find(pod.namespace, pod.name)
        if observed is not None:
            found[(pod.namespace, pod.name)] = observed
    return found


def up(runtime: "Runtime", pods: list[Pod], options: UpOptions = UpOptions(), sink: EventSink = ignore) -> list[Plan]:
    """Bring every pod up (or leave it as it is when unchanged), then leave it to the node agent.

    Per pod (agent.bringup.hand_over): images, volumes and the pause container,
    the desired state kept in Docker, the agent's first sync in this process
    (under the pod's lock, so the agent waits), then the agent supervises it. It
    returns once the first containers are started: what waits on a startup probe
    or a back-off is reported as a "waiting" event and left to the agent. A
    failure of podcompose's own steps, or an init container that fails under
    restartPolicy Never, removes what was made; a container that ends is
    reported, the pod kept.
    """
    from .agent import process
    from .agent.bringup import hand_over
    from .runtime import ContainerFailed

    pods = [with_uid(p) for p in pods]
    plans = plan(pods, observed_for(runtime, pods), options)
    failures: list[ContainerFailed] = []
    for pod_plan in plans:
        if pod_plan.up_to_date:
            sink(Event("up-to-date", pod=pod_plan.pod.name))
            continue
        try:
            hand_over(runtime, pod_plan, sink, host_ip=options.host_ip, keep_on_failure=options.keep_on_failure,
                      detach=options.detach, probe_wait=options.probe_wait)
        except ContainerFailed as failure:   # that pod is up (and kept): the others still come up
            failures.append(failure)
    process.ensure_running()
    if failures:
        raise failures[0]
    return plans


def with_uid(pod: Pod) -> Pod:
    """`pod` with a metadata.uid of its own, as an API server gives one when the pod is created: derived from its
    namespace, name and this moment (never hashed: an unchanged pod stays up to date)."""
    import time
    import uuid
    from dataclasses import replace

    if pod.uid:
        return pod
    return replace(pod, uid=str(uuid.uuid5(uuid.NAMESPACE_URL,
                                           f"podcompose:{pod.namespace}/{pod.name}/{time.time_ns()}")))


def agent_events(namespace: str, name: str) -> list[dict[str, Any]]:
    """What the agent recorded for the pod, oldest first ({time, container, reason, message, type})."""
    from .agent.sync import read_events

    return read_events((namespace, name))


def pod_events(runtime: "Runtime", pod: ObservedPod) -> list[dict]:
    """What happened to the pod, oldest first: the daemon's record (pulls, starts, kills, exits) and the
    agent's (probe failures, back-off, kills with their reason, hook failures, refused mounts)."""
    import time

    events = [dict(e, at=_event_time(e["time"])) for e in runtime.events(pod)]
    for event in agent_events(pod.namespace, pod.name):
        events.append({"time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(event["time"])),
                       "container": event.get("container", ""),
                       "reason": f"{event.get('reason')}: {event.get('message')}", "at": event["time"]})
    events.sort(key=lambda e: e["at"])
    for event in events:
        del event["at"]
    return events


def _event_time(text: str) -> float:
    import calendar
    import time

    try:
        return float(calendar.timegm(time.strptime(text, "%Y-%m-%dT%H:%M:%S")))
    except ValueError:
        return 0.0


def revive_agent(runtime: "Runtime") -> bool:
    """Start the agent when pods are kept for it but none runs (it was killed, or the host rebooted)."""
    from .agent import process

    if process.is_running() and process.read_status().build == process.build_id():
        return False
    if not runtime.has_desired_pods():
        return False
    process.ensure_running()
    return True


def agent_report() -> AgentReport:
    """What the node agent last reported (empty when none has)."""
    from .agent import process

    return process.read_status()


@dataclass(frozen=True)
class AgentState:
    """`agent status`: whether an agent runs for this daemon, since when, where it logs, and its report."""

    pid: int | None
    started_at: float | None
    log: str
    report: AgentReport


def agent_state() -> AgentState:
    from .agent import process

    files = process.AgentFiles.current()
    pid = process.agent_pid(files)
    report = process.read_status(files) if pid else AgentReport()
    return AgentState(pid, process.process_started_at(pid) if pid else None, str(files.log), report)


def stop_agent() -> int | None:
    """Stop the agent (its pods keep running); the pid stopped, or None when none ran."""
    from .agent import process

    return process.stop()


def run_agent() -> int:
    """Be the agent, in this process, until stopped (`agent run`)."""
    from .agent.loop import main

    return main()


def keep_agent_running() -> None:
    from .agent import process
    process.ensure_running()


def wait_ready(runtime: "Runtime", pods: list[Pod], timeout: float = 60) -> None:
    """Until every pod is Ready as the agent sees it: each app container and sidecar started and its
    readiness probe passed (containers without one: running). Fails naming what is not ready, with the
    probes' last words."""
    import time

    from .agent import process

    deadline = time.monotonic() + timeout
    for pod in pods:
        while True:
            report = process.read_status().pod(pod.namespace, pod.name)
            if report is not None and report.status.ready:
                break
            if time.monotonic() > deadline:
                why = report.not_ready() if report is not None else "the agent has not reported on it"
                raise PodcomposeError(f"pod {pod.name} not ready after {timeout:g}s: {why}")
            process.ensure_running()
            time.sleep(0.2)


def down(runtime: "Runtime", targets: Iterable[tuple[str, str]], *, timeout: int | None = None,
         sink: EventSink = ignore, volumes: bool = False) -> list[str]:
    """Remove each (namespace, pod) that exists; absent ones are no error. The names removed.

    The desired state goes first (the agent stops supervising), then the pod's lock is taken
    (an agent sync under way finishes first), then everything is stopped and removed.
    """
    from .agent import process
    from .agent.sync import forget_events

    removed: list[str] = []
    for namespace, name in targets:
        existing = runtime.find(namespace, name)
        if existing is None:
            sink(Event("info", pod=name, message="not running"))
            continue
        spec = runtime.desired(namespace, name)      # for the preStop hooks
        runtime.forget(namespace, name)
        with process.PodLock(namespace, name):
            existing = runtime.find(namespace, name) or existing
            runtime.down(existing, sink, timeout=timeout, spec=spec)
        forget_events((namespace, name))
        if volumes and spec is not None:     # claims outlive their pods unless asked (docker compose down -v)
            for claim in sorted({v.claim_name for v in spec.volumes if v.kind == VolumeKind.PERSISTENT_VOLUME_CLAIM}):
                runtime.remove_claim(namespace, claim, sink)
        removed.append(name)
    return removed


def ps(runtime: "Runtime", namespace: str | None = None, names: Iterable[str] = ()) -> list[ObservedPod]:
    wanted = set(names)
    return [p for p in runtime.observe(namespace).pods if not wanted or p.name in wanted]


@dataclass(frozen=True)
class PodView:
    """One pod as ps and describe show it: what Docker holds, and its status by the one phase rule."""

    observed: ObservedPod
    status: PodStatus
    report: PodReport | None = None     # the agent's, when it has reported on the pod

    @property
    def supervised(self) -> bool:
        return self.report is not None


def pod_views(runtime: "Runtime", pods: Iterable[ObservedPod], report: AgentReport | None = None) -> list[PodView]:
    """Each pod with the agent's status, or before the agent reports, the status read from Docker (with the
    containers its desired state names that have no Docker container yet)."""
    report = agent_report() if report is None else report
    views = []
    for pod in pods:
        found = report.pod(pod.namespace, pod.name)
        if found is not None:
            views.append(PodView(pod, found.status, found))
            continue
        spec = runtime.desired(pod.namespace, pod.name) if pod.desired_volume else None
        views.append(PodView(pod, observed_status(pod, spec)))
    return views


def pod_view(runtime: "Runtime", namespace: str, name: str) -> PodView:
    return pod_views(runtime, [find_pod(runtime, namespace, name)])[0]


def find(runtime: "Runtime", namespace: str, name: str) -> ObservedPod | None:
    """The pod as Docker holds it, or None."""
    return runtime.find(namespace, name)


def find_pod(runtime: "Runtime", namespace: str, name: str) -> ObservedPod:
    pod = runtime.find(namespace, name)
    if pod is None:
        where = "" if namespace == DEFAULT_NAMESPACE else f" in namespace {namespace}"
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


def log_targets(pod: ObservedPod, container: str | None, all_containers: bool = False,
                previous: bool = False) -> tuple[list[ObservedContainer], float | None]:
    """The containers `logs` reads (the named one, every one, or as kubectl the sidecars and apps) and,
    with `previous`, the run before the current one: (containers, the unix time its lines end, or None)."""
    from .errors import UsageError

    earlier = pod.previous_attempt(container) if container and previous else None
    if container and earlier is not None and not any(c.container == container for c in pod.containers):
        return [earlier], None          # between two attempts: the new one is not made yet
    if container:
        containers = [pick_container(pod, container)]
    elif all_containers:
        containers = pod.by_role("init", "sidecar", "app")
    else:
        containers = pod.by_role("sidecar", "app")
    if not previous:
        return containers, None
    if len(containers) != 1:
        raise UsageError("--previous needs one container: add -c CONTAINER")
    earlier = pod.previous_attempt(containers[0].container)
    if earlier is not None:     # the agent restarts as a new attempt and keeps the one before
        return [earlier], None
    if containers[0].restart_count == 0:
        raise PodcomposeError(f"container {containers[0].container} has not restarted: there is no previous log")
    # Restarted in place (by Docker, before the agent): between the previous run's exit and this run's
    # start; the log copier stamps lines when it reads them, so a boundary at either end can cut the wrong way.
    from .runtime.logs import unix_time

    restarted = containers[0]
    return containers, (unix_time(restarted.finished_at) + unix_time(restarted.started_at)) / 2


def log_lines(runtime: "Runtime", containers: list[ObservedContainer],
              options: "LogOptions") -> Iterator[tuple[str, str]]:
    """(container, line) of each container's log, merged in time order (followed with `options.follow`)."""
    return runtime.logs(containers, options)


def exec_in(runtime: "Runtime", container: ObservedContainer,
            command: list[str]) -> tuple[Iterator[tuple[bytes | None, bytes | None]], "ExecResult"]:
    """Run `command` in a container: (output chunks (stdout, stderr), a handle for the exit code)."""
    return runtime.exec(container, command)


def docker_version(runtime: "Runtime") -> str | None:
    return runtime.version()
