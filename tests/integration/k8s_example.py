"""What a check of a Kubernetes documentation example gets: the examples' index (INDEX.tsv), the running
example with ways to look inside it, and the helpers the checks share (used by test_k8s_examples_run.py)."""
from __future__ import annotations

import csv
import json
import re
import subprocess
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Callable

import yaml

from tests.helpers import ROOT, run_cli, wait_until


EXAMPLES = ROOT / "tests" / "k8s-examples"


def _index_rows() -> list[dict[str, str]]:
    with open(EXAMPLES / "INDEX.tsv", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


ROWS = {row["path"]: row for row in _index_rows()}
RUNNABLE = sorted(path for path, row in ROWS.items() if row["status"] in ("RUN", "RUN+DEPS"))


def dependencies(path: str) -> list[str]:
    """The files a RUN+DEPS example's note names ("Needs a.yaml" / "Needs a.yaml (...)")."""
    row = ROWS[path]
    if row["status"] != "RUN+DEPS":
        return []
    match = re.search(r"Needs ([^.]+(?:\.yaml)(?:,? (?:and )?[\w/.-]+\.yaml)*)", row["what_it_does_and_success_check"])
    assert match, f"{path}: RUN+DEPS without a 'Needs x.yaml' note"
    return re.findall(r"[\w/.-]+\.yaml", match.group(1))


# ---------------------------------------------------------------------------------------------
# What a check gets: the running example, with ways to look inside it.

@dataclass
class Example:
    path: str
    namespace: str
    log: list[str] = field(default_factory=list)

    @cached_property
    def documents(self) -> list[dict[str, Any]]:
        return [d for d in yaml.safe_load_all((EXAMPLES / self.path).read_text()) if d]

    @cached_property
    def spec(self) -> dict[str, Any]:
        return next(d for d in self.documents if d.get("kind") == "Pod")["spec"]

    @property
    def pod(self) -> str:
        return next(d for d in self.documents if d.get("kind") == "Pod")["metadata"]["name"]

    def container_spec(self, name: str) -> dict[str, Any]:
        return next(c for c in self.spec.get("initContainers", []) + self.spec["containers"] if c["name"] == name)

    @property
    def first(self) -> str:
        return self.spec["containers"][0]["name"]

    # --- looking inside
    def run(self, container: str | None, *command: str) -> subprocess.CompletedProcess:
        name = self.docker_name(container or self.first)
        return subprocess.run(["docker", "exec", name, *command], capture_output=True, text=True, timeout=60)

    def exec(self, container: str | None, *command: str) -> str:
        """podcompose exec: its output, which must succeed."""
        result = run_cli("exec", "-n", self.namespace, self.pod, *(["-c", container] if container else []),
                         "--", *command, timeout=60)
        assert result.code == 0, f"exec {command} failed ({result.code}): {result.stderr.strip()}"
        return result.stdout

    def sh(self, script: str, container: str | None = None) -> str:
        return self.exec(container, "sh", "-c", script)

    def logs(self, container: str | None = None) -> str:
        result = run_cli("logs", "-n", self.namespace, self.pod, "-c", container or self.first, timeout=60)
        assert result.code == 0, result.stderr
        return result.stdout

    def ps(self) -> dict[str, Any]:
        result = run_cli("ps", "-n", self.namespace, self.pod, "-o", "json", timeout=60)
        assert result.code == 0, result.stderr
        return json.loads(result.stdout)[0]

    def state(self, container: str) -> dict[str, Any]:
        return next(c for c in self.ps()["containers"] if c["name"] == container)

    def docker_name(self, container: str) -> str:
        return f"{self.namespace}_{self.pod}_{container}"

    def inspect(self, container: str) -> dict[str, Any]:
        out = subprocess.run(["docker", "inspect", self.docker_name(container)], capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout)[0]

    def pod_ip(self) -> str:
        return self.inspect("POD")["NetworkSettings"]["IPAddress"]

    def wait(self, condition: Callable[[], Any], timeout: float = 30, what: str = "the condition") -> Any:
        def attempt():
            try:
                return condition()
            except (AssertionError, StopIteration, KeyError, IndexError, subprocess.SubprocessError):
                return None
        value = wait_until(attempt, timeout, what, interval=0.5)
        return value

    def wait_logs(self, pattern: str, container: str | None = None, timeout: float = 30) -> str:
        return self.wait(lambda: (out := self.logs(container)) and re.search(pattern, out, re.M) and out,
                         timeout, f"{pattern!r} in the logs of {container or self.first}")


# ---------------------------------------------------------------------------------------------
# Check helpers

def contains(*needles: str) -> Callable[[str], None]:
    def check(text: str) -> None:
        for needle in needles:
            assert needle in text, f"{needle!r} not in {text!r}"
    return check


def quantity(value: Any) -> float:
    """A Kubernetes quantity as a number (bytes, or cores for cpu)."""
    text = str(value)
    units = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "m": 1e-3}
    for suffix, factor in units.items():
        if text.endswith(suffix):
            return float(text[: -len(suffix)]) * factor
    return float(text)


