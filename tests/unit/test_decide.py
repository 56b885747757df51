"""decide(): the node agent's pure per-pod decision, rule by rule."""
from __future__ import annotations

from dataclasses import replace
from typing import Any

from podcompose.backoff import BackoffEntry
from podcompose.decide import Attempt, PodObservation, SandboxObservation, decide
from podcompose.load import load_text
from podcompose.model import Pod
from podcompose.pods import pods_from_documents
from podcompose.probe import ProbeResult

SANDBOX = "pause1"


def pod(spec: str) -> Pod:
    text = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  terminationGracePeriodSeconds: 2\n" + spec
    return pods_from_documents(load_text(text, "m.yaml"))[0]


def sandbox(p: Pod, running: bool = True, cid: str = SANDBOX) -> SandboxObservation:
    return SandboxObservation(cid, running, p.sandbox_hash(), created_at=0)


def running(p: Pod, name: str, cid: str | None = None, started: float = 1, **kw: Any) -> Attempt:
    return Attempt(name, cid or f"{name}-1", "running", p.container(name).spec_hash(), sandbox_id=SANDBOX,
                   created_at=started, started_at=started, **kw)


def exited(p: Pod, name: str, code: int, cid: str | None = None, started: float = 1, finished: float = 2,
           **kw: Any) -> Attempt:
    return Attempt(name, cid or f"{name}-1", "exited", p.container(name).spec_hash(), sandbox_id=SANDBOX,
                   created_at=started, started_at=started, finished_at=finished, exit_code=code, **kw)


def observe(p: Pod, *attempts: Attempt, box: SandboxObservation | None = None, started_at: float = 0) -> PodObservation:
    return PodObservation(box if box is not None else sandbox(p), attempts, started_at)


def starts(actions) -> list[tuple[str, str]]:
    return [(s.container, s.reason) for s in actions.starts]


SIMPLE = """
  restartPolicy: {policy}
  containers:
  - {{name: app, image: x:1}}
"""


# --- a new pod ---------------------------------------------------------------------------------

def test_new_pod_creates_the_sandbox_and_starts_the_first_init_container_only() -> None:
    p = pod("""
  initContainers:
  - {name: one, image: x:1}
  - {name: two, image: x:1}
  containers:
  - {name: app, image: x:1}
""")
    actions = decide(p, PodObservation(None), {}, now=10)
    assert actions.create_sandbox is not None and actions.create_sandbox.pod_started_at == 10
    assert starts(actions) == [("one", "FirstStart")]
    assert actions.status.phase == "Pending" and actions.status.kubectl_status == "Init:0/2"


def test_init_containers_run_one_at_a_time_then_the_apps() -> None:
    p = pod("""
  initContainers:
  - {name: one, image: x:1}
  - {name: two, image: x:1}
  containers:
  - {name: app, image: x:1}
  - {name: web, image: x:1}
""")
    assert starts(decide(p, observe(p, running(p, "one")), {}, 5)) == []
    assert decide(p, observe(p, running(p, "one")), {}, 5).status.kubectl_status == "Init:0/2"
    after_one = decide(p, observe(p, exited(p, "one", 0)), {}, 5)
    assert starts(after_one) == [("two", "FirstStart")]
    assert after_one.status.kubectl_status == "Init:1/2"
    done = decide(p, observe(p, exited(p, "one", 0), exited(p, "two", 0)), {}, 5)
    assert starts(done) == [("app", "FirstStart"), ("web", "FirstStart")]
    assert done.status.kubectl_status == "PodInitializing"
    assert done.status.ready_column == "0/2"


def test_running_pod_needs_nothing_and_is_ready() -> None:
    p = pod(SIMPLE.format(policy="Always"))
    actions = decide(p, observe(p, running(p, "app")), {}, 100)
    assert actions.nothing_to_do and actions.wake_at is None
    s = actions.status
    assert (s.phase, s.kubectl_status, s.ready_column, s.restarts, s.ready) == ("Running", "Running", "1/1", 0, True)


