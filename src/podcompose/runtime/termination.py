"""Termination messages, as kuberuntime keeps them: a per-attempt host file bound at terminationMessagePath.

Each attempt's file lives alone on its own tmpfs of MAX_CONTAINER_MESSAGE_BYTES, mounted at
`<root>/<namespace>/<pod>/<container>.<id>/`: a container that writes 50 MB to it gets ENOSPC after
4096 bytes, and neither the host's disk nor its memory can be filled through it. Every directory on
the way (the tmpfs root too) is 0700 root, so no other user of the host can reach the file; the file
itself is 0666 as the kubelet makes it (kuberuntime makeMounts), because the container's processes,
whatever user they switch to, must write it through the bind mount. Files of attempts whose
container is gone are removed when the next attempt of that container is made; `down` removes all.
"""
from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import os
import shutil
import stat
import uuid
from typing import Any, Mapping

import docker
import docker.errors

from .. import naming
from ..model import Container, Pod
from .subpath import _mountpoints_under, _umount

TERMINATION_ROOT = os.environ.get("PODCOMPOSE_TERMINATION_DIR", "/run/podcompose/termination")
# The kubelet's bounds, pkg/kubelet/container/runtime.go: MaxContainerTerminationMessageLength (read with
# tail.ReadAtMost in kuberuntime getTerminationMessage), MaxPodTerminationMessageLogLength (split evenly over
# the pod's containers by the status manager's normalizeStatus), MaxContainerTerminationMessageLogLines and
# MaxContainerTerminationMessageLogLength (FallbackToLogsOnError: the log's last lines, at most this much).
MAX_CONTAINER_MESSAGE_BYTES = 4 * 1024
MAX_POD_MESSAGE_BYTES = 12 * 1024
FALLBACK_LINES, FALLBACK_BYTES = 80, 2 * 1024
MESSAGE_FILE = "message"
_TMPFS_OPTIONS = f"size={MAX_CONTAINER_MESSAGE_BYTES},nr_inodes=4,mode=0700,uid=0,gid=0"
_MS_NOSUID, _MS_NODEV, _MS_NOEXEC = 2, 4, 8


def termination_dir(namespace: str, pod: str) -> str:
    return os.path.join(TERMINATION_ROOT, namespace, pod)


def message_limit(pod: Pod) -> int:
    """The bytes of one container's message a pod status may hold (normalizeStatus's bytesPerStatus)."""
    containers = len(pod.containers) + len(pod.init_containers)
    return min(MAX_CONTAINER_MESSAGE_BYTES, MAX_POD_MESSAGE_BYTES // max(containers, 1))


def add_termination_log(client: docker.DockerClient, pod: Pod, spec: Container, args: dict[str, Any]) -> None:
    """Bind a fresh, empty file of this attempt at the container's terminationMessagePath.

    The file outlives the container (so `ps`/`describe` read it after the exit) until the attempt is
    no longer kept. Where no tmpfs can be mounted (not root on the daemon's host), there is no file:
    the container then writes into its own /dev, and no message is kept."""
    if not spec.termination_message_path:
        return
    forget_unused_attempts(client, pod.namespace, pod.name, spec.name)
    path = _new_attempt_file(pod.namespace, pod.name, spec.name)
    if path is None:
        return
    args.setdefault("mounts", []).append({"Type": "bind", "Source": path, "Target": spec.termination_message_path,
                                          "ReadOnly": False})
    args["labels"][naming.TERMINATION_FILE] = path
    args["labels"][naming.TERMINATION_POLICY] = spec.termination_message_policy
    args["labels"][naming.TERMINATION_LIMIT] = str(message_limit(pod))


def _root_only_dir(path: str) -> None:
    """`path` as a directory only root may use (made, or an older one's mode put right); never a link."""
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    info = os.lstat(path)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != 0:
        raise OSError(errno.EPERM, f"{path} is not a directory of root")
    if stat.S_IMODE(info.st_mode) != 0o700:
        os.chmod(path, 0o700, follow_symlinks=False)


def _new_attempt_file(namespace: str, pod: str, container: str) -> str | None:
    directory = os.path.join(termination_dir(namespace, pod), f"{container}.{uuid.uuid4().hex[:12]}")
    try:
        os.makedirs(os.path.dirname(TERMINATION_ROOT), mode=0o755, exist_ok=True)
        for part in (TERMINATION_ROOT, os.path.dirname(termination_dir(namespace, pod)),
                     termination_dir(namespace, pod), directory):
            _root_only_dir(part)
        _mount_tmpfs(directory)
    except OSError:
        _discard(directory)
        return None                          # not this daemon's host, or not root: no message, as before
    path = os.path.join(directory, MESSAGE_FILE)
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY | os.O_NOFOLLOW | os.O_CLOEXEC, 0o666))
        os.chmod(path, 0o666)                # whatever the umask: any user of the container may write it
    except OSError:
        _discard(directory)
        return None
    return path


