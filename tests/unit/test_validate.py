"""validate(): field types, names, mounts and kinds, at their exact file:line:column and field path."""
from __future__ import annotations

import pytest

from podcompose.errors import ManifestError, Problem
from podcompose.load import load_text
from podcompose.validate import OBJECT_KINDS, RUNNABLE_KINDS, require_valid, validate
from tests.validation import CONFIG, POD, check


def test_a_valid_pod_has_no_problem() -> None:
    assert check(POD, severity=None) == []
    assert RUNNABLE_KINDS == {"Pod", "Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job"}
    assert OBJECT_KINDS == {"ConfigMap", "Secret", "PersistentVolumeClaim"}


def test_enum_value() -> None:
    assert check(POD + "    imagePullPolicy: Sometimes\n") == [
        "pod.yaml:9:22: spec.containers[0].imagePullPolicy: 'Sometimes' is not one of Always, IfNotPresent, Never"]
    assert check(POD + "  restartPolicy: always\n") == [
        "pod.yaml:9:18: spec.restartPolicy: 'always' is not one of Always, Never, OnFailure; did you mean 'Always'?"]


def test_enum_in_second_container() -> None:
    text = POD + "  - name: side\n    image: busybox\n    imagePullPolicy: Sometimes\n"
    assert check(text) == [
        "pod.yaml:11:22: spec.containers[1].imagePullPolicy: 'Sometimes' is not one of Always, IfNotPresent, Never"]


def test_command_as_a_string() -> None:
    assert check(POD + '    command: sh -c "sleep 1"\n') == [
        'pod.yaml:9:14: spec.containers[0].command: command must be a list of strings, '
        'e.g. ["sh", "-c", "..."], got a string (\'sh -c "sleep 1"\')']
    assert check(POD + "    args: --verbose\n") == [
        "pod.yaml:9:11: spec.containers[0].args: args must be a list of strings, e.g. [\"--port\", \"8080\"], "
        "got a string ('--verbose')"]


def test_wrong_types_name_what_was_expected() -> None:
    text = POD + '    ports:\n    - containerPort: "80"\n    env:\n    - name: DEBUG\n      value: yes\n'
    assert check(text) == [
        "pod.yaml:10:22: spec.containers[0].ports[0].containerPort: expected an integer, got a string ('80'); "
        "write it without quotes",
        'pod.yaml:13:14: spec.containers[0].env[0].value: expected a string, got a boolean (true); '
        'quote it: "true" (YAML reads true as a boolean)',
    ]
    assert check(POD.replace("  containers:\n  - name: app\n    image: nginx:1.27\n", "  containers: app\n")) == [
        "pod.yaml:6:15: spec.containers: expected a list, got a string ('app'); "
        "write one item per line starting with '- '"]
    assert check(POD + "    stdin: 1\n") == [
        "pod.yaml:9:12: spec.containers[0].stdin: expected true or false, got an integer (1)"]


def test_unknown_field_is_an_error_at_its_key_with_a_suggestion() -> None:
    text = POD.replace("  containers:", "  contaners:")
    assert check(text) == [
        "pod.yaml:5:1: spec.containers: required field is missing",
        "pod.yaml:6:3: spec.contaners: unknown field 'contaners'; did you mean 'containers'?",
    ]
    assert check(POD + "    imagePulPolicy: Always\n") == [
        "pod.yaml:9:5: spec.containers[0].imagePulPolicy: unknown field 'imagePulPolicy'; "
        "did you mean 'imagePullPolicy'?"]
    assert check(POD + "    colour: blue\n") == ["pod.yaml:9:5: spec.containers[0].colour: unknown field 'colour'"]


def test_unknown_fields_warn_or_ignore() -> None:
    text = POD + "    colour: blue\n    Image: x\n"
    assert check(text, "warn") == []
    assert check(text, "warn", severity="warning") == [
        "pod.yaml:9:5: warning: spec.containers[0].colour: unknown field 'colour' (ignored)",
        "pod.yaml:10:5: warning: spec.containers[0].Image: unknown field 'Image'; did you mean 'image'?",
    ]
    assert check(text, "ignore", severity=None) == []


def test_missing_required_fields() -> None:
    text = POD + "  - image: busybox\n    ports:\n    - name: http\n"
    assert check(text) == [
        "pod.yaml:9:5: spec.containers[1].name: required field is missing",
        "pod.yaml:11:7: spec.containers[1].ports[0].containerPort: required field is missing",
    ]
    assert check(POD.replace("    image: nginx:1.27\n", "")) == [
        "pod.yaml:7:5: spec.containers[0].image: required field is missing: the image to run"]
    assert check("apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n") == [
        "pod.yaml:1:1: spec: required field is missing"]


