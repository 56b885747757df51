"""Secret redaction: the one place that decides what of a Secret may be shown.

Two rules, applied in this order:

1. **By origin** (structured output). The model marks what came from a Secret:
   the env names whose values came from `secretKeyRef`, `envFrom.secretRef` or
   a `$(VAR)` expansion of such a variable (`Container.secret_env`), and the
   command/args as they may be shown, where each argument that expanded a
   secret variable is kept as written, `$(TOKEN)` and all
   (`Container.shown_command` / `shown_args`). `config`, `up --dry-run` and the
   `describe` label print `<redacted>` for those env values and the written
   form of those arguments, whatever the value is: a one-character secret is
   hidden exactly where it is used and nowhere else, so it can neither garble
   other text (`steer/busybox:1` stays whole) nor be revealed by where a
   `<redacted>` lands. Secret volumes' files are only ever shown as sizes.
   Problems reported at a Secret's own `data`/`stringData` field have that
   field's value taken out, whatever its length.

2. **Free text** (messages, errors, tracebacks, `--debug` logs, and as a last
   net over every string printed). Every value of every loaded Secret is
   registered (decoded `data`, the base64 text as written, `stringData`, and
   each long line of a multi-line value); in free text, longest first, a value
   of at least `LONG` characters is replaced wherever it occurs, one of at
   least `MIN_TOKEN` only where it stands as a whole token (no letter, digit or
   `_` on either side), and `NAME=value` is cut after `NAME=` for every env
   name that carries a secret. Shorter values are never searched for in free
   text (they would match everywhere): they are protected by rule 1 only.

Nothing here prints; the CLI's UI and its log handler call `text` and `data`.
"""
from __future__ import annotations

import base64
import contextlib
import binascii
import json
import logging
import re
import threading
from dataclasses import asdict
from enum import Enum
from typing import TYPE_CHECKING, Any, Iterable, Iterator

if TYPE_CHECKING:
    from .errors import Problem
    from .load import Document
    from .model import Container, Pod

REDACTED = "<redacted>"
MIN_TOKEN = 6     # shortest value searched for in free text, as a whole token
LONG = 12         # from this length on, a value is replaced wherever it occurs
_WORD = "A-Za-z0-9_"

_lock = threading.Lock()
_values: set[str] = set()
_env_names: set[str] = set()
_pattern: re.Pattern[str] | None = None


# --- what is secret ------------------------------------------------------------------

def secret_values(documents: Iterable["Document"]) -> set[str]:
    """Every value of every Secret among `documents`, in each form it may be printed."""
    found: set[str] = set()
    for document in documents:
        if document.kind != "Secret" or not isinstance(document.data, dict):
            continue
        for section in ("data", "stringData"):
            entries = document.data.get(section)
            if not isinstance(entries, dict):
                continue
            for value in entries.values():
                if value is None or isinstance(value, (dict, list)):
                    continue
                text = str(value)
                found.add(text)
                if section == "data":
                    try:
                        found.add(base64.b64decode(text).decode(errors="replace"))
                    except (binascii.Error, ValueError):
                        pass
    lines = {line.strip() for value in found for line in value.splitlines() if len(line.strip()) >= LONG}
    return {v for v in found | lines if v.strip()}


def register(values: Iterable[str], env_names: Iterable[str] = ()) -> None:
    """Add values (and env names that carry secrets) to what free text is cleaned of."""
    global _pattern
    with _lock:
        _values.update(v for v in values if v)
        _env_names.update(n for n in env_names if n)
        _pattern = None


def register_documents(documents: Iterable["Document"]) -> None:
    register(secret_values(documents))


def register_pods(pods: Iterable["Pod"]) -> None:
    register((), (name for pod in pods for c in pod.all_containers for name in c.secret_env))


def reset() -> None:
    """Forget every registered value (tests)."""
    global _pattern
    with _lock:
        _values.clear()
        _env_names.clear()
        _pattern = None


def _compiled() -> re.Pattern[str] | None:
    global _pattern
    with _lock:
        if _pattern is None:
            parts: list[str] = []
            for name in sorted(_env_names, key=len, reverse=True):
                parts.append(rf"(?<![{_WORD}]){re.escape(name)}=(?!{re.escape(REDACTED)})(?:\\.|[^\"\\\s,'\]])+")
            for value in sorted((v for v in _values if len(v) >= MIN_TOKEN), key=len, reverse=True):
                if len(value) >= LONG:
                    parts.append(re.escape(value))
                else:
                    parts.append(rf"(?<![{_WORD}]){re.escape(value)}(?![{_WORD}])")
            _pattern = re.compile("|".join(parts)) if parts else re.compile(r"(?!x)x")
        return _pattern


def _replace(match: re.Match[str]) -> str:
    found = match.group(0)
    head, sep, _ = found.partition("=")
    if sep and head in _env_names:
        return f"{head}={REDACTED}"
    return REDACTED


