"""validate(): Deployments and Jobs checked at their template paths, and host ports across pods and replicas."""
from __future__ import annotations

from tests.validation import check


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
