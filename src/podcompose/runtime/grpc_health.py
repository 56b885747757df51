"""The kubelet's grpc probe: grpc.health.v1.Health/Check over plain HTTP/2 (h2c).

grpcio cannot be used here: its C core opens connections on its own threads, outside the
network namespace the probing thread entered. h2 (pure Python, sans-I/O) lets this thread
own the socket; the protobuf messages are small enough to write by hand.
"""
from __future__ import annotations

import socket
import time

from ..probe import ProbeOutcome, ProbeResult
from ..probes_model import DEFAULT_PROBE_HOST, GRPCAction

SERVING_STATUS = {0: "UNKNOWN", 1: "SERVING", 2: "NOT_SERVING", 3: "SERVICE_UNKNOWN"}
GRPC_UNIMPLEMENTED = "12"
# A HealthCheckResponse is a few bytes; a server that sends more is not answering the health protocol. Past this
# the probe fails as gRPC's own receive limit fails a call (ResourceExhausted), and nothing more is kept.
MAX_RESPONSE_BYTES = 16 * 1024


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def check_request(service: str) -> bytes:
    """A length-prefixed HealthCheckRequest{service}."""
    raw = service.encode()
    message = b"\x0a" + _varint(len(raw)) + raw if raw else b""
    return b"\x00" + len(message).to_bytes(4, "big") + message


def serving_status(frame: bytes) -> int:
    """HealthCheckResponse.status of one length-prefixed message (0 when absent)."""
    message = frame[5:5 + int.from_bytes(frame[1:5], "big")]
    i = 0
    status = 0
    while i < len(message):
        key = message[i]
        i += 1
        if key == 0x08:                          # field 1, varint
            status, shift = 0, 0
            while i < len(message):              # a truncated varint ends with the message
                byte = message[i]
                i += 1
                status |= (byte & 0x7F) << shift
                shift += 7
                if not byte & 0x80:
                    break
        else:
            break                                # no other fields in this message
    return status


def grpc_check(action: GRPCAction, timeout: float, host: str = DEFAULT_PROBE_HOST) -> ProbeOutcome:
    import h2.config
    import h2.connection
    import h2.events

    deadline = time.monotonic() + timeout
    try:
        sock = socket.create_connection((host, action.port), timeout=timeout)
    except OSError as error:
        return ProbeOutcome(ProbeResult.FAILURE, f"timeout: failed to connect service "
                                                 f"\"{host}:{action.port}\" within {timeout:g}s: {error}")
    with sock:
        conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
        conn.initiate_connection()
        stream = conn.get_next_available_stream_id()
        conn.send_headers(stream, [
            (":method", "POST"), (":scheme", "http"), (":path", "/grpc.health.v1.Health/Check"),
            (":authority", f"{host}:{action.port}"), ("content-type", "application/grpc"),
            ("te", "trailers"), ("user-agent", "kube-probe/1.32"), ("grpc-timeout", f"{max(1, int(timeout * 1000))}m"),
        ])
        conn.send_data(stream, check_request(action.service), end_stream=True)
        body = bytearray()
        trailers: dict[str, str] = {}
        try:
            sock.sendall(conn.data_to_send())
            ended = False
            while not ended:
                sock.settimeout(max(0.001, deadline - time.monotonic()))
                data = sock.recv(65536)
                if not data:
                    break
                for event in conn.receive_data(data):
                    if isinstance(event, h2.events.DataReceived):
                        if len(body) + len(event.data) > MAX_RESPONSE_BYTES:
                            return ProbeOutcome(ProbeResult.FAILURE, "health rpc probe failed: rpc error: code = "
                                                "ResourceExhausted desc = grpc: received message larger than "
                                                f"max ({MAX_RESPONSE_BYTES} bytes)")
                        body += event.data
                        conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                    elif isinstance(event, (h2.events.TrailersReceived, h2.events.ResponseReceived)):
                        trailers.update(dict(event.headers))  # type: ignore[arg-type]
                    elif isinstance(event, (h2.events.StreamEnded, h2.events.StreamReset,
                                            h2.events.ConnectionTerminated)):
                        ended = True
                sock.sendall(conn.data_to_send())
        except socket.timeout:
            return ProbeOutcome(ProbeResult.FAILURE, f"timeout: health rpc did not complete within {timeout:g}s")
        except OSError as error:
            return ProbeOutcome(ProbeResult.FAILURE, f"health rpc probe failed: {error}")
    code = trailers.get("grpc-status", "")
    if code == GRPC_UNIMPLEMENTED:
        return ProbeOutcome(ProbeResult.FAILURE, "this server does not implement the grpc health protocol "
                                                 f"(grpc.health.v1.Health): {trailers.get('grpc-message', '')}")
    if code not in ("", "0") or len(body) < 5:
        return ProbeOutcome(ProbeResult.FAILURE, f"health rpc probe failed: rpc error: code = {code or '?'} "
                                                 f"desc = {trailers.get('grpc-message', '')}")
    status = serving_status(bytes(body))
    if status != 1:
        return ProbeOutcome(ProbeResult.FAILURE,
                            f"service unhealthy (responded with \"{SERVING_STATUS.get(status, status)}\")")
    return ProbeOutcome(ProbeResult.SUCCESS, "service healthy")
