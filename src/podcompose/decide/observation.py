"""What Docker holds for one pod, as decide() reads it: plain data from labels and `docker inspect`."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Mapping

from ..backoff import BackoffEntry
from ..probe import ProbeResult
from ..probes_model import ProbeKind

RunState = Literal["created", "running", "exited", "unknown"]
# (docker container id, probe kind) -> the probe worker's current result; absent: not probed yet
ProbeResults = Mapping[tuple[str, ProbeKind], ProbeResult]


@dataclass(frozen=True)
class Attempt:
    """One Docker container made for a pod's container (each restart is a new attempt)."""

    container: str                       # the container's name in the pod (label)
    container_id: str
    state: RunState
    spec_hash: str                       # Container.spec_hash() when it was made (label)
    restart_count: int = 0               # label
    sandbox_id: str = ""                 # the pause container it joined (label)
    backoff: BackoffEntry | None = None  # the back-off in force when it was made (labels)
    created_at: float = 0.0
    started_at: float | None = None
    finished_at: float | None = None
    exit_code: int | None = None
    oom_killed: bool = False


@dataclass(frozen=True)
class SandboxObservation:
    container_id: str
    running: bool
    spec_hash: str                       # Pod.sandbox_hash() when it was made (label)
    created_at: float = 0.0


@dataclass(frozen=True)
class PodObservation:
    sandbox: SandboxObservation | None
    attempts: tuple[Attempt, ...] = ()   # any order
    started_at: float | None = None      # the pod's start time (label kept across sandboxes)

    def of(self, name: str) -> tuple[Attempt, ...]:
        """The attempts of one container, oldest first."""
        return tuple(sorted((a for a in self.attempts if a.container == name), key=lambda a: a.created_at))
