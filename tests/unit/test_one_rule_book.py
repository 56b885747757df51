"""One rule book: `validate` refuses exactly what `config` (and so `up`) refuses, in the same words, at the same fields.

The model only builds (podcompose.model_build); every refusal is validation's. Checked on the done-when cases,
on every example of the Kubernetes documentation corpus (tests/k8s-examples), and on hostile mutations of the
corpus's pods (hugepages, Bidirectional mounts, probe numbers of 0, 3 or -1, projected files written twice,
sources podcompose does not run, probe ports that name no port).
"""
from __future__ import annotations

import copy
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from podcompose import api
from podcompose.cli import main
from podcompose.cli.render import pods_config
from podcompose.errors import ManifestError, Problem
from podcompose.load import Document, load_files, load_text
from podcompose.raw import POD_SPEC_PATHS
from podcompose.validate import validate
from test_k8s_examples import EXAMPLE_LIST, EXAMPLES, MUST_FAIL_TO_LOAD, Example

POD = """\
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  volumes:
  - {name: host, hostPath: {path: /srv}}
  containers:
  - name: app
    image: nginx:1.27
    ports: [{containerPort: 80, name: http}]
"""


def errors(text: str) -> list[str]:
    return [str(p) for p in validate(load_text(text, "pod.yaml")) if p.severity == "error"]


def config_errors(path: Path) -> list[str] | None:
    """What `config -f path` refuses (None: it gives its output)."""
    try:
        loaded = api.load_pods([str(path)])
    except ManifestError as error:
        return [str(p) for p in error.problems if p.severity == "error"]
    pods_config(loaded.pods)
    return None


def test_a_hugepages_limit_is_refused_by_validate_at_its_limits_line_only() -> None:
    text = POD + "    resources: {limits: {hugepages-2Mi: 4Mi}}\n"
    assert errors(text) == [
        "pod.yaml:11:41: spec.containers[0].resources.limits.hugepages-2Mi: hugepages-2Mi cannot be given: Docker sets "
        "no hugetlb limit for a container, so podcompose refuses hugepages rather than run the container without them"]
    pod_level = POD.replace("spec:\n", "spec:\n  resources: {requests: {hugepages-1Gi: 1Gi}}\n")
    assert errors(pod_level) == [
        "pod.yaml:5:41: spec.resources.requests.hugepages-1Gi: hugepages-1Gi cannot be given: podcompose sets no "
        "hugetlb limit on the pod's cgroup, so it refuses hugepages rather than run the pod without them"]


def test_a_bidirectional_mount_needs_a_privileged_container() -> None:
    mount = "    volumeMounts: [{name: host, mountPath: /h, mountPropagation: Bidirectional}]\n"
    assert errors(POD + mount) == [
        "pod.yaml:11:66: spec.containers[0].volumeMounts[0].mountPropagation: Bidirectional mount propagation is "
        "available only to privileged containers"]
    assert errors(POD + mount + "    securityContext: {privileged: true}\n") == []


def test_a_liveness_or_startup_probe_succeeds_once() -> None:
    for probe in ("livenessProbe", "startupProbe"):
        text = POD + f"    {probe}: {{tcpSocket: {{port: http}}, successThreshold: 3}}\n"
        column = text.splitlines()[10].index("successThreshold: 3") + len("successThreshold: ") + 1
        assert errors(text) == [
            f"pod.yaml:11:{column}: spec.containers[0].{probe}.successThreshold: successThreshold must be 1 for a "
            f"{probe.removesuffix('Probe')} probe"]
    assert errors(POD + "    readinessProbe: {tcpSocket: {port: http}, successThreshold: 3}\n") == []
    assert errors(POD + "    livenessProbe: {tcpSocket: {port: http}, successThreshold: 0}\n") == []   # 0 is 1


