"""What the semantic checks of one pod spec share: the objects a pod may refer to, and the report.

`Context` carries the document, the pod spec's path and the problems found so far.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from . import defaults, raw, rules
from .errors import Problem, Severity
from .load import Document, FieldPath, format_path
from .quantity import parse_quantity

@dataclass
class ObjectIndex:
    """The ConfigMaps and Secrets among the loaded documents, with their keys."""

    keys: dict[tuple[str, str], list[tuple[str | None, set[str]]]] = field(default_factory=dict)
    values: Any = None     # the objects' values as the model reads them (model_context.Objects), if they decode

    def add(self, kind: str, name: str, namespace: str | None, keys: set[str]) -> None:
        self.keys.setdefault((kind, name), []).append((namespace, keys))

    def find(self, kind: str, name: str, namespace: str | None) -> set[str] | None:
        """The keys of a matching object; an unset namespace matches any."""
        found = None
        for ns, keys in self.keys.get((kind, name), []):
            if ns is None or namespace is None or ns == namespace:
                found = (found or set()) | keys
        return found

    def namespaces(self, kind: str, name: str) -> list[str]:
        return sorted({ns for ns, _ in self.keys.get((kind, name), []) if ns})

    def names(self, kind: str) -> list[str]:
        return sorted({name for k, name in self.keys if k == kind})


@dataclass
class Context:
    document: Document
    base: FieldPath
    spec: dict[str, Any]
    objects: ObjectIndex
    namespace: str | None
    problems: list[Problem] = field(default_factory=list)

    def report(self, path: FieldPath, message: str, severity: Severity = "error", *, key: bool = False) -> None:
        self.problems.append(self.document.problem(path, message, key=key, severity=severity))

    def at(self, *parts: str | int) -> FieldPath:
        return self.base + parts


    def containers(self) -> list[tuple[FieldPath, dict[str, Any], str]]:
        """(path, container, role) of every init container and container of the pod."""
        return [(self.at(list_name, i), container, defaults.container_role(list_name, container))
                for list_name in ("initContainers", "containers")
                for i, container in raw.enumerate_dicts(self.spec.get(list_name))]

    def where(self, path: FieldPath) -> str:
        return f"{format_path(path)} at line {self.document.location(path).line}"

    def report_rule(self, path: FieldPath, message: str | None) -> None:
        if message:
            self.report(path, message)

    def check_int(self, path: FieldPath, value: Any, low: int, high: int | None = None) -> bool:
        """Whether `value` is an integer within [low, high]; reports one out of range."""
        if not isinstance(value, int) or isinstance(value, bool):
            return False
        if rules.integer_range_error(value, "int64"):
            return False  # beyond its Go type: reported with the schema's checks
        if value < low or (high is not None and value > high):
            bound = f"between {low} and {high}" if high is not None else f"at least {low}"
            self.report(path, f"{value} is out of range: must be {bound}")
            return False
        return True

    def check_quantity(self, path: FieldPath, value: Any) -> Decimal | None:
        """The quantity's value; reports a negative one. Bad syntax is the schema's to report."""
        if value is None:
            return None
        try:
            amount = parse_quantity(value)
        except ValueError:
            return None
        if amount < 0:
            self.report(path, f"{value} is negative: a quantity here must be at least 0")
            return None
        return amount
