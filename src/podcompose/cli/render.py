"""Turn observed pods into tables, text and stable JSON/YAML shapes (plans: render_plan.py)."""
from __future__ import annotations

from typing import Any

from .. import redact
from ..model import Pod
from ..api import PodView
from ..podstatus import ContainerStatus
from ..state import ObservedPod
from .status_view import container_fields, status_column
from .ui import UI


def _container_data(pod: ObservedPod) -> list[dict[str, Any]]:
    return [{"name": c.container, "role": c.role, "state": c.status, "exitCode": c.exit_code,
             "restarts": c.restart_count, "image": c.image, "id": c.id[:12], "dockerName": c.docker_name,
             "startedAt": c.started_at or None} | ({"message": c.message} if c.message else {})
            for c in pod.containers]


def _spec_data(pod: ObservedPod) -> list[dict[str, Any]]:
    return [{"name": c.container, "command": list(c.command), "workingDir": c.working_dir or None,
             "user": c.user or None, "env": list(c.env_names), "mounts": list(c.mounts), "ports": list(c.ports)}
            for c in pod.containers]


_STATES = {"waiting": "waiting", "running": "running", "terminated": "exited"}   # in Docker's words, as ps's


def _waiting_data(status: ContainerStatus, image: str) -> dict[str, Any]:
    """A container of the spec that has no Docker container (between two attempts, or one that cannot be
    made yet): listed as a kubelet lists it, in the state its status gives (waiting, with its reason)."""
    return {"name": status.name, "role": status.role, "state": _STATES[status.state], "exitCode": status.exit_code,
            "restarts": status.restart_count, "image": image, "id": None, "dockerName": None, "startedAt": None}


def _every_container(view: PodView, images: dict[str, str]) -> list[tuple[dict[str, Any], ContainerStatus | None]]:
    """Each container of the pod in the spec's order (the pause container first), with its status: the
    Docker container when there is one, else a waiting entry, so a container of the spec is never missing."""
    entries = _container_data(view.observed)
    by_name = {e["name"]: e for e in entries if e["role"] != "pause"}
    ordered: list[tuple[dict[str, Any], ContainerStatus | None]] = [(e, None) for e in entries if e["role"] == "pause"]
    for status in (*view.status.init_statuses, *view.status.statuses):
        entry = by_name.pop(status.name, None)
        ordered.append((entry if entry is not None else _waiting_data(status, images.get(status.name, "")), status))
    ordered += [(e, None) for e in entries if e["role"] != "pause" and e["name"] in by_name]
    return ordered


def _known_images(view: PodView) -> dict[str, str]:
    """Each container's image as Docker knows it (from any attempt)."""
    return {c.container: c.image for c in (*view.observed.containers, *view.observed.previous)}


def pods_as_data(views: list[PodView]) -> list[dict[str, Any]]:
    found = []
    for view in views:
        p, status = view.observed, view.status
        containers = []
        for entry, container_status in _every_container(view, _known_images(view)):
            if entry["role"] == "pause":
                pass
            elif container_status is not None and (view.supervised or entry["id"] is None):
                entry |= container_fields(container_status)
            else:
                entry |= {"ready": False, "reason": None}
            containers.append(entry)
        found.append({"namespace": p.namespace, "name": p.name, "phase": status.phase,
                      "ready": status.ready_column if view.supervised else None,
                      "status": status_column(status) if view.supervised else status.phase,
                      "restarts": status.restarts if view.supervised else sum(c.restart_count for c in p.containers),
                      "supervised": view.supervised, "source": p.source, "containers": containers,
                      "volumes": list(p.volumes)})
    return found


def pods_table(views: list[PodView]) -> tuple[list[str], list[list[str]]]:
    """kubectl's READY and STATUS for each pod (from the agent), then a row per container."""
    columns = ["NAMESPACE", "POD", "READY", "STATUS", "CONTAINER", "ROLE", "STATE", "EXIT", "RESTARTS", "IMAGE"]
    rows = []
    for view in views:
        pod, status = view.observed, view.status
        ready = status.ready_column if view.supervised else "-"
        text = status_column(status) if view.supervised else status.phase
        for i, (entry, container_status) in enumerate(_every_container(view, _known_images(view))):
            first = i == 0
            state = entry["state"]
            if entry["id"] is None and container_status is not None and container_status.reason:
                state = f"{state} ({container_status.reason})"
            rows.append([pod.namespace if first else "", pod.name if first else "", ready if first else "",
                         text if first else "", entry["name"], entry["role"], state,
                         "" if entry["exitCode"] is None else str(entry["exitCode"]), str(entry["restarts"]),
                         entry["image"]])
    return columns, rows


def pods_config(pods: list[Pod]) -> list[dict[str, Any]]:
    return [redact.data(redact.pod_view(p)) for p in pods]


def describe_data(view: PodView, events: list[dict[str, Any]]) -> dict[str, Any]:
    pod = view.observed
    containers = [entry | ({"reason": status.reason} if entry["id"] is None and status and status.reason else {})
                  for entry, status in _every_container(view, _known_images(view))]
    return {"namespace": pod.namespace, "name": pod.name, "phase": view.status.phase, "source": pod.source,
            "gracePeriodSeconds": pod.grace_seconds, "qosClass": pod.qos_class, "containers": containers,
            "spec": _spec_data(pod), "volumes": list(pod.volumes),
            "probes": view.report.probe_failures() if view.report is not None else {}, "events": events}


def print_describe(ui: UI, data: dict[str, Any]) -> None:
    ui.print(f"Name:       {data['name']}")
    ui.print(f"Namespace:  {data['namespace']}")
    ui.print(f"Phase:      {data['phase']}")
    ui.print(f"Source:     {data['source']}")
    ui.print(f"Grace:      {data['gracePeriodSeconds']}s")
    if data.get("qosClass"):
        ui.print(f"QoS Class:  {data['qosClass']}")
    ui.print("Containers:")
    specs = {s["name"]: s for s in data["spec"]}
    for c in data["containers"]:
        exit_text = f", exit code {c['exitCode']}" if c["exitCode"] is not None else ""
        exit_text += f" ({c['reason']})" if c.get("reason") else ""
        ui.print(f"  {c['name']} ({c['role']}): {c['state']}{exit_text}, restarts {c['restarts']}, image {c['image']}")
        spec = specs.get(c["name"], {})
        if c.get("message"):
            ui.print(f"    message: {c['message'].rstrip()}")
        if spec.get("command"):
            ui.print(f"    command: {' '.join(spec['command'])}")
        for key in ("workingDir", "user"):
            if spec.get(key):
                ui.print(f"    {key}: {spec[key]}")
        if spec.get("env"):
            ui.print(f"    env: {', '.join(spec['env'])}")
        for mount in spec.get("mounts", []):
            ui.print(f"    mount: {mount}")
        for port in spec.get("ports", []):
            ui.print(f"    port: {port}")
    ui.print(f"Probes:     {data['probes']}")
    if data["volumes"]:
        ui.print("Volumes:    " + ", ".join(data["volumes"]))
    ui.print("Events:")
    if not data["events"]:
        ui.print("  (none recorded by the daemon)")
    for event in data["events"]:
        ui.print(f"  {event['time']}  {event['container']:<12} {event['reason']}")
