"""SyncPod against a fake Docker client: the kubelet's order, attempts moved aside, nothing made once `down` began."""
from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import docker.errors
import pytest

from podcompose import naming
from podcompose.runtime import store
from podcompose.agent.sync import PodSyncer
from podcompose.decide import KillContainer, PodActions, StartContainer
from podcompose.load import load_text
from podcompose.model import pods_from_documents
from podcompose.podstatus import PodStatus

POD = """\
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  containers:
  - {name: app, image: busybox:1}
"""


class FakeAPI:
    api_version = "1.41"

    def __init__(self, desired_exists: bool = True) -> None:
        self.calls: list[tuple[str, str]] = []
        self.by_name: dict[str, dict[str, Any]] = {}
        self.desired_exists = desired_exists

    def add(self, name: str, container: str, role: str, running: bool, attempt: int = 0) -> str:
        container_id = f"id-{name}" if f"id-{name}" not in {a["Id"] for a in self.by_name.values()} \
            else f"id-{name}-{len(self.by_name)}"
        labels = naming.pod_labels("default", "web") | {naming.CONTAINER: container, naming.ROLE: role,
                                                         naming.ATTEMPT: str(attempt)}
        self.by_name[name] = {"Id": container_id, "Name": "/" + name, "Config": {"Labels": labels},
                              "State": {"Running": running, "Status": "running" if running else "exited", "Pid": 42}}
        return container_id

    def containers(self, all: bool = False, filters: dict | None = None) -> list[dict]:
        return [{"Id": a["Id"]} for a in self.by_name.values()]

    def inspect_container(self, ref: str) -> dict:
        for name, attrs in self.by_name.items():
            if ref in (name, attrs["Id"]):
                return attrs
        raise docker.errors.NotFound("no such container")

    def inspect_volume(self, name: str) -> dict:
        if name == store.volume_name("default", "web") and self.desired_exists:
            return {"Name": name, "Labels": naming.pod_labels("default", "web") | {naming.ROLE: "desired"}}
        raise docker.errors.NotFound("no such volume")

    def rename(self, container_id: str, name: str) -> None:
        self.calls.append(("rename", f"{container_id}->{name}"))
        old = next(n for n, a in self.by_name.items() if a["Id"] == container_id)
        attrs = self.by_name.pop(old)
        attrs["Name"] = "/" + name
        self.by_name[name] = attrs

    def stop(self, container_id: str, timeout: int = 0) -> None:
        self.calls.append(("stop", container_id))

    def remove_container(self, container_id: str, force: bool = False) -> None:
        if container_id == "helper":
            return
        self.calls.append(("remove", container_id))
        self.by_name = {n: a for n, a in self.by_name.items() if a["Id"] != container_id}

    fail = False

    def create_container(self, image: str, name: str = "", labels: dict | None = None, **_: Any) -> dict:
        if self.fail:
            raise docker.errors.APIError("boom", explanation="no room for " + name)
        labels = labels or {}
        if labels.get(naming.ROLE) == "helper":
            return {"Id": "helper"}     # the never-started container the image's /etc/passwd is read from
        self.calls.append(("create", name))
        return {"Id": self.add(name, labels[naming.CONTAINER], labels[naming.ROLE], True,
                               int(labels.get(naming.ATTEMPT, "0")))}

    def inspect_image(self, image: str) -> dict:
        return {"Id": "sha256:fake-" + image, "Config": {}}

    def get_archive(self, container_id: str, path: str) -> tuple:
        raise docker.errors.NotFound("no such file")    # an image without /etc/passwd or /etc/group

    def start(self, container_id: str) -> None:
        self.calls.append(("start", next(n for n, a in self.by_name.items() if a["Id"] == container_id)))


class FakeClient:
    def __init__(self, api: FakeAPI, fail: bool = False) -> None:
        self.api = api
        api.fail = fail


class Prober:
    def track(self, *args: Any) -> None: ...
    def last_messages(self, container_id: str) -> dict: return {}


