#!/usr/bin/env python3
"""Generate podcompose's JSON Schemas from the ones `kubernetes-validate` ships.

Never edit `src/podcompose/schemas/*.json` by hand: change this script and run it.

    pip install kubernetes-validate==1.37.0      # a dev tool, not a runtime dependency
    python tools/generate_schemas.py             # rewrite schemas/
    python tools/generate_schemas.py --check     # exit 1 if schemas/ is stale

Source: the *strict* schemas (``additionalProperties: false`` everywhere) for one
pinned Kubernetes version, themselves converted from the official Kubernetes
OpenAPI definitions. For each kind podcompose accepts, the script:

- keeps only the definitions that kind reaches, copied into a local ``$defs`` so
  that a file is self-contained (no network, no package at run time);
- drops ``status`` (read-only; any object is accepted and ignored);
- drops descriptions and ``x-kubernetes-*`` annotations (size);
- merges a ``oneOf`` of bare types (Quantity, IntOrString) into one ``type`` list,
  which validates the same values and gives readable errors;
- marks Quantity with ``format: quantity`` (checked by podcompose.quantity);
- turns the closed value lists that the upstream descriptions state in a fixed
  phrase ("One of Always, Never, IfNotPresent.", "Must be UDP, TCP, or SCTP.",
  "Valid values are 'A' or 'B'.") into ``enum``; anything looser is left alone.

It also writes ``index.json``: the version, the file for each kind, and every
kind (with its apiVersions) that this Kubernetes version defines, so that
validation can tell a kind it skips (Service) from a typo (Pdo).
"""
from __future__ import annotations

import argparse
import copy
import filecmp
import json
import re
import sys
import tempfile
from pathlib import Path
from typing import Any, Iterator

KUBERNETES_VERSION = "1.37.0"
SOURCE_PACKAGE = "kubernetes-validate==1.37.0"

# kind -> (file stem in kubernetes-validate, output file name)
KINDS: dict[str, tuple[str, str]] = {
    "Pod": ("pod-v1", "pod.json"),
    "ConfigMap": ("configmap-v1", "configmap.json"),
    "Secret": ("secret-v1", "secret.json"),
    "PersistentVolumeClaim": ("persistentvolumeclaim-v1", "persistentvolumeclaim.json"),
    "Deployment": ("deployment-apps-v1", "deployment.json"),
    "Job": ("job-batch-v1", "job.json"),
    "ReplicaSet": ("replicaset-apps-v1", "replicaset.json"),
    "StatefulSet": ("statefulset-apps-v1", "statefulset.json"),
    "DaemonSet": ("daemonset-apps-v1", "daemonset.json"),
}

QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity"
SCHEMA_KEYS_WITH_MAPS = ("properties", "$defs")
SCHEMA_KEYS_WITH_SCHEMA = ("items", "additionalProperties", "not")
SCHEMA_KEYS_WITH_LISTS = ("oneOf", "anyOf", "allOf")
ROOT_DIR = Path(__file__).resolve().parents[1]
OUTPUT_DIR = ROOT_DIR / "src" / "podcompose" / "schemas"

Schema = dict[str, Any]


def source_dir() -> Path:
    """The strict schema folder of the pinned version inside kubernetes_validate."""
    try:
        import kubernetes_validate
    except ImportError:
        sys.exit(f"tools/generate_schemas.py needs {SOURCE_PACKAGE} (pip install it)")
    folder = Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema"
    strict = folder / f"v{KUBERNETES_VERSION}-local-strict"
    if not strict.is_dir():
        sys.exit(f"{strict} is missing: install {SOURCE_PACKAGE}")
    return strict


def _subschemas(schema: Schema) -> Iterator[Schema]:
    """The direct subschemas of a schema (not the field names of `properties`)."""
    for key in SCHEMA_KEYS_WITH_MAPS:
        yield from (s for s in schema.get(key, {}).values() if isinstance(s, dict))
    for key in SCHEMA_KEYS_WITH_SCHEMA:
        if isinstance(schema.get(key), dict):
            yield schema[key]
    for key in SCHEMA_KEYS_WITH_LISTS:
        yield from (s for s in schema.get(key, []) if isinstance(s, dict))


