"""Issue 9's validation rules, one test per rule: the message, the field path and the line.

Validation (`validate`) reports each rule at file:line:column; the model
(`pods_from_documents`) applies the same rule (podcompose.rules) to what is
only known when a pod is built, a subPathExpr after `$(VAR)` expansion.
"""
from __future__ import annotations

import time
from textwrap import dedent

import pytest

from podcompose import rules
from podcompose.errors import ManifestError, Problem, printable, shown
from podcompose.expand import expand, expand_strict
from podcompose.load import load_text
from podcompose.model import pod_names
from podcompose.pods import pods_from_documents
from podcompose.validate import validate

POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  volumes:
  - {name: data, emptyDir: {}}
  containers:
  - name: app
    image: nginx:1.27
"""
MOUNTS = POD + "    volumeMounts:\n"


def errors(text: str) -> list[str]:
    return [str(p) for p in validate(load_text(dedent(text), "pod.yaml")) if p.severity == "error"]


def model_error(text: str) -> list[str]:
    """The errors `config` (the model) gives: validation's, word for word (one rule book)."""
    documents = load_text(dedent(text), "pod.yaml")
    with pytest.raises(ManifestError) as caught:
        pods_from_documents(documents)
    problems = [str(p) for p in caught.value.problems]
    assert problems == errors(text)
    return problems


def mounts(*lines: str, env: str = "") -> str:
    return MOUNTS + "".join(f"    - {line}\n" for line in lines) + env


def model(text: str):
    documents = load_text(dedent(text), "pod.yaml")
    assert errors(text) == []
    return pods_from_documents(documents)[0]


# --- subPath ---------------------------------------------------------------------------

def test_sub_path_may_not_be_absolute() -> None:
    assert errors(mounts("{name: data, mountPath: /x, subPath: /etc}")) == [
        "pod.yaml:12:44: spec.containers[0].volumeMounts[0].subPath: '/etc' must be a relative path "
        "(inside the volume), not an absolute one"]


def test_sub_path_may_not_hold_dot_dot() -> None:
    assert errors(mounts("{name: data, mountPath: /x, subPath: a/../../etc}")) == [
        "pod.yaml:12:44: spec.containers[0].volumeMounts[0].subPath: 'a/../../etc' must be a relative path "
        "without '..'"]
    assert errors(mounts("{name: data, mountPath: /x, subPath: a/..b/c..}")) == []  # names, not '..'


def test_sub_path_is_never_expanded() -> None:
    text = mounts("{name: data, mountPath: /x, subPath: $(DIR)}", "{name: data, mountPath: /y, subPath: '$$(DIR)'}",
                  env="    env: [{name: DIR, value: /etc}]\n")
    assert [m.sub_path for m in model(text).containers[0].volume_mounts] == ["$(DIR)", "$$(DIR)"]


def test_sub_path_and_sub_path_expr_are_exclusive() -> None:
    text = mounts("{name: data, mountPath: /x, subPath: a, subPathExpr: b}")
    assert errors(text) == [
        "pod.yaml:12:60: spec.containers[0].volumeMounts[0].subPathExpr: subPath and subPathExpr are mutually "
        "exclusive: set one of them"]


# --- subPathExpr -----------------------------------------------------------------------

def test_sub_path_expr_as_written_must_be_relative_without_dot_dot() -> None:
    assert errors(mounts("{name: data, mountPath: /x, subPathExpr: /$(A)}", "{name: data, mountPath: /y, "
                         "subPathExpr: $(A)/..}", env="    env: [{name: A, value: a}]\n")) == [
        "pod.yaml:12:48: spec.containers[0].volumeMounts[0].subPathExpr: '/$(A)' must be a relative path "
        "(inside the volume), not an absolute one",
        "pod.yaml:13:48: spec.containers[0].volumeMounts[1].subPathExpr: '$(A)/..' must be a relative path "
        "without '..'"]


