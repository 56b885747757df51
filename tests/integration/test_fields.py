"""Pod fields beyond the basics, each proven on the live daemon by what a user would see."""
from __future__ import annotations

import json
import re
import subprocess
import time

import pytest

from tests.conftest import docker, exec_out, labelled, run_cli
from tests.helpers import BUSYBOX, LOOP, free_port

pytestmark = pytest.mark.docker


def up(path: str, *flags: str) -> None:
    result = run_cli("up", "-d", "-f", path, *flags)
    assert result.code == 0, result.stderr



def test_memory_empty_dir_is_one_tmpfs_shared_by_the_containers(pod_name: str, manifest) -> None:
    path = manifest(f"""
apiVersion: v1
kind: Pod
metadata: {{name: {pod_name}}}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - {{name: writer, image: {BUSYBOX}, command: ["sh", "-c", "echo in-memory > /cache/f; {LOOP}"],
      volumeMounts: [{{name: cache, mountPath: /cache}}]}}
  - {{name: reader, image: {BUSYBOX}, command: ["sh", "-c", "{LOOP}"],
      volumeMounts: [{{name: cache, mountPath: /cache}}]}}
  volumes:
  - {{name: cache, emptyDir: {{medium: Memory, sizeLimit: 8Mi}}}}
""")
    up(path)
    assert exec_out(pod_name, "reader", "cat", "/cache/f") == "in-memory"
    mount = exec_out(pod_name, "reader", "sh", "-c", "grep ' /cache ' /proc/mounts")
    assert mount.split()[2] == "tmpfs" and "size=8192k" in mount


def test_limits_security_context_and_udp_ports_reach_docker(pod_name: str, manifest) -> None:
    port = free_port()
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
    resources: {{limits: {{cpu: 250m, memory: 32Mi}}, requests: {{cpu: 100m}}}}
    securityContext:
      readOnlyRootFilesystem: true
      capabilities: {{drop: [ALL], add: [NET_BIND_SERVICE]}}
    ports: [{{containerPort: 53, hostPort: {port}, protocol: UDP, hostIP: 127.0.0.1}}]
""")
    up(path)
    host = json.loads(docker("inspect", f"{pod_name}_app"))[0]["HostConfig"]
    assert host["NanoCpus"] == 250_000_000 and host["Memory"] == 32 * 1024 * 1024
    assert host["ReadonlyRootfs"] is True
    assert host["CapDrop"] == ["ALL"] and host["CapAdd"] == ["NET_BIND_SERVICE"]
    denied = run_cli("exec", pod_name, "--", "touch", "/x")
    assert denied.code != 0 and "Read-only file system" in denied.stderr
    # the limit as the container itself sees it, on cgroup v1 or v2
    limit = exec_out(pod_name, "app", "sh", "-c",
                     "cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max")
    assert limit == str(32 * 1024 * 1024)
    assert docker("port", f"{pod_name}_POD") == f"53/udp -> 127.0.0.1:{port}"


def test_deployment_replicas_and_a_job(kit: dict[str, str], manifest) -> None:
    import uuid

    name = f"t-{uuid.uuid4().hex[:8]}"
    path = manifest(f"""
apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}}}
spec:
  replicas: 2
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - {{name: app, image: {BUSYBOX}, command: ["sh", "-c", "{LOOP}"]}}
---
apiVersion: batch/v1
kind: Job
metadata: {{name: {name}-job}}
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
      - {{name: work, image: {BUSYBOX}, command: ["sh", "-c", "echo job-done"]}}
""")
    try:
        up(path)
        data = json.loads(run_cli("ps", "-f", path, "-o", "json").stdout)
        assert sorted(p["name"] for p in data) == [f"{name}-0", f"{name}-1", f"{name}-job"]
        assert {exec_out(f"{name}-{i}", "app", "hostname") for i in (0, 1)} == {f"{name}-0", f"{name}-1"}
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            job = json.loads(run_cli("ps", f"{name}-job", "-o", "json").stdout)[0]
            if job["phase"] == "Succeeded":
                break
            time.sleep(0.2)
        assert job["phase"] == "Succeeded"
        assert run_cli("logs", f"{name}-job").stdout.strip() == "job-done"
        assert run_cli("down", "-f", path).code == 0
        for pod in (f"{name}-0", f"{name}-1", f"{name}-job"):
            assert labelled(pod) == ([], [])
    finally:
        for pod in (f"{name}-0", f"{name}-1", f"{name}-job"):
            run_cli("down", pod, "--timeout", "0")


def test_logs_since_and_timestamps(pod_name: str, manifest) -> None:
    path = manifest(f"""
