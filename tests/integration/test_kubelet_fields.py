"""Pod and container fields a kubelet honours (issue 11): security contexts, resources, hosts and DNS.

Each test checks what a user would see inside the pod (or what Docker applied), so each would fail
without the field being honoured.
"""
from __future__ import annotations

import json
import os
import subprocess

import pytest

from tests.helpers import docker, exec_out, labelled, run_cli, wait_until
from tests.manifests import api_object, container, documents, empty_dir, mount, pod

pytestmark = pytest.mark.docker


def up(path: str, *flags: str, env: dict[str, str] | None = None) -> None:
    result = run_cli("up", "-d", "-f", path, *flags, env=env)
    assert result.code == 0, result.stderr


def inspect(pod: str, container: str) -> dict:
    return json.loads(docker("inspect", f"{pod}_{container}"))[0]


def test_pod_security_context_merges_and_fs_group_owns_the_volumes(pod_name: str, manifest) -> None:
    # the documentation's security-context.yaml, plus a configMap volume and a container that overrides the user
    path = manifest(documents(
        api_object("ConfigMap", f"{pod_name}-cm", data={"greeting": "hello"}),
        pod(pod_name,
            container("sec-ctx-demo", volumeMounts=[mount("sec-ctx-vol", "/data/demo"), mount("conf", "/conf")],
                      securityContext={"allowPrivilegeEscalation": False}),
            container("other", securityContext={"runAsUser": 2000}),
            securityContext={"runAsUser": 1000, "runAsGroup": 3000, "fsGroup": 2000, "supplementalGroups": [4000]},
            volumes=[empty_dir("sec-ctx-vol"), {"name": "conf", "configMap": {"name": f"{pod_name}-cm"}}])))
    up(path)
    assert exec_out(pod_name, "sec-ctx-demo", "id") == "uid=1000 gid=3000 groups=2000,3000,4000"
    assert exec_out(pod_name, "other", "id") == "uid=2000 gid=3000 groups=2000,3000,4000"
    assert exec_out(pod_name, "sec-ctx-demo", "stat", "-c", "%g %A", "/data/demo") == "2000 drwxrwsrwx"
    exec_out(pod_name, "sec-ctx-demo", "sh", "-c", "echo hi > /data/demo/testfile")
    assert exec_out(pod_name, "sec-ctx-demo", "stat", "-c", "%u %g", "/data/demo/testfile") == "1000 2000"
    assert exec_out(pod_name, "sec-ctx-demo", "stat", "-c", "%g", "/conf/greeting") == "2000"
    assert exec_out(pod_name, "sec-ctx-demo", "stat", "-c", "%g %A", "/conf") .startswith("2000 drwxr-s")
    # allowPrivilegeEscalation: false is no_new_privs; the other container keeps the default
    status = exec_out(pod_name, "sec-ctx-demo", "cat", "/proc/self/status")
    assert "NoNewPrivs:\t1" in status
    assert "NoNewPrivs:\t0" in exec_out(pod_name, "other", "cat", "/proc/self/status")


def test_run_as_non_root_refuses_a_root_image_before_start(pod_name: str, manifest) -> None:
    path = manifest(pod(pod_name, container("app"), securityContext={"runAsNonRoot": True}))
    result = run_cli("up", "-d", "-f", path)
    assert result.code != 0
    assert "runAsNonRoot" in result.stderr and "root" in result.stderr, result.stderr
    names = docker("ps", "-a", "--filter", f"label=io.podcompose.pod={pod_name}", "--format", "{{.Names}}").split()
    assert f"{pod_name}_app" not in names       # never created, as the kubelet refuses it
    run_cli("down", pod_name)
    ok = manifest(pod(pod_name, container("app"), securityContext={"runAsNonRoot": True, "runAsUser": 1234}),
                  name="ok.yaml")
    up(ok)
    assert exec_out(pod_name, "app", "id", "-u") == "1234"


