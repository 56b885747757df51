"""`ps` lists every container of the spec, as a kubelet's pod status does: one with no Docker container (between
two attempts, or not made yet) is listed as waiting with its reason. Against a small fake Docker client."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from podcompose import api, codec, naming
from podcompose.cli.render import pods_as_data, pods_table
from podcompose.load import load_text
from podcompose.pods import pods_from_documents
from podcompose.podstatus import AgentReport, ContainerStatus, PodReport, PodStatus, Termination
from podcompose.runtime import Runtime, store

POD = """\
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  containers:
  - {name: flaky, image: busybox:1}
"""


def _matches(labels: dict[str, str], filters: dict[str, list[str]] | None) -> bool:
    for wanted in (filters or {}).get("label", []):
        key, _, value = wanted.partition("=")
        if key not in labels or (value and labels[key] != value):
            return False
    return True


class FakeDocker:
    """Just what observing a pod and reading its desired state ask of docker-py's low-level API."""

    def __init__(self) -> None:
        self.attrs: list[dict[str, Any]] = []
        self.volume_list: list[dict[str, Any]] = []

    def container(self, docker_name: str, container: str, role: str, state: dict[str, Any]) -> None:
        labels = naming.pod_labels("default", "web") | {naming.CONTAINER: container, naming.ROLE: role}
        self.attrs.append({"Id": f"{docker_name:0<64}", "Name": "/" + docker_name, "State": state,
                           "Config": {"Labels": labels, "Image": "busybox:1"}, "Created": "2026-01-01T00:00:00Z"})

    def containers(self, all: bool = False, filters: dict | None = None) -> list[dict[str, Any]]:
        return [{"Id": a["Id"]} for a in self.attrs if _matches(a["Config"]["Labels"], filters)]

    def inspect_container(self, ref: str) -> dict[str, Any]:
        return next(a for a in self.attrs if a["Id"] == ref)

    def volumes(self, filters: dict | None = None) -> dict[str, Any]:
        return {"Volumes": [v for v in self.volume_list if _matches(v["Labels"], filters)]}


class FakeClient:
    def __init__(self, api_: FakeDocker) -> None:
        self.api = api_


def between_two_attempts() -> FakeDocker:
    """The pause container runs; the first attempt of `flaky` exited and was moved aside; no second one yet."""
    fake = FakeDocker()
    fake.container("web_POD", "POD", "pause", {"Status": "running", "Running": True})
    fake.container(naming.attempt_name("default", "web", "flaky", 0), "flaky", "app",
                   {"Status": "exited", "Running": False, "ExitCode": 1})
    return fake


def test_a_container_between_two_attempts_is_listed_waiting_with_the_agents_reason() -> None:
    runtime = Runtime(FakeClient(between_two_attempts()))  # type: ignore[arg-type]
    flaky = ContainerStatus("flaky", "app", "waiting", reason="CrashLoopBackOff", restart_count=1,
                            last_termination=Termination(1, "Error"))
    report = AgentReport(pods={"default/web": PodReport(PodStatus("Running", (), (flaky,)))})
    [data] = pods_as_data(api.pod_views(runtime, api.ps(runtime), report))
    assert [c["name"] for c in data["containers"]] == ["POD", "flaky"]
    waiting = data["containers"][1]
    assert (waiting["state"], waiting["reason"], waiting["restarts"], waiting["ready"]) == \
        ("waiting", "CrashLoopBackOff", 1, False)
    assert data["status"] == "CrashLoopBackOff" and data["ready"] == "0/1" and data["supervised"] is True
    _, rows = pods_table(api.pod_views(runtime, api.ps(runtime), report))
    assert rows[1][4:7] == ["flaky", "app", "waiting (CrashLoopBackOff)"]


def test_before_the_agent_reports_the_desired_state_names_the_missing_container(tmp_path: Path) -> None:
    fake = between_two_attempts()
    pod = pods_from_documents(load_text(POD, "pod.yaml"))[0]
    (tmp_path / store.FILE).write_bytes(codec.dumps(store.DesiredPod(pod, "pause:1")))
    name = naming.desired_volume_name("default", "web")
    fake.volume_list.append({"Name": name, "Mountpoint": str(tmp_path),
                             "Labels": naming.pod_labels("default", "web") | {naming.ROLE: store.ROLE_DESIRED}})
    runtime = Runtime(FakeClient(fake))  # type: ignore[arg-type]
    [data] = pods_as_data(api.pod_views(runtime, api.ps(runtime), AgentReport()))
    assert [(c["name"], c["state"], c.get("reason")) for c in data["containers"]] == \
        [("POD", "running", None), ("flaky", "waiting", "ContainerCreating")]
    assert data["phase"] == "Pending" and data["supervised"] is False
