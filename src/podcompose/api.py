"""The Python API: one plain function per verb, shared by the CLI and tests.

Each function takes explicit options and an event sink, and raises only
PodcomposeError. Nothing here prints.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable, Literal, Mapping

from . import podsecurity, redact
from .defaults import DEFAULT_NAMESPACE, namespace_or_default
from .errors import PodcomposeError, Problem
from .events import Event, EventSink, ignore
from .model import Pod, VolumeKind, pods_from_documents
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
    notes = checked_secure(documents, options.pod_security, notes, options.host_ip)
    pods = pods_from_documents(documents, namespace=options.namespace, image_overrides=options.image_overrides)
    redact.register_pods(pods)
    seen: set[tuple[str, str]] = set()
    for pod in pods:
        key = (pod.namespace, pod.name)
        if key in seen:
            raise PodcomposeError(f"pod {pod.name} is defined twice in namespace {pod.namespace}")
        seen.add(key)
    return LoadedPods(pods, notes)


def checked_secure(documents: list, level: str | None, notes: list[Problem],
                   host_ip: str | None = None) -> list[Problem]:
    """`notes` plus the Pod Security warnings of `documents`; ManifestError on a violation of `level`."""
    with redact.secret_fields_hidden(documents):
        return redact.problems(notes + podsecurity.require(documents, level, host_ip), documents)


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
    """What Docker holds for `pods`, by (namespace, name) (each looked up by its own labels)."""
    found: dict[tuple[str, str], ObservedPod] = {}
    for pod in pods:
        observed = runtime.find(pod.namespace, pod.name)
        if observed is not None:
            found[(pod.namespace, pod.name)] = observed
    return found


def up(runtime: "Runtime", pods: list[Pod], options: UpOptions = UpOptions(), sink: EventSink = ignore) -> list[Plan]:
    """Bring every pod up (or leave it as it is when unchanged), then leave it to the node agent.

    Per pod: images, volumes and the pause container (runtime.up), the desired
    state kept in Docker, the agent's first sync in this process (under the
    pod's lock, so the agent waits), then the agent supervises it. A failure of
    podcompose's own steps, or an init container that fails under restartPolicy
    Never, removes what was made; a container that ends is reported, the pod kept.
    """
    from .agent import process
    from .runtime import ContainerFailed

    pods = [with_uid(p) for p in pods]
    plans = plan(pods, observed_for(runtime, pods), options)
    failures: list[ContainerFailed] = []
    for pod_plan in plans:
        if pod_plan.up_to_date:
            sink(Event("up-to-date", pod=pod_plan.pod.name))
            continue
        try:
            _bring_up(runtime, pod_plan, options, sink)
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


def _bring_up(runtime: "Runtime", pod_plan: Plan, options: UpOptions, sink: EventSink) -> None:
    import time

    from .agent import process, store
    from .agent.bringup import bring_up
    from .agent.sync import CREATE_RETRY_SECONDS
    from .agent.labels import sandbox_labels
    from .decide import CreateSandbox
    from .runtime import ContainerFailed, PodFailed
    from .runtime.settle import log_tail

    pod = pod_plan.pod
    started = time.time()
    lock = process.PodLock(pod.namespace, pod.name)
    if not lock.acquire(timeout=120):
        raise PodcomposeError(f"pod {pod.name}: another podcompose holds its lock ({lock.path})")
    try:
        pause_image = runtime.up(pod_plan, sink, keep_on_failure=options.keep_on_failure,
                                 sandbox_labels=sandbox_labels(pod, CreateSandbox("up", started)))
        try:
            store.save(runtime.client, store.DesiredPod(pod, pause_image, options.host_ip, process.build_id()),
                       pod_plan.spec_hash)
            desired = store.load(runtime.client, pod.namespace, pod.name)
            if desired is None:
                raise PodcomposeError(f"pod {pod.name}: its desired state could not be read back from Docker")
            result = bring_up(runtime.client, desired, sink)
            apps_started = time.time()
            if result.create_error is not None:
                container, message = result.create_error
                if result.create_retried:
                    raise ContainerFailed(f"{message}; it is tried again every {CREATE_RETRY_SECONDS:g} s; the pod "
                                          f"is kept (podcompose describe {pod.name}; podcompose down {pod.name})",
                                          pod=pod.name, container=container)
                raise PodFailed(message, pod=pod.name, container=container)
            failed = result.failed_init
            if failed is not None:
                code = failed.exit_code if failed.state == "terminated" else \
                    (failed.last_termination.exit_code if failed.last_termination else None)
                detail = log_tail(runtime.client, failed.container_id) if failed.container_id else ""
                message = f"init container {failed.name} of pod {pod.name} failed with exit code {code}"
                if not result.retrying:
                    raise PodFailed(message, pod=pod.name, container=failed.name, detail=detail)
                raise ContainerFailed(message + "; it is retried with back-off (restartPolicy "
                                      f"{pod.restart_policy}); the pod is kept (podcompose ps; podcompose down "
                                      f"{pod.name})", pod=pod.name, container=failed.name, detail=detail)
        except ContainerFailed:
            raise
        except BaseException:
            if not options.keep_on_failure:
                runtime.cleanup(pod, sink)
            raise
    finally:
        lock.release()
    process.ensure_running()
    _await_agent(pod, started)      # within the settle window when the agent runs already
    completed = runtime.settle(pod, started, apps_started) if options.detach else set()
    for spec in pod.containers:
        if spec.name in completed:
            sink(Event("completed", pod=pod.name, container=spec.name, data={"exit_code": 0}))
        else:
            sink(Event("running", pod=pod.name, container=spec.name))


def pod_events(runtime: "Runtime", pod: ObservedPod) -> list[dict]:
    """What happened to the pod, oldest first: the daemon's record (pulls, starts, kills, exits) and the
    agent's (probe failures, back-off, kills with their reason, hook failures, refused mounts)."""
    import time

    from .agent.sync import read_events

    events = [dict(e, at=_event_time(e["time"])) for e in runtime.events(pod)]
    for event in read_events((pod.namespace, pod.name)):
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
    from . import naming
    from .agent import process

    if process.is_running() and process.read_status().get("build") == process.build_id():
        return False
    filters = {"label": naming.pod_filter() + [f"{naming.ROLE}=desired"]}
    if not runtime.client.api.volumes(filters=filters).get("Volumes"):
        return False
    process.ensure_running()
    return True


