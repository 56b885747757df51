"""Notes for ignored fields, warnings for unsupported ones, from the one support table."""
from __future__ import annotations

from textwrap import dedent

from podcompose import support
from podcompose.load import load_text
from podcompose.validate import validate

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


def findings(text: str) -> list[str]:
    return [str(p) for p in validate(load_text(dedent(text), "pod.yaml")) if p.severity != "error"]


def test_ignored_fields_give_one_note_each() -> None:
    text = POD + "  nodeSelector: {disktype: ssd}\n  tolerations: [{key: a, operator: Exists}]\n" \
                 "  priorityClassName: high\n"
    assert findings(text) == [
        "pod.yaml:9:3: note: ignored: spec.nodeSelector: no meaning on a single Docker host (no scheduler)",
        "pod.yaml:10:3: note: ignored: spec.tolerations: no meaning on a single Docker host (no scheduler)",
        "pod.yaml:11:3: note: ignored: spec.priorityClassName: no scheduler or eviction on one host",
    ]


def test_unsupported_fields_give_a_warning_each() -> None:
    text = POD + "    volumeDevices: [{name: disk, devicePath: /dev/xvda}]\n" \
                 "  - name: side\n    image: busybox\n    restartPolicyRules: [{action: Restart}]\n"
    assert findings(text) == [
        "pod.yaml:9:5: warning: not supported yet: spec.containers[0].volumeDevices will not be applied "
        "(a raw block device comes from a claim with volumeMode: Block; a podcompose claim is a Docker volume, "
        "a file system)",
        "pod.yaml:12:5: warning: not supported yet: spec.containers[1].restartPolicyRules will not be applied "
        "(restart rules (KEP-5307) go with a container-level restartPolicy, which only sidecars have here: the pod's "
        "restartPolicy decides every other container's restarts)",
    ]
    probes = POD + "    livenessProbe: {httpGet: {path: /, port: 80}}\n    lifecycle: {preStop: {sleep: {seconds: 1}}}\n"
    assert findings(probes) == []          # the node agent runs probes and hooks


def test_unlisted_sub_fields_are_unsupported() -> None:
    text = POD + "    securityContext:\n      runAsUser: 1000\n      windowsOptions: {runAsUserName: x}\n" \
                 "    resources:\n      limits: {cpu: 500m, memory: 64Mi, ephemeral-storage: 1Gi}\n"
    assert findings(text) == [
        "pod.yaml:11:7: warning: not supported yet: spec.containers[0].securityContext.windowsOptions "
        "will not be applied (Linux containers only)",
        "pod.yaml:13:41: warning: not supported yet: spec.containers[0].resources.limits.ephemeral-storage "
        "will not be applied",
    ]


def test_supported_fields_and_defaults_are_silent() -> None:
    text = POD + """\
    imagePullPolicy: IfNotPresent
    command: [sh, -c, "sleep 1"]
    workingDir: /srv
    env:
    - {name: A, value: "1"}
    - {name: B, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
    ports: [{containerPort: 80, hostPort: 8080, protocol: TCP, name: http}]
    volumeMounts: [{name: data, mountPath: /data, readOnly: true, subPath: x}]
    resources: {limits: {cpu: "1", memory: 1Gi}}
    securityContext: {runAsUser: 1, runAsGroup: 1, privileged: false, readOnlyRootFilesystem: true,
                      capabilities: {add: [NET_ADMIN], drop: [ALL]}}
    stdin: true
    tty: true
    terminationMessagePolicy: File
  initContainers:
  - {name: sidecar, image: busybox, restartPolicy: Always}
  volumes:
  - {name: data, emptyDir: {medium: Memory, sizeLimit: 64Mi}}
  restartPolicy: OnFailure
  terminationGracePeriodSeconds: 3
  shareProcessNamespace: true
  hostNetwork: false
  hostPID: false
  hostname: web
  dnsPolicy: ClusterFirst
  nodeSelector: {}
  enableServiceLinks: false
"""
    assert findings(text) == []


