"""`up --dry-run`: plans as text and as stable JSON/YAML shapes."""
from __future__ import annotations

from typing import Any

from .. import redact
from ..plan import Plan, Step
from .ui import UI

HIDDEN_DOCKER_ARGS = ("labels", "detach")    # the same for every step: noise in a plan


def _step_data(plan: Plan, step: Step) -> dict[str, Any]:
    data: dict[str, Any] = {"action": step.action, "description": step.describe()} | step.shown(plan.spec_hash)
    if "docker" in data:
        data["docker"] = {k: v for k, v in data["docker"].items() if k not in HIDDEN_DOCKER_ARGS}
    return redact.data(data)


def plan_as_data(plans: list[Plan]) -> list[dict[str, Any]]:
    return [{"pod": p.pod.name, "namespace": p.pod.namespace, "specHash": p.spec_hash, "upToDate": p.up_to_date,
             "steps": [_step_data(p, s) for s in p.steps]} for p in plans]


def print_plan(ui: UI, plans: list[Plan]) -> None:
    for plan in plans:
        if plan.up_to_date:
            ui.print(f"pod {plan.pod.name}: up to date, nothing to do")
            continue
        steps = plan.steps
        ui.print(f"pod {plan.pod.name} ({plan.pod.namespace}), {len(steps)} steps:")
        for number, step in enumerate(steps, 1):
            data = _step_data(plan, step)
            ui.print(f"  {number}. {data['description']}")
            if data.get("after"):
                ui.print(f"       once: {data['after']}")
            docker = data.get("docker") or {}
            if "name" in docker:
                ui.print(f"       name: {docker['name']}")
            if docker.get("entrypoint") is not None:
                ui.print(f"       entrypoint: {docker['entrypoint']}")
            if docker.get("command") is not None:
                ui.print(f"       cmd: {docker['command']}")
            for mount in docker.get("mounts", []):
                ro = " (read-only)" if mount.get("ReadOnly") else ""
                ui.print(f"       mount: {mount['Source']} -> {mount['Target']}{ro}")
            for bind in docker.get("volumes", []):
                ui.print(f"       bind: {bind}")
            if docker.get("ports"):
                ui.print(f"       ports: {docker['ports']}")
