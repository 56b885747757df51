"""Pod and container status as the kubelet reports it and kubectl prints it. Pure.

`pod_phase` follows the kubelet's getPhase (pkg/kubelet/kubelet_pods.go); `kubectl_status`,
`ready_column` and `restarts` follow kubectl's printPod (pkg/printers/internalversion).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .model import Role

PodPhase = Literal["Pending", "Running", "Succeeded", "Failed"]
StateName = Literal["waiting", "running", "terminated"]


@dataclass(frozen=True)
class Termination:
    exit_code: int
    reason: str            # Completed, Error or OOMKilled
    finished_at: float | None = None


@dataclass(frozen=True)
class ContainerStatus:
    name: str
    role: Role
    state: StateName
    reason: str = ""                     # waiting: PodInitializing, ContainerCreating, CrashLoopBackOff;
                                         # terminated: Completed, Error, OOMKilled
    message: str = ""
    exit_code: int | None = None         # terminated only
    started: bool = False                # running and its startup probe passed (or it has none)
    ready: bool = False
    restart_count: int = 0
    last_termination: Termination | None = None
    container_id: str = ""


@dataclass(frozen=True)
class PodStatus:
    phase: PodPhase
    init_statuses: tuple[ContainerStatus, ...]
    statuses: tuple[ContainerStatus, ...]
    reason: str = ""                     # DeadlineExceeded
    message: str = ""
    initialized: bool = False

    @property
    def ready(self) -> bool:
        """The pod's Ready condition: initialized, every app container and sidecar ready."""
        if self.phase != "Running" or not self.initialized:
            return False
        sidecars = [s for s in self.init_statuses if s.role == "sidecar"]
        return all(s.ready for s in (*self.statuses, *sidecars))

    @property
    def ready_column(self) -> str:
        return ready_column(self)

    @property
    def kubectl_status(self) -> str:
        return kubectl_status(self)

    @property
    def restarts(self) -> int:
        return restarts(self)


def termination_reason(exit_code: int, oom_killed: bool) -> str:
    if oom_killed:
        return "OOMKilled"
    return "Completed" if exit_code == 0 else "Error"


def pod_phase(restart_policy: str, init_statuses: tuple[ContainerStatus, ...],
              statuses: tuple[ContainerStatus, ...], terminal: bool = False) -> PodPhase:
    """The kubelet's getPhase; `terminal`: the pod will not run again (its containers are ending)."""
    pending_init = failed_init = pending_sidecars = 0
    running = waiting = stopped = succeeded = unknown = 0
    for s in init_statuses:
        if s.role == "sidecar":
            if s.state == "running":
                running += 1
                pending_sidecars += 0 if s.started else 1
            elif s.state == "waiting" and s.last_termination is None:
                pending_sidecars += 1
                waiting += 1
            continue
        if s.state == "terminated":
            failed_init += 1 if s.exit_code != 0 else 0
        elif s.state == "waiting" and s.last_termination is not None:
            failed_init += 1 if s.last_termination.exit_code != 0 else 0
        else:
            pending_init += 1
    for s in statuses:
        if s.state == "running":
            running += 1
        elif s.state == "terminated":
            stopped += 1
            succeeded += 1 if s.exit_code == 0 else 0
        elif s.last_termination is not None:
            stopped += 1
        else:
            waiting += 1
    if failed_init and restart_policy == "Never":
        return "Failed"
    if pending_init or (pending_sidecars and stopped == 0) or waiting:
        return "Pending"
    if running and not unknown:
        return "Running"
    if not running and stopped and not unknown:
        if terminal:
            return "Succeeded" if stopped == succeeded else "Failed"
        if restart_policy == "Always":
            return "Running"
        if stopped == succeeded:
            return "Succeeded"
        return "Failed" if restart_policy == "Never" else "Running"
    return "Pending"


def _terminated_text(status: ContainerStatus) -> str:
    return status.reason or f"ExitCode:{status.exit_code}"


def _init_progress(status: PodStatus) -> tuple[str | None, int]:
    """kubectl's init loop: the Init:... text (None once initialized) and the ready sidecars."""
    ready = 0
    total = len(status.init_statuses)
    for i, s in enumerate(status.init_statuses):
        if s.state == "terminated" and s.exit_code == 0:
            continue
        if s.role == "sidecar" and s.started:
            ready += 1 if s.ready else 0
            continue
        if s.state == "terminated":
            return "Init:" + _terminated_text(s), ready
        if s.state == "waiting" and s.reason and s.reason != "PodInitializing":
            return "Init:" + s.reason, ready
        return f"Init:{i}/{total}", ready
    return None, ready


def kubectl_status(status: PodStatus) -> str:
    """The STATUS column of `kubectl get pods`."""
    initializing, _ = _init_progress(status)
    if status.reason:
        return status.reason
    if initializing is not None and not status.initialized:
        return initializing
    reason: str = status.phase
    has_running = False
    for s in reversed(status.statuses):
        if s.state == "waiting" and s.reason:
            reason = s.reason
        elif s.state == "terminated":
            reason = _terminated_text(s)
        elif s.state == "running" and s.ready:
            has_running = True
    if reason == "Completed" and has_running:
        reason = "Running" if status.ready else "NotReady"   # kubectl: by the pod's Ready condition
    return reason


def ready_column(status: PodStatus) -> str:
    """The READY column: ready app containers and sidecars over all of them."""
    initializing, ready = _init_progress(status)
    total = len(status.statuses) + sum(1 for s in status.init_statuses if s.role == "sidecar")
    if initializing is None or status.initialized:
        ready += sum(1 for s in status.statuses if s.state == "running" and s.ready)
    return f"{ready}/{total}"


def restarts(status: PodStatus) -> int:
    """The RESTARTS column: init restarts while initializing, then sidecars' and app containers'."""
    initializing, _ = _init_progress(status)
    if initializing is not None and not status.initialized:
        return sum(s.restart_count for s in status.init_statuses)
    return sum(s.restart_count for s in status.init_statuses if s.role == "sidecar") + \
        sum(s.restart_count for s in status.statuses)
