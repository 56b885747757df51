"""agent.prober: probe workers per running attempt, scheduling, results, messages and events (fake clock)."""
from __future__ import annotations

from concurrent.futures import Executor, Future
from dataclasses import replace
from typing import Any, Callable

from podcompose.agent.prober import PodKey, ProbeManager
from podcompose.decide import Attempt, PodObservation, SandboxObservation, decide
from podcompose.events import Event
from podcompose.load import load_text
from podcompose.model import Pod
from podcompose.pods import pods_from_documents
from podcompose.probe import ProbeOutcome, ProbeResult
from podcompose.probes_model import ExecAction, HTTPGetAction

KEY: PodKey = ("default", "web")
PAUSE = "pause1"
PAUSE_PID = 4242


class Inline(Executor):
    """Runs each submitted call at once, so a test sees its effect on the next line."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        future: Future = Future()
        future.set_result(fn(*args, **kwargs))
        return future


class Deferred(Executor):
    """Holds submitted calls until the test runs them: a probe still in flight."""

    def __init__(self) -> None:
        self.pending: list[Callable[[], Any]] = []

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        self.pending.append(lambda: fn(*args, **kwargs))
        return Future()

    def drain(self) -> None:
        while self.pending:
            self.pending.pop(0)()


class Clock:
    def __init__(self, now: float = 100.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class Probes:
    """Fake probe functions: each call answers with the next outcome queued for that handler kind."""

    def __init__(self) -> None:
        self.exec_answers: list[ProbeOutcome] = []
        self.net_answers: list[ProbeOutcome] = []
        self.calls: list[tuple[str, Any, float]] = []

    def exec_probe(self, container_id: str, action: ExecAction, timeout: float) -> ProbeOutcome:
        self.calls.append((container_id, action, timeout))
        return self.exec_answers.pop(0) if self.exec_answers else ProbeOutcome(ProbeResult.SUCCESS)

    def net_probe(self, pid: int | None, action: Any, timeout: float) -> ProbeOutcome:
        self.calls.append((f"pid:{pid}", action, timeout))
        return self.net_answers.pop(0) if self.net_answers else ProbeOutcome(ProbeResult.SUCCESS)


POD = pods_from_documents(load_text("""
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  containers:
  - name: app
    image: x:1
    ports: [{name: http, containerPort: 8080}]
    readinessProbe: {httpGet: {path: /ready, port: http}, periodSeconds: 5, timeoutSeconds: 2}
    livenessProbe: {exec: {command: [check]}, periodSeconds: 10, failureThreshold: 2}
    startupProbe: {exec: {command: [started]}, periodSeconds: 1, failureThreshold: 30}
  - name: plain
    image: x:1