def test_probe_numbers_of_zero_are_their_defaults_in_config(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path = tmp_path / "pod.yaml"
    path.write_text(POD + "    readinessProbe: {tcpSocket: {port: http}, periodSeconds: 0, timeoutSeconds: 0, "
                          "successThreshold: 0, failureThreshold: 0}\n")
    assert main(["validate", "-f", str(path)]) == 0
    assert main(["config", "-f", str(path), "-o", "json"]) == 0
    shown = yaml.safe_load(capsys.readouterr().out.split("\n", 1)[1])
    probe = shown[0]["containers"][0]["readiness_probe"]
    assert (probe["period_seconds"], probe["timeout_seconds"], probe["success_threshold"],
            probe["failure_threshold"]) == (10, 1, 1, 3)
    negative = POD + "    readinessProbe: {tcpSocket: {port: http}, periodSeconds: -1}\n"
    assert errors(negative) == [
        "pod.yaml:11:62: spec.containers[0].readinessProbe.periodSeconds: periodSeconds must be at least 0"]


def test_the_models_refusals_are_validations(tmp_path: Path) -> None:
    cases = {
        "    readinessProbe: {tcpSocket: {port: web}}\n":
            "spec.containers[0].readinessProbe.tcpSocket.port: port 'web' names no port of this container",
        "    lifecycle: {preStop: {httpGet: {port: web}}}\n":
            "spec.containers[0].lifecycle.preStop.httpGet.port: port 'web' names no port of this container",
    }
    volumes = {
        "  - {name: n, nfs: {server: s, path: /}}\n": "spec.volumes[1]: volume source nfs is not supported yet",
        "  - {name: t, projected: {sources: [{clusterTrustBundle: {path: b, name: x}}]}}\n":
            "spec.volumes[1].projected.sources[0]: projected source clusterTrustBundle is not supported yet",
        "  - {name: t, projected: {sources: [{serviceAccountToken: {path: t}}, {downwardAPI: {items: "
        "[{path: t, fieldRef: {fieldPath: metadata.name}}]}}]}}\n":
            "spec.volumes[1].projected.sources: two projected sources write the file 't'",
        "  - {name: d, downwardAPI: {items: [{path: x}]}}\n":
            "spec.volumes[1].downwardAPI.items[0]: a downwardAPI item needs fieldRef or resourceFieldRef",
    }
    texts = [(POD + line, message) for line, message in cases.items()]
    texts += [(POD.replace("  containers:\n", line + "  containers:\n"), message) for line, message in volumes.items()]
    for text, message in texts:
        found = errors(text)
        assert len(found) == 1 and message in found[0], (message, found)
        path = tmp_path / "pod.yaml"
        path.write_text(text)
        assert [e.replace(str(path), "pod.yaml") for e in config_errors(path) or []] == found


def test_two_documents_that_make_one_pod_are_refused_by_validate() -> None:
    deployment = ("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n"
                  "  selector: {matchLabels: {app: w}}\n  template:\n    metadata: {labels: {app: w}}\n"
                  "    spec: {containers: [{name: a, image: busybox}]}\n")
    pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: web-0}\nspec: {containers: [{name: a, image: busybox}]}\n"
    assert errors(pod + "---\n" + deployment) == [
        "pod.yaml:8:18: metadata.name: pod web-0 is defined twice in namespace default (also by Pod 'web-0' at "
        "pod.yaml:3:18)"]
    elsewhere = pod.replace("name: web-0}", "name: web-0, namespace: other}")
    assert errors(elsewhere + "---\n" + pod) == []
    assert [str(p) for p in validate(load_text(elsewhere + "---\n" + pod, "pod.yaml"), namespace="shop")
            if p.severity == "error"] == [
        "pod.yaml:8:18: metadata.name: pod web-0 is defined twice in namespace shop (also by Pod 'web-0' at "
        "pod.yaml:3:18)"]


