"""The live view of `up` on a terminal: one line per container, pulls with bytes."""
from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Iterator

from ..events import Event, EventSink
from ..model import Pod
from .ui import UI

if TYPE_CHECKING:     # rich only draws on a terminal (see ui.py)
    from rich.table import Table
    from rich.text import Text

STYLES = {"pending": "dim", "pulling": "yellow", "created": "cyan", "started": "cyan", "running": "green",
          "completed": "green", "failed": "red bold", "removed": "dim", "up to date": "green", "waiting": "yellow"}


def _bytes(n: float) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} TB"


class LiveUp:
    """Collects `up` events into per-container states and renders them as a table."""

    def __init__(self, pods: list[Pod]) -> None:
        self.rows: dict[tuple[str, str], str] = {}
        for pod in pods:
            self.rows[(pod.name, "POD")] = "pending"
            for container in pod.all_containers:
                self.rows[(pod.name, container.name)] = "pending"
        self.pulls: dict[str, dict[str, tuple[int, int]]] = {}
        self.messages: list["Text"] = []

    def handle(self, event: Event) -> None:
        key = (event.pod, event.container)
        if event.kind == "pulling":
            layers = self.pulls.setdefault(event.data.get("image", ""), {})
            if event.data.get("layer") and event.data.get("total"):
                layers[event.data["layer"]] = (event.data.get("current") or 0, event.data["total"])
        elif event.kind == "pulled":
            self.pulls.pop(event.data.get("image", ""), None)
        elif event.kind in ("created", "started", "running", "completed", "waiting") and key in self.rows:
            self.rows[key] = event.kind
        elif event.kind == "up-to-date":
            for row in self.rows:
                if row[0] == event.pod:
                    self.rows[row] = "up to date"
        elif event.kind == "removed":
            for row, state in self.rows.items():
                if row[0] == event.pod and state not in ("completed", "running", "pending"):
                    self.rows[row] = "removed"
        elif event.kind in ("warning", "image-local"):
            from rich.text import Text

            self.messages.append(Text("warning: ", style="yellow bold") + Text(event.message))

    def fail(self, pod: str, container: str) -> None:
        if (pod, container) in self.rows:
            self.rows[(pod, container)] = "failed"

    def render(self) -> "Table":
        from rich.table import Table
        from rich.text import Text

        table = Table(box=None, show_header=False, pad_edge=False)
        table.add_column("pod")
        table.add_column("container")
        table.add_column("state")
        for image, layers in self.pulls.items():
            done = sum(c for c, _ in layers.values())
            total = sum(t for _, t in layers.values())
            table.add_row("", Text(image, style="yellow"),
                          Text(f"pulling {_bytes(done)} / {_bytes(total)}" if total else "pulling", style="yellow"))
        for (pod, container), state in self.rows.items():
            table.add_row(pod, container, Text(state, style=STYLES.get(state, "")))
        for message in self.messages[-5:]:
            table.add_row("", "", message)
        return table


@contextlib.contextmanager
def live_up(ui: UI, pods: list[Pod]) -> Iterator[tuple[EventSink, LiveUp]]:
    """An event sink that draws the live view on a terminal, or prints plain lines."""
    if ui.plain:
        yield ui.event, LiveUp(pods)
        return
    from rich.live import Live

    view = LiveUp(pods)
    with Live(view.render(), console=ui.err, refresh_per_second=8, transient=False) as live:
        def sink(event: Event) -> None:
            view.handle(event)
            live.update(view.render())
        yield sink, view
        live.update(view.render())
