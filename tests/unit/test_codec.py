"""The desired state's JSON: every model value comes back as it went, union members included."""
from __future__ import annotations

from pathlib import Path

import pytest

from podcompose import codec
from podcompose.runtime.store import DesiredPod
from podcompose.load import load_files, load_text
from podcompose.pods import pods_from_documents
from podcompose.probes_model import GRPCAction, HTTPGetAction, TCPSocketAction

ROOT = Path(__file__).resolve().parents[2]

PROBES = """\
apiVersion: v1
kind: Pod
metadata: {name: probes}
spec:
  containers:
  - name: app
    image: busybox:1
    livenessProbe: {grpc: {port: 2379}}
    readinessProbe: {tcpSocket: {port: 80}}
    startupProbe: {httpGet: {port: 80}}
    lifecycle:
      preStop: {sleep: {seconds: 1}}
"""


def test_probe_handlers_that_share_fields_keep_their_kind() -> None:
    pod = pods_from_documents(load_text(PROBES, "pod.yaml"))[0]
    back = codec.loads(DesiredPod, codec.dumps(DesiredPod(pod, "pause:1", "127.0.0.1", "b"))).pod
    app = back.containers[0]
    assert isinstance(app.liveness_probe.handler, GRPCAction)        # type: ignore[union-attr]
    assert isinstance(app.readiness_probe.handler, TCPSocketAction)  # type: ignore[union-attr]
    assert isinstance(app.startup_probe.handler, HTTPGetAction)      # type: ignore[union-attr]
    assert back == pod and back.spec_hash() == pod.spec_hash() and back.sandbox_hash() == pod.sandbox_hash()


@pytest.mark.parametrize("sample", ["samples/javaweb/pod.yaml", "samples/log-sidecar/pod.yaml"])
def test_samples_round_trip(sample: str) -> None:
    for pod in pods_from_documents(load_files([str(ROOT / sample)])):
        assert codec.loads(DesiredPod, codec.dumps(DesiredPod(pod, "p", ""))).pod == pod


def test_another_format_is_refused() -> None:
    with pytest.raises(ValueError, match="desired state format"):
        codec.loads(DesiredPod, b'{"version": 1, "value": {}}')
