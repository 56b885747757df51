"""Events the runtime emits while it works; the CLI renders them."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Literal

EventKind = Literal[
    "pulling", "pulled", "image-local", "removing", "removed", "volume-created", "created", "started",
    "running", "completed", "failed", "stopping", "stopped", "up-to-date", "warning", "info",
]


@dataclass(frozen=True)
class Event:
    kind: EventKind
    pod: str = ""
    container: str = ""
    message: str = ""
    data: dict[str, Any] = field(default_factory=dict)


EventSink = Callable[[Event], None]


def ignore(_: Event) -> None:
    """An event sink that drops everything."""
