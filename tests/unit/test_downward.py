"""The downward API's pure parts: field rules, the kubelet's rounding, placeholders, volumes and claims in the model."""
from __future__ import annotations

import base64
import json
import textwrap
from dataclasses import replace
from decimal import Decimal

import pytest

from podcompose import downward
from podcompose.errors import ManifestError
from podcompose.load import load_text
from podcompose.pods import pods_from_documents
from podcompose.translate import container_create_args, is_tmpfs, pause_create_args, volume_create_args
from podcompose.validate import validate

VALUES = downward.RuntimeValues(uid="u-1", pod_ips=("172.17.0.5",), host_ip="10.0.0.2", node_cpu=4,
                                node_memory=8 * 2**30, node_storage=100 * 10**9)


def pod_of(text: str):
    return pods_from_documents(load_text(textwrap.dedent(text)))[0]


@pytest.mark.parametrize(("resource", "amount", "divisor", "expected"), [
    ("limits.cpu", "250m", None, "1"),          # cpu rounds up to whole cores
    ("limits.cpu", "250m", "1m", "250"),
    ("limits.cpu", "1.5", "100m", "15"),
    ("requests.cpu", "1001m", "1", "2"),
    ("limits.memory", "64Mi", None, str(64 * 2**20)),
    ("limits.memory", "64Mi", "1Mi", "64"),
    ("limits.memory", "100M", "1Mi", "96"),     # 95.37 rounds up
    ("requests.ephemeral-storage", "1Gi", "1M", "1074"),
])
def test_resources_are_rounded_up_as_the_kubelet_does(resource: str, amount: str, divisor, expected: str) -> None:
    from podcompose.quantity import parse_quantity

    assert downward.format_resource(resource, parse_quantity(amount), divisor) == expected


def test_unset_requests_default_to_limits_or_zero_and_unset_limits_to_the_node() -> None:
    assert downward.resource_value("requests.cpu", None, {}, {"cpu": "2"}) == "2"
    assert downward.resource_value("requests.memory", None, {}, {}) == "0"
    token = downward.resource_value("limits.cpu", "1m", {}, {})
    assert downward.has_placeholder(token)
    assert downward.resolve(token, VALUES) == "4000"
    assert downward.resolve(downward.resource_value("limits.memory", "1Gi", {}, {}), VALUES) == "8"
    assert downward.resolve(token, None) == "<node allocatable cpu:1m>"


def test_field_rules_are_one_table_for_env_and_volumes() -> None:
    assert downward.field_path_error("status.podIP") is None
    assert downward.field_path_error("metadata.labels['app']") is None
    assert "did you mean 'metadata.name'" in downward.field_path_error("metadata.nam")
    assert downward.field_path_error("metadata.labels") is not None                  # env: only a subscript
    assert downward.field_path_error("metadata.labels", volume=True) is None
    assert "downwardAPI file" in downward.field_path_error("status.podIP", volume=True)
    assert downward.resource_error("limits.gpu") is not None
    assert downward.resource_error("limits.cpu", "0.5m") is not None
    assert downward.resource_error("limits.cpu", "1m") is None


def test_runtime_values_are_placeholders_resolved_at_create_time() -> None:
    pod = pod_of("""
        apiVersion: v1
        kind: Pod
        metadata: {name: web, labels: {app: shop}, annotations: {a: b}}
        spec:
          serviceAccountName: robot
          containers:
          - name: app
            image: busybox:1
            command: [echo, "$(IP)"]
            env:
            - {name: IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}
            - {name: URL, value: "http://$(IP)/"}
            - {name: UID, valueFrom: {fieldRef: {fieldPath: metadata.uid}}}
            - {name: APP, valueFrom: {fieldRef: {fieldPath: "metadata.labels['app']"}}}
            - {name: A, valueFrom: {fieldRef: {fieldPath: "metadata.annotations['a']"}}}
            - {name: SA, valueFrom: {fieldRef: {fieldPath: spec.serviceAccountName}}}
    """)
    container = pod.containers[0]
    env = dict(container.env)
    assert env["APP"] == "shop" and env["A"] == "b" and env["SA"] == "robot"
    assert downward.has_placeholder(env["URL"])
    args = container_create_args(pod, container, "h", values=VALUES)
    assert args["environment"]["IP"] == "172.17.0.5" and args["environment"]["URL"] == "http://172.17.0.5/"
    assert args["environment"]["UID"] == "u-1" and args["entrypoint"] == ["echo", "172.17.0.5"]
    shown = container_create_args(pod, container, "h")        # a dry run
    assert shown["environment"]["IP"] == "<status.podIP>"
    # the uid is the pod's identity, not its spec: a new uid changes no hash
    with_uid = replace(pod, uid="another")
    assert with_uid.spec_hash() == pod.spec_hash() and with_uid.sandbox_hash() == pod.sandbox_hash()
    assert pause_create_args(with_uid, "pause", "h")["labels"]["io.podcompose.pod-uid"] == "another"