# --- restart policies ----------------------------------------------------------------------------

def test_always_restarts_an_exit_0_and_a_failure() -> None:
    p = pod(SIMPLE.format(policy="Always"))
    for code in (0, 1):
        actions = decide(p, observe(p, exited(p, "app", code)), {}, 100)
        assert starts(actions) == [("app", "Restart")]
        assert actions.starts[0].restart_count == 1


def test_on_failure_restarts_non_zero_only() -> None:
    p = pod(SIMPLE.format(policy="OnFailure"))
    assert starts(decide(p, observe(p, exited(p, "app", 3)), {}, 100)) == [("app", "Restart")]
    ok = decide(p, observe(p, exited(p, "app", 0)), {}, 100)
    assert ok.starts == ()
    assert ok.status.phase == "Succeeded" and ok.status.kubectl_status == "Completed"
    assert ok.kill_pod is not None and ok.kill_pod.sandbox_id == SANDBOX   # the pause container goes too


def test_never_restarts_nothing_and_the_pod_fails_on_a_failure() -> None:
    p = pod(SIMPLE.format(policy="Never"))
    failed = decide(p, observe(p, exited(p, "app", 2)), {}, 100)
    assert failed.starts == () and failed.status.phase == "Failed"
    assert failed.status.kubectl_status == "Error"
    assert decide(p, observe(p, exited(p, "app", 0)), {}, 100).status.phase == "Succeeded"


def test_oom_killed_is_shown() -> None:
    p = pod(SIMPLE.format(policy="Never"))
    actions = decide(p, observe(p, exited(p, "app", 137, oom_killed=True)), {}, 100)
    assert actions.status.kubectl_status == "OOMKilled"


# --- back-off ----------------------------------------------------------------------------------

def test_back_off_waits_and_is_labelled_on_each_attempt() -> None:
    p = pod(SIMPLE.format(policy="Always"))
    # the first restart is immediate and starts a 10 s back-off entry
    first = decide(p, observe(p, exited(p, "app", 1, finished=50)), {}, 50)
    assert first.starts[0].backoff == BackoffEntry(10, 50)
    # the second attempt carries it: it crashed at 60, so it waits until 70
    second = exited(p, "app", 1, cid="app-2", started=50, finished=60, restart_count=1, backoff=BackoffEntry(10, 50))
    waiting = decide(p, observe(p, exited(p, "app", 1, finished=50), second), {}, 65)
    assert waiting.starts == () and [w.until for w in waiting.waits] == [70] and waiting.wake_at == 70
    assert waiting.status.kubectl_status == "CrashLoopBackOff" and waiting.status.restarts == 1
    assert waiting.status.phase == "Running"
    assert "back-off 10s restarting failed container=app" in waiting.waits[0].message
    over = decide(p, observe(p, second), {}, 70)
    assert starts(over) == [("app", "Restart")]
    assert over.starts[0].backoff == BackoffEntry(20, 70) and over.starts[0].restart_count == 2


def test_back_off_resets_after_ten_minutes_of_running() -> None:
    p = pod(SIMPLE.format(policy="Always"))
    long_run = exited(p, "app", 1, started=1000, finished=1700, restart_count=7, backoff=BackoffEntry(300, 1000))
    actions = decide(p, observe(p, long_run), {}, 1700)
    assert starts(actions) == [("app", "Restart")] and actions.starts[0].backoff == BackoffEntry(10, 1700)


# --- probes --------------------------------------------------------------------------------------

PROBED = """
  restartPolicy: {policy}
  containers:
  - name: app
    image: x:1
    livenessProbe: {{exec: {{command: ["true"]}}, terminationGracePeriodSeconds: 1}}
    readinessProbe: {{exec: {{command: ["true"]}}}}
    startupProbe: {{exec: {{command: ["true"]}}}}
"""


