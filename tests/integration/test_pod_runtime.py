"""The pod runtime against the live Docker daemon (issue #2)."""
from __future__ import annotations

import json
import os
import subprocess
from typing import Iterator

import pytest

from podcompose.runtime.logs import unix_time
from tests.helpers import (
    BUSYBOX, LOOP, docker, exec_out, free_port, http_get, labelled, remove_labelled, run_cli, wait_until,
)
from tests.manifests import api_object, container, documents, empty_dir, mount, pod

pytestmark = pytest.mark.docker


def two_container_pod(name: str, port: int) -> str:
    return f"""
apiVersion: v1
kind: Pod
metadata:
  name: {name}
spec:
  terminationGracePeriodSeconds: 2
  initContainers:
  - name: first
    image: {BUSYBOX}
    command: ["sh", "-c", "echo from-first > /work/first; date +%s%N > /work/first.time"]
    volumeMounts: [{{name: work, mountPath: /work}}]
  - name: second
    image: {BUSYBOX}
    command: ["sh", "-c", "cat /work/first > /work/second-saw; echo second-done >> /work/second-saw"]
    volumeMounts: [{{name: work, mountPath: /work}}]
  containers:
  - name: web
    image: {BUSYBOX}
    command: ["sh", "-c", "trap 'exit 0' TERM; mkdir -p /www; cat /work/second-saw > /www/index.html; httpd -f -p 8080 -h /www & wait"]
    ports:
    - containerPort: 8080
      hostPort: {port}
      hostIP: 127.0.0.1
    volumeMounts: [{{name: work, mountPath: /work}}]
  - name: client
    image: {BUSYBOX}
    command: ["sh", "-c", "{LOOP}"]
  volumes:
  - name: work
    emptyDir: {{}}
"""


@pytest.fixture
def running_pod(pod_name: str, manifest):
    port = free_port()
    path = manifest(two_container_pod(pod_name, port))
    result = run_cli("up", "-d", "-f", path)
    assert result.code == 0, result.stderr
    return pod_name, port, path


def test_containers_share_localhost_hostname_and_ip(running_pod) -> None:
    pod, port, _ = running_pod
    assert exec_out(pod, "client", "wget", "-qO-", "http://localhost:8080/") == "from-first\nsecond-done"
    hostnames = {exec_out(pod, c, "hostname") for c in ("web", "client")}
    assert hostnames == {pod}
    addresses = {exec_out(pod, c, "hostname", "-i") for c in ("web", "client")}
    assert len(addresses) == 1
    interfaces = exec_out(pod, "client", "sh", "-c", "ip -o -4 addr show | grep -v ' lo ' | wc -l")
    assert interfaces == "1"


def test_published_port_serves_from_the_host_loopback(running_pod) -> None:
    _, port, _ = running_pod
    assert http_get(f"http://127.0.0.1:{port}/") == "from-first\nsecond-done"


def test_init_containers_ran_in_order_before_apps(running_pod) -> None:
    pod, _, _ = running_pod
    states = {}
    for role_container in ("first", "second", "web", "client"):
        info = json.loads(docker("inspect", f"{pod}_{role_container}"))[0]["State"]
        states[role_container] = info
    assert states["first"]["ExitCode"] == 0 and states["second"]["ExitCode"] == 0
    # Docker trims trailing zeros of the nanoseconds: compare times, not strings
    time_of = {c: {k: unix_time(s[k]) for k in ("StartedAt", "FinishedAt")} for c, s in states.items()}
    assert time_of["first"]["FinishedAt"] <= time_of["second"]["StartedAt"]
    assert time_of["second"]["FinishedAt"] <= time_of["web"]["StartedAt"]
    assert time_of["second"]["FinishedAt"] <= time_of["client"]["StartedAt"]
    assert exec_out(pod, "web", "cat", "/work/second-saw") == "from-first\nsecond-done"


def test_second_up_is_a_no_op_and_a_change_replaces(running_pod) -> None:
    pod, port, path = running_pod
    before = docker("ps", "-q", "--no-trunc", "--filter", f"label=io.podcompose.pod={pod}").split()
    again = run_cli("up", "-d", "-f", path)
    assert again.code == 0, again.stderr
    assert "up to date" in again.stderr
    assert docker("ps", "-q", "--no-trunc", "--filter", f"label=io.podcompose.pod={pod}").split() == before

    changed = open(path).read().replace("second-done", "second-changed")
    open(path, "w").write(changed)
    replaced = run_cli("up", "-d", "-f", path)
    assert replaced.code == 0, replaced.stderr
    assert "replacing" in replaced.stderr
    after = docker("ps", "-q", "--no-trunc", "--filter", f"label=io.podcompose.pod={pod}").split()
    assert not set(after) & set(before)
    assert http_get(f"http://127.0.0.1:{port}/") == "from-first\nsecond-changed"


def test_down_leaves_nothing_labelled(running_pod) -> None:
    pod, _, path = running_pod
    assert labelled(pod)[0] and labelled(pod)[1]
    result = run_cli("down", "-f", path)
    assert result.code == 0, result.stderr
    assert labelled(pod) == ([], [])
    again = run_cli("down", pod)
    assert again.code == 0


