"""validate(): ports, ConfigMap/Secret references, env sources, probes, hooks and quantities,
at their file:line:column."""
from __future__ import annotations

from podcompose.load import load_text
from podcompose.validate import validate
from tests.validation import CONFIG, POD, check


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
