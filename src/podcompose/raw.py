"""Reading a manifest's raw dicts defensively, and where each kind keeps its pod spec.

Validation and the Pod Security checks walk documents that may be invalid: every accessor
here returns an empty value (or None) for a wrong type instead of raising.
"""
from __future__ import annotations

from typing import Any, Iterable, Iterator

from .load import FieldPath
from .workloads import APPS_KINDS

RUNNABLE_KINDS = frozenset({"Pod", "Job"}) | APPS_KINDS
# kind -> (the pod spec's path, the pod metadata's path)
POD_PATHS: dict[str, tuple[FieldPath, FieldPath]] = {
    "Pod": (("spec",), ("metadata",)),
    **{kind: (("spec", "template", "spec"), ("spec", "template", "metadata"))
       for kind in sorted(RUNNABLE_KINDS - {"Pod"})},
}
POD_SPEC_PATHS: dict[str, FieldPath] = {kind: paths[0] for kind, paths in POD_PATHS.items()}


def mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def items(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def enumerate_dicts(value: Any) -> Iterator[tuple[int, dict[str, Any]]]:
    """(index, item) of each mapping in a list (nothing for a wrong type)."""
    return ((i, item) for i, item in enumerate(items(value)) if isinstance(item, dict))


def get(root: Any, path: Iterable[str | int]) -> Any:
    """The value at `path` below `root`, or None where a part is missing or of the wrong type."""
    for part in path:
        if isinstance(root, dict) and isinstance(part, str):
            root = root.get(part)
        elif isinstance(root, list) and isinstance(part, int) and 0 <= part < len(root):
            root = root[part]
        else:
            return None
    return root
