"""ReplicaSet, StatefulSet and DaemonSet: validation at file:line, pod names, a StatefulSet's identity."""
from __future__ import annotations

import pytest

from podcompose import support
from podcompose.errors import ManifestError
from podcompose.load import load_text
from podcompose.model import pod_names
from podcompose.pods import pods_from_documents
from podcompose.validate import validate

STATEFULSET = """\
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
spec:
  replicas: 2
  serviceName: dbs
  selector:
    matchLabels: {app: db}
  template:
    metadata:
      labels: {app: db}
    spec:
      containers:
      - name: c
        image: busybox:1.36
        volumeMounts: [{name: data, mountPath: /data}]
  volumeClaimTemplates:
  - metadata: {name: data}
    spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
"""

REPLICASET = """\
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: rs
spec:
  replicas: 3
  selector:
    matchLabels: {app: rs}
  template:
    metadata:
      labels: {app: rs}
    spec:
      containers:
      - name: c
        image: busybox:1.36
"""

DAEMONSET = """\
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
spec:
  selector:
    matchLabels: {app: agent}
  template:
    metadata:
      labels: {app: agent}
    spec:
      containers:
      - name: c
        image: busybox:1.36
"""


def problems(text: str, severity: str | None = "error") -> list[str]:
    return [str(p) for p in validate(load_text(text, "w.yaml")) if severity is None or p.severity == severity]


def test_the_three_kinds_are_valid_as_written() -> None:
    for text in (STATEFULSET, REPLICASET, DAEMONSET):
        assert problems(text, severity=None) == []


def test_pod_names() -> None:
    documents = load_text(STATEFULSET + "---\n" + REPLICASET + "---\n" + DAEMONSET, "w.yaml")
    assert [n for _, n in pod_names(documents)] == ["db-0", "db-1", "rs-0", "rs-1", "rs-2", "agent"]
    assert [p.name for p in pods_from_documents(documents)] == ["db-0", "db-1", "rs-0", "rs-1", "rs-2", "agent"]


def test_statefulset_ordinals_start() -> None:
    text = STATEFULSET.replace("  serviceName: dbs\n", "  ordinals: {start: 5}\n")
    assert [n for _, n in pod_names(load_text(text, "w.yaml"))] == ["db-5", "db-6"]
    assert problems(text.replace("start: 5", "start: -1")) == [
        "w.yaml:7:21: spec.ordinals.start: -1 is negative: must be at least 0"]


def test_statefulset_pod_identity_and_claims() -> None:
    pods = pods_from_documents(load_text(STATEFULSET, "w.yaml"))
    for ordinal, pod in enumerate(pods):
        assert pod.hostname == f"db-{ordinal}" and pod.subdomain == "dbs"
        assert dict(pod.labels) == {"app": "db", "statefulset.kubernetes.io/pod-name": f"db-{ordinal}",
                                    "apps.kubernetes.io/pod-index": str(ordinal)}
        (volume,) = pod.volumes
        assert (volume.name, volume.kind, volume.claim_name) == ("data", "persistentVolumeClaim", f"data-db-{ordinal}")
        assert volume.claim_declared   # the StatefulSet controller makes it: no "made on first use" note


def test_statefulset_identity_overrides_the_template() -> None:
    text = STATEFULSET.replace("    spec:\n      containers:", "    spec:\n      hostname: h\n      subdomain: s\n"
                                                               "      containers:")
    text = text.replace("  serviceName: dbs\n", "")
    pod = pods_from_documents(load_text(text, "w.yaml"))[0]
    assert (pod.hostname, pod.subdomain) == ("db-0", "")


def test_a_claim_template_replaces_the_volume_of_its_name_with_a_warning() -> None:
    text = STATEFULSET.replace("      containers:", "      volumes:\n      - name: data\n        emptyDir: {}\n"
                                                  "      - name: tmp\n        emptyDir: {}\n      containers:")
    assert problems(text, severity="warning") == [
        "w.yaml:24:22: warning: spec.volumeClaimTemplates[0].metadata.name: this claim replaces the pod's volume "
        "'data' at w.yaml:15:9, as Kubernetes does"]
    pod = pods_from_documents(load_text(text, "w.yaml"))[0]
    assert [(v.name, v.kind) for v in pod.volumes] == [("data", "persistentVolumeClaim"), ("tmp", "emptyDir")]


def test_claim_template_names() -> None:
    twice = STATEFULSET + "  - metadata: {name: data}\n"
    assert problems(twice, severity="warning") == [
        "w.yaml:21:22: warning: spec.volumeClaimTemplates[1].metadata.name: volumeClaimTemplate 'data' is defined "
        "twice (first at w.yaml:19:22): Kubernetes uses the last one"]
    assert problems(STATEFULSET.replace("{name: data}", "{labels: {a: b}}")) == [
        "w.yaml:17:31: spec.template.spec.containers[0].volumeMounts[0].name: no volume named 'data' in "
        "spec.template.spec.volumes",
        "w.yaml:19:5: spec.volumeClaimTemplates[0].metadata.name: required field is missing: the claim is named "
        "<this name>-<set>-<ordinal>"]
    assert problems(STATEFULSET.replace("name: data", "name: Data")) == [
        "w.yaml:19:22: spec.volumeClaimTemplates[0].metadata.name: 'Data' is not a valid name (DNS-1123 label): "
        "use at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit; "
        "did you mean 'data'?"]


