"""What the endurance, load and fault benchmarks read on the host: the agent's process figures, podcompose's
commands as a user runs them, and each run's JSON record.

The agent's pid comes from its pid file (`agent-<daemon>.pid` in $PODCOMPOSE_RUN_DIR, podcompose.agent.process),
its figures from /proc/<pid>.
"""
from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RECORDS = ROOT / "benchmarks" / "records"
LOOP = "trap 'exit 0' TERM; while true; do sleep 1; done"


@dataclass(frozen=True)
class ProcessFigures:
    cpu_seconds: float     # utime + stime
    rss_kib: int
    threads: int
    fds: int


def process_figures(pid: int) -> ProcessFigures:
    stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")
    status = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return ProcessFigures(cpu, int(status["VmRSS"].split()[0]), int(status["Threads"]),
                          len(os.listdir(f"/proc/{pid}/fd")))


def agent_pid() -> int | None:
    """The running agent's pid, from its pid file (None when no agent holds the lock)."""
    from podcompose.agent import process

    return process.agent_pid()


def podcompose(*args: str, env: dict[str, str] | None = None, check: bool = True,
               timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """`podcompose ARGS` as a user runs it (the installed package, a new process)."""
    return subprocess.run([sys.executable, "-m", "podcompose", *args], capture_output=True, text=True,
                          env=env or os.environ.copy(), check=check, timeout=timeout)


def pods_json(env: dict[str, str] | None = None) -> list[dict[str, Any]]:
    return json.loads(podcompose("ps", "-o", "json", env=env).stdout or "[]")


def write_record(benchmark: str, record: dict[str, Any]) -> Path:
    """The run's JSON record, in benchmarks/records/<benchmark>-<UTC time>.json; its path."""
    now = datetime.datetime.now(datetime.timezone.utc)
    RECORDS.mkdir(exist_ok=True)
    path = RECORDS / f"{benchmark}-{now.strftime('%Y%m%dT%H%M%SZ')}.json"
    path.write_text(json.dumps({"benchmark": benchmark, "at": now.isoformat(timespec="seconds")} | record,
                               indent=2, default=str) + "\n")
    return path
