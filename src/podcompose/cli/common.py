"""What the verbs share: the Docker connection of this command, loading manifests, the pods they name."""
from __future__ import annotations

import argparse
import os
from typing import Any, Callable

from .. import api
from ..defaults import DEFAULT_NAMESPACE
from ..errors import PodcomposeError
from .ui import UI

_connections: dict[str, "api.Runtime"] = {}


def runtime(revive_agent: bool = False) -> "api.Runtime":
    """The Docker connection of this command (one per daemon and process: each connect is a ping)."""
    daemon = os.environ.get("DOCKER_HOST", "")
    found = _connections.get(daemon)
    if found is None:
        found = _connections[daemon] = api.connect()
    if revive_agent:
        api.revive_agent(found)
    return found


def pod_security(args: argparse.Namespace) -> str | None:
    from ..podsecurity import check_level, level_from_env
    return check_level(getattr(args, "pod_security", None) or level_from_env())


def load(args: argparse.Namespace, ui: UI, kept: bool = False) -> api.LoadedPods:
    overrides = api.parse_image_overrides(getattr(args, "images", []) or [])
    loaded = api.load_pods(args.files or [], api.LoadOptions(
        namespace=getattr(args, "namespace", None), image_overrides=overrides,
        unknown_fields=getattr(args, "unknown_fields", "strict"), pod_security=pod_security(args),
        host_ip=getattr(args, "host_ip", None)),
        getattr(args, "kustomize", None) or [], kept_objects=_kept_documents(ui) if kept else None)
    for problem in loaded.problems:
        (ui.warn if problem.severity == "warning" else ui.info)(str(problem))
    return loaded


def _kept_documents(ui: UI) -> Callable[[], list[Any]]:
    """The ConfigMaps, Secrets and claims kept in Docker, read only when a pod is loaded (`validate` never)."""
    def read() -> list[Any]:
        try:
            return api.kept_documents(runtime())
        except (PodcomposeError, OSError) as error:
            ui.warn(f"the objects kept in Docker are not used: {error}")
            return []
    return read


def targets(args: argparse.Namespace) -> list[tuple[str, str]]:
    """The (namespace, pod) pairs a verb names: by name, and those of -f FILE / -k DIR."""
    namespace = args.namespace or DEFAULT_NAMESPACE
    found = [(namespace, name) for name in getattr(args, "pods", []) or []]
    if args.files or getattr(args, "kustomize", None):
        from ..load import load_files
        from ..model import pod_names
        found.extend(pod_names(load_files(args.files or [], getattr(args, "kustomize", None) or []),
                               args.namespace))
    return found
