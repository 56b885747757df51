"""`up`'s first sync of a pod: the agent's own decide -> sync, run in the `up` process.

`up` holds the pod's lock while it brings the pod up, so the background agent
leaves the pod alone until then; the ordering rules (init containers one at a
time, sidecars waiting for their startupProbe, then the app containers) are
decide()'s, the same the agent applies afterwards. Between passes it sleeps
until Docker reports a change of the pod, a probe result arrives or a deadline
of decide's or the prober's comes (never a fixed poll). It ends once every app
container has started (or ended), or once what is left waits on a probe or a
back-off for longer than `probe_wait` (a kubelet's pod creation returns at once:
the agent carries on, and `up --wait` is where waiting belongs); it reports what
a user must hear about: an init container that failed, a container that could
not be made, what still waits.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import docker

from ..decide import CreateSandbox, PodActions, decide
from ..errors import PodcomposeError
from ..events import Event, EventSink
from ..plan import Plan
from ..podstatus import ContainerStatus, PodStatus
from ..runtime import ContainerFailed, PodFailed, Runtime, store
from . import process
from .labels import sandbox_labels
from .prober import ProbeManager
from .sync import CREATE_RETRY_SECONDS, PodSyncer, recording
from .watch import PodWatch

SAFETY_SECONDS = 1.0     # the longest wait without news (an event missed must not hang `up`)
PROBE_WAIT_SECONDS = 5.0  # how long `up` waits on a startup probe or a back-off before it leaves them to the agent


@dataclass(frozen=True)
class BringUp:
    """How the first sync ended."""

    status: PodStatus
    failed_init: ContainerStatus | None = None     # an init container that exited non-zero
    retrying: bool = False                          # ... and is retried with back-off (restartPolicy not Never)
    create_error: tuple[str, str] | None = None     # (container, message): it could not be made
    create_retried: bool = False                    # ... for want of something another container may provide
    container_ids: dict[str, str] | None = None
    waiting: tuple[tuple[str, str], ...] = ()       # (container, why) still waiting when `up` left it to the agent


def _all_started(status: PodStatus) -> bool:
    sidecars_up = all(s.state == "running" and s.started for s in status.init_statuses if s.role == "sidecar")
    inits_done = all(s.state == "terminated" and s.exit_code == 0 for s in status.init_statuses if s.role == "init")
    apps = all(s.state in ("running", "terminated") or s.last_termination is not None for s in status.statuses)
    return inits_done and sidecars_up and apps


def _held_back(actions: PodActions) -> bool:
    """Nothing more can start now for want of a probe's pass or a back-off's end (not an init container that
    still runs: that ends by itself)."""
    if not actions.nothing_to_do:
        return False
    unstarted_sidecar = any(s.role == "sidecar" and s.state == "running" and not s.started
                            for s in actions.status.init_statuses)
    return unstarted_sidecar or bool(actions.waits)


def what_waits(status: PodStatus) -> tuple[tuple[str, str], ...]:
    """Each container not started yet, with why (the sidecar's probe it waits on, or its waiting reason)."""
    found = []
    for s in (*status.init_statuses, *status.statuses):
        if s.role == "sidecar" and s.state == "running" and not s.started:
            found.append((s.name, "its startup probe has not passed yet"))
        elif (s.role == "init" and s.state != "terminated") or (s.role != "init" and s.state == "waiting"):
            found.append((s.name, s.reason or "waiting"))
    return tuple(found)


def bring_up(runtime: Runtime, desired: store.Desired, sink: EventSink,
             clock: Callable[[], float] = time.time, probe_wait: float = PROBE_WAIT_SECONDS) -> BringUp:
    client: docker.DockerClient = runtime.client
    key = (desired.pod.namespace, desired.pod.name)
    watch = PodWatch(client, *key)
    prober = ProbeManager.for_docker(client, sink=recording(sink), clock=clock, on_result=watch.notify,
                                     wake=watch.notify)
    failures: dict[tuple[tuple[str, str], str], tuple[float, str]] = {}
    completed: set[str] = set()
    held_until: float | None = None
    try:
        while True:
            syncer = PodSyncer(client, key, desired, prober, sink, failures)
            observation = syncer.observe()
            prober.run_due(clock())
            actions: PodActions = decide(desired.pod, observation, prober.results(key), clock())
            status = actions.status
            ids = {s.name: s.container_id for s in (*status.init_statuses, *status.statuses)}
            for s in status.init_statuses:
                if s.role == "init" and s.state == "terminated" and s.exit_code == 0 and s.name not in completed:
                    completed.add(s.name)
                    sink(Event("completed", pod=key[1], container=s.name, data={"exit_code": 0}))
            failed = next((s for s in status.init_statuses if s.role == "init" and (
                (s.state == "terminated" and s.exit_code != 0) or
                (s.last_termination is not None and s.last_termination.exit_code != 0))), None)
            if failed is not None:
                return BringUp(status, failed_init=failed, retrying=desired.pod.restart_policy != "Never",
                               container_ids=ids)
            if status.phase in ("Succeeded", "Failed") or _all_started(status):
                return BringUp(status, container_ids=ids)
            if not _held_back(actions):
                held_until = None
            elif held_until is None:
                held_until = clock() + probe_wait
            elif clock() >= held_until:
                return BringUp(status, container_ids=ids, waiting=what_waits(status))
            syncer.apply(actions)
            error = next(((name, message) for (k, name), (_, message) in failures.items() if k == key), None)
            if error is not None:
                return BringUp(status, create_error=error, create_retried=error[0] in syncer.config_errors,
                               container_ids=ids)
            wakes = [w for w in (actions.wake_at, prober.next_wake(), held_until) if w is not None]
            watch.wait(min([clock() + SAFETY_SECONDS, *wakes]) - clock())
    finally:
        prober.close()
        watch.close()


def hand_over(runtime: Runtime, pod_plan: Plan, sink: EventSink, *, host_ip: str = "",
              keep_on_failure: bool = False, detach: bool = True, probe_wait: float | None = None) -> BringUp:
    """`up` of one pod: images, volumes and the pause container (runtime.up), the desired state kept in
    Docker, the first sync in this process (under the pod's lock, so the agent waits), then the agent's.

    A failure of podcompose's own steps, or an init container that fails under restartPolicy Never, removes
    what was made (unless `keep_on_failure`); a container that cannot be made yet, or an init container
    retried with back-off, raises ContainerFailed with the pod kept. Reports what still waits as events."""
    pod = pod_plan.pod
    started = time.time()
    lock = process.PodLock(pod.namespace, pod.name)
    if not lock.acquire(timeout=120):
        raise PodcomposeError(f"pod {pod.name}: another podcompose holds its lock ({lock.path})")
    try:
        pause_image = runtime.up(pod_plan, sink, keep_on_failure=keep_on_failure,
                                 sandbox_labels=sandbox_labels(pod, CreateSandbox("up", started)))
        try:
            desired = runtime.keep_desired(store.DesiredPod(pod, pause_image, host_ip, process.build_id()),
                                           pod_plan.spec_hash)
            result = bring_up(runtime, desired, sink,
                              probe_wait=PROBE_WAIT_SECONDS if probe_wait is None else probe_wait)
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
                detail = runtime.log_tail(failed.container_id) if failed.container_id else ""
                message = f"init container {failed.name} of pod {pod.name} failed with exit code {code}"
                if not result.retrying:
                    raise PodFailed(message, pod=pod.name, container=failed.name, detail=detail)
                raise ContainerFailed(message + "; it is retried with back-off (restartPolicy "
                                      f"{pod.restart_policy}); the pod is kept (podcompose ps; podcompose down "
                                      f"{pod.name})", pod=pod.name, container=failed.name, detail=detail)
        except ContainerFailed:
            raise
        except BaseException:
            if not keep_on_failure:
                runtime.cleanup(pod, sink)
            raise
    finally:
        lock.release()
    process.ensure_running()
    process.await_report(pod.namespace, pod.name, started)      # within the settle window when the agent runs already
    completed = runtime.settle(pod, started, apps_started) if detach else set()
    waiting = dict(result.waiting)
    for spec in pod.all_containers:
        if spec.name in waiting:
            sink(Event("waiting", pod=pod.name, container=spec.name, message=waiting[spec.name]))
    for spec in pod.containers:
        if spec.name in completed:
            sink(Event("completed", pod=pod.name, container=spec.name, data={"exit_code": 0}))
        elif spec.name not in waiting:
            sink(Event("running", pod=pod.name, container=spec.name))
    return result