def _mount_tmpfs(target: str) -> None:
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    if libc.mount(b"tmpfs", target.encode(), b"tmpfs", _MS_NOSUID | _MS_NODEV | _MS_NOEXEC,
                  _TMPFS_OPTIONS.encode()) != 0:
        code = ctypes.get_errno()
        raise OSError(code, f"tmpfs mount onto {target}: {os.strerror(code)}")


def _discard(directory: str) -> None:
    """Unmount an attempt's tmpfs and remove its directory (and whatever is left of it)."""
    try:
        for point in _mountpoints_under(directory):
            _umount(point)
    except OSError:
        return                               # still mounted: removing would only empty it
    if os.path.isdir(directory) and not os.path.islink(directory):
        shutil.rmtree(directory, ignore_errors=True)
    else:                                    # a plain file of an older podcompose
        with contextlib.suppress(OSError):
            os.unlink(directory)


def forget_unused_attempts(client: docker.DockerClient, namespace: str, pod: str, container: str) -> None:
    """Remove the files of `container`'s attempts that no container of the pod refers to any more."""
    directory = termination_dir(namespace, pod)
    try:
        entries = [e for e in os.listdir(directory) if e.startswith(f"{container}.")]
    except OSError:
        return
    if not entries:
        return
    filters = {"label": naming.pod_filter(namespace, pod) + [f"{naming.CONTAINER}={container}"]}
    try:
        summaries = client.api.containers(all=True, filters=filters)
    except docker.errors.DockerException:
        return                               # unknown what is in use: keep everything
    used = {os.path.dirname(str((s.get("Labels") or {}).get(naming.TERMINATION_FILE) or "")) for s in summaries}
    for entry in entries:
        if os.path.join(directory, entry) not in used:
            _discard(os.path.join(directory, entry))


def read_message_file(path: str, limit: int = MAX_CONTAINER_MESSAGE_BYTES) -> bytes:
    """At most the last MAX_CONTAINER_MESSAGE_BYTES of a regular file (tail.ReadAtMost), cut to `limit`."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise OSError(errno.EINVAL, f"{path} is not a regular file")
        start = max(0, info.st_size - MAX_CONTAINER_MESSAGE_BYTES)
        return os.pread(fd, MAX_CONTAINER_MESSAGE_BYTES, start)[:limit]
    finally:
        os.close(fd)


def _within_root(path: str) -> bool:
    root = os.path.abspath(TERMINATION_ROOT)
    absolute = os.path.abspath(path)
    return absolute != root and os.path.commonpath([root, absolute]) == root


def _limit(labels: Mapping[str, str]) -> int:
    try:
        return max(0, min(int(labels.get(naming.TERMINATION_LIMIT) or MAX_CONTAINER_MESSAGE_BYTES),
                          MAX_CONTAINER_MESSAGE_BYTES))
    except ValueError:
        return MAX_CONTAINER_MESSAGE_BYTES


def termination_message(client: docker.DockerClient, attrs: dict[str, Any]) -> str:
    """An exited container's message: its file, or (FallbackToLogsOnError, failed, empty file) its log's tail."""
    labels = (attrs.get("Config") or {}).get("Labels") or {}
    state = attrs.get("State") or {}
    if state.get("Status") not in ("exited", "dead"):
        return ""
    limit = _limit(labels)
    message = ""
    path = labels.get(naming.TERMINATION_FILE)
    if path and _within_root(path):
        try:
            message = read_message_file(path, limit).decode(errors="replace")
        except OSError:
            message = ""
    if not message and labels.get(naming.TERMINATION_POLICY) == "FallbackToLogsOnError" and state.get("ExitCode"):
        try:
            tail = client.api.logs(attrs["Id"], stdout=True, stderr=True, tail=FALLBACK_LINES)
        except docker.errors.DockerException:
            return ""
        message = tail[-FALLBACK_BYTES:][:limit].decode(errors="replace")
    return message


def remove_termination_files(namespace: str, pod: str) -> None:
    directory = termination_dir(namespace, pod)
    try:
        for point in _mountpoints_under(directory):
            _umount(point)
    except OSError:
        pass                                 # what is still mounted stays; rmtree leaves the mountpoint
    shutil.rmtree(directory, ignore_errors=True)
