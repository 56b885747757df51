"""What Docker already has for a pod, as the runtime observed it (plain data; its phase is
podstatus.observed_status's, by the kubelet's one getPhase)."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ObservedContainer:
    id: str
    docker_name: str
    container: str          # the Kubernetes container name, or POD for the pause container
    role: str
    status: str             # Docker's: created, running, exited, restarting, ...
    exit_code: int | None
    image: str
    spec_hash: str
    order: int = 0
    restart_count: int = 0
    started_at: str = ""
    created_at: str = ""
    finished_at: str = ""
    oom_killed: bool = False
    command: tuple[str, ...] = ()      # entrypoint + cmd as Docker runs them
    mounts: tuple[str, ...] = ()       # "target <- source (ro)"
    ports: tuple[str, ...] = ()        # published ports (pause container)
    env_names: tuple[str, ...] = ()    # names only: values may be secret
    working_dir: str = ""
    user: str = ""
    message: str = ""                  # an exited container's termination message

    @property
    def running(self) -> bool:
        return self.status in ("running", "restarting")


@dataclass(frozen=True)
class ObservedPod:
    namespace: str
    name: str
    containers: tuple[ObservedContainer, ...]
    volumes: tuple[str, ...] = ()
    source: str = ""
    grace_seconds: int = 30
    qos_class: str = ""
    previous: tuple[ObservedContainer, ...] = ()   # earlier attempts (logs --previous) and helpers
    desired_volume: str = ""                        # the agent's copy of the pod's spec, when it supervises it

    def previous_attempt(self, container: str) -> ObservedContainer | None:
        """The attempt before the current one of `container`, as the kubelet keeps it."""
        earlier = [c for c in self.previous if c.container == container and c.role != "helper"]
        return max(earlier, key=lambda c: c.created_at) if earlier else None

    @property
    def pause(self) -> ObservedContainer | None:
        return next((c for c in self.containers if c.role == "pause"), None)

    @property
    def spec_hash(self) -> str:
        pause = self.pause
        return pause.spec_hash if pause else ""

    def by_role(self, *roles: str) -> list[ObservedContainer]:
        return sorted((c for c in self.containers if c.role in roles), key=lambda c: c.order)


@dataclass(frozen=True)
class Observed:
    pods: tuple[ObservedPod, ...] = field(default_factory=tuple)

    def find(self, namespace: str, name: str) -> ObservedPod | None:
        return next((p for p in self.pods if p.namespace == namespace and p.name == name), None)