def test_sub_path_expr_expanded_from_literal_env_must_stay_inside() -> None:
    env = "    env: [{name: ROOT, value: /etc}, {name: UP, value: ..}, {name: A, value: .}, {name: B, value: $(A).}]\n"
    text = mounts("{name: data, mountPath: /x, subPathExpr: $(ROOT)}", "{name: data, mountPath: /y, "
                  "subPathExpr: logs/$(UP)}", "{name: data, mountPath: /z, subPathExpr: $(B)}", env=env)
    assert errors(text) == [
        "pod.yaml:12:48: spec.containers[0].volumeMounts[0].subPathExpr: subPathExpr '$(ROOT)' expands to an "
        "absolute path: it must stay inside the volume",
        "pod.yaml:13:48: spec.containers[0].volumeMounts[1].subPathExpr: subPathExpr 'logs/$(UP)' expands to a "
        "path with '..': it must stay inside the volume",
        "pod.yaml:14:48: spec.containers[0].volumeMounts[2].subPathExpr: subPathExpr '$(B)' expands to a "
        "path with '..': it must stay inside the volume"]


def test_sub_path_expr_needs_its_variables_set() -> None:
    text = mounts("{name: data, mountPath: /x, subPathExpr: a/$(NOPE)/$(EMPTY)}", env="    env: [{name: EMPTY}]\n")
    assert errors(text) == [
        "pod.yaml:12:48: spec.containers[0].volumeMounts[0].subPathExpr: subPathExpr 'a/$(NOPE)/$(EMPTY)' refers "
        "to $(NOPE), $(EMPTY), which the container's env does not set (or sets empty)"]
    # envFrom may set anything: validation reads the env as the model builds it
    with_env_from = text + "    envFrom: [{configMapRef: {name: c, optional: true}}]\n"
    assert model_error(with_env_from) == [
        "pod.yaml:12:48: spec.containers[0].volumeMounts[0].subPathExpr: subPathExpr 'a/$(NOPE)/$(EMPTY)' refers "
        "to $(NOPE), $(EMPTY), which the container's env does not set (or sets empty)"]


SOURCES = """\
---
apiVersion: v1
kind: ConfigMap
metadata: {name: paths}
data: {up: "..", abs: /etc, ok: logs}
---
apiVersion: v1
kind: Secret
metadata: {name: token}
stringData: {dir: /root}
"""


def test_model_refuses_a_sub_path_expr_that_expands_outside_the_volume() -> None:
    env = ("    env:\n    - {name: UP, valueFrom: {configMapKeyRef: {name: paths, key: up}}}\n"
           "    - {name: DIR, valueFrom: {secretKeyRef: {name: token, key: dir}}}\n"
           "    envFrom: [{configMapRef: {name: paths}, prefix: P_}]\n")
    text = mounts("{name: data, mountPath: /x, subPathExpr: a/$(UP)}", "{name: data, mountPath: /y, "
                  "subPathExpr: $(DIR)}", "{name: data, mountPath: /z, subPathExpr: $(P_abs)}", env=env) + SOURCES
    problems = model_error(text)
    assert problems == [
        "pod.yaml:12:48: spec.containers[0].volumeMounts[0].subPathExpr: subPathExpr 'a/$(UP)' expands to a path "
        "with '..': it must stay inside the volume",
        "pod.yaml:13:48: spec.containers[0].volumeMounts[1].subPathExpr: subPathExpr '$(DIR)' expands to an "
        "absolute path: it must stay inside the volume",
        "pod.yaml:14:48: spec.containers[0].volumeMounts[2].subPathExpr: subPathExpr '$(P_abs)' expands to an "
        "absolute path: it must stay inside the volume"]
    assert not any("/root" in p for p in problems)  # a Secret's value is never echoed