def test_statefulset_names_are_dns_labels() -> None:
    assert problems(STATEFULSET.replace("name: db", "name: db.v1")) == [
        "w.yaml:4:9: metadata.name: a StatefulSet's name must be a DNS label: 'db.v1' is not a valid name "
        "(DNS-1123 label): use at most 63 lowercase letters, digits and '-', starting and ending with a letter or "
        "digit; did you mean 'db-v1'?"]
    long = "d" * 62
    assert problems(STATEFULSET.replace("name: db", f"name: {long}"))[0].startswith(
        f"w.yaml:4:9: metadata.name: pod '{long}-1' of this StatefulSet gets its name as hostname, which must be "
        "a DNS label")


@pytest.mark.parametrize("text, kind, selector, line", [
    (STATEFULSET, "StatefulSet", 9, 13), (REPLICASET, "ReplicaSet", 8, 12), (DAEMONSET, "DaemonSet", 7, 11)])
def test_controller_rules(text: str, kind: str, selector: int, line: int) -> None:
    broken = text.replace("labels: {app:", "labels: {tier:").replace(
        "    spec:\n      containers:", "    spec:\n      restartPolicy: OnFailure\n      activeDeadlineSeconds: 5\n"
                                        "      containers:")
    assert problems(broken) == [
        f"w.yaml:{selector}:5: spec.selector: the selector does not match the template's labels "
        "(spec.template.metadata.labels)",
        f"w.yaml:{line + 1}:22: spec.template.spec.restartPolicy: a {kind}'s pods must use restartPolicy Always",
        f"w.yaml:{line + 2}:7: spec.template.spec.activeDeadlineSeconds: activeDeadlineSeconds is not allowed in a "
        f"{kind}'s pods: they run until the controller removes them",
    ]
    missing = text.replace("  selector:\n", "  unused:\n").replace("  unused:\n    matchLabels: {app: ", "  x: {y: ")
    assert [p for p in problems(missing) if "selector" in p][0].endswith("spec.selector: required field is missing")


def test_replicas_and_min_ready_seconds() -> None:
    assert problems(REPLICASET.replace("replicas: 3", "replicas: -1\n  minReadySeconds: -2")) == [
        "w.yaml:6:13: spec.replicas: -1 is negative: replicas must be at least 0",
        "w.yaml:7:20: spec.minReadySeconds: -2 is negative: must be at least 0"]
    assert problems(STATEFULSET.replace("replicas: 2", "replicas: 101")) == [
        "w.yaml:6:13: spec.replicas: replicas 101 is more than podcompose runs on one host: at most 100 (each "
        "replica is a pod on this one Docker Engine)"]
    with pytest.raises(ManifestError):
        pod_names(load_text(STATEFULSET.replace("replicas: 2", "replicas: 100000000"), "w.yaml"))


def test_a_replicaset_needs_a_template() -> None:
    assert problems("apiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {name: rs}\n"
                    "spec:\n  selector: {matchLabels: {a: b}}\n") == [
        "w.yaml:4:1: spec.template: required field is missing"]


def test_host_port_with_replicas() -> None:
    text = STATEFULSET.replace("        volumeMounts:", "        ports: [{containerPort: 80, hostPort: 8080}]\n"
                                                    "        volumeMounts:")
    assert problems(text) == [
        "w.yaml:17:47: spec.template.spec.containers[0].ports[0].hostPort: hostPort 8080/TCP cannot be published "
        "by 2 replicas on one host: use replicas: 1 or drop the hostPort"]


def test_scheduling_fields_are_noted_once_per_template() -> None:
    text = REPLICASET.replace("    spec:\n      containers:", "    spec:\n      nodeSelector: {disk: ssd}\n"
                                                              "      containers:")
    assert problems(text, severity="note") == [
        "w.yaml:13:7: note: ignored: spec.template.spec.nodeSelector: no meaning on a single Docker host "
        "(no scheduler)"]


def test_controller_fields_warn_and_never_refuse() -> None:
    text = STATEFULSET.replace("  serviceName: dbs\n", "  serviceName: dbs\n  podManagementPolicy: Parallel\n"
                                                      "  updateStrategy: {type: OnDelete}\n  minReadySeconds: 5\n")
    found = problems(text, severity=None)
    assert [p.split(": ")[1] for p in found] == ["warning"] * 3
    assert "spec.podManagementPolicy will not be applied (no controller loop yet" in found[0]
    assert problems(DAEMONSET.replace("spec:\n  selector", "spec:\n  revisionHistoryLimit: 3\n  selector"),
                    severity=None) == [
        "w.yaml:6:3: note: ignored: spec.revisionHistoryLimit: no ControllerRevision history without an API server"]


def test_support_rows() -> None:
    for kind in ("ReplicaSet", "StatefulSet", "DaemonSet"):
        for path in ("spec.selector", "spec.template"):
            assert support.lookup(path, kind).status == support.SUPPORTED  # type: ignore[union-attr]
        assert support.lookup("spec.minReadySeconds", kind).reason == support.NO_CONTROLLER  # type: ignore[union-attr]
    for path in ("spec.volumeClaimTemplates", "spec.serviceName", "spec.ordinals", "spec.replicas"):
        assert support.lookup(path, "StatefulSet").status == support.SUPPORTED  # type: ignore[union-attr]
    lines = support.markdown_table().splitlines()
    assert any(line.startswith("| `StatefulSet spec.podManagementPolicy` | not yet | no controller loop yet")
               for line in lines)