def _walk(schema: Schema) -> Iterator[Schema]:
    yield schema
    for sub in _subschemas(schema):
        yield from _walk(sub)


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def reachable(root: Schema, definitions: dict[str, Schema]) -> list[str]:
    """Names of the definitions `root` reaches through $ref, sorted."""
    seen: set[str] = set()
    todo = [_ref_name(s["$ref"]) for s in _walk(root) if "$ref" in s]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo.extend(_ref_name(s["$ref"]) for s in _walk(definitions[name]) if "$ref" in s)
    return sorted(seen)


# --- enum values stated in descriptions -----------------------------------------

_WORD = r"[A-Z][A-Za-z0-9]*"
_QUOTED = r"""['"`][A-Za-z0-9-]+['"`]"""
_ENUM_PHRASES = [
    # "One of Always, Never, IfNotPresent."  "Must be UDP, TCP, or SCTP."
    re.compile(rf"(?:^|\. )(?:One of|Must be) ({_WORD}(?:,? (?:or )?{_WORD})+)\."),
    # "Valid values are 'ClusterFirstWithHostNet', 'ClusterFirst', 'Default' or 'None'."
    # 'Can be "Recreate" or "RollingUpdate".'
    re.compile(rf"(?:Valid values are|Can be) ({_QUOTED}(?:,? (?:and |or )?{_QUOTED})+)\."),
]


def enum_from_description(description: str) -> list[str] | None:
    """The closed list of values a description states in a fixed phrase, if any."""
    for phrase in _ENUM_PHRASES:
        match = phrase.search(description)
        if match:
            words = re.findall(r"[A-Za-z0-9-]+", match.group(1))
            values = [w for w in words if w not in ("or", "and")]
            return values if len(values) >= 2 else None
    return None


def _is_string_type(schema: Schema) -> bool:
    return schema.get("type") in ("string", ["string", "null"])


def add_enums(definitions: dict[str, Schema]) -> list[str]:
    """Give string fields the enum their description states; return what was added."""
    added = []
    for name, definition in definitions.items():
        for field, schema in definition.get("properties", {}).items():
            if not _is_string_type(schema) or "enum" in schema:
                continue
            values = enum_from_description(schema.get("description", ""))
            if values:
                schema["enum"] = values + ([None] if "null" in schema["type"] else [])
                added.append(f"{_ref_name(name)}.{field}: {', '.join(values)}")
    return added


# --- reduction ------------------------------------------------------------------

def _merge_type_union(schema: Schema) -> None:
    """`oneOf: [{type: [string, null]}, {type: [number, null]}]` -> one type list."""
    branches = schema.get("oneOf")
    if not branches or not all(set(b) == {"type"} for b in branches):
        return
    types: list[str] = []
    for branch in branches:
        for t in branch["type"] if isinstance(branch["type"], list) else [branch["type"]]:
            if t not in types:
                types.append(t)
    del schema["oneOf"]
    schema["type"] = [t for t in types if t != "null"] + (["null"] if "null" in types else [])


def _strip(schema: Schema) -> None:
    """Drop documentation and Kubernetes-client annotations, in place."""
    for key in [k for k in schema if k == "description" or k.startswith("x-kubernetes-")]:
        del schema[key]
    _merge_type_union(schema)
    for key in ("$ref",):
        if key in schema:
            schema[key] = "#/$defs/" + _ref_name(schema[key])
    for sub in _subschemas(schema):
        _strip(sub)


