"""Bring a pod down the way a kubelet terminates it."""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Mapping

import docker
import docker.errors

from ..events import Event, EventSink, ignore
from ..model import Pod
from ..probes_model import HookHandler
from ..state import ObservedContainer, ObservedPod
from .hooks import run_hook
from . import cgroups, subpath, termination
from .client import container_pid, docker_errors

MIN_GRACE_SECONDS = 2


PreStops = Mapping[str, HookHandler]      # container name -> its preStop handler


def _stop(client: docker.DockerClient, container: ObservedContainer, timeout: int,
          pre_stops: PreStops, pause_pid: int | None, sink: EventSink, pod: str) -> None:
    """preStop first (its time counts against the grace period), then the stop signal, SIGKILL after the rest."""
    handler = pre_stops.get(container.container)
    began = time.monotonic()
    if handler is not None and container.running:
        outcome = run_hook(client, pause_pid, container.id, handler, timeout=float(timeout),
                           container_name=container.container, pod_name=pod)
        if not outcome.ok:
            sink(Event("warning", pod=pod, container=container.container, message=f"FailedPreStopHook: {outcome.message}"))
    remaining = max(int(round(timeout - (time.monotonic() - began))), MIN_GRACE_SECONDS if handler else 0)
    try:
        # docker stop sends the image's STOPSIGNAL (SIGTERM by default), then SIGKILL after `timeout`.
        client.api.stop(container.id, timeout=remaining)
    except docker.errors.NotFound:
        pass


def _stop_all(client: docker.DockerClient, containers: list[ObservedContainer], timeout: int,
              pre_stops: PreStops = {}, pause_pid: int | None = None, sink: EventSink = ignore,
              pod: str = "") -> None:
    running = [c for c in containers if c.running or c.status == "paused"]
    stop = lambda c: _stop(client, c, timeout, pre_stops, pause_pid, sink, pod)  # noqa: E731
    if len(running) == 1:
        stop(running[0])
    elif running:
        with ThreadPoolExecutor(max_workers=min(8, len(running))) as pool:
            list(pool.map(stop, running))


def _pause_pid(client: docker.DockerClient, pod: ObservedPod) -> int | None:
    pause = pod.pause
    if pause is None or not pause.running:
        return None
    return container_pid(client, pause.id)


def remove_staging(namespace: str, pod: str, sink: EventSink) -> None:
    """Unmount and remove the pod's subPath staging mounts (after its containers are gone)."""
    problems = subpath.clean_pod(namespace, pod)
    termination.remove_termination_files(namespace, pod)
    cgroup_problems = cgroups.remove(namespace, pod)
    if cgroup_problems:
        sink(Event("warning", pod=pod, message="could not remove the pod's cgroup: " + "; ".join(cgroup_problems)))
    if problems:
        sink(Event("warning", pod=pod, message="could not remove the subPath staging mounts under "
                   f"{subpath.staging_dir(namespace, pod)}: " + "; ".join(problems)))


def remove_pod(client: docker.DockerClient, pod: ObservedPod, sink: EventSink,
               timeout: int | None = None, spec: Pod | None = None) -> None:
    """App containers in parallel, then sidecars in reverse order, then pause; then remove all.

    Only what `pod` holds is removed: objects observed by the pod's exact labels,
    by id (containers) or by the name of a volume carrying those labels.

    `timeout` overrides the pod's terminationGracePeriodSeconds. With the pod's `spec`,
    each container's preStop hook runs before its stop signal.
    """
    grace = pod.grace_seconds if timeout is None else timeout
    grace = max(grace, MIN_GRACE_SECONDS) if timeout is None else max(grace, 0)
    sink(Event("stopping", pod=pod.name, message=f"grace period {grace}s"))
    with docker_errors(f"stopping pod {pod.name}"):
        # First the desired state: the agent stops supervising (and makes nothing more) before anything stops.
        desired = pod.desired_volume
        if desired:
            try:
                client.api.remove_volume(desired, force=True)
            except docker.errors.NotFound:
                pass
        pre_stops = {c.name: c.lifecycle.pre_stop for c in (spec.all_containers if spec else ())
                     if c.lifecycle.pre_stop is not None}
        pause_pid = _pause_pid(client, pod) if pre_stops and not (spec and spec.host_network) else None
        hooks = dict(pre_stops=pre_stops, pause_pid=pause_pid, sink=sink, pod=f"{pod.name}_{pod.namespace}")
        _stop_all(client, pod.by_role("app"), grace, **hooks)  # type: ignore[arg-type]
        for sidecar in reversed(pod.by_role("sidecar")):
            _stop_all(client, [sidecar], grace, **hooks)  # type: ignore[arg-type]
        _stop_all(client, pod.by_role("init"), grace)
        _stop_all(client, pod.by_role("pause"), grace)
        for container in sorted(pod.containers + pod.previous, key=lambda c: c.role == "pause"):
            try:
                client.api.remove_container(container.id, force=True, v=False)
            except docker.errors.NotFound:
                pass
        remove_staging(pod.namespace, pod.name, sink)
        for volume in pod.volumes:
            try:
                client.api.remove_volume(volume, force=True)
            except docker.errors.NotFound:
                pass
    sink(Event("removed", pod=pod.name))
