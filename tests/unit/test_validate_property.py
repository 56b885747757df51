"""Property: whatever a manifest becomes, loading and validating report problems, never crash.

Valid manifests are mutated (fields removed, types swapped, random strings,
ints, lists, mappings and nulls inserted, null list items, huge integers,
megabyte strings, control characters and `..` paths, text edited);
`load_text` may only raise ManifestError, `validate` may not raise at all nor
report an internal error, and the fast schema check always agrees with
jsonschema. What validates then goes through `config` (the model,
`pods_from_documents`) and `up --dry-run` planning (`api.plan` with nothing
observed): only a located ManifestError may escape them, and every message
printed is escaped and of a readable length.
"""
from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from podcompose import api, schema
from podcompose.cli.render import pods_config
from podcompose.cli.render_plan import plan_as_data
from podcompose.errors import ManifestError, PodcomposeError, Problem
from podcompose.load import load_text
from podcompose.pods import pods_from_documents
from podcompose.validate import HANDLED_KINDS, validate

BASES = [
    """\
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web}}
spec:
  restartPolicy: OnFailure
  hostNetwork: false
  volumes:
  - {name: data, emptyDir: {sizeLimit: 64Mi}}
  - {name: config, configMap: {name: settings, items: [{key: level, path: level}]}}
  - {name: creds, secret: {secretName: creds, optional: true, defaultMode: 0400}}
  - {name: host, hostPath: {path: /srv, type: DirectoryOrCreate}}
  initContainers:
  - {name: init, image: busybox, command: [sh, -c, "true"], restartPolicy: Always}
  containers:
  - name: app
    image: nginx:1.27
    args: ["--port", "80"]
    ports: [{containerPort: 80, hostPort: 8080, protocol: TCP, name: http}]
    env:
    - {name: LEVEL, valueFrom: {configMapKeyRef: {name: settings, key: level}}}
    - {name: POD, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
    envFrom: [{configMapRef: {name: settings}}]
    volumeMounts:
    - {name: data, mountPath: /data}
    - {name: config, mountPath: /etc/app, readOnly: true}
    - {name: data, mountPath: /logs, subPathExpr: "logs/$(POD)"}
    - {name: host, mountPath: "/host:x", subPath: a/b}
    resources: {limits: {cpu: 500m, memory: 128Mi}, requests: {cpu: 100m}}
    livenessProbe: {httpGet: {path: /, port: 80}}
    securityContext: {runAsUser: 1000, capabilities: {drop: [ALL]}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: shop}
data: {level: info}
""",
    """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  replicas: 2
  selector: {matchLabels: {app: api}, matchExpressions: [{key: tier, operator: In, values: [a]}]}
  template:
    metadata: {labels: {app: api, tier: a}}
    spec:
      containers: [{name: api, image: "api:1", ports: [{containerPort: 8080}]}]
      nodeSelector: {disk: ssd}
""",
    """\
apiVersion: batch/v1
kind: Job
metadata: {name: pi}
spec:
  backoffLimit: 2
  template:
    spec:
      restartPolicy: Never
      containers: [{name: pi, image: perl, command: [perl, -e, "print 1"]}]
---
apiVersion: v1
kind: Secret
metadata: {name: token}
data: {token: aGVsbG8=}
stringData: {plain: text}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: claim}
spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
""",
]

VOCABULARY = ["apiVersion", "kind", "metadata", "name", "spec", "containers", "initContainers", "image",
              "command", "args", "ports", "containerPort", "hostPort", "protocol", "hostIP", "env", "value",
              "valueFrom", "configMapKeyRef", "secretKeyRef", "fieldRef", "fieldPath", "key", "optional",
              "envFrom", "configMapRef", "volumes", "volumeMounts", "mountPath", "emptyDir", "sizeLimit",
              "configMap", "secret", "secretName", "items", "resources", "limits", "requests", "cpu", "memory",
              "restartPolicy", "template", "selector", "matchLabels", "labels", "data", "namespace",
              "livenessProbe", "exec", "httpGet", "lifecycle", "preStop", "hostNetwork", "Pod", "v1"]

HOSTILE = [2**31, 2**63, -2**63 - 1, 10**30, 10**400, -1, 0o1000, 100_000_000, "x" * 5000, "\x1b[31mred",
           "a\u202eb", "..", "../..", "/etc", "a/../b", "..data", "$(POD)/..", "$(NOPE)", "$$(POD)", "/", "a:b",
           "8Ei", "9223372036854775808", "1e19", "99999999999999999999m", ""]
scalars = (st.none() | st.booleans() | st.integers(min_value=-2**40, max_value=2**40)
           | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=12) | st.sampled_from(VOCABULARY)
           | st.sampled_from(HOSTILE))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(st.sampled_from(VOCABULARY) | st.text(max_size=6), inner, max_size=3),
                      max_leaves=6)


