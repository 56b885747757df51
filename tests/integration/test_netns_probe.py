"""Probes made from inside a pod's network namespace reach servers bound to the pod's loopback."""
from __future__ import annotations

import socket
import time

import pytest

from podcompose.probe import ProbeResult
from podcompose.probes_model import HTTPGetAction, TCPSocketAction
from podcompose.runtime.netns import probe_in_netns
from tests.helpers import docker, free_port, run_cli
from tests.manifests import container, pod

pytestmark = pytest.mark.docker

# no port published: the server listens on the pod's 127.0.0.1 only
SERVER = ("mkdir -p /www && echo hello-from-pod > /www/index.html && "
          "exec httpd -f -p 127.0.0.1:{port} -h /www")


@pytest.fixture
def pod_pid(pod_name: str, manifest) -> tuple[int, int, int]:
    """(pid of the pod's pause process, the port its app serves on inside the pod, a port
    where a server accepts connections and never answers)."""
    port, silent = free_port(), free_port()
    path = manifest(pod(pod_name, container("web", SERVER.format(port=port)),
                        container("silent", ["nc", "-ll", "-p", str(silent), "-e", "sleep", "30"])))
    result = run_cli("up", "-d", "-f", path)
    assert result.code == 0, result.stderr
    pid = int(docker("inspect", "-f", "{{.State.Pid}}", f"{pod_name}_POD"))
    assert pid > 0
    return pid, port, silent


def wait_for(check, seconds: float = 10.0):
    deadline = time.monotonic() + seconds
    while True:
        outcome = check()
        if outcome.result is ProbeResult.SUCCESS or time.monotonic() > deadline:
            return outcome
        time.sleep(0.2)


def test_http_get_from_inside_the_pod_gets_200(pod_pid: tuple[int, int, int]) -> None:
    pid, port, silent = pod_pid
    outcome = wait_for(lambda: probe_in_netns(pid, HTTPGetAction(port=port, path="/index.html"), 2))
    assert outcome.result is ProbeResult.SUCCESS, outcome.message
    assert "hello-from-pod" in outcome.message


def test_the_server_is_not_reachable_from_the_host(pod_pid: tuple[int, int, int]) -> None:
    pid, port, silent = pod_pid
    wait_for(lambda: probe_in_netns(pid, TCPSocketAction(port=port), 2))
    with socket.socket() as s:
        s.settimeout(1)
        assert s.connect_ex(("127.0.0.1", port)) != 0


def test_http_status_outside_200_399_fails(pod_pid: tuple[int, int, int]) -> None:
    pid, port, silent = pod_pid
    wait_for(lambda: probe_in_netns(pid, TCPSocketAction(port=port), 2))
    outcome = probe_in_netns(pid, HTTPGetAction(port=port, path="/missing"), 2)
    assert outcome.result is ProbeResult.FAILURE
    assert outcome.message == "HTTP probe failed with statuscode: 404"


def test_tcp_socket_succeeds_on_the_open_port_and_fails_on_a_closed_one(pod_pid: tuple[int, int, int]) -> None:
    pid, port, silent = pod_pid
    assert wait_for(lambda: probe_in_netns(pid, TCPSocketAction(port=port), 2)).result is ProbeResult.SUCCESS
    closed = probe_in_netns(pid, TCPSocketAction(port=port + 1 if port < 65535 else port - 1), 2)
    assert closed.result is ProbeResult.FAILURE
    assert "connection refused" in closed.message.lower()


def test_timeout_is_honoured(pod_pid: tuple[int, int, int]) -> None:
    pid, port, silent = pod_pid
    assert wait_for(lambda: probe_in_netns(pid, TCPSocketAction(port=silent), 2)).result is ProbeResult.SUCCESS
    started = time.monotonic()
    outcome = probe_in_netns(pid, HTTPGetAction(port=silent, path="/"), 1)
    elapsed = time.monotonic() - started
    assert outcome.result is ProbeResult.FAILURE
    assert "deadline exceeded" in outcome.message
    assert 0.9 <= elapsed < 2.5


def test_exec_probe_reports_exit_code_and_output(pod_pid: tuple[int, int, int], pod_name: str) -> None:
    import docker as docker_sdk

    from podcompose.probes_model import ExecAction
    from podcompose.runtime.exec_probe import exec_check

    client = docker_sdk.from_env()
    container_id = docker("inspect", "-f", "{{.Id}}", f"{pod_name}_web")
    ok = exec_check(client, container_id, ExecAction(("sh", "-c", "echo fine")), 2)
    assert (ok.result, ok.message.strip()) == (ProbeResult.SUCCESS, "fine")
    bad = exec_check(client, container_id, ExecAction(("sh", "-c", "echo broken; exit 3")), 2)
    assert (bad.result, bad.message.strip()) == (ProbeResult.FAILURE, "broken")
    started = time.monotonic()
    slow = exec_check(client, container_id, ExecAction(("sleep", "5")), 1)
    assert slow.result is ProbeResult.FAILURE and "timed out" in slow.message
    assert time.monotonic() - started < 3