def test_liveness_failure_kills_and_restarts_under_always() -> None:
    p = pod(PROBED.format(policy="Always"))
    a = running(p, "app")
    actions = decide(p, observe(p, a), {("app-1", "startup"): ProbeResult.SUCCESS,
                                        ("app-1", "liveness"): ProbeResult.FAILURE}, 100)
    assert [(k.container_id, k.reason, k.grace_seconds) for k in actions.kills] == [("app-1", "LivenessProbe", 1)]
    assert starts(actions) == [("app", "LivenessProbe")]
    assert "will be restarted" in actions.kills[0].message


def test_liveness_failure_kills_without_restart_under_never() -> None:
    p = pod(PROBED.format(policy="Never"))
    actions = decide(p, observe(p, running(p, "app")), {("app-1", "startup"): ProbeResult.SUCCESS,
                                                        ("app-1", "liveness"): ProbeResult.FAILURE}, 100)
    # its only container will not run again: the whole pod is stopped, with the probe as the reason
    assert actions.starts == () and actions.kill_pod is not None
    assert [(k.container, k.reason) for stage in actions.kill_pod.stages for k in stage] == [("app", "LivenessProbe")]


def test_startup_failure_kills_and_pending_startup_keeps_it_unready() -> None:
    p = pod(PROBED.format(policy="OnFailure"))
    pending = decide(p, observe(p, running(p, "app")), {("app-1", "startup"): ProbeResult.UNKNOWN,
                                                        ("app-1", "readiness"): ProbeResult.SUCCESS}, 100)
    assert pending.nothing_to_do
    assert pending.status.statuses[0].started is False and pending.status.ready_column == "0/1"
    failed = decide(p, observe(p, running(p, "app")), {("app-1", "startup"): ProbeResult.FAILURE}, 100)
    assert [k.reason for k in failed.kills] == ["StartupProbe"] and starts(failed) == [("app", "StartupProbe")]


def test_readiness_sets_ready_and_probe_results_of_an_old_attempt_do_not_count() -> None:
    p = pod(PROBED.format(policy="Always"))
    results = {("app-1", "startup"): ProbeResult.SUCCESS, ("app-1", "readiness"): ProbeResult.SUCCESS}
    assert decide(p, observe(p, running(p, "app")), results, 100).status.ready
    again = running(p, "app", cid="app-2", started=50, restart_count=1)
    s = decide(p, observe(p, exited(p, "app", 1), again), results, 100).status
    assert not s.ready and s.ready_column == "0/1" and s.restarts == 1


# --- spec changes -----------------------------------------------------------------------------

def test_a_changed_container_is_restarted_alone() -> None:
    p = pod("""
  restartPolicy: Never
  containers:
  - {name: app, image: x:1}
  - {name: web, image: x:1}
""")
    stale = replace(running(p, "app"), spec_hash="old")
    actions = decide(p, observe(p, stale, running(p, "web")), {}, 100)
    assert [(k.container, k.reason) for k in actions.kills] == [("app", "SpecChanged")]
    assert starts(actions) == [("app", "SpecChanged")]          # even under Never
    assert actions.create_sandbox is None and actions.kill_pod is None


def test_a_changed_sandbox_recreates_the_whole_pod() -> None:
    p = pod("""
  initContainers:
  - {name: setup, image: x:1}
  containers:
  - {name: app, image: x:1}
""")
    box = replace(sandbox(p), spec_hash="old")
    actions = decide(p, observe(p, exited(p, "setup", 0), running(p, "app"), box=box), {}, 100)
    assert actions.kill_pod is not None and actions.kill_pod.sandbox_id == SANDBOX
    assert actions.create_sandbox is not None and starts(actions) == [("setup", "Restart")]


# --- the pause container is the pod's identity ----------------------------------------------------

