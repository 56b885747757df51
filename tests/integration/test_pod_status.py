"""A pod's status as every face shows it (issue 15): `ps` lists each container of the spec even when it has no
Docker container, and `up -d` leaves what waits on a probe to the agent (`--wait` is where waiting belongs)."""
from __future__ import annotations

import json
import time

import pytest

from tests.helpers import run_cli
from tests.helpers import BUSYBOX, LOOP, wait_until

pytestmark = pytest.mark.docker


def ps_containers(pod: str) -> dict[str, dict]:
    data = json.loads(run_cli("ps", pod, "-o", "json").stdout)
    return {c["name"]: c for c in data[0]["containers"]} if data else {}


def test_a_container_waiting_on_a_missing_file_key_ref_is_listed_with_its_reason(pod_name: str, manifest) -> None:
    path = manifest(f"""
apiVersion: v1
kind: Pod
metadata: {{name: {pod_name}}}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: {BUSYBOX}
    command: ["sh", "-c", "{LOOP}"]
    env:
    - name: DB_HOST
      valueFrom: {{fileKeyRef: {{volumeName: envs, path: config.env, key: DB_HOST}}}}
  volumes:
  - {{name: envs, emptyDir: {{}}}}
""")
    assert run_cli("up", "-d", "-f", path).code == 1       # the pod is kept: the agent tries again

    def listed() -> dict | None:
        app = ps_containers(pod_name).get("app")
        return app if app and app["reason"] == "CreateContainerConfigError" else None
    app = wait_until(listed, timeout=20, what="the app container listed as waiting")
    assert (app["state"], app["ready"], app["id"]) == ("waiting", False, None)
    [pod] = json.loads(run_cli("ps", pod_name, "-o", "json").stdout)
    assert pod["phase"] == "Pending" and pod["status"] == "CreateContainerConfigError"
    assert "waiting (CreateContainerConfigError)" in run_cli("ps", pod_name).stdout


def test_a_container_between_two_attempts_is_listed_waiting(pod_name: str, manifest) -> None:
    # its first run removes the env file its next attempt needs: once the first attempt is moved aside, the
    # second cannot be made (CreateContainerConfigError), so the container has no Docker container of its own
    path = manifest(f"""
apiVersion: v1
kind: Pod
metadata: {{name: {pod_name}}}
spec:
  restartPolicy: Always
  terminationGracePeriodSeconds: 1
  initContainers:
  - name: write-env
    image: {BUSYBOX}
    command: ["sh", "-c", "echo \\"DB_HOST='db.local'\\" > /env/config.env"]
    volumeMounts: [{{name: envs, mountPath: /env}}]
  containers:
  - name: once
    image: {BUSYBOX}
    command: ["sh", "-c", "rm /env/config.env; sleep 1; exit 1"]
    env:
    - name: DB_HOST
      valueFrom: {{fileKeyRef: {{volumeName: envs, path: config.env, key: DB_HOST}}}}
    volumeMounts: [{{name: envs, mountPath: /env}}]
  volumes:
  - {{name: envs, emptyDir: {{}}}}
""")
    assert run_cli("up", "-d", "-f", path).code == 0

    def between() -> dict | None:
        once = ps_containers(pod_name).get("once")
        return once if once and once["id"] is None and once["reason"] == "CreateContainerConfigError" else None
    once = wait_until(between, timeout=40, what="once to wait between two attempts", interval=0.2)  # 10 s back-off
    assert (once["state"], once["ready"], once["exitCode"]) == ("waiting", False, None), once
    assert [c["name"] for c in json.loads(run_cli("ps", pod_name, "-o", "json").stdout)[0]["containers"]] == \
        ["POD", "write-env", "once"]
    previous = run_cli("logs", pod_name, "-c", "once", "--previous")
    assert previous.code == 0, previous.stderr


SIDECAR_NEVER_STARTS = """
apiVersion: v1
kind: Pod
metadata: {{name: {name}}}
spec:
  terminationGracePeriodSeconds: 1
  initContainers:
  - name: proxy
    image: {image}
    restartPolicy: Always
    command: ["sh", "-c", "{loop}"]
    startupProbe:
      exec: {{command: ["false"]}}
      periodSeconds: 1
      failureThreshold: 1000
  containers:
  - name: app
    image: {image}
    command: ["sh", "-c", "{loop}"]
"""


def test_up_d_returns_while_a_sidecar_startup_probe_has_not_passed(pod_name: str, manifest) -> None:
    path = manifest(SIDECAR_NEVER_STARTS.format(name=pod_name, image=BUSYBOX, loop=LOOP))
    began = time.monotonic()
    up = run_cli("up", "-d", "-f", path, timeout=60)
    took = time.monotonic() - began
    assert up.code == 0, up.stderr
    assert took < 30, took
    assert "still waiting: proxy (its startup probe has not passed yet)" in up.stderr, up.stderr
    containers = ps_containers(pod_name)
    assert containers["proxy"]["state"] == "running"
    assert (containers["app"]["state"], containers["app"]["reason"]) == ("waiting", "PodInitializing")


def test_up_d_wait_fails_after_its_timeout_naming_what_waits(pod_name: str, manifest) -> None:
    path = manifest(SIDECAR_NEVER_STARTS.format(name=pod_name, image=BUSYBOX, loop=LOOP))
    began = time.monotonic()
    up = run_cli("up", "-d", "--wait", "--wait-timeout", "5", "-f", path, timeout=60)
    took = time.monotonic() - began
    assert up.code == 1
    assert "not ready after 5s" in up.stderr and "proxy" in up.stderr and "app (PodInitializing)" in up.stderr, \
        up.stderr
    assert 5 <= took < 20, took
