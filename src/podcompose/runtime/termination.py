"""Termination messages, as kuberuntime keeps them: a per-attempt host file bound at terminationMessagePath."""
from __future__ import annotations

import os
from typing import Any

import docker
import docker.errors

from .. import naming
from ..model import Container, Pod

TERMINATION_ROOT = os.environ.get("PODCOMPOSE_TERMINATION_DIR", "/run/podcompose/termination")
MAX_MESSAGE_BYTES = 4096          # the kubelet reads at most this much of the file
FALLBACK_LINES, FALLBACK_BYTES = 80, 2048   # FallbackToLogsOnError: the log's last lines, at most this much


def termination_dir(namespace: str, pod: str) -> str:
    return os.path.join(TERMINATION_ROOT, namespace, pod)


def add_termination_log(pod: Pod, spec: Container, args: dict[str, Any]) -> None:
    """Bind a fresh, empty, world-writable host file of this attempt at the container's terminationMessagePath.

    The file outlives the container (so `ps`/`describe` read it after the exit) and goes with the pod."""
    import uuid

    if not spec.termination_message_path:
        return
    directory = termination_dir(pod.namespace, pod.name)
    try:
        os.makedirs(directory, mode=0o755, exist_ok=True)
        path = os.path.join(directory, f"{spec.name}.{uuid.uuid4().hex[:12]}")
        with open(path, "w"):
            pass
        os.chmod(path, 0o666)    # the container's user, whoever it is, may write its message
    except OSError:
        return                   # not this daemon's host: no message, as before
    args.setdefault("mounts", []).append({"Type": "bind", "Source": path, "Target": spec.termination_message_path,
                                          "ReadOnly": False})
    args["labels"][naming.TERMINATION_FILE] = path
    args["labels"][naming.TERMINATION_POLICY] = spec.termination_message_policy


def termination_message(client: docker.DockerClient, attrs: dict[str, Any]) -> str:
    """An exited container's message: its file, or (FallbackToLogsOnError, failed, empty file) its log's tail."""
    labels = (attrs.get("Config") or {}).get("Labels") or {}
    state = attrs.get("State") or {}
    if state.get("Status") not in ("exited", "dead"):
        return ""
    message = ""
    path = labels.get(naming.TERMINATION_FILE)
    if path and os.path.dirname(os.path.dirname(path)).startswith(TERMINATION_ROOT):
        try:
            with open(path, "rb") as file:
                message = file.read(MAX_MESSAGE_BYTES).decode(errors="replace")
        except OSError:
            message = ""
    if not message and labels.get(naming.TERMINATION_POLICY) == "FallbackToLogsOnError" and state.get("ExitCode"):
        try:
            tail = client.api.logs(attrs["Id"], stdout=True, stderr=True, tail=FALLBACK_LINES)
        except docker.errors.DockerException:
            return ""
        message = tail[-FALLBACK_BYTES:].decode(errors="replace")
    return message


def remove_termination_files(namespace: str, pod: str) -> None:
    import shutil

    shutil.rmtree(termination_dir(namespace, pod), ignore_errors=True)
