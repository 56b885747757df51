"""exec probe output: streamed from the exec's socket, cut at 10 KiB, and the exec killed at its deadline."""
from __future__ import annotations

import socket
import threading
import time
from typing import Any

from podcompose.runtime import exec_probe
from podcompose.runtime.exec_probe import MAX_OUTPUT_BYTES, OutputCollector, run_exec


def frame(payload: bytes, stream: int = 1) -> bytes:
    return bytes([stream, 0, 0, 0]) + len(payload).to_bytes(4, "big") + payload


def test_collector_joins_frames_split_anywhere_and_keeps_only_the_limit() -> None:
    data = frame(b"hello ") + frame(b"world", stream=2) + frame(b"!" * 50)
    collector = OutputCollector(limit=20)
    for i in range(len(data)):                      # one byte at a time: headers and payloads split
        collector.feed(data[i:i + 1])
    assert collector.text() == "hello world" + "!" * 9


class FakeApi:
    """exec_start(socket=True) hands back one end of a socket pair; `writer` feeds the other."""

    def __init__(self, writer: Any) -> None:
        self.ours, self.theirs = socket.socketpair()
        self.writer = writer
        self.killed = False
        self.thread: threading.Thread | None = None

    def exec_create(self, container_id: str, command: list[str], **options: Any) -> dict[str, str]:
        return {"Id": "exec1"}

    def exec_start(self, exec_id: str, socket: bool = False) -> Any:
        assert socket, "the output must be read from the exec's socket, never whole"
        self.thread = threading.Thread(target=self.writer, args=(self,), daemon=True)
        self.thread.start()
        return self.ours

    def exec_inspect(self, exec_id: str) -> dict[str, Any]:
        return {"ExitCode": 0, "Running": not self.killed and self.thread is not None and self.thread.is_alive(),
                "Pid": 0}


class FakeClient:
    def __init__(self, api: FakeApi) -> None:
        self.api = api


def endless(api: FakeApi) -> None:
    chunk = frame(b"y\n" * 8192)
    try:
        while True:
            api.theirs.sendall(chunk)
    except OSError:
        pass


def test_endless_output_is_read_as_it_comes_and_cut_and_the_deadline_holds(monkeypatch: Any) -> None:
    killed: list[str] = []
    monkeypatch.setattr(exec_probe, "kill_exec", lambda api, exec_id, container_id: killed.append(exec_id))
    api = FakeApi(endless)
    started = time.monotonic()
    run = run_exec(FakeClient(api), "c1", ("yes",), 0.5)  # type: ignore[arg-type]
    assert 0.45 <= time.monotonic() - started < 1.5
    assert run.timed_out and killed == ["exec1"]
    assert len(run.output) == MAX_OUTPUT_BYTES and set(run.output) == {"y", "\n"}
    assert api.ours.fileno() == -1                       # our end closed: nothing is left reading
    api.theirs.close()


def test_output_that_ends_gives_the_exit_code_and_its_first_10_kib() -> None:
    def finite(api: FakeApi) -> None:
        api.theirs.sendall(frame(b"a" * 30000) + frame(b"b" * 10))
        api.theirs.close()

    run = run_exec(FakeClient(FakeApi(finite)), "c1", ("cat",), 5)  # type: ignore[arg-type]
    assert (run.exit_code, run.timed_out, run.output) == (0, False, "a" * MAX_OUTPUT_BYTES)


def test_a_pid_outside_the_containers_cgroup_is_never_killed() -> None:
    import os

    assert not exec_probe.in_container(os.getpid(), "0123456789abcdef" * 4)   # this test's own process
    assert not exec_probe.in_container(2**22 + 7, "abc")                        # no such process
