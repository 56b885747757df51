"""cli.status_view: `ps` rows and JSON fields in kubectl's formats."""
from __future__ import annotations

from typing import Any

import pytest

from podcompose.cli.status_view import (COLUMNS, extend_ps_data, human_duration, pod_row, restarts_column,
                                          since, status_column)
from podcompose.decide import Attempt, PodObservation, SandboxObservation, decide
from podcompose.load import load_text
from podcompose.model import Pod
from podcompose.pods import pods_from_documents
from podcompose.probe import ProbeResult

S, M, H, D, Y = 1, 60, 3600, 86400, 365 * 86400
MS = 0.001

# apimachinery's own tables (pkg/util/duration/duration_test.go: TestHumanDuration and its boundaries)
KUBECTL_DURATIONS = [
    (1 * S, "1s"), (70 * S, "70s"), (190 * S, "3m10s"), (70 * M, "70m"), (47 * H, "47h"), (49 * H, "2d1h"),
    ((8 * 24 + 2) * H, "8d"), (367 * D, "367d"), ((365 * 2 * 24 + 25) * H, "2y1d"), ((365 * 8 * 24 + 2) * H, "8y"),
    (-2 * S, "<invalid>"), (-2 * S + 1e-9, "0s"), (0, "0s"), (S - MS, "0s"), (2 * M - MS, "119s"), (2 * M, "2m"),
    (2 * M + S, "2m1s"), (10 * M - MS, "9m59s"), (10 * M, "10m"), (10 * M + S, "10m"), (3 * H - MS, "179m"),
    (3 * H, "3h"), (3 * H + M, "3h1m"), (8 * H - MS, "7h59m"), (8 * H, "8h"), (8 * H + 59 * M, "8h"),
    (2 * D - MS, "47h"), (2 * D, "2d"), (2 * D + H, "2d1h"), (8 * D - MS, "7d23h"), (8 * D, "8d"),
    (8 * D + 23 * H, "8d"), (2 * Y - MS, "729d"), (2 * Y, "2y"), (2 * Y + 23 * H, "2y"), (2 * Y + D - MS, "2y"),
    (2 * Y + D, "2y1d"), (3 * Y, "3y"), (7 * Y, "7y"), (8 * Y - MS, "7y364d"), (8 * Y, "8y"), (8 * Y + 364 * D, "8y"),
    (9 * Y, "9y"),
]


@pytest.mark.parametrize("seconds,text", KUBECTL_DURATIONS)
def test_human_duration_matches_apimachinery(seconds: float, text: str) -> None:
    assert human_duration(seconds) == text


def test_since_a_time_never_known() -> None:
    assert since(None, 100.0) == "<unknown>" and since(0.0, 100.0) == "<unknown>"
    assert since(40.0, 100.0) == "60s"


SANDBOX = "pause1"


def pod(spec: str) -> Pod:
    return pods_from_documents(load_text("apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n" + spec,
                                         "m.yaml"))[0]


def attempt(p: Pod, name: str, cid: str, state: str = "running", **kw: Any) -> Attempt:
    kw.setdefault("created_at", 10.0)
    kw.setdefault("started_at", kw["created_at"])
    return Attempt(name, cid, state, p.container(name).spec_hash(), sandbox_id=SANDBOX, **kw)  # type: ignore[arg-type]


def observed(p: Pod, *attempts: Attempt, started_at: float | None = 1000.0) -> PodObservation:
    return PodObservation(SandboxObservation(SANDBOX, True, p.sandbox_hash(), created_at=999.0), attempts, started_at)


TWO = pod("""
  restartPolicy: Always
  containers:
  - name: app
    image: x:1
    readinessProbe: {exec: {command: [ok]}}
  - {name: side, image: x:1}
""")


def test_a_running_pod_with_one_container_not_ready_and_restarts_ago() -> None:
    obs = observed(TWO,
                   attempt(TWO, "app", "a" * 64, created_at=1100.0),
                   attempt(TWO, "side", "b0" * 32, "exited", exit_code=1, created_at=1001.0, finished_at=1150.0),
                   attempt(TWO, "side", "b1" * 32, created_at=1160.0, restart_count=1))
    now = 1000.0 + 200.0
    status = decide(TWO, obs, {("a" * 64, "readiness"): ProbeResult.FAILURE}, now).status
    row = pod_row("web", status, obs, now)
    assert COLUMNS == ("NAME", "READY", "STATUS", "RESTARTS", "AGE")
    assert row.cells() == ["web", "1/2", "Running", "1 (50s ago)", "3m20s"]
    ready = decide(TWO, obs, {("a" * 64, "readiness"): ProbeResult.SUCCESS}, now).status
    assert pod_row("web", ready, obs, now).ready == "2/2"


