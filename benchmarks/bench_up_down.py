"""podcompose up -d + down of a small pod, against the same work done with raw docker CLI calls.

Run (needs a Docker daemon and the kit images): python benchmarks/bench_up_down.py [--runs N]
The pod: a pause container, one init container, two app containers, one emptyDir.
The baseline issues the equivalent `docker` commands in sequence (volume create,
pause run, init run-and-wait, two joined runs, rm -f, volume rm), so the ratio is
podcompose's overhead over doing it by hand. Target: at most 1.22x the baseline (what `up -d`
+ `down` cost before the node agent). podcompose runs with its bytecode compiled, as pip installs it
(benchmarks/installed.py).
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.kit.images import ensure_images  # noqa: E402
from installed import compile_package  # noqa: E402

TARGET = 1.22
LOOP = "trap 'exit 0' TERM; while true; do sleep 1; done"


def manifest(busybox: str) -> str:
    return f"""apiVersion: v1
kind: Pod
metadata: {{name: bench-pod}}
spec:
  terminationGracePeriodSeconds: 2
  initContainers:
  - {{name: init, image: "{busybox}", command: ["sh", "-c", "echo ready > /work/ready"],
      volumeMounts: [{{name: work, mountPath: /work}}]}}
  containers:
  - {{name: a, image: "{busybox}", command: ["sh", "-c", "{LOOP}"], volumeMounts: [{{name: work, mountPath: /work}}]}}
  - {{name: b, image: "{busybox}", command: ["sh", "-c", "{LOOP}"]}}
  volumes:
  - {{name: work, emptyDir: {{}}}}
"""


def run(*command: str) -> None:
    subprocess.run(command, check=True, capture_output=True)


def raw_docker(busybox: str, pause: str) -> None:
    run("docker", "volume", "create", "bench-raw_work")
    run("docker", "run", "-d", "--name", "bench-raw_POD", "--hostname", "bench-raw", "--ipc", "shareable", pause)
    join = ["--network", "container:bench-raw_POD", "--ipc", "container:bench-raw_POD"]
    mount = ["--mount", "type=volume,src=bench-raw_work,dst=/work,volume-nocopy"]
    run("docker", "run", "--name", "bench-raw_init", *join, *mount, busybox, "sh", "-c", "echo ready > /work/ready")
    run("docker", "run", "-d", "--name", "bench-raw_a", *join, *mount, busybox, "sh", "-c", LOOP)
    run("docker", "run", "-d", "--name", "bench-raw_b", *join, busybox, "sh", "-c", LOOP)
    run("docker", "stop", "-t", "2", "bench-raw_a", "bench-raw_b")
    run("docker", "stop", "-t", "2", "bench-raw_POD")
    run("docker", "rm", "-f", "bench-raw_a", "bench-raw_b", "bench-raw_init", "bench-raw_POD")
    run("docker", "volume", "rm", "bench-raw_work")


def podcompose(path: str) -> None:
    run(sys.executable, "-m", "podcompose", "up", "-d", "-f", path)
    run(sys.executable, "-m", "podcompose", "down", "-f", path)


def timed_pair(baseline, ours, runs: int) -> tuple[float, float]:
    """Median seconds of each, run alternately (the daemon's own speed drifts on a shared 2-core machine:
    alternating puts both under the same drift)."""
    samples: tuple[list[float], list[float]] = ([], [])
    for _ in range(runs):
        for action, kept in ((baseline, samples[0]), (ours, samples[1])):
            start = time.perf_counter()
            action()
            kept.append(time.perf_counter() - start)
    return statistics.median(samples[0]), statistics.median(samples[1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=11)
    runs = parser.parse_args().runs
    compile_package()
    images = ensure_images("busybox", "pause")
    os.environ["PODCOMPOSE_PAUSE_IMAGE"] = images["pause"]
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "pod.yaml")
        Path(path).write_text(manifest(images["busybox"]))
        baseline, ours = timed_pair(lambda: raw_docker(images["busybox"], images["pause"]), lambda: podcompose(path),
                                    runs)
    print(f"{'what':<40} {'median s':>9} {'x baseline':>11}")
    print(f"{'raw docker CLI calls (baseline)':<40} {baseline:>9.2f} {1.0:>11.2f}")
    verdict = "ok" if ours / baseline <= TARGET else f"OVER {TARGET}x"
    print(f"{'podcompose up -d + down':<40} {ours:>9.2f} {ours / baseline:>11.2f}  {verdict}")


if __name__ == "__main__":
    main()