# --- rule 2: free text -------------------------------------------------------------------

def text(value: str) -> str:
    """`value` with every registered secret replaced where the free-text rule finds it."""
    if not value or (not _values and not _env_names):
        return value
    pattern = _compiled()
    return pattern.sub(_replace, value) if pattern is not None else value


def data(value: Any) -> Any:
    """`value` with `text` applied to every string in it, however deep (keys too)."""
    if not _values and not _env_names:
        return value
    if isinstance(value, str):
        return text(value)
    if isinstance(value, dict):
        return {data(k) if isinstance(k, str) else k: data(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [data(v) for v in value]
    return value


class LogFilter(logging.Filter):
    """Cleans every log record (the `--debug` output of Docker calls) with `text`."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: leave it to logging's own error path
            return True
        record.msg = text(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = text(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = text(record.exc_text)
        return True


# --- rule 1: by origin ---------------------------------------------------------------------

def shown_command(container: "Container") -> tuple[list[str] | None, list[str] | None]:
    """(command, args) as they may be printed: arguments that expanded a secret as written."""
    command = container.shown_command if container.shown_command is not None else container.command
    args = container.shown_args if container.shown_args is not None else container.args
    return (None if command is None else list(command)), (None if args is None else list(args))


def shown_env(container: "Container") -> dict[str, str]:
    secret = set(container.secret_env)
    return {k: REDACTED if k in secret else v for k, v in container.env}


def docker_args(container: "Container", args: dict[str, Any]) -> dict[str, Any]:
    """Docker create arguments of `container` as they may be printed."""
    shown = dict(args)
    command, cmd = shown_command(container)
    if "environment" in shown:
        secret = set(container.secret_env)
        shown["environment"] = {k: REDACTED if k in secret else v for k, v in dict(shown["environment"]).items()}
    if shown.get("entrypoint") is not None:
        shown["entrypoint"] = command
    if shown.get("command") is not None:
        shown["command"] = cmd
    return shown


def command_label(container: "Container") -> str | None:
    """The label value describe shows as the command, when the real one holds a secret; else None."""
    if container.shown_command is None and container.shown_args is None:
        return None
    command, args = shown_command(container)
    return json.dumps({"command": command, "args": args}, separators=(",", ":"))


def pod_view(pod: "Pod") -> dict[str, Any]:
    """The pod as `config` prints it: defaults applied, secrets by origin, file contents as sizes."""
    def clean(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [clean(v) for v in value]
        if isinstance(value, bytes):
            return f"<{len(value)} bytes>"
        if isinstance(value, Enum):      # Volume.kind: shown as its name in the manifest
            return value.value
        return value

    view = clean(asdict(pod))
    for key, containers in (("init_containers", pod.init_containers), ("containers", pod.containers)):
        for shown, container in zip(view[key], containers):
            command, args = shown_command(container)
            shown["command"], shown["args"] = command, args
            shown["env"] = [[k, v] for k, v in shown_env(container).items()]
            for field in ("shown_command", "shown_args"):
                shown.pop(field, None)
    return view


def problems(found: list["Problem"], documents: Iterable["Document"]) -> list["Problem"]:
    """`found` with the value of a Secret's `data`/`stringData` field taken out of problems about it."""
    from dataclasses import replace

    from .load import format_path

    fields: dict[tuple[str, str], re.Pattern[str]] = {}
    for document in documents:
        if document.kind != "Secret" or not isinstance(document.data, dict):
            continue
        for section in ("data", "stringData"):
            entries = document.data.get(section)
            if not isinstance(entries, dict):
                continue
            for key, value in entries.items():
                if value is None or isinstance(value, (dict, list)):
                    continue
                if isinstance(value, str):
                    # messages quote a string, maybe cut short: 'value', "value", 'valu...
                    head = re.escape(value[:8])
                    pattern = rf"(['\"]){head}[^'\"\n]*?(?:\1|\.\.\.|$)"
                else:  # and show other values in parentheses: (5), (true)
                    forms = {str(value), json.dumps(value, default=str)}
                    pattern = r"\((?:" + "|".join(re.escape(f) for f in forms) + r")\)"
                fields[(document.source, format_path((section, key)))] = re.compile(pattern)
    if not fields:
        return found
    cleaned: list["Problem"] = []
    for problem in found:
        pattern = fields.get((problem.location.file, problem.path)) if problem.location else None
        if pattern is not None:
            problem = replace(problem, message=pattern.sub(REDACTED, problem.message))
        cleaned.append(problem)
    return cleaned


@contextlib.contextmanager
def secret_fields_hidden(documents: list["Document"]) -> Iterator[None]:
    """A ManifestError raised in the block, with `problems` applied to it."""
    from .errors import ManifestError

    try:
        yield
    except ManifestError as error:
        raise ManifestError(problems(error.problems, documents)) from None
