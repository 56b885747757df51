"""Pod fields beyond the basics, each proven on the live daemon by what a user would see."""
from __future__ import annotations

import json
import re
import socket
import subprocess
from typing import Iterator

import pytest

from tests.helpers import (
    BUSYBOX, LOOP, docker, exec_out, free_port, http_get, labelled, remove_labelled, run_cli, wait_until,
)
from tests.manifests import api_object, container, documents, empty_dir, mount, pod

pytestmark = pytest.mark.docker

POD_NAME_ENV = [{"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}]


def up(path: str, *flags: str) -> None:
    result = run_cli("up", "-d", "-f", path, *flags)
    assert result.code == 0, result.stderr



def test_memory_empty_dir_is_one_tmpfs_shared_by_the_containers(pod_name: str, manifest) -> None:
    path = manifest(pod(
        pod_name,
        container("writer", f"echo in-memory > /cache/f; {LOOP}", volumeMounts=[mount("cache", "/cache")]),
        container("reader", volumeMounts=[mount("cache", "/cache")]),
        volumes=[empty_dir("cache", medium="Memory", sizeLimit="8Mi")]))
    up(path)
    assert exec_out(pod_name, "reader", "cat", "/cache/f") == "in-memory"
    cache = exec_out(pod_name, "reader", "sh", "-c", "grep ' /cache ' /proc/mounts")
    assert cache.split()[2] == "tmpfs" and "size=8192k" in cache


def test_limits_security_context_and_udp_ports_reach_docker(pod_name: str, manifest) -> None:
    port = free_port()
    path = manifest(pod(pod_name, container(
        "app", resources={"limits": {"cpu": "250m", "memory": "32Mi"}, "requests": {"cpu": "100m"}},
        securityContext={"readOnlyRootFilesystem": True,
                         "capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]}},
        ports=[{"containerPort": 53, "hostPort": port, "protocol": "UDP", "hostIP": "127.0.0.1"}])))
    up(path)
    host = json.loads(docker("inspect", f"{pod_name}_app"))[0]["HostConfig"]
    # the kubelet's CFS values: quota/period from the limit, shares from the request (MilliCPUToShares)
    assert (host["CpuPeriod"], host["CpuQuota"], host["CpuShares"]) == (100000, 25000, 102)
    assert host["NanoCpus"] == 0 and host["Memory"] == 32 * 1024 * 1024
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
        wait_until(lambda: json.loads(run_cli("ps", f"{name}-job", "-o", "json").stdout)[0]["phase"] == "Succeeded",
                   timeout=10, what="the Job's pod to succeed")
        assert run_cli("logs", f"{name}-job").stdout.strip() == "job-done"
        assert run_cli("down", "-f", path).code == 0
        for made in (f"{name}-0", f"{name}-1", f"{name}-job"):
            assert labelled(made) == ([], [])
    finally:
        for made in (f"{name}-0", f"{name}-1", f"{name}-job"):
            run_cli("down", made, "--timeout", "0")


def test_logs_since_and_timestamps(pod_name: str, manifest) -> None:
    path = manifest(pod(pod_name, container("app", f"echo early; sleep 4; echo late; {LOOP}")))
    up(path)
    wait_until(lambda: "late" in run_cli("logs", pod_name).stdout, timeout=15, what="the line 'late'")
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
    resizePolicy: [{{resourceName: cpu, restartPolicy: NotRequired}}]
""")
    result = run_cli("up", "-d", "-f", path)
    assert result.code == 0, result.stderr
    assert re.search(r":7:3: note: ignored: spec.nodeSelector: no meaning on a single Docker host", result.stderr)
    assert re.search(r":12:5: warning: .*spec.containers\[0\].resizePolicy", result.stderr), result.stderr


def test_offline_latest_image_falls_back_to_the_local_copy_and_says_so(pod_name: str, manifest) -> None:
    local = f"podcompose.test/offline-{pod_name}"          # untagged: imagePullPolicy defaults to Always
    docker("tag", BUSYBOX, f"{local}:latest")
    try:
        path = manifest(pod(pod_name, container("app", image=local)))
        result = run_cli("up", "-d", "-f", path)
        assert result.code == 0, result.stderr
        assert f"could not pull {local}; using the local image" in result.stderr
        assert result.stderr.count("could not pull") == 1
        never = run_cli("up", "-d", "-f", path, "--replace", "--pull", "never")
        assert never.code == 0 and "could not pull" not in never.stderr
    finally:
        run_cli("down", pod_name, "--timeout", "0")
        docker("rmi", f"{local}:latest")


@pytest.fixture
def no_local_pause_image(pod_name: str) -> Iterator[str]:
    """podcompose's own pause image absent for the test; whatever the test builds is removed after it,
    and an image that was there before is put back."""
    from podcompose.runtime.pause import LOCAL_PAUSE_IMAGE

    saved = f"podcompose.test/saved-pause:{pod_name}"
    had = subprocess.run(["docker", "tag", LOCAL_PAUSE_IMAGE, saved], capture_output=True).returncode == 0
    subprocess.run(["docker", "rmi", LOCAL_PAUSE_IMAGE], capture_output=True)
    try:
        yield LOCAL_PAUSE_IMAGE
    finally:
        remove_labelled(pod_name)         # the pod's containers first, or the image cannot go
        subprocess.run(["docker", "rmi", LOCAL_PAUSE_IMAGE], capture_output=True)
        if had:
            subprocess.run(["docker", "tag", saved, LOCAL_PAUSE_IMAGE], capture_output=True)
            subprocess.run(["docker", "rmi", saved], capture_output=True)


def test_without_the_registry_a_pause_image_is_built_from_the_hosts_catatonit(
        pod_name: str, manifest, no_local_pause_image: str) -> None:
    LOCAL_PAUSE_IMAGE = no_local_pause_image
    path = manifest(pod(pod_name, container("app")))
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


def test_host_network_pod_listens_on_the_hosts_loopback_with_the_hosts_hostname(pod_name: str, manifest) -> None:
    port = free_port()
    path = manifest(pod(pod_name, container(
        "web", "trap 'exit 0' TERM; mkdir -p /www; echo on-the-host > /www/index.html; "
               f"httpd -f -p 127.0.0.1:{port} -h /www & wait",
        ports=[{"containerPort": port}]), hostNetwork=True))
    up(path)
    # nothing is published: the server binds the host's own loopback
    assert http_get(f"http://127.0.0.1:{port}/") == "on-the-host"
    assert exec_out(pod_name, "web", "hostname") == socket.gethostname()
    assert docker("port", f"{pod_name}_POD") == ""


def test_sub_path_expr_expands_the_pods_variables(pod_name: str, manifest) -> None:
    path = manifest(pod(
        pod_name,
        container("writer", f"echo written-by-writer > /logs/file; {LOOP}", env=POD_NAME_ENV,
                  volumeMounts=[mount("shared", "/logs", subPathExpr="$(POD_NAME)")]),
        container("reader", volumeMounts=[mount("shared", "/shared")]),
        volumes=[empty_dir("shared")]))
    up(path)
    found = wait_until(lambda: exec_out(pod_name, "reader", "find", "/shared", "-type", "f"),
                       what="the writer's file in the shared volume")
    assert found == f"/shared/{pod_name}/file"
    assert exec_out(pod_name, "reader", "cat", f"/shared/{pod_name}/file") == "written-by-writer"


def test_sub_path_is_taken_literally(pod_name: str, manifest) -> None:
    # as in Kubernetes, only subPathExpr expands $(VAR): a subPath names the directory as written
    path = manifest(pod(
        pod_name,
        container("writer", f"echo literal > /logs/file; {LOOP}", env=POD_NAME_ENV,
                  volumeMounts=[mount("shared", "/logs", subPath="$(POD_NAME)")]),
        container("reader", volumeMounts=[mount("shared", "/shared")]),
        volumes=[empty_dir("shared")]))
    up(path)
    found = wait_until(lambda: exec_out(pod_name, "reader", "find", "/shared", "-type", "f"),
                       what="the writer's file in the shared volume")
    assert found == "/shared/$(POD_NAME)/file"


MOUNT_TMPFS = "mkdir -p /mnt/t && mount -t tmpfs none /mnt/t && grep -c ' /mnt/t tmpfs ' /proc/mounts"


def mount_denied(pod: str, container: str) -> None:
    denied = run_cli("exec", pod, "-c", container, "--", "sh", "-c", MOUNT_TMPFS)
    assert denied.code != 0, denied.stdout
    assert re.search(r"permission denied|not permitted", denied.stderr, re.I), denied.stderr


def effective_capabilities(pod: str, container: str) -> int:
    line = exec_out(pod, container, "grep", "CapEff", "/proc/self/status")
    return int(line.split()[1], 16)


def test_privileged_container_may_do_what_an_unprivileged_one_may_not(pod_name: str, manifest) -> None:
    probe = subprocess.run(["docker", "run", "--rm", "--privileged", BUSYBOX, "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip("this Docker daemon cannot start any privileged container (`docker run --privileged` "
                    f"fails: {probe.stderr.strip().splitlines()[0] if probe.stderr.strip() else probe.returncode})")
    path = manifest(pod(pod_name, container("admin", securityContext={"privileged": True}), container("plain")))
    up(path)
    last_cap = int(exec_out(pod_name, "admin", "cat", "/proc/sys/kernel/cap_last_cap"))
    every_capability = (1 << (last_cap + 1)) - 1
    assert effective_capabilities(pod_name, "admin") == every_capability
    assert effective_capabilities(pod_name, "plain") != every_capability
    assert exec_out(pod_name, "admin", "sh", "-c", MOUNT_TMPFS) == "1"
    mount_denied(pod_name, "plain")


def test_an_added_capability_grants_what_it_names_and_no_more(pod_name: str, manifest) -> None:
    # runs where privileged containers cannot (a daemon whose own bounding set lacks a capability)
    cap_net_admin = 1 << 12
    path = manifest(pod(pod_name, container("admin", securityContext={"capabilities": {"add": ["NET_ADMIN"]}}),
                        container("plain")))
    up(path)
    assert effective_capabilities(pod_name, "admin") & cap_net_admin
    assert not effective_capabilities(pod_name, "plain") & cap_net_admin
    denied = run_cli("exec", pod_name, "-c", "plain", "--", "ip", "addr", "add", "127.0.0.8/32", "dev", "lo")
    assert denied.code != 0 and "Operation not permitted" in denied.stderr, denied.stderr
    exec_out(pod_name, "admin", "ip", "addr", "add", "127.0.0.9/32", "dev", "lo")
    # one network namespace for the pod: the other container sees the address the admin added
    assert "127.0.0.9/32" in exec_out(pod_name, "plain", "ip", "-o", "addr", "show", "lo")


def test_secret_env_from_and_a_read_only_secret_volume(pod_name: str, manifest) -> None:
    path = manifest(documents(
        api_object("Secret", f"{pod_name}-creds", type="Opaque",
                   data={"DB_USER": "YWRtaW4=",                     # admin
                         "DB_PASSWORD": "czNjcjN0IHcwcmQ="},        # "s3cr3t w0rd"
                   stringData={"API_TOKEN": "tok-123"}),
        pod(pod_name,
            container("app", envFrom=[{"secretRef": {"name": f"{pod_name}-creds"}},
                                      {"prefix": "X_", "secretRef": {"name": f"{pod_name}-creds"}}],
                      volumeMounts=[mount("creds", "/etc/creds")]),
            volumes=[{"name": "creds", "secret": {"secretName": f"{pod_name}-creds"}}])))
    up(path)
    env = dict(line.split("=", 1) for line in exec_out(pod_name, "app", "env").splitlines() if "=" in line)
    assert (env.get("DB_USER"), env.get("DB_PASSWORD"), env.get("API_TOKEN")) == ("admin", "s3cr3t w0rd", "tok-123")
    assert env.get("X_DB_USER") == "admin"
    assert exec_out(pod_name, "app", "cat", "/etc/creds/DB_PASSWORD") == "s3cr3t w0rd"
    assert sorted(exec_out(pod_name, "app", "ls", "/etc/creds").split()) == ["API_TOKEN", "DB_PASSWORD", "DB_USER"]
    # a secret volume is read-only, as in Kubernetes: neither a new file nor a changed one
    for script in ("echo x > /etc/creds/new", "echo x > /etc/creds/DB_USER", "rm /etc/creds/DB_USER"):
        denied = run_cli("exec", pod_name, "-c", "app", "--", "sh", "-c", script)
        assert denied.code != 0 and "Read-only file system" in denied.stderr, (script, denied.stderr)
    assert exec_out(pod_name, "app", "cat", "/etc/creds/DB_USER") == "admin"
