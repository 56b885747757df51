"""What a user sees of issue 16's findings on a live daemon: the default-mode Pod Security warnings at their
lines, procMount Unmasked made with the Engine API's fields (and refused without hostUsers: false), NUL refused
in a container's texts, and binary ConfigMap/Secret data mounted byte for byte."""
from __future__ import annotations

import base64
import json

import pytest

from tests.helpers import docker, exec_out, run_cli
from tests.helpers import BUSYBOX, LOOP

pytestmark = pytest.mark.docker

BINARY = b"a\x00b\xffc\x00\xfed"          # 8 bytes: NULs that would read as placeholders, bytes that are not UTF-8


def test_up_warns_per_field_at_its_line_and_unmasked_proc_runs(pod_name: str, manifest) -> None:
    path = manifest(f"""
apiVersion: v1
kind: Pod
metadata: {{name: {pod_name}}}
spec:
  terminationGracePeriodSeconds: 1
  hostUsers: false
  containers:
  - name: app
    image: {BUSYBOX}
    command: ["sh", "-c", "{LOOP}"]
    ports: [{{containerPort: 80, hostPort: 18391}}]
    securityContext:
      procMount: Unmasked
      seccompProfile: {{type: Unconfined}}
      appArmorProfile: {{type: Unconfined}}
""")
    result = run_cli("up", "-d", "-f", path, env={"PODCOMPOSE_HOST_IP": ""})
    assert result.code == 0, result.stderr
    shown = result.stdout + result.stderr
    for line, words in ((12, "0.0.0.0"), (14, "procMount 'Unmasked'"), (15, "without a seccomp filter"),
                        (16, "without AppArmor confinement")):
        assert f"{path}:{line}:" in shown and words in shown, (line, shown)
    host_config = json.loads(docker("inspect", f"{pod_name}_app"))[0]["HostConfig"]
    assert host_config["MaskedPaths"] == [] and host_config["ReadonlyPaths"] == []
    assert not any("systempaths" in o for o in host_config.get("SecurityOpt") or [])
    # /proc/kcore is masked (bound to /dev/null) in a default container, not here
    assert exec_out(pod_name, "app", "sh", "-c", "grep -c ' /proc/kcore ' /proc/self/mountinfo || true") == "0"


def test_unmasked_proc_without_host_users_false_and_nul_are_refused_at_their_lines(pod_name: str,
                                                                                  manifest) -> None:
    path = manifest(f"""
apiVersion: v1
kind: Pod
metadata: {{name: {pod_name}}}
spec:
  containers:
  - name: app
    image: {BUSYBOX}
    args: ["a\\0b"]
    env: [{{name: X, value: "\\0envfile:[x]\\0"}}]
    securityContext: {{procMount: Unmasked}}
""")
    result = run_cli("up", "-d", "-f", path)
    assert result.code != 0
    shown = result.stdout + result.stderr
    assert f"{path}:9:" in shown and f"{path}:10:" in shown and "NUL" in shown
    assert f"{path}:11:" in shown and "`hostUsers` must be false to use `Unmasked`" in shown
    assert "internal error" not in shown
    assert docker("ps", "-aq", "--filter", f"label=io.podcompose.pod={pod_name}") == ""


def test_binary_config_map_and_secret_data_are_mounted_byte_for_byte(pod_name: str, manifest) -> None:
    encoded = base64.b64encode(BINARY).decode()
    path = manifest(f"""
apiVersion: v1
kind: ConfigMap
metadata: {{name: {pod_name}-bin}}
binaryData: {{blob: {encoded}}}
---
apiVersion: v1
kind: Secret
metadata: {{name: {pod_name}-sec}}
data: {{blob: {encoded}}}
---
apiVersion: v1
kind: Pod
metadata: {{name: {pod_name}}}
spec:
  terminationGracePeriodSeconds: 1
  volumes:
  - {{name: cm, configMap: {{name: {pod_name}-bin}}}}
  - {{name: sec, secret: {{secretName: {pod_name}-sec}}}}
  - name: both
    projected:
      sources:
      - configMap: {{name: {pod_name}-bin, items: [{{key: blob, path: cm}}]}}
      - downwardAPI: {{items: [{{path: uid, fieldRef: {{fieldPath: metadata.uid}}}}]}}
  containers:
  - name: app
    image: {BUSYBOX}
    command: ["sh", "-c", "{LOOP}"]
    volumeMounts:
    - {{name: cm, mountPath: /cm}}
    - {{name: sec, mountPath: /sec}}
    - {{name: both, mountPath: /both}}
""")
    result = run_cli("up", "-d", "-f", path)
    assert result.code == 0, result.stderr
    want = " ".join(f"{b:03o}" for b in BINARY)
    for file in ("/cm/blob", "/sec/blob", "/both/cm"):
        assert exec_out(pod_name, "app", "wc", "-c", file).split()[0] == "8", file
        octal = exec_out(pod_name, "app", "od", "-An", "-b", file)
        assert " ".join(octal.split()) == want, (file, octal)
    assert exec_out(pod_name, "app", "sh", "-c", "cmp /cm/blob /sec/blob && cmp /cm/blob /both/cm && echo same") \
        == "same"
    uid = exec_out(pod_name, "app", "cat", "/both/uid")
    assert len(uid) == 36 and "\x00" not in uid        # the downward file beside it still resolved