def _await_agent(pod: Pod, since: float, timeout: float = 3.0) -> None:
    """Until the agent has reported on the pod since `since` (then `ps` right after `up` shows its READY)."""
    import time

    from .agent import process

    deadline = time.monotonic() + timeout
    key = f"{pod.namespace}/{pod.name}"
    while time.monotonic() < deadline:
        status = process.read_status()
        if key in status.get("pods", {}) and status.get("updated", 0) >= since:
            return
        time.sleep(0.05)


def wait_ready(runtime: "Runtime", pods: list[Pod], timeout: float = 60) -> None:
    """Until every pod is Ready as the agent sees it: each app container and sidecar started and its
    readiness probe passed (containers without one: running). Fails with the failing probe's last words."""
    import time

    from .agent import process

    deadline = time.monotonic() + timeout
    for pod in pods:
        while True:
            record = process.read_status().get("pods", {}).get(f"{pod.namespace}/{pod.name}") or {}
            if record.get("ready"):
                break
            if time.monotonic() > deadline:
                raise PodcomposeError(f"pod {pod.name} not ready after {timeout:g}s: {_not_ready(record)}")
            process.ensure_running()
            time.sleep(0.2)


def _not_ready(record: dict) -> str:
    """Which containers are not ready, with their probes' last failures."""
    if not record:
        return "the agent has not reported on it"
    parts = []
    for status in (*record.get("init_statuses", ()), *record.get("statuses", ())):
        if status.get("role") == "init" or status.get("ready"):
            continue
        why = "; ".join((record.get("probes") or {}).get(status["name"], {}).values()) \
            or status.get("reason") or status.get("state", "")
        parts.append(f"{status['name']} ({why})" if why else status["name"])
    return ", ".join(parts) or record.get("kubectl_status", "")


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

