"""Secret values never reach podcompose's output, whatever the verb, --debug included.

The pod uses its Secret every way Kubernetes allows (env valueFrom.secretKeyRef,
envFrom secretRef with a prefix, a $(VAR) expansion in env and in the command,
and a secret volume); its container never prints a value. Every verb's stdout
and stderr is searched for each value, and a one-character secret must not
garble anything: the image name still prints whole.
"""
from __future__ import annotations

import base64
import json

import pytest

from tests.helpers import BUSYBOX, docker, run_cli

SECRET = "Zq9-distinctive-S3CRET-value"          # stringData
ENCODED = "kT7-base64-SECRET-payload"            # data, written base64-encoded
ONE = "1"                                        # a one-character secret: in the image tag and everywhere


def manifest_text(pod: str) -> str:
    encoded = base64.b64encode(ENCODED.encode()).decode()
    return f"""apiVersion: v1
kind: Pod
metadata: {{name: {pod}}}
spec:
  terminationGracePeriodSeconds: 1
  volumes:
  - {{name: creds, secret: {{secretName: {pod}-creds}}}}
  containers:
  - name: app
    image: {BUSYBOX}
    command: ["sh", "-c", "test -n \\"$(TOKEN)\\" && echo started; trap 'exit 0' TERM; while true; do sleep 1; done"]
    args: ["--token=$(TOKEN)", "--one=$(ONE)", "plain-$$(TOKEN)"]
    env:
    - {{name: TOKEN, valueFrom: {{secretKeyRef: {{name: {pod}-creds, key: token}}}}}}
    - {{name: ONE, valueFrom: {{secretKeyRef: {{name: {pod}-creds, key: one}}}}}}
    - {{name: AUTH, value: "Bearer $(TOKEN)"}}
    envFrom:
    - secretRef: {{name: {pod}-creds}}
      prefix: S_
    volumeMounts: [{{name: creds, mountPath: /etc/creds}}]
---
apiVersion: v1
kind: Secret
metadata: {{name: {pod}-creds}}
stringData: {{token: {SECRET}, one: "{ONE}"}}
data: {{encoded: {encoded}}}
"""


def assert_clean(what: str, stdout: str, stderr: str) -> None:
    for value in (SECRET, ENCODED, base64.b64encode(ENCODED.encode()).decode()):
        assert value not in stdout, f"{what}: a secret value in stdout:\n{stdout}"
        assert value not in stderr, f"{what}: a secret value in stderr:\n{stderr}"
    # a one-character secret garbles nothing: never replaced inside other text
    assert "busybox:<redacted>" not in stdout + stderr, what
    for name in ("=1", "one=1", "ONE=1"):
        assert f"--one{name}" not in stdout + stderr


@pytest.mark.parametrize("debug", [False, True], ids=["plain", "debug"])
def test_no_verb_prints_a_secret_value(pod_name: str, manifest, debug: bool) -> None:
    path = manifest(manifest_text(pod_name))
    flags = ["--debug"] if debug else []

    def run(*args: str, ok: bool = True):
        result = run_cli(*flags, *args)
        if ok:
            assert result.code == 0, f"{args}: {result.stderr}"
        assert_clean(" ".join(args), result.stdout, result.stderr)
        return result

    for output in ("text", "json"):
        dry = run("up", "--dry-run", "-f", path, "-o", output)
        assert BUSYBOX in dry.stdout                       # the image name prints whole
    dry_plan = json.loads(run("up", "--dry-run", "-f", path, "-o", "json").stdout)
    create = next(s["docker"] for s in dry_plan[0]["steps"] if s["action"] == "StartContainer")
    assert create["environment"]["TOKEN"] == "<redacted>" and create["environment"]["AUTH"] == "<redacted>"
    assert create["environment"]["ONE"] == "<redacted>" and create["environment"]["S_one"] == "<redacted>"
    assert create["command"] == ["--token=$(TOKEN)", "--one=$(ONE)", "plain-$(TOKEN)"]   # as written, $$ unescaped
    assert create["image"] == BUSYBOX

    config = json.loads(run("config", "-f", path, "-o", "json").stdout)
    assert config[0]["containers"][0]["image"] == BUSYBOX
    assert dict(config[0]["containers"][0]["env"])["TOKEN"] == "<redacted>"
    run("config", "-f", path, "-o", "yaml")
    run("validate", "-f", path)

    up = run("up", "-d", "-f", path)
    assert f"pod/{pod_name} running" in up.stdout

    ps_text = run("ps", pod_name)
    assert BUSYBOX in ps_text.stdout
    ps_json = json.loads(run("ps", pod_name, "-o", "json").stdout)
    assert {c["image"] for c in ps_json[0]["containers"] if c["role"] == "app"} == {BUSYBOX}

    described = run("describe", pod_name)
    assert "--token=$(TOKEN)" in described.stdout          # the command as written, never expanded
    assert BUSYBOX in described.stdout
    data = json.loads(run("describe", pod_name, "-o", "json").stdout)
    spec = next(s for s in data["spec"] if s["name"] == "app")
    assert spec["command"][-3:] == ["--token=$(TOKEN)", "--one=$(ONE)", "plain-$(TOKEN)"]
    assert "TOKEN" in spec["env"]                          # names only

    logs = run("logs", pod_name)
    assert "started" in logs.stdout
    run("down", pod_name)


def test_secret_values_stay_out_of_docker_labels(pod_name: str, manifest) -> None:
    path = manifest(manifest_text(pod_name))
    assert run_cli("up", "-d", "-f", path).code == 0
    ids = docker("ps", "-aq", "--filter", f"label=io.podcompose.pod={pod_name}").split()
    for item in json.loads(docker("inspect", *ids)):
        labels = json.dumps(item["Config"]["Labels"])
        assert SECRET not in labels and ENCODED not in labels
    for name in docker("volume", "ls", "-q", "--filter", f"label=io.podcompose.pod={pod_name}").split():
        labels = json.dumps(json.loads(docker("volume", "inspect", name))[0]["Labels"])
        assert SECRET not in labels and ENCODED not in labels
    assert run_cli("down", pod_name).code == 0


def test_errors_do_not_echo_secret_values(pod_name: str, manifest) -> None:
    """A Secret's own field in an error, a failing container's log tail, a Docker error: no value."""
    bad = manifest_text(pod_name).replace(f"stringData: {{token: {SECRET}, one: \"{ONE}\"}}",
                                          f"stringData: {{token: {SECRET}, one: [\"{ONE}\"]}}")
    path = manifest(bad, "bad.yaml")
    for verb in (["validate", "-f", path], ["config", "-f", path], ["up", "--dry-run", "-f", path]):
        result = run_cli(*verb)
        assert result.code == 1
        assert_clean(" ".join(verb), result.stdout, result.stderr)
        assert "stringData.one" in result.stdout + result.stderr

    # a container that prints its secret and fails at once: up's log tail is redacted
    loud = manifest_text(pod_name).replace('test -n \\"$(TOKEN)\\" && echo started', "echo $(TOKEN); exit 3")
    result = run_cli("up", "-d", "-f", manifest(loud, "loud.yaml"))
    assert result.code == 1
    assert_clean("up of a failing pod", result.stdout, result.stderr)