def test_cpu_shares_quota_and_qos_class_follow_the_kubelet(pod_name: str, manifest) -> None:
    path = manifest(pod(
        pod_name,
        container("app", resources={"limits": {"memory": "200Mi", "cpu": "700m"},
                                    "requests": {"memory": "200Mi", "cpu": "700m"}}),
        container("small", resources={"requests": {"cpu": "1m"}, "limits": {"cpu": "700m", "memory": "200Mi"}})))
    up(path)
    host = inspect(pod_name, "app")["HostConfig"]
    assert (host["CpuShares"], host["CpuQuota"], host["CpuPeriod"], host["Memory"]) == (716, 70000, 100000, 209715200)
    assert inspect(pod_name, "small")["HostConfig"]["CpuShares"] == 2
    # the cgroup the kernel enforces (v1: cpu.shares; v2: cpu.weight from Docker's conversion)
    cgroup = exec_out(pod_name, "app", "sh", "-c",
                      "cat /sys/fs/cgroup/cpu/cpu.shares 2>/dev/null || cat /sys/fs/cgroup/cpu.weight")
    assert cgroup in ("716", str(1 + ((716 - 2) * 9999) // 262142))
    described = json.loads(run_cli("describe", pod_name, "-o", "json").stdout)
    assert described["qosClass"] == "Burstable"      # `small` requests less than its limit
    assert "QoS Class:  Burstable" in run_cli("describe", pod_name).stdout


def test_guaranteed_and_best_effort_qos_in_describe(pod_name: str, manifest) -> None:
    path = manifest(pod(pod_name, container("app", resources={"limits": {"memory": "64Mi", "cpu": "250m"}})))
    up(path)
    assert json.loads(run_cli("describe", pod_name, "-o", "json").stdout)["qosClass"] == "Guaranteed"
    assert inspect(pod_name, "app")["HostConfig"]["CpuShares"] == 256   # the request defaults to the limit


def test_host_aliases_and_subdomain_make_the_kubelets_hosts_file(pod_name: str, manifest) -> None:
    path = manifest(pod(pod_name, container("app"), hostname="box", subdomain="sub",
                        hostAliases=[{"ip": "127.0.0.1", "hostnames": ["foo.local", "bar.local"]},
                                     {"ip": "10.1.2.3", "hostnames": ["foo.remote", "bar.remote"]}]))
    up(path)
    hosts = exec_out(pod_name, "app", "cat", "/etc/hosts")
    ip = inspect(pod_name, "POD")["NetworkSettings"]["IPAddress"]
    assert hosts.startswith("# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n")
    assert f"{ip}\tbox.sub.default.svc.cluster.local\tbox\n" in hosts
    assert hosts.endswith("# Entries added by HostAliases.\n127.0.0.1\tfoo.local\tbar.local\n"
                          "10.1.2.3\tfoo.remote\tbar.remote")
    assert exec_out(pod_name, "app", "hostname") == "box"


def test_set_hostname_as_fqdn(pod_name: str, manifest) -> None:
    path = manifest(pod(pod_name, container("app"), hostname="box", subdomain="sub", setHostnameAsFQDN=True))
    up(path)
    assert exec_out(pod_name, "app", "hostname") == "box.sub.default.svc.cluster.local"


def test_dns_policy_none_and_default_with_dns_config(pod_name: str, manifest) -> None:
    path = manifest(pod(pod_name, container("app"), dnsPolicy="None", dnsConfig={
        "nameservers": ["192.0.2.1"], "searches": ["ns1.svc.cluster-domain.example", "my.dns.search.suffix"],
        "options": [{"name": "ndots", "value": "2"}, {"name": "edns0"}]}))
    up(path)
    resolv = exec_out(pod_name, "app", "cat", "/etc/resolv.conf")
    assert resolv.splitlines() == ["search ns1.svc.cluster-domain.example my.dns.search.suffix",
                                   "nameserver 192.0.2.1", "options ndots:2 edns0"]
    run_cli("down", pod_name)
    default = manifest(pod(pod_name, container("app"), dnsPolicy="Default",
                           dnsConfig={"nameservers": ["192.0.2.7"], "options": [{"name": "ndots", "value": "3"}]}),
                       name="default.yaml")
    up(default)
    lines = exec_out(pod_name, "app", "cat", "/etc/resolv.conf").splitlines()
    servers = [line.split()[1] for line in lines if line.startswith("nameserver ")]
    assert servers[-1] == "192.0.2.7" and len(servers) >= 2      # the host's resolver, then the pod's own
    assert "options ndots:3" in lines or any(line.startswith("options") and "ndots:3" in line for line in lines)


def test_host_ipc_host_pid_and_sysctls(pod_name: str, manifest) -> None:
    path = manifest(pod(pod_name, container("app"), hostIPC=True, hostPID=True))
    up(path)
    assert exec_out(pod_name, "app", "readlink", "/proc/self/ns/ipc") == os.readlink("/proc/self/ns/ipc")
    assert exec_out(pod_name, "app", "readlink", "/proc/self/ns/pid") == os.readlink("/proc/self/ns/pid")
    run_cli("down", pod_name)
    sysctls = [{"name": "net.ipv4.ip_unprivileged_port_start", "value": "100"},
               {"name": "kernel.shm_rmid_forced", "value": "1"}]
    sysctl = manifest(pod(pod_name, container("app"), securityContext={"sysctls": sysctls}), name="sysctl.yaml")
    up(sysctl)
    assert exec_out(pod_name, "app", "cat", "/proc/sys/net/ipv4/ip_unprivileged_port_start") == "100"
    assert exec_out(pod_name, "app", "cat", "/proc/sys/kernel/shm_rmid_forced") == "1"
    assert exec_out(pod_name, "app", "readlink", "/proc/self/ns/ipc") != os.readlink("/proc/self/ns/ipc")


def test_seccomp_profiles(pod_name: str, manifest, tmp_path) -> None:
    root = tmp_path / "seccomp"
    (root / "profiles").mkdir(parents=True)
    # allows everything but mkdir: a container under it cannot make a directory
    (root / "profiles" / "no-mkdir.json").write_text(json.dumps({
        "defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]}))
    path = manifest(pod(
        pod_name,
        container("open"),
        container("default", securityContext={"seccompProfile": {"type": "RuntimeDefault"}}),
        container("local", securityContext={"seccompProfile": {"type": "Localhost",
                                                               "localhostProfile": "profiles/no-mkdir.json"}}),
        securityContext={"seccompProfile": {"type": "Unconfined"}}))
    up(path, env={"PODCOMPOSE_SECCOMP_ROOT": str(root)})

    def mode(container: str) -> str:
        status = exec_out(pod_name, container, "cat", "/proc/self/status")
        return next(line.split()[1] for line in status.splitlines() if line.startswith("Seccomp:"))
    assert (mode("open"), mode("default"), mode("local")) == ("0", "2", "2")
    assert "seccomp=unconfined" in inspect(pod_name, "open")["HostConfig"]["SecurityOpt"]
    made = run_cli("exec", pod_name, "-c", "local", "--", "mkdir", "/tmp-x")
    assert made.code != 0
    assert run_cli("exec", pod_name, "-c", "default", "--", "mkdir", "/tmp-x").code == 0


def test_mount_propagation_on_host_path(pod_name: str, manifest, tmp_path) -> None:
    # rslave needs a shared source, as the kubelet needs its root shared for HostToContainer
    source = tmp_path / "shared"
    source.mkdir()
    subprocess.run(["mount", "--bind", str(source), str(source)], check=True)
    try:
        subprocess.run(["mount", "--make-shared", str(source)], check=True)
        path = manifest(pod(
            pod_name,
            container("app", volumeMounts=[mount("h", "/h", mountPropagation="HostToContainer")]),
            container("plain", volumeMounts=[mount("h", "/h")]),
            volumes=[{"name": "h", "hostPath": {"path": str(source), "type": "Directory"}}]))
        up(path)
        mounts = inspect(pod_name, "app")["Mounts"]
        assert [m["Propagation"] for m in mounts if m["Destination"] == "/h"] == ["rslave"]
        (source / "inner").mkdir()
        subprocess.run(["mount", "-t", "tmpfs", "tmpfs", str(source / "inner")], check=True)
        try:
            # a mount made on the host after the start reaches the HostToContainer container only
            wait_until(lambda: " /h/inner " in exec_out(pod_name, "app", "cat", "/proc/self/mountinfo"),
                       what="the host's new mount inside the container")
            assert " /h/inner " not in exec_out(pod_name, "plain", "cat", "/proc/self/mountinfo")
        finally:
            run_cli("down", pod_name)
            subprocess.run(["umount", str(source / "inner")], check=False)
    finally:
        subprocess.run(["umount", "-l", str(source)], check=False)


def test_recursive_read_only_enabled_is_refused_clearly(pod_name: str, manifest) -> None:
    path = manifest(pod(pod_name,
                        container("app", None,
                                  volumeMounts=[mount("v", "/v", readOnly=True, recursiveReadOnly="Enabled")]),
                        grace=None, volumes=[empty_dir("v")]))
    assert run_cli("validate", "-f", path).code == 0          # a valid manifest: what this engine lacks is refused
    result = run_cli("up", "-d", "-f", path)
    assert result.code == 1 and "volumeMounts[0].recursiveReadOnly Enabled needs a recursively read-only mount" \
        in result.stderr, result.stderr
    assert labelled(pod_name) == ([], [])                     # before anything was made


def test_termination_messages_from_the_file_or_the_log(pod_name: str, manifest) -> None:
    path = manifest(pod(
        pod_name,
        container("file", "echo Sleep expired > /dev/termination-log"),
        container("custom", "echo custom path > /tmp/my-log", securityContext={"runAsUser": 1000},
                  terminationMessagePath="/tmp/my-log"),
        container("logs", "echo first line; echo it went wrong; exit 3",
                  terminationMessagePolicy="FallbackToLogsOnError"),
        container("quiet", "echo only a log; exit 3"),
        restartPolicy="Never"))
    run_cli("up", "-d", "-f", path)       # exit 1: containers failed right after they started (kept)

    def messages() -> dict:
        pods = json.loads(run_cli("ps", pod_name, "-o", "json").stdout)
        found = {c["name"]: c.get("message") for c in pods[0]["containers"] if c["state"] == "exited" and c["role"] != "pause"}
        return found if len(found) == 4 else {}
    found = wait_until(messages, what="every container to exit")
    assert found == {"file": "Sleep expired\n", "custom": "custom path\n",
                     "logs": "first line\nit went wrong\n", "quiet": None}
    described = run_cli("describe", pod_name).stdout
    assert "message: Sleep expired" in described and "message: custom path" in described


def test_a_pod_requesting_more_than_the_host_is_refused_before_anything_is_made(pod_name: str, manifest) -> None:
    path = manifest(pod(pod_name, container("app", None, resources={"requests": {"memory": "1000Gi"}}), grace=None))
    result = run_cli("up", "-d", "-f", path)
    assert result.code == 1 and "OutOfmemory" in result.stderr, result.stderr
    assert docker("ps", "-a", "-q", "--filter", f"label=io.podcompose.pod={pod_name}") == ""
