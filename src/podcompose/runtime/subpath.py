"""subPath without following links (CVE-2017-1002101), as the kubelet does it.

A bind of `<volume>/<subPath>` is resolved by the kernel through any symlink a
container planted, at mount time and again on every restart of the container.
So, as pkg/volume/util/subpath/subpath_linux.go does:

1. from the volume's root, open each component of the subPath with
   `openat(O_PATH|O_NOFOLLOW)` and refuse a symbolic link (and a non-directory
   before the last component); a missing directory is made with `mkdirat` under
   the parent already opened, then opened the same way;
2. bind-mount `/proc/self/fd/N` (the opened directory or file, not a path a
   container can change) onto a staging path only root can reach:
   `/run/podcompose/subpath/<namespace>/<pod>/<container>/<mount index>`;
3. give Docker the staging path as a bind source. Docker resolves the staging
   path at every start of the container, and that path is a mountpoint of the
   directory opened in step 1: a container that swaps the directory for a link
   later changes nothing for its siblings' restarts.

The staging mounts are removed with the pod (`clean_pod`). /run is a tmpfs: after
a reboot the staging paths are gone and a container that needs one fails to
start instead of binding an empty directory; the next `up` stages again.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import stat
from dataclasses import dataclass

from ..errors import PodcomposeError

STAGING_ROOT = os.environ.get("PODCOMPOSE_SUBPATH_DIR", "/run/podcompose/subpath")

MS_BIND = 0x1000
MS_RDONLY = 0x1
MS_NOEXEC = 0x8
MS_REMOUNT = 0x20
MNT_DETACH = 0x2
UMOUNT_NOFOLLOW = 0x8

_OPEN_FLAGS = os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC


class SubPathError(PodcomposeError):
    """A subPath cannot be mounted safely; the message says why, without the mount's name."""


@dataclass(frozen=True)
class Opened:
    fd: int            # an O_PATH descriptor of the subPath's directory or file; the caller closes it
    is_dir: bool


