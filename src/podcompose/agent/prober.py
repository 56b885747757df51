"""The agent's probe manager, after the kubelet's prober manager (pkg/kubelet/prober/prober_manager.go).

One `ProbeWorker` (podcompose.probe) per running attempt and probe kind, made when the attempt
is first seen running in its pod's current sandbox and dropped when it is gone. The agent loop
asks what is `due`, hands the tasks to `run` (a thread pool owned here), and reads `results`
for decide(). A thresholded result that changes calls `on_result(pod_key)` so the loop re-syncs
that pod; every finished probe calls `wake()` so the loop re-reads `next_wake`. Every failed
probe is also an `Unhealthy` event, as the kubelet records one.

The kubelet gives each probe its own goroutine; here a fixed pool serves every pod, so no pod may
hold more than its share of it: the pool divided by the pods with probes, and never more than half
of it, so probes that hang until their timeout delay only their own pod's.

The probe functions are injected (`for_docker` wires the real ones), so all of this runs with
a fake clock and no daemon in tests.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Callable, Union

from ..decide import PodObservation, ProbeResults
from ..events import Event, EventSink, ignore
from ..model import Container, Pod
from ..probe import ProbeOutcome, ProbeResult, ProbeWorker, worker_for
from ..probes_model import ExecAction, GRPCAction, HTTPGetAction, Probe, ProbeHandler, ProbeKind, TCPSocketAction
from .probe_pool import DaemonPool

PodKey = tuple[str, str]                               # (namespace, pod name)
NetAction = Union[HTTPGetAction, TCPSocketAction, GRPCAction]
ExecProbe = Callable[[str, ExecAction, float], ProbeOutcome]             # (container id, action, timeout)
NetProbe = Callable[[Union[int, None], NetAction, float], ProbeOutcome]  # (pause pid or None, action, timeout)

MAX_WORKERS = 8
# Kubernetes bounds timeoutSeconds only by its Go type (int32; pkg/apis/core/validation validateProbe checks it is
# not negative, and the kubelet's prober runs it as given): a longer one could not have come through the API.
MAX_TIMEOUT_SECONDS = 2**31 - 1
KEPT_MESSAGES = 256            # failure messages of attempts already gone, for describe and `up --wait`
PROBE_TYPE = {"liveness": "Liveness", "readiness": "Readiness", "startup": "Startup"}


@dataclass(frozen=True)
class ProbeTask:
    pod_key: PodKey
    container: str
    container_id: str
    kind: ProbeKind
    handler: ProbeHandler
    timeout: float
    pause_pid: int | None


@dataclass
class _Attempt:
    pod_key: PodKey
    container: str
    started_at: float
    pause_pid: int | None
    workers: dict[ProbeKind, ProbeWorker]
    messages: dict[ProbeKind, str] = field(default_factory=dict)

    def started(self) -> bool:
        startup = self.workers.get("startup")
        return startup is None or startup.result is ProbeResult.SUCCESS


def _probes(container: Container) -> dict[ProbeKind, Probe]:
    candidates: dict[ProbeKind, Probe | None] = {"liveness": container.liveness_probe,
                                                  "readiness": container.readiness_probe,
                                                  "startup": container.startup_probe}
    return {kind: probe for kind, probe in candidates.items() if probe is not None}


class ProbeManager:
    def __init__(self, exec_probe: ExecProbe, net_probe: NetProbe, *, sink: EventSink = ignore,
                 on_result: Callable[[PodKey], None] = lambda key: None, wake: Callable[[], None] = lambda: None,
                 clock: Callable[[], float] = time.time, executor: Executor | None = None,
                 max_workers: int = MAX_WORKERS) -> None:
        self._exec_probe = exec_probe
        self._net_probe = net_probe
        self._sink = sink
        self._on_result = on_result
        self._wake = wake
        self._clock = clock
        self._own_executor = executor is None
        self._executor = executor or DaemonPool(max_workers, thread_name_prefix="probe")
        self._max_workers = max_workers
        self._lock = threading.Lock()
        self._attempts: dict[str, _Attempt] = {}          # by container id
        self._in_flight: dict[tuple[str, ProbeKind], PodKey] = {}
        self._gone: OrderedDict[str, dict[ProbeKind, str]] = OrderedDict()

    @classmethod
    def for_docker(cls, client: object, **options: object) -> "ProbeManager":
        """A manager whose probes are docker exec and requests from inside each pod's netns."""
        from ..runtime.exec_probe import exec_check

        def exec_probe(container_id: str, action: ExecAction, timeout: float) -> ProbeOutcome:
            return exec_check(client, container_id, action, timeout)  # type: ignore[arg-type]

        return cls(exec_probe, net_probe, **options)  # type: ignore[arg-type]

    # --- what to probe ------------------------------------------------------------------

    def track(self, pod_key: PodKey, pod: Pod, observation: PodObservation, pause_pid: int | None) -> None:
        """Probe the running attempts of the pod's current sandbox; forget the pod's others."""
        sandbox = observation.sandbox
        running = {}
        if sandbox is not None and sandbox.running:
            running = {a.container_id: a for a in observation.attempts
                       if a.state == "running" and a.sandbox_id == sandbox.container_id}
        with self._lock:
            for container_id in [cid for cid, t in self._attempts.items() if t.pod_key == pod_key]:
                if container_id not in running:
                    self._drop(container_id)
            for container_id, attempt in running.items():
                try:
                    probes = _probes(pod.container(attempt.container))
                except KeyError:
                    continue
                started_at = attempt.started_at if attempt.started_at is not None else self._clock()
                tracked = self._attempts.get(container_id)
                if tracked is not None and tracked.started_at != started_at:
                    self._drop(container_id)            # the same container started again: a new run
                    tracked = None
                if tracked is None:
                    if not probes:
                        continue
                    tracked = _Attempt(pod_key, attempt.container, started_at, pause_pid, {})
                    self._attempts[container_id] = tracked
                tracked.pause_pid = pause_pid
                for kind in list(tracked.workers):
                    if kind not in probes:
                        del tracked.workers[kind]
                for kind, probe in probes.items():
                    worker = tracked.workers.get(kind)
                    if worker is None or worker.probe != probe:
                        tracked.workers[kind] = worker_for(kind, probe).for_container(container_id, started_at)

    def forget(self, pod_key: PodKey) -> None:
        """The pod is no longer supervised (down)."""
        with self._lock:
            for container_id in [cid for cid, t in self._attempts.items() if t.pod_key == pod_key]:
                self._drop(container_id)

    def _drop(self, container_id: str) -> None:
        tracked = self._attempts.pop(container_id)
        if tracked.messages:
            self._gone[container_id] = dict(tracked.messages)
            while len(self._gone) > KEPT_MESSAGES:
                self._gone.popitem(last=False)

    # --- when and how ----------------------------------------------------------------------

    def due(self, now: float | None = None) -> list[ProbeTask]:
        """The probes to run now (none of them already running)."""
        now = self._clock() if now is None else now
        tasks = []
        with self._lock:
            held = self._held_by_pod()
            share = self._share()
            for container_id, tracked in self._attempts.items():
                started = tracked.started()
                for kind, worker in tracked.workers.items():
                    if (container_id, kind) in self._in_flight or not worker.due(now, started):
                        continue
                    if held.get(tracked.pod_key, 0) >= share:
                        break                   # this pod's share is taken: its probes wait for one to end
                    held[tracked.pod_key] = held.get(tracked.pod_key, 0) + 1
                    tasks.append(ProbeTask(tracked.pod_key, tracked.container, container_id, kind,
                                           worker.probe.handler,
                                           float(min(worker.probe.timeout_seconds, MAX_TIMEOUT_SECONDS)),
                                           tracked.pause_pid))
        return tasks

    def _held_by_pod(self) -> dict[PodKey, int]:
        held: dict[PodKey, int] = {}
        for pod_key in self._in_flight.values():
            held[pod_key] = held.get(pod_key, 0) + 1
        return held

    def _share(self) -> int:
        """How many probes one pod may run at once."""
        pods = {tracked.pod_key for tracked in self._attempts.values() if tracked.workers}
        return max(1, self._max_workers // max(2, len(pods)))

    def next_wake(self) -> float | None:
        """When the next probe falls due; None when nothing is waiting to be probed."""
        times = []
        with self._lock:
            held = self._held_by_pod()
            share = self._share()
            for container_id, tracked in self._attempts.items():
                if held.get(tracked.pod_key, 0) >= share:
                    continue                    # woken when one of its probes ends
                started = tracked.started()
                for kind, worker in tracked.workers.items():
                    if (container_id, kind) in self._in_flight:
                        continue
                    at = worker.next_probe_at(started)
                    if at is not None:
                        times.append(at)
        return min(times) if times else None

    def run(self, task: ProbeTask) -> None:
        """Run one probe on the pool; its result is recorded when it ends."""
        with self._lock:
            key = (task.container_id, task.kind)
            if key in self._in_flight or self._held_by_pod().get(task.pod_key, 0) >= self._share():
                return
            self._in_flight[key] = task.pod_key
        self._executor.submit(self._execute, task)

    def run_due(self, now: float | None = None) -> int:
        tasks = self.due(now)
        for task in tasks:
            self.run(task)
        return len(tasks)

    def _probe(self, task: ProbeTask) -> ProbeOutcome:
        try:
            if isinstance(task.handler, ExecAction):
                return self._exec_probe(task.container_id, task.handler, task.timeout)
            return self._net_probe(task.pause_pid, task.handler, task.timeout)
        except Exception as error:     # a probe that cannot run is an error, never the agent's end
            return ProbeOutcome(ProbeResult.UNKNOWN, f"{type(error).__name__}: {error}")

    def _execute(self, task: ProbeTask) -> None:
        outcome = self._probe(task)
        changed = False
        event = None
        with self._lock:
            self._in_flight.pop((task.container_id, task.kind), None)
            tracked = self._attempts.get(task.container_id)
            worker = tracked.workers.get(task.kind) if tracked is not None else None
            if tracked is not None and worker is not None:
                was_started = tracked.started()
                updated = worker.record(outcome, self._clock())
                tracked.workers[task.kind] = updated
                changed = updated.result is not worker.result or tracked.started() != was_started
                probe_type = PROBE_TYPE[task.kind]
                if outcome.result is ProbeResult.SUCCESS:
                    tracked.messages.pop(task.kind, None)
                else:
                    verb = "failed" if outcome.result is ProbeResult.FAILURE else "errored"
                    message = f"{probe_type} probe {verb}: {outcome.message}"
                    tracked.messages[task.kind] = message
                    event = Event("warning", pod=task.pod_key[1], container=task.container, message=message,
                                  data={"reason": "Unhealthy", "namespace": task.pod_key[0], "probe": task.kind,
                                        "containerId": task.container_id})
        if event is not None:
            self._sink(event)
        if changed:
            self._on_result(task.pod_key)
        self._wake()

    # --- what decide() and the user see -----------------------------------------------------

    def results(self, pod_key: PodKey) -> ProbeResults:
        with self._lock:
            return {(cid, kind): worker.result
                    for cid, tracked in self._attempts.items() if tracked.pod_key == pod_key
                    for kind, worker in tracked.workers.items()}

    def last_messages(self, container_id: str) -> dict[ProbeKind, str]:
        """The last failure of each probe of an attempt that has not passed since, in the kubelet's
        words ("Readiness probe failed: HTTP probe failed with statuscode: 503"); kept a while after
        the attempt is gone."""
        with self._lock:
            tracked = self._attempts.get(container_id)
            if tracked is not None:
                return dict(tracked.messages)
            return dict(self._gone.get(container_id, {}))

    def close(self) -> None:
        if self._own_executor:
            self._executor.shutdown(wait=False, cancel_futures=True)


def net_probe(pause_pid: int | None, action: NetAction, timeout: float) -> ProbeOutcome:
    """A network probe from inside the pause process's netns; None: a hostNetwork pod, the host's own."""
    from ..runtime import netns

    if pause_pid is not None:
        return netns.probe_in_netns(pause_pid, action, timeout)
    if isinstance(action, HTTPGetAction):
        return netns.http_check(action, timeout)
    if isinstance(action, TCPSocketAction):
        return netns.tcp_check(action, timeout)
    from ..runtime.grpc_health import grpc_check
    return grpc_check(action, timeout)
