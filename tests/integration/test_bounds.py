"""A hostile pod cannot grow the agent, starve another pod's probes, or block a sync or `down` (issue #16)."""
from __future__ import annotations

import os
import subprocess
import time

import pytest

from podcompose.agent import process

from tests.helpers import labelled, run_cli
from tests.helpers import BUSYBOX, LOOP, wait_until
from tests.integration.test_agent import attempts, finished, liveness_pod, started

pytestmark = pytest.mark.docker


def agent() -> int:
    """The agent's pid (read from its pid file in $PODCOMPOSE_RUN_DIR), started as `up` starts it when none runs."""
    process.ensure_running()
    pid = wait_until(process.agent_pid, timeout=20, what="the agent's pid file")
    time.sleep(2)                                            # settled: its threads and connections made
    return pid


def status_field(pid: int, name: str) -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        line = next(line for line in status if line.startswith(name + ":"))
    return int(line.split()[1])


def fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def one_probe_pod(name: str, command: str, probe: str) -> str:
    return f"""
apiVersion: v1
kind: Pod
metadata: {{name: {name}}}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: {BUSYBOX}
    command: ["sh", "-c", "{command}"]
    readinessProbe:
{probe}
      periodSeconds: 1
      timeoutSeconds: 1
"""


def test_a_readiness_probe_running_yes_leaves_the_agents_memory_as_it_was(pod_name: str, manifest) -> None:
    pid = agent()
    before = status_field(pid, "VmRSS")
    path = manifest(one_probe_pod(pod_name, LOOP, "      exec: {command: [\"yes\"]}"))
    assert run_cli("up", "-d", "-f", path).code == 0
    peak = before
    for _ in range(20):
        time.sleep(1)
        peak = max(peak, status_field(pid, "VmRSS"))
    assert process.agent_pid() == pid
    assert peak - before < 20 * 1024, (before, peak)          # kB
    assert run_cli("down", "-f", path).code == 0


def test_a_server_that_trickles_bytes_leaks_no_thread_or_socket(pod_name: str, manifest) -> None:
    trickle = "nc -ll -p 8080 -e sh -c 'while true; do printf a; sleep 0.5; done'"
    path = manifest(one_probe_pod(pod_name, trickle, "      httpGet: {path: /, port: 8080}"))
    pid = agent()
    assert run_cli("up", "-d", "-f", path).code == 0
    time.sleep(5)                                             # the probe runs: its thread and socket exist
    threads, sockets = status_field(pid, "Threads"), fds(pid)
    time.sleep(60)                                            # 60 periods, each probe timed out after 1 s
    assert status_field(pid, "Threads") <= threads + 3, (threads, status_field(pid, "Threads"))
    assert fds(pid) <= sockets + 3, (sockets, fds(pid))
    described = run_cli("describe", pod_name).stdout
    assert "deadline exceeded" in described, described
    assert run_cli("down", "-f", path).code == 0


def hog_pod(name: str) -> str:
    containers = "".join(f"""
  - name: c{i}
    image: {BUSYBOX}
    command: ["sh", "-c", "{LOOP}"]
    readinessProbe: {{exec: {{command: [sleep, "60"]}}, periodSeconds: 1, timeoutSeconds: 30}}""" for i in range(8))
    return f"""
apiVersion: v1
kind: Pod
metadata: {{name: {name}}}
spec:
  terminationGracePeriodSeconds: 1
  containers:{containers}
"""


def test_eight_hanging_probes_of_one_pod_do_not_delay_another_pods_liveness(pod_name: str, manifest) -> None:
    hog = manifest(hog_pod(pod_name + "-hog"), "hog.yaml")
    try:
        began = time.monotonic()
        assert run_cli("up", "-d", "-f", hog).code == 0
        assert time.monotonic() - began < 25          # up's own probes, hanging 30 s, do not hold up its exit
        time.sleep(3)                                         # its eight probes are hanging now
        assert run_cli("up", "-d", "-f", manifest(liveness_pod(pod_name))).code == 0
        wait_until(lambda: len(attempts(pod_name, "sick")) >= 2, timeout=40, what="a liveness restart",
                   interval=0.2)
        first = attempts(pod_name, "sick")[0]
        # healthy for 1 s, then one failure of a 1 s period kills it: a few seconds on a busy machine, not 30
        assert finished(first) - started(first) < 8, finished(first) - started(first)
    finally:
        run_cli("down", "-f", hog)
        labelled_left = labelled(pod_name + "-hog")
        assert labelled_left == ([], []), labelled_left


def fifo_pod(name: str) -> str:
    return f"""
apiVersion: v1
kind: Pod
metadata: {{name: {name}}}
spec:
  terminationGracePeriodSeconds: 1
  initContainers:
  - name: plant
    image: {BUSYBOX}
    command: ["mkfifo", "/env/config.env"]
    volumeMounts: [{{name: envs, mountPath: /env}}]
  containers:
  - name: app
    image: {BUSYBOX}
    command: ["sh", "-c", "{LOOP}"]
    env:
    - name: DB_HOST
      valueFrom: {{fileKeyRef: {{volumeName: envs, path: config.env, key: DB_HOST}}}}
  volumes:
  - {{name: envs, emptyDir: {{}}}}
"""


