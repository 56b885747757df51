"""The network probe handlers against servers on the host's loopback (no namespace needed)."""
from __future__ import annotations

import http.server
import socket
import threading
from typing import Iterator

import pytest

from podcompose.probe import ProbeResult
from podcompose.probes_model import GRPCAction, HTTPGetAction
from podcompose.runtime.grpc_health import check_request, grpc_check
from podcompose.runtime.netns import http_check

seen: list[dict[str, str]] = []


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802
        seen.append(dict(self.headers))
        routes = {"/ok": (200, {}), "/moved": (302, {"Location": "/ok"}),
                  "/away": (302, {"Location": "http://elsewhere.invalid/"}), "/bad": (500, {})}
        status, headers = routes.get(self.path, (404, {}))
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(b"body of " + self.path.encode())

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def web() -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()


def test_http_success_headers_and_user_agent(web: int) -> None:
    outcome = http_check(HTTPGetAction(web, "/ok", headers=(("X-Probe", "yes"), ("Host", "example"))), 2)
    assert outcome.result is ProbeResult.SUCCESS and outcome.message == "body of /ok"
    assert seen[-1]["User-Agent"] == "kube-probe/1.32" and seen[-1]["X-Probe"] == "yes"
    assert seen[-1]["Host"] == "example"


def test_redirects_to_the_same_host_are_followed(web: int) -> None:
    outcome = http_check(HTTPGetAction(web, "/moved"), 2)
    assert outcome.result is ProbeResult.SUCCESS and outcome.message == "body of /ok"


def test_a_redirect_to_another_host_counts_as_success_without_following(web: int) -> None:
    outcome = http_check(HTTPGetAction(web, "/away"), 2)
    assert outcome.result is ProbeResult.SUCCESS and outcome.message == "body of /away"


def test_http_500_fails(web: int) -> None:
    outcome = http_check(HTTPGetAction(web, "/bad"), 2)
    assert (outcome.result, outcome.message) == (ProbeResult.FAILURE, "HTTP probe failed with statuscode: 500")


# --- gRPC health over h2c -------------------------------------------------------------------------

def serve_grpc(status: int | None) -> int:
    """A one-connection gRPC health server: answers Check with `status`, or UNIMPLEMENTED when None."""
    import h2.config
    import h2.connection
    import h2.events

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)

    def run() -> None:
        sock, _ = listener.accept()
        conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False, header_encoding="utf-8"))
        conn.initiate_connection()
        sock.sendall(conn.data_to_send())
        with sock:
            while data := sock.recv(65536):
                for event in conn.receive_data(data):
                    if isinstance(event, h2.events.StreamEnded):
                        sid = event.stream_id
                        if status is None:
                            conn.send_headers(sid, [(":status", "200"), ("content-type", "application/grpc"),
                                                    ("grpc-status", "12"), ("grpc-message", "no health")],
                                              end_stream=True)
                        else:
                            conn.send_headers(sid, [(":status", "200"), ("content-type", "application/grpc")])
                            message = bytes([0x08, status])
                            conn.send_data(sid, b"\x00" + len(message).to_bytes(4, "big") + message)
                            conn.send_headers(sid, [("grpc-status", "0")], end_stream=True)
                sock.sendall(conn.data_to_send())
        listener.close()

    threading.Thread(target=run, daemon=True).start()
    return listener.getsockname()[1]


def test_grpc_serving_succeeds() -> None:
    outcome = grpc_check(GRPCAction(serve_grpc(1), "svc"), 2)
    assert (outcome.result, outcome.message) == (ProbeResult.SUCCESS, "service healthy")


def test_grpc_not_serving_fails() -> None:
    outcome = grpc_check(GRPCAction(serve_grpc(2)), 2)
    assert outcome.result is ProbeResult.FAILURE and "NOT_SERVING" in outcome.message


def test_grpc_without_the_health_service_fails_with_the_kubelets_words() -> None:
    outcome = grpc_check(GRPCAction(serve_grpc(None)), 2)
    assert outcome.result is ProbeResult.FAILURE
    assert "does not implement the grpc health protocol" in outcome.message


def test_grpc_closed_port_fails() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    assert grpc_check(GRPCAction(port), 1).result is ProbeResult.FAILURE


def test_check_request_encoding() -> None:
    assert check_request("") == b"\x00\x00\x00\x00\x00"
    assert check_request("ab") == b"\x00\x00\x00\x00\x04\x0a\x02ab"
