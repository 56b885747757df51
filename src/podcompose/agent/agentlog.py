"""The agent's own log: rotated, cleaned of Secrets, and one line per record whatever a container printed.

Container text reaches this log (a failed probe's output, a hook's answer, an event's message); it
must neither fill the disk, nor show a Secret the container echoed, nor pass for the agent's own
lines. So every record's message has its line breaks and control characters escaped (a record is one
line, and only the agent's records start a line with a timestamp), traceback lines are indented, the
values of the Secrets of the pods the agent runs are replaced by redact's free-text rule, and the file
is rotated at MAX_BYTES with BACKUPS older files kept.
"""
from __future__ import annotations

import logging
import logging.handlers
import os
import re
import sys
import threading
from pathlib import Path
from typing import TextIO

from .. import redact
from ..model import Pod, VolumeKind

MAX_BYTES = int(os.environ.get("PODCOMPOSE_AGENT_LOG_BYTES") or 5 * 1024 * 1024)
BACKUPS = 2
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# C0 and C1 controls, DEL, and what else a terminal or an editor may take for a line break
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_registered: set[str] = set()
_log = logging.getLogger("podcompose.agent")
_registered_names: set[str] = set()


def _escaped(match: re.Match[str]) -> str:
    char = match.group(0)
    return _ESCAPES.get(char) or (f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}")


def escape(text: str) -> str:
    """`text` on one line: line breaks and control characters written as escapes."""
    return _CONTROL.sub(_escaped, text)


class OneLineFormatter(logging.Formatter):
    """A record's message escaped onto its line; exception and stack text indented under it."""

    def format(self, record: logging.LogRecord) -> str:
        record.message = escape(record.getMessage())
        if self.usesTime():
            record.asctime = self.formatTime(record, self.datefmt)
        line = self.formatMessage(record)
        extra = []
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            extra.append(record.exc_text)
        if record.stack_info:
            extra.append(self.formatStack(record.stack_info))
        for block in extra:
            line += "".join(f"\n    | {escape(part)}" for part in block.splitlines())
        return line


class RotatingLog(logging.handlers.RotatingFileHandler):
    """A root-only rotating file that also takes the process's stdout and stderr (a thread's traceback,
    a crash), so those follow each rotation instead of growing the renamed file."""

    def __init__(self, path: Path, max_bytes: int = MAX_BYTES, backups: int = BACKUPS,
                 take_std_streams: bool = False) -> None:
        self.take_std_streams = take_std_streams
        super().__init__(path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8", errors="replace")

    def _open(self) -> TextIO:
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
        os.fchmod(fd, 0o600)
        if self.take_std_streams:
            for std in (1, 2):
                os.dup2(fd, std, inheritable=True)
        return open(fd, "a", encoding=self.encoding, errors=self.errors)


def _same_file(fd: int, path: Path) -> bool:
    try:
        mine, theirs = os.fstat(fd), os.stat(path)
    except OSError:
        return False
    return (mine.st_dev, mine.st_ino) == (theirs.st_dev, theirs.st_ino)


def configure(path: Path) -> logging.Handler:
    """The agent's logging: into `path`, rotated, when that is where its stderr goes (the agent
    started by `up`); otherwise onto stderr as it was (run by hand). Cleaned and escaped either way."""
    handler: logging.Handler
    if _same_file(2, path):
        sys.stderr.flush()
        handler = RotatingLog(path, take_std_streams=True)
    else:
        handler = logging.StreamHandler()
    handler.setFormatter(OneLineFormatter(FORMAT))
    handler.addFilter(redact.LogFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    threading.excepthook = _log_uncaught     # a thread's traceback is cleaned and indented as any record
    return handler


def _log_uncaught(args: threading.ExceptHookArgs) -> None:
    name = args.thread.name if args.thread is not None else "?"
    _log.error("uncaught exception in thread %s", name, exc_info=(
        args.exc_type, args.exc_value, args.exc_traceback))


def register_secrets(pod: Pod) -> None:
    """Teach the log filter the Secret values `pod` holds: its secret env values and Secret volumes' files."""
    values = [value for c in pod.all_containers for name, value in c.env if name in c.secret_env]
    for volume in pod.volumes:
        if volume.kind == VolumeKind.SECRET:
            values.extend(content.decode(errors="replace") for _, content, _ in volume.files)
    lines = [line.strip() for value in values for line in value.splitlines() if len(line.strip()) >= redact.LONG]
    names = {name for c in pod.all_containers for name in c.secret_env}
    new_values, new_names = {*values, *lines} - _registered, names - _registered_names
    if new_values or new_names:          # registering again recompiles the filter's pattern: only what is new
        redact.register(new_values, new_names)
        _registered.update(new_values)
        _registered_names.update(new_names)
