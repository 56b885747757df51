"""agent.labels: the agent's labels on attempts and sandboxes, and docker inspect -> PodObservation."""
from __future__ import annotations

from typing import Any

from podcompose import naming
from podcompose.agent.labels import (STALE_SANDBOX_PREFIX, attempt_labels, docker_time, observation_from_inspect,
                                     sandbox_labels)
from podcompose.backoff import BackoffEntry
from podcompose.decide import CreateSandbox, StartContainer, decide
from podcompose.load import load_text
from podcompose.model import Pod
from podcompose.pods import pods_from_documents

POD_HASH = "0123456789abcdef"   # the pod-level spec-hash label translate.py writes (plan.pod_hash)
PAUSE_ID = "a" * 64
NEVER = "0001-01-01T00:00:00Z"


def pod(spec: str, name: str = "web") -> Pod:
    text = f"apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}}}\nspec:\n" + spec
    return pods_from_documents(load_text(text, "m.yaml"))[0]


WEB = pod("""
  initContainers:
  - {name: setup, image: x:1}
  containers:
  - {name: app, image: x:1}
""")


def base_labels(p: Pod, container: str, role: str) -> dict[str, str]:
    """What translate.py puts on every container of a pod today."""
    return naming.pod_labels(p.namespace, p.name) | {
        naming.CONTAINER: container, naming.ROLE: role, naming.ORDER: "1", naming.SPEC_HASH: POD_HASH,
        naming.SOURCE: "/tmp/pod.yaml", naming.GRACE: "30"}


def inspect(cid: str, name: str, labels: dict[str, str], status: str = "running", *, exit_code: int = 0,
            created: str = "2026-12-01T10:00:00.000000001Z", started: str = "2026-12-01T10:00:01.5Z",
            finished: str = NEVER, oom: bool = False, network: str = "", restart_count: int = 0) -> dict[str, Any]:
    """A `docker inspect` dict as Docker 20.10 returns it (the fields the agent reads)."""
    return {
        "Id": cid, "Name": "/" + name, "Created": created, "RestartCount": restart_count,
        "Config": {"Labels": labels, "Image": "x:1"},
        "HostConfig": {"NetworkMode": network or "default", "IpcMode": network or "shareable"},
        "State": {"Status": status, "Running": status in ("running", "paused", "restarting"),
                  "Paused": status == "paused", "Restarting": status == "restarting", "OOMKilled": oom,
                  "Dead": status == "dead", "Pid": 42 if status == "running" else 0, "ExitCode": exit_code,
                  "Error": "", "StartedAt": started, "FinishedAt": finished},
    }


def legacy_pause(status: str = "running", cid: str = PAUSE_ID, started: str = "2026-12-01T10:00:00.5Z",
                 **kw: Any) -> dict[str, Any]:
    return inspect(cid, "web_POD", base_labels(WEB, naming.PAUSE_CONTAINER, "pause"), status,
                   created="2026-12-01T10:00:00.1Z", started=started, **kw)


def legacy(container: str, role: str, cid: str, status: str = "running", pause: str = PAUSE_ID,
           **kw: Any) -> dict[str, Any]:
    kw.setdefault("created", "2026-12-01T10:00:00.2Z")
    return inspect(cid, f"web_{container}", base_labels(WEB, container, role), status,
                   network=f"container:{pause}", **kw)


# --- times ---------------------------------------------------------------------------------------

def test_docker_times_keep_nanoseconds_offsets_and_never() -> None:
    assert docker_time("1970-01-01T00:00:10Z") == 10.0
    assert abs(docker_time("2026-12-01T21:34:17.634258508Z") - 1796160857.634258508) < 1e-6
    assert docker_time("1970-01-01T02:00:10+02:00") == 10.0
    assert docker_time(NEVER) is None
    assert docker_time("") is None and docker_time(None) is None and docker_time("yesterday") is None


# --- labels written, then read back ----------------------------------------------------------------

