"""activeDeadlineSeconds ends a pod, and a Job's ends its one pod, Failed with DeadlineExceeded (live daemon)."""
from __future__ import annotations

import json
import uuid

import pytest

from podcompose.decide import DEADLINE_MESSAGE
from podcompose.runtime.logs import unix_time

from tests.helpers import BUSYBOX, LOOP, docker, labelled, run_cli, wait_until

pytestmark = pytest.mark.docker


def ps(pod: str) -> dict:
    return json.loads(run_cli("ps", pod, "-o", "json").stdout)[0]


def state(container: str) -> dict:
    return json.loads(docker("inspect", container))[0]["State"]


def test_a_pods_and_a_jobs_active_deadline_end_them_failed(kit: dict[str, str], manifest) -> None:
    name = f"t-{uuid.uuid4().hex[:8]}"
    pods = {f"{name}-pod": "app", f"{name}-job": "work"}
    path = manifest(f"""
apiVersion: v1
kind: Pod
metadata: {{name: {name}-pod}}
spec:
  activeDeadlineSeconds: 2
  terminationGracePeriodSeconds: 1
  containers:
  - {{name: app, image: {BUSYBOX}, command: ["sh", "-c", "{LOOP}"]}}
---
apiVersion: batch/v1
kind: Job
metadata: {{name: {name}-job}}
spec:
  activeDeadlineSeconds: 2
  template:
    spec:
      terminationGracePeriodSeconds: 1
      restartPolicy: Never
      containers:
      - {{name: work, image: {BUSYBOX}, command: ["sh", "-c", "{LOOP}"]}}
""")
    try:
        assert run_cli("up", "-d", "-f", path).code == 0
        for pod, container in pods.items():
            wait_until(lambda: (ps(pod)["phase"], ps(pod)["status"]) == ("Failed", "DeadlineExceeded"),
                       timeout=20, what=f"{pod} to end Failed (DeadlineExceeded)")
            app = state(f"{pod}_{container}")
            assert not app["Running"]
            lived = unix_time(app["FinishedAt"]) - unix_time(state(f"{pod}_POD")["StartedAt"])
            assert 2 <= lived < 2 + 1 + 4, lived       # the deadline, then at most the grace period (and a pass)
            assert ps(pod)["restarts"] == 0                 # a pod past its deadline is never restarted
        assert DEADLINE_MESSAGE in run_cli("describe", f"{name}-job").stdout     # the kill's event
        assert run_cli("down", "-f", path).code == 0
        for pod in pods:
            assert labelled(pod) == ([], [])
    finally:
        for pod in pods:
            run_cli("down", pod, "--timeout", "0")
