"""Plan: a pure function from (pod, what Docker has) to the steps of `up`, in order.

`up` itself makes what is not the node agent's: the images, the removal of a pod that changed, the
volumes and the sandbox (runtime/execute.py). The container starts are decide()'s: the agent's first
sync makes them right after, in decide()'s order, and the plan holds that order (`start_order`) so
`up --dry-run` shows what really happens. Each step says what it is (`describe`) and what `--dry-run`
shows of it (`shown`, with the Docker arguments from `translate`).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from . import redact, translate
from .decide import StartContainer, start_order
from .model import Container, Pod, Volume, VolumeKind
from .state import ObservedPod

PullOverride = Literal["always", "missing", "never"]
DEFAULT_PAUSE_IMAGE = "registry.k8s.io/pause:3.10"


@dataclass(frozen=True)
class PlanOptions:
    pause_image: str = DEFAULT_PAUSE_IMAGE
    pull: PullOverride | None = None      # None: each container's imagePullPolicy
    replace: bool = False                 # recreate even when unchanged
    default_host_ip: str = ""             # for hostPorts that name no hostIP ("" = every address)


class Step(Protocol):
    """One step of `up` as `--dry-run` shows it."""

    @property
    def action(self) -> str: ...

    def describe(self) -> str: ...

    def shown(self, spec_hash: str) -> dict[str, Any]: ...


class _NamedByClass:
    @property
    def action(self) -> str:
        """The step's name in `up --dry-run -o json`."""
        return type(self).__name__


@dataclass(frozen=True)
class EnsureImage(_NamedByClass):
    image: str
    policy: str                           # Always, IfNotPresent, Never

    def describe(self) -> str:
        return f"image {self.image} (pull policy {self.policy})"

    def shown(self, spec_hash: str) -> dict[str, Any]:
        return {"image": self.image, "pullPolicy": self.policy}


@dataclass(frozen=True)
class RemovePod(_NamedByClass):
    namespace: str
    name: str
    reason: str

    def describe(self) -> str:
        return f"remove the running pod {self.name} ({self.reason})"

    def shown(self, spec_hash: str) -> dict[str, Any]:
        return {"pod": self.name, "reason": self.reason}


@dataclass(frozen=True)
class CreateVolume(_NamedByClass):
    pod: Pod
    volume: Volume

    def describe(self) -> str:
        return f"volume for {self.volume.kind} {self.volume.name!r}"

    def shown(self, spec_hash: str) -> dict[str, Any]:
        return {"docker": translate.volume_create_args(self.pod, self.volume, spec_hash)}


@dataclass(frozen=True)
class RunPause(_NamedByClass):
    pod: Pod
    image: str
    default_host_ip: str = ""

    def describe(self) -> str:
        ports = ", ".join(
            f"{(p.host_ip or self.default_host_ip or '0.0.0.0')}:{p.host_port}->{p.container_port}/{p.protocol.lower()}"
            for p in self.pod.ports if p.host_port)
        return f"pause container from {self.image}" + (f", publishing {ports}" if ports else "")

    def shown(self, spec_hash: str) -> dict[str, Any]:
        return {"docker": translate.pause_create_args(self.pod, self.image, spec_hash, self.default_host_ip)}


@dataclass(frozen=True)
class DecidedStart:
    """A container start decide() orders (the agent makes it), with the container it creates."""

    pod: Pod
    container: Container
    start: StartContainer
    after: str                            # what it waits for: "fetch has completed"

    @property
    def action(self) -> str:
        return "RunInit" if self.container.role == "init" else "StartContainer"

    def describe(self) -> str:
        if self.container.role == "init":
            return f"init container {self.container.name} ({self.container.image}), run to completion"
        kind = "sidecar" if self.container.role == "sidecar" else "container"
        return f"{kind} {self.container.name} ({self.container.image})"

    def shown(self, spec_hash: str) -> dict[str, Any]:
        args = translate.container_create_args(self.pod, self.container, spec_hash)
        return {"after": self.after, "reason": self.start.reason, "message": self.start.message,
                "docker": redact.docker_args(self.container, args)}


