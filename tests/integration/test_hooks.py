"""Lifecycle hooks run against a real pod: exec in the container, httpGet from inside the pod's netns."""
from __future__ import annotations

import socket
import threading
import time

import docker as docker_sdk
import pytest

from podcompose.probe import ProbeResult
from podcompose.probes_model import ExecAction, HTTPGetAction, SleepAction, TCPSocketAction
from podcompose.runtime.hooks import run_hook
from podcompose.runtime.netns import probe_in_netns
from tests.helpers import BUSYBOX, docker, exec_out, free_port, run_cli, wait_until

pytestmark = pytest.mark.docker

# httpd bound to the pod's loopback only; /cgi-bin/hook records each request it gets
SERVER = ("mkdir -p /www/cgi-bin && "
          "printf '#!/bin/sh\\necho \\\"$REQUEST_METHOD $HTTP_USER_AGENT\\\" >> /tmp/hook-hits\\n"
          "echo Status: 503 Busy\\necho\\necho busy\\n' > /www/cgi-bin/hook && "
          "chmod +x /www/cgi-bin/hook && exec httpd -f -p 127.0.0.1:{port} -h /www")


@pytest.fixture
def pod(pod_name: str, manifest) -> tuple[str, int, str, int]:
    """(pod name, pause pid, app container id, the port httpd serves on inside the pod)."""
    port = free_port()
    path = manifest(f"""
apiVersion: v1
kind: Pod
metadata: {{name: {pod_name}}}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: web
    image: {BUSYBOX}
    command: ["sh", "-c", "{SERVER.format(port=port)}"]
""")
    result = run_cli("up", "-d", "-f", path)
    assert result.code == 0, result.stderr
    pid = int(docker("inspect", "-f", "{{.State.Pid}}", f"{pod_name}_POD"))
    container_id = docker("inspect", "-f", "{{.Id}}", f"{pod_name}_web")
    return pod_name, pid, container_id, port


@pytest.fixture(scope="module")
def client():
    c = docker_sdk.from_env()
    yield c
    c.close()


def test_exec_hook_writes_a_file_the_container_sees(pod, client) -> None:
    name, pid, cid, _ = pod
    outcome = run_hook(client, pid, cid, ExecAction(("sh", "-c", "echo started > /tmp/post-start; echo done")), 5)
    assert outcome.ok, outcome.message
    assert outcome.message == "done"
    assert exec_out(name, "web", "cat", "/tmp/post-start") == "started"


def test_a_failing_exec_hook_says_what_the_kubelet_says(pod, client) -> None:
    name, pid, cid, _ = pod
    outcome = run_hook(client, pid, cid, ExecAction(("sh", "-c", "echo no-way; exit 3")), 5,
                       container_name="web", pod_name=f"{name}_default")
    assert not outcome.ok
    assert outcome.message == (f"Exec lifecycle hook ([sh -c echo no-way; exit 3]) for Container 'web' in Pod "
                               f"'{name}_default' failed - error: command 'sh -c echo no-way; exit 3' exited with 3: , "
                               "message: 'no-way'")


def test_http_get_hook_reaches_a_server_bound_to_the_pods_loopback(pod, client) -> None:
    name, pid, cid, port = pod
    wait_until(lambda: probe_in_netns(pid, TCPSocketAction(port=port), 1).result is ProbeResult.SUCCESS,
               what="httpd to listen inside the pod")
    with socket.socket() as s:                     # not on the host's loopback: only inside the pod
        s.settimeout(1)
        assert s.connect_ex(("127.0.0.1", port)) != 0
    outcome = run_hook(client, pid, cid, HTTPGetAction(port=port, path="/cgi-bin/hook"), 5)
    # the kubelet's httpGet hook takes any answer as success (the script answers 503)
    assert outcome.ok, outcome.message
    assert outcome.message == "HTTP 503"
    assert exec_out(name, "web", "cat", "/tmp/hook-hits") == "GET kube-lifecycle/1.32"


def test_http_get_hook_with_nothing_listening_fails(pod, client) -> None:
    name, pid, cid, port = pod
    closed = port + 1 if port < 65535 else port - 1
    outcome = run_hook(client, pid, cid, HTTPGetAction(port=closed, path="/stop"), 2,
                       container_name="web", pod_name=f"{name}_default")
    assert not outcome.ok
    assert outcome.message.startswith(f"HTTP lifecycle hook (/stop) for Container 'web' in Pod '{name}_default' "
                                      f"failed - error: Get \"http://127.0.0.1:{closed}/stop\": ")
    assert "refused" in outcome.message.lower()


def test_sleep_hook_waits_and_ends_early_when_stopped(client) -> None:
    started = time.monotonic()
    assert run_hook(client, None, "", SleepAction(1), 5).ok
    assert time.monotonic() - started >= 1.0
    stop = threading.Event()
    threading.Timer(0.2, stop.set).start()
    started = time.monotonic()
    outcome = run_hook(client, None, "", SleepAction(30), 60, stop=stop)
    assert not outcome.ok and "container terminated before sleep hook finished" in outcome.message
    assert time.monotonic() - started < 5
    short = run_hook(client, None, "", SleepAction(30), 0.2)      # preStop: the grace period ran out
    assert not short.ok


def test_tcp_socket_hooks_are_never_run(client) -> None:
    outcome = run_hook(client, None, "", TCPSocketAction(port=80), 5)
    assert not outcome.ok and outcome.message.startswith("Cannot run handler: invalid handler")
