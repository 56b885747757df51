"""validate(): every kind of error, at its exact file:line:column and field path."""
from __future__ import annotations

from textwrap import dedent

import pytest

from podcompose.errors import ManifestError, Problem
from podcompose.load import load_text
from podcompose.validate import OBJECT_KINDS, RUNNABLE_KINDS, require_valid, validate


def check(text: str, unknown_fields: str = "strict", severity: str | None = "error") -> list[str]:
    problems = validate(load_text(dedent(text), "pod.yaml"), unknown_fields)  # type: ignore[arg-type]
    return [str(p) for p in problems if severity is None or p.severity == severity]


POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
  - name: app
    image: nginx:1.27
"""


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


PORTS = POD + """\
    ports:
    - {containerPort: 80, hostPort: 8080}
    - {containerPort: 81, hostPort: 8080, protocol: UDP}
    - {containerPort: 82, hostPort: 9090, hostIP: 127.0.0.1}
  - name: side
    image: busybox
    ports:
    - {containerPort: 90, hostPort: 8080, protocol: TCP}
    - {containerPort: 91, hostPort: 9090, hostIP: 127.0.0.2}
    - {containerPort: 92, hostPort: 9090}
"""


def test_host_port_clash() -> None:
    assert check(PORTS) == [
        "pod.yaml:16:37: spec.containers[1].ports[0].hostPort: hostPort 8080/TCP is already used by "
        "spec.containers[0].ports[0] at line 10",
        "pod.yaml:18:37: spec.containers[1].ports[2].hostPort: hostPort 9090/TCP is already used by "
        "spec.containers[0].ports[2] at line 12",
    ]


def test_port_ranges_and_names() -> None:
    text = POD + ("    ports:\n    - {containerPort: 0}\n    - {containerPort: 70000, name: Web}\n"
                  "    - {containerPort: 80, name: http}\n    - {containerPort: 81, name: http}\n")
    assert check(text) == [
        "pod.yaml:10:23: spec.containers[0].ports[0].containerPort: 0 is out of range: must be between 1 and 65535",
        "pod.yaml:11:23: spec.containers[0].ports[1].containerPort: 70000 is out of range: must be between 1 and 65535",
        "pod.yaml:11:36: spec.containers[0].ports[1].name: 'Web' is not a valid port name: at most 15 lowercase "
        "letters, digits and '-', with at least one letter",
        "pod.yaml:13:33: spec.containers[0].ports[3].name: duplicate port name 'http' "
        "(also spec.containers[0].ports[2].name at line 12)",
    ]


CONFIG = """\
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {level: debug}
---
apiVersion: v1
kind: Secret
metadata: {name: creds}
stringData: {password: hunter2}
"""


def test_config_map_and_secret_references() -> None:
    text = POD + """\
    env:
    - name: LEVEL
      valueFrom: {configMapKeyRef: {name: settings, key: level}}
    - name: MODE
      valueFrom: {configMapKeyRef: {name: setings, key: mode}}
    - name: COLOUR
      valueFrom: {configMapKeyRef: {name: settings, key: colour}}
    - name: OPTIONAL
      valueFrom: {configMapKeyRef: {name: absent, key: x, optional: true}}
    - name: PASSWORD
      valueFrom: {secretKeyRef: {name: credentials, key: password}}
    envFrom:
    - configMapRef: {name: settings}
    - secretRef: {name: nothing}
  volumes:
  - name: config
    configMap:
      name: settings
      items: [{key: level, path: level.txt}, {key: size, path: size.txt}]
  - name: secret
    secret: {secretName: other}
