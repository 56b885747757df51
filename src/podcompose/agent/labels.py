"""The agent's labels on attempts and sandboxes, and the way back: `docker inspect` -> PodObservation.

Everything a restarted agent needs to resume is written here into the labels of each Docker
container it makes (names in podcompose.naming), so it keeps no memory of its own:

- an attempt (one Docker container per run of a pod's container): its own spec hash, its
  restart count and attempt number, the pause container it joined, the back-off in force;
- a sandbox (pause container): the sandbox hash and the pod's start time, carried over from
  one sandbox to the next.

`attempt_labels` and `sandbox_labels` return only these; they go on top of the labels
translate.py gives every pod container. Pure: no Docker.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any, Mapping, Sequence

from .. import naming
from ..backoff import BackoffEntry
from ..decide import Attempt, CreateSandbox, PodObservation, RunState, SandboxObservation, StartContainer
from ..model import Container, Pod

ATTEMPT_ROLES = frozenset({"init", "sidecar", "app"})
# An attempt that started before its pause container's latest start lives in a network namespace
# that is gone (Docker gives a restarted container a new one): it counts as of an earlier sandbox.
STALE_SANDBOX_PREFIX = "stale:"


def _number(value: float) -> str:
    return repr(float(value))       # repr round-trips a float exactly


def attempt_labels(pod: Pod, container: Container, start: StartContainer, sandbox_id: str) -> dict[str, str]:
    """The agent's labels of a new attempt of `container`, made for `start` in sandbox `sandbox_id`."""
    labels = {
        naming.CONTAINER_HASH: container.spec_hash(),
        naming.RESTART_COUNT: str(start.restart_count),
        naming.ATTEMPT: str(start.restart_count),     # the kubelet's attempt number is its restart count
        naming.SANDBOX_ID: sandbox_id,
    }
    if start.backoff is not None:
        labels[naming.BACKOFF_SECONDS] = _number(start.backoff.seconds)
        labels[naming.BACKOFF_SINCE] = _number(start.backoff.since)
    return labels


def sandbox_labels(pod: Pod, create: CreateSandbox) -> dict[str, str]:
    """The agent's labels of a new pause container."""
    return {naming.SANDBOX_HASH: pod.sandbox_hash(), naming.POD_STARTED_AT: _number(create.pod_started_at)}


# --- the way back --------------------------------------------------------------------------

_DOCKER_TIME = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$")


def docker_time(text: str | None) -> float | None:
    """A Docker time string (RFC 3339, nanoseconds) as unix seconds; None for "never" (year 1) or junk."""
    match = _DOCKER_TIME.match(text or "")
    if not match or match.group(1).startswith("0001-"):
        return None
    whole, fraction, zone = match.groups()
    try:
        when = datetime.fromisoformat(whole + ("+00:00" if zone == "Z" else zone))
    except ValueError:
        return None
    # fromisoformat stops at microseconds; the fraction is added as a number instead
    return when.astimezone(timezone.utc).timestamp() + (float("0." + fraction) if fraction else 0.0)


def _float_label(labels: Mapping[str, str], key: str) -> float | None:
    try:
        return float(labels[key])
    except (KeyError, ValueError, TypeError):
        return None


def _int_label(labels: Mapping[str, str], key: str) -> int | None:
    try:
        return int(labels[key])
    except (KeyError, ValueError, TypeError):
        return None


def _labels(inspected: Mapping[str, Any]) -> Mapping[str, str]:
    return (inspected.get("Config") or {}).get("Labels") or {}


def _run_state(state: Mapping[str, Any]) -> RunState:
    """Docker's State.Status as the kubelet's dockershim read it: anything else is unknown."""
    status = state.get("Status", "")
    if status in ("running", "paused"):
        return "running"
    if status in ("exited", "dead"):
        return "exited"
    if status == "created":
        return "created"
    return "unknown"                  # restarting (Docker's policy still owns it), removing


def _belongs(labels: Mapping[str, str], pod: Pod) -> bool:
    return (labels.get(naming.MANAGED) == "true" and labels.get(naming.POD) == pod.name
            and labels.get(naming.NAMESPACE) == pod.namespace)


def _joined(inspected: Mapping[str, Any]) -> str:
    """The container a pre-agent attempt joined: Docker stores `container:<full id>` for it."""
    host = inspected.get("HostConfig") or {}
    for mode in (host.get("NetworkMode") or "", host.get("IpcMode") or ""):
        if mode.startswith("container:"):
            return mode.split(":", 1)[1]
    return ""


def _resolve(reference: str, pauses: Sequence[Mapping[str, Any]]) -> str | None:
    name = reference.lstrip("/")
    for pause in pauses:
        if pause.get("Id", "").startswith(name) or pause.get("Name", "").lstrip("/") == name:
            return str(pause["Id"])
    return None