@pytest.fixture
def entrypoint_cmd_image(pod_name: str, tmp_path) -> Iterator[str]:
    """An image with both ENTRYPOINT and CMD, built for this test and removed after it (with its pod)."""
    image = f"podcompose.test/entrypoint-cmd:{pod_name}"
    (tmp_path / "ctx").mkdir()
    (tmp_path / "ctx" / "Dockerfile").write_text(
        f'FROM {BUSYBOX}\nENTRYPOINT ["echo", "entrypoint"]\nCMD ["image-cmd"]\n')
    # the daemon the tests use (a private one's DOCKER_HOST), not the default socket
    docker_host = {"DOCKER_HOST": os.environ["DOCKER_HOST"]} if "DOCKER_HOST" in os.environ else {}
    subprocess.run(["docker", "build", "-q", "--label", f"io.podcompose.test.image={pod_name}", "-t", image,
                    str(tmp_path / "ctx")], check=True, capture_output=True,
                   env={"DOCKER_BUILDKIT": "0", "PATH": "/usr/bin:/bin:/usr/local/bin"} | docker_host)
    try:
        yield image
    finally:
        remove_labelled(pod_name)         # its containers first, or the image cannot go
        subprocess.run(["docker", "rmi", "-f", image], capture_output=True)


def test_command_and_args_follow_kubernetes_semantics(pod_name: str, manifest, entrypoint_cmd_image: str) -> None:
    image = entrypoint_cmd_image
    path = manifest(pod(
        pod_name,
        container("neither", None, image=image),
        container("args-only", None, image=image, args=["my-args"]),
        container("command-only", ["echo", "my-command"], image=image),
        container("expanded", ["echo", "$(GREETING) world", "$$(GREETING)", "$(UNDEFINED)"], image=image,
                  env=[{"name": "NAME", "value": "world"}, {"name": "GREETING", "value": "hello $(NAME)"}]),
        grace=None, restartPolicy="Never"))
    result = run_cli("up", "-d", "-f", path)
    assert result.code == 0, result.stderr
    names = ("neither", "args-only", "command-only", "expanded")
    wait_until(lambda: all(docker("inspect", "-f", "{{.State.Status}}", f"{pod_name}_{c}") == "exited" for c in names),
               what="every container to finish")
    logs = {c: docker("logs", f"{pod_name}_{c}") for c in names}
    assert logs == {"neither": "entrypoint image-cmd", "args-only": "entrypoint my-args",
                    "command-only": "my-command", "expanded": "hello world world $(GREETING) $(UNDEFINED)"}


def test_empty_dir_starts_empty_and_read_only_mounts_refuse_writes(pod_name: str, manifest) -> None:
    path = manifest(pod(
        pod_name,
        container("app", volumeMounts=[mount("over-etc", "/etc"), mount("shared", "/ro", readOnly=True),
                                       mount("shared", "/rw")]),
        container("nobody", securityContext={"runAsUser": 65534, "runAsGroup": 65534},
                  volumeMounts=[mount("shared", "/shared")]),
        volumes=[empty_dir("over-etc"), empty_dir("shared")]))
    assert run_cli("up", "-d", "-f", path).code == 0
    # the image's /etc/passwd and group are not copied in; Docker itself bind-mounts its three files
    assert set(exec_out(pod_name, "app", "ls", "-A", "/etc").split()) == {"hostname", "hosts", "resolv.conf"}
    denied = run_cli("exec", pod_name, "--", "touch", "/ro/x")
    assert denied.code != 0 and "Read-only file system" in denied.stderr
    exec_out(pod_name, "app", "touch", "/rw/y")
    assert exec_out(pod_name, "app", "ls", "/ro") == "y"
    # as in Kubernetes, an emptyDir is world-writable: a non-root container can write to it
    assert exec_out(pod_name, "app", "stat", "-c", "%a", "/rw") == "777"
    assert exec_out(pod_name, "nobody", "id", "-u") == "65534"
    exec_out(pod_name, "nobody", "touch", "/shared/by-nobody")
    assert exec_out(pod_name, "app", "stat", "-c", "%u", "/rw/by-nobody") == "65534"


def test_config_map_volume_and_env(pod_name: str, manifest) -> None:
    path = manifest(documents(
        api_object("ConfigMap", "settings", data={"mode": "fast", "app.conf": "listen 8080\n"}),
        pod(pod_name,
            container("app", env=[{"name": "MODE",
                                   "valueFrom": {"configMapKeyRef": {"name": "settings", "key": "mode"}}},
                                  {"name": "POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}],
                      volumeMounts=[mount("conf", "/etc/app")]),
            volumes=[{"name": "conf", "configMap": {
                "name": "settings", "items": [{"key": "app.conf", "path": "app.conf", "mode": 0o600}]}}])))
    result = run_cli("up", "-d", "-f", path)
    assert result.code == 0, result.stderr
    assert exec_out(pod_name, "app", "cat", "/etc/app/app.conf") == "listen 8080"
    assert exec_out(pod_name, "app", "stat", "-c", "%a", "/etc/app/app.conf") == "600"
    assert exec_out(pod_name, "app", "sh", "-c", "echo $MODE $POD") == f"fast {pod_name}"


def test_shared_process_namespace(pod_name: str, manifest) -> None:
    path = manifest(pod(pod_name, container("a", "trap 'exit 0' TERM; while true; do sleep 7; done"), container("b"),
                        shareProcessNamespace=True))
    assert run_cli("up", "-d", "-f", path).code == 0
    assert "sleep 7" in exec_out(pod_name, "b", "ps")


def test_missing_image_fails_before_touching_a_running_pod(running_pod) -> None:
    pod, port, path = running_pod
    broken = open(path).read().replace("name: client\n    image: podcompose.test/busybox:1",
                                       "name: client\n    image: podcompose.test/absent:1")
    open(path, "w").write(broken)
    result = run_cli("up", "-d", "-f", path, "--pull", "never")
    assert result.code == 1
    assert "podcompose.test/absent:1 is not present locally" in result.stderr
    assert http_get(f"http://127.0.0.1:{port}/") == "from-first\nsecond-done"