def test_model_keeps_the_expanded_sub_path() -> None:
    env = ("    env:\n    - {name: POD, valueFrom: {fieldRef: {fieldPath: metadata.name}}}\n"
           "    - {name: LOGS, valueFrom: {configMapKeyRef: {name: paths, key: ok}}}\n")
    text = mounts("{name: data, mountPath: /x, subPathExpr: $(LOGS)/$(POD)}",
                  "{name: data, mountPath: /y, subPathExpr: '$$(POD)/x'}", env=env) + SOURCES
    assert [m.sub_path for m in model(text).containers[0].volume_mounts] == ["logs/web", "$(POD)/x"]


def test_expand_strict_names_unset_and_empty_variables() -> None:
    assert expand_strict("$(A)/$(B)/$$(C)/$(D)", {"A": "a", "B": ""}) == ("a//$(C)/", ["B", "D"])
    assert expand("$(A)/$(D)", {"A": "a"}) == "a/$(D)"  # command/args/env leave an unknown reference as written


# --- configMap and secret volume files ---------------------------------------------------

VOLUME = POD.replace("  - {name: data, emptyDir: {}}\n", "  - name: conf\n    {source}\n")


def volume(source: str) -> str:
    return VOLUME.replace("{source}", source) + SOURCES


def test_item_path_must_be_relative_without_dot_dot() -> None:
    text = volume("configMap: {name: paths, items: [{key: ok, path: ../../etc/x}, {key: ok, path: /etc/x}, "
                  "{key: ok, path: a/../b}]}")
    assert errors(text) == [
        "pod.yaml:8:54: spec.volumes[0].configMap.items[0].path: '../../etc/x' must be a relative path without '..'",
        "pod.yaml:8:84: spec.volumes[0].configMap.items[1].path: '/etc/x' must be a relative path (inside the "
        "volume), not an absolute one",
        "pod.yaml:8:109: spec.volumes[0].configMap.items[2].path: 'a/../b' must be a relative path without '..'"]


def test_item_path_may_not_start_with_dot_dot_nor_be_empty() -> None:
    text = volume("secret: {secretName: token, items: [{key: dir, path: ..data}, {key: dir, path: ''}]}")
    assert errors(text) == [
        "pod.yaml:8:58: spec.volumes[0].secret.items[0].path: '..data' may not start with '..'",
        "pod.yaml:8:84: spec.volumes[0].secret.items[1].path: required field is missing: the file name inside "
        "the volume"]


def test_item_and_data_keys_may_not_start_with_dot_dot() -> None:
    text = volume("configMap: {name: paths, items: [{key: ..up, path: up}]}")
    text = text.replace('data: {up: "..",', 'data: {..up: x, up: "..",')
    assert errors(text) == [
        "pod.yaml:8:44: spec.volumes[0].configMap.items[0].key: key '..up' is not valid: it may not start with '..'",
        "pod.yaml:16:8: data...up: key '..up' is not valid: it may not start with '..'"]


def test_modes_are_between_0_and_0777() -> None:
    text = volume("configMap: {name: paths, defaultMode: 01000, items: [{key: ok, path: ok, mode: -1}, "
                  "{key: ok, path: ok2, mode: 0777}]}")
    assert errors(text) == [
        "pod.yaml:8:43: spec.volumes[0].configMap.defaultMode: 512 (octal 1000) is not a file mode: it must be "
        "between 0 and 0777 in octal (written 0644 in YAML), 0 and 511 in decimal",
        "pod.yaml:8:84: spec.volumes[0].configMap.items[0].mode: -1 is not a file mode: it must be "
        "between 0 and 0777 in octal (written 0644 in YAML), 0 and 511 in decimal"]
    assert errors(volume("secret: {secretName: token, defaultMode: 4096}")) == [
        "pod.yaml:8:46: spec.volumes[0].secret.defaultMode: 4096 (octal 10000) is not a file mode: it must be "
        "between 0 and 0777 in octal (written 0644 in YAML), 0 and 511 in decimal"]



