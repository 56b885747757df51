"""Pod and container status as the kubelet reports it and kubectl prints it. Pure.

`pod_phase` follows the kubelet's getPhase (pkg/kubelet/kubelet_pods.go): the one phase rule, for the
agent's status and for a pod read from Docker before the agent reports (`observed_status`);
`kubectl_status`, `ready_column` and `restarts` follow kubectl's printPod (pkg/printers/internalversion).
`PodReport` and `AgentReport` are what the agent writes of its pods (through codec.py) and every face reads.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from .model import Role

if TYPE_CHECKING:
    from .model import Pod
    from .state import ObservedContainer, ObservedPod

PodPhase = Literal["Pending", "Running", "Succeeded", "Failed", "Unknown"]
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


# --- the agent's report ------------------------------------------------------------------------

@dataclass(frozen=True)
class PodReport:
    """What the agent last saw of one pod (read by ps, describe, attached `up`, `--wait` and the Python API)."""

    status: PodStatus
    errors: dict[str, str] = field(default_factory=dict)             # container -> why it could not be made
    probes: dict[str, dict[str, str]] = field(default_factory=dict)  # container -> probe -> its last failure
    waits: dict[str, float] = field(default_factory=dict)            # container -> end of its back-off

    def probe_failures(self) -> dict[str, dict[str, str]]:
        """Each container's probes' last failures ({} when all pass)."""
        return {name: messages for name, messages in self.probes.items() if messages}

    def not_ready(self) -> str:
        """Which app containers and sidecars are not ready, with their probes' last failures."""
        parts = []
        for s in (*self.status.init_statuses, *self.status.statuses):
            if s.role == "init" or s.ready:
                continue
            why = "; ".join(self.probes.get(s.name, {}).values()) or self.errors.get(s.name, "") \
                or s.reason or s.state
            parts.append(f"{s.name} ({why})" if why else s.name)
        return ", ".join(parts) or self.status.kubectl_status


@dataclass(frozen=True)
class AgentReport:
    """The agent's status file: who wrote it, when, and each pod it supervises by "namespace/name"."""

    pid: int = 0
    updated: float = 0.0
    build: str = ""
    pods: dict[str, PodReport] = field(default_factory=dict)

    def pod(self, namespace: str, name: str) -> PodReport | None:
        return self.pods.get(f"{namespace}/{name}")


# --- before the agent reports ------------------------------------------------------------------

def _observed_container_status(name: str, role: Role, found: "ObservedContainer | None") -> ContainerStatus:
    if found is None:
        return ContainerStatus(name, role, "waiting", reason="ContainerCreating")
    if found.running:
        return ContainerStatus(name, role, "running", started=True, restart_count=found.restart_count,
                               container_id=found.id)
    if found.status in ("exited", "dead") and found.exit_code is not None:
        return ContainerStatus(name, role, "terminated", reason=termination_reason(found.exit_code, found.oom_killed),
                               exit_code=found.exit_code, restart_count=found.restart_count, container_id=found.id)
    return ContainerStatus(name, role, "waiting", reason="ContainerCreating", restart_count=found.restart_count,
                           container_id=found.id)


def observed_status(pod: "ObservedPod", spec: "Pod | None" = None) -> PodStatus:
    """A pod's status from its Docker containers alone, by the same getPhase as the agent's: `spec` (the
    desired state, when kept) adds the containers Docker has none of yet and the pod's restartPolicy."""
    found = {c.container: c for c in pod.containers if c.role != "pause"}
    if spec is not None:
        inits = [(c.name, c.role) for c in spec.init_containers]
        apps = [(c.name, c.role) for c in spec.containers]
    else:
        inits = [(c.container, c.role) for c in pod.by_role("init", "sidecar")]
        apps = [(c.container, c.role) for c in pod.by_role("app")]
    init_statuses = tuple(_observed_container_status(n, r, found.get(n)) for n, r in inits)   # type: ignore[arg-type]
    statuses = tuple(_observed_container_status(n, r, found.get(n)) for n, r in apps)        # type: ignore[arg-type]
    if not pod.containers:
        return PodStatus("Unknown", init_statuses, statuses)
    pause = pod.pause
    terminal = pause is None or not pause.running       # the sandbox is gone: nothing runs in it again
    restart_policy = spec.restart_policy if spec is not None else "Always"
    phase = pod_phase(restart_policy, init_statuses, statuses, terminal=terminal)
    initialized = all(s.state == "terminated" and s.exit_code == 0 or s.role == "sidecar" and s.state == "running"
                      for s in init_statuses)
    return PodStatus(phase, init_statuses, statuses, initialized=initialized)
