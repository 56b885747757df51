"""The one phase rule (the kubelet's getPhase) before the agent reports, the agent's typed report through the
codec, and what `up -d` leaves to the agent."""
from __future__ import annotations

from pathlib import Path

import pytest

from podcompose import codec
from podcompose.agent import process
from podcompose.agent.bringup import _held_back, what_waits
from podcompose.decide import PodActions, StartContainer, WaitBackoff
from podcompose.load import load_text
from podcompose.model import Pod
from podcompose.pods import pods_from_documents
from podcompose.podstatus import (AgentReport, ContainerStatus, PodReport, PodStatus, Termination,
                                  observed_status)
from podcompose.state import ObservedContainer, ObservedPod


def pod(restart_policy: str = "Always") -> Pod:
    return pods_from_documents(load_text(f"""\
apiVersion: v1
kind: Pod
metadata: {{name: web}}
spec:
  restartPolicy: {restart_policy}
  initContainers:
  - {{name: setup, image: busybox:1}}
  containers:
  - {{name: app, image: busybox:1}}
""", "pod.yaml"))[0]


def container(name: str, role: str, status: str, exit_code: int | None = None) -> ObservedContainer:
    return ObservedContainer(id=f"id-{name}", docker_name=f"web_{name}", container=name, role=role, status=status,
                             exit_code=exit_code, image="busybox:1", spec_hash="h")


def observed(*containers: ObservedContainer) -> ObservedPod:
    return ObservedPod("default", "web", containers)


PAUSE = container("POD", "pause", "running")


@pytest.mark.parametrize("policy,phase", [("Always", "Pending"), ("OnFailure", "Pending"), ("Never", "Failed")])
def test_an_init_container_that_failed_fails_the_pod_only_under_never(policy: str, phase: str) -> None:
    status = observed_status(observed(PAUSE, container("setup", "init", "exited", 1)), pod(policy))
    assert status.phase == phase                   # a kubelet retries it under Always and OnFailure
    assert [s.name for s in status.statuses] == ["app"] and status.statuses[0].state == "waiting"


def test_before_the_agent_reports_every_container_of_the_spec_is_listed() -> None:
    status = observed_status(observed(PAUSE), pod())
    assert [(s.name, s.state, s.reason) for s in (*status.init_statuses, *status.statuses)] == \
        [("setup", "waiting", "ContainerCreating"), ("app", "waiting", "ContainerCreating")]
    assert status.phase == "Pending"


def test_a_finished_pod_and_a_pod_with_nothing_left() -> None:
    done = observed(container("POD", "pause", "exited", 0), container("setup", "init", "exited", 0),
                    container("app", "app", "exited", 0))
    assert observed_status(done, pod("Never")).phase == "Succeeded"
    failed = observed(container("POD", "pause", "exited", 0), container("setup", "init", "exited", 0),
                      container("app", "app", "exited", 2))
    assert observed_status(failed, pod("Never")).phase == "Failed"
    running = observed(PAUSE, container("setup", "init", "exited", 0), container("app", "app", "running"))
    assert observed_status(running, pod()).phase == "Running"
    assert observed_status(observed()).phase == "Unknown"
    assert observed_status(observed(PAUSE, container("app", "app", "running"))).phase == "Running"   # no spec kept


def test_the_agent_report_travels_through_the_codec(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(process.RUN_DIR_ENV, str(tmp_path))
    app = ContainerStatus("app", "app", "waiting", reason="CrashLoopBackOff", restart_count=2,
                          last_termination=Termination(1, "Error", 5.0))
    report = AgentReport(pid=7, updated=9.5, build="b", pods={"default/web": PodReport(
        PodStatus("Running", (), (app,)), errors={}, probes={"app": {"liveness": "Liveness probe failed"}},
        waits={"app": 20.0})})
    assert codec.loads(AgentReport, codec.dumps(report)) == report
    files = process.AgentFiles.current()
    assert process.read_status(files) == AgentReport()           # none written yet
    files.status.parent.mkdir(parents=True, exist_ok=True)
    files.status.write_text('{"pods": {}}')                      # an older podcompose's shape: never guessed at
    assert process.read_status(files) == AgentReport()
    process.write_status(files, report)
    found = process.read_status(files).pod("default", "web")
    assert found is not None and found.status.statuses[0].reason == "CrashLoopBackOff"
    assert found.not_ready() == "app (Liveness probe failed)"


def test_up_leaves_a_startup_probe_or_a_back_off_to_the_agent() -> None:
    waiting_sidecar = PodStatus("Pending", (ContainerStatus("proxy", "sidecar", "running", started=False),),
                                (ContainerStatus("app", "app", "waiting", reason="PodInitializing"),))
    assert _held_back(PodActions(status=waiting_sidecar))
    assert what_waits(waiting_sidecar) == (("proxy", "its startup probe has not passed yet"),
                                           ("app", "PodInitializing"))
    assert not _held_back(PodActions(status=waiting_sidecar,
                                     starts=(StartContainer("app", "app", "Start", "start", 0, None),)))
    init_running = PodStatus("Pending", (ContainerStatus("setup", "init", "running"),), ())
    assert not _held_back(PodActions(status=init_running))       # it ends by itself: up waits for it
    backing_off = PodStatus("Running", (), (ContainerStatus("app", "app", "waiting", reason="CrashLoopBackOff"),))
    assert _held_back(PodActions(status=backing_off, waits=(WaitBackoff("app", 30.0, "back-off 10s"),)))
