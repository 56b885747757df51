"""The pod cgroup: a kubelet's pod-level cgroup, made as Docker's `cgroup_parent` (cgroupfs driver).

The kubelet puts a pod's containers under one cgroup whose limits are the pod's
(pkg/kubelet/cm/pod_container_manager_linux.go). Docker creates a missing
cgroup_parent without limits, so the directory is made and its limits written
here before any container of the pod is made (again before each one: after a
reboot the directory is gone), and removed once the pod's containers are gone.
"""
from __future__ import annotations

import errno
import os

import docker

from .. import kubelet
from ..errors import PodcomposeError
from ..model import Pod
from ..translate import pod_cgroup_name, pod_cgroup_parent

CGROUP_MOUNT = os.environ.get("PODCOMPOSE_CGROUP_MOUNT", "/sys/fs/cgroup")
UNLIMITED_V1 = "-1"


def is_v2(mount: str = CGROUP_MOUNT) -> bool:
    return os.path.exists(os.path.join(mount, "cgroup.controllers"))


def check_driver(client: docker.DockerClient, pod: Pod) -> None:
    """Refuse, before anything is made, a pod cgroup the daemon would not put where it is written."""
    if pod.resources is None:
        return
    driver = str(client.info().get("CgroupDriver") or "")
    if driver != "cgroupfs":
        raise PodcomposeError(f"pod {pod.name} sets spec.resources, and podcompose makes the pod's cgroup for "
                              f"Docker's cgroupfs driver; this daemon uses the {driver or 'unknown'} driver, so "
                              "the pod's limits cannot be applied; nothing was created")
    if not os.path.isdir(os.path.join(CGROUP_MOUNT, "memory")) and not is_v2():
        raise PodcomposeError(f"pod {pod.name} sets spec.resources, but {CGROUP_MOUNT} holds no cgroup hierarchy "
                              "podcompose can write (is the Docker daemon on another host?); nothing was created")


def values(pod: Pod) -> kubelet.PodCgroup | None:
    resources = pod.resources
    if resources is None:
        return None
    return kubelet.pod_cgroup(resources.cpu_request_milli, resources.cpu_limit_milli, resources.memory_limit_bytes,
                              resources.pids_limit)


def settings_v1(config: kubelet.PodCgroup) -> list[tuple[str, str, str]]:
    """(hierarchy, file, value) in the order they are written; quota and memory reset when unlimited."""
    return [
        ("cpu", "cpu.shares", str(config.cpu_shares)),
        ("cpu", "cpu.cfs_period_us", str(config.cpu_period)),
        ("cpu", "cpu.cfs_quota_us", str(config.cpu_quota) if config.cpu_quota else UNLIMITED_V1),
        ("memory", "memory.limit_in_bytes", str(config.memory_limit) if config.memory_limit else UNLIMITED_V1),
        ("pids", "pids.max", str(config.pids_limit) if config.pids_limit else "max"),
    ]


def settings_v2(config: kubelet.PodCgroup) -> list[tuple[str, str]]:
    quota = str(config.cpu_quota) if config.cpu_quota else "max"
    return [
        ("cpu.weight", str(kubelet.cpu_shares_to_weight(config.cpu_shares))),
        ("cpu.max", f"{quota} {config.cpu_period}"),
        ("memory.max", str(config.memory_limit) if config.memory_limit else "max"),
        ("pids.max", str(config.pids_limit) if config.pids_limit else "max"),
    ]


def _write(path: str, value: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    try:
        os.write(fd, value.encode())
    finally:
        os.close(fd)


def _relative(pod: Pod) -> str:
    return pod_cgroup_name(pod.namespace, pod.name).lstrip("/")


def ensure(pod: Pod) -> None:
    """Make the pod's cgroup and write its limits (idempotent); nothing for a pod without pod-level resources."""
    config = values(pod)
    if config is None:
        return
    try:
        if is_v2():
            _ensure_v2(_relative(pod), config)
        else:
            for hierarchy, name, value in settings_v1(config):
                directory = os.path.join(CGROUP_MOUNT, hierarchy, _relative(pod))
                os.makedirs(directory, exist_ok=True)
                _write(os.path.join(directory, name), value)
    except OSError as error:
        raise PodcomposeError(f"cannot set the cgroup of pod {pod.name} ({pod_cgroup_parent(pod)}): "
                              f"{error.strerror or error}") from error


def _ensure_v2(relative: str, config: kubelet.PodCgroup) -> None:
    """cgroup v2: each level above the pod delegates cpu and memory to its children first."""
    parts = relative.split("/")
    current = CGROUP_MOUNT
    for part in parts:
        _write(os.path.join(current, "cgroup.subtree_control"), "+cpu +memory +pids")
        current = os.path.join(current, part)
        os.makedirs(current, exist_ok=True)
    for name, value in settings_v2(config):
        _write(os.path.join(current, name), value)


def remove(namespace: str, pod: str) -> list[str]:
    """Remove the pod's cgroup from every hierarchy (after its containers are gone); the problems, if any."""
    relative = pod_cgroup_name(namespace, pod).lstrip("/")
    roots = [CGROUP_MOUNT] if is_v2() else sorted({os.path.realpath(os.path.join(CGROUP_MOUNT, entry))
                                                   for entry in _entries(CGROUP_MOUNT)})
    problems = []
    for root in roots:
        directory = os.path.join(root, relative)
        try:
            os.rmdir(directory)
        except FileNotFoundError:
            continue
        except OSError as error:
            if error.errno != errno.ENOENT:
                problems.append(f"{directory}: {error.strerror}")
    return problems


def _entries(mount: str) -> list[str]:
    try:
        return [entry for entry in os.listdir(mount) if os.path.isdir(os.path.join(mount, entry))]
    except OSError:
        return []
