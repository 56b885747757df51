"""Probe workers: when to probe a container and what its liveness/readiness/startup result is.

A pure state machine after the kubelet's prober worker (pkg/kubelet/prober/worker.go): one
`ProbeWorker` per container and probe kind, replaced (never mutated) on every event. The
clock is passed in; running the probe itself is someone else's job (runtime/netns.py,
runtime/exec_probe.py).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum

from .probes_model import Probe, ProbeKind


class ProbeResult(Enum):
    SUCCESS = "Success"
    FAILURE = "Failure"
    UNKNOWN = "Unknown"


@dataclass(frozen=True)
class ProbeOutcome:
    """One run of a probe handler. ERROR-like outcomes (the probe could not be run at all) have
    `result` UNKNOWN and are thrown away, as the kubelet does with prober errors."""

    result: ProbeResult
    message: str = ""


# What a new container reports before its first probe: not ready until a readiness probe
# passes; alive until a liveness probe fails; not started (unknown) until a startup probe passes.
INITIAL_RESULT: dict[ProbeKind, ProbeResult] = {
    "readiness": ProbeResult.FAILURE,
    "liveness": ProbeResult.SUCCESS,
    "startup": ProbeResult.UNKNOWN,
}


@dataclass(frozen=True)
class ProbeWorker:
    kind: ProbeKind
    probe: Probe
    container_id: str = ""
    started_at: float = 0.0
    result: ProbeResult = ProbeResult.UNKNOWN     # the thresholded result decide() reads
    message: str = ""                            # the last probe's output
    last_raw: ProbeResult | None = None
    run: int = 0                                 # how many times in a row last_raw came back
    on_hold: bool = False                        # liveness/startup failed: wait for a new container
    last_probe_at: float | None = None
    finished: bool = False                       # the container is gone and will not come back

    def for_container(self, container_id: str, started_at: float) -> ProbeWorker:
        """The worker for a (new) attempt of the container; unchanged for the same attempt."""
        if container_id == self.container_id:
            return self
        return replace(self, container_id=container_id, started_at=started_at,
                       result=INITIAL_RESULT[self.kind], message="", last_raw=None, run=0,
                       on_hold=False, last_probe_at=None, finished=False)

    def next_probe_at(self, started: bool) -> float | None:
        """When the next probe is due; None while nothing would run (held, gated, finished).

        `started`: the container's startup probe passed (or it has none). Startup probes stop
        once it has; liveness and readiness wait for it.
        """
        if not self.container_id or self.on_hold or self.finished:
            return None
        if (self.kind == "startup") == started:
            return None
        first = self.started_at + self.probe.initial_delay_seconds
        if self.last_probe_at is None:
            return first
        return max(first, self.last_probe_at + self.probe.period_seconds)

    def due(self, now: float, started: bool) -> bool:
        at = self.next_probe_at(started)
        return at is not None and now >= at

    def record(self, outcome: ProbeOutcome, now: float) -> ProbeWorker:
        """The worker after one probe run that ended at `now`."""
        if outcome.result is ProbeResult.UNKNOWN:
            return replace(self, last_probe_at=now, message=outcome.message or self.message)
        run = self.run + 1 if outcome.result is self.last_raw else 1
        worker = replace(self, last_raw=outcome.result, run=run, last_probe_at=now, message=outcome.message)
        threshold = (self.probe.failure_threshold if outcome.result is ProbeResult.FAILURE
                     else self.probe.success_threshold)
        if run < threshold:
            return worker
        worker = replace(worker, result=outcome.result)
        if self.kind in ("liveness", "startup") and outcome.result is ProbeResult.FAILURE:
            # The container is about to be killed: stop probing it (the kubelet does so to keep
            # `exec` away from a container being stopped) until a new attempt appears.
            worker = replace(worker, on_hold=True, run=0)
        return worker

    def container_stopped(self, will_restart: bool) -> ProbeWorker:
        """The container is no longer running: not ready, and no more probes of this attempt."""
        return replace(self, result=ProbeResult.FAILURE, finished=not will_restart, on_hold=True)


def worker_for(kind: ProbeKind, probe: Probe) -> ProbeWorker:
    return ProbeWorker(kind=kind, probe=probe, result=INITIAL_RESULT[kind])
