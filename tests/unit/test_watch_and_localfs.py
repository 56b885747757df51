"""The bring-up's event wait (agent.watch.PodWatch) and the direct volume writes (runtime.localfs), no daemon."""
from __future__ import annotations

import io
import os
import stat
import tarfile
import threading
import time
from pathlib import Path

from podcompose import naming
from podcompose.agent.watch import NO_STREAM_SECONDS, WAKING_EVENTS, PodWatch
from podcompose.runtime import localfs
from tests.fake_docker import FakeClient


def test_a_wait_ends_at_the_pods_next_event_and_the_stream_is_the_pods_own() -> None:
    client = FakeClient()
    watch = PodWatch(client, "dev", "web")   # type: ignore[arg-type]
    try:
        assert client.api.event_filters == {"label": [f"{naming.POD}=web", f"{naming.NAMESPACE}=dev"],
                                            "event": list(WAKING_EVENTS)}
        threading.Timer(0.05, lambda: client.api.event_stream.items.put({"Action": "die"})).start()
        start = time.monotonic()
        watch.wait(5)
        assert time.monotonic() - start < 2          # woken by the event, not by the 5 s timeout
        start = time.monotonic()
        watch.wait(0.2)                              # nothing new: the whole timeout
        assert time.monotonic() - start >= 0.15
    finally:
        watch.close()


def test_notify_ends_a_wait_and_a_lost_stream_makes_waits_short() -> None:
    client = FakeClient()
    watch = PodWatch(client, "default", "web")   # type: ignore[arg-type]
    threading.Timer(0.05, watch.notify).start()
    start = time.monotonic()
    watch.wait(5)
    assert time.monotonic() - start < 2
    watch.close()                                # the stream ends: from now on waits poll briefly
    time.sleep(0.05)
    start = time.monotonic()
    watch.wait(5)
    assert time.monotonic() - start < NO_STREAM_SECONDS + 1


def archive_of_root(mode: int, gid: int = 0, extra_file: bool = False) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        root = tarfile.TarInfo("data")
        root.type, root.mode, root.gid = tarfile.DIRTYPE, mode, gid
        tar.addfile(root)
        if extra_file:
            info = tarfile.TarInfo("data/file")
            info.size = 1
            tar.addfile(info, io.BytesIO(b"x"))
    return buffer.getvalue()


def test_set_root_gives_the_volume_root_the_archives_mode_and_group(tmp_path: Path) -> None:
    volume = tmp_path / "_data"
    volume.mkdir(mode=0o755)
    assert localfs.set_root(str(volume), archive_of_root(0o2777, gid=2000))
    status = os.stat(volume)
    assert stat.S_IMODE(status.st_mode) == 0o2777 and status.st_gid == 2000   # setgid kept after the chown


def test_set_root_declines_what_it_cannot_do_alone(tmp_path: Path) -> None:
    volume = tmp_path / "_data"
    volume.mkdir(mode=0o755)
    assert not localfs.set_root(str(volume), archive_of_root(0o777, extra_file=True))   # files: the helper's job
    assert not localfs.set_root(str(tmp_path / "missing"), archive_of_root(0o777))      # not on this machine
    (tmp_path / "link").symlink_to(volume)
    assert not localfs.set_root(str(tmp_path / "link"), archive_of_root(0o777))         # never through a link
    assert stat.S_IMODE(os.stat(volume).st_mode) == 0o755


def test_write_new_file_never_replaces_or_follows(tmp_path: Path) -> None:
    volume = tmp_path / "_data"
    volume.mkdir(mode=0o755)
    assert localfs.write_new_file(str(volume), "pod.json", b"{}")
    assert (volume / "pod.json").read_bytes() == b"{}"
    assert stat.S_IMODE(os.stat(volume / "pod.json").st_mode) == 0o600
    assert stat.S_IMODE(os.stat(volume).st_mode) == 0o700
    assert not localfs.write_new_file(str(volume), "pod.json", b"again")   # O_EXCL: an existing file stays
    assert (volume / "pod.json").read_bytes() == b"{}"
