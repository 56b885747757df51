"""computePodActions: the rules that turn a pod, what Docker holds, probe results and the clock into actions.

In the spirit of the kubelet's computePodActions (pkg/kubelet/kuberuntime/kuberuntime_manager.go)
and computeInitContainerActions (kuberuntime_container.go), with the status to report. No I/O.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..backoff import restart_gate
from ..model import Container, Pod
from ..podstatus import ContainerStatus, PodStatus, Termination, pod_phase, termination_reason
from ..probe import ProbeResult
from ..probes_model import ProbeKind
from .actions import (CreateSandbox, KillContainer, KillPod, KillReason, PodActions, StartContainer, StartReason,
                      WaitBackoff)
from .observation import Attempt, PodObservation, ProbeResults

DEADLINE_MESSAGE = "Pod was active on the node longer than the specified deadline"


@dataclass
class _Plan:
    kills: list[KillContainer] = field(default_factory=list)
    starts: list[StartContainer] = field(default_factory=list)
    waits: list[WaitBackoff] = field(default_factory=list)
    kill_pod: KillPod | None = None
    create_sandbox: CreateSandbox | None = None
    terminal: bool = False
    init_failed: bool = False


class _Decider:
    def __init__(self, pod: Pod, observed: PodObservation, probes: ProbeResults, now: float) -> None:
        self.pod = pod
        self.observed = observed
        self.probes = probes
        self.now = now
        self.plan = _Plan()
        sandbox = observed.sandbox
        self.sandbox_id = sandbox.container_id if sandbox else ""
        self.history = {c.name: observed.of(c.name) for c in pod.all_containers}

    # what is known of each container

    def latest(self, name: str) -> Attempt | None:
        attempts = self.history.get(name, ())
        return attempts[-1] if attempts else None

    def current(self, name: str) -> Attempt | None:
        """The newest attempt in the current sandbox."""
        if not self.sandbox_id:
            return None
        attempts = [a for a in self.history.get(name, ()) if a.sandbox_id == self.sandbox_id]
        return attempts[-1] if attempts else None

    def result(self, attempt: Attempt, kind: ProbeKind) -> ProbeResult | None:
        return self.probes.get((attempt.container_id, kind))

    def started(self, container: Container, attempt: Attempt) -> bool:
        if attempt.state != "running":
            return False
        return container.startup_probe is None or self.result(attempt, "startup") is ProbeResult.SUCCESS

    def ready(self, container: Container, attempt: Attempt) -> bool:
        if not self.started(container, attempt):
            return False
        return container.readiness_probe is None or self.result(attempt, "readiness") is ProbeResult.SUCCESS

    # actions

    def kill(self, container: Container, attempt: Attempt, reason: KillReason, message: str) -> KillContainer:
        grace = self.pod.termination_grace_seconds
        probe = {"LivenessProbe": container.liveness_probe, "StartupProbe": container.startup_probe}.get(reason)
        if probe is not None and probe.termination_grace_seconds is not None:
            grace = probe.termination_grace_seconds
        return KillContainer(container.name, attempt.container_id, reason, message, grace)

    def start(self, container: Container, reason: StartReason, message: str) -> None:
        """Start `container` now, or wait out its back-off."""
        latest = self.latest(container.name)
        if reason == "FirstStart" and latest is not None:
            reason = "Restart"          # first in this sandbox, not the first ever
        exits = [a.finished_at if a.finished_at is not None else a.created_at
                 for a in self.history.get(container.name, ()) if a.state == "exited"]
        entry = latest.backoff if latest is not None and latest.spec_hash == container.spec_hash() else None
        gate = restart_gate(entry, max(exits) if exits else None, self.now)
        if not gate.allowed:
            assert gate.not_before is not None and gate.waited is not None
            self.plan.waits.append(WaitBackoff(
                container.name, gate.not_before,
                f"back-off {gate.waited:g}s restarting failed container={container.name} "
                f"pod={self.pod.name}_{self.pod.namespace}"))
            return
        count = 0 if latest is None else latest.restart_count + 1
        self.plan.starts.append(StartContainer(container.name, container.role, reason, message, count, gate.entry))

    def kill_pod(self, reason: str, message: str) -> None:
        """Every running attempt: regular containers together, then sidecars in reverse order."""
        first: list[KillContainer] = []
        sidecars: list[tuple[KillContainer, ...]] = []
        pending = {k.container_id: k for k in self.plan.kills}   # keep a probe failure as the reason
        for container in self.pod.all_containers:
            for attempt in self.history.get(container.name, ()):
                if attempt.state not in ("running", "unknown"):
                    continue
                kill = pending.get(attempt.container_id) or self.kill(container, attempt, "PodTerminating", message)
                if container.role == "sidecar":
                    sidecars.append((kill,))
                else:
                    first.append(kill)
        stages = ((tuple(first),) if first else ()) + tuple(reversed(sidecars))
        sandbox = self.observed.sandbox
        self.plan.kill_pod = KillPod(reason, message, stages,
                                     sandbox.container_id if sandbox and sandbox.running else None)

    # the rules

    def decide(self) -> None:
        if self.deadline_exceeded():
            self.kill_pod("DeadlineExceeded", DEADLINE_MESSAGE)
            self.plan.terminal = True
            return
        if not self.sandbox_ready():
            self.recreate_sandbox()
            return
        self.kill_stale()
        if not self.init_containers() or self.plan.kill_pod:
            return
        self.app_containers()

    def deadline_exceeded(self) -> bool:
        deadline = self.pod.active_deadline_seconds
        start = self.observed.started_at
        return deadline is not None and start is not None and self.now - start >= deadline

    def sandbox_ready(self) -> bool:
        sandbox = self.observed.sandbox
        return sandbox is not None and sandbox.running and sandbox.spec_hash == self.pod.sandbox_hash()

    def recreate_sandbox(self) -> None:
        sandbox = self.observed.sandbox
        if sandbox is None:
            why = "the pod has no pause container"
        elif not sandbox.running:
            why = "the pod's pause container is not running"
        else:
            why = "the pod's sandbox spec changed"
        had_containers = bool(self.observed.attempts)
        if any(a.state in ("running", "unknown") for a in self.observed.attempts) or (sandbox and sandbox.running):
            self.kill_pod("SandboxChanged", f"{why}: the pod will be killed and re-created")
        if self.pod.restart_policy == "Never" and had_containers:
            self.plan.terminal = True      # the kubelet never re-creates a sandbox for a Never pod that ran
            return
        to_start = [c for c in self.pod.containers if not self.succeeded_under_on_failure(c)]
        if not to_start and any(self.latest(c.name) for c in self.pod.containers):
            self.plan.terminal = True
            return
        self.plan.create_sandbox = CreateSandbox(why, self.observed.started_at or self.now)
        self.sandbox_id = ""               # nothing runs in the sandbox about to be made
        first = self.pod.init_containers[:1] or tuple(to_start)
        for container in first:
            self.start(container, "FirstStart" if self.latest(container.name) is None else "Restart",
                       f"{why}: starting {container.name} in the new sandbox")

    def succeeded_under_on_failure(self, container: Container) -> bool:
        latest = self.latest(container.name)
        return (self.pod.restart_policy == "OnFailure" and latest is not None
                and latest.state == "exited" and latest.exit_code == 0)

    def kill_stale(self) -> None:
        for container in self.pod.all_containers:
            for attempt in self.history.get(container.name, ()):
                if attempt.state == "running" and attempt.sandbox_id != self.sandbox_id:
                    self.plan.kills.append(self.kill(container, attempt, "StaleSandbox",
                                                     f"{container.name} runs in a pod sandbox that is gone"))

    def init_containers(self) -> bool:
        """computeInitContainerActions: True once the pod has been initialized."""
        inits = self.pod.init_containers
        if not inits:
            return True
        initialized = any(self.current(c.name) is not None for c in self.pod.containers)
        previously = initialized
        to_start: list[tuple[int, StartReason, str]] = []
        never = self.pod.restart_policy == "Never"
        for i in range(len(inits) - 1, -1, -1):
            container = inits[i]
            sidecar = container.role == "sidecar"
            attempt = self.current(container.name)
            if attempt is None:
                if previously and sidecar:
                    to_start.append((i, "SidecarMissing", f"sidecar {container.name} is not running"))
                continue
            if previously and not sidecar:
                continue
            if attempt.state == "created":
                to_start.append((i, "NotStarted", f"{container.name} was created but never started"))
            elif attempt.state == "running" and sidecar:
                done = self.running_sidecar(container, attempt, i, to_start)
                if done:
                    if i == len(inits) - 1:
                        initialized = True
                    elif not previously:
                        to_start.append((i + 1, "FirstStart", f"{container.name} has started"))
            elif attempt.state == "exited" and sidecar:
                to_start.append((i, "Restart", f"sidecar {container.name} exited; restarting it"))
            elif attempt.state == "exited":
                if attempt.exit_code != 0:
                    if never:
                        self.plan.init_failed = True
                        self.kill_pod("InitFailed", f"init container {container.name} failed "
                                                    f"(exit code {attempt.exit_code}) and restartPolicy is Never")
                        self.plan.terminal = True
                        return False
                    to_start.append((i, "Restart", f"init container {container.name} failed "
                                                   f"(exit code {attempt.exit_code}); retrying"))
                elif i == len(inits) - 1:
                    initialized = True
                else:
                    to_start.append((i + 1, "FirstStart", f"{container.name} completed"))
            elif attempt.state == "unknown":
                if not sidecar and never:
                    self.plan.init_failed = True
                    self.kill_pod("InitFailed", f"init container {container.name} is in an unknown state")
                    self.plan.terminal = True
                    return False
                self.plan.kills.append(self.kill(container, attempt, "Unknown",
                                                 f"{container.name} is in an unknown state; killing it before restart"))
                to_start.append((i, "Unknown", f"{container.name} was in an unknown state"))
            previously = True
        if not previously:
            to_start.append((0, "FirstStart", "the pod starts its first init container"))
        for i, reason, message in sorted(to_start):
            self.start(inits[i], reason, message)
        return initialized

    def running_sidecar(self, container: Container, attempt: Attempt, index: int,
                        to_start: list[tuple[int, StartReason, str]]) -> bool:
        """Kill/restart a running sidecar when needed; True when it counts as started."""
        if container.startup_probe is not None:
            startup = self.result(attempt, "startup")
            if startup is ProbeResult.FAILURE:
                self.plan.kills.append(self.kill(container, attempt, "StartupProbe",
                                                 f"Init container {container.name} failed startup probe"))
                to_start.append((index, "StartupProbe", f"{container.name} failed its startup probe"))
            if startup is not ProbeResult.SUCCESS:
                return False
        if attempt.spec_hash != container.spec_hash():
            self.plan.kills.append(self.kill(container, attempt, "SpecChanged",
                                             f"Init container {container.name} definition changed"))
            to_start.append((index, "SpecChanged", f"{container.name} definition changed"))
        elif container.liveness_probe is not None and self.result(attempt, "liveness") is ProbeResult.FAILURE:
            self.plan.kills.append(self.kill(container, attempt, "LivenessProbe",
                                             f"Init container {container.name} failed liveness probe"))
            to_start.append((index, "LivenessProbe", f"{container.name} failed its liveness probe"))
        return True

    def app_containers(self) -> None:
        keep = 0
        before = len(self.plan.starts) + len(self.plan.waits)
        restart_on_failure = self.pod.restart_policy != "Never"
        for container in self.pod.containers:
            attempt = self.current(container.name)
            if attempt is None or attempt.state != "running":
                if self.should_start(container, attempt):
                    reason: StartReason = "FirstStart" if self.latest(container.name) is None else "Restart"
                    if attempt is not None and attempt.state in ("created", "unknown"):
                        reason = "NotStarted" if attempt.state == "created" else "Unknown"
                        if attempt.state == "unknown":
                            self.plan.kills.append(self.kill(container, attempt, "Unknown",
                                                             f"{container.name} is in an unknown state"))
                    self.start(container, reason, self.start_message(container, attempt, reason))
                continue
            kill_reason: KillReason
            restart = restart_on_failure
            if attempt.spec_hash != container.spec_hash():
                kill_reason, message, restart = "SpecChanged", f"Container {container.name} definition changed", True
            elif self.result(attempt, "liveness") is ProbeResult.FAILURE:
                kill_reason, message = "LivenessProbe", f"Container {container.name} failed liveness probe"
            elif self.result(attempt, "startup") is ProbeResult.FAILURE:
                kill_reason, message = "StartupProbe", f"Container {container.name} failed startup probe"
            else:
                keep += 1
                continue
            if restart:
                message += ", will be restarted"
            self.plan.kills.append(self.kill(container, attempt, kill_reason, message))
            if restart:
                self.start(container, kill_reason, message)
        if keep == 0 and len(self.plan.starts) + len(self.plan.waits) == before:
            # Nothing regular runs or will: sidecars must not keep the pod alive (not even restarted).
            self.plan.starts.clear()
            self.plan.waits.clear()
            self.kill_pod("Completed", "no app container runs or will be restarted")
            self.plan.kills.clear()
            self.plan.terminal = True

    def should_start(self, container: Container, attempt: Attempt | None) -> bool:
        """ShouldContainerBeRestarted, with attempts of an earlier sandbox counting as its last run."""
        last = attempt or self.latest(container.name)
        if last is None or last.state in ("created", "unknown"):
            return True
        if last.state == "running":     # it ran in an earlier sandbox: that one is gone
            return True
        if self.pod.restart_policy == "Never":
            return False
        return not (self.pod.restart_policy == "OnFailure" and last.exit_code == 0)

    def start_message(self, container: Container, attempt: Attempt | None, reason: StartReason) -> str:
        last = attempt or self.latest(container.name)
        if reason == "FirstStart" or last is None:
            return f"starting {container.name}"
        if last.state == "exited":
            return (f"{container.name} exited with code {last.exit_code}; restartPolicy "
                    f"{self.pod.restart_policy} restarts it")
        return f"starting {container.name} again"

    # status

    def status_of(self, container: Container, initialized: bool) -> ContainerStatus:
        attempt = self.current(container.name) if container.role == "init" else self.latest(container.name)
        latest = self.latest(container.name)
        restart_count = latest.restart_count if latest else 0
        waiting_default = "PodInitializing" if self.pod.init_containers else "ContainerCreating"
        if attempt is None:
            return ContainerStatus(container.name, container.role, "waiting", waiting_default,
                                   restart_count=restart_count, last_termination=self.previous_termination(container))
        if attempt.state == "running":
            return ContainerStatus(container.name, container.role, "running",
                                   started=self.started(container, attempt), ready=self.ready(container, attempt),
                                   restart_count=restart_count, container_id=attempt.container_id,
                                   last_termination=self.previous_termination(container))
        if attempt.state == "exited":
            code = attempt.exit_code if attempt.exit_code is not None else -1
            ended = Termination(code, termination_reason(code, attempt.oom_killed), attempt.finished_at)
            wait = next((w for w in self.plan.waits if w.container == container.name), None)
            if wait is not None:
                return ContainerStatus(container.name, container.role, "waiting", "CrashLoopBackOff", wait.message,
                                       restart_count=restart_count, last_termination=ended,
                                       container_id=attempt.container_id)
            return ContainerStatus(container.name, container.role, "terminated", ended.reason, exit_code=code,
                                   restart_count=restart_count, container_id=attempt.container_id,
                                   last_termination=self.previous_termination(container))
        return ContainerStatus(container.name, container.role, "waiting", "ContainerCreating",
                               restart_count=restart_count, container_id=attempt.container_id)

    def previous_termination(self, container: Container) -> Termination | None:
        """The termination of the attempt before the current one (kubectl's lastState)."""
        attempts = self.history.get(container.name, ())
        for attempt in reversed(attempts[:-1]):
            if attempt.state == "exited":
                code = attempt.exit_code if attempt.exit_code is not None else -1
                return Termination(code, termination_reason(code, attempt.oom_killed), attempt.finished_at)
        return None

    def status(self) -> PodStatus:
        initialized = self.is_initialized()
        init_statuses = tuple(self.status_of(c, initialized) for c in self.pod.init_containers)
        statuses = tuple(self.status_of(c, initialized) for c in self.pod.containers)
        terminal = self.plan.terminal and not self.plan.init_failed
        phase = pod_phase(self.pod.restart_policy, init_statuses, statuses, terminal)
        if terminal and self.plan.kill_pod is not None and self.plan.kill_pod.reason == "Completed":
            phase = "Succeeded" if all(s.state == "terminated" and s.exit_code == 0 for s in statuses) else "Failed"
        reason = message = ""
        if self.deadline_exceeded():
            phase, reason, message = "Failed", "DeadlineExceeded", DEADLINE_MESSAGE
        return PodStatus(phase, init_statuses, statuses, reason, message, initialized)

    def is_initialized(self) -> bool:
        if any(self.current(c.name) is not None for c in self.pod.containers):
            return True
        for container in self.pod.init_containers:
            attempt = self.current(container.name)
            if attempt is None:
                return False
            if container.role == "sidecar":
                if not self.started(container, attempt):
                    return False
            elif not (attempt.state == "exited" and attempt.exit_code == 0):
                return False
        return True

    def wake_at(self) -> float | None:
        times = [w.until for w in self.plan.waits]
        deadline = self.pod.active_deadline_seconds
        if deadline is not None and self.observed.started_at is not None and not self.deadline_exceeded():
            times.append(self.observed.started_at + deadline)
        return min(times) if times else None


def decide(desired: Pod, observed: PodObservation, probe_results: ProbeResults, now: float) -> PodActions:
    """The actions that bring what Docker holds towards `desired`, and the pod's status now."""
    decider = _Decider(desired, observed, probe_results, now)
    decider.decide()
    plan = decider.plan
    return PodActions(status=decider.status(), kill_pod=plan.kill_pod, kills=tuple(plan.kills),
                      create_sandbox=plan.create_sandbox, starts=tuple(plan.starts), waits=tuple(plan.waits),
                      wake_at=decider.wake_at())