def test_missing_metadata_name() -> None:
    assert check(POD.replace("  name: web\n", "  labels: {app: web}\n")) == [
        "pod.yaml:3:1: metadata.name: required field is missing: every object needs a name"]
    assert check(POD.replace("metadata:\n  name: web\n", "")) == [
        "pod.yaml:1:1: metadata.name: required field is missing: every object needs a name"]
    assert "generateName is not supported" in check(POD.replace("  name: web", "  generateName: web-"))[0]


def test_names_must_be_dns_1123() -> None:
    text = POD.replace("name: web", "name: Web_Server").replace("name: app", "name: my.app") + \
        "  volumes:\n  - name: Data\n    emptyDir: {}\n"
    assert check(text) == [
        "pod.yaml:4:9: metadata.name: 'Web_Server' is not a valid name (DNS-1123 subdomain): use at most 253 "
        "lowercase letters, digits, '-' and '.', starting and ending with a letter or digit; "
        "did you mean 'web-server'?",
        "pod.yaml:7:11: spec.containers[0].name: 'my.app' is not a valid name (DNS-1123 label): use at most 63 "
        "lowercase letters, digits and '-', starting and ending with a letter or digit; did you mean 'my-app'?",
        "pod.yaml:10:11: spec.volumes[0].name: 'Data' is not a valid name (DNS-1123 label): use at most 63 "
        "lowercase letters, digits and '-', starting and ending with a letter or digit; did you mean 'data'?",
    ]
    assert check(POD.replace("name: web", "name: web\n  namespace: Team_A"))[0].startswith(
        "pod.yaml:5:14: metadata.namespace: 'Team_A' is not a valid name (DNS-1123 label)")


def test_labels_must_be_valid() -> None:
    text = POD.replace("  name: web\n", "  name: web\n  labels:\n    app: web server\n    -bad: x\n")
    assert check(text) == [
        "pod.yaml:6:10: metadata.labels.app: label value 'web server' is not valid: at most 63 letters, digits, "
        "'-', '_' or '.', starting and ending with a letter or digit",
        "pod.yaml:7:5: metadata.labels.-bad: key '-bad' is not valid: the name part must be at most 63 letters, "
        "digits, '-', '_' or '.', starting and ending with a letter or digit",
    ]


def test_duplicate_container_names_across_init_and_app_containers() -> None:
    text = POD + "  initContainers:\n  - name: app\n    image: busybox\n"
    assert check(text) == [
        "pod.yaml:7:11: spec.containers[0].name: duplicate container name 'app' "
        "(also spec.initContainers[0].name at line 10)"]


def test_volume_mount_naming_no_volume() -> None:
    text = POD + ("    volumeMounts:\n    - name: date\n      mountPath: /data\n"
                  "  volumes:\n  - name: data\n    emptyDir: {}\n")
    assert check(text) == [
        "pod.yaml:10:13: spec.containers[0].volumeMounts[0].name: no volume named 'date' in spec.volumes; "
        "did you mean 'data'?"]


def test_mount_paths() -> None:
    text = POD + ("    volumeMounts:\n    - {name: data, mountPath: data}\n    - {name: data, mountPath: /x}\n"
                  "    - {name: data, mountPath: /x/, subPath: ../etc}\n  volumes:\n  - {name: data, emptyDir: {}}\n")
    assert check(text) == [
        "pod.yaml:10:31: spec.containers[0].volumeMounts[0].mountPath: 'data' must be an absolute path",
        "pod.yaml:12:31: spec.containers[0].volumeMounts[2].mountPath: '/x/' is already mounted by "
        "spec.containers[0].volumeMounts[1].mountPath at line 11",
        "pod.yaml:12:45: spec.containers[0].volumeMounts[2].subPath: '../etc' must be a relative path without '..'",
    ]


def test_a_volume_takes_one_source() -> None:
    text = POD + "  volumes:\n  - name: data\n    emptyDir: {}\n    hostPath: {path: /tmp}\n"
    assert check(text) == ["pod.yaml:10:5: spec.volumes[0]: a volume takes exactly one source, "
                           "this one has emptyDir and hostPath"]
    assert check(POD + "  volumes:\n  - name: data\n    emptyDir: {}\n    hostpath: {path: /tmp}\n") == [
        "pod.yaml:12:5: spec.volumes[0].hostpath: unknown field 'hostpath'; did you mean 'hostPath'?"]


