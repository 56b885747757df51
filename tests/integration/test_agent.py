"""The node agent keeps pods as a kubelet does (issue #10), proven against the live daemon.

Timings come from Docker's own records (each attempt's StartedAt/FinishedAt),
never from sleeps in the test.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from podcompose.agent import process
from podcompose.runtime.logs import unix_time

from tests.helpers import BUSYBOX, LOOP, ROOT, docker, exec_out, free_port, labelled, run_cli, wait_until
from tests.manifests import container, empty_dir, mount, pod

pytestmark = pytest.mark.docker
EXAMPLES = ROOT / "tests" / "k8s-examples"


def attempts(pod: str, container: str) -> list[dict]:
    """Every attempt of a container (docker inspect), oldest first."""
    ids = docker("ps", "-aq", "--filter", f"label=io.podcompose.pod={pod}",
                 "--filter", f"label=io.podcompose.container={container}").split()
    found = []
    for container_id in ids:
        inspected = subprocess.run(["docker", "inspect", container_id], capture_output=True, text=True)
        if inspected.returncode == 0:          # the agent may remove an old attempt between list and inspect
            found.append(json.loads(inspected.stdout)[0])
    return sorted(found, key=lambda a: a["Created"])


def restarts(pod: str, container: str) -> int:
    data = json.loads(run_cli("ps", pod, "-o", "json").stdout)
    return next(c["restarts"] for c in data[0]["containers"] if c["name"] == container)


def started(attrs: dict) -> float:
    return unix_time(attrs["State"]["StartedAt"])


def finished(attrs: dict) -> float:
    return unix_time(attrs["State"]["FinishedAt"])


def liveness_pod(name: str, extra: str = "") -> str:
    # healthy for 1 s after each start, then the exec liveness probe fails (period 1, threshold 1)
    return f"""
