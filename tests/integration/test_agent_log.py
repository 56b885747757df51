"""What a pod prints never reaches the agent's log as a Secret in clear or as a line of the agent (issue 16)."""
from __future__ import annotations

from pathlib import Path

import pytest

from podcompose.agent.process import AgentFiles
from tests.helpers import run_cli
from tests.helpers import BUSYBOX, LOOP, wait_until

pytestmark = pytest.mark.docker

FORGED = "2026-01-01 00:00:00,000 INFO podcompose.agent: agent 1 started"


def agent_log_text() -> str:
    log = AgentFiles.current().log
    return "".join(p.read_text(errors="replace") for p in sorted(Path(log.parent).glob(log.name + "*")))


def test_a_probe_printing_a_secret_and_forged_lines_is_logged_cleaned_on_one_line(pod_name: str, manifest) -> None:
    secret = f"pc-s3cr3t-{pod_name}"
    forged = f"{FORGED} (forged by {pod_name})"
    probe = f"echo token $TOKEN; printf '\\n{forged}\\n'; exit 1"
    path = manifest(f"""
apiVersion: v1
kind: Secret
metadata: {{name: {pod_name}-creds}}
stringData: {{token: {secret}}}
---
apiVersion: v1
kind: Pod
metadata: {{name: {pod_name}}}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: {BUSYBOX}
    command: ["sh", "-c", "{LOOP}"]
    env:
    - {{name: TOKEN, valueFrom: {{secretKeyRef: {{name: {pod_name}-creds, key: token}}}}}}
    readinessProbe:
      exec: {{command: ["sh", "-c", "{probe}"]}}
      periodSeconds: 1
    livenessProbe:
      exec: {{command: ["sh", "-c", "{probe}"]}}
      periodSeconds: 1
      failureThreshold: 1000
""")
    assert run_cli("up", "-d", "-f", path).code == 0

    def probe_lines() -> list[str]:
        lines = [line for line in agent_log_text().splitlines() if pod_name in line and "probe failed" in line]
        kinds = {kind for line in lines for kind in ("Readiness", "Liveness") if f"{kind} probe failed" in line}
        return lines if len(kinds) == 2 else []
    lines = wait_until(probe_lines, timeout=60, what="both failed probes in the agent's log")
    text = agent_log_text()
    assert secret not in text
    assert all("token <redacted>" in line for line in lines), lines
    assert all(f"\\n{forged}\\n" in line for line in lines), lines
    assert not [line for line in text.splitlines() if line.startswith(forged)]
    assert run_cli("down", "-f", path).code == 0
