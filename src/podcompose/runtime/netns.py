"""Probes and httpGet hooks made from inside a pod's network namespace.

A kubelet connects to the pod IP; podcompose connects to 127.0.0.1 (or the probe's host) from
inside the pause container's network namespace, so the user's image needs no curl or nc and no
route to container IPs is needed. Each probe runs on a fresh thread that `setns()`es into
/proc/<pause pid>/ns/net: that affects only this thread, and the thread then ends, so it never
goes back to a pool in the wrong namespace. Sockets it opens stay in that namespace.
"""
from __future__ import annotations

import ctypes
import http.client
import os
import socket
import ssl
import threading
import time
import urllib.parse
from typing import Callable, TypeVar

from ..probe import ProbeOutcome, ProbeResult
from ..probes_model import GRPCAction, HTTPGetAction, TCPSocketAction

T = TypeVar("T")
CLONE_NEWNET = 0x40000000
USER_AGENT = "kube-probe/1.32"
MAX_BODY_BYTES = 10 * 1024           # the kubelet reads at most 10 KiB of a probe's body
MAX_REDIRECTS = 10


class NetnsError(OSError):
    """The namespace could not be entered (no such process, or not allowed)."""


def _setns(fd: int) -> None:
    if hasattr(os, "setns"):               # Python 3.12+
        os.setns(fd, CLONE_NEWNET)
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.setns(fd, CLONE_NEWNET) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, os.strerror(errno))