apiVersion: v1
kind: Pod
metadata: {{name: {pod_name}}}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - {{name: app, image: {BUSYBOX}, command: ["sh", "-c", "echo early; sleep 4; echo late; {LOOP}"]}}
""")
    up(path)
    deadline = time.monotonic() + 15
    while "late" not in run_cli("logs", pod_name).stdout and time.monotonic() < deadline:
        time.sleep(0.2)
    # `late` came under a second ago, `early` four seconds before it; --since counts whole seconds
    assert run_cli("logs", pod_name, "--since", "2s").stdout.split() == ["late"]
    stamped = run_cli("logs", pod_name, "--timestamps").stdout.splitlines()
    assert [line.split(" ", 1)[1] for line in stamped] == ["early", "late"]
    assert all(re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z ", line) for line in stamped)
    bad = run_cli("logs", pod_name, "--since", "yesterday")
    assert bad.code == 2 and "--since takes a duration" in bad.stderr


def test_unsupported_fields_are_announced_by_up(pod_name: str, manifest) -> None:
    path = manifest(f"""
apiVersion: v1
kind: Pod
metadata: {{name: {pod_name}}}
spec:
  terminationGracePeriodSeconds: 1
  nodeSelector: {{disk: ssd}}
  containers:
  - name: app
    image: {BUSYBOX}
    command: ["sh", "-c", "{LOOP}"]
    livenessProbe: {{exec: {{command: ["true"]}}}}
""")
    result = run_cli("up", "-d", "-f", path)
    assert result.code == 0, result.stderr
    assert re.search(r":7:3: note: ignored: spec.nodeSelector: no meaning on a single Docker host", result.stderr)
    assert re.search(r":12:5: warning: .*spec.containers\[0\].livenessProbe", result.stderr), result.stderr


def test_offline_latest_image_falls_back_to_the_local_copy_and_says_so(pod_name: str, manifest) -> None:
    local = f"podcompose.test/offline-{pod_name}"          # untagged: imagePullPolicy defaults to Always
    docker("tag", BUSYBOX, f"{local}:latest")
    try:
        path = manifest(f"""
apiVersion: v1
kind: Pod
metadata: {{name: {pod_name}}}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - {{name: app, image: {local}, command: ["sh", "-c", "{LOOP}"]}}
""")
        result = run_cli("up", "-d", "-f", path)
        assert result.code == 0, result.stderr
        assert f"could not pull {local}; using the local image" in result.stderr
        assert result.stderr.count("could not pull") == 1
        never = run_cli("up", "-d", "-f", path, "--replace", "--pull", "never")
        assert never.code == 0 and "could not pull" not in never.stderr
    finally:
        run_cli("down", pod_name, "--timeout", "0")
        docker("rmi", f"{local}:latest")


def test_without_the_registry_a_pause_image_is_built_from_the_hosts_catatonit(pod_name: str, manifest) -> None:
    from podcompose.runtime.pause import LOCAL_PAUSE_IMAGE

    subprocess.run(["docker", "rmi", LOCAL_PAUSE_IMAGE], capture_output=True)
    path = manifest(f"""
apiVersion: v1
kind: Pod
metadata: {{name: {pod_name}}}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - {{name: app, image: {BUSYBOX}, command: ["sh", "-c", "{LOOP}"]}}
""")
    default = {"PODCOMPOSE_PAUSE_IMAGE": ""}   # registry.k8s.io/pause:3.10, which cannot be pulled here
    result = run_cli("up", "-d", "-f", path, env=default)
    assert result.code == 0, result.stderr
    assert f"built the pause image {LOCAL_PAUSE_IMAGE} from /usr/bin/catatonit" in result.stderr
    pause = json.loads(docker("inspect", f"{pod_name}_POD"))[0]
    assert pause["Config"]["Image"] == LOCAL_PAUSE_IMAGE and pause["State"]["Running"]
    assert exec_out(pod_name, "app", "hostname") == pod_name
    again = run_cli("up", "-d", "-f", path, env=default)
    assert again.code == 0 and "up to date" in again.stderr and "built" not in again.stderr
    chosen = run_cli("up", "-d", "-f", path, "--replace", "--pause-image", "podcompose.test/absent-pause:1")
    assert chosen.code == 1 and "--pause-image or PODCOMPOSE_PAUSE_IMAGE" in chosen.stderr
