"""The order in which decide() starts a pod's containers, rehearsed with no Docker (what `up --dry-run` shows).

decide() is asked again and again, as the agent's first sync asks it, about a pod in which every container does
at once what it should: an init container exits 0, a sidecar runs and passes its startupProbe, an app container
runs. The starts it asks for, pass by pass, are the order `up` really uses.
"""
from __future__ import annotations

from ..model import Container, Pod
from ..probe import ProbeResult
from ..probes_model import ProbeKind
from .actions import StartContainer
from .observation import Attempt, PodObservation, SandboxObservation
from .pod_actions import decide

SANDBOX_ID = "rehearsal-sandbox"
NOW = 0.0          # the clock does not move: nothing waits in the rehearsal
PROBES: tuple[ProbeKind, ...] = ("startup", "readiness", "liveness")


def _attempt(container: Container, start: StartContainer, number: int) -> Attempt:
    """The attempt `start` makes, once it has done what it should."""
    finished = container.role == "init"
    return Attempt(container.name, f"rehearsal-{number}", "exited" if finished else "running",
                   container.spec_hash(), start.restart_count, SANDBOX_ID, start.backoff,
                   created_at=float(number), started_at=NOW, finished_at=NOW if finished else None,
                   exit_code=0 if finished else None)


def start_order(pod: Pod) -> tuple[tuple[StartContainer, ...], ...]:
    """decide()'s starts for `pod`, from the sandbox `up` makes to the last app container: one tuple per pass,
    each pass's starts made once the previous pass's containers completed (init) or started (the others)."""
    sandbox = SandboxObservation(SANDBOX_ID, True, pod.sandbox_hash())
    attempts: list[Attempt] = []
    probes: dict[tuple[str, ProbeKind], ProbeResult] = {}
    passes: list[tuple[StartContainer, ...]] = []
    for _ in range(len(pod.all_containers)):      # each pass starts at least one container, or it is the last
        actions = decide(pod, PodObservation(sandbox, tuple(attempts), NOW), probes, NOW)
        if not actions.starts:
            break
        for start in actions.starts:
            attempt = _attempt(pod.container(start.container), start, len(attempts) + 1)
            attempts.append(attempt)
            probes.update({(attempt.container_id, kind): ProbeResult.SUCCESS for kind in PROBES})
        passes.append(actions.starts)
    return tuple(passes)
