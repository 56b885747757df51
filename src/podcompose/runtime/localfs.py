"""Writing straight into a volume podcompose has just made, on this host (root beside the daemon), and reading
a file a pod's container may have put in one.

Writing: only a volume no container has mounted yet: nothing in a pod can have put a link
in it. Reading (`read_regular`): only a regular file, never waited on and never read past a cap, since
a container can plant a FIFO, a device node or a huge file where the agent (root) reads. Each function answers False when the mountpoint is not on this machine (a
daemon elsewhere, or one that hides its data root): the caller then goes through
a helper container, as before.
"""
from __future__ import annotations

import io
import os
import stat
import tarfile

from .subpath import _kind as kind_of


class NotARegularFile(OSError):
    """What was opened is a FIFO, a device, a socket or a directory: never read."""


def set_root(mountpoint: str, archive: bytes) -> bool:
    """Give the volume's root the mode and owner of an archive that holds only that directory (an emptyDir's
    0777, or its fsGroup and setgid bit); False when the archive holds more, or the mountpoint is not here."""
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r") as tar:
        members = tar.getmembers()
    if len(members) != 1 or not members[0].isdir():
        return False
    root = members[0]
    try:
        directory = os.open(mountpoint, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError:
        return False
    try:
        os.fchown(directory, root.uid, root.gid)
        os.fchmod(directory, root.mode)     # after chown, which clears the setgid bit
        return True
    except OSError:
        return False
    finally:
        os.close(directory)


def write_new_file(mountpoint: str, name: str, payload: bytes, directory_mode: int = 0o700,
                   file_mode: int = 0o600) -> bool:
    """Create `name` (which must not exist) at the volume's root, and set the root's mode."""
    try:
        directory = os.open(mountpoint, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError:
        return False
    try:
        os.fchmod(directory, directory_mode)
        fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, file_mode, dir_fd=directory)
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
        return True
    except OSError:
        return False
    finally:
        os.close(directory)


def read_regular(path_fd: int, limit: int) -> bytes:
    """At most `limit` + 1 bytes of the regular file an O_PATH descriptor names (subpath.open_beneath's), so a
    caller sees that it is too long; NotARegularFile for anything else. The file is opened again through the
    descriptor (no path walked, no link followed) non-blocking, so a FIFO swapped in meanwhile never blocks."""
    mode = os.fstat(path_fd).st_mode
    if not stat.S_ISREG(mode):
        raise NotARegularFile(f"is {kind_of(mode)}, not a regular file")
    fd = os.open(f"/proc/self/fd/{path_fd}", os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise NotARegularFile(f"is {kind_of(mode)}, not a regular file")
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 16, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)
