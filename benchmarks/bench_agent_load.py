"""Load: N pods with readiness probes; the agent stays flat in threads and fds and every probe result reaches
`ps` within its period plus one second.

Run (needs a Docker daemon and the kit images):
    python benchmarks/bench_agent_load.py [--pods 100] [--period 10] [--minutes 30] [--probe mixed]
Each pod: the pause container and one busybox app with an emptyDir at /flag and a readiness probe every
--period seconds that answers by a file there: `exec` (test -e /flag/ready), `http` (httpGet of /ready from
busybox httpd serving /flag) or `mixed` (every other pod). While the pods run, every SAMPLE_SECONDS the
agent's CPU (utime+stime, /proc/<pid>/stat), RSS, threads and fds are sampled; and in rounds the benchmark
flips each pod's answer (`podcompose exec` removes or makes the file) and polls `podcompose ps -o json`
until the pod's READY shows the flip. The lag of a pod is from its exec's return until the end of the first
`ps` that shows it (so it includes that ps's own run: an upper bound).
Bounds (exit 1 when one breaks): the agent's threads and fds in the last third of the samples at most
--slack above their highest in the first third; every lag at most --period + 1 s. Also reported: the
agent's CPU as % of one core, its RSS growth (first vs last third). A JSON record per run in
benchmarks/records/.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.kit.images import ensure_images  # noqa: E402
from installed import compile_package  # noqa: E402
from host_figures import (ProcessFigures, agent_pid, podcompose, pods_json, process_figures,  # noqa: E402
                          write_record)

SAMPLE_SECONDS = 10.0
FLAG = "/flag/ready"


def _probe(kind: str, period: int) -> str:
    handler = ('httpGet: {path: /ready, port: 8080}' if kind == "http"
               else f'exec: {{command: ["test", "-e", "{FLAG}"]}}')
    return f"{{{handler}, periodSeconds: {period}, failureThreshold: 1, successThreshold: 1}}"


def manifest(busybox: str, pods: int, period: int, probe: str) -> str:
    documents = []
    for index in range(pods):
        kind = probe if probe != "mixed" else ("http" if index % 2 else "exec")
        serve = "httpd -p 8080 -h /flag; " if kind == "http" else ""
        documents.append(f"""apiVersion: v1
kind: Pod
metadata: {{name: load-{index}}}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: "{busybox}"
    command: ["sh", "-c", "touch {FLAG}; {serve}trap 'exit 0' TERM; while true; do sleep 1; done"]
    volumeMounts: [{{name: flag, mountPath: /flag}}]
    readinessProbe: {_probe(kind, period)}
  volumes:
  - {{name: flag, emptyDir: {{}}}}
""")
    return "\n---\n".join(documents)


class Sampler(threading.Thread):
    """The agent's figures every SAMPLE_SECONDS until stopped (each sample: seconds since start, figures)."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.samples: list[tuple[float, ProcessFigures]] = []
        self.stopped = threading.Event()

    def run(self) -> None:
        start = time.monotonic()
        while not self.stopped.is_set():
            self.samples.append((time.monotonic() - start, process_figures(self.pid)))
            self.stopped.wait(SAMPLE_SECONDS)


def ready_of(pods: list[dict]) -> dict[str, bool]:
    return {pod["name"]: pod.get("ready") == "1/1" for pod in pods}


def flip_round(names: list[str], ready: bool, deadline_seconds: float) -> dict[str, float | None]:
    """Make every pod's probe answer `ready`, pod by pod, while polling ps; each pod's lag (None: never seen)."""
    flipped: dict[str, float] = {}
    command = f"touch {FLAG}" if ready else f"rm -f {FLAG}"

    def flip_all() -> None:
        for name in names:
            if podcompose("exec", name, "-c", "app", "--", "sh", "-c", command, check=False).returncode == 0:
                flipped[name] = time.monotonic()

    flipper = threading.Thread(target=flip_all, daemon=True)
    flipper.start()
    lags: dict[str, float | None] = {}
    while len(lags) < len(names):
        if not flipper.is_alive():
            lags |= {name: None for name in names if name not in flipped}    # its exec failed: never flipped
        shown = ready_of(pods_json())
        seen_at = time.monotonic()
        for name, at in list(flipped.items()):
            if name not in lags and shown.get(name) == ready:
                lags[name] = seen_at - at
            elif name not in lags and seen_at - at > deadline_seconds:
                lags[name] = None
    flipper.join()
    return lags


