"""The one error type podcompose raises, and the exit codes it maps to.

Every failure a user can cause or meet is a `PodcomposeError` carrying a clear
message and an exit code; the CLI renders it in one place (`cli.main`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

EXIT_OK = 0
EXIT_USER = 1          # manifest or user error, a pod that failed
EXIT_USAGE = 2         # bad command line
EXIT_DAEMON = 3        # Docker daemon unreachable


@dataclass(frozen=True)
class Location:
    """A place in a source file; line and column count from 1."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


Severity = Literal["error", "warning", "note"]

SHOWN_LIMIT = 80   # characters of a user's value echoed in a message; the rest is cut


def printable(text: str) -> str:
    """`text` with every non-printable character escaped as repr does (`\\x1b`, `\\t`, `\\u202e`).

    Keys, field paths and values from a manifest go through this before they
    reach a terminal, so no escape sequence or bidi override is printed raw.
    """
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def shown(value: object, limit: int = SHOWN_LIMIT) -> str:
    """A user's value as an error message shows it: strings quoted (repr), escaped, cut to `limit`.

    `shown("x" * 1000)` is `'xxx…x'... (1000 characters)`; a huge integer is
    described by its number of digits, never converted to text whole.
    """
    if isinstance(value, str):
        if len(value) <= limit:
            return repr(value)
        return f"{repr(value[:limit])}... ({len(value)} characters)"
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 3 * limit:
        return f"an integer of about {int((value.bit_length() - 1) * 0.30103) + 1} digits"
    text = printable(str(value))
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


@dataclass(frozen=True)
class Problem:
    """One finding about a manifest: where, which field, what is wrong."""

    message: str
    location: Location | None = None
    path: str = ""
    severity: Severity = "error"

    def __str__(self) -> str:
        parts = []
        if self.location is not None:
            parts.append(str(self.location))
        if self.severity != "error":
            parts.append(self.severity)
        if self.path:
            parts.append(printable(self.path))
        parts.append("\n".join(printable(line) for line in self.message.split("\n")))
        return ": ".join(parts)


class PodcomposeError(Exception):
    """A failure to report to the user as one message and an exit code."""

    exit_code: int = EXIT_USER

    def __init__(self, message: str, *, exit_code: int | None = None, detail: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail
        if exit_code is not None:
            self.exit_code = exit_code


class ManifestError(PodcomposeError):
    """A manifest could not be loaded or is invalid; carries every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = [p for p in problems if p.severity == "error"] or problems
        count = len(self.problems)
        summary = "\n".join(str(p) for p in self.problems)
        super().__init__(summary if count else "invalid manifest")


class UsageError(PodcomposeError):
    exit_code = EXIT_USAGE


class DaemonUnavailable(PodcomposeError):
    exit_code = EXIT_DAEMON
