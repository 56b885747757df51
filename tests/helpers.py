"""Small helpers shared by the integration tests."""
from __future__ import annotations

import socket
import time
import urllib.request

BUSYBOX = "podcompose.test/busybox:1"
# busybox sh as PID 1 ignores SIGTERM unless it traps it
LOOP = "trap 'exit 0' TERM; while true; do sleep 1; done"


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url: str, attempts: int = 50) -> str:
    """The body served at `url` (a 127.0.0.1 address), retrying while it does not answer yet."""
    for _ in range(attempts):
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.read().decode().strip()
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"no answer from {url}")
