"""`up`'s first sync of a pod: the agent's own decide -> sync, run in the `up` process.

`up` holds the pod's lock while it brings the pod up, so the background agent
leaves the pod alone until then; the ordering rules (init containers one at a
time, sidecars waiting for their startupProbe, then the app containers) are
decide()'s, the same the agent applies afterwards. Between passes it sleeps
until Docker reports a change of the pod, a probe result arrives or a deadline
of decide's or the prober's comes (never a fixed poll). It ends once every app
container has started (or ended), and reports what a user must hear about:
an init container that failed, a container that could not be made.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import docker

from ..decide import PodActions, decide
from ..events import Event, EventSink
from ..podstatus import ContainerStatus, PodStatus
from . import store
from .prober import ProbeManager
from .sync import PodSyncer, recording
from .watch import PodWatch

SAFETY_SECONDS = 1.0     # the longest wait without news (an event missed must not hang `up`)


@dataclass(frozen=True)
class BringUp:
    """How the first sync ended."""

    status: PodStatus
    failed_init: ContainerStatus | None = None     # an init container that exited non-zero
    retrying: bool = False                          # ... and is retried with back-off (restartPolicy not Never)
    create_error: tuple[str, str] | None = None     # (container, message): it could not be made
    create_retried: bool = False                    # ... for want of something another container may provide
    container_ids: dict[str, str] | None = None


def _all_started(status: PodStatus) -> bool:
    sidecars_up = all(s.state == "running" and s.started for s in status.init_statuses if s.role == "sidecar")
    inits_done = all(s.state == "terminated" and s.exit_code == 0 for s in status.init_statuses if s.role == "init")
    apps = all(s.state in ("running", "terminated") or s.last_termination is not None for s in status.statuses)
    return inits_done and sidecars_up and apps


def bring_up(client: docker.DockerClient, desired: store.Desired, sink: EventSink,
             clock: Callable[[], float] = time.time) -> BringUp:
    key = (desired.pod.namespace, desired.pod.name)
    watch = PodWatch(client, *key)
    prober = ProbeManager.for_docker(client, sink=recording(sink), clock=clock, on_result=watch.notify,
                                     wake=watch.notify)
    failures: dict[tuple[tuple[str, str], str], tuple[float, str]] = {}
    completed: set[str] = set()
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
            syncer.apply(actions)
            error = next(((name, message) for (k, name), (_, message) in failures.items() if k == key), None)
            if error is not None:
                return BringUp(status, create_error=error, create_retried=error[0] in syncer.config_errors,
                               container_ids=ids)
            wakes = [w for w in (actions.wake_at, prober.next_wake()) if w is not None]
            watch.wait(min([clock() + SAFETY_SECONDS, *wakes]) - clock())
    finally:
        prober.close()
        watch.close()
