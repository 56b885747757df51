"""Turn observed pods into tables, text and stable JSON/YAML shapes (plans: render_plan.py)."""
from __future__ import annotations

from typing import Any

from .. import redact
from ..model import Pod
from ..state import ObservedPod
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


def _agent_records() -> dict[str, Any]:
    """What the node agent last reported, by "namespace/pod" (read once per rendering)."""
    from ..agent import process

    return process.read_status().get("pods", {})


def _agent_record(pod: ObservedPod, records: dict[str, Any] | None = None) -> dict[str, Any]:
    """What the node agent last reported of the pod (empty when it does not supervise it)."""
    return (_agent_records() if records is None else records).get(f"{pod.namespace}/{pod.name}") or {}


def _status_of(record: dict[str, Any], name: str) -> dict[str, Any]:
    return next((s for s in (*record.get("init_statuses", ()), *record.get("statuses", ())) if s.get("name") == name),
                {})


def pods_as_data(pods: list[ObservedPod]) -> list[dict[str, Any]]:
    found = []
    records = _agent_records()
    for p in pods:
        record = _agent_record(p, records)
        containers = _container_data(p)
        for container in containers:
            status = _status_of(record, container["name"])
            if container["role"] != "pause":
                container["ready"] = bool(status.get("ready"))
                container["reason"] = status.get("reason") or None
        found.append({"namespace": p.namespace, "name": p.name, "phase": record.get("phase") or p.phase,
                      "ready": record.get("ready_column"), "status": record.get("kubectl_status") or p.phase,
                      "restarts": record.get("restarts", sum(c.restart_count for c in p.containers)),
                      "supervised": bool(record), "source": p.source, "containers": containers,
                      "volumes": list(p.volumes)})
    return found


def pods_table(pods: list[ObservedPod]) -> tuple[list[str], list[list[str]]]:
    """kubectl's READY and STATUS for each pod (from the agent), then a row per container."""
    columns = ["NAMESPACE", "POD", "READY", "STATUS", "CONTAINER", "ROLE", "STATE", "EXIT", "RESTARTS", "IMAGE"]
    rows = []
    records = _agent_records()
    for pod in pods:
        record = _agent_record(pod, records)
        ready, status = record.get("ready_column") or "-", record.get("kubectl_status") or pod.phase
        for i, c in enumerate(pod.containers):
            first = i == 0
            rows.append([pod.namespace if first else "", pod.name if first else "", ready if first else "",
                         status if first else "", c.container, c.role, c.status,
                         "" if c.exit_code is None else str(c.exit_code), str(c.restart_count), c.image])
    return columns, rows


def pods_config(pods: list[Pod]) -> list[dict[str, Any]]:
    return [redact.data(redact.pod_view(p)) for p in pods]


def describe_data(pod: ObservedPod, events: list[dict[str, Any]]) -> dict[str, Any]:
    return {"namespace": pod.namespace, "name": pod.name, "phase": pod.phase, "source": pod.source,
            "gracePeriodSeconds": pod.grace_seconds, "qosClass": pod.qos_class, "containers": _container_data(pod),
            "spec": _spec_data(pod), "volumes": list(pod.volumes),
            "probes": _probe_data(pod), "events": events}


def _probe_data(pod: ObservedPod) -> dict[str, Any]:
    """Each container's probes' last failures, as the agent saw them ({} when all pass)."""
    record = _agent_record(pod)
    return {name: messages for name, messages in (record.get("probes") or {}).items() if messages}


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
