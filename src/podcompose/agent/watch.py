"""Waiting for Docker to change something of a pod, instead of polling it.

`WAKING_EVENTS` are the events that can change a decision: a container made,
started, ended or gone, a desired state made or gone; not exec_create,
exec_start or exec_die, which every exec probe causes. `PodWatch` follows the
event stream of one pod's objects in a thread and lets `up`'s first sync sleep
until the next of them, a probe result or its own next deadline.
"""
from __future__ import annotations

import threading
import time
from typing import Any

import docker

from .. import naming

WAKING_EVENTS = ("create", "start", "die", "oom", "destroy", "kill", "stop", "pause", "unpause", "rename")
NO_STREAM_SECONDS = 0.1       # how long a wait lasts at most once the stream is lost (then it polls)


class PodWatch:
    """Docker's events for the objects labelled with one pod, as a flag to wait on."""

    def __init__(self, client: docker.DockerClient, namespace: str, pod: str) -> None:
        self._changed = threading.Event()
        self._lost = False
        # the daemon subscribes before it answers, so nothing that happens after this call is missed
        self._stream: Any = client.api.events(decode=True, filters={
            "label": [f"{naming.POD}={pod}", f"{naming.NAMESPACE}={namespace}"], "event": list(WAKING_EVENTS)})
        self._reader = threading.Thread(target=self._read, daemon=True, name=f"watch-{pod}")
        self._reader.start()

    def _read(self) -> None:
        try:
            for _ in self._stream:
                self._changed.set()
        except Exception:  # noqa: BLE001 - closed by close(), or the daemon went away: waits become short
            pass
        self._lost = True
        self._changed.set()

    def notify(self, *_: object) -> None:
        """Something other than Docker changed (a probe result): end the current wait."""
        self._changed.set()

    def wait(self, seconds: float) -> None:
        """Until the pod's objects change, `notify` is called, or `seconds` pass."""
        if self._lost:
            time.sleep(max(0.0, min(seconds, NO_STREAM_SECONDS)))
            return
        if self._changed.wait(max(0.0, seconds)):
            self._changed.clear()

    def close(self) -> None:
        try:
            self._stream.close()
        except Exception:  # noqa: BLE001 - already ended
            pass
