"""Endurance: N up/down cycles of a three-pod file leak nothing on the host or in the agent.

Run (needs a Docker daemon and the kit images):
    python benchmarks/bench_endurance.py [--cycles 200] [--every 20] [--warmup 5] [--slack 2]
Each pod: the pause container, an init container, an app with an emptyDir, a subPath mount of it, a
termination message and a readiness probe, pod-level resources (so it has a pod cgroup); grace 1 s.
Counted before the first cycle, once with the pods up (each counter must see what it counts), after each
warm-up cycle, every --every cycles and after the last, each time with every pod down and the agent left
SETTLE_SECONDS to finish: podcompose's containers, volumes and networks; mounts under the run dirs (subPath staging,
termination tmpfs: /proc/self/mountinfo); the pods' cgroups (/sys/fs/cgroup/*/podcompose/<pod>);
termination and event files under $PODCOMPOSE_RUN_DIR; the agent's threads and fds. Docker objects,
mounts, cgroups and files must come back to their count before the run; the agent's threads and fds may
not grow by more than --slack past the highest count of the warm-up cycles (its Docker connection pool
fills up to its bound in those). Exit 1, naming what leaked, when
any does. A JSON record per run in benchmarks/records/.
"""
from __future__ import annotations

import argparse
import glob
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.kit.images import ensure_images  # noqa: E402
from installed import compile_package  # noqa: E402
from host_figures import LOOP, agent_pid, podcompose, process_figures, write_record  # noqa: E402

POD_NAMES = ("endure-a", "endure-b", "endure-c")
HOST_COUNTS = ("containers", "volumes", "networks", "mounts", "cgroups", "termination_files", "event_files")
AGENT_COUNTS = ("agent_threads", "agent_fds")
SETTLE_SECONDS = 2.0


def manifest(busybox: str) -> str:
    return "\n---\n".join(f"""apiVersion: v1
kind: Pod
metadata: {{name: {name}}}
spec:
  terminationGracePeriodSeconds: 1
  resources: {{limits: {{cpu: 200m, memory: 128Mi}}}}
  initContainers:
  - name: init
    image: "{busybox}"
    command: ["sh", "-c", "mkdir -p /work/sub && echo ready > /work/sub/ready"]
    volumeMounts: [{{name: work, mountPath: /work}}]
  containers:
  - name: app
    image: "{busybox}"
    command: ["sh", "-c", "echo bye > /dev/termination-log; {LOOP}"]
    volumeMounts:
    - {{name: work, mountPath: /work}}
    - {{name: work, mountPath: /sub, subPath: sub}}
    readinessProbe:
      exec: {{command: ["cat", "/sub/ready"]}}
      periodSeconds: 2
  volumes:
  - {{name: work, emptyDir: {{}}}}
""" for name in POD_NAMES)


def _docker_count(client, kind: str) -> int:
    from podcompose import naming

    filters = {"label": naming.pod_filter()}
    if kind == "containers":
        return len(client.api.containers(all=True, filters=filters))
    if kind == "volumes":
        return len(client.api.volumes(filters=filters).get("Volumes") or [])
    return len(client.api.networks(filters=filters))


def _roots() -> list[str]:
    from podcompose.agent import process
    from podcompose.runtime import subpath, termination

    return [str(process.run_dir()), subpath.STAGING_ROOT, termination.TERMINATION_ROOT]


def _mounts() -> int:
    """Mounts at or under podcompose's run dirs (the subPath staging binds, the termination tmpfs)."""
    roots = [root.rstrip("/") for root in _roots()]
    count = 0
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        point = line.split()[4]
        count += any(point == root or point.startswith(root + "/") for root in roots)
    return count


def _files(folder: str) -> int:
    return sum(len(names) for _, _, names in os.walk(folder)) if os.path.isdir(folder) else 0


def counts(client, settle: float = SETTLE_SECONDS) -> dict[str, int]:
    from podcompose.agent import process
    from podcompose.runtime import termination

    time.sleep(settle)
    found = {kind: _docker_count(client, kind) for kind in ("containers", "volumes", "networks")}
    found["mounts"] = _mounts()
    found["cgroups"] = sum(len(glob.glob(f"/sys/fs/cgroup/*/podcompose/default_{name}")) for name in POD_NAMES)
    found["termination_files"] = _files(termination.TERMINATION_ROOT)
    found["event_files"] = _files(str(process.run_dir() / "events"))
    pid = agent_pid()
    if pid is not None:
        figures = process_figures(pid)
        found |= {"agent_pid": pid, "agent_threads": figures.threads, "agent_fds": figures.fds}
    return found