def test_an_empty_dir_mode_is_between_0_and_01777() -> None:
    assert errors(volume("emptyDir: {mode: 01777}")) == []
    assert errors(volume("emptyDir: {mode: 02777}")) == [
        "pod.yaml:8:22: spec.volumes[0].emptyDir.mode: 1535 (octal 2777) is not an emptyDir mode: it must be "
        "between 0 and 01777 in octal (written 01777 in YAML), 0 and 1023 in decimal; setuid and setgid are not "
        "allowed"]
    assert errors(volume("emptyDir: {mode: -1}"))[0].startswith("pod.yaml:8:22: spec.volumes[0].emptyDir.mode: -1 is")

# --- hostPath --------------------------------------------------------------------------

def host(path: str, kind: str = "") -> str:
    source = f"hostPath: {{path: {path}{', type: ' + kind if kind else ''}}}"
    return POD.replace("  - {name: data, emptyDir: {}}\n", f"  - name: data\n    {source}\n")


def test_host_path_must_be_absolute() -> None:
    assert errors(host("var/log")) == [
        "pod.yaml:8:22: spec.volumes[0].hostPath.path: 'var/log' must be an absolute path on the host"]
    assert errors(host("''")) == [
        "pod.yaml:8:22: spec.volumes[0].hostPath.path: required field is missing: the absolute path on the host"]


def test_host_path_may_not_hold_dot_dot() -> None:
    assert errors(host("/var/../etc")) == [
        "pod.yaml:8:22: spec.volumes[0].hostPath.path: '/var/../etc' may not contain '..'"]


def test_host_path_type_is_one_of_the_kubernetes_types() -> None:
    assert errors(host("/var", "Dir")) == [
        "pod.yaml:8:34: spec.volumes[0].hostPath.type: 'Dir' is not a hostPath type: use one of DirectoryOrCreate, "
        "Directory, FileOrCreate, File, Socket, CharDevice, BlockDevice (or leave it unset)"]
    for kind in rules.HOST_PATH_TYPES:
        assert errors(host("/var", repr(kind))) == [], kind


def test_host_path_root_and_colons_are_kept_whole() -> None:
    text = host("/", "Directory").replace("    image: nginx:1.27\n", "    image: nginx:1.27\n    volumeMounts: "
                                          "[{name: data, mountPath: '/host:ro'}]\n")
    pod = model(text)
    assert (pod.volumes[0].host_path, pod.volumes[0].host_path_type) == ("/", "Directory")
    assert pod.containers[0].volume_mounts[0].mount_path == "/host:ro"
    assert model(host("/srv/a:b")).volumes[0].host_path == "/srv/a:b"


