#!/usr/bin/env python3
"""How long load + validate take on a 1,000-pod multi-document file.

    python benchmarks/bench_validate.py [--pods 1000] [--repeat 3]

Prints the best of `--repeat` runs for podcompose's load_text, validate and
their sum, and the ratio of the sum against a baseline measured in the same
run: PyYAML's plain `yaml.safe_load_all` of the same text (no line numbers, no
checks), and the same with libyaml's CSafeLoader, which podcompose's loader
uses. Target: under 2 s for 1,000 pods on a 2-core machine. Exits 1 when the
target is missed, so it can gate a CI job if wanted.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Callable, TypeVar

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from podcompose.load import load_text  # noqa: E402
from podcompose.validate import validate  # noqa: E402

TARGET_SECONDS = 2.0

POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: web-{i}
  labels: {{app: web, shard: "s{i}"}}
spec:
  restartPolicy: Always
  terminationGracePeriodSeconds: 5
  volumes:
  - name: data
    emptyDir: {{sizeLimit: 64Mi}}
  - name: config
    configMap: {{name: web-config}}
  initContainers:
  - name: init
    image: busybox:1.36
    command: ["sh", "-c", "echo ready > /data/ready"]
    volumeMounts:
    - {{name: data, mountPath: /data}}
  containers:
  - name: app
    image: nginx:1.27
    imagePullPolicy: IfNotPresent
    ports:
    - containerPort: 80
      protocol: TCP
    env:
    - name: MODE
      value: production
    - name: LEVEL
      valueFrom:
        configMapKeyRef: {{name: web-config, key: level}}
    resources:
      limits: {{cpu: 500m, memory: 128Mi}}
      requests: {{cpu: 100m, memory: 64Mi}}
    volumeMounts:
    - name: data
      mountPath: /usr/share/nginx/html
      readOnly: true
    - name: config
      mountPath: /etc/web
"""

CONFIG_MAP = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
data:
  level: info
"""


def manifest(pods: int) -> str:
    return "---\n".join([CONFIG_MAP] + [POD.format(i=i) for i in range(pods)])


T = TypeVar("T")


def best_of(repeat: int, run: Callable[[], T]) -> tuple[float, T]:
    """The shortest time of `repeat` runs, and the last result."""
    start = time.perf_counter()
    result = run()
    best = time.perf_counter() - start
    for _ in range(repeat - 1):
        start = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - start)
    return best, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pods", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    text = manifest(args.pods)
    validate(load_text(manifest(1)))  # compile the validators once, as a long-lived process would
    baseline, _ = best_of(args.repeat, lambda: list(yaml.safe_load_all(text)))
    c_loader = getattr(yaml, "CSafeLoader", None)
    c_baseline = best_of(args.repeat, lambda: list(yaml.load_all(text, Loader=c_loader)))[0] if c_loader else None
    load_time, documents = best_of(args.repeat, lambda: load_text(text, "bench.yaml"))
    validate_time, problems = best_of(args.repeat, lambda: validate(documents))
    errors = [p for p in problems if p.severity == "error"]
    total = load_time + validate_time
    print(f"{args.pods} pods, {len(text.splitlines())} lines, {len(problems)} problems "
          f"({len(errors)} errors)")
    print(f"baseline yaml.safe_load_all: {baseline:.3f} s")
    if c_baseline is not None:
        print(f"baseline with libyaml:       {c_baseline:.3f} s")
    print(f"podcompose load_text:        {load_time:.3f} s")
    print(f"podcompose validate:         {validate_time:.3f} s")
    print(f"load + validate:             {total:.3f} s  ({total / baseline:.2f}x the baseline; "
          f"target < {TARGET_SECONDS:.1f} s)")
    if c_baseline is not None:
        print(f"                             ({total / c_baseline:.2f}x the libyaml baseline)")
    if errors:
        print("unexpected errors:", *errors[:5], sep="\n  ")
        return 1
    return 0 if total < TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
