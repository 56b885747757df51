"""Validate loaded manifests like kubectl, and report like a good compiler.

`validate` returns every problem (errors, warnings, notes) of every document,
each with file:line:column and the field path, sorted by file and line. It
never raises for bad input. `require_valid` raises `ManifestError` when any
error is found and otherwise returns the warnings and notes.

Per document: the kind and apiVersion, the generated JSON Schema of the kind
(unknown fields are errors, warnings or dropped), the metadata, then the checks
a schema cannot express (podcompose.semantic; a controller's own fields in
podcompose.validate_workloads) and, for pod specs, a note or a warning for each
field podcompose ignores or does not support yet (podcompose.support). Across
the documents: duplicates, host ports, and two documents that make one pod.

This is the one rule book: the model refuses nothing (pods.pods_from_documents
refuses with these problems), so `validate` fails exactly when `config` and `up`
refuse a manifest, in the same words at the same fields.
"""
from __future__ import annotations

import base64
import binascii
from typing import Any, Callable, Iterator

from . import model_context, rules, schema, semantic, support, workloads
from .defaults import DEFAULT_NAMESPACE
from .dns_names import label_value_error, name_error, qualified_name_error
from .errors import Location, ManifestError, Problem, Severity, shown
from .load import Document, FieldPath, format_path
from .model import pod_names
from .raw import POD_SPEC_PATHS, RUNNABLE_KINDS
from .raw import get as _get
from .schema import UnknownFields
from .validate_workloads import check_claim_templates, check_controller, check_stateful_names

OBJECT_KINDS = frozenset({"ConfigMap", "Secret", "PersistentVolumeClaim"})
HANDLED_KINDS = RUNNABLE_KINDS | OBJECT_KINDS
__all__ = ["DEFAULT_NAMESPACE", "HANDLED_KINDS", "OBJECT_KINDS", "POD_SPEC_PATHS", "RUNNABLE_KINDS", "require_valid",
           "validate"]
_SEVERITY_ORDER = {"error": 0, "warning": 1, "note": 2}


def validate(documents: list[Document], unknown_fields: UnknownFields = "strict",
             namespace: str | None = None) -> list[Problem]:
    """All problems found across `documents`, sorted by file and line.

    `namespace` (`--namespace`) puts every object in that namespace; otherwise an object without one is
    in "default", as the API server places it."""
    if unknown_fields not in ("strict", "warn", "ignore"):
        raise ValueError(f"unknown_fields must be strict, warn or ignore, not {unknown_fields!r}")
    problems: list[Problem] = []
    objects = _guarded(documents[0] if documents else None, _index_objects, documents, namespace)
    index = objects if isinstance(objects, semantic.ObjectIndex) else semantic.ObjectIndex()
    if isinstance(objects, list):
        problems += objects
    for document in documents:
        problems += _guarded(document, _check_document, document, index, unknown_fields, namespace)
    problems += _guarded(documents[0] if documents else None, _check_set, documents, namespace)
    return _sorted(problems, documents)


def require_valid(documents: list[Document], unknown_fields: UnknownFields = "strict",
                  namespace: str | None = None) -> list[Problem]:
    """The warnings and notes of `documents`; ManifestError if there is any error."""
    problems = validate(documents, unknown_fields, namespace)
    if any(p.severity == "error" for p in problems):
        raise ManifestError(problems)
    return problems


def _guarded(document: Document | None, check: Callable[..., Any], *args: Any) -> Any:
    """Run a check; a bug in it becomes an error problem, never an exception."""
    try:
        return check(*args)
    except Exception as error:  # noqa: BLE001 - validate() must never raise on input
        where = document.location(()) if document is not None else None
        return [Problem(f"internal error while validating: {type(error).__name__}: {error} "
                        "(please report this podcompose bug)", where)]


def _sorted(problems: list[Problem], documents: list[Document]) -> list[Problem]:
    files = {d.source: i for i, d in reversed(list(enumerate(documents)))}

    def key(problem: Problem) -> tuple[int, int, int, int]:
        where = problem.location or Location("", 0, 0)
        return (files.get(where.file, len(files)) if problem.location else -1, where.line, where.column,
                _SEVERITY_ORDER.get(problem.severity, 3))

    return sorted(problems, key=key)


# --- one document -----------------------------------------------------------------------

