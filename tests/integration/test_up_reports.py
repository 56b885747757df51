"""`up -d` keeps a pod whose containers end, as a kubelet does, and says what happened (issue #8)."""
from __future__ import annotations

import json

import pytest

from tests.helpers import labelled, run_cli, wait_until
from tests.manifests import container, pod

pytestmark = pytest.mark.docker


def pod_with_short_container(name: str, exit_code: int) -> str:
    return pod(name, container("server"),
               container("once", f"echo hello from once; echo the-last-words; exit {exit_code}"),
               restartPolicy="Always")


def containers(pod: str) -> dict[str, dict]:
    data = json.loads(run_cli("ps", pod, "-o", "json").stdout)
    return {c["name"]: c for c in data[0]["containers"]} if data else {}


def test_a_container_that_exits_0_under_always_is_not_a_failure(pod_name: str, manifest) -> None:
    up = run_cli("up", "-d", "-f", manifest(pod_with_short_container(pod_name, 0)))
    assert up.code == 0, up.stderr
    assert "once: completed" in up.stderr + up.stdout
    assert "exited with code" not in up.stderr
    # kept, and restarted by its policy: ps shows the restarts rising while the server runs on
    wait_until(lambda: containers(pod_name)["once"]["restarts"] >= 1, timeout=20, what="a restart of once")
    now = containers(pod_name)
    assert now["server"]["state"] == "running" and now["server"]["restarts"] == 0
    assert labelled(pod_name)[0], "the pod was removed"


def test_a_container_that_exits_3_is_reported_and_the_pod_kept(pod_name: str, manifest) -> None:
    up = run_cli("up", "-d", "-f", manifest(pod_with_short_container(pod_name, 3)))
    assert up.code == 1
    assert f"container once of pod {pod_name} exited with code 3 (Error" in up.stderr
    assert "the-last-words" in up.stderr            # the log tail
    assert "Traceback" not in up.stderr
    assert containers(pod_name)["server"]["state"] == "running"
    wait_until(lambda: containers(pod_name)["once"]["restarts"] >= 1, timeout=20, what="a restart of once")


def test_a_failed_init_container_under_never_still_rolls_back(pod_name: str, manifest) -> None:
    path = manifest(pod(pod_name, container("app"), init=[container("setup", "exit 5")], grace=None,
                        restartPolicy="Never"))
    up = run_cli("up", "-d", "-f", path)
    assert up.code == 1 and "init container setup" in up.stderr and "exit code 5" in up.stderr
    assert labelled(pod_name) == ([], [])


def test_validate_of_objects_on_their_own_succeeds(manifest) -> None:
    path = manifest("""
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {mode: fast}
---
apiVersion: v1
kind: Secret
metadata: {name: token}
stringData: {token: abc}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
""")
    result = run_cli("validate", "-f", path)
    assert result.code == 0, result.stdout + result.stderr
    assert "nothing in these documents runs" in result.stdout + result.stderr
