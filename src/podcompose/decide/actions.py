"""What decide() asks for: the actions on one pod, each with its reason, and the pod's status."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ..backoff import BackoffEntry
from ..model import Role
from ..podstatus import PodStatus

KillReason = Literal["LivenessProbe", "StartupProbe", "SpecChanged", "Unknown", "StaleSandbox",
                     "PodTerminating"]
StartReason = Literal["FirstStart", "Restart", "LivenessProbe", "StartupProbe", "SpecChanged", "NotStarted",
                      "Unknown", "SidecarMissing"]


@dataclass(frozen=True)
class CreateSandbox:
    reason: str
    pod_started_at: float                # to label the new pause container with


@dataclass(frozen=True)
class KillContainer:
    container: str
    container_id: str
    reason: KillReason
    message: str
    grace_seconds: int


@dataclass(frozen=True)
class KillPod:
    """Stop the whole pod: each stage in turn, the kills of one stage in parallel, the pause last."""

    reason: str
    message: str
    stages: tuple[tuple[KillContainer, ...], ...]
    sandbox_id: str | None               # the pause container to stop after the stages


@dataclass(frozen=True)
class StartContainer:
    """Create and start a new attempt of a container, labelled with restart_count and backoff."""

    container: str
    role: Role
    reason: StartReason
    message: str
    restart_count: int
    backoff: BackoffEntry | None


@dataclass(frozen=True)
class WaitBackoff:
    container: str
    until: float
    message: str


@dataclass(frozen=True)
class PodActions:
    status: PodStatus
    kill_pod: KillPod | None = None
    kills: tuple[KillContainer, ...] = ()
    create_sandbox: CreateSandbox | None = None
    starts: tuple[StartContainer, ...] = ()  # init containers in spec order, then app containers
    waits: tuple[WaitBackoff, ...] = ()
    wake_at: float | None = None              # when the clock alone may change the decision

    @property
    def nothing_to_do(self) -> bool:
        return not (self.kill_pod or self.kills or self.create_sandbox or self.starts)
