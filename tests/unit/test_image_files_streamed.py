"""Files read from an image: the image-volume copy streams each file in pieces; account files are capped."""
from __future__ import annotations

import io
import tarfile
from typing import Any, Iterator

import pytest

from podcompose.errors import PodcomposeError
from podcompose.runtime.imagevolume import COPY_CHUNK, image_files, read_image_file


def archive(files: dict[str, bytes], links: dict[str, str] = {}) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for name, target in links.items():
            info = tarfile.TarInfo(name)
            info.type, info.linkname = tarfile.SYMTYPE, target
            tar.addfile(info)
    return out.getvalue()


def in_pieces(data: bytes, size: int = 4096) -> Iterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i:i + size]


def test_a_large_image_file_passes_in_pieces_and_arrives_whole() -> None:
    big = bytes(range(256)) * 8192                    # 2 MiB
    pieces = list(image_files(in_pieces(archive({"/big": big, "/etc/hosts": b"x", "/small": b"hello"}))))
    assert max(len(p) for p in pieces) < 2 * COPY_CHUNK + 1024
    with tarfile.open(fileobj=io.BytesIO(b"".join(pieces))) as tar:
        assert tar.getnames() == ["big", "small"]
        assert tar.extractfile("big").read() == big and tar.extractfile("small").read() == b"hello"  # type: ignore[union-attr]


class FakeApi:
    def __init__(self, files: dict[str, bytes], links: dict[str, str] = {}) -> None:
        self.files, self.links = files, links

    def get_archive(self, container_id: str, path: str) -> tuple[Iterator[bytes], dict[str, Any]]:
        base = path.rsplit("/", 1)[-1]
        if path in self.links:
            return in_pieces(archive({}, {base: self.links[path]})), {}
        return in_pieces(archive({base: self.files[path]})), {}


def test_account_files_follow_links_and_a_huge_one_is_refused() -> None:
    client = type("Client", (), {"api": FakeApi({"/etc/real": b"root:x:0:0::/:/bin/sh\n"},
                                                {"/etc/passwd": "real"})})()
    assert read_image_file(client, "c1", "/etc/passwd") == "root:x:0:0::/:/bin/sh\n"  # type: ignore[arg-type]
    huge = type("Client", (), {"api": FakeApi({"/etc/passwd": b"a" * 5000})})()
    with pytest.raises(PodcomposeError, match="larger than"):
        read_image_file(huge, "c1", "/etc/passwd", limit=4096)  # type: ignore[arg-type]