def test_crash_loop_back_off_and_the_restart_column() -> None:
    one = pod("  restartPolicy: Always\n  containers:\n  - {name: app, image: x:1}\n")
    from podcompose.backoff import BackoffEntry
    obs = observed(one,
                   attempt(one, "app", "c0" * 32, "exited", exit_code=2, created_at=1001.0, finished_at=1002.0),
                   attempt(one, "app", "c1" * 32, "exited", exit_code=2, created_at=1012.0, finished_at=1013.0,
                           restart_count=1, backoff=BackoffEntry(10.0, 1012.0)))
    now = 1013.0 + 5.0
    status = decide(one, obs, {}, now).status
    assert pod_row("web", status, obs, now).cells() == ["web", "0/1", "CrashLoopBackOff", "1 (5s ago)", "18s"]


def test_init_progress_and_terminating() -> None:
    p = pod("""
  initContainers:
  - {name: one, image: x:1}
  - {name: two, image: x:1}
  containers:
  - {name: app, image: x:1}
""")
    obs = observed(p, attempt(p, "one", "i1" * 32, "exited", exit_code=0, finished_at=11.0),
                   attempt(p, "two", "i2" * 32, created_at=12.0))
    status = decide(p, obs, {}, 1010.0).status
    row = pod_row("web", status, obs, 1010.0)
    assert (row.ready, row.status, row.restarts) == ("0/1", "Init:1/2", "0")
    assert status_column(status, terminating=True) == "Terminating"


def test_completed_beside_running_is_not_ready() -> None:
    p = pod("""
  restartPolicy: OnFailure
  containers:
  - {name: job, image: x:1}
  - {name: web, image: x:1}
""")
    obs = observed(p, attempt(p, "job", "j" * 64, "exited", exit_code=0, finished_at=20.0),
                   attempt(p, "web", "w" * 64))
    status = decide(p, obs, {}, 1010.0).status
    # kubectl: a Completed container beside a running one reads Running only when the pod is Ready
    assert pod_row("web", status, obs, 1010.0).cells()[1:3] == ["1/2", "NotReady"]


def test_finished_pods_and_oom() -> None:
    one = pod("  restartPolicy: Never\n  containers:\n  - {name: app, image: x:1}\n")
    for code, oom, text in ((0, False, "Completed"), (1, False, "Error"), (137, True, "OOMKilled")):
        obs = observed(one, attempt(one, "app", "d" * 64, "exited", exit_code=code, oom_killed=oom, finished_at=30.0))
        status = decide(one, obs, {}, 1010.0).status
        assert status_column(status) == text
        assert restarts_column(status, 1010.0) == "0"


def test_age_falls_back_to_the_sandbox_and_then_unknown() -> None:
    one = pod("  containers:\n  - {name: app, image: x:1}\n")
    obs = observed(one, attempt(one, "app", "e" * 64), started_at=None)
    status = decide(one, obs, {}, 1059.0).status
    assert pod_row("web", status, obs, 1059.0).age == "60s"
    bare = PodObservation(None, (), None)
    assert pod_row("web", decide(one, bare, {}, 5.0).status, bare, 5.0).age == "<unknown>"


def test_ps_json_gains_fields_and_keeps_every_existing_one() -> None:
    obs = observed(TWO,
                   attempt(TWO, "app", "a" * 64, created_at=1100.0),
                   attempt(TWO, "side", "b0" * 32, "exited", exit_code=1, created_at=1001.0, finished_at=1150.0),
                   attempt(TWO, "side", "b1" * 32, created_at=1160.0, restart_count=1))
    status = decide(TWO, obs, {("a" * 64, "readiness"): ProbeResult.FAILURE}, 1200.0).status
    existing = {"namespace": "default", "name": "web", "phase": "Running", "source": "pod.yaml", "volumes": [],
                "containers": [
                    {"name": "POD", "role": "pause", "state": "running", "exitCode": None, "restarts": 0,
                     "image": "pause", "id": "p" * 12, "dockerName": "web_POD", "startedAt": None},
                    {"name": "app", "role": "app", "state": "running", "exitCode": None, "restarts": 0,
                     "image": "x:1", "id": "a" * 12, "dockerName": "web_app", "startedAt": None},
                    {"name": "side", "role": "app", "state": "exited", "exitCode": 1, "restarts": 0,
                     "image": "x:1", "id": ("b0" * 32)[:12], "dockerName": "web_side_0", "startedAt": None},
                    {"name": "side", "role": "app", "state": "running", "exitCode": None, "restarts": 0,
                     "image": "x:1", "id": ("b1" * 32)[:12], "dockerName": "web_side", "startedAt": None}]}
    data = extend_ps_data(existing, status, obs, 1200.0)
    assert {k: data[k] for k in ("ready", "status", "restarts", "age")} == \
        {"ready": "1/2", "status": "Running", "restarts": 1, "age": "3m20s"}
    for before, after in zip(existing["containers"], data["containers"]):
        assert after.items() >= before.items()                     # only added, never renamed
    pause, app, old_side, side = data["containers"]
    assert "ready" not in pause
    assert (app["ready"], app["reason"]) == (False, None)
    assert (old_side["ready"], old_side["reason"]) == (False, "Error")
    assert (side["ready"], side["reason"]) == (True, None)
    assert existing["containers"][1].keys() == {"name", "role", "state", "exitCode", "restarts", "image", "id",
                                                "dockerName", "startedAt"}           # the input is left alone