def test_a_fifo_planted_for_a_file_key_ref_is_reported_and_down_works_at_once(pod_name: str, manifest) -> None:
    path = manifest(fifo_pod(pod_name))
    started_at = time.monotonic()
    result = run_cli("up", "-d", "-f", path, timeout=60)
    assert time.monotonic() - started_at < 30
    assert result.code == 1 and "config.env is a named pipe, not a regular file" in result.stderr, result.stderr
    described = run_cli("describe", pod_name).stdout
    assert "named pipe" in described, described
    started_at = time.monotonic()
    down = run_cli("down", "-f", path, timeout=60)
    assert down.code == 0, down.stderr
    assert time.monotonic() - started_at < 15
    assert labelled(pod_name) == ([], [])


def test_a_prestop_hook_answered_by_a_bad_redirect_fails_the_hook_not_down(pod_name: str, manifest) -> None:
    answer = "printf 'HTTP/1.1 302 Found\\\\r\\\\nLocation: http://127.0.0.1:99999/\\\\r\\\\nContent-Length: 0\\\\r\\\\n\\\\r\\\\n'"
    path = manifest(f"""
apiVersion: v1
kind: Pod
metadata: {{name: {pod_name}}}
spec:
  terminationGracePeriodSeconds: 2
  containers:
  - name: web
    image: {BUSYBOX}
    command: ["nc", "-ll", "-p", "8080", "-e", "sh", "-c", "{answer}"]
    lifecycle:
      preStop: {{httpGet: {{path: /stop, port: 8080}}}}
  - name: other
    image: {BUSYBOX}
    command: ["sh", "-c", "{LOOP}"]
""")
    assert run_cli("up", "-d", "-f", path).code == 0
    down = run_cli("down", "-f", path)
    assert down.code == 0, down.stderr
    assert "internal error" not in down.stderr and "99999" in down.stdout + down.stderr, down.stdout + down.stderr
    assert labelled(pod_name) == ([], [])


def test_an_image_user_of_a_fullwidth_digit_is_refused_under_restricted(pod_name: str, manifest) -> None:
    image = f"podcompose.test/{pod_name}:1"
    dockerfile = (f"FROM {BUSYBOX}\nRUN echo '\uff11:x:0:0:root:/root:/bin/sh' >> /etc/passwd\nUSER \uff11\n")
    built = subprocess.run(["docker", "build", "-q", "-t", image, "-"], input=dockerfile, capture_output=True,
                           text=True)
    assert built.returncode == 0, built.stderr
    try:
        path = manifest(f"""
apiVersion: v1
kind: Pod
metadata: {{name: {pod_name}}}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: {image}
    imagePullPolicy: Never
    command: ["sh", "-c", "{LOOP}"]
    securityContext:
      runAsNonRoot: true
      allowPrivilegeEscalation: false
      capabilities: {{drop: [ALL]}}
      seccompProfile: {{type: RuntimeDefault}}
""")
        result = run_cli("--pod-security", "restricted", "up", "-d", "-f", path)
        assert result.code == 1, result.stdout + result.stderr
        assert "non-numeric user" in result.stderr, result.stderr
        assert run_cli("down", "-f", path).code == 0
    finally:
        subprocess.run(["docker", "rmi", "-f", image], capture_output=True)


def test_an_exec_past_its_timeout_is_killed_with_what_it_started(pod_name: str, manifest) -> None:
    import docker as docker_sdk

    from podcompose.probes_model import ExecAction
    from podcompose.runtime.exec_probe import exec_check

    assert run_cli("up", "-d", "-f", manifest(one_probe_pod(pod_name, LOOP, "      tcpSocket: {port: 1}"))).code == 0
    client = docker_sdk.from_env()
    app = client.containers.get(f"{pod_name}_app")
    began = time.monotonic()
    outcome = exec_check(client, app.id, ExecAction(("sh", "-c", "sleep 77 & sleep 78")), 1)
    assert "timed out after 1s" in outcome.message and time.monotonic() - began < 2.5
    wait_until(lambda: "sleep 7" not in app.exec_run(["ps"]).output.decode(), timeout=5,
               what="the timed-out exec's processes to be gone")


def test_a_forged_file_key_ref_placeholder_never_reads_another_kind_of_volume(pod_name: str, manifest) -> None:
    forged = '\\0envfile:[\\"conf\\",\\"app.env\\",\\"K\\",false]\\0'
    path = manifest(f"""
apiVersion: v1
kind: ConfigMap
metadata: {{name: {pod_name}-conf}}
data: {{app.env: "K='from the configMap'"}}
---
apiVersion: v1
kind: Pod
metadata: {{name: {pod_name}}}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: {BUSYBOX}
    command: ["sh", "-c", "{LOOP}"]
    env: [{{name: STOLEN, value: "{forged}"}}]
    volumeMounts: [{{name: conf, mountPath: /conf}}]
  volumes:
  - {{name: conf, configMap: {{name: {pod_name}-conf}}}}
""")
    result = run_cli("up", "-d", "-f", path)
    assert result.code == 1, result.stdout
    assert "from the configMap" not in result.stdout + result.stderr
    # refused where the file is read (or, once validation refuses NUL in a value, before anything is made)
    assert "volume conf is not an emptyDir volume of the pod" in result.stderr or "NUL" in result.stderr, \
        result.stderr
    assert "internal error" not in result.stderr
    run_cli("down", "-f", path)