def _check_document(document: Document, objects: semantic.ObjectIndex, unknown_fields: UnknownFields,
                    namespace: str | None) -> list[Problem]:
    data = document.data
    if not isinstance(data, dict):
        return [document.problem((), "a manifest must be a mapping with apiVersion and kind")]
    problems, stop = _check_kind(document)
    if stop:
        return problems
    kind = data["kind"]
    result = schema.check(document, kind, unknown_fields, skip=frozenset({("apiVersion",), ("kind",)}))
    problems += result.problems
    problems += schema.value_problems(document, kind)
    problems += _check_metadata(document, ("metadata",), top=True)
    if kind in POD_SPEC_PATHS:
        problems += _check_workload(document, kind, objects, result.unknown, namespace)
    elif kind in ("ConfigMap", "Secret"):
        problems += _check_data(document, kind)
    return problems


def _check_kind(document: Document) -> tuple[list[Problem], bool]:
    """Problems of kind and apiVersion, and whether they stop the check (bad or skipped kind)."""
    data = document.data
    kind, api_version = data.get("kind"), data.get("apiVersion")
    problems = []
    if not isinstance(api_version, str) or not api_version:
        problems.append(document.problem(("apiVersion",), _missing_or_type(api_version, "apiVersion: v1"), key=True))
    if not isinstance(kind, str) or not kind:
        problems.append(document.problem(("kind",), _missing_or_type(kind, "kind: Pod"), key=True))
        return problems, True
    if kind not in HANDLED_KINDS:
        return _unhandled_kind(document, kind), True
    served = schema.schema_kinds()[kind]
    if isinstance(api_version, str) and api_version and api_version not in served:
        problems.append(document.problem(("apiVersion",), f"apiVersion {shown(api_version)} does not match kind {kind}: "
                                                          f"use apiVersion: {served[0]}"))
    return problems, False


def _missing_or_type(value: Any, example: str) -> str:
    if value is None or value == "":
        return f"required field is missing (e.g. {example})"
    return f"expected a string, got {schema.describe(value)} (e.g. {example})"


def _unhandled_kind(document: Document, kind: str) -> list[Problem]:
    where = document.location(("kind",))
    if kind not in schema.known_kinds():
        guess = schema.suggest(kind, sorted(HANDLED_KINDS))
        if guess:
            return [document.problem(("kind",), f"unknown kind {shown(kind)}; did you mean {shown(guess)}?")]
    return [Problem(f"skipped: kind {kind} is not run by podcompose", where, "", "note")]


def _check_metadata(document: Document, path: FieldPath, *, top: bool) -> list[Problem]:
    metadata = _get(document.data, path)
    problems: list[Problem] = []
    if top:
        problems += _check_name(document, path, metadata if isinstance(metadata, dict) else {})
    if not isinstance(metadata, dict):
        return problems
    for field in ("labels", "annotations"):
        for key, value in (metadata.get(field) or {}).items() if isinstance(metadata.get(field), dict) else ():
            message = qualified_name_error(key)
            if message:
                problems.append(document.problem(path + (field, key), message, key=True))
            message = label_value_error(value) if field == "labels" else None
            if message:
                problems.append(document.problem(path + (field, key), message))
    return problems


def _check_name(document: Document, path: FieldPath, metadata: dict[str, Any]) -> list[Problem]:
    name = metadata.get("name")
    problems = []
    message: str | None
    if name is None or name == "":
        message = "required field is missing: every object needs a name"
        if metadata.get("generateName"):
            message += " (generateName is not supported: podcompose needs a fixed name to find the pod again)"
        problems.append(document.problem(path + ("name",), message, key=True))
    else:
        message = name_error(name, "subdomain")
        if message:
            problems.append(document.problem(path + ("name",), message))
    message = name_error(metadata.get("namespace"), "label")
    if message:
        problems.append(document.problem(path + ("namespace",), message))
    return problems


def _namespace(document: Document) -> str | None:
    namespace = _get(document.data, ("metadata", "namespace"))
    return namespace if isinstance(namespace, str) and namespace else None


# --- pods and the controllers' pod templates ---------------------------------------------

def _check_workload(document: Document, kind: str, objects: semantic.ObjectIndex, unknown: frozenset[FieldPath],
                    namespace: str | None) -> list[Problem]:
    return _check_workload_in(document, kind, objects, unknown, _placed(document, namespace))


def _placed(document: Document, namespace: str | None) -> str:
    """The namespace a document's objects go to: `--namespace`, its own, or "default"."""
    return namespace or _namespace(document) or DEFAULT_NAMESPACE


