"""Container logs: read or follow, line by line, from one or many containers."""
from __future__ import annotations

import queue
import re
import threading
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


def container_lines(client: docker.DockerClient, container: ObservedContainer, options: LogOptions) -> Iterator[str]:
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
