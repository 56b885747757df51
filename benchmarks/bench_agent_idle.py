"""The node agent's own cost with 20 idle pods: CPU and memory, against baselines measured in the same run.

Run (needs a Docker daemon and the kit images): python benchmarks/bench_agent_idle.py [--pods 20] [--seconds 60]
Each pod: a pause container and one sleeping container with an exec readiness probe
(period 10 s), so the agent has probes to run and events to hear, as a real idle pod.
- memory: the agent's resident set (VmRSS) against a bare `python3 -c` interpreter's (the floor
  of any Python process); target: at most 3x.
- CPU: the agent's CPU seconds over the window against dockerd's over the same window (the
  daemon that holds the same 20 pods); target: at most 1x (the supervisor costs less than the engine).
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.kit.images import ensure_images  # noqa: E402
from installed import compile_package  # noqa: E402

LOOP = "trap 'exit 0' TERM; while true; do sleep 1; done"


def manifest(busybox: str, count: int) -> str:
    return "\n---\n".join(f"""apiVersion: v1
kind: Pod
metadata: {{name: bench-idle-{i}}}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: "{busybox}"
    command: ["sh", "-c", "{LOOP}"]
    readinessProbe:
      exec: {{command: ["true"]}}
      periodSeconds: 10
""" for i in range(count))


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")   # utime + stime


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def pid_of(name: str) -> int:
    return int(subprocess.run(["pgrep", "-o", "-x", name], capture_output=True, text=True, check=True).stdout)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pods", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    options = parser.parse_args()
    compile_package()
    images = ensure_images("busybox", "pause")
    env = os.environ | {"PODCOMPOSE_PAUSE_IMAGE": images["pause"]}
    from podcompose.agent import process

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, "pods.yaml")
        path.write_text(manifest(images["busybox"], options.pods))
        subprocess.run([sys.executable, "-m", "podcompose", "up", "-d", "-f", str(path)], check=True,
                       capture_output=True, env=env)
        try:
            agent = process.agent_pid()
            assert agent is not None, "no agent runs"
            dockerd = pid_of("dockerd")
            time.sleep(5)                                  # the first probes and syncs are over
            start = (cpu_seconds(agent), cpu_seconds(dockerd))
            time.sleep(options.seconds)
            end = (cpu_seconds(agent), cpu_seconds(dockerd))
            agent_rss = rss_kib(agent)
            floor = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(5)"])
            time.sleep(1)
            floor_rss = rss_kib(floor.pid)
            floor.kill()
        finally:
            subprocess.run([sys.executable, "-m", "podcompose", "down", "-f", str(path), "--timeout", "1"],
                           capture_output=True, env=env)
    agent_cpu, dockerd_cpu = end[0] - start[0], end[1] - start[1]
    print(f"{options.pods} idle pods for {options.seconds:g} s")
    print(f"agent CPU {agent_cpu:.2f} s ({100 * agent_cpu / options.seconds:.2f} %), "
          f"dockerd {dockerd_cpu:.2f} s: ratio {agent_cpu / max(dockerd_cpu, 0.01):.2f}x (target at most 1x)")
    print(f"agent RSS {agent_rss / 1024:.1f} MiB, bare python {floor_rss / 1024:.1f} MiB: "
          f"ratio {agent_rss / max(floor_rss, 1):.2f}x (target at most 3x)")


if __name__ == "__main__":
    main()
