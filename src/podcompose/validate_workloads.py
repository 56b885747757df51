"""Validation of what the controllers add around a pod template: Deployments, ReplicaSets, StatefulSets,
DaemonSets and Jobs (restart policy, replicas, selector, a StatefulSet's claims and names)."""
from __future__ import annotations

from typing import Any

from . import rules, workloads
from .dns_names import name_error
from .errors import Problem, shown
from .load import Document, FieldPath
from .raw import get as _get


def check_controller(document: Document, kind: str) -> list[Problem]:
    restart = _get(document.data, ("spec", "template", "spec", "restartPolicy"))
    path = ("spec", "template", "spec", "restartPolicy")
    if kind == "Job":
        if restart == "Always":
            return [document.problem(path, "a Job's pod must use restartPolicy Never or OnFailure")]
        if restart is None:
            return [document.problem(path, "a Job's pod needs restartPolicy Never or OnFailure; Kubernetes "
                                           "rejects a Job without it (podcompose uses Never)", key=True,
                                     severity="warning")]
        return []
    problems = []
    if restart not in (None, "Always"):
        problems.append(document.problem(path, f"a {kind}'s pods must use restartPolicy Always"))
    deadline = ("spec", "template", "spec", "activeDeadlineSeconds")
    if _get(document.data, deadline) is not None:
        problems.append(document.problem(deadline, f"activeDeadlineSeconds is not allowed in a {kind}'s pods: "
                                                   "they run until the controller removes them", key=True))
    replicas = _get(document.data, ("spec", "replicas"))
    message = None if rules.integer_range_error(replicas, "int32") else rules.replicas_error(replicas)
    if message:
        problems.append(document.problem(("spec", "replicas"), message))
    for field in (("spec", "minReadySeconds"), ("spec", "revisionHistoryLimit"), ("spec", "ordinals", "start")):
        problems += _check_non_negative(document, field)
    problems += _check_selector(document)
    return problems


def _check_non_negative(document: Document, path: FieldPath) -> list[Problem]:
    value = _get(document.data, path)
    if isinstance(value, int) and not isinstance(value, bool) and value < 0:
        return [document.problem(path, f"{value} is negative: must be at least 0")]
    return []


def check_claim_templates(document: Document) -> tuple[list[Problem], dict[str, FieldPath]]:
    """Problems of a StatefulSet's volumeClaimTemplates, and the pod volume each one becomes (name -> path).

    The API server checks none of this; the StatefulSet controller then makes claim
    `<template>-<set>-<ordinal>` and a pod volume named after the template, which must be valid names.
    A template named like a template volume replaces that volume (updateStorage), and of two templates of one
    name the last one counts: both are accepted, so they are warnings."""
    problems: list[Problem] = []
    found: dict[str, FieldPath] = {}
    volumes = {v.get("name"): ("spec", "template", "spec", "volumes", i)
               for i, v in enumerate(_get(document.data, ("spec", "template", "spec", "volumes")) or [])
               if isinstance(v, dict)}
    templates = _get(document.data, ("spec", "volumeClaimTemplates"))
    for i, template in enumerate(templates if isinstance(templates, list) else []):
        path = ("spec", "volumeClaimTemplates", i, "metadata", "name")
        name = _get(template, ("metadata", "name"))
        if not isinstance(name, str) or not name:
            problems.append(document.problem(path, "required field is missing: the claim is named "
                                                   "<this name>-<set>-<ordinal>", key=True))
            continue
        message = name_error(name, "label") or name_error(
            workloads.claim_name(name, document.name, _last_ordinal(document)), "subdomain")
        if message:
            problems.append(document.problem(path, message))
        elif name in found:
            problems.append(document.problem(path, f"volumeClaimTemplate {shown(name)} is defined twice (first at "
                                                   f"{document.location(found[name])}): Kubernetes uses the last "
                                                   "one", severity="warning"))
        elif name in volumes:
            problems.append(document.problem(path, f"this claim replaces the pod's volume {shown(name)} at "
                                                   f"{document.location(volumes[name])}, as Kubernetes does",
                                             severity="warning"))
        found.setdefault(name, path)
    return problems, found


def _last_ordinal(document: Document) -> int:
    spec = document.data.get("spec") if isinstance(document.data.get("spec"), dict) else {}
    replicas = spec.get("replicas", 1)
    replicas = replicas if isinstance(replicas, int) and not isinstance(replicas, bool) else 1
    return workloads.ordinal_start(spec) + max(replicas - 1, 0)


def check_stateful_names(document: Document) -> list[Problem]:
    """A StatefulSet's name is a DNS label, and so must be each pod's hostname `<set>-<ordinal>`."""
    name = document.name
    if not name:
        return []
    message = name_error(name, "label")
    if message:
        return [document.problem(("metadata", "name"), f"a StatefulSet's name must be a DNS label: {message}")]
    hostname = workloads.stateful_pod_name(name, _last_ordinal(document))
    message = name_error(hostname, "label")
    if message:
        return [document.problem(("metadata", "name"), f"pod {shown(hostname)} of this StatefulSet gets its name "
                                                       f"as hostname, which must be a DNS label: {message}")]
    return []


def _check_selector(document: Document) -> list[Problem]:
    selector = _get(document.data, ("spec", "selector"))
    labels = _get(document.data, ("spec", "template", "metadata", "labels"))
    labels = labels if isinstance(labels, dict) else {}
    if not isinstance(selector, dict):
        return []
    match_labels: dict[str, Any] = selector["matchLabels"] if isinstance(selector.get("matchLabels"), dict) else {}
    raw_expressions = selector.get("matchExpressions")
    expressions = [e for e in raw_expressions if isinstance(e, dict)] if isinstance(raw_expressions, list) else []
    if not match_labels and not expressions:
        return [document.problem(("spec", "selector"), "an empty selector is not allowed: set matchLabels "
                                                       "to the template's labels")]
    if all(labels.get(k) == v for k, v in match_labels.items()) and all(_matches(e, labels) for e in expressions):
        return []
    return [document.problem(("spec", "selector"), "the selector does not match the template's labels "
                                                   "(spec.template.metadata.labels)")]


def _matches(expression: dict[str, Any], labels: dict[str, Any]) -> bool:
    key, operator = expression.get("key"), expression.get("operator")
    values: list[Any] = expression["values"] if isinstance(expression.get("values"), list) else []
    if not isinstance(key, str):
        return True  # the schema reports the type
    if operator == "In":
        return key in labels and labels[key] in values
    if operator == "NotIn":
        return key not in labels or labels[key] not in values
    if operator == "Exists":
        return key in labels
    if operator == "DoesNotExist":
        return key not in labels
    return True  # an unknown operator: the schema or Kubernetes reports it, not a mismatch