""", "m.yaml"))[0]


def running(name: str, cid: str, started: float = 100.0, sandbox: str = PAUSE) -> Attempt:
    return Attempt(name, cid, "running", POD.container(name).spec_hash(), sandbox_id=sandbox,
                   created_at=started, started_at=started)


def observation(*attempts: Attempt, sandbox_running: bool = True) -> PodObservation:
    return PodObservation(SandboxObservation(PAUSE, sandbox_running, POD.sandbox_hash()), attempts, 90.0)


def manager(clock: Clock, probes: Probes, executor: Executor | None = None, **kw: Any) -> ProbeManager:
    return ProbeManager(probes.exec_probe, probes.net_probe, clock=clock, executor=executor or Inline(), **kw)


def test_workers_for_running_attempts_only_and_startup_first() -> None:
    clock, probes = Clock(), Probes()
    m = manager(clock, probes)
    m.track(KEY, POD, observation(running("app", "c1"), running("plain", "c2"),
                                  replace(running("app", "old"), state="exited")), PAUSE_PID)
    tasks = m.due()
    assert [(t.container_id, t.kind) for t in tasks] == [("c1", "startup")]   # liveness/readiness wait for it
    assert m.results(KEY) == {("c1", "liveness"): ProbeResult.SUCCESS, ("c1", "readiness"): ProbeResult.FAILURE,
                              ("c1", "startup"): ProbeResult.UNKNOWN}


def test_startup_success_lets_liveness_and_readiness_run_on_their_periods() -> None:
    clock, probes = Clock(), Probes()
    changed: list[PodKey] = []
    m = manager(clock, probes, on_result=changed.append)
    m.track(KEY, POD, observation(running("app", "c1")), PAUSE_PID)
    assert m.run_due() == 1
    assert changed == [KEY]                            # startup passed: decide sees the container started
    assert {t.kind for t in m.due()} == {"liveness", "readiness"}
    m.run_due()
    assert probes.calls[-1][0] == f"pid:{PAUSE_PID}"   # httpGet goes through the pause's netns
    assert probes.calls[-1][1] == HTTPGetAction(port=8080, path="/ready") and probes.calls[-1][2] == 2.0
    assert m.results(KEY)[("c1", "readiness")] is ProbeResult.SUCCESS
    assert m.due() == []
    assert m.next_wake() == 105.0                      # readiness every 5 s; liveness at 110
    clock.now = 105.0
    assert [t.kind for t in m.due()] == ["readiness"]


def test_liveness_failure_reaches_its_threshold_then_holds_until_a_new_attempt() -> None:
    clock, probes = Clock(), Probes()
    changed: list[PodKey] = []
    events: list[Event] = []
    m = manager(clock, probes, on_result=changed.append, sink=events.append)
    m.track(KEY, POD, observation(running("app", "c1")), PAUSE_PID)
    m.run_due()                                                  # startup passes
    probes.exec_answers = [ProbeOutcome(ProbeResult.FAILURE, "sick")]
    probes.net_answers = [ProbeOutcome(ProbeResult.SUCCESS)]
    m.run_due()
    assert m.results(KEY)[("c1", "liveness")] is ProbeResult.SUCCESS      # 1 of failureThreshold 2
    assert changed == [KEY, KEY]                                          # readiness became Success
    clock.now = 110.0
    probes.exec_answers = [ProbeOutcome(ProbeResult.FAILURE, "sick")]
    m.run_due()
    assert m.results(KEY)[("c1", "liveness")] is ProbeResult.FAILURE
    assert changed[-1] == KEY and len(changed) == 3
    assert [e.message for e in events] == ["Liveness probe failed: sick"] * 2
    assert events[0].data["reason"] == "Unhealthy" and events[0].container == "app" and events[0].pod == "web"
    actions = decide(POD, observation(running("app", "c1"), running("plain", "c2")), m.results(KEY), clock.now)
    assert [k.reason for k in actions.kills] == ["LivenessProbe"]
    clock.now = 200.0
    assert all(t.kind != "liveness" for t in m.due())            # on hold: the container is being killed
    m.track(KEY, POD, observation(running("app", "c3", started=201.0)), PAUSE_PID)
    assert set(m.results(KEY)) == {("c3", "liveness"), ("c3", "readiness"), ("c3", "startup")}
    assert m.last_messages("c1") == {"liveness": "Liveness probe failed: sick"}   # kept after it is gone


def test_readiness_failure_message_for_up_wait_and_describe() -> None:
    clock, probes = Clock(), Probes()
    m = manager(clock, probes)
    m.track(KEY, POD, observation(running("app", "c1")), PAUSE_PID)
    m.run_due()
    probes.net_answers = [ProbeOutcome(ProbeResult.FAILURE, "HTTP probe failed with statuscode: 503")]
    m.run_due()
    assert m.last_messages("c1") == {"readiness": "Readiness probe failed: HTTP probe failed with statuscode: 503"}
    clock.now = 105.0
    m.run_due()                                                   # passes now: the message goes
    assert m.last_messages("c1") == {}
    assert m.last_messages("never-seen") == {}


def test_a_probe_that_cannot_run_is_an_error_event_and_counts_nothing() -> None:
    clock, probes = Clock(), Probes()
    events: list[Event] = []
    m = manager(clock, probes, sink=events.append)

    def broken(*_: Any) -> ProbeOutcome:
        raise RuntimeError("daemon went away")

    m._exec_probe = broken
    m.track(KEY, POD, observation(running("app", "c1")), PAUSE_PID)
    m.run_due()
    assert m.results(KEY)[("c1", "startup")] is ProbeResult.UNKNOWN
    assert events[0].message == "Startup probe errored: RuntimeError: daemon went away"
    assert m.next_wake() == 101.0                                 # tried again after its period


def test_in_flight_probes_are_not_due_twice_and_a_dropped_attempt_ignores_its_late_result() -> None:
    clock, probes = Clock(), Probes()
    pool = Deferred()
    woken: list[bool] = []
    changed: list[PodKey] = []
    m = manager(clock, probes, executor=pool, wake=lambda: woken.append(True), on_result=changed.append)
    m.track(KEY, POD, observation(running("app", "c1")), PAUSE_PID)
    m.run_due()
    assert m.due() == [] and m.next_wake() is None
    m.track(KEY, POD, observation(), PAUSE_PID)                   # the attempt is gone meanwhile
    pool.drain()
    assert m.results(KEY) == {} and changed == [] and woken == [True]


def test_attempts_of_a_dead_sandbox_are_not_probed_and_forget_drops_the_pod() -> None:
    clock, probes = Clock(), Probes()
    m = manager(clock, probes)
    m.track(KEY, POD, observation(running("app", "c1", sandbox="old-pause")), PAUSE_PID)
    assert m.results(KEY) == {}
    m.track(KEY, POD, observation(running("app", "c1"), sandbox_running=False), PAUSE_PID)
    assert m.results(KEY) == {}
    m.track(KEY, POD, observation(running("app", "c1")), PAUSE_PID)
    assert m.results(KEY)
    m.forget(KEY)
    assert m.results(KEY) == {} and m.next_wake() is None


def test_initial_delay_and_a_restarted_container_start_over() -> None:
    pod = pods_from_documents(load_text("""
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  containers:
  - name: app
    image: x:1
    livenessProbe: {tcpSocket: {port: 80}, initialDelaySeconds: 15}
""", "m.yaml"))[0]
    clock, probes = Clock(), Probes()
    m = manager(clock, probes)
    attempt = Attempt("app", "c1", "running", pod.container("app").spec_hash(), sandbox_id=PAUSE,
                      started_at=100.0)
    obs = PodObservation(SandboxObservation(PAUSE, True, pod.sandbox_hash()), (attempt,))
    m.track(KEY, pod, obs, None)
    assert m.due() == [] and m.next_wake() == 115.0
    clock.now = 115.0
    m.run_due()
    assert probes.calls[-1][0] == "pid:None"                     # hostNetwork: no pause pid
    m.track(KEY, pod, replace(obs, attempts=(replace(attempt, started_at=300.0),)), None)
    assert m.next_wake() == 315.0