def test_pause_gone_recreates_the_pod_with_its_init_containers_again() -> None:
    p = pod("""
  initContainers:
  - {name: setup, image: x:1}
  containers:
  - {name: app, image: x:1}
""")
    seen = observe(p, exited(p, "setup", 0), running(p, "app", started=5), box=sandbox(p, running=False),
                   started_at=3)
    actions = decide(p, seen, {}, 100)
    assert actions.kill_pod is not None
    assert [k.container for stage in actions.kill_pod.stages for k in stage] == ["app"]
    assert actions.create_sandbox is not None and actions.create_sandbox.pod_started_at == 3
    assert starts(actions) == [("setup", "Restart")]
    # the new sandbox exists: the old init run does not count, setup runs again
    new = SandboxObservation("pause2", True, p.sandbox_hash())
    old_app = replace(running(p, "app"), state="exited", exit_code=137, finished_at=100)
    again = decide(p, PodObservation(new, (exited(p, "setup", 0), old_app), 3), {}, 101)
    assert starts(again) == [("setup", "Restart")]
    assert again.status.kubectl_status == "Init:0/1"


def test_pause_gone_of_a_never_pod_that_ran_ends_it() -> None:
    p = pod(SIMPLE.format(policy="Never"))
    actions = decide(p, observe(p, running(p, "app"), box=sandbox(p, running=False)), {}, 100)
    assert actions.create_sandbox is None and actions.kill_pod is not None and actions.starts == ()


def test_containers_left_in_an_old_sandbox_are_killed() -> None:
    p = pod(SIMPLE.format(policy="Always"))
    old = replace(running(p, "app"), sandbox_id="pause0")
    actions = decide(p, observe(p, old), {}, 100)
    assert [(k.container_id, k.reason) for k in actions.kills] == [("app-1", "StaleSandbox")]
    assert starts(actions) == [("app", "Restart")]


# --- init container failures ------------------------------------------------------------------

INIT = """
  restartPolicy: {policy}
  initContainers:
  - {{name: setup, image: x:1}}
  containers:
  - {{name: app, image: x:1}}
"""


def test_init_failure_under_never_fails_the_pod() -> None:
    p = pod(INIT.format(policy="Never"))
    actions = decide(p, observe(p, exited(p, "setup", 1)), {}, 100)
    assert actions.starts == () and actions.status.phase == "Failed"
    assert actions.status.kubectl_status == "Init:Error"


def test_init_failure_otherwise_is_retried_with_back_off() -> None:
    p = pod(INIT.format(policy="Always"))
    first = decide(p, observe(p, exited(p, "setup", 1)), {}, 100)
    assert starts(first) == [("setup", "Restart")] and first.status.phase == "Pending"
    second = exited(p, "setup", 1, cid="setup-2", started=100, finished=101, restart_count=1,
                    backoff=BackoffEntry(10, 100))
    waiting = decide(p, observe(p, exited(p, "setup", 1), second), {}, 102)
    assert waiting.starts == () and waiting.waits[0].until == 111
    assert waiting.status.kubectl_status == "Init:CrashLoopBackOff"
    assert waiting.status.restarts == 1


# --- native sidecars ------------------------------------------------------------------------------

SIDECARS = """
  restartPolicy: {policy}
  initContainers:
  - name: log
    image: x:1
    restartPolicy: Always
    startupProbe: {{exec: {{command: ["true"]}}}}
  - {{name: proxy, image: x:1, restartPolicy: Always}}
  containers:
  - {{name: app, image: x:1}}
"""


def test_the_next_init_container_waits_for_the_sidecars_startup_probe() -> None:
    p = pod(SIDECARS.format(policy="Never"))
    log = running(p, "log")
    waiting = decide(p, observe(p, log), {}, 100)
    assert waiting.starts == () and waiting.status.kubectl_status == "Init:0/2"
    started = decide(p, observe(p, log), {("log-1", "startup"): ProbeResult.SUCCESS}, 100)
    assert starts(started) == [("proxy", "FirstStart")]
    # a sidecar without a startup probe counts as started once it runs
    both = decide(p, observe(p, log, running(p, "proxy")), {("log-1", "startup"): ProbeResult.SUCCESS}, 100)
    assert starts(both) == [("app", "FirstStart")]
    assert both.status.ready_column == "2/3" and both.status.kubectl_status == "PodInitializing"


