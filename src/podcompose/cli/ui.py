"""Rendering: rich on a terminal, plain lines when piped or NO_COLOR is set.

rich is imported only for a terminal: piped output (scripts, CI) never pays for it.
"""
from __future__ import annotations

import json
import os
import sys
from typing import TYPE_CHECKING, Any, TextIO

from .. import redact
from ..events import Event

if TYPE_CHECKING:
    from rich.console import Console

PREFIX_COLOURS = ("cyan", "magenta", "green", "yellow", "blue", "bright_red", "bright_cyan", "bright_magenta")


def is_plain(stream: TextIO) -> bool:
    return bool(os.environ.get("NO_COLOR")) or not stream.isatty()


class UI:
    """Everything podcompose shows a person goes through here (and through podcompose.redact's free-text rule)."""

    def __init__(self, out: TextIO | None = None, err: TextIO | None = None) -> None:
        self.out_stream = out or sys.stdout
        self.err_stream = err or sys.stderr
        self.plain = is_plain(self.out_stream)
        self.err_plain = is_plain(self.err_stream)
        self._consoles: dict[str, "Console"] = {}
        self._colours: dict[str, str] = {}
        self._pull_shown: set[str] = set()

    def _console(self, which: str) -> "Console":
        if which not in self._consoles:
            from rich.console import Console

            stream, plain = (self.out_stream, self.plain) if which == "out" else (self.err_stream, self.err_plain)
            self._consoles[which] = Console(file=stream, no_color=plain, highlight=False, soft_wrap=True,
                                            force_terminal=False if plain else None,
                                            color_system=None if plain else "auto")
        return self._consoles[which]

    @property
    def out(self) -> "Console":
        return self._console("out")

    @property
    def err(self) -> "Console":
        return self._console("err")

    def _write(self, stream: TextIO, text: str) -> None:
        stream.write(text + "\n")
        stream.flush()

    def _styled(self, which: str, parts: list[tuple[str, str]]) -> None:
        """Print (text, style) parts as one line: styled on a terminal, the bare text when plain."""
        if (self.plain if which == "out" else self.err_plain):
            self._write(self.out_stream if which == "out" else self.err_stream, "".join(t for t, _ in parts))
            return
        from rich.text import Text

        line = Text()
        for text, style in parts:
            line.append(text, style=style or None)
        self._console(which).print(line)

    # messages -----------------------------------------------------------------
    def info(self, message: str) -> None:
        self._styled("err", [(redact.text(message), "")])

    def warn(self, message: str) -> None:
        self._styled("err", [("warning: ", "yellow bold"), (redact.text(message), "")])

    def error(self, message: str, detail: str = "") -> None:
        self._styled("err", [("error: ", "red bold"), (redact.text(message), "")])
        if detail:
            self._styled("err", [(redact.text(detail), "dim")])

    def print(self, text: str) -> None:
        self._styled("out", [(redact.text(text), "")])

    def data(self, value: Any, fmt: str) -> None:
        """Machine-readable output: never styled, never wrapped."""
        value = redact.data(value)
        if fmt == "json":
            self.out_stream.write(json.dumps(value, indent=2, sort_keys=False) + "\n")
        else:
            import yaml
            self.out_stream.write(yaml.safe_dump(value, sort_keys=False))
        self.out_stream.flush()

    def table(self, columns: list[str], rows: list[list[str]]) -> None:
        rows = [[redact.text(cell) for cell in row] for row in rows]
        if self.plain:
            widths = [max(len(c), *(len(r[i]) for r in rows)) if rows else len(c) for i, c in enumerate(columns)]
            lines = [columns] + rows
            for row in lines:
                self.out_stream.write("  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip() + "\n")
            self.out_stream.flush()
            return
        from rich.table import Table

        table = Table(box=None, header_style="bold", pad_edge=False)
        for column in columns:
            table.add_column(column)
        for row in rows:
            table.add_row(*row)
        self.out.print(table)

    # events -------------------------------------------------------------------
    def colour(self, name: str) -> str:
        if name not in self._colours:
            self._colours[name] = PREFIX_COLOURS[len(self._colours) % len(PREFIX_COLOURS)]
        return self._colours[name]

    def event(self, event: Event) -> None:
        who = event.pod + (f"/{event.container}" if event.container else "")
        if event.kind == "pulling":
            image = event.data.get("image", event.message)
            if image not in self._pull_shown:
                self._pull_shown.add(image)
                self.info(f"pulling {image}")
            return
        if event.kind in ("warning", "image-local"):
            self.warn(f"{who + ': ' if who else ''}{event.message}")
            return
        text = {
            "pulled": f"pulled {event.message}",
            "removing": f"{who}: replacing ({event.message})",
            "removed": f"{who}: removed",
            "volume-created": f"{who}: volume {event.message} created",
            "started": f"{who}: started",
            "completed": f"{who}: completed",
            "running": f"{who}: running",
            "waiting": f"{who}: waiting ({event.message}); left to the agent",
            "up-to-date": f"{who}: up to date, nothing to do",
            "stopping": f"{who}: stopping ({event.message})",
            "info": f"{who}: {event.message}",
        }.get(event.kind)
        if text is not None and event.kind != "created":
            self.info(text)

    def log_line(self, container: str, line: str, prefixed: bool, width: int) -> None:
        if not prefixed:
            self.out_stream.write(line + "\n")
            self.out_stream.flush()
            return
        self._styled("out", [(f"{container.ljust(width)} | ", self.colour(container)), (line, "")])
