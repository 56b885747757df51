"""ReplicaSet, StatefulSet and DaemonSet manifests run their pod template on the live daemon."""
from __future__ import annotations

import json
import subprocess
import uuid

import pytest

from tests.helpers import BUSYBOX, LOOP, docker, exec_out, labelled, remove_labelled, run_cli

pytestmark = pytest.mark.docker


def workloads(name: str) -> str:
    template = f"""
    metadata: {{labels: {{app: {name}}}}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: app
        image: {BUSYBOX}
        command: ["sh", "-c", "{LOOP}"]"""
    return f"""
apiVersion: apps/v1
kind: StatefulSet
metadata: {{name: {name}-db}}
spec:
  replicas: 2
  serviceName: {name}-svc
  selector: {{matchLabels: {{app: {name}}}}}
  template:{template}
        volumeMounts: [{{name: data, mountPath: /data}}]
  volumeClaimTemplates:
  - metadata: {{name: data}}
    spec: {{accessModes: [ReadWriteOnce], resources: {{requests: {{storage: 1Gi}}}}}}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata: {{name: {name}-rs}}
spec:
  replicas: 2
  selector: {{matchLabels: {{app: {name}}}}}
  template:{template}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {{name: {name}-ds}}
spec:
  selector: {{matchLabels: {{app: {name}}}}}
  template:{template}
"""


def pod_names(path: str) -> list[str]:
    result = run_cli("ps", "-f", path, "-o", "json")
    assert result.code == 0, result.stderr
    return sorted(p["name"] for p in json.loads(result.stdout))


def test_statefulset_replicaset_and_daemonset_run_their_templates(kit: dict[str, str], manifest) -> None:
    name = f"t-{uuid.uuid4().hex[:8]}"
    path = manifest(workloads(name))
    pods = [f"{name}-db-0", f"{name}-db-1", f"{name}-ds", f"{name}-rs-0", f"{name}-rs-1"]
    claims = [f"default_PVC_data-{name}-db-{i}" for i in (0, 1)]

    def volume_exists(volume: str) -> bool:
        return docker("volume", "ls", "-q", "--filter", f"name=^{volume}$") == volume

    try:
        first = run_cli("up", "-d", "-f", path)
        assert first.code == 0, first.stderr
        assert pod_names(path) == pods
        for i in (0, 1):
            pod = f"{name}-db-{i}"
            assert exec_out(pod, "app", "hostname") == pod
            assert f"{pod}.{name}-svc.default.svc.cluster.local" in exec_out(pod, "app", "cat", "/etc/hosts")
        exec_out(f"{name}-db-0", "app", "sh", "-c", "echo kept-0 > /data/f")

        again = run_cli("up", "-d", "-f", path)
        assert again.code == 0, again.stderr
        assert again.stderr.count("up to date") == len(pods), again.stderr

        assert run_cli("down", "-f", path).code == 0
        for pod in pods:
            assert labelled(pod) == ([], [])
        assert all(volume_exists(v) for v in claims)       # each pod's claim outlives down

        assert run_cli("up", "-d", "-f", path).code == 0
        assert exec_out(f"{name}-db-0", "app", "cat", "/data/f") == "kept-0"
        assert exec_out(f"{name}-db-1", "app", "ls", "-A", "/data") == ""    # a claim of its own

        assert run_cli("down", "-f", path, "--volumes").code == 0
        assert not any(volume_exists(v) for v in claims)
    finally:
        for pod in pods:
            remove_labelled(pod)
        subprocess.run(["docker", "volume", "rm", "-f", *claims], capture_output=True)
