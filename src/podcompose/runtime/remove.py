"""Bring a pod down the way a kubelet terminates it."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import docker
import docker.errors

from ..events import Event, EventSink
from ..state import ObservedContainer, ObservedPod
from . import subpath
from .client import docker_errors

MIN_GRACE_SECONDS = 2


def _stop(client: docker.DockerClient, container: ObservedContainer, timeout: int) -> None:
    try:
        # docker stop sends the image's STOPSIGNAL (SIGTERM by default), then SIGKILL after `timeout`.
        client.api.stop(container.id, timeout=timeout)
    except docker.errors.NotFound:
        pass


def _stop_all(client: docker.DockerClient, containers: list[ObservedContainer], timeout: int) -> None:
    running = [c for c in containers if c.running or c.status == "paused"]
    if len(running) == 1:
        _stop(client, running[0], timeout)
    elif running:
        with ThreadPoolExecutor(max_workers=min(8, len(running))) as pool:
            list(pool.map(lambda c: _stop(client, c, timeout), running))


def remove_staging(namespace: str, pod: str, sink: EventSink) -> None:
    """Unmount and remove the pod's subPath staging mounts (after its containers are gone)."""
    problems = subpath.clean_pod(namespace, pod)
    if problems:
        sink(Event("warning", pod=pod, message="could not remove the subPath staging mounts under "
                   f"{subpath.staging_dir(namespace, pod)}: " + "; ".join(problems)))


def remove_pod(client: docker.DockerClient, pod: ObservedPod, sink: EventSink,
               timeout: int | None = None) -> None:
    """App containers in parallel, then sidecars in reverse order, then pause; then remove all.

    Only what `pod` holds is removed: objects observed by the pod's exact labels,
    by id (containers) or by the name of a volume carrying those labels.

    `timeout` overrides the pod's terminationGracePeriodSeconds.
    """
    grace = pod.grace_seconds if timeout is None else timeout
    grace = max(grace, MIN_GRACE_SECONDS) if timeout is None else max(grace, 0)
    sink(Event("stopping", pod=pod.name, message=f"grace period {grace}s"))
    with docker_errors(f"stopping pod {pod.name}"):
        _stop_all(client, pod.by_role("app"), grace)
        for sidecar in reversed(pod.by_role("sidecar")):
            _stop_all(client, [sidecar], grace)
        _stop_all(client, pod.by_role("init"), grace)
        _stop_all(client, pod.by_role("pause"), grace)
        for container in sorted(pod.containers, key=lambda c: c.role == "pause"):
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
