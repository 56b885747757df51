"""The generated schemas: current, self-contained, and checked the same by both validators."""
from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import jsonschema
import pytest

from podcompose import schema as schema_module
from podcompose import support
from podcompose.validate import HANDLED_KINDS

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "src" / "podcompose" / "schemas"


def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("generate_schemas", ROOT / "tools" / "generate_schemas.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_schemas_match_a_fresh_generation() -> None:
    pytest.importorskip("kubernetes_validate", reason="the dev tool kubernetes-validate==1.37.0 is not installed "
                                                      "(pip install -e '.[dev]'); cannot regenerate the schemas")
    stale = generator().stale_files(SCHEMAS)
    assert stale == [], f"schemas/ is stale ({', '.join(stale)}): run python tools/generate_schemas.py"


def test_enums_come_only_from_fixed_phrases() -> None:
    enum_from = generator().enum_from_description
    assert enum_from("Image pull policy. One of Always, Never, IfNotPresent. Defaults to Always") == [
        "Always", "Never", "IfNotPresent"]
    assert enum_from('Protocol for port. Must be UDP, TCP, or SCTP. Defaults to "TCP".') == ["UDP", "TCP", "SCTP"]
    assert enum_from("Valid values are 'ClusterFirstWithHostNet', 'ClusterFirst', 'Default' or 'None'. DNS") == [
        "ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"]
    assert enum_from("Must be a filesystem type supported by the host operating system. Ex. \"ext4\"") is None
    assert enum_from("Must be an empty string (default) or Memory.") is None


@pytest.mark.parametrize("kind", sorted(HANDLED_KINDS))
def test_each_schema_is_self_contained(kind: str) -> None:
    entry = schema_module.index()["kinds"][kind]
    text = (SCHEMAS / entry["file"]).read_text()
    data = json.loads(text)
    assert data["x-podcompose-kind"] == kind
    assert data["x-podcompose-kubernetes-version"] == schema_module.kubernetes_version() == "1.37.0"
    refs = set(re.findall(r'"\$ref": "([^"]+)"', text))
    assert all(ref.startswith("#/$defs/") and ref[len("#/$defs/"):] in data["$defs"] for ref in refs)
    assert "http" not in "".join(refs)
    assert len(text) < 150_000
    jsonschema.validators.validator_for(data).check_schema(data)


def test_runtime_never_imports_kubernetes_validate() -> None:
    for path in (ROOT / "src" / "podcompose").rglob("*.py"):
        assert not re.search(r"^\s*(import|from)\s+kubernetes_validate", path.read_text(), re.M), path


def test_index_knows_other_kinds() -> None:
    assert schema_module.schema_kinds()["Deployment"] == ["apps/v1"]
    assert "Service" in schema_module.known_kinds() and "StatefulSet" in schema_module.known_kinds()


def test_fast_check_refuses_keywords_it_does_not_know() -> None:
    with pytest.raises(NotImplementedError):
        schema_module.compile_check({"oneOf": [{"type": "string"}]})
    for kind in HANDLED_KINDS:
        assert schema_module.fast_check(kind) is not None, kind


@pytest.mark.parametrize("instance, valid", [
    ({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a"}, "spec": {"containers": [{"name": "a"}]}}, True),
    ({"spec": {"containers": [{"name": "a", "ports": [{"containerPort": 80.0}]}]}}, True),
    ({"spec": {"containers": [{"name": "a", "ports": [{"containerPort": 80.5}]}]}}, False),
    ({"spec": {"containers": [{"name": "a", "stdin": 1}]}}, False),
    ({"spec": {"containers": [{"name": "a", "tty": None}]}}, True),
    ({"spec": {"containers": [{"name": "a", "resources": {"limits": {"cpu": "1x"}}}]}}, False),
    ({"spec": {"containers": [{"name": "a", "resources": {"limits": {"cpu": 0.5}}}]}}, True),
    ({"spec": {"containers": [{"name": "a", "imagePullPolicy": "Never"}]}}, True),
    ({"spec": {"containers": [{"name": "a", "imagePullPolicy": True}]}}, False),
    ({"spec": {"containers": [{}]}}, False),
    ({"spec": {"containerz": []}}, False),
    ({"metadata": {"labels": {"a": 1}}}, False),
    ([], False),
])
def test_fast_check_agrees_with_jsonschema(instance: Any, valid: bool) -> None:
    assert schema_module.validator("Pod").is_valid(instance) is valid
    assert schema_module.fast_check("Pod")(instance) is valid  # type: ignore[misc]


def _schema_at(root: dict[str, Any], glob: str) -> dict[str, Any] | None:
    node: Any = root
    for part in re.findall(r"[^.\[\]]+|\[\*\]", glob):
        if part == "[*]":
            node = node.get("items")
        elif part in node.get("properties", {}):
            node = node["properties"][part]
        elif isinstance(node.get("additionalProperties"), dict):
            node = node["additionalProperties"]  # a map key such as resources.limits.cpu
        else:
            return None
        if node is None:
            return None
    return node  # type: ignore[no-any-return]


def test_every_support_row_names_a_real_field() -> None:
    pod = schema_module._inlined("Pod")
    for row in support.POD_FIELDS:
        assert _schema_at(pod, row.path) is not None, row.path
    for kind, rows in support.WORKLOAD_FIELDS.items():
        workload = schema_module._inlined(kind)
        for row in rows:
            assert _schema_at(workload, row.path) is not None, f"{kind} {row.path}"


def test_every_pod_spec_field_has_a_row() -> None:
    """A new Kubernetes field lands as "not yet" by default; this keeps the README table complete for PodSpec."""
    spec = _schema_at(schema_module._inlined("Pod"), "spec")
    assert spec is not None
    missing = [name for name in spec["properties"] if support.lookup(f"spec.{name}") is None]
    assert missing == []