def _check_workload_in(document: Document, kind: str, objects: semantic.ObjectIndex,
                       unknown: frozenset[FieldPath], namespace: str) -> list[Problem]:
    spec_path = POD_SPEC_PATHS[kind]
    problems: list[Problem] = []
    if not isinstance(_get(document.data, spec_path), dict):
        missing = _first_missing(document.data, spec_path)
        # the schema requires a template, except a ReplicaSet's (whose empty template the API server refuses)
        if missing is not None and (missing != ("spec", "template") or kind == "ReplicaSet"):
            problems.append(document.problem(missing, "required field is missing", key=True))
        return problems
    claim_volumes: dict[str, FieldPath] = {}
    if kind != "Pod":
        problems += _check_metadata(document, ("spec", "template", "metadata"), top=False)
        problems += check_controller(document, kind)
        problems += _support_problems(document, ("spec",), kind, unknown)
    if kind == "StatefulSet":
        claim_problems, claim_volumes = check_claim_templates(document)
        problems += claim_problems + check_stateful_names(document)
    problems += semantic.check_pod_spec(document, spec_path, objects, namespace, claim_volumes)
    reported = frozenset(p.path for p in problems if p.severity == "error")
    problems += _support_problems(document, spec_path, "", unknown, reported)
    return problems


def _first_missing(data: Any, path: FieldPath) -> FieldPath | None:
    """The first part of `path` that is absent or null (under mappings only), if any."""
    for cut in range(1, len(path) + 1):
        parent, value = _get(data, path[: cut - 1]), _get(data, path[:cut])
        if not isinstance(parent, dict):
            return None  # a wrong type above: the schema reports it
        if value is None:
            return path[:cut]
    return None


def _support_problems(document: Document, base: FieldPath, kind: str, skip: frozenset[FieldPath],
                      reported: frozenset[str] = frozenset()) -> list[Problem]:
    """A note per ignored field used, a warning per unsupported one (not those with an error)."""
    spec = _get(document.data, base)
    problems = []
    for path, row in support.review(spec, base, kind=kind, skip=skip):
        if format_path(path) in reported:
            continue
        severity: Severity = "note" if row.status == support.IGNORED else "warning"
        problem = Problem(support.message(row, format_path(path)), document.location(path, key=True), "", severity)
        problems.append(problem)
    return problems


# --- ConfigMaps and Secrets -------------------------------------------------------------

def _check_data(document: Document, kind: str) -> list[Problem]:
    problems: list[Problem] = []
    sections = ("data", "binaryData") if kind == "ConfigMap" else ("data", "stringData")
    seen: dict[str, str] = {}
    for section in sections:
        values = document.data.get(section)
        for key, value in values.items() if isinstance(values, dict) else ():
            path = (section, key)
            message = rules.data_key_error(key)
            if message:
                problems.append(document.problem(path, message, key=True))
            if kind == "ConfigMap" and key in seen:
                problems.append(document.problem(path, f"key {shown(key)} is also in {seen[key]}", key=True))
            seen.setdefault(key, section)
            if section in ("binaryData",) or (kind == "Secret" and section == "data"):
                problems += _check_base64(document, path, value, section, kind)
    return problems


def _check_base64(document: Document, path: FieldPath, value: Any, section: str, kind: str) -> list[Problem]:
    if not isinstance(value, str):
        return []
    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        hint = " (put plain text under stringData instead)" if kind == "Secret" else ""
        return [document.problem(path, f"{section} values must be base64-encoded{hint}")]
    return []


# --- the set of documents ----------------------------------------------------------------

def _index_objects(documents: list[Document], namespace: str | None) -> semantic.ObjectIndex:
    index = semantic.ObjectIndex()
    for document in documents:
        data = document.data
        if not isinstance(data, dict) or document.kind not in ("ConfigMap", "Secret"):
            continue
        sections = ("data", "binaryData") if document.kind == "ConfigMap" else ("data", "stringData")
        keys = {str(k) for s in sections if isinstance(data.get(s), dict) for k in data[s]}
        if document.name:
            index.add(document.kind, document.name, _placed(document, namespace), keys)
    try:
        index.values = model_context.collect_objects(documents, namespace)
    except (ValueError, TypeError, AttributeError):   # a value that does not decode: reported by its own check
        index.values = None
    return index


def _check_set(documents: list[Document], namespace: str | None) -> list[Problem]:
    if not documents:
        return [Problem("no manifests found: the input holds no YAML documents")]
    problems = _check_duplicates(documents) + _check_host_ports_across_pods(documents)
    problems += _check_pod_names(documents, namespace, {p.location for p in problems})
    kinds = [d.kind for d in documents]
    if not any(kind in RUNNABLE_KINDS for kind in kinds):
        found = ", ".join(sorted({k or "no kind" for k in kinds}))
        if all(kind in OBJECT_KINDS for kind in kinds):
            # valid on their own, as `kubectl apply -f configmap.yaml` is: only pods run
            problems.append(Problem(f"nothing in these documents runs ({found}): pods use them",
                                    documents[0].location(()), severity="note"))
        else:
            problems.append(Problem(f"{NOTHING_TO_RUN} (found {found})", documents[0].location(())))
    return problems


