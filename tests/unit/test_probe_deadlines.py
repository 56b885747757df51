"""One deadline for a whole network probe: a trickling server, a bad redirect, a flood of gRPC data."""
from __future__ import annotations

import socket
import threading
import time
from typing import Iterator

import pytest

from podcompose.probe import ProbeResult
from podcompose.probes_model import GRPCAction, HTTPGetAction
from podcompose.runtime import grpc_health
from podcompose.runtime.grpc_health import grpc_check
from podcompose.runtime.netns import http_check


def serve(answer: "callable[[socket.socket], None]") -> Iterator[int]:  # type: ignore[valid-type]
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    stop = threading.Event()

    def run() -> None:
        while not stop.is_set():
            try:
                sock, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=answer, args=(sock,), daemon=True).start()

    threading.Thread(target=run, daemon=True).start()
    yield listener.getsockname()[1]
    stop.set()
    listener.close()


def trickle(sock: socket.socket) -> None:
    with sock:
        sock.recv(65536)
        try:
            for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 1000:
                sock.sendall(bytes([byte]))
                time.sleep(0.1)
        except OSError:
            pass


@pytest.fixture()
def trickling() -> Iterator[int]:
    yield from serve(trickle)


def test_a_server_that_trickles_bytes_fails_the_probe_at_its_timeout(trickling: int) -> None:
    started = time.monotonic()
    outcome = http_check(HTTPGetAction(trickling, "/"), 1)
    elapsed = time.monotonic() - started
    assert outcome.result is ProbeResult.FAILURE and "deadline exceeded" in outcome.message
    assert 0.9 <= elapsed < 1.5


def bad_redirect(sock: socket.socket) -> None:
    with sock:
        sock.recv(65536)
        sock.sendall(b"HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:99999/\r\nContent-Length: 0\r\n\r\n")


@pytest.fixture()
def redirecting() -> Iterator[int]:
    yield from serve(bad_redirect)


def test_a_redirect_to_a_port_out_of_range_fails_the_probe(redirecting: int) -> None:
    outcome = http_check(HTTPGetAction(redirecting, "/"), 2)
    assert outcome.result is ProbeResult.FAILURE and "99999" in outcome.message


def flood(sock: socket.socket) -> None:
    import h2.config
    import h2.connection
    import h2.events

    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False))
    conn.initiate_connection()
    conn.update_settings({h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 1 << 20})
    with sock:
        sock.sendall(conn.data_to_send())
        try:
            while data := sock.recv(65536):
                for event in conn.receive_data(data):
                    if isinstance(event, h2.events.StreamEnded):
                        conn.send_headers(event.stream_id, [(":status", "200"), ("content-type", "application/grpc")])
                        for _ in range(4):
                            conn.send_data(event.stream_id, b"\x01" * 16000)
                sock.sendall(conn.data_to_send())
        except Exception:  # noqa: BLE001 - the client hangs up
            pass


@pytest.fixture()
def flooding() -> Iterator[int]:
    yield from serve(flood)


def test_a_grpc_answer_past_the_limit_fails_without_being_kept(flooding: int) -> None:
    outcome = grpc_check(GRPCAction(flooding), 2)
    assert outcome.result is ProbeResult.FAILURE and "ResourceExhausted" in outcome.message
    assert str(grpc_health.MAX_RESPONSE_BYTES) in outcome.message


def test_a_hook_answered_by_a_bad_redirect_fails_as_a_hook_and_raises_nothing(redirecting: int) -> None:
    from podcompose.runtime.hooks import run_hook

    outcome = run_hook(None, None, "c1", HTTPGetAction(redirecting, "/stop"), 2,  # type: ignore[arg-type]
                       container_name="app", pod_name="web_default")
    assert not outcome.ok and "HTTP lifecycle hook (/stop)" in outcome.message and "99999" in outcome.message


def test_a_hook_whose_runtime_raises_is_a_failed_hook() -> None:
    from podcompose.probes_model import ExecAction
    from podcompose.runtime.hooks import run_hook

    class Broken:
        def exec_create(self, *args: object, **kwargs: object) -> None:
            raise RuntimeError("too many open files")

    client = type("Client", (), {"api": Broken()})()
    outcome = run_hook(client, None, "c1", ExecAction(("true",)), 2, container_name="app")  # type: ignore[arg-type]
    assert not outcome.ok and "RuntimeError: too many open files" in outcome.message
