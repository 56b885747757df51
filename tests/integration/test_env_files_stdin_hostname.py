"""env[*].valueFrom.fileKeyRef, stdinOnce and spec.hostnameOverride against the live daemon."""
from __future__ import annotations

import socket
import time

import docker
import pytest

from tests.helpers import BUSYBOX, LOOP, exec_out, run_cli, wait_until
from tests.manifests import container, pod

pytestmark = pytest.mark.docker

WRITER = """
  initContainers:
  - name: write-env
    image: {image}
    command: ["sh", "-c", "printf \\"# written by the init container\\\\nDB_HOST='db.local'\\\\n\\" > /env/config.env"]
    volumeMounts: [{{name: envs, mountPath: /env}}]
"""


def env_pod(name: str, env: str) -> str:
    return f"""
apiVersion: v1
kind: Pod
metadata: {{name: {name}}}
spec:
  terminationGracePeriodSeconds: 1
{WRITER.format(image=BUSYBOX)}
  containers:
  - name: app
    image: {BUSYBOX}
    command: ["sh", "-c", "{LOOP}"]
    env:
{env}
  volumes:
  - {{name: envs, emptyDir: {{}}}}
"""


def test_file_key_ref_reads_the_env_file_an_init_container_wrote(pod_name: str, manifest) -> None:
    path = manifest(env_pod(pod_name, """
    - name: DB_HOST
      valueFrom: {fileKeyRef: {volumeName: envs, path: config.env, key: DB_HOST}}
    - name: DB_URL
      value: "postgres://$(DB_HOST)/app"
    - name: DB_PORT
      valueFrom: {fileKeyRef: {volumeName: envs, path: config.env, key: DB_PORT, optional: true}}"""))
    result = run_cli("up", "-d", "-f", path)
    assert result.code == 0, result.stderr
    env = exec_out(pod_name, "app", "env").splitlines()
    assert "DB_HOST=db.local" in env
    assert "DB_URL=postgres://db.local/app" in env
    assert not any(line.startswith("DB_PORT=") for line in env)     # optional and missing: not set at all


def test_a_missing_key_keeps_the_container_waiting_and_describe_says_why(pod_name: str, manifest) -> None:
    path = manifest(env_pod(pod_name, """
    - name: DB_PASSWORD
      valueFrom: {fileKeyRef: {volumeName: envs, path: config.env, key: DB_PASSWORD}}"""))
    result = run_cli("up", "-d", "-f", path)
    assert result.code == 1
    why = "fileKeyRef key DB_PASSWORD of config.env in volume envs: config.env has no key DB_PASSWORD"
    assert "container app not started (CreateContainerConfigError)" in result.stderr, result.stderr
    assert why in result.stderr and "the pod is kept" in result.stderr
    assert "Traceback" not in result.stderr and "db.local" not in result.stderr   # never a value of the file
    described = run_cli("describe", pod_name)
    assert described.code == 0, described.stderr
    assert why in described.stdout, described.stdout
    assert docker.from_env().containers.list(all=True, filters={"name": f"^{pod_name}_app$"}) == []


def test_an_unquoted_value_is_refused_as_the_kubelet_refuses_it(pod_name: str, manifest) -> None:
    text = env_pod(pod_name, """
    - name: DB_HOST
      valueFrom: {fileKeyRef: {volumeName: envs, path: config.env, key: DB_HOST}}""")
    path = manifest(text.replace("DB_HOST='db.local'", "DB_HOST=db.local"))
    result = run_cli("up", "-d", "-f", path)
    assert result.code == 1
    assert "config.env is not a valid env file: line 2: the value must be enclosed in single quotes" in result.stderr
    assert "db.local" not in result.stderr


def _attach_and_send(container_id: str, data: bytes) -> None:
    """One `docker attach` session on stdin: send `data`, then detach (close the connection)."""
    api = docker.from_env().api
    sock = api.attach_socket(container_id, params={"stdin": 1, "stream": 1})
    raw = getattr(sock, "_sock", sock)
    raw.sendall(data)
    time.sleep(0.5)
    raw.shutdown(socket.SHUT_RDWR)
    raw.close()


@pytest.mark.parametrize("stdin_once", [True, False])
def test_stdin_once_closes_stdin_when_the_first_attach_ends(pod_name: str, manifest, stdin_once: bool) -> None:
    path = manifest(pod(pod_name, container("cat", "cat; echo cat-ended", stdin=True, stdinOnce=stdin_once),
                        restartPolicy="Never"))
    assert run_cli("up", "-d", "-f", path).code == 0
    client = docker.from_env()
    attached = client.containers.get(f"{pod_name}_cat")
    assert attached.attrs["Config"]["StdinOnce"] is stdin_once
    _attach_and_send(attached.id, b"hello from attach\n")
    if stdin_once:
        wait_until(lambda: client.containers.get(attached.id).status == "exited", 10, "cat to end")
        logs = client.containers.get(attached.id).logs().decode()
        assert "hello from attach" in logs and "cat-ended" in logs
    else:
        time.sleep(2)    # stdin stays open for the next attach: cat still reads
        assert client.containers.get(attached.id).status == "running"
        assert "hello from attach" in client.containers.get(attached.id).logs().decode()


def test_hostname_override_names_the_pod(pod_name: str, manifest) -> None:
    path = manifest(pod(pod_name, container("app"), hostname="ignored", subdomain="sub",
                        hostnameOverride="build-7.example.internal"))
    result = run_cli("up", "-d", "-f", path)
    assert result.code == 0, result.stderr
    assert exec_out(pod_name, "app", "hostname") == "build-7.example.internal"
    hosts = exec_out(pod_name, "app", "cat", "/etc/hosts").splitlines()
    own = [line.split() for line in hosts if "build-7" in line]
    assert len(own) == 1 and own[0][1:] == ["build-7.example.internal"], hosts
    assert not any("svc.cluster.local" in line for line in hosts)


def test_hostname_override_with_fqdn_or_host_network_is_a_located_error(manifest) -> None:
    path = manifest("""
apiVersion: v1
kind: Pod
metadata: {name: bad}
spec:
  setHostnameAsFQDN: true
  hostnameOverride: Not_A_Name
  containers:
  - {name: app, image: busybox}
---
apiVersion: v1
kind: Pod
metadata: {name: bad2}
spec:
  hostNetwork: true
  hostnameOverride: build-7
  containers:
  - {name: app, image: busybox}
""")
    result = run_cli("validate", "-f", path)
    assert result.code != 0
    assert ":7:21: spec.hostnameOverride: 'Not_A_Name' is not a valid name (DNS-1123 subdomain)" in result.stdout + \
        result.stderr
    assert ":16:21: spec.hostnameOverride: hostnameOverride may not be set on a pod with hostNetwork: true" in \
        result.stdout + result.stderr
