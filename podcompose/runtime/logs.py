"""Container logs: read or follow, line by line, from one or many containers."""
from __future__ import annotations

import queue
import threading
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
    until: int | None = None
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


def container_lines(client: docker.DockerClient, container: ObservedContainer, options: LogOptions) -> Iterator[str]:
    kwargs: dict = {"stdout": True, "stderr": True, "stream": True, "follow": options.follow,
                    "timestamps": options.timestamps, "tail": "all" if options.tail is None else options.tail}
    if options.since is not None:
        kwargs["since"] = options.since
    if options.until is not None:
        kwargs["until"] = options.until
    try:
        yield from _lines(client.api.logs(container.id, **kwargs))
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