def test_api_version_and_kind() -> None:
    assert check(POD.replace("apiVersion: v1", "apiVersion: apps/v1")) == [
        "pod.yaml:1:13: apiVersion: apiVersion 'apps/v1' does not match kind Pod: use apiVersion: v1"]
    assert check(POD.replace("kind: Pod", "kind: pod")) == [
        "pod.yaml:1:1: nothing to run: no Pod, Deployment, ReplicaSet, StatefulSet, DaemonSet or Job among the documents (found pod)",
        "pod.yaml:2:7: kind: unknown kind 'pod'; did you mean 'Pod'?",
    ]
    assert check(POD.replace("apiVersion: v1\n", "")) == [
        "pod.yaml:1:1: apiVersion: required field is missing (e.g. apiVersion: v1)"]
    assert check(POD.replace("kind: Pod\n", "")) == [
        "pod.yaml:1:1: kind: required field is missing (e.g. kind: Pod)",
        "pod.yaml:1:1: nothing to run: no Pod, Deployment, ReplicaSet, StatefulSet, DaemonSet or Job among the documents (found no kind)",
    ]


def test_other_kinds_are_skipped_with_a_note() -> None:
    service = "---\napiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {ports: [{port: 80}]}\n"
    assert check(POD + service, severity=None) == [
        "pod.yaml:11:7: note: skipped: kind Service is not run by podcompose"]
    crd = "---\napiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: web}\n"
    assert check(POD + crd, severity=None) == [
        "pod.yaml:11:7: note: skipped: kind Certificate is not run by podcompose"]


def test_objects_on_their_own_are_valid_with_a_note() -> None:
    assert check(CONFIG) == []
    assert check(CONFIG, severity=None) == [
        "pod.yaml:2:1: note: nothing in these documents runs (ConfigMap, Secret): pods use them"]
    service = "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {ports: [{port: 80}]}\n"
    assert check(service) == [
        "pod.yaml:1:1: nothing to run: no Pod, Deployment, ReplicaSet, StatefulSet, DaemonSet or Job among the documents (found Service)"]


def test_up_of_objects_on_their_own_is_a_located_error() -> None:
    from podcompose.load import load_text
    from podcompose.validate import require_runnable

    with pytest.raises(ManifestError) as raised:
        require_runnable(load_text(CONFIG, "pod.yaml"))
    assert str(raised.value.problems[0]).startswith(
        "pod.yaml:2:1: nothing to run: no Pod, Deployment, ReplicaSet, StatefulSet, DaemonSet or Job among the documents (found ConfigMap, Secret)")


def test_nothing_runnable_is_an_error() -> None:
    assert [str(p) for p in validate([])] == ["no manifests found: the input holds no YAML documents"]


def test_duplicate_objects() -> None:
    assert check(POD + "---\n" + POD) == [
        "pod.yaml:13:9: metadata.name: Pod 'web' is defined twice (first at pod.yaml:4:9)"]
    assert check(POD + "---\n" + POD.replace("name: web", "name: web\n  namespace: other")) == []


def test_secret_and_config_map_data() -> None:
    text = POD + """\
---
apiVersion: v1
kind: Secret
metadata: {name: s}
data: {password: not base64!, "bad key": eA==}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: c}
data: {a: "1", count: 3}
binaryData: {a: eA==}
"""
    assert check(text) == [
        "pod.yaml:13:18: data.password: data values must be base64-encoded (put plain text under stringData instead)",
        "pod.yaml:13:31: data.bad key: key 'bad key' is not valid: use letters, digits, '-', '_' and '.'",
        "pod.yaml:18:23: data.count: expected a string, got an integer (3); quote it: \"3\" "
        "(YAML reads 3 as a number)",
        "pod.yaml:19:14: binaryData.a: key 'a' is also in data",
    ]


def test_problems_are_sorted_by_file_then_line() -> None:
    first = load_text(POD + "    imagePullPolicy: Sometimes\n", "b.yaml")
    second = load_text(POD.replace("web", "api").replace("name: app", "name: App"), "a.yaml")
    problems = validate(first + second)
    assert [(p.location.file, p.location.line) for p in problems if p.location] == [("b.yaml", 9), ("a.yaml", 7)]


def test_require_valid() -> None:
    notes = require_valid(load_text(POD + "  nodeSelector: {disk: ssd}\n", "pod.yaml"))
    assert [p.severity for p in notes] == ["note"]
    with pytest.raises(ManifestError) as caught:
        require_valid(load_text(POD + "    imagePullPolicy: Sometimes\n", "pod.yaml"))
    assert all(isinstance(p, Problem) and p.severity == "error" for p in caught.value.problems)
    assert "'Sometimes' is not one of" in str(caught.value)


def test_bad_unknown_fields_argument() -> None:
    with pytest.raises(ValueError):
        validate([], "loose")  # type: ignore[arg-type]
