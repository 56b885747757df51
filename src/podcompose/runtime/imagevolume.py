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
import tarfile
from typing import Iterable, Iterator

import docker

from .. import naming
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


class _Collector(io.RawIOBase):
    def __init__(self) -> None:
        self.data = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:  # type: ignore[no-untyped-def]
        self.data += data
        return len(data)

    def take(self) -> bytes:
        out, self.data = bytes(self.data), bytearray()
        return out


def image_files(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """The archive of a container's `/` as the image's file system: names relative, init-layer files left out."""
    out = _Collector()
    source = tarfile.open(fileobj=io.BufferedReader(_ChunkReader(chunks), 1 << 16), mode="r|")
    target = tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT)
    try:
        for member in source:
            name = member.name.lstrip("/").rstrip("/")
            if name in INIT_LAYER_FILES:
                continue
            member.name = name or "."
            target.addfile(member, source.extractfile(member) if member.isreg() else None)
            if len(out.data) >= 1 << 16:
                yield out.take()
    finally:
        target.close()
        source.close()
    yield out.take()


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
