"""A small builder of the Pod manifests the integration tests bring up, as YAML text.

    manifest(pod(pod_name, container("app"), container("side", "echo hi; " + LOOP)))

gives a Pod of the kit's busybox whose containers run `sh -c <command>` (LOOP by default, which ends
at SIGTERM) with terminationGracePeriodSeconds 1. Any other field is given as Kubernetes spells it:
`container("app", securityContext={"runAsUser": 1000})`, `pod(name, ..., restartPolicy="Never")`.
Tests that check a problem's file:line keep their manifest as text: the line numbers are theirs.
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

import yaml

from tests.helpers import BUSYBOX, LOOP


def container(name: str, command: str | Sequence[str] | None = LOOP, image: str = BUSYBOX,
              **fields: Any) -> dict[str, Any]:
    """A container: a string command runs as `sh -c command`, a list as given, None keeps the image's."""
    spec: dict[str, Any] = {"name": name, "image": image}
    if isinstance(command, str):
        spec["command"] = ["sh", "-c", command]
    elif command is not None:
        spec["command"] = list(command)
    return spec | fields


def pod_document(name: str, *containers: Mapping[str, Any], init: Sequence[Mapping[str, Any]] = (),
                 volumes: Sequence[Mapping[str, Any]] = (), grace: int | None = 1,
                 metadata: Mapping[str, Any] | None = None, **spec_fields: Any) -> dict[str, Any]:
    """The Pod as a dict; `grace` is terminationGracePeriodSeconds (None leaves it out)."""
    spec: dict[str, Any] = {} if grace is None else {"terminationGracePeriodSeconds": grace}
    spec |= spec_fields
    if init:
        spec["initContainers"] = [dict(c) for c in init]
    spec["containers"] = [dict(c) for c in containers]
    if volumes:
        spec["volumes"] = [dict(v) for v in volumes]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, **(metadata or {})}, "spec": spec}


def pod(name: str, *containers: Mapping[str, Any], **options: Any) -> str:
    """The Pod as YAML text (options as pod_document's)."""
    return to_yaml(pod_document(name, *containers, **options))


def to_yaml(document: Mapping[str, Any]) -> str:
    return yaml.safe_dump(dict(document), sort_keys=False, default_flow_style=False, width=1000)


def api_object(kind: str, name: str, **fields: Any) -> str:
    """Another v1 object (a ConfigMap, a Secret) as YAML text: `api_object("ConfigMap", "conf", data={...})`."""
    return to_yaml({"apiVersion": "v1", "kind": kind, "metadata": {"name": name}, **fields})


def documents(*texts: str) -> str:
    """Several YAML documents in one file."""
    return "---\n".join(text if text.endswith("\n") else text + "\n" for text in texts)


def empty_dir(name: str, **fields: Any) -> dict[str, Any]:
    return {"name": name, "emptyDir": dict(fields)}


def mount(volume: str, path: str, **fields: Any) -> dict[str, Any]:
    """A volumeMounts entry."""
    return {"name": volume, "mountPath": path, **fields}


def field_env(name: str, field_path: str) -> dict[str, Any]:
    """An env entry from the downward API's fieldRef."""
    return {"name": name, "valueFrom": {"fieldRef": {"fieldPath": field_path}}}


def resource_env(name: str, **resource_field_ref: str) -> dict[str, Any]:
    """An env entry from a resourceFieldRef: `resource_env("CPU", resource="limits.cpu", divisor="1m")`."""
    return {"name": name, "valueFrom": {"resourceFieldRef": dict(resource_field_ref)}}
