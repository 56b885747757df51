"""Probe workers: initial delay, period, thresholds, startup gating, initial results."""
from __future__ import annotations

from podcompose.probe import ProbeOutcome, ProbeResult, worker_for
from podcompose.probes_model import ExecAction, Probe

OK = ProbeOutcome(ProbeResult.SUCCESS, "ok")
BAD = ProbeOutcome(ProbeResult.FAILURE, "boom")
ERROR = ProbeOutcome(ProbeResult.UNKNOWN, "exec failed")


def probe(**kw) -> Probe:
    return Probe(ExecAction(("true",)), **kw)


def test_initial_results_per_kind() -> None:
    assert worker_for("readiness", probe()).for_container("c1", 0).result is ProbeResult.FAILURE
    assert worker_for("liveness", probe()).for_container("c1", 0).result is ProbeResult.SUCCESS
    assert worker_for("startup", probe()).for_container("c1", 0).result is ProbeResult.UNKNOWN


def test_initial_delay_then_period() -> None:
    w = worker_for("liveness", probe(initial_delay_seconds=5, period_seconds=10)).for_container("c1", 100)
    assert w.next_probe_at(started=True) == 105
    assert not w.due(104.9, True) and w.due(105, True)
    w = w.record(OK, 105.2)
    assert w.next_probe_at(True) == 115.2


def test_failure_threshold_and_last_message() -> None:
    w = worker_for("liveness", probe(failure_threshold=3)).for_container("c1", 0)
    w = w.record(BAD, 1)
    w = w.record(BAD, 2)
    assert w.result is ProbeResult.SUCCESS and w.message == "boom"
    w = w.record(BAD, 3)
    assert w.result is ProbeResult.FAILURE
    # liveness failed: held until a new attempt, which starts afresh
    assert w.next_probe_at(True) is None
    fresh = w.for_container("c2", 10)
    assert fresh.result is ProbeResult.SUCCESS and fresh.next_probe_at(True) == 10


def test_a_success_between_failures_restarts_the_count() -> None:
    w = worker_for("liveness", probe(failure_threshold=2)).for_container("c1", 0)
    for outcome in (BAD, OK, BAD):
        w = w.record(outcome, 1)
    assert w.result is ProbeResult.SUCCESS
    assert w.record(BAD, 2).result is ProbeResult.FAILURE


def test_success_threshold_for_readiness() -> None:
    w = worker_for("readiness", probe(success_threshold=2)).for_container("c1", 0)
    w = w.record(OK, 1)
    assert w.result is ProbeResult.FAILURE
    assert w.record(OK, 2).result is ProbeResult.SUCCESS


def test_probe_errors_are_thrown_away() -> None:
    w = worker_for("readiness", probe(failure_threshold=1)).for_container("c1", 0).record(OK, 1)
    w = w.record(ERROR, 2)
    assert w.result is ProbeResult.SUCCESS and w.last_probe_at == 2


def test_startup_gates_liveness_and_readiness_and_stops_once_started() -> None:
    live = worker_for("liveness", probe()).for_container("c1", 0)
    ready = worker_for("readiness", probe()).for_container("c1", 0)
    startup = worker_for("startup", probe()).for_container("c1", 0)
    assert live.next_probe_at(started=False) is None and ready.next_probe_at(started=False) is None
    assert startup.next_probe_at(started=False) == 0
    assert startup.record(OK, 1).result is ProbeResult.SUCCESS
    assert startup.next_probe_at(started=True) is None
    assert live.next_probe_at(started=True) == 0


def test_startup_failure_holds_the_worker() -> None:
    w = worker_for("startup", probe(failure_threshold=1)).for_container("c1", 0).record(BAD, 1)
    assert w.result is ProbeResult.FAILURE and w.next_probe_at(False) is None


def test_a_stopped_container_is_not_ready() -> None:
    w = worker_for("readiness", probe()).for_container("c1", 0).record(OK, 1)
    assert w.container_stopped(will_restart=True).result is ProbeResult.FAILURE


def test_same_attempt_keeps_its_state() -> None:
    w = worker_for("readiness", probe()).for_container("c1", 0).record(OK, 1)
    assert w.for_container("c1", 0) is w