@dataclass(frozen=True)
class Plan:
    """What `up` does for one pod: its own steps in this order, then decide()'s starts."""

    pod: Pod
    spec_hash: str
    images: tuple[EnsureImage, ...] = ()
    removal: RemovePod | None = None      # before anything is made: the pod Docker holds now
    volumes: tuple[CreateVolume, ...] = ()
    sandbox: RunPause | None = None
    starts: tuple[DecidedStart, ...] = ()
    up_to_date: bool = False

    @property
    def steps(self) -> tuple[Step, ...]:
        """Every step, in the order it happens."""
        removal = (self.removal,) if self.removal else ()
        sandbox = (self.sandbox,) if self.sandbox else ()
        return (*self.images, *removal, *self.volumes, *sandbox, *self.starts)


def pod_hash(pod: Pod, options: PlanOptions) -> str:
    """The pod's spec hash, including what shapes it beyond the manifest."""
    text = f"{pod.spec_hash()}|{options.pause_image}|{options.default_host_ip}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _effective_policy(policy: str, override: PullOverride | None) -> str:
    return {"always": "Always", "missing": "IfNotPresent", "never": "Never"}.get(override or "", policy)


def _is_healthy(observed: ObservedPod, pod: Pod) -> bool:
    """Every container of the pod is there and the pause container runs."""
    pause = observed.pause
    if pause is None or not pause.running:
        return False
    present = {c.container for c in observed.containers}
    return all(c.name in present for c in pod.all_containers)


def _images(pod: Pod, options: PlanOptions) -> tuple[EnsureImage, ...]:
    """Each image the pod needs, once: the pause image, then the containers' and image volumes'."""
    images = [EnsureImage(options.pause_image, _effective_policy("IfNotPresent", options.pull))]
    seen = {options.pause_image}
    wanted = [(c.image, c.image_pull_policy) for c in pod.all_containers]
    wanted += [(v.image_reference, v.image_pull_policy) for v in pod.volumes if v.kind == VolumeKind.IMAGE]
    for image, policy in wanted:
        if image not in seen:
            seen.add(image)
            images.append(EnsureImage(image, _effective_policy(policy, options.pull)))
    return tuple(images)


def _removal(pod: Pod, observed: ObservedPod | None, spec_hash: str, options: PlanOptions) -> RemovePod | None:
    if observed is None:
        return None
    if options.replace:
        reason = "--replace"
    elif observed.spec_hash != spec_hash:
        reason = "its spec changed"
    else:
        reason = "it is not running completely"
    return RemovePod(pod.namespace, pod.name, reason)


def plan_up(pod: Pod, observed: ObservedPod | None, options: PlanOptions = PlanOptions()) -> Plan:
    spec_hash = pod_hash(pod, options)
    if observed is not None and not options.replace and observed.spec_hash == spec_hash \
            and _is_healthy(observed, pod):
        return Plan(pod, spec_hash, up_to_date=True)
    # Images first: a pull that fails must not cost the user the pod already running.
    return Plan(pod, spec_hash,
                images=_images(pod, options),
                removal=_removal(pod, observed, spec_hash, options),
                volumes=tuple(CreateVolume(pod, v) for v in pod.volumes if v.kind != VolumeKind.HOST_PATH),
                sandbox=RunPause(pod, options.pause_image, options.default_host_ip),
                starts=_starts(pod))


def _starts(pod: Pod) -> tuple[DecidedStart, ...]:
    """decide()'s starts, each with what it waits for (the containers of the pass before it)."""
    starts: list[DecidedStart] = []
    after = "the pause container runs"
    for each_pass in start_order(pod):
        containers = [pod.container(s.container) for s in each_pass]
        starts.extend(DecidedStart(pod, c, s, after) for c, s in zip(containers, each_pass))
        after = " and ".join(_done(c) for c in containers)
    return tuple(starts)


def _done(container: Container) -> str:
    if container.role == "init":
        return f"{container.name} has completed"
    probe = " (its startupProbe passed)" if container.startup_probe is not None else ""
    return f"{container.name} has started{probe}"