""" + CONFIG
    assert check(text) == [
        "pod.yaml:13:43: spec.containers[0].env[1].valueFrom.configMapKeyRef.name: ConfigMap 'setings' is not "
        "defined in the loaded manifests; did you mean 'settings'?",
        "pod.yaml:15:58: spec.containers[0].env[2].valueFrom.configMapKeyRef.key: ConfigMap 'settings' has no key "
        "'colour' (it has: level)",
        "pod.yaml:19:40: spec.containers[0].env[4].valueFrom.secretKeyRef.name: Secret 'credentials' is not defined "
        "in the loaded manifests (add its manifest, or set optional: true)",
        "pod.yaml:22:25: spec.containers[0].envFrom[1].secretRef.name: Secret 'nothing' is not defined in the loaded "
        "manifests (add its manifest, or set optional: true)",
        "pod.yaml:27:52: spec.volumes[0].configMap.items[1].key: ConfigMap 'settings' has no key 'size' "
        "(it has: level)",
        "pod.yaml:29:26: spec.volumes[1].secret.secretName: Secret 'other' is not defined in the loaded manifests "
        "(add its manifest, or set optional: true)",
    ]


def test_references_across_files() -> None:
    pod = load_text(POD + "    envFrom: [{configMapRef: {name: settings}}]\n", "pod.yaml")
    config = load_text(CONFIG, "config.yaml")
    assert [str(p) for p in validate(pod)] == [
        "pod.yaml:9:37: spec.containers[0].envFrom[0].configMapRef.name: ConfigMap 'settings' is not defined in "
        "the loaded manifests (add its manifest, or set optional: true)"]
    assert validate(pod + config) == []
    elsewhere = load_text(POD.replace("name: web", "name: web\n  namespace: shop") +
                          "    envFrom: [{configMapRef: {name: settings}}]\n---\n" +
                          CONFIG.replace("name: settings}", "name: settings, namespace: stock}"), "ns.yaml")
    assert [str(p) for p in validate(elsewhere)] == [
        "ns.yaml:10:37: spec.containers[0].envFrom[0].configMapRef.name: ConfigMap 'settings' is in namespace "
        "stock, not shop"]


def test_env_sources() -> None:
    text = POD + """\
    env:
    - {name: A, value: x, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
    - {name: B, valueFrom: {}}
    - {name: C, valueFrom: {fieldRef: {fieldPath: metadata.nam}}}
    - {name: D, valueFrom: {fieldRef: {fieldPath: "metadata.labels['app']"}}}
    - {name: "E=1", value: x}
"""
    assert check(text) == [
        "pod.yaml:10:38: spec.containers[0].env[0].valueFrom: value and valueFrom may not both be set",
        "pod.yaml:11:28: spec.containers[0].env[1].valueFrom: valueFrom needs exactly one of configMapKeyRef, "
        "secretKeyRef, fieldRef, resourceFieldRef, fileKeyRef; it has none",
        "pod.yaml:12:51: spec.containers[0].env[2].valueFrom.fieldRef.fieldPath: 'metadata.nam' is not a field a "
        "container can read; did you mean 'metadata.name'?",
        "pod.yaml:14:14: spec.containers[0].env[4].name: 'E=1' is not a valid variable name (it may not be empty "
        "or contain '=')",
    ]


def test_duplicate_env_is_a_warning() -> None:
    assert check(POD + "    env:\n    - {name: A, value: x}\n    - {name: A, value: y}\n", severity="warning") == [
        "pod.yaml:11:14: warning: spec.containers[0].env[1].name: variable 'A' is set again (first at "
        "spec.containers[0].env[0].name at line 10); this later value wins"]


def test_probes_and_hooks() -> None:
    text = POD + """\
    livenessProbe: {exec: {command: [true]}, httpGet: {port: 80}}
    lifecycle:
      preStop: {}
  initContainers:
  - name: setup
    image: busybox
    readinessProbe: {tcpSocket: {port: 80}}
"""
    assert check(text) == [
        "pod.yaml:9:20: spec.containers[0].livenessProbe: a probe needs exactly one handler of exec, httpGet, "
        "tcpSocket, grpc; it has exec and httpGet",
        'pod.yaml:9:38: spec.containers[0].livenessProbe.exec.command[0]: expected a string, got a boolean (true); '
        'quote it: "true" (YAML reads true as a boolean)',
        "pod.yaml:11:16: spec.containers[0].lifecycle.preStop: preStop needs exactly one handler of exec, httpGet, "
        "tcpSocket, sleep; it has none",
        "pod.yaml:15:21: spec.initContainers[0].readinessProbe: readinessProbe is not allowed on an init container "
        "unless it is a sidecar (restartPolicy: Always)",
    ]


def test_bad_quantities_are_errors_at_their_line() -> None:
    text = POD + """\
    resources:
      limits: {cpu: 2 cores, memory: 1GB}
      requests:
        cpu: "-1"
        memory: 2Gi
        memroy: 1Gi
  volumes:
  - name: scratch
    emptyDir: {sizeLimit: 1.5.Gi}
  - name: fast
    emptyDir: {medium: Memory, sizeLimit: 64Mi}
"""
    assert check(text) == [
        "pod.yaml:10:21: spec.containers[0].resources.limits.cpu: '2 cores' is not a valid quantity "
        "(e.g. 500m, 0.5, 128Mi, 1Gi, 1e3)",
        "pod.yaml:10:38: spec.containers[0].resources.limits.memory: '1GB' is not a valid quantity "
        "(e.g. 500m, 0.5, 128Mi, 1Gi, 1e3)",
        "pod.yaml:12:14: spec.containers[0].resources.requests.cpu: -1 is negative: a quantity here must be at least 0",
        "pod.yaml:14:9: spec.containers[0].resources.requests.memroy: 'memroy' is not a resource: use cpu, memory, "
        "ephemeral-storage, pids or hugepages-<size>; did you mean 'memory'?",
        "pod.yaml:17:27: spec.volumes[0].emptyDir.sizeLimit: '1.5.Gi' is not a valid quantity "
        "(e.g. 500m, 0.5, 128Mi, 1Gi, 1e3)",
    ]


def test_request_above_limit() -> None:
    text = POD + "    resources:\n      limits: {memory: 1Gi}\n      requests: {memory: 2Gi}\n"
    assert check(text) == [
        "pod.yaml:11:26: spec.containers[0].resources.requests.memory: the request 2Gi is more than the limit 1Gi "
        "(spec.containers[0].resources.limits.memory)"]


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


DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: app
        image: nginx:1.27
"""


def test_deployment_pod_checks_use_template_paths() -> None:
    assert check(DEPLOYMENT, severity=None) == []
    text = DEPLOYMENT + "        imagePullPolicy: Sometimes\n        volumeMounts: [{name: data, mountPath: /d}]\n"
    assert check(text) == [
        "pod.yaml:16:26: spec.template.spec.containers[0].imagePullPolicy: 'Sometimes' is not one of Always, "
        "IfNotPresent, Never",
        "pod.yaml:17:31: spec.template.spec.containers[0].volumeMounts[0].name: no volume named 'data' in "
        "spec.template.spec.volumes",
    ]


def test_deployment_selector_and_restart_policy() -> None:
    text = DEPLOYMENT.replace("labels: {app: web}", "labels: {app: api}") + "      restartPolicy: Never\n"
    assert check(text) == [
        "pod.yaml:8:5: spec.selector: the selector does not match the template's labels "
        "(spec.template.metadata.labels)",
        "pod.yaml:16:22: spec.template.spec.restartPolicy: a Deployment's pods must use restartPolicy Always",
    ]
    assert check(DEPLOYMENT.replace("  selector:\n    matchLabels: {app: web}\n", "")) == [
        "pod.yaml:5:1: spec.selector: required field is missing"]


JOB = """\
apiVersion: batch/v1
kind: Job
metadata:
  name: pi
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: pi
        image: perl:5.34.0
        command: ["perl", "-e", "print 1"]
"""


def test_job() -> None:
    assert check(JOB, severity=None) == []
    assert check(JOB.replace("Never", "Always")) == [
        "pod.yaml:8:22: spec.template.spec.restartPolicy: a Job's pod must use restartPolicy Never or OnFailure"]
    assert check(JOB.replace("      restartPolicy: Never\n", ""), severity="warning") == [
        "pod.yaml:7:5: warning: spec.template.spec.restartPolicy: a Job's pod needs restartPolicy Never or "
        "OnFailure; Kubernetes rejects a Job without it (podcompose uses Never)"]
    assert check(JOB.replace("command: [", "command: sh -c [")) == [
        "pod.yaml:12:18: spec.template.spec.containers[0].command: command must be a list of strings, "
        "e.g. [\"sh\", \"-c\", \"...\"], got a string ('sh -c [\"perl\", \"-e\", \"print 1\"]')"]


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


def test_host_ports_clash_across_pods_and_replicas() -> None:
    from podcompose.load import load_text as _load
    from podcompose.validate import validate as _validate

    text = """apiVersion: v1
kind: Pod
metadata: {name: a}
spec:
  containers:
  - {name: c, image: x:1, ports: [{containerPort: 80, hostPort: 8080}]}
---
apiVersion: v1
kind: Pod
metadata: {name: b}
spec:
  containers:
  - {name: c, image: x:1, ports: [{containerPort: 80, hostPort: 8080, hostIP: 127.0.0.1}, {containerPort: 81, hostPort: 8080, protocol: UDP}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec:
  replicas: 2
  selector: {matchLabels: {app: d}}
  template:
    metadata: {labels: {app: d}}
    spec:
      containers:
      - {name: c, image: x:1, ports: [{containerPort: 80, hostPort: 9090}]}
"""
    errors = [str(p) for p in _validate(_load(text, "m.yaml")) if p.severity == "error"]
    assert errors == [
        "m.yaml:13:65: spec.containers[0].ports[0].hostPort: hostPort 8080/TCP is also published by Pod 'a' at m.yaml:6:65",
        "m.yaml:25:69: spec.template.spec.containers[0].ports[0].hostPort: hostPort 9090/TCP cannot be published by "
        "2 replicas on one host: use replicas: 1 or drop the hostPort",
    ]


def test_malformed_container_lists_never_break_the_cross_pod_port_check() -> None:
    from podcompose.load import load_text as _load
    from podcompose.validate import validate as _validate

    text = """apiVersion: v1
kind: Pod
metadata: {name: a}
spec:
  containers: true
  initContainers: [{name: i, image: x:1, ports: 5}, 7]
"""
    messages = [p.message for p in _validate(_load(text, "m.yaml"))]
    assert messages and not [m for m in messages if "internal error" in m]