def test_config_of_objects_alone_gives_its_output(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path = tmp_path / "objects.yaml"
    path.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {level: info}\n")
    assert main(["validate", "-f", str(path)]) == 0
    capsys.readouterr()
    assert main(["config", "-f", str(path), "-o", "json"]) == 0
    assert yaml.safe_load(capsys.readouterr().out) == []


def test_volume_kinds_are_a_closed_type_shown_by_their_field_names(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture) -> None:
    from podcompose import codec
    from podcompose.model import Pod, VolumeKind

    path = tmp_path / "pod.yaml"
    path.write_text(POD.replace("hostPath: {path: /srv}}", "hostPath: {path: /srv}}\n  - {name: d, emptyDir: {}}"))
    pod = api.load_pods([str(path)]).pods[0]
    assert [v.kind for v in pod.volumes] == [VolumeKind.HOST_PATH, VolumeKind.EMPTY_DIR] == ["hostPath", "emptyDir"]
    assert codec.loads(Pod, codec.dumps(pod)) == pod
    assert codec.loads(Pod, codec.dumps(pod)).volumes[1].kind is VolumeKind.EMPTY_DIR
    assert f"{pod.volumes[1].kind}" == str(pod.volumes[1].kind) == "emptyDir"
    assert main(["config", "-f", str(path)]) == 0
    assert [v["kind"] for v in yaml.safe_load(capsys.readouterr().out)[0]["volumes"]] == ["hostPath", "emptyDir"]


# --- the property, over the corpus and hostile mutations of its pods ----------------------------------------------

def _loadable(example: Example) -> bool:
    return example.path not in MUST_FAIL_TO_LOAD


CORPUS = [e for e in EXAMPLE_LIST if _loadable(e)]


def _files(example: Example) -> list[Path]:
    return [EXAMPLES / example.path] + [EXAMPLES / need for need in example.needs]


def _agree(documents: list[Document], files: list[str]) -> bool:
    """validate succeeds iff config does; when both fail, their errors are the same, field for field.
    Whether they succeed."""
    validated = [p for p in validate(documents) if p.severity == "error"]
    try:
        loaded = api.load_pods(files)
    except ManifestError as error:
        refused: list[Problem] | None = [p for p in error.problems if p.severity == "error"]
    else:
        yaml.safe_dump(pods_config(loaded.pods))     # `config -o yaml` prints it
        refused = None
    if not validated:
        assert refused is None, [str(p) for p in refused or []]
    else:
        assert refused is not None, [str(p) for p in validated]
        assert sorted((str(p.location), p.path) for p in refused) == \
            sorted((str(p.location), p.path) for p in validated)
    return not validated


@pytest.mark.parametrize("example", [pytest.param(e, id=e.path) for e in CORPUS] or [
    pytest.param(None, marks=pytest.mark.skip(reason=f"no Kubernetes examples at {EXAMPLES}"))])
def test_validate_and_config_agree_on_every_corpus_example(example: Example) -> None:
    files = [str(f) for f in _files(example)]
    _agree(load_files(files), files)


def _pod_spec(data: dict[str, Any]) -> dict[str, Any] | None:
    spec: Any = data
    for part in POD_SPEC_PATHS.get(str(data.get("kind")), ()):
        spec = spec.get(part) if isinstance(spec, dict) else None
    return spec if isinstance(spec, dict) and isinstance(spec.get("containers"), list) and spec["containers"] else None


def _container(spec: dict[str, Any]) -> dict[str, Any]:
    return spec["containers"][0]


def _hugepages(spec: dict[str, Any], draw: Callable[[Any], Any]) -> None:
    where = draw(st.sampled_from(["limits", "requests"]))
    target = spec if draw(st.booleans()) else _container(spec)
    target.setdefault("resources", {}).setdefault(where, {})["hugepages-2Mi"] = "2Mi"


def _bidirectional(spec: dict[str, Any], draw: Callable[[Any], Any]) -> None:
    spec.setdefault("volumes", []).append({"name": "host-bidi", "hostPath": {"path": "/srv"}})
    container = _container(spec)
    container.setdefault("volumeMounts", []).append(
        {"name": "host-bidi", "mountPath": "/bidi", "mountPropagation": draw(st.sampled_from(
            ["Bidirectional", "HostToContainer", "None"]))})
    if draw(st.booleans()):
        container.setdefault("securityContext", {})["privileged"] = draw(st.booleans())


def _probe(spec: dict[str, Any], draw: Callable[[Any], Any]) -> None:
    key = draw(st.sampled_from(["livenessProbe", "readinessProbe", "startupProbe"]))
    probe = {"exec": {"command": ["true"]}} if draw(st.booleans()) else \
        {"tcpSocket": {"port": draw(st.sampled_from([80, "http", "nope"]))}}
    for number in draw(st.lists(st.sampled_from(["periodSeconds", "timeoutSeconds", "successThreshold",
                                                 "failureThreshold", "initialDelaySeconds"]), max_size=3)):
        probe[number] = draw(st.sampled_from([0, 3, 1, -1]))
    _container(spec)[key] = probe


def _projected(spec: dict[str, Any], draw: Callable[[Any], Any]) -> None:
    paths = st.sampled_from(["token", "name", "a/b"])
    sources: list[dict[str, Any]] = [
        {"serviceAccountToken": {"path": draw(paths)}},
        {"downwardAPI": {"items": [{"path": draw(paths), "fieldRef": {"fieldPath": "metadata.name"}}]}},
        {"configMap": {"name": "missing", "optional": True}}]
    chosen = draw(st.lists(st.sampled_from(sources), min_size=1, max_size=3))
    spec.setdefault("volumes", []).append({"name": "proj", "projected": {"sources": copy.deepcopy(chosen)}})


def _odd_source(spec: dict[str, Any], draw: Callable[[Any], Any]) -> None:
    source = draw(st.sampled_from([
        {"nfs": {"server": "s", "path": "/"}}, {"gitRepo": {"repository": "r"}}, {},
        {"projected": {"sources": [{"clusterTrustBundle": {"path": "b", "name": "x"}}]}},
        {"downwardAPI": {"items": [{"path": "x"}]}}, {"emptyDir": {}}, {"ephemeral": {}}]))
    spec.setdefault("volumes", []).append({"name": "odd", **source})


MUTATIONS = [_hugepages, _bidirectional, _probe, _projected, _odd_source]


@lru_cache(maxsize=1)
def _with_pods() -> list[Example]:
    return [e for e in CORPUS if any(_pod_spec(d.data) for d in load_files([str(_files(e)[0])]))]


@st.composite
def mutated_corpus(draw: Callable[[Any], Any]) -> tuple[list[dict[str, Any]], list[Path]]:
    example = draw(st.sampled_from(_with_pods()))
    files = _files(example)
    documents = [copy.deepcopy(d.data) for d in load_files([str(files[0])])]
    pods = [spec for d in documents if (spec := _pod_spec(d)) is not None]
    spec = draw(st.sampled_from(pods))
    for mutate in draw(st.lists(st.sampled_from(MUTATIONS), min_size=1, max_size=2)):
        mutate(spec, draw)
    return documents, files[1:]


@pytest.mark.skipif(not CORPUS, reason=f"no Kubernetes examples at {EXAMPLES}")
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(mutated_corpus())
def test_validate_and_config_agree_on_mutated_corpus_pods(case: tuple[list[dict[str, Any]], list[Path]]) -> None:
    documents, needs = case
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "mutated.yaml"
        path.write_text(yaml.safe_dump_all(documents, sort_keys=False))
        files = [str(path)] + [str(n) for n in needs]
        event("valid" if _agree(load_files(files), files) else "refused")


def test_a_workload_whose_spec_or_metadata_is_not_a_mapping_is_refused_at_its_line_not_crashed_on() -> None:
    from podcompose.load import load_text
    from podcompose.validate import validate

    for kind in ("Deployment", "StatefulSet", "ReplicaSet"):
        documents = load_text(f"apiVersion: apps/v1\nkind: {kind}\nmetadata: {{name: d}}\nspec: 1\n", "d.yaml")
        messages = [str(p) for p in validate(documents, "strict") if p.severity == "error"]
        assert messages == ["d.yaml:4:7: spec: expected a mapping, got an integer (1)"], messages