def test_init_containers_inherit_container_rows() -> None:
    text = POD + "  initContainers:\n  - name: init\n    image: busybox\n" \
                 "    volumeDevices: [{name: disk, devicePath: /dev/xvda}]\n    restartPolicy: Always\n"
    assert findings(text) == [
        "pod.yaml:12:5: warning: not supported yet: spec.initContainers[0].volumeDevices will not be applied "
        "(a raw block device comes from a claim with volumeMode: Block; a podcompose claim is a Docker volume, a file system)"]


def test_deployment_and_job_rows_and_template_paths() -> None:
    deployment = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  strategy: {type: Recreate}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      affinity: {}
      nodeName: node-1
      containers: [{name: app, image: nginx, resizePolicy: [{resourceName: cpu, restartPolicy: NotRequired}]}]
"""
    assert findings(deployment) == [
        "pod.yaml:6:3: note: ignored: spec.strategy: no rolling updates: a changed pod is recreated",
        "pod.yaml:12:7: note: ignored: spec.template.spec.nodeName: one Docker host is the only node",
        "pod.yaml:13:46: warning: not supported yet: spec.template.spec.containers[0].resizePolicy will not be "
        "applied (in-place resize does not apply: podcompose recreates a changed pod)",
    ]
    job = """\
apiVersion: batch/v1
kind: Job
metadata: {name: pi}
spec:
  backoffLimit: 4
  completions: 1
  template:
    spec:
      restartPolicy: Never
      containers: [{name: pi, image: perl}]
"""
    assert findings(job) == [
        "pod.yaml:5:3: warning: not supported yet: spec.backoffLimit will not be applied "
        "(no Job controller yet (planned with controller support): the template's pod runs once, a failed one is "
        "not replaced)"]


def test_unknown_fields_get_no_support_warning() -> None:
    text = POD + "    colour: blue\n"
    problems = validate(load_text(text, "pod.yaml"), "ignore")
    assert problems == []


def test_lookup_and_review() -> None:
    assert support.lookup("spec.containers[*].livenessProbe").status == support.SUPPORTED  # type: ignore[union-attr]
    assert support.lookup("spec.containers[*].volumeDevices").status == support.UNSUPPORTED  # type: ignore[union-attr]
    assert support.lookup("spec.initContainers[*].restartPolicy").status == support.SUPPORTED  # type: ignore[union-attr]
    assert support.lookup("spec.containers[*].restartPolicy").status == support.UNSUPPORTED  # type: ignore[union-attr]
    assert support.lookup("spec.initContainers[*].image").status == support.SUPPORTED  # type: ignore[union-attr]
    assert support.lookup("spec.replicas", "Deployment").status == support.SUPPORTED  # type: ignore[union-attr]
    assert support.lookup("spec.noSuchField") is None
    spec = {"containers": [{"name": "a", "volumeDevices": [{"name": "d"}]}], "nodeSelector": {"a": "b"}}
    assert [(path, row.status) for path, row in support.review(spec, ("spec",))] == [
        (("spec", "containers", 0, "volumeDevices"), "unsupported"), (("spec", "nodeSelector"), "ignored")]


def test_markdown_table() -> None:
    table = support.markdown_table()
    lines = table.splitlines()
    assert lines[0] == "| Field | Status | Notes |"
    assert "| `spec.containers[*].livenessProbe` | supported |  |" in lines
    assert "| `spec.containers[*].volumeDevices` | not yet | a raw block device comes from a claim with volumeMode: Block; a podcompose claim is a Docker volume, a file system |" in lines
    assert "| `spec.nodeSelector` | ignored | no meaning on a single Docker host (no scheduler) |" in lines
    assert "| `spec.containers[*].image` | supported |  |" in lines
    assert "| `Deployment spec.replicas` | supported |  |" in lines
    assert len([line for line in lines if line.startswith("| `")]) == \
        len(support.POD_FIELDS) + sum(len(rows) for rows in support.WORKLOAD_FIELDS.values())
