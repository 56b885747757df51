"""The Python API's verbs for the ConfigMaps, Secrets and claims kept for pods (re-exported by api.py, the door)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterable, Mapping

if TYPE_CHECKING:  # the runtime imports docker: keep it off the import path of light verbs
    from .load import Document
    from .runtime import Runtime
    from .runtime.objects import Kept


def kept_documents(runtime: "Runtime") -> list["Document"]:
    """The kept ConfigMaps, Secrets and claims, as documents (pods loaded by `up` may refer to them)."""
    return runtime.kept_documents()


def keep_objects(runtime: "Runtime", documents: Iterable["Document"],
                 namespace: str | None = None) -> list[tuple[str, str, str, bool]]:
    """Keep each ConfigMap, Secret and claim, as an API server keeps them: (kind, name, volume, new) each."""
    return runtime.keep_objects(documents, namespace)


def remove_objects(runtime: "Runtime", documents: Iterable["Document"],
                   namespace: str | None = None) -> list[tuple[str, str]]:
    """Remove the kept objects among `documents` (as kubectl delete -f); (kind, name) of each removed."""
    return runtime.remove_objects(documents, namespace)


def kept_objects(runtime: "Runtime", namespace: str | None = None) -> list["Kept"]:
    return runtime.kept_objects(namespace)


def create_object(runtime: "Runtime", kind: str, name: str, namespace: str,
                  entries: Mapping[str, bytes]) -> tuple[str, bool]:
    """`create configmap|secret generic`: keep an object made of `entries`; (its volume, whether it is new)."""
    from .runtime.objects import object_document

    return runtime.keep_object(object_document(kind, name, namespace, entries), namespace)