def syncer(api: FakeAPI, fail: bool = False) -> tuple[PodSyncer, dict]:
    pod = pods_from_documents(load_text(POD, "pod.yaml"))[0]
    desired = store.Desired(pod, "pause:1", "", "h", store.volume_name("default", "web"))
    failures: dict = {}
    sync = PodSyncer(FakeClient(api, fail), ("default", "web"), desired, Prober(), lambda event: None, failures)
    sync.inspected = [api.inspect_container(n) for n in list(api.by_name)]
    return sync, failures


def restart_actions(old_id: str) -> PodActions:
    status = PodStatus("Running", (), ())
    return PodActions(status=status, kills=(KillContainer("app", old_id, "LivenessProbe", "liveness failed", 2),),
                      starts=(StartContainer("app", "app", "LivenessProbe", "restart", 1, None),))


def test_a_restart_kills_then_moves_the_attempt_aside_then_makes_a_new_one() -> None:
    api = FakeAPI()
    api.add("web_POD", "POD", "pause", True)
    old = api.add("web_app", "app", "app", True)
    sync, failures = syncer(api)
    assert sync.apply(restart_actions(old)) is True
    assert api.calls == [("stop", old), ("rename", f"{old}->web_app.0"), ("create", "web_app"), ("start", "web_app")]
    assert failures == {}


def test_a_container_that_cannot_be_made_is_recorded_and_its_previous_attempt_stays() -> None:
    api = FakeAPI()
    api.add("web_POD", "POD", "pause", True)
    old = api.add("web_app", "app", "app", False)
    sync, failures = syncer(api, fail=True)
    actions = PodActions(status=PodStatus("Running", (), ()),
                         starts=(StartContainer("app", "app", "Restart", "restart", 1, None),))
    assert sync.apply(actions) is False
    [(key, (retry_at, message))] = failures.items()
    assert key == (("default", "web"), "app") and "no room for web_app" in message
    assert ("rename", f"{old}->web_app.0") in api.calls   # kept, as the previous attempt, for logs --previous
    assert not [c for c in api.calls if c[0] == "create"]


def test_nothing_is_made_once_the_desired_state_is_gone() -> None:
    api = FakeAPI(desired_exists=False)           # `down` removed it first
    api.add("web_POD", "POD", "pause", True)
    sync, _ = syncer(api)
    actions = PodActions(status=PodStatus("Running", (), ()),
                         starts=(StartContainer("app", "app", "FirstStart", "start", 0, None),))
    assert sync.apply(actions) is False
    assert api.calls == []


@pytest.mark.parametrize("running", [True, False])
def test_older_attempts_than_the_previous_are_removed(running: bool) -> None:
    api = FakeAPI()
    api.add("web_POD", "POD", "pause", True)
    oldest = api.add("web_app.0", "app", "app", False, 0)
    current = api.add("web_app", "app", "app", running, 1)
    sync, _ = syncer(api)
    sync._move_aside("app")
    assert ("remove", oldest) in api.calls and ("rename", f"{current}->web_app.1") in api.calls


def test_the_previous_attempt_stays_while_its_successor_cannot_be_made() -> None:
    api = FakeAPI()
    api.add("web_POD", "POD", "pause", True)
    previous = api.add("web_app.0", "app", "app", False, 0)    # moved aside by a try that then failed
    sync, _ = syncer(api)
    sync._move_aside("app")                                      # the next try: still the previous (logs --previous)
    assert ("remove", previous) not in api.calls and api.calls == []


def test_a_container_whose_next_attempt_cannot_be_made_is_reported_waiting_with_the_reason() -> None:
    from podcompose.podstatus import ContainerStatus

    api = FakeAPI()
    api.add("web_POD", "POD", "pause", True)
    api.add("web_app", "app", "app", False)
    sync, _ = syncer(api, fail=True)
    ended = ContainerStatus("app", "app", "terminated", reason="Error", exit_code=1, container_id="id-web_app")
    actions = PodActions(status=PodStatus("Running", (), (ended,)),
                         starts=(StartContainer("app", "app", "Restart", "restart", 1, None),))
    sync.apply(actions)
    [app] = sync.status_record(actions.status).status.statuses
    assert (app.state, app.reason, app.exit_code) == ("waiting", "CreateContainerError", None)
    assert "no room for web_app" in app.message and app.last_termination is not None
    assert app.last_termination.exit_code == 1