def thirds(values: list[float]) -> tuple[list[float], list[float]]:
    third = max(1, len(values) // 3)
    return values[:third], values[-third:]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pods", type=int, default=100)
    parser.add_argument("--period", type=int, default=10, help="the readiness probes' periodSeconds")
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--probe", choices=("exec", "http", "mixed"), default="mixed")
    parser.add_argument("--rest", type=float, default=60, help="seconds between flip rounds")
    parser.add_argument("--slack", type=int, default=2, help="threads/fds allowed above the first third's highest")
    options = parser.parse_args()
    compile_package()
    images = ensure_images("busybox", "pause")
    os.environ["PODCOMPOSE_PAUSE_IMAGE"] = images["pause"]
    names = [f"load-{index}" for index in range(options.pods)]
    bound = options.period + 1.0
    lags: list[float | None] = []
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "pods.yaml")
        Path(path).write_text(manifest(images["busybox"], options.pods, options.period, options.probe))
        podcompose("up", "-d", "-f", path, timeout=1800)
        try:
            pid = agent_pid()
            assert pid is not None, "no agent runs"
            time.sleep(options.period + 5)                     # every pod has probed at least once
            sampler = Sampler(pid)
            sampler.start()
            end = time.monotonic() + 60 * options.minutes
            ready = False
            while time.monotonic() < end:
                round_lags = flip_round(names, ready, deadline_seconds=3 * bound)
                lags += list(round_lags.values())
                print(f"flip to {'ready' if ready else 'not ready'}: worst lag "
                      f"{max((lag if lag is not None else float('inf')) for lag in round_lags.values()):.2f} s",
                      flush=True)
                ready = not ready
                time.sleep(max(0.0, min(options.rest, end - time.monotonic())))
            sampler.stopped.set()
            sampler.join()
        finally:
            podcompose("down", "-f", path, check=False, timeout=1800)
    samples = sampler.samples
    seconds = samples[-1][0] - samples[0][0]
    cpu = samples[-1][1].cpu_seconds - samples[0][1].cpu_seconds
    growth: dict[str, dict[str, float]] = {}
    broken: list[str] = []
    for kind in ("threads", "fds", "rss_kib"):
        first, last = thirds([getattr(figures, kind) for _, figures in samples])
        growth[kind] = {"first_third_max": max(first), "last_third_max": max(last),
                        "first_third_mean": statistics.mean(first), "last_third_mean": statistics.mean(last)}
        if kind != "rss_kib" and max(last) > max(first) + options.slack:
            broken.append(f"agent {kind} grew: {max(first)} -> {max(last)}")
    seen = [lag for lag in lags if lag is not None]
    late = [lag for lag in seen if lag > bound]
    missing = len(lags) - len(seen)
    if late or missing:
        broken.append(f"{len(late)} flips shown later than {bound:g} s, {missing} never shown")
    record = {"pods": options.pods, "period": options.period, "minutes": options.minutes, "probe": options.probe,
              "agent_cpu_percent_of_one_core": 100 * cpu / max(seconds, 1e-9), "growth": growth,
              "samples": [{"t": t, "cpu_seconds": f.cpu_seconds, "rss_kib": f.rss_kib, "threads": f.threads,
                           "fds": f.fds} for t, f in samples],
              "lag_bound_seconds": bound, "flips": len(lags),
              "lag_seconds": {"max": max(seen, default=None), "median": statistics.median(seen) if seen else None},
              "broken": broken, "ok": not broken}
    print(f"{options.pods} pods, probes every {options.period} s, {seconds:.0f} s sampled: agent CPU "
          f"{record['agent_cpu_percent_of_one_core']:.1f} % of a core; threads {growth['threads']}; fds "
          f"{growth['fds']}; RSS MiB {growth['rss_kib']['first_third_mean'] / 1024:.1f} -> "
          f"{growth['rss_kib']['last_third_mean'] / 1024:.1f}")
    median, worst = record["lag_seconds"]["median"], record["lag_seconds"]["max"]
    print(f"{len(lags)} flips, lag median {median or float('nan'):.2f} s, max {worst or float('nan'):.2f} s "
          f"(bound {bound:g} s)")
    print("within bounds" if not broken else f"BROKEN: {'; '.join(broken)}")
    print(f"record: {write_record('agent-load', record)}")
    return 0 if not broken else 1


if __name__ == "__main__":
    sys.exit(main())