def test_attempt_and_sandbox_labels_round_trip_through_inspect() -> None:
    app = WEB.container("app")
    start = StartContainer("app", "app", "Restart", "restarting", restart_count=3,
                           backoff=BackoffEntry(40.0, 1796161457.123456))
    pause_labels = base_labels(WEB, naming.PAUSE_CONTAINER, "pause") | sandbox_labels(
        WEB, CreateSandbox("new pod", 1796160000.25))
    app_labels = base_labels(WEB, "app", "app") | attempt_labels(WEB, app, start, PAUSE_ID)
    assert all(isinstance(v, str) for v in app_labels.values())
    observation = observation_from_inspect(WEB, [
        inspect(PAUSE_ID, "web_POD", pause_labels, started="2026-12-01T10:00:00.5Z"),
        inspect("b" * 64, "web_app", app_labels, "exited", exit_code=2, finished="2026-12-01T10:00:03Z")])
    assert observation.sandbox is not None
    assert observation.sandbox.spec_hash == WEB.sandbox_hash() and observation.sandbox.running
    assert observation.started_at == 1796160000.25
    (attempt,) = observation.attempts
    assert attempt.spec_hash == app.spec_hash()
    assert (attempt.restart_count, attempt.sandbox_id) == (3, PAUSE_ID)
    assert attempt.backoff == BackoffEntry(40.0, 1796161457.123456)
    assert (attempt.state, attempt.exit_code) == ("exited", 2)
    assert attempt.finished_at == docker_time("2026-12-01T10:00:03Z")


def test_a_first_start_carries_no_backoff_labels() -> None:
    start = StartContainer("app", "app", "FirstStart", "starting app", restart_count=0, backoff=None)
    labels = attempt_labels(WEB, WEB.container("app"), start, PAUSE_ID)
    assert naming.BACKOFF_SECONDS not in labels and naming.BACKOFF_SINCE not in labels
    assert labels[naming.RESTART_COUNT] == "0" and labels[naming.SANDBOX_ID] == PAUSE_ID


# --- containers made by today's `up` ------------------------------------------------------------------

def test_a_pod_made_before_the_agent_is_a_healthy_pod_with_nothing_to_do() -> None:
    observation = observation_from_inspect(WEB, [
        legacy_pause(),
        legacy("setup", "init", "c" * 64, "exited", exit_code=0, finished="2026-12-01T10:00:02Z"),
        legacy("app", "app", "d" * 64, started="2026-12-01T10:00:03Z")], pod_hash=POD_HASH)
    assert observation.sandbox is not None and observation.sandbox.spec_hash == WEB.sandbox_hash()
    for attempt in observation.attempts:
        assert attempt.sandbox_id == PAUSE_ID           # from HostConfig.NetworkMode container:<id>
        assert attempt.restart_count == 0 and attempt.backoff is None
        assert attempt.spec_hash == WEB.container(attempt.container).spec_hash()
    assert observation.started_at == docker_time("2026-12-01T10:00:00.1Z")   # the pause's Created
    actions = decide(WEB, observation, {}, now=docker_time("2026-12-01T10:05:00Z"))
    assert actions.nothing_to_do
    assert actions.status.phase == "Running"


def test_pre_agent_containers_of_another_pod_hash_count_as_changed() -> None:
    observation = observation_from_inspect(WEB, [legacy_pause(), legacy("app", "app", "d" * 64)],
                                           pod_hash="ffffffffffffffff")
    assert observation.sandbox is not None and observation.sandbox.spec_hash != WEB.sandbox_hash()
    assert observation.attempts[0].spec_hash != WEB.container("app").spec_hash()


def test_docker_restart_count_stands_in_for_the_missing_label() -> None:
    (attempt,) = observation_from_inspect(WEB, [legacy_pause(), legacy("app", "app", "d" * 64,
                                                                     restart_count=4)]).attempts
    assert attempt.restart_count == 4


def test_an_attempt_joined_to_a_pause_that_is_gone_is_stale() -> None:
    gone = "e" * 64
    observation = observation_from_inspect(WEB, [legacy_pause(), legacy("app", "app", "d" * 64, pause=gone)])
    assert observation.attempts[0].sandbox_id == gone
    actions = decide(WEB, observation, {}, now=docker_time("2026-12-01T10:05:00Z"))
    assert [k.reason for k in actions.kills] == ["StaleSandbox"]


