"""What Kubernetes' workload controllers make of their pod template, on one node.

Pure rules shared by validation and the model: which kinds run a template, how
their pods are named, and the identity a StatefulSet gives each of its pods
(pkg/controller/statefulset/stateful_set_utils.go: getPodName,
getPersistentVolumeClaimName, updateIdentity, initIdentity, updateStorage).
"""
from __future__ import annotations

from typing import Any, Mapping

# The apps/v1 controllers: their pods must restart Always and may not set activeDeadlineSeconds.
APPS_KINDS = frozenset({"Deployment", "ReplicaSet", "StatefulSet", "DaemonSet"})
# The kinds with spec.replicas.
REPLICATED_KINDS = frozenset({"Deployment", "ReplicaSet", "StatefulSet"})

STATEFULSET_POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name"
POD_INDEX_LABEL = "apps.kubernetes.io/pod-index"


def replica_pod_name(controller: str, index: int) -> str:
    """A Deployment's or ReplicaSet's pod. A cluster adds a random suffix; podcompose needs a name it finds
    again on the next `up` and on `down -f`, so the replica's index stands in for it."""
    return f"{controller}-{index}"


def daemon_pod_name(controller: str) -> str:
    """A DaemonSet's one pod: one Docker host is one node, so the set has exactly one pod. A cluster names it
    `<set>-<random>`; podcompose names it after the set alone, as it names a Job's one pod."""
    return controller


def stateful_pod_name(controller: str, ordinal: int) -> str:
    return f"{controller}-{ordinal}"


def claim_name(template: str, controller: str, ordinal: int) -> str:
    """The PersistentVolumeClaim a StatefulSet makes from a volumeClaimTemplate for one ordinal."""
    return f"{template}-{controller}-{ordinal}"


def ordinal_start(spec: Mapping[str, Any]) -> int:
    """spec.ordinals.start of a StatefulSet (0 when unset or not a non-negative integer: validation reports it)."""
    ordinals = spec.get("ordinals")
    start = ordinals.get("start") if isinstance(ordinals, dict) else None
    return start if isinstance(start, int) and not isinstance(start, bool) and start >= 0 else 0


def claim_template_names(spec: Mapping[str, Any]) -> list[str]:
    """The names of a StatefulSet's volumeClaimTemplates, in order (each one's metadata.name)."""
    templates = spec.get("volumeClaimTemplates")
    names = []
    for template in templates if isinstance(templates, list) else []:
        metadata = template.get("metadata") if isinstance(template, dict) else None
        name = metadata.get("name") if isinstance(metadata, dict) else None
        if isinstance(name, str) and name:
            names.append(name)
    return names


def stateful_identity(controller: str, spec: Mapping[str, Any], ordinal: int,
                      metadata: Mapping[str, Any], pod_spec: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(metadata, pod spec) of a StatefulSet's pod `ordinal`: its identity labels, hostname and subdomain set,
    and each volumeClaimTemplate a persistentVolumeClaim volume (replacing a template volume of that name)."""
    name = stateful_pod_name(controller, ordinal)
    labels = dict(metadata.get("labels") or {})
    labels[STATEFULSET_POD_NAME_LABEL] = name
    labels[POD_INDEX_LABEL] = str(ordinal)
    service = spec.get("serviceName")
    pod_spec = dict(pod_spec, hostname=name, subdomain=service if isinstance(service, str) else "")
    claims = {t: claim_name(t, controller, ordinal) for t in claim_template_names(spec)}
    volumes = list(pod_spec.get("volumes") or [])
    # A claim replaces the template's volume of its name where it stands, so that the other volumes keep
    # their index (the model locates its errors by it).
    replaced = [_claim_volume(v["name"], claims[v["name"]]) if isinstance(v, dict) and v.get("name") in claims
                else v for v in volumes]
    present = {v.get("name") for v in volumes if isinstance(v, dict)}
    replaced += [_claim_volume(t, c) for t, c in claims.items() if t not in present]
    pod_spec["volumes"] = replaced
    return dict(metadata, labels=labels), pod_spec


def _claim_volume(name: str, claim: str) -> dict[str, Any]:
    return {"name": name, "persistentVolumeClaim": {"claimName": claim}}
