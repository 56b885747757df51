"""localfs.read_regular: a file a container may have planted is read only when regular, never waited on, capped."""
from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from podcompose.runtime import subpath
from podcompose.runtime.localfs import NotARegularFile, read_regular


def opened(base: Path, name: str) -> int:
    return subpath.open_beneath(str(base), name, "data", create=False).fd


def test_a_fifo_is_refused_at_once_and_never_opened_for_reading(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "env")
    fd = opened(tmp_path, "env")
    started = time.monotonic()
    with pytest.raises(NotARegularFile, match="named pipe"):
        read_regular(fd, 100)
    assert time.monotonic() - started < 1
    os.close(fd)


def test_a_device_is_refused(tmp_path: Path) -> None:
    fd = os.open("/dev/zero", os.O_PATH | os.O_NOFOLLOW)
    with pytest.raises(NotARegularFile, match="device"):
        read_regular(fd, 100)
    os.close(fd)


def test_a_regular_file_is_read_up_to_one_byte_past_the_cap(tmp_path: Path) -> None:
    (tmp_path / "small").write_bytes(b"K='v'\n")
    (tmp_path / "big").write_bytes(b"x" * 100_000)
    small, big = opened(tmp_path, "small"), opened(tmp_path, "big")
    assert read_regular(small, 100) == b"K='v'\n"
    assert read_regular(big, 1000) == b"x" * 1001
    os.close(small)
    os.close(big)
