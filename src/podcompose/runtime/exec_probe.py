"""exec probes (and exec hooks): a command run in the container with `docker exec`.

The output is read as it comes, from the exec's own socket, on the caller's thread: at most
10 KiB of it is kept (the kubelet's limit, pkg/probe/exec: maxReadLength = 10 * 1024), the rest
is read and thrown away, so a command that prints without end costs the agent no memory. One
deadline covers the whole read; when it passes, the exec's processes are killed (Docker has no
call to stop an exec: its host pid comes from exec_inspect) and nothing is left reading.
"""
from __future__ import annotations

import os
import signal
import socket
import time
from dataclasses import dataclass

import docker
import docker.errors

from ..probe import ProbeOutcome, ProbeResult
from ..probes_model import ExecAction

MAX_OUTPUT_BYTES = 10 * 1024
FRAME_HEADER_BYTES = 8               # Docker's multiplexed stream: stream type, 3 zero bytes, big-endian size
READ_CHUNK = 64 * 1024


@dataclass(frozen=True)
class ExecRun:
    """One `docker exec`: its exit code and output, or why there is none."""

    exit_code: int | None = None
    output: str = ""
    timed_out: bool = False
    error: str = ""                  # the exec could not be made or run (the container is not running...)


class OutputCollector:
    """The payload of Docker's multiplexed exec stream, fed in chunks of any size; keeps the first `limit` bytes."""

    def __init__(self, limit: int = MAX_OUTPUT_BYTES) -> None:
        self.limit = limit
        self.kept = bytearray()
        self._header = bytearray()
        self._left_in_frame = 0

    def feed(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            if self._left_in_frame == 0:
                need = FRAME_HEADER_BYTES - len(self._header)
                self._header += view[:need]
                view = view[need:]
                if len(self._header) == FRAME_HEADER_BYTES:
                    self._left_in_frame = int.from_bytes(self._header[4:8], "big")
                    self._header.clear()
                continue
            payload = view[:self._left_in_frame]
            view = view[len(payload):]
            self._left_in_frame -= len(payload)
            room = self.limit - len(self.kept)
            if room > 0:
                self.kept += payload[:room]

    def text(self) -> str:
        return bytes(self.kept).decode(errors="replace")


def _raw_socket(attached: object) -> socket.socket:
    """The socket.socket under what docker-py's exec_start(socket=True) hands back (a SocketIO on a unix socket)."""
    return getattr(attached, "_sock", attached)  # type: ignore[return-value]


def read_until(sock: socket.socket, collector: OutputCollector, deadline: float) -> bool:
    """Read the stream to its end into `collector`; False when `deadline` (time.monotonic) passed first."""
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        sock.settimeout(remaining)
        try:
            data = sock.recv(READ_CHUNK)
        except socket.timeout:
            return False
        if not data:
            return True
        collector.feed(data)


def _descendants(pid: int) -> list[int]:
    """pid and every process under it, children first found through /proc/<pid>/task/*/children."""
    found, queue = [], [pid]
    while queue and len(found) < 4096:
        current = queue.pop()
        found.append(current)
        try:
            tasks = os.listdir(f"/proc/{current}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                with open(f"/proc/{current}/task/{task}/children", encoding="ascii") as handle:
                    queue.extend(int(child) for child in handle.read().split())
            except (OSError, ValueError):
                pass
    return found


def in_container(pid: int, container_id: str) -> bool:
    """Whether this host's process `pid` is in the container's cgroup: the pid Docker gives is the daemon's
    host's, which is not this one when the daemon is remote, and a pid may have been reused meanwhile."""
    try:
        with open(f"/proc/{pid}/cgroup", encoding="utf-8", errors="replace") as cgroup:
            return container_id in cgroup.read()
    except OSError:
        return False


def kill_exec(api: docker.APIClient, exec_id: str, container_id: str) -> None:
    """End a running exec: SIGKILL its process and everything it started (the agent runs beside the daemon)."""
    try:
        inspected = api.exec_inspect(exec_id)
    except docker.errors.DockerException:
        return
    pid = int(inspected.get("Pid") or 0)
    if not inspected.get("Running") or pid <= 1 or not in_container(pid, container_id):
        return
    for process in _descendants(pid):
        try:
            os.kill(process, signal.SIGKILL)
        except OSError:
            pass


def run_exec(client: docker.DockerClient, container_id: str, command: tuple[str, ...], timeout: float) -> ExecRun:
    """Run `command` in the container, waiting at most `timeout` seconds; past them it is killed."""
    api = client.api
    deadline = time.monotonic() + timeout
    try:
        exec_id = api.exec_create(container_id, list(command), stdout=True, stderr=True)["Id"]
        attached = api.exec_start(exec_id, socket=True)
    except docker.errors.APIError as error:
        return ExecRun(error=f"exec failed: {error.explanation or error}")
    collector = OutputCollector()
    sock = _raw_socket(attached)
    try:
        finished = read_until(sock, collector, deadline)
    except OSError as error:
        return ExecRun(error=f"exec failed: reading its output: {error}")
    finally:
        for closable in (attached, getattr(attached, "_response", None)):
            try:
                closable.close()  # type: ignore[union-attr]
            except Exception:   # noqa: BLE001 - closing what is already gone
                pass
    if not finished:
        kill_exec(api, exec_id, container_id)
        return ExecRun(timed_out=True, output=collector.text())
    try:
        code = api.exec_inspect(exec_id).get("ExitCode")
    except docker.errors.APIError as error:
        return ExecRun(output=collector.text(), error=f"exec inspect failed: {error.explanation or error}")
    return ExecRun(exit_code=code, output=collector.text())


def exec_check(client: docker.DockerClient, container_id: str, action: ExecAction, timeout: float) -> ProbeOutcome:
    """Exit code 0 succeeds; a timeout fails; an exec that cannot run is UNKNOWN (not counted)."""
    run = run_exec(client, container_id, action.command, timeout)
    if run.timed_out:
        return ProbeOutcome(ProbeResult.FAILURE, f"command {list(action.command)!r} timed out after {timeout:g}s")
    if run.error:
        return ProbeOutcome(ProbeResult.UNKNOWN, run.error)
    if run.exit_code == 0:
        return ProbeOutcome(ProbeResult.SUCCESS, run.output)
    return ProbeOutcome(ProbeResult.FAILURE, run.output or f"command exited with code {run.exit_code}")
