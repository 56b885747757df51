"""Probes, hooks, per-container restartPolicy and activeDeadlineSeconds in the Pod model."""
from __future__ import annotations

from dataclasses import replace

import pytest

from podcompose.errors import ManifestError
from podcompose.load import load_text
from podcompose.pods import pods_from_documents
from podcompose.probes_model import (PROBE_DEFAULTS, ExecAction, GRPCAction, HTTPGetAction, Probe, SleepAction,
                                     TCPSocketAction, probe_problems)


def pod(spec: str):
    text = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n" + spec
    return pods_from_documents(load_text(text, "m.yaml"))[0]


def test_probe_defaults_are_kubernetes_defaults_and_defined_once() -> None:
    assert PROBE_DEFAULTS == {"initialDelaySeconds": 0, "periodSeconds": 10, "timeoutSeconds": 1,
                              "successThreshold": 1, "failureThreshold": 3}
    p = pod("""
  containers:
  - name: a
    image: x:1
    livenessProbe: {exec: {command: [cat, /ok]}}
""").containers[0].liveness_probe
    assert p == Probe(ExecAction(("cat", "/ok")), 0, 10, 1, 1, 3)


def test_every_probe_handler_and_named_ports() -> None:
    c = pod("""
  containers:
  - name: a
    image: x:1
    ports: [{name: web, containerPort: 8080}]
    livenessProbe:
      httpGet: {path: /healthz, port: web, host: localhost, scheme: HTTPS,
                httpHeaders: [{name: X-Custom, value: v}]}
      initialDelaySeconds: 3
      periodSeconds: 2
      timeoutSeconds: 4
      failureThreshold: 5
      terminationGracePeriodSeconds: 7
    readinessProbe: {tcpSocket: {port: 8080}, successThreshold: 2}
    startupProbe: {grpc: {port: 9090, service: health}}
""").containers[0]
    assert c.liveness_probe == Probe(HTTPGetAction(8080, "/healthz", "localhost", "HTTPS", (("X-Custom", "v"),)),
                                     3, 2, 4, 1, 5, termination_grace_seconds=7)
    assert c.readiness_probe is not None and c.readiness_probe.handler == TCPSocketAction(8080)
    assert c.readiness_probe.success_threshold == 2
    assert c.startup_probe is not None and c.startup_probe.handler == GRPCAction(9090, "health")


def test_http_get_defaults_to_loopback_and_root_path() -> None:
    c = pod("""
  containers:
  - name: a
    image: x:1
    readinessProbe: {httpGet: {port: "8080"}}
""").containers[0]
    assert c.readiness_probe is not None
    assert c.readiness_probe.handler == HTTPGetAction(8080, "/", "127.0.0.1", "HTTP", ())


def test_an_unknown_port_name_is_an_error_at_its_field() -> None:
    with pytest.raises(ManifestError) as error:
        pod("""
  containers:
  - name: a
    image: x:1
    ports: [{name: web, containerPort: 8080}]
    livenessProbe: {httpGet: {port: admin}}
""")
    text = str(error.value)
    assert "spec.containers[0].livenessProbe.httpGet.port" in text and "admin" in text and "web" in text


def test_lifecycle_hooks() -> None:
    c = pod("""
  containers:
  - name: a
    image: x:1
    lifecycle:
      postStart: {exec: {command: [sh, -c, "echo hi"]}}
      preStop: {sleep: {seconds: 5}}
  - name: b
    image: x:1
    lifecycle:
      postStart: {httpGet: {port: 80, path: /start}}
      preStop: {tcpSocket: {port: 80}}
""").containers
    assert c[0].lifecycle.post_start == ExecAction(("sh", "-c", "echo hi"))
    assert c[0].lifecycle.pre_stop == SleepAction(5)
    assert c[1].lifecycle.post_start == HTTPGetAction(80, "/start")
    assert c[1].lifecycle.pre_stop == TCPSocketAction(80)


def test_sidecar_restart_policy_and_active_deadline() -> None:
    p = pod("""
  activeDeadlineSeconds: 30
  restartPolicy: Never
  initContainers:
  - {name: side, image: x:1, restartPolicy: Always, startupProbe: {exec: {command: ["true"]}}}
  - {name: setup, image: x:1}
  containers:
  - {name: a, image: x:1}
""")
    assert p.active_deadline_seconds == 30
    assert [(c.name, c.role, c.restart_policy) for c in p.init_containers] == \
        [("side", "sidecar", "Always"), ("setup", "init", "Never")]
    assert p.init_containers[0].startup_probe is not None


def test_per_container_hash_changes_with_that_container_only() -> None:
    p = pod("""
  containers:
  - {name: a, image: x:1}
  - {name: b, image: x:1}
""")
    a, b = p.containers
    changed = replace(a, image="x:2")
    assert changed.spec_hash() != a.spec_hash()
    assert b.spec_hash() == pod("""
  containers:
  - {name: a, image: x:2}
  - {name: b, image: x:1}
""").containers[1].spec_hash()
    assert a.spec_hash() == replace(a).spec_hash()
    with_probe = replace(a, readiness_probe=Probe(TCPSocketAction(80)))
    assert with_probe.spec_hash() != a.spec_hash()


def test_sandbox_hash_ignores_app_containers_but_not_pod_fields() -> None:
    p = pod("""
  containers:
  - {name: a, image: x:1}
""")
    assert replace(p, containers=(replace(p.containers[0], image="x:2"),)).sandbox_hash() == p.sandbox_hash()
    assert replace(p, hostname="other").sandbox_hash() != p.sandbox_hash()


def test_probe_problems_for_validation() -> None:
    assert probe_problems("readiness", {"successThreshold": 2, "periodSeconds": 0}) == []
    assert probe_problems("readiness", {"periodSeconds": -1}) == \
        [(("periodSeconds",), "periodSeconds must be at least 0")]
    assert probe_problems("liveness", {"successThreshold": 2}) == \
        [(("successThreshold",), "successThreshold must be 1 for a liveness probe")]


def test_fields_at_their_default_stay_out_of_the_hashes() -> None:
    # a podcompose that models one more field (at its default) gives running pods the same hashes
    from podcompose.model import _hashed

    from textwrap import dedent

    p = pods_from_documents(load_text(dedent("""
        apiVersion: v1
        kind: Pod
        metadata: {name: web}
        spec:
          containers:
          - {name: app, image: busybox:1}
        """), "pod.yaml"))[0]
    hashed = _hashed(p.containers[0])
    assert "liveness_probe" not in hashed and "lifecycle" not in hashed and hashed["name"] == "app"
    assert "active_deadline_seconds" not in _hashed(p)
