"""Plan: a pure function from (pod, what Docker has) to ordered steps.

No Docker here: `runtime` executes the steps, `translate` turns each into
Docker arguments, and `up --dry-run` prints them.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Literal, Union

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


@dataclass(frozen=True)
class EnsureImage:
    image: str
    policy: str                           # Always, IfNotPresent, Never

    def describe(self) -> str:
        return f"image {self.image} (pull policy {self.policy})"


@dataclass(frozen=True)
class RemovePod:
    namespace: str
    name: str
    reason: str

    def describe(self) -> str:
        return f"remove the running pod {self.name} ({self.reason})"


@dataclass(frozen=True)
class CreateVolume:
    pod: Pod
    volume: Volume

    def describe(self) -> str:
        return f"volume for {self.volume.kind} {self.volume.name!r}"


@dataclass(frozen=True)
class RunPause:
    pod: Pod
    image: str
    default_host_ip: str = ""

    def describe(self) -> str:
        ports = ", ".join(
            f"{(p.host_ip or self.default_host_ip or '0.0.0.0')}:{p.host_port}->{p.container_port}/{p.protocol.lower()}"
            for p in self.pod.ports if p.host_port)
        return f"pause container from {self.image}" + (f", publishing {ports}" if ports else "")


@dataclass(frozen=True)
class RunInit:
    """Create, start and wait for an init container; it must exit 0."""

    pod: Pod
    container: Container

    def describe(self) -> str:
        return f"init container {self.container.name} ({self.container.image}), run to completion"


@dataclass(frozen=True)
class StartContainer:
    """Create and start a sidecar or app container joined to the pause container."""

    pod: Pod
    container: Container

    def describe(self) -> str:
        kind = "sidecar" if self.container.role == "sidecar" else "container"
        return f"{kind} {self.container.name} ({self.container.image})"


Step = Union[EnsureImage, RemovePod, CreateVolume, RunPause, RunInit, StartContainer]


@dataclass(frozen=True)
class Plan:
    pod: Pod
    spec_hash: str
    steps: tuple[Step, ...]
    up_to_date: bool = False


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


def plan_up(pod: Pod, observed: ObservedPod | None, options: PlanOptions = PlanOptions()) -> Plan:
    spec_hash = pod_hash(pod, options)
    if observed is not None and not options.replace and observed.spec_hash == spec_hash \
            and _is_healthy(observed, pod):
        return Plan(pod, spec_hash, (), up_to_date=True)

    steps: list[Step] = [EnsureImage(options.pause_image, _effective_policy("IfNotPresent", options.pull))]
    seen = {options.pause_image}
    for container in pod.all_containers:
        if container.image not in seen:
            seen.add(container.image)
            steps.append(EnsureImage(container.image, _effective_policy(container.image_pull_policy, options.pull)))
    for volume in pod.volumes:
        if volume.kind == VolumeKind.IMAGE and volume.image_reference not in seen:
            seen.add(volume.image_reference)
            steps.append(EnsureImage(volume.image_reference, _effective_policy(volume.image_pull_policy, options.pull)))
    # Images first: a pull that fails must not cost the user the pod already running.
    if observed is not None:
        if options.replace:
            reason = "--replace"
        elif observed.spec_hash != spec_hash:
            reason = "its spec changed"
        else:
            reason = "it is not running completely"
        steps.append(RemovePod(pod.namespace, pod.name, reason))
    steps.extend(CreateVolume(pod, v) for v in pod.volumes if v.kind != VolumeKind.HOST_PATH)
    steps.append(RunPause(pod, options.pause_image, options.default_host_ip))
    for container in pod.init_containers:
        steps.append(StartContainer(pod, container) if container.role == "sidecar" else RunInit(pod, container))
    steps.extend(StartContainer(pod, c) for c in pod.containers)
    return Plan(pod, spec_hash, tuple(steps))
