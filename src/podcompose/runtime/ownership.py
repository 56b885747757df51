"""Whose is a Docker object: names compared exactly, owners by their labels.

Docker's `name` filter is a regular expression (`web.1` matches `web-1`), so
objects are looked up by inspecting the exact name, and an object counts as a
pod's only when its labels name that pod and its namespace. Anything else that
holds a name podcompose needs is refused and left untouched.
"""
from __future__ import annotations

from typing import Any

import docker
import docker.errors

from .. import naming
from ..defaults import DEFAULT_NAMESPACE
from ..errors import PodcomposeError


def belongs(labels: dict[str, str] | None, namespace: str, pod: str) -> bool:
    labels = labels or {}
    return labels.get(naming.MANAGED) == "true" and labels.get(naming.NAMESPACE) == namespace \
        and labels.get(naming.POD) == pod


def find_container(client: docker.DockerClient, name: str) -> dict[str, Any] | None:
    """The container named exactly `name` (inspect also matches ids and id prefixes: those are not names)."""
    try:
        attrs = client.api.inspect_container(name)
    except docker.errors.NotFound:
        return None
    return attrs if attrs.get("Name", "").lstrip("/") == name else None


def find_volume(client: docker.DockerClient, name: str) -> dict[str, Any] | None:
    try:
        attrs = client.api.inspect_volume(name)
    except docker.errors.NotFound:
        return None
    return attrs if attrs.get("Name") == name else None


def _owner(labels: dict[str, str] | None) -> str:
    labels = labels or {}
    if labels.get(naming.MANAGED) != "true":
        return "was not made by podcompose"
    return f"belongs to pod {labels.get(naming.POD, '?')} in namespace {labels.get(naming.NAMESPACE, '?')}"


def _where(namespace: str, pod: str) -> str:
    return f"pod {pod}" + ("" if namespace == DEFAULT_NAMESPACE else f" in namespace {namespace}")


def foreign_container(name: str, labels: dict[str, str] | None, namespace: str, pod: str) -> PodcomposeError:
    return PodcomposeError(f"a container named {name} already exists and {_owner(labels)}, so {_where(namespace, pod)} "
                           f"cannot use that name; podcompose leaves it untouched (remove or rename it: docker rm -f {name})")


def foreign_volume(name: str, labels: dict[str, str] | None, namespace: str, pod: str) -> PodcomposeError:
    return PodcomposeError(f"a volume named {name} already exists and {_owner(labels)}, so {_where(namespace, pod)} "
                           f"cannot use that name; podcompose leaves it untouched (remove or rename it: docker volume rm {name})")


def check_container_name(client: docker.DockerClient, name: str, namespace: str, pod: str) -> dict[str, Any] | None:
    """None when the name is free; the container when it is this pod's; raises when it is anyone else's."""
    attrs = find_container(client, name)
    if attrs is None:
        return None
    labels = (attrs.get("Config") or {}).get("Labels") or {}
    if not belongs(labels, namespace, pod):
        raise foreign_container(name, labels, namespace, pod)
    return attrs


def check_volume_name(client: docker.DockerClient, name: str, namespace: str, pod: str) -> dict[str, Any] | None:
    attrs = find_volume(client, name)
    if attrs is None:
        return None
    if not belongs(attrs.get("Labels"), namespace, pod):
        raise foreign_volume(name, attrs.get("Labels"), namespace, pod)
    return attrs