def test_an_attempt_started_before_its_pause_restarted_is_in_a_dead_netns() -> None:
    # `docker restart web_POD` keeps the id but makes a new network namespace
    observation = observation_from_inspect(WEB, [
        legacy_pause(started="2026-12-01T11:00:00Z"),
        legacy("setup", "init", "c" * 64, "exited", finished="2026-12-01T10:00:02Z"),
        legacy("app", "app", "d" * 64, started="2026-12-01T10:00:03Z")])
    assert {a.sandbox_id for a in observation.attempts} == {STALE_SANDBOX_PREFIX + PAUSE_ID}
    actions = decide(WEB, observation, {}, now=docker_time("2026-12-01T11:00:01Z"))
    assert [k.reason for k in actions.kills] == ["StaleSandbox"]
    assert [s.container for s in actions.starts] == ["setup"]    # a new sandbox runs its init containers again


def test_the_running_pause_is_the_sandbox_and_older_ones_lend_their_start_time() -> None:
    old = legacy_pause("exited", cid="f" * 64, exit_code=0, finished="2026-12-01T10:30:00Z")
    old["Config"]["Labels"] = old["Config"]["Labels"] | {naming.POD_STARTED_AT: "1000.5"}
    new = legacy_pause(started="2026-12-01T10:31:00Z")
    new["Created"] = "2026-12-01T10:31:00Z"
    observation = observation_from_inspect(WEB, [new, old])
    assert observation.sandbox is not None and observation.sandbox.container_id == PAUSE_ID
    assert observation.started_at == 1000.5


def test_docker_states_map_to_the_kubelets() -> None:
    states = {status: observation_from_inspect(WEB, [legacy_pause(), legacy("app", "app", "d" * 64, status)])
              .attempts[0].state for status in ("created", "running", "paused", "restarting", "removing",
                                                "exited", "dead")}
    assert states == {"created": "created", "running": "running", "paused": "running", "restarting": "unknown",
                      "removing": "unknown", "exited": "exited", "dead": "exited"}


def test_oom_and_never_started_containers() -> None:
    oom, created = observation_from_inspect(WEB, [
        legacy("app", "app", "d" * 64, "exited", exit_code=137, oom=True, finished="2026-12-01T10:00:09Z"),
        legacy("setup", "init", "c" * 64, "created", exit_code=128, started=NEVER)]).attempts
    assert (oom.exit_code, oom.oom_killed) == (137, True)
    assert (created.state, created.started_at, created.exit_code, created.finished_at) == ("created", None, None, None)


def test_helpers_other_pods_and_unlabelled_containers_are_ignored() -> None:
    other = pod("  containers:\n  - {name: app, image: x:1}\n", name="other")
    helper = inspect("1" * 64, "helper", naming.pod_labels("default", "web") | {naming.ROLE: "helper"}, "created")
    stranger = inspect("2" * 64, "web_app", {"com.example": "x"})
    other_pods = inspect("3" * 64, "other_app", base_labels(other, "app", "app"))
    other_ns = inspect("4" * 64, "dev_web_app", base_labels(WEB, "app", "app") | {naming.NAMESPACE: "dev"})
    observation = observation_from_inspect(WEB, [helper, stranger, other_pods, other_ns])
    assert observation.sandbox is None and observation.attempts == () and observation.started_at is None


def test_no_pause_container_left() -> None:
    observation = observation_from_inspect(WEB, [legacy("app", "app", "d" * 64)])
    assert observation.sandbox is None
    assert observation.attempts[0].sandbox_id == PAUSE_ID
    assert observation.started_at == docker_time("2026-12-01T10:00:00.2Z")
    actions = decide(WEB, observation, {}, now=docker_time("2026-12-01T10:05:00Z"))
    assert actions.create_sandbox is not None and actions.kill_pod is not None
