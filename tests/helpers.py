"""Small helpers shared by the integration tests."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import threading
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


def wait_until(condition, timeout: float = 20, what: str = "the condition", interval: float = 0.1):
    """Poll `condition()` until it returns something truthy (returned) or `timeout` seconds pass (fails)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


class DockerEvents:
    """Docker's own record of what happened to a pod's containers, as `docker events` streams it.

    Use as a context manager around the action (events are collected from the moment it is entered)::

        with DockerEvents(pod) as events:
            run_cli("down", pod)
            events.wait_for(lambda evs: ..., what="...")
        kills = events.kills()   # [(container, signal, seconds)]
    """

    def __init__(self, pod: str) -> None:
        self.pod = pod
        self.events: list[dict] = []
        self._lock = threading.Lock()

    def __enter__(self) -> "DockerEvents":
        # --since now: events the daemon records before this subscription is in place are replayed
        # from its buffer, so nothing between here and the action is missed
        self._proc = subprocess.Popen(
            ["docker", "events", "--since", f"{time.time():.6f}", "--format", "{{json .}}",
             "--filter", "type=container", "--filter", f"label=io.podcompose.pod={self.pod}"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        return self

    def _read(self) -> None:
        for line in self._proc.stdout:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            with self._lock:
                self.events.append(event)

    def __exit__(self, *exc) -> None:
        self._proc.terminate()
        self._proc.wait(timeout=10)
        self._reader.join(timeout=10)

    def snapshot(self) -> list[dict]:
        with self._lock:
            return list(self.events)

    def wait_for(self, predicate, timeout: float = 20, what: str = "docker events") -> list[dict]:
        return wait_until(lambda: predicate(self.snapshot()) and self.snapshot(), timeout, what)

    def of(self, action: str) -> list[tuple[str, dict, float]]:
        """(container name in the pod, attributes, unix time) of each event with this action."""
        return [(e["Actor"]["Attributes"].get("io.podcompose.container", ""), e["Actor"]["Attributes"],
                 e["timeNano"] / 1e9)
                for e in self.snapshot() if e.get("Action") == action]

    def kills(self) -> list[tuple[str, int, float]]:
        """(container, signal number, unix time) of each signal Docker sent, in order."""
        return [(c, int(a.get("signal", 0)), t) for c, a, t in self.of("kill")]