def cgroup_limits(ex: Example, container: str) -> dict[str, Any]:
    """Memory limit (bytes or None), CPU limit (cores or None) and CPU shares as the container's cgroup has them."""
    script = ("if [ -f /sys/fs/cgroup/cpu.max ]; then echo v2; cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/cpu.max "
              "/sys/fs/cgroup/cpu.weight; else echo v1; cat /sys/fs/cgroup/memory/memory.limit_in_bytes "
              "/sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu/cpu.cfs_period_us /sys/fs/cgroup/cpu/cpu.shares; fi")
    lines = ex.sh(script, container).split()
    if lines[0] == "v2":
        memory, quota, period, weight = lines[1], lines[2], lines[3], int(lines[4])
        return {"memory": None if memory == "max" else int(memory),
                "cpu": None if quota == "max" else int(quota) / int(period), "weight": weight}
    memory, quota, period, shares = int(lines[1]), int(lines[2]), int(lines[3]), int(lines[4])
    return {"memory": None if memory >= 2**62 else memory, "cpu": None if quota < 0 else quota / period,
            "shares": shares}


def inspected_limits(ex: Example, container: str) -> dict[str, Any]:
    """The same from `docker inspect`, for images without a shell (pause)."""
    host = ex.inspect(container)["HostConfig"]
    cpu = host["NanoCpus"] / 1e9 if host.get("NanoCpus") else (
        host["CpuQuota"] / (host.get("CpuPeriod") or 100000) if host.get("CpuQuota") else None)
    return {"memory": host.get("Memory") or None, "cpu": cpu, "shares": host.get("CpuShares") or 1024}


def assert_limits(ex: Example, container: str | None = None, *, shell: bool = True, shares: bool = False) -> None:
    """The container's cgroup limits are the manifest's limits (unset: unlimited)."""
    name = container or ex.first
    limits = (ex.container_spec(name).get("resources") or {}).get("limits") or {}
    requests = (ex.container_spec(name).get("resources") or {}).get("requests") or {}
    actual = cgroup_limits(ex, name) if shell else inspected_limits(ex, name)
    want_memory = int(quantity(limits["memory"])) if "memory" in limits else None
    assert actual["memory"] == want_memory, f"{name}: memory limit {actual['memory']}, manifest {want_memory}"
    want_cpu = quantity(limits["cpu"]) if "cpu" in limits else None
    assert (actual["cpu"] is None) == (want_cpu is None) and \
        (want_cpu is None or abs(actual["cpu"] - want_cpu) < 0.005), f"{name}: cpu limit {actual['cpu']}, manifest {want_cpu}"
    if shares:   # the kubelet's shares from the CPU request (a limit alone is the request too)
        milli = quantity(requests.get("cpu", limits.get("cpu", 0))) * 1000
        want = max(2, int(milli * 1024 // 1000)) if milli else 2
        if "weight" in actual:
            want_weight = 1 + ((want - 2) * 9999) // 262142
            assert actual["weight"] == want_weight, f"{name}: cpu.weight {actual['weight']}, kubelet {want_weight}"
        else:
            assert actual["shares"] == want, f"{name}: cpu shares {actual['shares']}, kubelet {want}"


def page(ex: Example, container: str | None = None, port: int = 80, path: str = "/") -> str:
    """What the pod serves on 127.0.0.1:port, fetched inside the container (curl or busybox wget)."""
    url = f"http://127.0.0.1:{port}{path}"
    return ex.wait(lambda: ex.sh(f"curl -fsS {url} 2>/dev/null || wget -qO- {url}", container), 20,
                   f"an answer on {url}")


def nginx_serves(ex: Example, container: str | None = None) -> None:
    contains("Welcome to nginx!")(page(ex, container))


def nginx_with_limits(ex: Example) -> None:
    nginx_serves(ex)
    assert_limits(ex)


def env_of(ex: Example, container: str | None = None) -> dict[str, str]:
    return dict(line.split("=", 1) for line in ex.exec(container, "env").splitlines() if "=" in line)


def env_has(**want: str) -> Callable[[Example], None]:
    def check(ex: Example) -> None:
        env = env_of(ex)
        for key, value in want.items():
            assert env.get(key) == value, f"{key}={env.get(key)!r}, want {value!r}"
    return check


def logs_show(*patterns: str, container: str | None = None, timeout: float = 30) -> Callable[[Example], None]:
    def check(ex: Example) -> None:
        for pattern in patterns:
            ex.wait_logs(pattern, container, timeout)
    return check


def proc_status(ex: Example, field_name: str, container: str | None = None) -> str:
    status = ex.exec(container, "cat", "/proc/1/status")
    return re.search(rf"^{field_name}:\s*(\S+)", status, re.M).group(1)


def running(ex: Example, container: str | None = None) -> dict[str, Any]:
    state = ex.state(container or ex.first)
    assert state["state"] == "running", state
    return state


def pause_runs(ex: Example) -> None:
    """The image's pause process is the container's PID 1 and keeps running."""
    info = ex.inspect(ex.first)
    assert info["State"]["Running"] and info["Config"]["Image"] == ex.container_spec(ex.first)["image"], info["State"]
    assert "catatonit" in info["Path"] or "pause" in info["Path"], info["Path"]
    assert_limits(ex, shell=False)


def resolv_conf_cluster_first(ex: Example) -> None:
    resolv = ex.exec(None, "cat", "/etc/resolv.conf")
    assert re.search(r"^nameserver \S+", resolv, re.M), resolv
    running(ex)
