"""`-k DIR`: the manifests of a kustomization, built as `kubectl apply -k` builds them.

kustomize is run, never reimplemented: `kustomize build DIR` when kustomize is on
PATH, else `kubectl kustomize DIR` (kubectl has bundled kustomize since v1.14).
"""
from __future__ import annotations

import re
import shutil
import subprocess

from .errors import PodcomposeError

BUILD_TIMEOUT_SECONDS = 120
# kubectl wraps kustomize's message in a klog line: E1201 21:20:17.9 28982 run.go:72] "command failed" err="..."
_KLOG_ERR = re.compile(r'^[EWIF]\d{4} [\d:.]+\s+\d+ \S+\] "[^"]*" err="(?P<err>.*)"$')


def kustomize_message(stderr: str) -> str:
    """kustomize's own words: kubectl's klog wrapping removed."""
    lines = []
    for line in stderr.strip().splitlines():
        match = _KLOG_ERR.match(line)
        lines.append(match.group("err").replace('\\"', '"') if match else line)
    return "\n".join(lines)


def build_command(directory: str) -> list[str]:
    """The command that renders `directory`, by what is installed (kustomize first, as kubectl docs advise)."""
    if shutil.which("kustomize"):
        return ["kustomize", "build", directory]
    if shutil.which("kubectl"):
        return ["kubectl", "kustomize", directory]
    raise PodcomposeError("-k needs kustomize or kubectl on PATH: install kubectl "
                          "(https://kubernetes.io/docs/tasks/tools/) or kustomize (https://kubectl.docs.kubernetes.io)")


def source_name(directory: str) -> str:
    """How errors name the rendered stream (its lines are those of kustomize's output)."""
    return f"{directory} (kustomize output)"


def build(directory: str) -> str:
    """The YAML stream kustomize renders for `directory`; its own message when it fails."""
    command = build_command(directory)
    try:
        proc = subprocess.run(command, capture_output=True, text=True, timeout=BUILD_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        raise PodcomposeError(f"{' '.join(command)} did not finish within {BUILD_TIMEOUT_SECONDS} s") from None
    except OSError as error:
        raise PodcomposeError(f"cannot run {command[0]}: {error}") from None
    if proc.returncode != 0:
        message = kustomize_message(proc.stderr) or f"exit code {proc.returncode}"
        raise PodcomposeError(f"{' '.join(command)} failed: {message}")
    return proc.stdout