def test_sidecar_startup_failure_restarts_it() -> None:
    p = pod(SIDECARS.format(policy="Never"))
    actions = decide(p, observe(p, running(p, "log")), {("log-1", "startup"): ProbeResult.FAILURE}, 100)
    assert [k.reason for k in actions.kills] == ["StartupProbe"] and starts(actions) == [("log", "StartupProbe")]


def test_sidecars_restart_when_they_exit_even_under_never() -> None:
    p = pod(SIDECARS.format(policy="Never"))
    actions = decide(p, observe(p, exited(p, "log", 0), running(p, "proxy"), running(p, "app")),
                     {}, 100)
    assert starts(actions) == [("log", "Restart")]
    assert actions.status.phase == "Running"


def test_sidecars_stop_in_reverse_order_when_the_apps_have_ended() -> None:
    for policy, code, phase in (("Never", 0, "Succeeded"), ("Never", 1, "Failed"), ("OnFailure", 0, "Succeeded")):
        p = pod(SIDECARS.format(policy=policy))
        results = {("log-1", "startup"): ProbeResult.SUCCESS}
        actions = decide(p, observe(p, running(p, "log"), running(p, "proxy"), exited(p, "app", code)), results, 100)
        assert actions.starts == () and actions.kill_pod is not None
        assert [[k.container for k in stage] for stage in actions.kill_pod.stages] == [["proxy"], ["log"]]
        assert actions.kill_pod.sandbox_id == SANDBOX
        assert actions.status.phase == phase, policy


def test_an_exited_sidecar_is_not_restarted_once_the_apps_have_ended() -> None:
    p = pod(SIDECARS.format(policy="Never"))
    actions = decide(p, observe(p, exited(p, "log", 0), running(p, "proxy"), exited(p, "app", 0)), {}, 100)
    assert actions.starts == () and actions.kill_pod is not None
    assert [[k.container for k in s] for s in actions.kill_pod.stages] == [["proxy"]]


def test_a_finished_pod_stays_finished_once_its_sandbox_is_stopped() -> None:
    p = pod(SIDECARS.format(policy="Never"))
    stopped = decide(p, observe(p, exited(p, "log", 143), exited(p, "proxy", 143), exited(p, "app", 0),
                                box=sandbox(p, running=False)), {}, 200)
    assert stopped.nothing_to_do and stopped.status.phase == "Succeeded"
    assert stopped.status.kubectl_status == "Completed"


# --- activeDeadlineSeconds --------------------------------------------------------------------

def test_active_deadline_fails_the_pod() -> None:
    p = replace(pod(SIMPLE.format(policy="Always")), active_deadline_seconds=30)
    before = decide(p, observe(p, running(p, "app"), started_at=100), {}, 120)
    assert before.nothing_to_do and before.wake_at == 130
    after = decide(p, observe(p, running(p, "app"), started_at=100), {}, 130)
    assert after.kill_pod is not None and after.kill_pod.reason == "DeadlineExceeded" and after.starts == ()
    assert (after.status.phase, after.status.reason, after.status.kubectl_status) == \
        ("Failed", "DeadlineExceeded", "DeadlineExceeded")
    # once everything is stopped, nothing comes back
    gone = decide(p, observe(p, exited(p, "app", 137), box=sandbox(p, running=False), started_at=100), {}, 200)
    assert gone.starts == () and gone.create_sandbox is None and gone.status.phase == "Failed"


def test_completed_beside_running_shows_not_ready() -> None:
    # kubectl's printPod: "Completed" with a running container reads Running only under the pod's
    # Ready condition, and a terminated container is never ready (GenerateContainersReadyCondition)
    p = pod("""
  restartPolicy: OnFailure
  containers:
  - {name: a, image: x:1}
  - {name: b, image: x:1}
""")
    s = decide(p, observe(p, exited(p, "a", 0), running(p, "b")), {}, 100).status
    assert s.kubectl_status == "NotReady" and s.ready_column == "1/2"