def test_downward_projected_claim_and_ephemeral_volumes_in_the_model() -> None:
    pod = pod_of("""
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: cm}
        data: {colour: blue, size: L}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: web, labels: {b: "2", a: "1"}}
        spec:
          containers:
          - {name: app, image: busybox:1, resources: {limits: {memory: 64Mi}}}
          volumes:
          - name: info
            downwardAPI:
              defaultMode: 0440
              items:
              - {path: labels, fieldRef: {fieldPath: metadata.labels}}
              - {path: name, fieldRef: {fieldPath: metadata.name}, mode: 0400}
              - {path: mem, resourceFieldRef: {containerName: app, resource: limits.memory, divisor: 1Mi}}
              - {path: uid, fieldRef: {fieldPath: metadata.uid}}
          - name: all
            projected:
              sources:
              - configMap: {name: cm, items: [{key: colour, path: c}]}
              - configMap: {name: absent, optional: true}
              - serviceAccountToken: {path: token}
          - {name: data, persistentVolumeClaim: {claimName: claim, readOnly: true}}
          - name: scratch
            ephemeral: {volumeClaimTemplate: {spec: {accessModes: [ReadWriteOnce]}}}
    """)
    volumes = {v.name: v for v in pod.volumes}
    files = {path: (content, mode) for path, content, mode in volumes["info"].files}
    assert files["labels"] == (b'a="1"\nb="2"', 0o440)
    assert files["name"] == (b"web", 0o400) and files["mem"] == (b"64", 0o440)
    assert downward.has_placeholder(files["uid"][0])
    assert is_tmpfs(volumes["info"]) and is_tmpfs(volumes["all"])
    projected = {path: content for path, content, _ in volumes["all"].files}
    assert projected["c"] == b"blue" and set(projected) == {"c", "token"}
    claims = json.loads(base64.urlsafe_b64decode(projected["token"].split(b".")[1] + b"=="))
    assert claims["podcompose.io/fake"] is True and claims["sub"] == "system:serviceaccount:default:default"
    data = volumes["data"]
    assert data.kind == "persistentVolumeClaim" and data.claim_name == "claim" and not data.claim_declared
    args = volume_create_args(pod, data, "h")
    assert args["name"] == "default_PVC_claim" and "io.podcompose.pod" not in args["labels"]
    assert volumes["scratch"].kind == "ephemeral"
    assert volume_create_args(pod, volumes["scratch"], "h")["labels"]["io.podcompose.pod"] == "web"


def test_downward_api_mistakes_are_located() -> None:
    text = textwrap.dedent("""
        apiVersion: v1
        kind: Pod
        metadata: {name: web}
        spec:
          containers:
          - name: app
            image: busybox:1
            env: [{name: X, valueFrom: {resourceFieldRef: {resource: limits.gpu}}}]
          volumes:
          - name: info
            downwardAPI:
              items:
              - {path: ip, fieldRef: {fieldPath: status.podIP}}
              - {path: mem, resourceFieldRef: {resource: limits.memory}}
    """)
    problems = [str(p) for p in validate(load_text(text, "pod.yaml")) if p.severity == "error"]
    assert any("env[0].valueFrom.resourceFieldRef.resource: 'limits.gpu' is not a resource" in p for p in problems)
    assert any("items[0].fieldRef.fieldPath: 'status.podIP' is not a field a downwardAPI file" in p
               for p in problems)
    assert any("items[1].resourceFieldRef.containerName: required field is missing" in p for p in problems)
    with pytest.raises(ManifestError):
        pods_from_documents(load_text(text, "pod.yaml"))


def test_format_map_quotes_as_go_does_for_plain_values() -> None:
    assert downward.format_map({"k": 'say "hi"'}) == 'k="say \\"hi\\""'
    assert downward.format_resource("limits.cpu", Decimal("0"), None) == "0"


def test_a_limit_the_container_does_not_set_is_the_pods_then_the_nodes() -> None:
    from podcompose.downward import resource_value

    assert resource_value("limits.memory", "1Mi", {}, {}, {"memory": "64Mi"}) == "64"
    assert resource_value("limits.cpu", "1m", {}, {}, {"cpu": "500m"}) == "500"
    assert resource_value("limits.memory", "1Mi", {}, {"memory": "32Mi"}, {"memory": "64Mi"}) == "32"
    assert resource_value("requests.memory", "1Mi", {}, {}, {"memory": "64Mi"}) == "0"   # requests never
    node = "\x00node:{}:1\x00"                     # the node's allocatable, filled in at run time
    assert resource_value("limits.ephemeral-storage", "1", {}, {}, {"ephemeral-storage": "1Gi"}) == \
        node.format("ephemeral-storage")               # not a pod-level resource
    assert resource_value("limits.memory", "1", {}, {}, {}) == node.format("memory")
