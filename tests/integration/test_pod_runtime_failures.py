"""The pod runtime against the live Docker daemon (issue #2): failures of up, reported and cleaned up."""
from __future__ import annotations

import json
import re
import subprocess

import pytest

from tests.helpers import BUSYBOX, docker, labelled, run_cli
from tests.manifests import container, empty_dir, pod

pytestmark = pytest.mark.docker


def failing_init_pod(name: str) -> str:
    # under restartPolicy Never a failed init container fails the pod (otherwise a kubelet retries it)
    return pod(
        name,
        container("app"),
        init=[container("ok", ["true"]), container("broken", "echo cannot find the schema >&2; exit 3")],
        restartPolicy="Never", volumes=[empty_dir("scratch")])


def test_init_failure_stops_up_and_leaves_nothing(pod_name: str, manifest) -> None:
    path = manifest(failing_init_pod(pod_name))
    result = run_cli("up", "-d", "-f", path)
    assert result.code == 1
    assert "init container broken" in result.stderr and "exit code 3" in result.stderr
    assert "cannot find the schema" in result.stderr
    assert "Traceback" not in result.stderr
    assert labelled(pod_name) == ([], [])


def test_keep_on_failure_leaves_the_failed_pod_to_look_at(pod_name: str, manifest) -> None:
    path = manifest(failing_init_pod(pod_name))
    result = run_cli("up", "-d", "-f", path, "--keep-on-failure")
    assert result.code == 1
    assert "init container broken" in result.stderr and "exit code 3" in result.stderr
    containers, _ = labelled(pod_name)
    assert containers, "--keep-on-failure removed the pod"
    ps = json.loads(run_cli("ps", pod_name, "-o", "json").stdout)
    assert [p["name"] for p in ps] == [pod_name]
    state = {c["name"]: (c["role"], c["state"], c["exitCode"]) for c in ps[0]["containers"]}
    assert state["ok"] == ("init", "exited", 0)
    assert state["broken"] == ("init", "exited", 3)
    assert "app" not in state or state["app"][1] != "running"      # app containers never start after a failed init
    assert re.search(r"broken\s+init\s+exited\s+3", run_cli("ps", pod_name).stdout)
    # what the user came to look at: the failed container's own log
    logs = run_cli("logs", pod_name, "-c", "broken")
    assert logs.code == 0 and "cannot find the schema" in logs.stdout + logs.stderr
    assert run_cli("down", pod_name).code == 0
    assert labelled(pod_name) == ([], [])


def test_app_that_fails_at_once_is_reported(pod_name: str, manifest) -> None:
    path = manifest(pod(pod_name, container("crash", "echo config missing; exit 4"), grace=None, restartPolicy="Never"))
    result = run_cli("up", "-d", "-f", path)
    assert result.code == 1
    assert "container crash" in result.stderr and "exited with code 4 (Error)" in result.stderr
    assert "config missing" in result.stderr
    # as a kubelet, the pod is kept with its failed container on record
    pods = json.loads(run_cli("ps", pod_name, "-o", "json").stdout)
    crash = next(c for c in pods[0]["containers"] if c["name"] == "crash")
    assert (crash["state"], crash["exitCode"]) == ("exited", 4)
    assert pods[0]["phase"] == "Failed"


def test_taken_port_is_one_clear_error(pod_name: str, manifest) -> None:
    import socket
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        ports = [{"containerPort": 80, "hostPort": port, "hostIP": "127.0.0.1"}]
        path = manifest(pod(pod_name, container("web", ports=ports), grace=None))
        result = run_cli("up", "-d", "-f", path)
    assert result.code == 1
    assert "already in use" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 3
    assert labelled(pod_name) == ([], [])


def test_name_clash_with_a_foreign_container(pod_name: str, manifest) -> None:
    foreign = f"{pod_name}_POD"
    docker("create", "--name", foreign, BUSYBOX, "true")
    try:
        path = manifest(pod(pod_name, container("app"), grace=None))
        result = run_cli("up", "-d", "-f", path)
        assert result.code == 1
        assert f"a container named {foreign} already exists and was not made by podcompose" in result.stderr
        assert docker("inspect", "-f", "{{.State.Status}}", foreign) == "created"
    finally:
        subprocess.run(["docker", "rm", "-f", foreign], capture_output=True)


def test_daemon_unreachable_is_exit_code_3() -> None:
    result = run_cli("ps", env={"DOCKER_HOST": "unix:///nonexistent/docker.sock"})
    assert result.code == 3
    assert "cannot reach the Docker daemon" in result.stderr
    assert "Traceback" not in result.stderr
