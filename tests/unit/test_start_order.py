"""`up --dry-run` shows the order decide() really uses: its starts, pass by pass, from the sandbox up makes."""
from __future__ import annotations

import textwrap

from podcompose.cli.render_plan import plan_as_data
from podcompose.decide import Attempt, PodObservation, SandboxObservation, decide, start_order
from podcompose.load import load_text
from podcompose.model import Pod
from podcompose.pods import pods_from_documents
from podcompose.plan import DecidedStart, PlanOptions, plan_up

SIDECARS = textwrap.dedent("""
    apiVersion: v1
    kind: Pod
    metadata: {name: web}
    spec:
      restartPolicy: RESTART
      initContainers:
      - {name: fetch, image: busybox:1.36, command: [cp, /a, /work/]}
      - name: proxy
        image: envoy:1
        restartPolicy: Always
        startupProbe: {tcpSocket: {port: 9901}}
      - {name: logger, image: busybox:1.36, restartPolicy: Always}
      - {name: migrate, image: busybox:1.36, command: ["true"]}
      containers:
      - {name: app, image: nginx:1}
      - {name: tail, image: busybox:1.36, command: [sleep, inf]}
""")


def pod_of(text: str) -> Pod:
    return pods_from_documents(load_text(text, "m.yaml"))[0]


def names(passes) -> list[list[str]]:
    return [[s.container for s in each] for each in passes]


def test_each_init_container_waits_for_the_one_before_and_the_apps_start_together() -> None:
    for policy in ("Always", "OnFailure", "Never"):
        passes = start_order(pod_of(SIDECARS.replace("RESTART", policy)))
        assert names(passes) == [["fetch"], ["proxy"], ["logger"], ["migrate"], ["app", "tail"]], policy
        assert {(s.reason, s.restart_count) for each in passes for s in each} == {("FirstStart", 0)}


def test_without_init_containers_every_app_starts_in_the_first_pass() -> None:
    pod = pod_of(SIDECARS.replace("RESTART", "Always").split("  initContainers:")[0]
                 + "  containers:\n  - {name: a, image: x:1}\n  - {name: b, image: x:1}\n")
    assert names(start_order(pod)) == [["a", "b"]]


def test_the_first_pass_is_what_decide_orders_on_the_agents_first_sync() -> None:
    pod = pod_of(SIDECARS.replace("RESTART", "Always"))
    sandbox_up_made = PodObservation(SandboxObservation("pause-id", True, pod.sandbox_hash()), (), 100.0)
    assert decide(pod, sandbox_up_made, {}, 100.0).starts == start_order(pod)[0]
    after_fetch = PodObservation(sandbox_up_made.sandbox, (Attempt(
        "fetch", "f1", "exited", pod.container("fetch").spec_hash(), sandbox_id="pause-id", created_at=100.0,
        finished_at=101.0, exit_code=0),), 100.0)
    assert decide(pod, after_fetch, {}, 102.0).starts == start_order(pod)[1]


def test_the_plan_shows_decides_starts_after_up_s_own_steps() -> None:
    pod = pod_of(SIDECARS.replace("RESTART", "Always"))
    plan = plan_up(pod, None, PlanOptions(pause_image="pause:1"))
    assert [s.action for s in plan.steps][-7:] == ["RunPause", "RunInit", "StartContainer", "StartContainer",
                                                   "RunInit", "StartContainer", "StartContainer"]
    assert all(isinstance(s, DecidedStart) for s in plan.steps[-6:])
    assert [s.after for s in plan.starts] == [
        "the pause container runs", "fetch has completed", "proxy has started (its startupProbe passed)",
        "logger has started", "migrate has completed", "migrate has completed"]
    steps = plan_as_data([plan])[0]["steps"]
    fetch = steps[-6]
    assert (fetch["action"], fetch["reason"], fetch["after"]) == ("RunInit", "FirstStart", "the pause container runs")
    assert fetch["docker"]["name"] == "web_fetch" and fetch["docker"]["entrypoint"] == ["cp", "/a", "/work/"]
    assert "labels" not in fetch["docker"] and "detach" not in fetch["docker"]


def test_an_up_to_date_plan_starts_nothing() -> None:
    from podcompose.plan import pod_hash
    from podcompose.state import ObservedContainer, ObservedPod

    pod = pod_of(SIDECARS.replace("RESTART", "Always"))
    options = PlanOptions(pause_image="pause:1")
    spec_hash = pod_hash(pod, options)
    containers = (ObservedContainer("id0", "web_POD", "POD", "pause", "running", None, "pause:1", spec_hash),) + tuple(
        ObservedContainer(f"id{i}", f"web_{c.name}", c.name, c.role, "running", None, c.image, spec_hash)
        for i, c in enumerate(pod.all_containers, 1))
    plan = plan_up(pod, ObservedPod("default", "web", containers), options)
    assert plan.up_to_date and plan.steps == () and plan.starts == ()
