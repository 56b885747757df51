"""The semantic checks of resources: a container's and the pod's requests and limits, each at its line."""
from __future__ import annotations

import difflib
from decimal import Decimal
from typing import Any

from . import defaults, kubelet
from .errors import shown
from .load import FieldPath, format_path
from .quantity import parse_quantity
from .raw import enumerate_dicts, mapping
from .semantic_context import Context

_STANDARD_RESOURCES = ("cpu", "memory", "ephemeral-storage", "pids")
_NO_HUGEPAGES = {
    "container": "Docker sets no hugetlb limit for a container, so podcompose refuses hugepages rather than run "
                 "the container without them",
    "pod": "podcompose sets no hugetlb limit on the pod's cgroup, so it refuses hugepages rather than run the pod "
           "without them",
}


def check_resources(ctx: Context, path: FieldPath, resources: dict[str, Any]) -> None:
    """A container's resources (or, at the pod's `resources` path, the pod's): names, amounts, request <= limit.

    hugepages-* are refused where they are written (podcompose cannot apply them)."""
    parsed: dict[str, dict[str, Decimal]] = {}
    level = "pod" if path == ctx.at("resources") else "container"
    for section in ("limits", "requests"):
        for name, value in mapping(resources.get(section)).items():
            item = path + (section, name)
            _check_resource_name(ctx, item, name)
            if str(name).startswith("hugepages-"):
                ctx.report(item, f"{name} cannot be given: {_NO_HUGEPAGES[level]}")
            amount = ctx.check_quantity(item, value)
            if amount is not None:
                parsed.setdefault(section, {})[name] = amount
    for name, request in parsed.get("requests", {}).items():
        limit = parsed.get("limits", {}).get(name)
        if limit is not None and request > limit:
            shown = resources["limits"][name]
            ctx.report(path + ("requests", name), f"the request {resources['requests'][name]} is more than the "
                                                  f"limit {shown} ({format_path(path + ('limits', name))})")


def check_pod_resources(ctx: Context, resources: dict[str, Any]) -> None:
    """validatePodResources: only cpu and memory (and hugepages) at pod level, no claims; the containers'
    aggregate requests within the pod's requests (also as defaulted from its limits); no container's
    limit above the pod's."""
    path = ctx.at("resources")
    if resources.get("claims"):
        ctx.report(path + ("claims",), "claims cannot be set for resources at pod level")
    sections = {section: _quantities(mapping(resources.get(section))) for section in ("requests", "limits")}
    for section in sections:
        for name in mapping(resources.get(section)):
            allowed = kubelet.POD_LEVEL_LIMITS if section == "limits" else kubelet.POD_LEVEL_RESOURCES
            if name not in allowed and not str(name).startswith("hugepages-"):
                ctx.report(path + (section, name), f"{shown(name)} cannot be set at pod level: pod-level "
                                                   f"{section} are {', '.join(allowed)}", key=True)
    pids = sections["limits"].get("pids")
    low, high = kubelet.POD_PID_LIMIT_RANGE
    if pids is not None and not (pids == pids.to_integral_value() and low <= pids <= high):
        ctx.report(path + ("limits", "pids"), f"{shown(resources['limits']['pids'])} is not a pod pids limit: "
                                              f"a whole number from {low} to {high}")
    containers = [(defaults.container_role("initContainers", c) == "sidecar", _defaulted_requests(c))
                  for _, c in enumerate_dicts(ctx.spec.get("initContainers"))]
    regular = [_defaulted_requests(c) for _, c in enumerate_dicts(ctx.spec.get("containers"))]
    aggregate = kubelet.aggregate_container_requests(containers, regular)
    for name, total in aggregate.items():
        if name not in kubelet.POD_LEVEL_RESOURCES:
            continue
        request, limit = sections["requests"].get(name), sections["limits"].get(name)
        if request is not None and total > request:
            ctx.report(path + ("requests", name), f"{resources['requests'][name]} must be at least the containers' "
                                                  f"aggregate request of {name}, {_decimal_text(total)}")
        elif request is None and limit is not None and total > limit:
            ctx.report(path + ("limits", name), f"the pod's request of {name} defaults to the containers' aggregate "
                                                f"request, {_decimal_text(total)}, which is more than this limit")
    for i, container in enumerate_dicts(ctx.spec.get("containers")):
        for name, value in _quantities(mapping(mapping(container.get("resources")).get("limits"))).items():
            limit = sections["limits"].get(name)
            if name in kubelet.POD_LEVEL_RESOURCES and limit is not None and value > limit:
                ctx.report(ctx.at("containers", i, "resources", "limits", name),
                           f"{container['resources']['limits'][name]} is more than the pod's limit "
                           f"{resources['limits'][name]} ({format_path(path + ('limits', name))})")


def _quantities(amounts: dict[str, Any]) -> dict[str, Decimal]:
    """The amounts that parse (the schema reports the others)."""
    found = {}
    for name, value in amounts.items():
        try:
            found[str(name)] = parse_quantity(value)
        except (ValueError, TypeError):
            continue
    return found


def _defaulted_requests(container: dict[str, Any]) -> dict[str, Decimal]:
    """A container's requests, each unset one defaulted to its limit (the API server's defaulting)."""
    return _quantities(defaults.requests_and_limits(mapping(container.get("resources")))[0])


def _decimal_text(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _check_resource_name(ctx: Context, path: FieldPath, name: str) -> None:
    if name in _STANDARD_RESOURCES or name.startswith("hugepages-") or "/" in name:
        return
    close = difflib.get_close_matches(name, _STANDARD_RESOURCES, n=1, cutoff=0.6)
    hint = f"; did you mean {shown(close[0])}?" if close else " (or a domain-qualified name like example.com/gpu)"
    ctx.report(path, f"{shown(name)} is not a resource: use cpu, memory, ephemeral-storage, pids or "
                     f"hugepages-<size>{hint}",
               key=True)


