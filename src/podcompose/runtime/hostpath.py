"""hostPath `type`, checked and honoured as the kubelet does before a pod starts (pkg/volume/hostpath).

`check` only looks (a pod that fails it gets nothing created); `prepare` then
makes what DirectoryOrCreate / FileOrCreate (and an untyped missing path, which
the container runtime creates as a directory) ask for.
"""
from __future__ import annotations

import os
import posixpath
import stat

from ..errors import PodcomposeError
from ..model import Pod, Volume, VolumeKind
from ..translate import host_source

KINDS = {
    "Directory": (stat.S_ISDIR, "a directory"),
    "File": (stat.S_ISREG, "a file"),
    "Socket": (stat.S_ISSOCK, "a socket"),
    "CharDevice": (stat.S_ISCHR, "a character device"),
    "BlockDevice": (stat.S_ISBLK, "a block device"),
}
CREATE = {"DirectoryOrCreate": "Directory", "FileOrCreate": "File"}
TYPES = ("",) + tuple(KINDS) + tuple(CREATE)


source = host_source


def _problem(pod: Pod, volume: Volume, text: str) -> PodcomposeError:
    return PodcomposeError(f"pod {pod.name}: volume {volume.name} (hostPath {volume.host_path}"
                           f"{', type ' + volume.host_path_type if volume.host_path_type else ''}): {text}")


def check(pod: Pod) -> None:
    """Refuse the pod when a hostPath is not of its type (or missing where it must exist)."""
    for volume in pod.volumes:
        if volume.kind != VolumeKind.HOST_PATH:
            continue
        path, kind = source(volume), volume.host_path_type
        if not path.startswith("/"):
            raise _problem(pod, volume, "a hostPath must be an absolute path")
        if kind not in TYPES:
            raise _problem(pod, volume, f"unknown type (one of {', '.join(t for t in TYPES if t)})")
        try:
            info = os.stat(path)          # as the kubelet: a link to the right kind of thing is that thing
        except FileNotFoundError:
            info = None
        except OSError as error:
            raise _problem(pod, volume, f"cannot be checked: {error.strerror}") from error
        wanted = CREATE.get(kind, kind)
        if info is None:
            if kind in KINDS:
                raise _problem(pod, volume, f"does not exist on this machine (type {kind} must exist)")
            if kind == "FileOrCreate" and not os.path.isdir(posixpath.dirname(path)):
                raise _problem(pod, volume, f"its directory {posixpath.dirname(path)} does not exist "
                                            "(FileOrCreate makes the file, not its directory)")
            continue
        if wanted:
            test, what = KINDS[wanted]
            if not test(info.st_mode):
                raise _problem(pod, volume, f"is not {what}")


def prepare(pod: Pod) -> None:
    """Create what the hostPath types ask for (after `check` passed for the whole pod)."""
    for volume in pod.volumes:
        if volume.kind != VolumeKind.HOST_PATH:
            continue
        path, kind = source(volume), volume.host_path_type
        if os.path.lexists(path):
            continue
        try:
            if kind == "FileOrCreate":
                fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
                os.fchmod(fd, 0o644)
                os.close(fd)
            elif kind in ("DirectoryOrCreate", ""):
                os.makedirs(path, 0o755, exist_ok=True)
                os.chmod(path, 0o755)
        except FileExistsError:
            continue
        except OSError as error:
            raise _problem(pod, volume, f"cannot be created: {error.strerror}") from error