apiVersion: v1
kind: Pod
metadata: {{name: {name}}}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: steady
    image: {BUSYBOX}
    command: ["sh", "-c", "{LOOP}"]
  - name: sick
    image: {BUSYBOX}
    command: ["sh", "-c", "trap 'exit 0' TERM; touch /tmp/healthy; sleep 1; rm /tmp/healthy; while true; do sleep 1; done"]
    livenessProbe:
      exec: {{command: ["test", "-e", "/tmp/healthy"]}}
      periodSeconds: 1
      failureThreshold: 1
{extra}"""


def test_exec_liveness_failure_restarts_with_the_kubelets_back_off(pod_name: str, manifest) -> None:
    assert run_cli("up", "-d", "-f", manifest(liveness_pod(pod_name))).code == 0
    gaps: dict[int, float] = {}      # restart count -> seconds between the previous attempt's end and its start

    def restarted(count: int) -> bool:
        runs = attempts(pod_name, "sick")           # the current attempt and the one before (the kubelet keeps one)
        current = runs[-1]
        seen = int(current["Config"]["Labels"].get("io.podcompose.restart-count", "0"))
        if len(runs) >= 2 and current["State"]["Running"] and seen not in gaps:
            gaps[seen] = started(current) - finished(runs[-2])
        return seen >= count and seen in gaps
    wait_until(lambda: restarted(4), timeout=60, what="four restarts of sick", interval=0.2)
    assert restarts(pod_name, "sick") >= 4
    # kubelet's doBackOff: the back-off starts once an exited attempt is on record, then 10 s, doubling
    assert gaps[1] < 3 and gaps[2] < 3, gaps
    assert 9 <= gaps[3] < 14, gaps
    assert 19 <= gaps[4] < 25, gaps
    events = json.loads(run_cli("describe", pod_name, "-o", "json").stdout)["events"]
    reasons = " ".join(e["reason"] for e in events)
    assert "Liveness probe failed" in reasons and "Killing" in reasons and "BackOff" in reasons
    assert len(attempts(pod_name, "steady")) == 1        # a healthy neighbour is never restarted


def test_liveness_keeps_working_after_up_exits_and_after_the_agent_is_killed(pod_name: str, manifest) -> None:
    assert run_cli("up", "-d", "-f", manifest(liveness_pod(pod_name))).code == 0   # up has exited
    wait_until(lambda: len(attempts(pod_name, "sick")) >= 2, timeout=20, what="a restart by the agent")
    steady = attempts(pod_name, "steady")[0]["State"]["StartedAt"]
    pid = process.agent_pid()
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    wait_until(lambda: not process.is_running(), timeout=5, what="the agent to be gone")
    before = restarts(pod_name, "sick")
    assert run_cli("ps").code == 0                      # the next command brings the agent back
    assert process.agent_pid() not in (None, pid)
    wait_until(lambda: restarts(pod_name, "sick") > before, timeout=45, what="a restart by the new agent",
               interval=0.5)
    assert [a["State"]["StartedAt"] for a in attempts(pod_name, "steady")] == [steady]


def test_http_liveness_on_an_image_with_only_a_static_server(kit, pod_name: str, manifest) -> None:
    from tests.kit.images import ensure_images

    httpd = ensure_images("httpd")["httpd"]
    path = manifest(pod(
        pod_name,
        container("web", None, image=httpd, args=["-p", "127.0.0.1:8080"],
                  ports=[{"name": "http", "containerPort": 8080}],
                  livenessProbe={"httpGet": {"path": "/index.html", "port": "http"}, "periodSeconds": 1}),
        container("lost", None, image=httpd, args=["-p", "127.0.0.1:8081"],
                  livenessProbe={"httpGet": {"path": "/missing.html", "port": 8081}, "periodSeconds": 1,
                                 "failureThreshold": 2})))
    assert run_cli("up", "-d", "-f", path).code == 0
    no_shell = run_cli("exec", pod_name, "-c", "web", "--", "sh", "-c", "true")
    assert no_shell.code != 0                            # nothing in the image but the server
    wait_until(lambda: len(attempts(pod_name, "lost")) >= 2, timeout=20, what="the 404 liveness to restart lost")
    assert len(attempts(pod_name, "web")) == 1           # 200 from inside the pod's netns: alive
    events = json.loads(run_cli("describe", pod_name, "-o", "json").stdout)["events"]
    assert any("statuscode: 404" in e["reason"] for e in events if e["container"] == "lost"), events


def test_readiness_gates_up_wait(pod_name: str, manifest) -> None:
    path = manifest(pod(pod_name, container(
        "slow", "trap 'exit 0' TERM; sleep 4; touch /tmp/ready; while true; do sleep 1; done",
        readinessProbe={"exec": {"command": ["test", "-e", "/tmp/ready"]}, "periodSeconds": 1})))
    began = time.monotonic()
    up = run_cli("up", "-d", "--wait", "-f", path)
    took = time.monotonic() - began
    assert up.code == 0, up.stderr
    assert took >= 4, took
    ps = json.loads(run_cli("ps", pod_name, "-o", "json").stdout)[0]
    assert ps["ready"] == "1/1"


def test_up_wait_fails_with_the_probes_last_words(pod_name: str, manifest) -> None:
    path = manifest(pod(pod_name, container(
        "never", readinessProbe={"exec": {"command": ["sh", "-c", "echo not-yet-warm; exit 1"]}, "periodSeconds": 1})))
    up = run_cli("up", "-d", "--wait", "--wait-timeout", "3", "-f", path)
    assert up.code == 1
    assert "not ready after 3s" in up.stderr and "never" in up.stderr and "not-yet-warm" in up.stderr


def test_startup_coordination_example_holds_the_app_back(kit, pod_name: str) -> None:
    example = EXAMPLES / "pods/multi-container/startup-coordination.yaml"
    name = "startup-coordination-example"
    namespace = pod_name          # a unique namespace keeps the example's fixed name apart
    up = run_cli("up", "-d", "-f", str(example), "-n", namespace,
                 "--image", f"registry.k8s.io/busybox={kit['busybox']}", timeout=60)
    try:
        assert up.code == 0, up.stderr
        logs = run_cli("logs", name, "-n", namespace, "-c", "main-app")
        assert "greeting=hello" in logs.stdout and "No such file" not in logs.stdout + logs.stderr
        sidecar = json.loads(docker("inspect", f"{namespace}_{name}_config-sidecar"))[0]
        app = json.loads(docker("inspect", f"{namespace}_{name}_main-app"))[0]
        assert started(app) > started(sidecar)
    finally:
        run_cli("down", name, "-n", namespace, "--timeout", "1")


def test_job_sidecar_example_ends_succeeded_with_its_sidecar_stopped(kit, pod_name: str) -> None:
    example = EXAMPLES / "application/job/job-sidecar.yaml"
    namespace = pod_name
    up = run_cli("up", "-f", str(example), "-n", namespace, "--image", f"alpine={kit['busybox']}", timeout=120)
    try:
        assert up.code == 0, up.stdout + up.stderr
        assert "Succeeded" in up.stderr
        [pod] = json.loads(run_cli("ps", "-n", namespace, "-o", "json").stdout)
        assert pod["phase"] == "Succeeded" and pod["status"] == "Completed"
        states = {c["name"]: (c["state"], c["exitCode"]) for c in pod["containers"]}
        assert states["myjob"] == ("exited", 0)
        assert states["logshipper"][0] == "exited"       # stopped by the agent once the job ended
    finally:
        run_cli("down", "-n", namespace, *[p["name"] for p in json.loads(
            run_cli("ps", "-n", namespace, "-o", "json").stdout)], "--timeout", "1")


def test_prestop_runs_before_sigterm_and_sigkill_waits_the_grace_period(pod_name: str, manifest, tmp_path: Path) -> None:
    record = tmp_path / "record"
    record.mkdir()
    path = manifest(pod(
        pod_name,
        container("stubborn",
                  "trap 'echo term $(cat /proc/uptime) >> /record/log' TERM; while true; do sleep 1 & wait $!; done",
                  lifecycle={"preStop": {"exec": {
                      "command": ["sh", "-c", "echo prestop $(cat /proc/uptime) >> /record/log; sleep 1"]}}},
                  volumeMounts=[mount("record", "/record")]),
        grace=4, volumes=[{"name": "record", "hostPath": {"path": str(record), "type": "Directory"}}]))
    assert run_cli("up", "-d", "-f", path).code == 0
    attempt = attempts(pod_name, "stubborn")[-1]
    began = time.monotonic()
    assert run_cli("down", pod_name).code == 0
    took = time.monotonic() - began
    lines = (record / "log").read_text().split()
    assert lines[0] == "prestop" and "term" in lines     # preStop first, then the stop signal
    assert took >= 3.5, took                              # ignored SIGTERM: killed after the grace, not before
    assert took < 9, took
    assert attempt["Id"]


def test_on_failure_does_not_restart_a_container_that_exited_0(pod_name: str, manifest) -> None:
    path = manifest(pod(pod_name, container("done", "echo finished"), container("crashy", "exit 7"),
                        restartPolicy="OnFailure"))
    run_cli("up", "-d", "-f", path)
    wait_until(lambda: len(attempts(pod_name, "crashy")) >= 2, timeout=20, what="crashy restarted under OnFailure")
    assert len(attempts(pod_name, "done")) == 1
    assert attempts(pod_name, "done")[0]["State"]["ExitCode"] == 0


def test_removing_the_pause_container_brings_the_pod_back_whole(pod_name: str, manifest) -> None:
    path = manifest(pod(
        pod_name,
        container("app", volumeMounts=[mount("work", "/work")]),
        init=[container("setup", "date +%s%N > /work/stamp", volumeMounts=[mount("work", "/work")])],
        volumes=[empty_dir("work")]))
    assert run_cli("up", "-d", "-f", path).code == 0
    stamp = exec_out(pod_name, "app", "cat", "/work/stamp")
    old_pause = docker("inspect", "-f", "{{.Id}}", f"{pod_name}_POD")
    docker("rm", "-f", f"{pod_name}_POD")

    def back() -> bool:
        result = run_cli("exec", pod_name, "-c", "app", "--", "cat", "/work/stamp")
        return result.code == 0 and result.stdout.strip() != stamp
    wait_until(back, timeout=30, what="the pod recreated with its init container run again", interval=0.5)
    new_pause = docker("inspect", "-f", "{{.Id}}", f"{pod_name}_POD")
    assert new_pause != old_pause
    app = json.loads(docker("inspect", f"{pod_name}_app"))[0]
    assert app["HostConfig"]["NetworkMode"] == f"container:{new_pause}"   # joined the new sandbox
    assert exec_out(pod_name, "app", "hostname") == pod_name


def test_down_ends_supervision_and_nothing_comes_back(pod_name: str, manifest) -> None:
    assert run_cli("up", "-d", "-f", manifest(liveness_pod(pod_name))).code == 0
    assert run_cli("down", pod_name).code == 0
    # what the agent would do within a few seconds, if it still supervised the pod
    deadline = time.monotonic() + 4
    while time.monotonic() < deadline:
        assert labelled(pod_name) == ([], [])
        time.sleep(0.5)


@pytest.mark.skipif(not os.environ.get("DOCKERD_PIDFILE") or not Path(os.environ.get("DOCKERD_PIDFILE", "")).is_file(),
                    reason="restarting dockerd needs the daemon this test run started (.ci/run's DOCKERD_PIDFILE)")
def test_after_dockerd_restarts_the_pod_comes_back(pod_name: str, manifest) -> None:
    port = free_port()
    path = manifest(pod(pod_name, container("web", "echo served > /tmp/index.html; exec httpd -f -p 8080 -h /tmp",
                                       ports=[{"containerPort": 8080, "hostPort": port, "hostIP": "127.0.0.1"}])))
    assert run_cli("up", "-d", "-f", path).code == 0
    pidfile = Path(os.environ["DOCKERD_PIDFILE"])
    dockerd = int(pidfile.read_text())
    os.kill(dockerd, signal.SIGTERM)
    def exited() -> bool:          # gone, or a zombie nobody reaped yet
        try:
            return Path(f"/proc/{dockerd}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
        except OSError:
            return True
    wait_until(exited, timeout=60, what="dockerd to exit", interval=0.2)
    started = subprocess.run(["bash", str(ROOT / "scripts/ensure-docker.sh")], capture_output=True, text=True)
    assert started.returncode == 0, started.stdout + started.stderr
    import urllib.request

    def serving() -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/index.html", timeout=1) as response:
                return response.read().strip() == b"served"
        except OSError:
            return False
    wait_until(serving, timeout=60, what="the pod back after the daemon restart", interval=0.5)