def leaks(before: dict[str, int], warm: dict[str, int], now: dict[str, int], slack: int) -> list[str]:
    """What grew: host objects past their count before the run, the agent's past the warm-up's plus slack
    (`warm`: the highest of each count over the warm-up cycles)."""
    found = [f"{kind} {before[kind]} -> {now[kind]}" for kind in HOST_COUNTS if now[kind] > before[kind]]
    if warm.get("agent_pid") != now.get("agent_pid"):
        found.append(f"the agent was replaced (pid {warm.get('agent_pid')} -> {now.get('agent_pid')})")
    else:
        found += [f"{kind} {warm[kind]} -> {now[kind]}" for kind in AGENT_COUNTS
                  if now.get(kind, 0) > warm.get(kind, 0) + slack]
    return found


def cycle(path: str, while_up=None) -> float:
    """One `up -d` + `down` of the file, its seconds; `while_up()` runs between them (not timed)."""
    start = time.perf_counter()
    podcompose("up", "-d", "-f", path)
    middle = time.perf_counter()
    if while_up is not None:
        while_up()
    resumed = time.perf_counter()
    podcompose("down", "-f", path)
    return time.perf_counter() - start - (resumed - middle)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cycles", type=int, default=200)
    parser.add_argument("--every", type=int, default=20, help="count every K cycles")
    parser.add_argument("--warmup", type=int, default=5, help="cycles whose highest agent counts are the baseline")
    parser.add_argument("--slack", type=int, default=2, help="agent threads/fds allowed above the warm-up count")
    options = parser.parse_args()
    compile_package()
    images = ensure_images("busybox", "pause")
    os.environ["PODCOMPOSE_PAUSE_IMAGE"] = images["pause"]
    from podcompose.runtime.client import connect

    client = connect()
    checkpoints: list[dict[str, int]] = []
    seconds: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "pods.yaml")
        Path(path).write_text(manifest(images["busybox"]))
        before = counts(client, settle=0)
        up: dict[str, int] = {}
        # the counts with the pods up show that each counter sees what it counts
        seconds.append(cycle(path, lambda: up.update(counts(client, settle=3))))
        checkpoints.append(counts(client) | {"cycle": 1})
        for number in range(2, options.warmup + 1):
            seconds.append(cycle(path))
            checkpoints.append(counts(client) | {"cycle": number})
        warm = {kind: max(point.get(kind, 0) for point in checkpoints) for kind in AGENT_COUNTS}
        warm["agent_pid"] = checkpoints[0].get("agent_pid", 0)
        grown = leaks(before, warm, checkpoints[-1], options.slack)
        for number in range(options.warmup + 1, options.cycles + 1):
            seconds.append(cycle(path))
            if number % options.every == 0 or number == options.cycles:
                checkpoints.append(counts(client) | {"cycle": number})
                grown = leaks(before, warm, checkpoints[-1], options.slack)
                print(f"cycle {number}: {checkpoints[-1]}" + (f"  LEAK: {'; '.join(grown)}" if grown else ""),
                      flush=True)
    record = {"cycles": options.cycles, "pods": len(POD_NAMES), "before": before, "while_up": up,
              "warmup": options.warmup, "warm": warm, "checkpoints": checkpoints,
              "cycle_seconds": {"first": seconds[0], "last": seconds[-1], "mean": sum(seconds) / len(seconds)},
              "leaks": grown, "ok": not grown}
    print(f"{options.cycles} up/down cycles of {len(POD_NAMES)} pods, mean {record['cycle_seconds']['mean']:.2f} s "
          f"a cycle; before {before}; while up {up}; after {checkpoints[-1]}")
    print("no leak" if not grown else f"LEAKED: {'; '.join(grown)}")
    print(f"record: {write_record('endurance', record)}")
    return 0 if not grown else 1


if __name__ == "__main__":
    sys.exit(main())
