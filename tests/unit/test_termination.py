"""Termination-message files: the kubelet's caps, root-only files on a tmpfs of their own, old attempts forgotten."""
from __future__ import annotations

import errno
import os
import stat
import threading
from pathlib import Path
from typing import Any

import pytest

from podcompose import naming
from podcompose.model import Container, Pod
from podcompose.runtime import termination


def pod_of(containers: int, init: int = 0) -> Pod:
    return Pod(name="p", namespace="default",
               containers=tuple(Container(name=f"c{i}", image="i", role="app") for i in range(containers)),
               init_containers=tuple(Container(name=f"i{i}", image="i", role="init") for i in range(init)))


def test_a_message_is_cut_to_4096_bytes_and_12_kib_shared_by_the_pod() -> None:
    assert termination.message_limit(pod_of(1)) == 4096
    assert termination.message_limit(pod_of(3)) == 4096
    assert termination.message_limit(pod_of(3, init=1)) == 3072
    assert termination.message_limit(pod_of(5)) == 12288 // 5


def test_the_file_is_read_from_its_last_4096_bytes_and_cut_to_the_pods_share(tmp_path: Path) -> None:
    big = tmp_path / "message"
    with open(big, "wb") as file:
        file.truncate(50 * 1024 * 1024)
        file.seek(-5, os.SEEK_END)
        file.write(b"tail!")
    read = termination.read_message_file(str(big))
    assert len(read) == 4096 and read.endswith(b"tail!")
    assert len(termination.read_message_file(str(big), 100)) == 100


def test_only_a_regular_file_is_read_and_never_through_a_link(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    reader = threading.Thread(target=lambda: pytest.raises(OSError, termination.read_message_file, str(fifo)))
    reader.start()
    reader.join(5)
    assert not reader.is_alive()               # a FIFO neither blocks nor is read
    (tmp_path / "target").write_text("secret")
    (tmp_path / "link").symlink_to(tmp_path / "target")
    with pytest.raises(OSError) as raised:
        termination.read_message_file(str(tmp_path / "link"))
    assert raised.value.errno == errno.ELOOP


def exited(labels: dict[str, str]) -> dict[str, Any]:
    return {"Id": "x", "Config": {"Labels": labels}, "State": {"Status": "exited", "ExitCode": 1}}


def test_the_message_shown_holds_the_pods_share_and_nothing_outside_the_root(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(termination, "TERMINATION_ROOT", str(tmp_path / "root"))
    attempt = tmp_path / "root" / "default" / "p" / "c.1"
    attempt.mkdir(parents=True)
    (attempt / "message").write_bytes(b"x" * 5000)
    labels = {naming.TERMINATION_FILE: str(attempt / "message"), naming.TERMINATION_LIMIT: "3072"}
    assert termination.termination_message(None, exited(labels)) == "x" * 3072     # type: ignore[arg-type]
    (tmp_path / "elsewhere").write_text("not a message")
    outside = {naming.TERMINATION_FILE: str(tmp_path / "root" / ".." / "elsewhere")}
    assert termination.termination_message(None, exited(outside)) == ""          # type: ignore[arg-type]


class ListingClient:
    def __init__(self, labels: list[dict[str, str]]) -> None:
        self.api = self
        self.labels = labels
        self.filters: Any = None

    def containers(self, all: bool, filters: dict[str, Any]) -> list[dict[str, Any]]:
        self.filters = filters
        return [{"Labels": labels} for labels in self.labels]


def test_files_of_attempts_no_container_refers_to_are_removed(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(termination, "TERMINATION_ROOT", str(tmp_path))
    pod_dir = tmp_path / "default" / "p"
    for entry in ("app.old", "app.previous", "app.failed", "sidecar.one"):
        (pod_dir / entry).mkdir(parents=True)
        (pod_dir / entry / "message").write_text(entry)
    (pod_dir / "app.0123456789ab").write_text("a file as an older podcompose made them")
    client = ListingClient([{naming.TERMINATION_FILE: str(pod_dir / "app.previous" / "message")}])
    termination.forget_unused_attempts(client, "default", "p", "app")             # type: ignore[arg-type]
    assert sorted(os.listdir(pod_dir)) == ["app.previous", "sidecar.one"]
    assert f"{naming.CONTAINER}=app" in client.filters["label"]


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tmpfs needs root")
def test_an_attempts_file_is_root_only_on_a_4096_byte_tmpfs(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(termination, "TERMINATION_ROOT", str(tmp_path / "termination"))
    path = termination._new_attempt_file("default", "p", "app")
    assert path is not None
    try:
        for directory in (Path(path).parent, Path(path).parent.parent, tmp_path / "termination"):
            info = directory.stat()
            assert (stat.S_IMODE(info.st_mode), info.st_uid) == (0o700, 0), directory
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o666
        with pytest.raises(OSError) as raised, open(path, "wb") as file:
            for _ in range(50):
                file.write(b"y" * 1024 * 1024)
                file.flush()
        assert raised.value.errno == errno.ENOSPC
        assert os.stat(path).st_size <= 4096
    finally:
        termination.remove_termination_files("default", "p")
    assert not (tmp_path / "termination" / "default" / "p").exists()
    assert str(tmp_path) not in Path("/proc/self/mountinfo").read_text()
