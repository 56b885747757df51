"""What `ps` shows of a supervised pod, in kubectl's words: the NAME READY STATUS RESTARTS AGE row of
`kubectl get pods` (printPod in pkg/printers/internalversion/printers.go) and the fields `ps -o json`
adds to its existing shape. Pure: the status comes from decide(), the clock is passed in.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from ..decide import Attempt, PodObservation
from ..podstatus import (ContainerStatus, PodStatus, _init_progress, kubectl_status, ready_column, restarts,
                         termination_reason)

COLUMNS = ("NAME", "READY", "STATUS", "RESTARTS", "AGE")


def human_duration(seconds: float) -> str:
    """apimachinery's duration.HumanDuration: about 2-3 significant figures (5s, 3m20s, 2d3h, 1y30d)."""
    whole = int(seconds)                     # Go's int(d.Seconds()) truncates toward zero
    if whole < -1:
        return "<invalid>"
    if whole < 0:
        return "0s"
    if whole < 60 * 2:
        return f"{whole}s"
    minutes = whole // 60
    if minutes < 10:
        s = whole % 60
        return f"{minutes}m" if s == 0 else f"{minutes}m{s}s"
    if minutes < 60 * 3:
        return f"{minutes}m"
    hours = whole // 3600
    if hours < 8:
        m = minutes % 60
        return f"{hours}h" if m == 0 else f"{hours}h{m}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        h = hours % 24
        return f"{hours // 24}d" if h == 0 else f"{hours // 24}d{h}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        days = (hours // 24) % 365
        return f"{hours // 24 // 365}y" if days == 0 else f"{hours // 24 // 365}y{days}d"
    return f"{hours // 24 // 365}y"


def since(timestamp: float | None, now: float) -> str:
    """kubectl's translateTimestampSince."""
    if not timestamp:
        return "<unknown>"
    return human_duration(now - timestamp)


def last_restart(status: PodStatus) -> float | None:
    """When the newest previous run that the RESTARTS column counts ended (kubectl's lastRestartDate)."""
    initializing, _ = _init_progress(status)
    counted: tuple[ContainerStatus, ...]
    if initializing is not None and not status.initialized:
        counted = status.init_statuses
    else:
        counted = tuple(s for s in status.init_statuses if s.role == "sidecar") + status.statuses
    ends = [s.last_termination.finished_at for s in counted
            if s.last_termination is not None and s.last_termination.finished_at]
    return max(ends) if ends else None


def restarts_column(status: PodStatus, now: float) -> str:
    """RESTARTS: the count, and how long ago the last one was ("5 (3m20s ago)")."""
    count = restarts(status)
    when = last_restart(status)
    if count and when is not None:
        return f"{count} ({since(when, now)} ago)"
    return str(count)


def status_column(status: PodStatus, terminating: bool = False) -> str:
    """STATUS; `terminating`: the pod is being stopped (down, or the agent killing it) and not yet ended."""
    if terminating and status.phase not in ("Succeeded", "Failed"):
        return "Terminating"
    return kubectl_status(status)


def pod_age(observation: PodObservation) -> float | None:
    """When the pod came to be: the start time its sandboxes carry, else its pause container's creation."""
    if observation.started_at:
        return observation.started_at
    return observation.sandbox.created_at if observation.sandbox and observation.sandbox.created_at else None


@dataclass(frozen=True)
class PodRow:
    name: str
    ready: str           # "2/3"
    status: str          # Running, Init:1/2, PodInitializing, CrashLoopBackOff, Completed, Error, OOMKilled...
    restarts: str        # "5 (3m20s ago)"
    age: str             # "3m20s"

    def cells(self) -> list[str]:
        return [self.name, self.ready, self.status, self.restarts, self.age]


def pod_row(name: str, status: PodStatus, observation: PodObservation, now: float,
            terminating: bool = False) -> PodRow:
    return PodRow(name, ready_column(status), status_column(status, terminating), restarts_column(status, now),
                  since(pod_age(observation), now))


# --- ps -o json ---------------------------------------------------------------------------------

def pod_fields(status: PodStatus, observation: PodObservation, now: float, terminating: bool = False) -> dict[str, Any]:
    """The fields `ps -o json` adds to each pod."""
    return {"ready": ready_column(status), "status": status_column(status, terminating),
            "restarts": restarts(status), "age": since(pod_age(observation), now)}


def container_fields(status: ContainerStatus) -> dict[str, Any]:
    """The fields `ps -o json` adds to the current attempt of a container."""
    return {"ready": status.ready, "reason": status.reason or None}


def _attempt_fields(attempt: Attempt) -> dict[str, Any]:
    """An earlier attempt (a previous run, kept for `logs --previous`): never ready."""
    if attempt.state == "exited":
        reason = termination_reason(attempt.exit_code if attempt.exit_code is not None else -1, attempt.oom_killed)
    else:
        reason = None
    return {"ready": False, "reason": reason}


def extend_ps_data(pod: Mapping[str, Any], status: PodStatus, observation: PodObservation, now: float,
                   terminating: bool = False) -> dict[str, Any]:
    """One pod of `ps -o json` (render.pods_as_data's shape) with the agent's fields added, nothing renamed.

    Containers are matched by their short id ("id"); the pause container gets nothing.
    """
    current = {s.container_id[:12]: s for s in (*status.init_statuses, *status.statuses) if s.container_id}
    attempts = {a.container_id[:12]: a for a in observation.attempts}
    containers = []
    for entry in pod.get("containers") or []:
        short = str(entry.get("id", ""))[:12]
        extra: dict[str, Any] = {}
        if short in current:
            extra = container_fields(current[short])
        elif short in attempts:
            extra = _attempt_fields(attempts[short])
        containers.append(dict(entry) | extra)
    return dict(pod) | pod_fields(status, observation, now, terminating) | {"containers": containers}