def containers_in(data: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Paths of every mapping and list in `data` (including the root)."""
    found = [path]
    children = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else []
    for key, child in children:
        if isinstance(child, (dict, list)):
            found += containers_in(child, path + (key,))
    return found


def at(data: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        data = data[part]
    return data


@st.composite
def mutated(draw: st.DrawFn) -> list[Any]:
    documents = copy.deepcopy(list(yaml.safe_load_all(draw(st.sampled_from(BASES)))))
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        index = draw(st.integers(min_value=0, max_value=len(documents) - 1))
        target = at(documents[index], draw(st.sampled_from(containers_in(documents[index]))))
        keys = list(target) if isinstance(target, dict) else list(range(len(target)))
        operation = draw(st.sampled_from(["delete", "replace", "insert", "swap", "null item"]))
        if operation == "null item" and isinstance(target, list):
            target.insert(draw(st.integers(min_value=0, max_value=len(target))), None)
            continue
        if operation in ("insert", "null item") or not keys:
            if isinstance(target, dict):
                target[draw(st.sampled_from(VOCABULARY) | st.text(max_size=8))] = draw(values)
            else:
                target.append(draw(values))
            continue
        key = draw(st.sampled_from(keys))
        if operation == "delete":
            del target[key]
        elif operation == "replace":
            target[key] = draw(values)
        else:  # swap the type: a value becomes a string, a list of itself, or a mapping
            target[key] = draw(st.sampled_from([str(target[key]), [target[key]], {"value": target[key]}]))
    return documents


def readable(problems: list[Problem]) -> None:
    """Every message as printed: no raw control character, no value echoed whole."""
    for problem in problems:
        text = str(problem)
        assert all(c.isprintable() or c == "\n" for c in text), text
        assert len(text) < 1500, text[:300]


def run(text: str, unknown_fields: str) -> None:
    try:
        documents = load_text(text, "fuzz.yaml")
    except ManifestError as error:
        assert error.problems and all(isinstance(p, Problem) for p in error.problems)
        readable(error.problems)
        return
    problems = validate(documents, unknown_fields)  # type: ignore[arg-type]
    assert all(isinstance(p, Problem) and p.location is not None for p in problems[1:] or problems)
    assert not [p for p in problems if "internal error" in p.message], problems
    readable(problems)
    for document in documents:
        if document.kind in HANDLED_KINDS:
            quick = schema.fast_check(document.kind)
            assert quick is not None
            assert quick(document.data) == schema.validator(document.kind).is_valid(document.data), document.data
    if not any(p.severity == "error" for p in problems):
        config_and_dry_run(documents)


def config_and_dry_run(documents: list[Any]) -> None:
    """What `config` and `up --dry-run` do with documents that validated: located errors or a result."""
    try:
        pods = pods_from_documents(documents)
        pods_config(pods)
        plan_as_data(api.plan(pods, {}, api.UpOptions(pause_image="pause:1", host_ip="")))
    except ManifestError as error:
        assert error.problems and all(p.location is not None for p in error.problems), error.problems
        readable(error.problems)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated(), st.sampled_from(["strict", "warn", "ignore"]))
def test_mutated_manifests_never_crash(documents: list[Any], unknown_fields: str) -> None:
    try:
        text = yaml.safe_dump_all(documents, sort_keys=False)
    except yaml.YAMLError:
        return
    run(text, unknown_fields)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(BASES), st.data())
def test_edited_text_never_crashes(base: str, data: st.DataObject) -> None:
    text = base
    for _ in range(data.draw(st.integers(min_value=1, max_value=3))):
        position = data.draw(st.integers(min_value=0, max_value=len(text)))
        cut = data.draw(st.integers(min_value=0, max_value=4))
        insert = data.draw(st.text(alphabet=" \t\n:-{}[],'\"#&*!|>%@`?0aZ\\", max_size=4) | st.text(max_size=3))
        text = text[:position] + insert + text[position + cut:]
    run(text, "strict")


def test_only_podcompose_errors_escape_load() -> None:
    assert issubclass(ManifestError, PodcomposeError)


@pytest.mark.parametrize("edit", [
    ("    env:\n", "    env:\n    - null\n"),
    ("  containers:\n", "  containers:\n  - null\n"),
    ("  volumes:\n", "  volumes:\n  - null\n"),
    ("ports: [{", "ports: [null, {"),
    ("    volumeMounts:\n", "    volumeMounts:\n    - null\n"),
    ("replicas: 2", "replicas: 100000000"),
    ("replicas: 2", "replicas: -1"),
    ("runAsUser: 1000", "runAsUser: 99999999999999999999999"),
    ("memory: 128Mi", "memory: 100Ei"),
    ("subPathExpr: \"logs/$(POD)\"", "subPathExpr: \"$(POD)/..\""),
    ("subPath: a/b", "subPath: ../../etc"),
    ("path: /srv", "path: srv"),
    ("restartPolicy: OnFailure", "restartPolicy: \"\\e[31m" + "x" * 3000 + "\""),
    ("    args:", "    \"\\e]0;title\\a\": 1\n    args:"),
])
def test_hostile_edits_are_located_errors(edit: tuple[str, str]) -> None:
    """Each edit of issue 9 on a valid base: validate reports it at its line; nothing else escapes."""
    old, new = edit
    base = next(b for b in BASES if old in b)
    documents = load_text(base.replace(old, new, 1), "fuzz.yaml")
    problems = [p for p in validate(documents) if p.severity == "error"]
    assert problems and all(p.location is not None and p.location.line > 1 for p in problems), problems
    readable(problems)
    run(base.replace(old, new, 1), "strict")
