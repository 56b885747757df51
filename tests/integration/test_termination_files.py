"""Termination-message files a hostile container cannot grow, share or leave behind (issue 16)."""
from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path

import pytest

from podcompose.runtime import termination
from tests.helpers import docker, run_cli
from tests.helpers import BUSYBOX, LOOP, wait_until

pytestmark = pytest.mark.docker


def as_nobody(command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["runuser", "-u", "nobody", "--", "sh", "-c", command], capture_output=True, text=True)


@pytest.mark.skipif(os.geteuid() != 0, reason="the agent mounts the files' tmpfs as root")
def test_a_50_mb_message_keeps_4096_root_only_bytes_and_old_attempts_go(pod_name: str, manifest) -> None:
    path = manifest(f"""
apiVersion: v1
kind: Pod
metadata: {{name: {pod_name}}}
spec:
  terminationGracePeriodSeconds: 1
  restartPolicy: OnFailure
  containers:
  - {{name: big, image: {BUSYBOX}, command: ["sh", "-c", "yes | head -c 50000000 > /dev/termination-log; exit 1"]}}
  - {{name: other, image: {BUSYBOX}, command: ["sh", "-c", {json.dumps(LOOP)}]}}
""")
    run_cli("up", "-d", "-f", path)

    def big_after_two_restarts() -> dict:
        pods = json.loads(run_cli("ps", pod_name, "-o", "json").stdout or "[]")
        found = [c for c in (pods[0]["containers"] if pods else []) if c["name"] == "big"]
        return found[0] if found and found[0]["restarts"] >= 2 and found[0].get("message") else {}
    big = wait_until(big_after_two_restarts, timeout=120, what="the third attempt of big to exit")
    assert big["message"] == "y\n" * 2048                       # 4096 bytes, as the kubelet reads them
    assert "message: y" in run_cli("describe", pod_name).stdout

    pod_dir = Path(termination.termination_dir("default", pod_name))
    attempts = sorted(p for p in pod_dir.iterdir() if p.name.startswith("big."))
    assert len(attempts) == 2                                   # the current attempt and the previous one
    for directory in (pod_dir.parent.parent, pod_dir.parent, pod_dir, *attempts):
        info = directory.stat()
        assert (stat.S_IMODE(info.st_mode), info.st_uid) == (0o700, 0), directory
    for attempt in attempts:
        assert (attempt / termination.MESSAGE_FILE).stat().st_size <= 4096
    message = attempts[0] / termination.MESSAGE_FILE
    assert as_nobody(f"cat {message}").returncode != 0
    assert as_nobody(f"echo forged >> {message}").returncode != 0
    assert "forged" not in message.read_text()

    assert docker("exec", f"{pod_name}_other", "sh", "-c",
                  "echo still works > /dev/termination-log && cat /dev/termination-log") == "still works"

    assert run_cli("down", "-f", path).code == 0
    assert not pod_dir.exists()
    assert str(pod_dir) not in Path("/proc/self/mountinfo").read_text()
