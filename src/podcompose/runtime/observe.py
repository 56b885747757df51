"""Observe: find every podcompose object in Docker by its labels."""
from __future__ import annotations

import dataclasses
import json
from collections import defaultdict

import docker

from .. import naming
from ..state import Observed, ObservedContainer, ObservedPod
from . import termination
from .client import docker_errors


def _mounts(attrs: dict) -> tuple[str, ...]:
    mounts = []
    for mount in attrs.get("Mounts") or []:
        source = mount.get("Name") or mount.get("Source", "")
        mode = "" if mount.get("RW", True) else " (ro)"
        mounts.append(f"{mount.get('Destination')} <- {mount.get('Type')} {source}{mode}")
    return tuple(sorted(mounts))


def _ports(attrs: dict) -> tuple[str, ...]:
    bindings = (attrs.get("HostConfig") or {}).get("PortBindings") or {}
    return tuple(sorted(f"{b.get('HostIp') or '0.0.0.0'}:{b.get('HostPort')}->{port}"
                        for port, items in bindings.items() for b in items or []))


def _command(config: dict, labels: dict) -> tuple[str, ...]:
    """entrypoint + cmd as Docker runs them; arguments that expanded a secret as written."""
    entrypoint, cmd = config.get("Entrypoint") or [], config.get("Cmd") or []
    try:
        shown = json.loads(labels[naming.SHOWN_COMMAND])
        entrypoint = entrypoint if shown.get("command") is None else list(shown["command"])
        cmd = cmd if shown.get("args") is None else list(shown["args"])
    except (KeyError, ValueError, TypeError, AttributeError):
        pass
    return tuple(str(a) for a in entrypoint + cmd)


def _observed_container(attrs: dict) -> ObservedContainer:
    labels = attrs["Config"].get("Labels") or {}
    state = attrs.get("State") or {}
    config = attrs["Config"]
    return ObservedContainer(
        id=attrs["Id"],
        docker_name=attrs["Name"].lstrip("/"),
        container=labels.get(naming.CONTAINER, ""),
        role=labels.get(naming.ROLE, ""),
        status=state.get("Status", "unknown"),
        exit_code=state.get("ExitCode") if state.get("Status") in ("exited", "dead") else None,
        image=attrs["Config"].get("Image", ""),
        spec_hash=labels.get(naming.SPEC_HASH, ""),
        order=int(labels.get(naming.ORDER, "0") or 0),
        # the agent's count (each restart a new attempt); Docker's own for containers made before it
        restart_count=int(labels.get(naming.RESTART_COUNT) or attrs.get("RestartCount", 0) or 0),
        started_at=state.get("StartedAt", ""),
        created_at=attrs.get("Created", ""),
        finished_at=state.get("FinishedAt", ""),
        oom_killed=bool(state.get("OOMKilled", False)),
        command=_command(config, labels),
        mounts=_mounts(attrs),
        ports=_ports(attrs),
        env_names=tuple(sorted(e.split("=", 1)[0] for e in config.get("Env") or [])),
        working_dir=config.get("WorkingDir") or "",
        user=config.get("User") or "",
    )


def _with_message(client: docker.DockerClient, attrs: dict) -> ObservedContainer:
    observed = _observed_container(attrs)
    message = termination.termination_message(client, attrs)
    return dataclasses.replace(observed, message=message) if message else observed


def observe(client: docker.DockerClient, namespace: str | None = None, pod: str | None = None) -> Observed:
    """Every pod (or the one named) that Docker holds objects for."""
    filters = {"label": naming.pod_filter(namespace, pod)}
    with docker_errors("listing podcompose containers"):
        summaries = client.api.containers(all=True, filters=filters)
        details = []
        for summary in summaries:
            try:
                details.append(client.api.inspect_container(summary["Id"]))
            except docker.errors.NotFound:
                continue  # removed between the list and the inspect
        volumes = client.api.volumes(filters=filters).get("Volumes") or []

    containers: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for attrs in details:
        labels = attrs["Config"].get("Labels") or {}
        containers[(labels.get(naming.NAMESPACE, ""), labels.get(naming.POD, ""))].append(attrs)
    pod_volumes: dict[tuple[str, str], list[str]] = defaultdict(list)
    for volume in volumes:
        labels = volume.get("Labels") or {}
        pod_volumes[(labels.get(naming.NAMESPACE, ""), labels.get(naming.POD, ""))].append(volume["Name"])

    pods = []
    for key in sorted(set(containers) | set(pod_volumes)):
        items = containers.get(key, [])
        labels = (items[0]["Config"].get("Labels") or {}) if items else {}
        everything = sorted((_with_message(client, a) for a in items), key=lambda c: (c.order, c.container))
        # the current attempt of each container holds its plain name; earlier ones are `<name>.<attempt>`
        current = tuple(c for c in everything if c.docker_name == naming.container_name(key[0], key[1], c.container))
        earlier = tuple(c for c in everything if c not in current)
        pods.append(ObservedPod(
            namespace=key[0], name=key[1], containers=current, previous=earlier,
            volumes=tuple(sorted(v for v in pod_volumes.get(key, []) if v != naming.desired_volume_name(*key))),
            desired_volume=naming.desired_volume_name(*key)
            if naming.desired_volume_name(*key) in pod_volumes.get(key, []) else "",
            source=labels.get(naming.SOURCE, ""),
            grace_seconds=int(labels.get(naming.GRACE, "30") or 30),
            qos_class=labels.get(naming.QOS_CLASS, ""),
        ))
    return Observed(tuple(pods))