def _kind(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISREG(mode):
        return "a file"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a directory"


def split(sub_path: str) -> list[str]:
    """The components of a subPath; refuses what could leave the volume whatever the filesystem holds."""
    if sub_path.startswith("/"):
        raise SubPathError(f"{sub_path} is an absolute path; a subPath is relative to its volume")
    parts = [p for p in sub_path.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise SubPathError(f"{sub_path} contains '..'; a subPath may not leave its volume")
    if not parts:
        raise SubPathError("the subPath names the volume itself")
    if any("\0" in p for p in parts):
        raise SubPathError("the subPath contains a NUL character")
    return parts


def open_beneath(base: str, sub_path: str, volume: str, *, create: bool = True) -> Opened:
    """Open `sub_path` under the directory `base` without following any link.

    Each missing directory is created (mode of the volume's root, as the kubelet
    does) with mkdirat under its opened parent. The last component may be a
    directory or any other non-link (a file from a configMap, a socket).
    """
    parts = split(sub_path)
    refuse = f"; refusing to follow it out of volume {volume}"
    parent = os.open(base, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        root_mode = stat.S_IMODE(os.fstat(parent).st_mode)
        for index, name in enumerate(parts):
            shown = "/".join(parts[:index + 1])
            last = index == len(parts) - 1
            made_here = False
            try:
                child = os.open(name, _OPEN_FLAGS, dir_fd=parent)
            except FileNotFoundError:
                if not create:
                    raise SubPathError(f"{shown} does not exist in volume {volume}") from None
                try:
                    os.mkdir(name, root_mode, dir_fd=parent)    # mkdirat never follows a link it would replace
                    made_here = True
                except FileExistsError:
                    pass                                        # made meanwhile: opened and checked below
                child = os.open(name, _OPEN_FLAGS, dir_fd=parent)
            mode = os.fstat(child).st_mode
            if made_here and stat.S_ISDIR(mode):
                # mkdirat's mode went through the umask: set the volume root's (on the opened directory)
                os.chmod(f"/proc/self/fd/{child}", root_mode)
            if stat.S_ISLNK(mode) or (not last and not stat.S_ISDIR(mode)):
                os.close(child)
                raise SubPathError(f"{shown} is {_kind(mode)}" + (refuse if stat.S_ISLNK(mode) else
                                                                  f"; volume {volume} has no directory there"))
            os.close(parent)
            parent = child
        return Opened(parent, stat.S_ISDIR(os.fstat(parent).st_mode))
    except BaseException:
        try:
            os.close(parent)
        except OSError:
            pass
        raise


# staging ------------------------------------------------------------------------------------------------------

def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


def _mount_bind(source: str, target: str) -> None:
    if _libc().mount(source.encode(), target.encode(), None, MS_BIND, None) != 0:
        code = ctypes.get_errno()
        raise OSError(code, f"bind mount onto {target}: {os.strerror(code)}")


def _seal(target: str) -> None:
    """Make a staged bind read-only and noexec (an image volume's), before Docker binds it again."""
    flags = MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOEXEC
    if _libc().mount(b"none", target.encode(), None, flags, None) != 0:
        code = ctypes.get_errno()
        raise OSError(code, f"read-only remount of {target}: {os.strerror(code)}")


def _umount(target: str) -> None:
    libc = _libc()
    if libc.umount2(target.encode(), UMOUNT_NOFOLLOW) == 0:
        return
    code = ctypes.get_errno()
    if code == errno.EBUSY and libc.umount2(target.encode(), MNT_DETACH | UMOUNT_NOFOLLOW) == 0:
        return
    if code == errno.EINVAL:   # not a mountpoint (any more)
        return
    raise OSError(code, f"unmount {target}: {os.strerror(code)}")


def _safe_dir(path: str) -> None:
    """Make `path` (and its parents under the staging root) root-only directories; refuse anything else there."""
    root = os.path.dirname(STAGING_ROOT.rstrip("/"))
    if not os.path.isdir(root):
        os.makedirs(root, mode=0o755, exist_ok=True)
    current = root
    relative = os.path.relpath(path, root)
    for part in relative.split("/"):
        current = os.path.join(current, part)
        try:
            os.mkdir(current, 0o700)
        except FileExistsError:
            pass
        info = os.lstat(current)
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != 0 or info.st_mode & 0o077:
            raise PodcomposeError(f"{current} must be a directory only root may use (mode 0700); "
                                  "podcompose refuses to stage a subPath there")


def staging_dir(namespace: str, pod: str) -> str:
    return os.path.join(STAGING_ROOT, namespace, pod)


def staging_path(namespace: str, pod: str, container: str, index: int) -> str:
    return os.path.join(staging_dir(namespace, pod), container, str(index))


def _mountpoints_under(prefix: str) -> list[str]:
    """Mountpoints at or below `prefix`, deepest first (from /proc/self/mountinfo)."""
    found = []
    prefix = prefix.rstrip("/")
    with open("/proc/self/mountinfo", encoding="utf-8", errors="surrogateescape") as mountinfo:
        for line in mountinfo:
            fields = line.split()
            if len(fields) < 5:
                continue
            point = _unescape(fields[4])
            if point == prefix or point.startswith(prefix + "/"):
                found.append(point)
    return sorted(set(found), key=lambda p: (-p.count("/"), p))


def _unescape(text: str) -> str:
    """mountinfo escapes space, tab, newline and backslash as octal."""
    out, i = [], 0
    while i < len(text):
        code = text[i + 1:i + 4]
        if text[i] == "\\" and len(code) == 3 and all(c in "01234567" for c in code):
            out.append(chr(int(code, 8)))
            i += 4
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def stage(base: str, sub_path: str, volume: str, target: str, *, image: bool = False) -> str:
    """Open `sub_path` under `base` safely and bind it onto `target` (a staging path); returns `target`.

    `image`: the volume is an image's file system: a missing subPath is refused, not made, and the
    bind is read-only and noexec."""
    if os.geteuid() != 0:
        raise SubPathError("mounting a subPath safely on this Docker Engine (API before 1.45) needs root")
    if not os.path.isdir(base):
        raise SubPathError(f"the volume's directory {base} is not on this machine "
                           "(is the Docker daemon remote?); a subPath cannot be staged")
    opened = open_beneath(base, sub_path, volume, create=not image)
    try:
        _safe_dir(os.path.dirname(target))
        for point in _mountpoints_under(target):     # a leftover of an interrupted run
            _umount(point)
        _remove_entry(target)
        if opened.is_dir:
            os.mkdir(target, 0o700)
        else:
            os.close(os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600))
        _mount_bind(f"/proc/self/fd/{opened.fd}", target)
        if image:
            _seal(target)
    finally:
        os.close(opened.fd)
    return target


def _remove_entry(path: str) -> None:
    """Remove an unmounted staging entry: a file or an empty directory, never anything recursive."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    if stat.S_ISDIR(info.st_mode):
        os.rmdir(path)          # fails on a directory that still holds something (a mount): never deletes data
    else:
        os.unlink(path)


def clean_pod(namespace: str, pod: str) -> list[str]:
    """Unmount and remove every staging path of a pod; the problems met (empty when all went)."""
    top = staging_dir(namespace, pod)
    problems: list[str] = []
    if not os.path.lexists(top):
        return problems
    try:
        points = _mountpoints_under(top)
    except OSError as error:
        return [f"cannot read the mount table: {error}"]
    for point in points:
        try:
            _umount(point)
        except OSError as error:
            problems.append(str(error))
    if problems:
        return problems        # leave every entry: removing under a mount would reach the volume
    for container in sorted(os.listdir(top)):
        directory = os.path.join(top, container)
        if not os.path.isdir(directory) or os.path.islink(directory):
            _try(problems, _remove_entry, directory)
            continue
        for entry in os.listdir(directory):
            _try(problems, _remove_entry, os.path.join(directory, entry))
        _try(problems, _remove_entry, directory)
    _try(problems, _remove_entry, top)
    namespace_dir = os.path.dirname(top)
    try:
        os.rmdir(namespace_dir)
    except OSError:
        pass                    # other pods of the namespace still stage there
    return problems


def _try(problems: list[str], action, path: str) -> None:
    try:
        action(path)
    except OSError as error:
        problems.append(f"{path}: {error.strerror or error}")