def reduce_kind(kind: str, root: Schema, definitions: dict[str, Schema]) -> Schema:
    """The self-contained schema of one kind."""
    root = copy.deepcopy(root)
    gvk = root.get("x-kubernetes-group-version-kind", [])
    root["properties"]["status"] = {"type": ["object", "null"],
                                    "$comment": "read-only; podcompose ignores it"}
    names = reachable(root, definitions)
    defs = {name: copy.deepcopy(definitions[name]) for name in names}
    if QUANTITY in defs:
        defs[QUANTITY]["format"] = "quantity"
    for key in ("$id", "$schema"):
        root.pop(key, None)
    _strip(root)
    for definition in defs.values():
        _strip(definition)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$comment": (f"GENERATED by tools/generate_schemas.py from {SOURCE_PACKAGE} "
                     f"(Kubernetes v{KUBERNETES_VERSION}, strict). Do not edit."),
        "x-podcompose-kind": kind,
        "x-podcompose-kubernetes-version": KUBERNETES_VERSION,
        "x-podcompose-api-versions": sorted({_api_version(g) for g in gvk}),
        **root,
        "$defs": defs,
    }


def _api_version(gvk: dict[str, str]) -> str:
    return f"{gvk['group']}/{gvk['version']}" if gvk.get("group") else gvk["version"]


def known_kinds(source: Path) -> dict[str, list[str]]:
    """Every kind this Kubernetes version defines, with its apiVersions."""
    kinds: dict[str, set[str]] = {}
    for path in sorted(source.glob("*.json")):
        if path.name.startswith("_") or path.name == "all.json":
            continue
        for gvk in json.loads(path.read_text()).get("x-kubernetes-group-version-kind", []):
            kinds.setdefault(gvk["kind"], set()).add(_api_version(gvk))
    return {kind: sorted(versions) for kind, versions in sorted(kinds.items())}


def _dump(data: Any) -> str:
    return json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def generate(out_dir: Path, *, verbose: bool = False) -> list[Path]:
    """Write every schema file and index.json into `out_dir`; return the paths."""
    source = source_dir()
    definitions = json.loads((source / "_definitions.json").read_text())["$defs"]
    added = add_enums(definitions)
    if verbose:
        print("enums taken from descriptions:\n  " + "\n  ".join(sorted(added)))
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    index: dict[str, Any] = {
        "$comment": f"GENERATED by tools/generate_schemas.py from {SOURCE_PACKAGE}. Do not edit.",
        "kubernetesVersion": KUBERNETES_VERSION,
        "kinds": {},
        "knownKinds": known_kinds(source),
    }
    for kind, (stem, file_name) in KINDS.items():
        root = json.loads((source / f"{stem}.json").read_text())
        schema = reduce_kind(kind, root, definitions)
        (out_dir / file_name).write_text(_dump(schema), encoding="utf-8")
        written.append(out_dir / file_name)
        index["kinds"][kind] = {"file": file_name,
                                "apiVersions": schema["x-podcompose-api-versions"]}
    (out_dir / "index.json").write_text(_dump(index), encoding="utf-8")
    written.append(out_dir / "index.json")
    return written


def stale_files(committed: Path) -> list[str]:
    """Names of generated files that differ from (or are missing in) `committed`."""
    with tempfile.TemporaryDirectory() as tmp:
        fresh = generate(Path(tmp))
        stale = [p.name for p in fresh
                 if not (committed / p.name).is_file() or not filecmp.cmp(p, committed / p.name, shallow=False)]
        expected = {p.name for p in fresh}
    extra = [p.name for p in committed.glob("*.json") if p.name not in expected]
    return sorted(stale + extra)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if schemas/ is out of date")
    parser.add_argument("--out", type=Path, default=OUTPUT_DIR, help="output folder (default: schemas/)")
    parser.add_argument("-v", "--verbose", action="store_true", help="list the enums taken from descriptions")
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_files(args.out)
        if stale:
            print(f"stale: {', '.join(stale)}; run python tools/generate_schemas.py", file=sys.stderr)
            return 1
        print("schemas are up to date")
        return 0
    for path in generate(args.out, verbose=args.verbose):
        print(f"wrote {path} ({path.stat().st_size // 1024} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
