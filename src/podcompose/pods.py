"""Manifests to pods: validate, then build.

The model only builds: what validation refuses is refused here by validation itself (a ManifestError with
validation's words, at the fields' lines), so `config`, `up` and `validate` agree. This sits above both
(validate uses the model's names; the builder uses the model's dataclasses), so neither imports the other.
"""
from __future__ import annotations

from typing import Mapping

from .errors import ManifestError
from .load import Document
from .model import Pod
from .model_build import pods_from_documents as build
from .validate import validate


def pods_from_documents(documents: list[Document], *, namespace: str | None = None,
                        image_overrides: Mapping[str, str] | None = None) -> list[Pod]:
    """Every runnable pod in `documents`, validated, defaults applied (podcompose.model_build).

    A Deployment or ReplicaSet yields `replicas` pods named `<name>-<i>`, a StatefulSet `<name>-<ordinal>`;
    a DaemonSet or Job yields one (podcompose.workloads)."""
    errors = [p for p in validate(documents, "ignore", namespace) if p.severity == "error"]
    if errors:
        raise ManifestError(errors)
    return build(documents, namespace=namespace, image_overrides=image_overrides)