def _legacy_hash(labels: Mapping[str, str], current: str, pod_hash: str | None) -> str:
    """Made before the agent's labels: of the current spec when its pod hash says so."""
    pod_level = labels.get(naming.SPEC_HASH, "")
    if pod_hash is None or pod_level == pod_hash:
        return current
    return pod_level                  # never equal to a per-container hash: the spec changed


def _sandbox(pauses: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The current pause container: the running one, else the newest."""
    if not pauses:
        return None
    return max(pauses, key=lambda p: (bool((p.get("State") or {}).get("Running")), docker_time(p.get("Created")) or 0.0))


def _attempt(pod: Pod, inspected: Mapping[str, Any], pauses: Sequence[Mapping[str, Any]],
             sandbox: Mapping[str, Any] | None, pod_hash: str | None) -> Attempt:
    labels = _labels(inspected)
    state = inspected.get("State") or {}
    name = labels.get(naming.CONTAINER, "")
    try:
        current_hash = pod.container(name).spec_hash()
    except KeyError:
        current_hash = ""             # no longer in the spec: nothing it could match
    spec_hash = labels.get(naming.CONTAINER_HASH) or _legacy_hash(labels, current_hash, pod_hash)
    sandbox_id = labels.get(naming.SANDBOX_ID)
    if not sandbox_id:
        reference = _joined(inspected)
        if reference:
            sandbox_id = _resolve(reference, pauses) or reference
        else:                         # hostNetwork with no IPC join recorded: the pod's only sandbox
            sandbox_id = str(sandbox["Id"]) if sandbox else ""
    run_state = _run_state(state)
    started_at = docker_time(state.get("StartedAt"))
    if sandbox is not None and sandbox_id == sandbox.get("Id") and started_at is not None:
        sandbox_started = docker_time((sandbox.get("State") or {}).get("StartedAt"))
        if sandbox_started is not None and started_at < sandbox_started:
            sandbox_id = STALE_SANDBOX_PREFIX + sandbox_id
    seconds, since = _float_label(labels, naming.BACKOFF_SECONDS), _float_label(labels, naming.BACKOFF_SINCE)
    restart_count = _int_label(labels, naming.RESTART_COUNT)
    if restart_count is None:         # before the agent, Docker's restart policy restarted it in place
        restart_count = int(inspected.get("RestartCount") or 0)
    return Attempt(
        container=name,
        container_id=str(inspected.get("Id", "")),
        state=run_state,
        spec_hash=spec_hash,
        restart_count=restart_count,
        sandbox_id=sandbox_id,
        backoff=BackoffEntry(seconds, since) if seconds is not None and since is not None else None,
        created_at=docker_time(inspected.get("Created")) or 0.0,
        started_at=started_at,
        finished_at=docker_time(state.get("FinishedAt")) if run_state == "exited" else None,
        exit_code=int(state.get("ExitCode") or 0) if run_state == "exited" else None,
        oom_killed=bool(state.get("OOMKilled")),
    )


def observation_from_inspect(pod: Pod, inspected: list[dict[str, Any]], *,
                             pod_hash: str | None = None) -> PodObservation:
    """What Docker holds for `pod`, from `docker inspect` of its containers.

    Containers of other pods, helpers and anything not labelled as a pod's container are
    ignored. `pod_hash` is the pod-level spec-hash label of the current spec (plan's
    pod_hash, the desired state's label): containers made before the agent's labels count as
    of the current spec only when they carry it; None trusts them.
    """
    mine = [i for i in inspected if _belongs(_labels(i), pod)
            and _labels(i).get(naming.ROLE) in ATTEMPT_ROLES | {"pause"}]
    pauses = [i for i in mine if _labels(i).get(naming.ROLE) == "pause"]
    current = _sandbox(pauses)
    sandbox = None
    if current is not None:
        labels = _labels(current)
        sandbox = SandboxObservation(
            container_id=str(current.get("Id", "")),
            running=bool((current.get("State") or {}).get("Running")),
            spec_hash=labels.get(naming.SANDBOX_HASH) or _legacy_hash(labels, pod.sandbox_hash(), pod_hash),
            created_at=docker_time(current.get("Created")) or 0.0)
    attempts = tuple(_attempt(pod, i, pauses, current, pod_hash)
                     for i in mine if _labels(i).get(naming.ROLE) in ATTEMPT_ROLES)
    return PodObservation(sandbox=sandbox, attempts=attempts, started_at=_pod_started_at(pauses, current, mine))


def _pod_started_at(pauses: Sequence[Mapping[str, Any]], current: Mapping[str, Any] | None,
                    mine: Sequence[Mapping[str, Any]]) -> float | None:
    """The label the sandboxes carry over; before it, the oldest object of the pod."""
    ordered = ([current] if current is not None else []) + [p for p in pauses if p is not current]
    for pause in ordered:
        value = _float_label(_labels(pause), naming.POD_STARTED_AT)
        if value is not None:
            return value
    created = [t for t in (docker_time(i.get("Created")) for i in mine) if t is not None]
    return min(created) if created else None
