"""A pause image built here when the registry's cannot be had (as podman builds its own).

The default pause image lives in registry.k8s.io. On a host that cannot reach it,
podcompose builds a tiny image around a static `catatonit` found on the host
(Debian's package ships one): PID 1, reaps zombies, exits 0 on SIGTERM.
"""
from __future__ import annotations

import io
import shutil
import struct
import tarfile
from pathlib import Path

import docker
import docker.errors

from ..errors import PodcomposeError
from ..events import Event, EventSink
from .client import docker_errors

LOCAL_PAUSE_IMAGE = "podcompose.local/pause:catatonit"
CATATONIT_PATHS = ("/usr/bin/catatonit", "/usr/libexec/catatonit/catatonit", "/usr/libexec/podman/catatonit")
DOCKERFILE = b'FROM scratch\nCOPY catatonit /catatonit\nENTRYPOINT ["/catatonit", "-P"]\n'
PT_INTERP = 3


def is_static_elf(path: Path) -> bool:
    """Whether `path` is a 64-bit ELF executable with no program interpreter (no libc to bring)."""
    try:
        data = path.read_bytes()
    except OSError:
        return False
    if data[:5] != b"\x7fELF\x02":
        return False
    endian = "<" if data[5] == 1 else ">"
    (phoff,) = struct.unpack_from(endian + "Q", data, 0x20)
    phentsize, phnum = struct.unpack_from(endian + "HH", data, 0x36)
    for index in range(phnum):
        (kind,) = struct.unpack_from(endian + "I", data, phoff + index * phentsize)
        if kind == PT_INTERP:
            return False
    return True


def find_catatonit() -> Path | None:
    candidates = [shutil.which("catatonit"), *CATATONIT_PATHS]
    for candidate in candidates:
        if candidate and is_static_elf(Path(candidate)):
            return Path(candidate)
    return None


def _context(binary: Path) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, content, mode in (("Dockerfile", DOCKERFILE, 0o644), ("catatonit", binary.read_bytes(), 0o755)):
            info = tarfile.TarInfo(name)
            info.size = len(content)
            info.mode = mode
            tar.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def local_pause_image(client: docker.DockerClient, sink: EventSink) -> str:
    """The locally built pause image, building it first when it is missing."""
    try:
        client.api.inspect_image(LOCAL_PAUSE_IMAGE)
        return LOCAL_PAUSE_IMAGE
    except docker.errors.ImageNotFound:
        pass
    binary = find_catatonit()
    if binary is None:
        raise PodcomposeError("no static catatonit on this host to build a pause image from "
                              "(apt-get install catatonit)")
    with docker_errors(f"building {LOCAL_PAUSE_IMAGE}"):
        for message in client.api.build(fileobj=io.BytesIO(_context(binary)), custom_context=True,
                                        tag=LOCAL_PAUSE_IMAGE, rm=True, decode=True,
                                        labels={"io.podcompose.pause": "catatonit"}):
            if "error" in message:
                raise PodcomposeError(f"building {LOCAL_PAUSE_IMAGE}: {message['error'].strip()}")
    sink(Event("warning", message=f"built the pause image {LOCAL_PAUSE_IMAGE} from {binary}"))
    return LOCAL_PAUSE_IMAGE
