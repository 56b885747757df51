"""How fast `podcompose --version` and `--help` start, against a bare interpreter.

Run: python benchmarks/bench_cli_startup.py [--runs N]
Prints the median wall time of each command and its ratio to `python -c pass`
measured in the same run. Target: under 0.3 s for --version and --help.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

from installed import compile_package


def median_seconds(command: list[str], runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    compile_package()
    baseline = median_seconds([sys.executable, "-c", "pass"], runs)
    print(f"{'command':<32} {'median s':>9} {'x baseline':>11}")
    print(f"{'python -c pass (baseline)':<32} {baseline:>9.3f} {1.0:>11.2f}")
    for label, argv in (("podcompose --version", ["--version"]), ("podcompose --help", ["--help"]),
                        ("podcompose up --help", ["up", "--help"])):
        seconds = median_seconds([sys.executable, "-m", "podcompose", *argv], runs)
        verdict = "ok" if seconds < 0.3 else "OVER 0.3 s"
        print(f"{label:<32} {seconds:>9.3f} {seconds / baseline:>11.2f}  {verdict}")


if __name__ == "__main__":
    main()
