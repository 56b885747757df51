"""Image volumes on engines without image mounts (Docker before 28 / API 1.48).

The image's file system is copied into a volume of the pod: `get_archive` of
`/` of a never-started container of the image streams, through a filter, into
`put_archive` of a never-started helper that mounts the volume (the daemon
unpacks it; nothing is unpacked on the host, so no link in the image is ever
followed here). Both containers are removed. The containers of the pod mount a
second volume, a read-only, noexec bind of the first (translate.image_volume_args).
"""
from __future__ import annotations

import io
import posixpath
import tarfile
from typing import Iterable, Iterator

import docker
import docker.errors

from .. import naming
from ..errors import PodcomposeError
from ..model import Pod, Volume

ROOTFS_TARGET = "/rootfs"
NEVER_STARTED = ["/.podcompose-never-started"]   # a create needs a command; the container never runs it
# The files of Docker's init layer, which masks the image's own in every container: not the image's content.
INIT_LAYER_FILES = frozenset({".dockerenv", "etc/resolv.conf", "etc/hosts", "etc/hostname", "dev/console",
                              "etc/mtab"})


class _ChunkReader(io.RawIOBase):
    """A file-like reader over an iterator of byte chunks (the daemon's archive stream)."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self.chunks = iter(chunks)
        self.pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        while not self.pending:
            try:
                self.pending = next(self.chunks)
            except StopIteration:
                return 0
        size = min(len(buffer), len(self.pending))
        buffer[:size] = self.pending[:size]
        self.pending = self.pending[size:]
        return size


COPY_CHUNK = 1 << 16         # the archive goes on to the daemon in pieces of about this size, never a whole file
MAX_ACCOUNT_FILE_BYTES = 4 << 20   # an image's /etc/passwd or /etc/group longer than this is refused
MAX_LINKS = 8                      # a file of the image that is a symbolic link is followed this far


def image_files(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """The archive of a container's `/` as the image's file system: names relative, init-layer files left out.

    Written member by member (the header, then the file's data in pieces, as tarfile.addfile writes it), so a
    large file of the image passes through without ever being held whole."""
    source = tarfile.open(fileobj=io.BufferedReader(_ChunkReader(chunks), COPY_CHUNK), mode="r|")
    pending = bytearray()
    try:
        for member in source:
            name = member.name.lstrip("/").rstrip("/")
            if name in INIT_LAYER_FILES:
                continue
            member.name = name or "."
            pending += member.tobuf(tarfile.PAX_FORMAT, tarfile.ENCODING, "surrogateescape")
            if member.isreg():
                data = source.extractfile(member)
                left = member.size
                while left > 0:
                    piece = data.read(min(COPY_CHUNK, left)) if data is not None else b""
                    if not piece:
                        raise tarfile.ReadError(f"the image's archive ends inside {name}")
                    pending += piece
                    left -= len(piece)
                    if len(pending) >= COPY_CHUNK:
                        yield bytes(pending)
                        pending.clear()
                if member.size % tarfile.BLOCKSIZE:
                    pending += tarfile.NUL * (tarfile.BLOCKSIZE - member.size % tarfile.BLOCKSIZE)
            if len(pending) >= COPY_CHUNK:
                yield bytes(pending)
                pending.clear()
    finally:
        source.close()
    yield bytes(pending) + tarfile.NUL * (tarfile.BLOCKSIZE * 2)     # the end-of-archive marker


def read_image_file(client: docker.DockerClient, container_id: str, path: str,
                    limit: int = MAX_ACCOUNT_FILE_BYTES) -> str:
    """A small text file of a never-started container's file system ("" when missing or not a regular file),
    following a symbolic link at most MAX_LINKS times; streamed, and refused past `limit` bytes."""
    for _ in range(MAX_LINKS):
        try:
            stream, _stat = client.api.get_archive(container_id, path)
        except docker.errors.NotFound:
            return ""
        with tarfile.open(fileobj=io.BufferedReader(_ChunkReader(stream), COPY_CHUNK), mode="r|") as tar:
            member = tar.next()
            if member is None:
                return ""
            if member.issym():
                path = posixpath.normpath(posixpath.join(posixpath.dirname(path), member.linkname))
                continue
            if not member.isreg():
                return ""
            if member.size > limit:
                raise PodcomposeError(f"the image's {path} is larger than {limit} bytes: not read")
            extracted = tar.extractfile(member)
            return extracted.read(limit).decode(errors="replace") if extracted else ""
    return ""


def copy_image(client: docker.DockerClient, pod: Pod, volume: Volume, rootfs_volume: str, helper_image: str) -> None:
    """Fill `rootfs_volume` with the file system of the volume's image (already present: ensured by the plan)."""
    labels = naming.pod_labels(pod.namespace, pod.name) | {naming.ROLE: "helper"}
    source = client.api.create_container(volume.image_reference, entrypoint=NEVER_STARTED, labels=labels)
    try:
        helper = client.api.create_container(
            helper_image, labels=labels, host_config=client.api.create_host_config(
                mounts=[{"Type": "volume", "Source": rootfs_volume, "Target": ROOTFS_TARGET,
                         "VolumeOptions": {"NoCopy": True}}]))
        try:
            stream, _ = client.api.get_archive(source["Id"], "/")
            client.api.put_archive(helper["Id"], ROOTFS_TARGET, image_files(stream))
        finally:
            client.api.remove_container(helper["Id"], force=True)
    finally:
        client.api.remove_container(source["Id"], force=True, v=True)   # v: an image VOLUME's anonymous volume
