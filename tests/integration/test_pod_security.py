"""--pod-security against the live daemon: a violation creates nothing; a compliant pod runs."""
from __future__ import annotations

import pytest

from tests.helpers import BUSYBOX, LOOP, labelled, run_cli

RESTRICTED_CONTAINER = """    securityContext:
      runAsNonRoot: true
      runAsUser: 1000
      allowPrivilegeEscalation: false
      capabilities: {drop: [ALL]}
      seccompProfile: {type: RuntimeDefault}"""


def pod_text(pod: str, security: str = "", spec: str = "") -> str:
    return f"""apiVersion: v1
kind: Pod
metadata: {{name: {pod}}}
spec:
  terminationGracePeriodSeconds: 1
{spec}
  containers:
  - name: app
    image: {BUSYBOX}
    command: ["sh", "-c", "{LOOP}"]
{security}
"""


PRIVILEGED = "    securityContext: {privileged: true}"
HOST_NETWORK = "  hostNetwork: true"   # what only the privileged level allows (this CI's runc refuses privileged)
HOST_PORT = "    ports: [{containerPort: 80, hostPort: 18089}]"

# level -> (a violation with its rule, a compliant container)
CASES = {
    "baseline": ((PRIVILEGED, "privileged", "spec.containers[0].securityContext.privileged", 11), ""),
    "restricted": (("    securityContext: {runAsUser: 1000}", "allowPrivilegeEscalation",
                    "spec.containers[0].securityContext.allowPrivilegeEscalation", 11), RESTRICTED_CONTAINER),
}


@pytest.mark.parametrize("level", ["baseline", "restricted"])
def test_a_violation_is_refused_with_nothing_created(pod_name: str, manifest, level: str) -> None:
    (violation, rule, field, line), _ = CASES[level]
    path = manifest(pod_text(pod_name, violation))
    for args in (["--pod-security", level, "up", "-d", "-f", path], ["up", "-d", f"--pod-security={level}", "-f", path]):
        result = run_cli(*args)
        assert result.code == 1, result.stderr
        assert f"{path}:{line}:" in result.stderr and field in result.stderr and f"(rule {rule})" in result.stderr
        assert labelled(pod_name) == ([], [])
    env = run_cli("up", "-d", "-f", path, env={"PODCOMPOSE_POD_SECURITY": level})
    assert env.code == 1 and f"(rule {rule})" in env.stderr
    assert labelled(pod_name) == ([], [])
    dry = run_cli("--pod-security", level, "up", "--dry-run", "-f", path)
    valid = run_cli("--pod-security", level, "validate", "-f", path)
    assert dry.code == valid.code == 1
    assert f"(rule {rule})" in dry.stderr and f"(rule {rule})" in valid.stdout


@pytest.mark.parametrize("level", ["privileged", "baseline", "restricted"])
def test_a_compliant_pod_is_accepted_and_runs(pod_name: str, manifest, level: str) -> None:
    if level == "privileged":
        path = manifest(pod_text(pod_name, spec=HOST_NETWORK))
    else:
        path = manifest(pod_text(pod_name, CASES[level][1]))
    result = run_cli("--pod-security", level, "up", "-d", "--wait", "-f", path)
    assert result.code == 0, result.stderr
    assert "Pod Security" not in result.stderr          # an explicit level: no host-access warning
    assert f"pod/{pod_name} running" in result.stdout
    if level == "restricted":
        assert run_cli("exec", pod_name, "--", "id", "-u").stdout.strip() == "1000"
    assert run_cli("down", pod_name).code == 0


def test_without_a_level_host_access_is_warned_once_and_runs(pod_name: str, manifest) -> None:
    path = manifest(pod_text(pod_name, "    securityContext: {capabilities: {add: [SYS_PTRACE]}}\n" + HOST_PORT,
                             spec="  volumes: [{name: h, hostPath: {path: /etc}}]"))
    result = run_cli("up", "-d", "-f", path, env={"PODCOMPOSE_POD_SECURITY": ""})
    assert result.code == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if "Pod Security Standard" in line]
    assert len(warnings) == 1 and "hostPort" not in warnings[0]
    assert "capabilities_baseline" in warnings[0] and "hostPathVolumes" in warnings[0]
    assert f"pod/{pod_name} running" in result.stdout
    assert run_cli("down", pod_name).code == 0