# --- replicas --------------------------------------------------------------------------

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  replicas: REPLICAS
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers: [{name: api, image: "api:1"}]
"""


def test_replicas_may_not_be_negative() -> None:
    assert errors(DEPLOYMENT.replace("REPLICAS", "-1")) == [
        "pod.yaml:5:13: spec.replicas: -1 is negative: replicas must be at least 0"]


def test_replicas_have_a_documented_limit_and_never_hang() -> None:
    assert rules.MAX_REPLICAS == 100
    assert errors(DEPLOYMENT.replace("REPLICAS", "100")) == []
    started = time.monotonic()
    assert errors(DEPLOYMENT.replace("REPLICAS", "100000000")) == [
        "pod.yaml:5:13: spec.replicas: replicas 100000000 is more than podcompose runs on one host: at most 100 "
        "(each replica is a pod on this one Docker Engine)"]
    # `down -f` names pods from files it does not validate
    with pytest.raises(ManifestError) as caught:
        pod_names(load_text(DEPLOYMENT.replace("REPLICAS", "100000000"), "pod.yaml"))
    assert str(caught.value).startswith("pod.yaml:5:13: spec.replicas: replicas 100000000 is more than")
    assert time.monotonic() - started < 5
    assert len(pod_names(load_text(DEPLOYMENT.replace("REPLICAS", "3"), "pod.yaml"))) == 3


# --- integers and quantities -----------------------------------------------------------

def test_integers_beyond_their_go_type_are_refused() -> None:
    text = POD + ("    securityContext: {runAsUser: 9223372036854775808}\n"
                  "  terminationGracePeriodSeconds: -9223372036854775809\n")
    assert errors(text) == [
        "pod.yaml:11:34: spec.containers[0].securityContext.runAsUser: 9223372036854775808 is out of range: this "
        "field is an int64 (-9223372036854775808 to 9223372036854775807)",
        "pod.yaml:12:34: spec.terminationGracePeriodSeconds: -9223372036854775809 is out of range: this field is "
        "an int64 (-9223372036854775808 to 9223372036854775807)"]
    assert errors(DEPLOYMENT.replace("REPLICAS", "2147483648")) == [
        "pod.yaml:5:13: spec.replicas: 2147483648 is out of range: this field is an int32 (-2147483648 to "
        "2147483647)"]


def test_a_huge_integer_is_described_not_printed() -> None:
    text = POD + f"    securityContext: {{runAsUser: {'9' * 4000}}}\n"
    assert errors(text) == [
        "pod.yaml:11:34: spec.containers[0].securityContext.runAsUser: an integer of about 4000 digits is out of "
        "range: this field is an int64 (-9223372036854775808 to 9223372036854775807)"]
    with pytest.raises(ManifestError) as caught:  # beyond Python's int() limit: a located error, not ValueError
        load_text(POD + f"    securityContext: {{runAsUser: {'9' * 5000}}}\n", "pod.yaml")
    assert str(caught.value).startswith("pod.yaml:11:34: YAML syntax error: the number '9999")
    assert "(5000 characters) is far too large for any field" in str(caught.value)
    assert len(str(caught.value)) < 500


def test_quantities_beyond_int64_are_refused() -> None:
    text = POD + "    resources: {limits: {cpu: 9223372036854776, memory: 8Ei}, requests: {memory: 7Ei, cpu: 9e15}}\n"
    assert errors(text) == [
        "pod.yaml:11:31: spec.containers[0].resources.limits.cpu: 9223372036854776 is out of range: more than "
        "9223372036854775807 millicores (int64)",
        "pod.yaml:11:57: spec.containers[0].resources.limits.memory: '8Ei' is out of range: more than "
        "9223372036854775807 bytes (int64)"]
    text = POD.replace("emptyDir: {}", "emptyDir: {sizeLimit: 1e19}")
    assert errors(text) == [
        "pod.yaml:7:40: spec.volumes[0].emptyDir.sizeLimit: '1e19' is out of range: more than 9223372036854775807 "
        "bytes (int64)"]


# --- null list items -------------------------------------------------------------------

@pytest.mark.parametrize("field,where,text", [
    ("env", "spec.containers[0].env[0]", POD + "    env: [null]\n"),
    ("ports", "spec.containers[0].ports[0]", POD + "    ports: [null]\n"),
    ("volumeMounts", "spec.containers[0].volumeMounts[0]", POD + "    volumeMounts: [null]\n"),
    ("command", "spec.containers[0].command[1]", POD + "    command: [sh, null]\n"),
    ("envFrom", "spec.containers[0].envFrom[0]", POD + "    envFrom: [null]\n"),
    ("containers", "spec.containers[1]", POD + "  - null\n"),
    ("volumes", "spec.volumes[1]", POD.replace("  containers:", "  - null\n  containers:")),
    ("initContainers", "spec.initContainers[0]", POD + "  initContainers: [null]\n"),
])
def test_null_list_items_are_located_errors(field: str, where: str, text: str) -> None:
    found = errors(text)
    assert len(found) == 1, found
    line = next(i for i, line in enumerate(text.splitlines(), 1)
                if f"{field}: [" in line or (field in ("containers", "volumes") and line == "  - null"))
    assert found[0].startswith(f"pod.yaml:{line}:")
    assert found[0].endswith(f": {where}: a list item may not be null (an empty '- ' entry?): remove it or give it "
                             "a value")


def test_a_null_item_in_a_deployment_template() -> None:
    text = DEPLOYMENT.replace("REPLICAS", "1").replace('[{name: api, image: "api:1"}]', '[null]')
    assert errors(text) == ["pod.yaml:10:20: spec.template.spec.containers[0]: a list item may not be null "
                            "(an empty '- ' entry?): remove it or give it a value"]


# --- what errors echo ------------------------------------------------------------------

def test_long_values_are_cut_in_messages() -> None:
    text = POD + f"    imagePullPolicy: {'x' * 100000}\n"
    [message] = errors(text)
    assert message.startswith("pod.yaml:11:22: spec.containers[0].imagePullPolicy: 'xxxxx")
    assert "... (100000 characters) is not one of Always, IfNotPresent, Never" in message
    assert len(message) < 250
    assert shown("y" * 81) == repr("y" * 80) + "... (81 characters)" and shown("y" * 80) == repr("y" * 80)


def test_long_keys_and_lines_are_cut() -> None:
    key = "k" * 1000  # YAML allows no longer implicit key
    [message] = errors(POD + f"    {key}: 1\n")
    assert message.startswith(f"pod.yaml:11:5: spec.containers[0].{'k' * 80}...: unknown field '{'k' * 80}'... "
                              "(1000 characters)")
    with pytest.raises(ManifestError) as caught:
        load_text("a: [" + "x, " * 3000 + " : ]\n", "pod.yaml")
    text = str(caught.value)
    assert len(text) < 400
    source, caret = text.splitlines()[1:3]
    assert source[caret.index("^")] == ":"


def test_control_characters_are_escaped_in_values_keys_and_paths() -> None:
    text = POD.replace("  name: web\n", '  name: web\n  labels: {"\\e[31mkey": "\\e]0;title\\a"}\n') + \
        '    "\\e[2Jcolour": "\\u202eblue"\n    imagePullPolicy: "Never\\x9b"\n'
    found = errors(text)
    assert found and all(c.isprintable() or c == "\n" for message in found for c in message), found
    assert "spec.containers[0].\\x1b[2Jcolour: unknown field '\\x1b[2Jcolour'" in "\n".join(found)
    assert "metadata.labels.\\x1b[31mkey: key '\\x1b[31mkey' is not valid" in "\n".join(found)
    assert str(Problem("bad \x1b[31m\nnext\u202e", path="a.\x07")) == "a.\\x07: bad \\x1b[31m\nnext\\u202e"
    assert printable("tab\there") == "tab\\there"


def test_schema_errors_never_echo_secret_values() -> None:
    text = dedent("""\
        apiVersion: v1
        kind: Secret
        metadata: {name: s}
        stringData: {password: 314159265, pin: [2718]}
        data: {token: 16180339}
        """)
    found = [str(p) for p in validate(load_text(text, "s.yaml")) if p.severity == "error"]
    assert found == [
        "s.yaml:4:24: stringData.password: expected a string, got a value that is not (Secret values are not "
        "shown): quote it",
        "s.yaml:4:40: stringData.pin: expected a string, got a value that is not (Secret values are not shown): "
        "quote it",
        "s.yaml:5:15: data.token: expected a string, got a value that is not (Secret values are not shown): "
        "quote it"]
    found = [str(p) for p in validate(load_text(text.replace("{password: 314159265, pin: [2718]}", "hunter2"),
                                                "s.yaml")) if p.severity == "error"]
    assert found[0] == "s.yaml:4:13: stringData: expected a mapping, got a value that is not (Secret values are " \
                       "not shown)"
    assert not any(secret in message for message in found for secret in ("hunter2", "16180339"))


def test_recursive_read_only_is_located_when_the_mount_is_writable_or_propagates() -> None:
    assert errors(mounts("{name: data, mountPath: /d, recursiveReadOnly: Enabled}")) == [
        "pod.yaml:12:54: spec.containers[0].volumeMounts[0].recursiveReadOnly: recursiveReadOnly Enabled may only "
        "be specified when readOnly is true"]
    assert errors(mounts("{name: data, mountPath: /d, readOnly: true, recursiveReadOnly: IfPossible}")) == []
