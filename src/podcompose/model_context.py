"""What building one pod's model reads besides its spec: the objects it may use and the pod's own facts.

The model builds from validated manifests only (podcompose.validate is the one rule book): nothing
here refuses; a reference that validation let pass but that finds nothing (an optional object) reads
as absent.
"""
from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from . import downward
from .defaults import namespace_or_default
from .load import Document


@dataclass
class Objects:
    """ConfigMaps and Secrets available to pods, by (namespace, name), and the claims declared."""

    config_maps: dict[tuple[str, str], dict[str, bytes]] = field(default_factory=dict)
    secrets: dict[tuple[str, str], dict[str, bytes]] = field(default_factory=dict)
    claims: set[tuple[str, str]] = field(default_factory=set)


def namespace_of(data: Mapping[str, Any], override: str | None) -> str:
    if override:
        return override
    return namespace_or_default((data.get("metadata") or {}).get("namespace"))


def collect_objects(documents: Iterable[Document], namespace: str | None) -> Objects:
    objects = Objects()
    for document in documents:
        data = document.data
        key = (namespace_of(data, namespace), document.name)
        if document.kind == "ConfigMap":
            entries = {k: str(v).encode() for k, v in (data.get("data") or {}).items()}
            for k, v in (data.get("binaryData") or {}).items():
                entries[k] = base64.b64decode(str(v))
            objects.config_maps[key] = entries
        elif document.kind == "Secret":
            entries = {k: base64.b64decode(str(v)) for k, v in (data.get("data") or {}).items()}
            for k, v in (data.get("stringData") or {}).items():
                entries[k] = str(v).encode()
            objects.secrets[key] = entries
        elif document.kind == "PersistentVolumeClaim":
            objects.claims.add(key)
    return objects


@dataclass(frozen=True)
class PodContext:
    """One pod being built: its name and namespace, its spec and securityContext, the objects and overrides."""

    document: Document
    name: str
    namespace: str
    objects: Objects
    image_overrides: Mapping[str, str]
    spec: Mapping[str, Any]
    pod_security: Mapping[str, Any]
    facts: downward.PodFacts

    @classmethod
    def of(cls, document: Document, name: str, namespace: str, objects: Objects, image_overrides: Mapping[str, str],
           spec: Mapping[str, Any], metadata: Mapping[str, Any]) -> "PodContext":
        facts = downward.PodFacts(
            name, namespace, {str(k): str(v) for k, v in (metadata.get("labels") or {}).items()},
            {str(k): str(v) for k, v in (metadata.get("annotations") or {}).items()},
            str(spec.get("serviceAccountName") or spec.get("serviceAccount") or downward.DEFAULT_SERVICE_ACCOUNT))
        return cls(document, name, namespace, objects, image_overrides, spec, spec.get("securityContext") or {}, facts)

    def lookup(self, kind: str, ref_name: str) -> dict[str, bytes] | None:
        """The entries of ConfigMap or Secret `ref_name` in the pod's namespace (None when absent: optional)."""
        table = self.objects.config_maps if kind == "ConfigMap" else self.objects.secrets
        return table.get((self.namespace, ref_name))

    def field_ref(self, ref: Mapping[str, Any]) -> str:
        """The value of a downward API `fieldRef` (a placeholder for what only the runtime knows)."""
        return downward.field_value(str(ref.get("fieldPath")), self.facts)

    def resource_ref(self, ref: Mapping[str, Any], container: Mapping[str, Any] | None) -> str | None:
        """The value of a `resourceFieldRef` of `container` (or of the container it names)."""
        name = ref.get("containerName")
        if name:
            container = next((c for key in ("containers", "initContainers") for c in self.spec.get(key) or []
                              if isinstance(c, dict) and c.get("name") == name), None)
        if container is None:
            return None
        resources = container.get("resources") or {}
        pod_limits = (self.spec.get("resources") or {}).get("limits") or {}
        return downward.resource_value(str(ref.get("resource")), ref.get("divisor"), resources.get("requests") or {},
                                       resources.get("limits") or {}, pod_limits)