def run_in_netns(pid: int, action: Callable[[], T], timeout: float) -> T:
    """`action()` on a new thread inside the network namespace of process `pid`.

    Raises NetnsError when the namespace cannot be entered and TimeoutError when `action` has
    not returned after `timeout` seconds (the thread is left to finish on its own sockets' timeouts).
    """
    try:
        fd = os.open(f"/proc/{pid}/ns/net", os.O_RDONLY | os.O_CLOEXEC)
    except OSError as error:
        raise NetnsError(error.errno, f"cannot open the network namespace of pid {pid}: {error.strerror}") from None
    outcome: dict[str, object] = {}

    def body() -> None:
        try:
            try:
                _setns(fd)
            except OSError as error:
                outcome["error"] = NetnsError(error.errno, f"setns into pid {pid}'s network namespace: {error.strerror}")
                return
            finally:
                os.close(fd)
            outcome["value"] = action()
        except BaseException as error:   # handed to the caller's thread
            outcome["error"] = error

    thread = threading.Thread(target=body, name=f"netns-probe-{pid}", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise TimeoutError(f"no answer within {timeout:g}s")
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["value"]  # type: ignore[return-value]


# --- the handlers, run inside the namespace --------------------------------------------------

def _host_port(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def tcp_check(action: TCPSocketAction, timeout: float) -> ProbeOutcome:
    """Success when a TCP connection opens (and is closed at once), as the kubelet's tcpSocket."""
    try:
        with socket.create_connection((action.host, action.port), timeout=timeout):
            return ProbeOutcome(ProbeResult.SUCCESS)
    except socket.timeout:
        return ProbeOutcome(ProbeResult.FAILURE, f"dial tcp {_host_port(action.host, action.port)}: i/o timeout")
    except OSError as error:
        return ProbeOutcome(ProbeResult.FAILURE, f"dial tcp {_host_port(action.host, action.port)}: "
                                                 f"connect: {error.strerror or error}")


class _Deadline:
    """Every socket operation of one request waits at most what is left until `_deadline_at` (time.monotonic):
    http.client's own timeout is per recv, so a server that trickles a byte at a time would hold it for ever."""

    _deadline_at: float = float("inf")

    def _left(self) -> None:
        if self._deadline_at == float("inf"):
            return                              # not given one yet (a TLS handshake under way): the socket's own
        left = self._deadline_at - time.monotonic()
        if left <= 0:
            raise socket.timeout("timed out")
        self.settimeout(left)  # type: ignore[attr-defined]

    def recv_into(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self._left()
        return super().recv_into(*args, **kwargs)  # type: ignore[misc]

    def recv(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self._left()
        return super().recv(*args, **kwargs)  # type: ignore[misc]

    def sendall(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self._left()
        return super().sendall(*args, **kwargs)  # type: ignore[misc]


class _DeadlineSocket(_Deadline, socket.socket):
    pass


class _DeadlineSSLSocket(_Deadline, ssl.SSLSocket):
    pass


def deadline_connection(host: str, port: int, deadline_at: float) -> socket.socket:
    """A TCP connection to (host, port) whose every later operation ends by `deadline_at`."""
    left = deadline_at - time.monotonic()
    if left <= 0:
        raise socket.timeout("timed out")
    plain = socket.create_connection((host, port), timeout=left)
    sock = _DeadlineSocket(plain.family, plain.type, plain.proto, fileno=plain.detach())
    sock._deadline_at = deadline_at
    sock.settimeout(max(0.001, deadline_at - time.monotonic()))
    return sock


class _HTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, deadline_at: float) -> None:
        super().__init__(host, port, timeout=max(0.001, deadline_at - time.monotonic()))
        self.deadline_at = deadline_at

    def connect(self) -> None:
        self.sock = deadline_connection(self.host, self.port, self.deadline_at)


class _HTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, deadline_at: float) -> None:
        context = ssl.create_default_context()
        context.check_hostname = False          # the kubelet skips verification (InsecureSkipVerify)
        context.verify_mode = ssl.CERT_NONE
        context.sslsocket_class = _DeadlineSSLSocket
        super().__init__(host, port, timeout=max(0.001, deadline_at - time.monotonic()), context=context)
        self.deadline_at = deadline_at

    def connect(self) -> None:
        plain = deadline_connection(self.host, self.port, self.deadline_at)
        wrapped = self._context.wrap_socket(plain, server_hostname=self.host)  # type: ignore[attr-defined]
        wrapped._deadline_at = self.deadline_at
        self.sock = wrapped


def _connection(scheme: str, host: str, port: int, deadline_at: float) -> http.client.HTTPConnection:
    if scheme == "HTTPS":
        return _HTTPSConnection(host, port, deadline_at)
    return _HTTPConnection(host, port, deadline_at)


def _request(url: urllib.parse.SplitResult, headers: tuple[tuple[str, str], ...], user_agent: str,
             deadline_at: float) -> tuple[int, str, str]:
    """(status, body, Location) of one GET, all of it done by `deadline_at`."""
    scheme = url.scheme.upper()
    try:
        port = url.port or (443 if scheme == "HTTPS" else 80)
    except ValueError as error:               # a Location such as http://127.0.0.1:99999/
        raise http.client.InvalidURL(f"invalid URL {url.geturl()!r}: {error}") from None
    conn = _connection(scheme, url.hostname or "", port, deadline_at)
    try:
        target = url.path or "/"
        if url.query:
            target += "?" + url.query
        conn.putrequest("GET", target, skip_host=True, skip_accept_encoding=True)
        given = {name.lower(): (name, value) for name, value in headers}
        defaults = {"host": ("Host", url.netloc), "user-agent": ("User-Agent", user_agent),
                    "accept": ("Accept", "*/*"), "connection": ("Connection", "close")}
        for key, (name, value) in (defaults | given).items():
            conn.putheader(name, value)
        conn.endheaders()
        response = conn.getresponse()
        body = response.read(MAX_BODY_BYTES).decode(errors="replace")
        return response.status, body, response.getheader("Location") or ""
    finally:
        conn.close()


def http_get(action: HTTPGetAction, timeout: float, user_agent: str = USER_AGENT) -> tuple[int, str]:
    """(final status, body) of a GET, following redirects only to the same host, as the kubelet.

    A redirect elsewhere ends the chain: its 3xx status is the answer. Raises OSError
    (socket.timeout included) when no answer comes.
    """
    deadline = time.monotonic() + timeout
    host = _host_port(action.host, action.port)
    path = action.path if action.path.startswith("/") else "/" + action.path
    url = urllib.parse.urlsplit(f"{action.scheme.lower()}://{host}{path}")
    for _ in range(MAX_REDIRECTS + 1):
        status, body, location = _request(url, action.headers, user_agent, deadline)
        if status not in (301, 302, 303, 307, 308) or not location:
            return status, body
        try:
            target = urllib.parse.urlsplit(urllib.parse.urljoin(url.geturl(), location))
        except ValueError as error:
            raise http.client.InvalidURL(f"invalid redirect {location!r}: {error}") from None
        if target.hostname != url.hostname:
            return status, body
        url = target
    raise OSError("stopped after 10 redirects")


def http_check(action: HTTPGetAction, timeout: float) -> ProbeOutcome:
    """The kubelet's httpGet probe: 200..399 succeeds, anything else or no answer fails."""
    url = f"{action.scheme.lower()}://{_host_port(action.host, action.port)}{action.path}"
    try:
        status, body = http_get(action, timeout)
    except socket.timeout:
        return ProbeOutcome(ProbeResult.FAILURE, f'Get "{url}": context deadline exceeded '
                                                 "(Client.Timeout exceeded while awaiting headers)")
    except (OSError, http.client.HTTPException) as error:
        return ProbeOutcome(ProbeResult.FAILURE, f'Get "{url}": {error}')
    if 200 <= status < 400:
        return ProbeOutcome(ProbeResult.SUCCESS, body)
    return ProbeOutcome(ProbeResult.FAILURE, f"HTTP probe failed with statuscode: {status}")


def probe_in_netns(pid: int, action: HTTPGetAction | TCPSocketAction | GRPCAction, timeout: float) -> ProbeOutcome:
    """Run one network probe inside pid's network namespace. UNKNOWN when it could not be run."""
    def run() -> ProbeOutcome:
        if isinstance(action, HTTPGetAction):
            return http_check(action, timeout)
        if isinstance(action, TCPSocketAction):
            return tcp_check(action, timeout)
        from .grpc_health import grpc_check
        return grpc_check(action, timeout)

    try:
        # a little slack: the handlers honour `timeout` themselves and report it in their words
        return run_in_netns(pid, run, timeout + 1.0)
    except TimeoutError as error:
        return ProbeOutcome(ProbeResult.FAILURE, str(error))
    except NetnsError as error:
        return ProbeOutcome(ProbeResult.UNKNOWN, str(error))
