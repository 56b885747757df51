"""Container logs: read or follow, line by line, from one or many containers."""
from __future__ import annotations

import queue
import re
import threading
import time
from datetime import datetime
from dataclasses import dataclass
from typing import Iterator

import docker
import docker.errors

from ..state import ObservedContainer


@dataclass(frozen=True)
class LogOptions:
    follow: bool = False
    tail: int | None = None
    since: int | None = None          # unix seconds
    until: float | None = None
    timestamps: bool = False
    across_restarts: bool = False     # with follow: keep following while Docker restarts the container


def _lines(chunks: Iterator[bytes]) -> Iterator[str]:
    buffer = b""
    for chunk in chunks:
        buffer += chunk
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            yield line.decode(errors="replace").rstrip("\r")
    if buffer:
        yield buffer.decode(errors="replace")


def unix_time(stamp: str) -> float:
    """Docker's RFC 3339 time with nanoseconds, as unix seconds (to the microsecond)."""
    trimmed = re.sub(r"(\.\d{6})\d*", r"\1", stamp).replace("Z", "+00:00")
    return datetime.fromisoformat(trimmed).timestamp()


def _before(lines: Iterator[str], until: float, keep_timestamps: bool) -> Iterator[str]:
    # The daemon's `until` parses fractions as nanosecond counts; filtering here is exact.
    for line in lines:
        stamp, _, text = line.partition(" ")
        try:
            if unix_time(stamp) >= until:
                return
        except ValueError:
            pass
        yield line if keep_timestamps else text


def _restarting(client: docker.DockerClient, container_id: str) -> bool:
    """Whether Docker is restarting (or has restarted) the container under its restart policy."""
    try:
        state = client.api.inspect_container(container_id)["State"]
    except docker.errors.NotFound:
        return False
    return bool(state.get("Running") or state.get("Restarting"))


def _following_restarts(client: docker.DockerClient, container: ObservedContainer,
                        options: LogOptions) -> Iterator[str]:
    """Follow one container's log through restarts: Docker ends a follow stream when the container stops.

    Lines come with timestamps so that a resumed stream skips what was shown already.
    """
    last = 0.0
    since = options.since
    while True:
        kwargs: dict = {"stdout": True, "stderr": True, "stream": True, "follow": True, "timestamps": True,
                        "tail": "all" if options.tail is None or last else options.tail}
        if since is not None:
            kwargs["since"] = since
        for line in _lines(client.api.logs(container.id, **kwargs)):
            stamp, _, text = line.partition(" ")
            try:
                moment = unix_time(stamp)
            except ValueError:
                moment = last
            if moment < last or (moment == last and last):
                continue
            last = moment
            yield line if options.timestamps else text
        time.sleep(0.2)
        if not _restarting(client, container.id):
            return
        since = int(last) if last else since


def container_lines(client: docker.DockerClient, container: ObservedContainer, options: LogOptions) -> Iterator[str]:
    if options.follow and options.across_restarts:
        try:
            yield from _following_restarts(client, container, options)
        except docker.errors.NotFound:
            pass
        return
    kwargs: dict = {"stdout": True, "stderr": True, "stream": True, "follow": options.follow,
                    "timestamps": options.timestamps or options.until is not None,
                    "tail": "all" if options.tail is None else options.tail}
    if options.since is not None:
        kwargs["since"] = options.since
    try:
        lines = _lines(client.api.logs(container.id, **kwargs))
        if options.until is not None:
            lines = _before(lines, options.until, options.timestamps)
        yield from lines
    except docker.errors.NotFound:
        return


def merged_lines(client: docker.DockerClient, containers: list[ObservedContainer],
                 options: LogOptions) -> Iterator[tuple[str, str]]:
    """(container name, line) pairs: one after the other, or interleaved live with `follow`."""
    if not options.follow:
        for container in containers:
            for line in container_lines(client, container, options):
                yield container.container, line
        return
    lines: queue.Queue[tuple[str, str] | None] = queue.Queue(maxsize=10_000)

    def pump(container: ObservedContainer) -> None:
        try:
            for line in container_lines(client, container, options):
                lines.put((container.container, line))
        finally:
            lines.put(None)

    for container in containers:
        threading.Thread(target=pump, args=(container,), daemon=True).start()
    remaining = len(containers)
    while remaining:
        item = lines.get()
        if item is None:
            remaining -= 1
        else:
            yield item
