"""Pod-level resources (the pod cgroup) and image volumes, on the live daemon."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from podcompose.runtime import cgroups, subpath
from tests.helpers import BUSYBOX, docker, labelled, run_cli
from tests.manifests import container, mount, pod, resource_env

pytestmark = pytest.mark.docker

CGROUP = Path(cgroups.CGROUP_MOUNT)


def up(path: str) -> None:
    result = run_cli("up", "-d", "-f", path)
    assert result.code == 0, result.stderr


def exec_run(pod: str, *command: str):
    return run_cli("exec", pod, "--", *command)


@pytest.mark.skipif(cgroups.is_v2(), reason="the pod cgroup's files are read here as cgroup v1 names them")
def test_pod_limits_bound_a_container_without_its_own(pod_name: str, manifest) -> None:
    path = manifest(pod(
        pod_name,
        container("app", env=[resource_env("MEMORY_LIMIT_MI", resource="limits.memory", divisor="1Mi"),
                              resource_env("CPU_LIMIT_MILLI", resource="limits.cpu", divisor="1m")]),
        resources={"limits": {"memory": "64Mi", "cpu": "500m", "pids": 256}}))
    cgroup = f"podcompose/default_{pod_name}"
    try:
        up(path)
        assert (CGROUP / "memory" / cgroup / "memory.limit_in_bytes").read_text().strip() == str(64 * 2**20)
        assert (CGROUP / "cpu" / cgroup / "cpu.cfs_quota_us").read_text().strip() == "50000"
        assert (CGROUP / "cpu" / cgroup / "cpu.shares").read_text().strip() == "512"
        assert (CGROUP / "pids" / cgroup / "pids.max").read_text().strip() == "256"
        # the container is in the pod's cgroup, and a 100 MiB allocation is killed there
        assert f":memory:/{cgroup}/" in exec_run(pod_name, "cat", "/proc/self/cgroup").stdout
        allocation = exec_run(pod_name, "sh", "-c", "dd if=/dev/zero of=/dev/null bs=100M count=1 && echo allocated")
        assert allocation.code == 137 and "allocated" not in allocation.stdout
        # the downward API's limits of a container without its own are the pod's (not the host's)
        env = exec_run(pod_name, "env").stdout.split()
        assert "MEMORY_LIMIT_MI=64" in env and "CPU_LIMIT_MILLI=500" in env, env
        described = run_cli("describe", pod_name)
        assert "QoS Class:  Guaranteed" in described.stdout

        assert run_cli("down", pod_name).code == 0
        assert not [p for p in CGROUP.glob(f"*/{cgroup}") if p.exists()]
    finally:
        cgroups.remove("default", pod_name)


def test_image_volume_shows_the_image_read_only_and_noexec(pod_name: str, manifest) -> None:
    path = manifest(pod(
        pod_name,
        container("app", volumeMounts=[mount("img", "/img"), mount("img", "/imgbin", subPath="bin")]),
        volumes=[{"name": "img", "image": {"reference": BUSYBOX, "pullPolicy": "Never"}}]))
    up(path)
    assert exec_run(pod_name, "head", "-1", "/img/etc/passwd").stdout.startswith("root:x:0:0:")
    assert exec_run(pod_name, "ls", "/imgbin/busybox").code == 0
    for target in ("/img/etc/passwd", "/imgbin/new"):
        write = exec_run(pod_name, "sh", "-c", f"echo x > {target}")
        assert write.code != 0 and "Read-only file system" in write.stderr
    for binary in ("/img/bin/busybox", "/imgbin/busybox"):
        assert exec_run(pod_name, binary, "true").code == 126       # noexec: Permission denied
    assert exec_run(pod_name, "ls", "/img/.dockerenv").code != 0   # Docker's init layer is not the image's
    volumes = labelled(pod_name)[1]
    assert sorted(v for v in volumes if not v.endswith(".desired")) == [f"{pod_name}_img", f"{pod_name}_img.rootfs"]
    assert [c for c in docker("ps", "-aq", "--filter", f"label=io.podcompose.pod={pod_name}",
                              "--filter", "label=io.podcompose.role=helper").split()] == []

    assert run_cli("down", pod_name).code == 0
    assert labelled(pod_name) == ([], [])
    assert not os.path.exists(subpath.staging_dir("default", pod_name))
