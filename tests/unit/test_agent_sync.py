"""SyncPod against a fake Docker client: the kubelet's order, attempts moved aside, nothing made once `down` began."""
from __future__ import annotations

from typing import Any

import pytest

from podcompose import naming
from podcompose.runtime import store
from podcompose.agent.sync import PodSyncer
from podcompose.decide import KillContainer, PodActions, StartContainer
from podcompose.load import load_text
from podcompose.pods import pods_from_documents
from podcompose.podstatus import PodStatus
from tests.fake_docker import FakeAPI, FakeClient

POD = """\
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  containers:
  - {name: app, image: busybox:1}
"""


def new_api(desired_exists: bool = True, fail: bool = False) -> FakeAPI:
    """The fake daemon of pod web: its desired state (unless `down` removed it), creates failing with `fail`."""
    api = FakeAPI(fail_every_create=fail)
    if desired_exists:
        labels = naming.pod_labels("default", "web") | {naming.ROLE: "desired"}
        api.add_volume(store.volume_name("default", "web"), labels)
    return api


def add(api: FakeAPI, name: str, container: str, role: str, running: bool, attempt: int = 0) -> str:
    labels = naming.pod_labels("default", "web") | {naming.CONTAINER: container, naming.ROLE: role,
                                                     naming.ATTEMPT: str(attempt)}
    return api.add_container(name, labels, running)


class Prober:
    def track(self, *args: Any) -> None: ...
    def last_messages(self, container_id: str) -> dict: return {}


def syncer(api: FakeAPI) -> tuple[PodSyncer, dict]:
    pod = pods_from_documents(load_text(POD, "pod.yaml"))[0]
    desired = store.Desired(pod, "pause:1", "", "h", store.volume_name("default", "web"))
    failures: dict = {}
    sync = PodSyncer(FakeClient(api), ("default", "web"), desired, Prober(), lambda event: None, failures)
    sync.inspected = list(api.containers_by_id.values())
    return sync, failures


def restart_actions(old_id: str) -> PodActions:
    status = PodStatus("Running", (), ())
    return PodActions(status=status, kills=(KillContainer("app", old_id, "LivenessProbe", "liveness failed", 2),),
                      starts=(StartContainer("app", "app", "LivenessProbe", "restart", 1, None),))


def test_a_restart_kills_then_moves_the_attempt_aside_then_makes_a_new_one() -> None:
    api = new_api()
    add(api, "web_POD", "POD", "pause", True)
    old = add(api, "web_app", "app", "app", True)
    sync, failures = syncer(api)
    assert sync.apply(restart_actions(old)) is True
    assert api.calls == [("stop", old), ("rename", f"{old}->web_app.0"), ("create", "web_app"), ("start", "web_app")]
    assert failures == {}


def test_a_container_that_cannot_be_made_is_recorded_and_its_previous_attempt_stays() -> None:
    api = new_api(fail=True)
    add(api, "web_POD", "POD", "pause", True)
    old = add(api, "web_app", "app", "app", False)
    sync, failures = syncer(api)
    actions = PodActions(status=PodStatus("Running", (), ()),
                         starts=(StartContainer("app", "app", "Restart", "restart", 1, None),))
    assert sync.apply(actions) is False
    [(key, (retry_at, message))] = failures.items()
    assert key == (("default", "web"), "app") and "cannot create web_app" in message
    assert ("rename", f"{old}->web_app.0") in api.calls   # kept, as the previous attempt, for logs --previous
    assert not [c for c in api.calls if c[0] == "create"]


def test_nothing_is_made_once_the_desired_state_is_gone() -> None:
    api = new_api(desired_exists=False)           # `down` removed it first
    add(api, "web_POD", "POD", "pause", True)
    sync, _ = syncer(api)
    actions = PodActions(status=PodStatus("Running", (), ()),
                         starts=(StartContainer("app", "app", "FirstStart", "start", 0, None),))
    assert sync.apply(actions) is False
    assert api.calls == []


@pytest.mark.parametrize("running", [True, False])
def test_older_attempts_than_the_previous_are_removed(running: bool) -> None:
    api = new_api()
    add(api, "web_POD", "POD", "pause", True)
    oldest = add(api, "web_app.0", "app", "app", False, 0)
    current = add(api, "web_app", "app", "app", running, 1)
    sync, _ = syncer(api)
    sync._move_aside("app")
    assert ("remove", oldest) in api.calls and ("rename", f"{current}->web_app.1") in api.calls


def test_the_previous_attempt_stays_while_its_successor_cannot_be_made() -> None:
    api = new_api()
    add(api, "web_POD", "POD", "pause", True)
    previous = add(api, "web_app.0", "app", "app", False, 0)    # moved aside by a try that then failed
    sync, _ = syncer(api)
    api.calls.clear()
    sync._move_aside("app")                                      # the next try: still the previous (logs --previous)
    assert ("remove", previous) not in api.calls and api.calls == []


def test_a_container_whose_next_attempt_cannot_be_made_is_reported_waiting_with_the_reason() -> None:
    from podcompose.podstatus import ContainerStatus

    api = new_api(fail=True)
    add(api, "web_POD", "POD", "pause", True)
    add(api, "web_app", "app", "app", False)
    sync, _ = syncer(api)
    ended = ContainerStatus("app", "app", "terminated", reason="Error", exit_code=1, container_id="id-web_app")
    actions = PodActions(status=PodStatus("Running", (), (ended,)),
                         starts=(StartContainer("app", "app", "Restart", "restart", 1, None),))
    sync.apply(actions)
    [app] = sync.status_record(actions.status).status.statuses
    assert (app.state, app.reason, app.exit_code) == ("waiting", "CreateContainerError", None)
    assert "cannot create web_app" in app.message and app.last_termination is not None
    assert app.last_termination.exit_code == 1
