"""Every Kubernetes documentation example in shared/k8s-examples validates without a false error.

The corpus (kubernetes/website's content/en/examples, CC BY 4.0, see its
PROVENANCE.md) is kept in tests/k8s-examples, a copy of the team's
shared/k8s-examples (PODCOMPOSE_K8S_EXAMPLES names another copy). In CI (CI set)
or with PODCOMPOSE_REQUIRE_CORPUS=1 a missing corpus fails, as a missing daemon
does; elsewhere it is one skip. Each manifest is
validated together with the files its INDEX.tsv note says it needs ("Needs
configmap/configmap-multikeys.yaml"). The few that must fail are listed below,
each with the reason and the errors it must produce, nothing else.
"""
from __future__ import annotations

import csv
import os
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from podcompose.errors import ManifestError
from podcompose.load import load_files
from podcompose.validate import NOTHING_TO_RUN, OBJECT_KINDS, RUNNABLE_KINDS, validate

EXAMPLES = Path(os.environ.get("PODCOMPOSE_K8S_EXAMPLES") or Path(__file__).parents[1] / "k8s-examples")
CORPUS_REQUIRED = bool(os.environ.get("CI") or os.environ.get("PODCOMPOSE_REQUIRE_CORPUS"))

# path -> why it cannot load
MUST_FAIL_TO_LOAD = {
    "pods/inject/envars-file-container.yaml":
        "holds \\' inside a double-quoted scalar, which YAML does not allow (Go's YAML parser accepts it)",
}

# path -> (why it must fail, a pattern each of its errors must match)
MUST_FAIL = {
    "configmap/configure-pod.yaml": (
        "needs ConfigMap game-demo, defined only inline in the ConfigMap concept page",
        r"ConfigMap 'game-demo' is not defined"),
    "configmap/env-configmap.yaml": (
        "needs ConfigMap myconfigmap, which is not in the corpus", r"ConfigMap 'myconfigmap' is not defined"),
    "pods/inject/pod-multiple-secret-env-variable.yaml": (
        "needs Secrets backend-user and db-user, which the docs create with kubectl",
        r"Secret '(backend-user|db-user)' is not defined"),
    "pods/inject/pod-single-secret-env-variable.yaml": (
        "needs Secret backend-user, which the docs create with kubectl", r"Secret 'backend-user' is not defined"),
    "pods/storage/projected-secret-downwardapi-configmap.yaml": (
        "needs Secret mysecret and ConfigMap myconfigmap, not in the corpus",
        r"(Secret 'mysecret'|ConfigMap 'myconfigmap') is not defined"),
    "pods/storage/projected-secrets-nondefault-permission-mode.yaml": (
        "needs Secrets mysecret and mysecret2, not in the corpus", r"Secret 'mysecret2?' is not defined"),
    "pods/storage/projected.yaml": (
        "needs Secrets user and pass, which the docs create from files with kubectl",
        r"Secret '(user|pass)' is not defined"),
    "pods/security/security-context-7.yaml": (
        "securityContext.cgroupOptions is newer than the Kubernetes 1.37 API the schemas are generated from",
        r"unknown field 'cgroupOptions'"),
}


@dataclass(frozen=True)
class Example:
    path: str
    status: str
    needs: tuple[str, ...]


def examples() -> list[Example]:
    if not (EXAMPLES / "INDEX.tsv").is_file():
        if CORPUS_REQUIRED:
            raise RuntimeError(f"the Kubernetes examples corpus is missing at {EXAMPLES} "
                               "(CI or PODCOMPOSE_REQUIRE_CORPUS is set)")
        return []
    with open(EXAMPLES / "INDEX.tsv", newline="", encoding="utf-8") as index:
        rows = list(csv.DictReader(index, delimiter="\t"))
    found = []
    for row in rows:
        path = row["path"]
        if not path.endswith((".yaml", ".yml")):
            continue
        note = row.get("what_it_does_and_success_check") or ""
        needs = tuple(p for p in re.findall(r"\bNeeds ([\w./-]+\.ya?ml)", note) if p != path)
        found.append(Example(path, row.get("status", ""), needs))
    return found


EXAMPLE_LIST = examples()
PARAMS = [pytest.param(e, id=e.path) for e in EXAMPLE_LIST] or [
    pytest.param(None, marks=pytest.mark.skip(reason=f"no Kubernetes examples at {EXAMPLES}"))]


@pytest.mark.parametrize("example", PARAMS)
def test_example_validates_without_false_errors(example: Example) -> None:
    files = [str(EXAMPLES / example.path)] + [str(EXAMPLES / need) for need in example.needs]
    if example.path in MUST_FAIL_TO_LOAD:
        with pytest.raises(ManifestError):
            load_files(files)
        return
    documents = load_files(files)
    errors = [p for p in validate(documents) if p.severity == "error"]
    runnable = any(d.kind in RUNNABLE_KINDS for d in documents)
    if not runnable:
        if all(d.kind in OBJECT_KINDS for d in documents):  # ConfigMaps, Secrets, claims: valid, a note
            assert [str(p) for p in errors] == []
        else:  # a PersistentVolume, a Service: skipped, and then nothing is left to run
            assert [str(p) for p in errors if not p.message.startswith(NOTHING_TO_RUN)] == []
            assert len(errors) == 1
        return
    if example.path in MUST_FAIL:
        reason, pattern = MUST_FAIL[example.path]
        assert errors, f"expected to fail: {reason}"
        assert [str(p) for p in errors if not re.search(pattern, p.message)] == [], reason
        return
    assert [str(p) for p in errors] == []


def test_expected_failures_are_still_in_the_corpus() -> None:
    if not EXAMPLE_LIST:
        pytest.skip(f"no Kubernetes examples at {EXAMPLES}")
    paths = {e.path for e in EXAMPLE_LIST}
    assert set(MUST_FAIL) | set(MUST_FAIL_TO_LOAD) <= paths
    needs = {need for e in EXAMPLE_LIST for need in e.needs}
    assert all((EXAMPLES / need).is_file() for need in needs), needs


def test_the_corpus_is_all_there() -> None:
    if not EXAMPLE_LIST:
        pytest.skip(f"no Kubernetes examples at {EXAMPLES}")
    assert len(EXAMPLE_LIST) >= 140