NOTHING_TO_RUN = ("nothing to run: no Pod, Deployment, ReplicaSet, StatefulSet, DaemonSet or Job among the "
                  "documents")


def require_runnable(documents: list[Document]) -> None:
    """`up` and `config` of documents that hold no pod: a located error (ConfigMaps alone are not kept yet)."""
    if documents and not any(d.kind in RUNNABLE_KINDS for d in documents):
        found = ", ".join(sorted({d.kind or "no kind" for d in documents}))
        raise ManifestError([Problem(f"{NOTHING_TO_RUN} (found {found}); podcompose does not keep ConfigMaps, "
                                     "Secrets or claims on their own yet: give them with the pods that use them",
                                     documents[0].location(()))])


def _check_duplicates(documents: list[Document]) -> list[Problem]:
    seen: dict[tuple[str, str, str], Document] = {}
    problems = []
    for document in documents:
        if document.kind not in HANDLED_KINDS or not document.name:
            continue
        key = (document.kind, _namespace(document) or DEFAULT_NAMESPACE, document.name)
        if key in seen:
            first = seen[key].location(("metadata", "name"))
            problems.append(document.problem(("metadata", "name"), f"{document.kind} {shown(document.name)} is defined "
                                                                   f"twice (first at {first})"))
        seen.setdefault(key, document)
    return problems


def _check_pod_names(documents: list[Document], namespace: str | None, reported: set[Location | None]) -> list[Problem]:
    """Two documents may not make one pod: a Pod `web-0` and a Deployment `web`'s first replica, or two Pods of
    one name that `--namespace` puts in one namespace."""
    seen: dict[tuple[str, str], Document] = {}
    problems = []
    for document in documents:
        if document.kind not in RUNNABLE_KINDS or not document.name:
            continue
        try:
            names = pod_names([document], namespace)
        except ManifestError:
            continue   # replicas out of range: reported with the controller's checks
        where = document.location(("metadata", "name"))
        for key in dict.fromkeys(names):
            other = seen.setdefault(key, document)
            if other is not document and where not in reported:
                problems.append(document.problem(("metadata", "name"), f"pod {key[1]} is defined twice in namespace "
                                                 f"{key[0]} (also by {other.kind} {shown(other.name)} at "
                                                 f"{other.location(('metadata', 'name'))})"))
                reported.add(where)
    return problems


def _published_ports(document: Document) -> Iterator[tuple[FieldPath, tuple[str, int, str]]]:
    """(path of hostPort, (hostIP, hostPort, protocol)) for every hostPort of a runnable document."""
    spec_path = POD_SPEC_PATHS.get(document.kind)
    if spec_path is None:
        return
    spec = _get(document.data, spec_path)
    if not isinstance(spec, dict):
        return
    for section in ("initContainers", "containers"):
        containers = spec.get(section)
        for i, container in enumerate(containers if isinstance(containers, list) else []):
            ports = container.get("ports") if isinstance(container, dict) else None
            for j, port in enumerate(ports if isinstance(ports, list) else []):
                if isinstance(port, dict) and isinstance(port.get("hostPort"), int) and port["hostPort"] > 0:
                    key = (str(port.get("hostIP") or ""), port["hostPort"], str(port.get("protocol") or "TCP"))
                    yield spec_path + (section, i, "ports", j, "hostPort"), key


def _clash(a: tuple[str, int, str], b: tuple[str, int, str]) -> bool:
    """Two bindings collide on one host: same port and protocol, and an address in common."""
    return a[1:] == b[1:] and (a[0] == b[0] or "" in (a[0], b[0]) or "0.0.0.0" in (a[0], b[0]))


def _check_host_ports_across_pods(documents: list[Document]) -> list[Problem]:
    """One host publishes a port once: two pods (or two replicas) cannot both take it."""
    problems: list[Problem] = []
    taken: list[tuple[tuple[str, int, str], Document, FieldPath]] = []
    for document in documents:
        if document.kind not in RUNNABLE_KINDS:
            continue
        replicas = (_get(document.data, ("spec", "replicas")) if document.kind in workloads.REPLICATED_KINDS
                    else 1)
        for path, key in _published_ports(document):
            shown = f"hostPort {key[1]}/{key[2]}"
            if isinstance(replicas, int) and replicas > 1:
                problems.append(document.problem(path, f"{shown} cannot be published by {replicas} replicas on "
                                                       "one host: use replicas: 1 or drop the hostPort"))
            for other_key, other, other_path in taken:
                if other is not document and _clash(key, other_key):
                    problems.append(document.problem(path, f"{shown} is also published by {other.kind} "
                                                           f"{other.name!r} at {other.location(other_path)}"))
                    break
        taken.extend((key, document, path) for path, key in _published_ports(document))
    return problems
