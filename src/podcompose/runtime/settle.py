"""What `up -d` reports about containers that ended right after they started.

A kubelet never removes a pod because a container ended: it restarts it or
records it. So neither does `up -d`: it watches the new containers briefly and
reports each that ended, from the daemon's `die` events (Docker resets a
restarted container's exit code to 0, so its state alone cannot tell that a
run failed): a non-zero exit is a failure with its exit code, reason and log
tail (`up -d` exits 1, the pod stays); an exit 0 is a completion.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import docker
import docker.errors

from ..state import ObservedContainer

LOG_TAIL_LINES = 20


@dataclass(frozen=True)
class EndedRun:
    """The last run of a container that ended while `up -d` watched it."""

    container: str
    exit_code: int
    reason: str           # Completed, Error, OOMKilled (kubectl's words)
    runs_ended: int       # how many runs ended in the window (restarts by the restart policy)
    failed_runs: int      # of those, how many exited non-zero

    @property
    def failed(self) -> bool:
        return self.failed_runs > 0


def log_tail(client: docker.DockerClient, container_id: str, lines: int = LOG_TAIL_LINES) -> str:
    try:
        raw = client.api.logs(container_id, stdout=True, stderr=True, tail=lines)
    except docker.errors.APIError:
        return ""
    return raw.decode(errors="replace").rstrip()


def ended_runs(client: docker.DockerClient, containers: list[ObservedContainer], since: float,
               until: float) -> list[EndedRun]:
    """Every container of `containers` that ended at least once between `since` and `until` (unix seconds)."""
    by_id = {c.id: c for c in containers}
    if not by_id:
        return []
    exits: dict[str, list[int]] = {}
    oom: set[str] = set()
    events = client.api.events(since=f"{since:.3f}", until=f"{until:.3f}", decode=True,
                               filters={"type": "container", "event": ["die", "oom"], "container": list(by_id)})
    for event in events:
        container_id = (event.get("Actor") or {}).get("ID") or event.get("id", "")
        if container_id not in by_id:
            continue
        action = event.get("Action") or event.get("status")
        if action == "oom":
            oom.add(container_id)
        elif action == "die":
            code = ((event.get("Actor") or {}).get("Attributes") or {}).get("exitCode", "-1")
            exits.setdefault(container_id, []).append(int(code))
    found = []
    for container_id, codes in exits.items():
        container = by_id[container_id]
        failed = [c for c in codes if c != 0]
        last = failed[-1] if failed else codes[-1]
        reason = "OOMKilled" if container_id in oom or container.oom_killed else ("Error" if last else "Completed")
        found.append(EndedRun(container.container, last, reason, len(codes), len(failed)))
    return sorted(found, key=lambda r: [c.container for c in containers].index(r.container))


def watch(client: docker.DockerClient, containers: list[ObservedContainer], since: float,
          until: float) -> list[EndedRun]:
    """Wait until `until` (unix seconds), then what ended since `since`."""
    time.sleep(max(0.0, until - time.time()))
    return ended_runs(client, containers, since, time.time())
