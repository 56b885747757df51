"""`env[*].valueFrom.fileKeyRef`: a variable read from an env file in an emptyDir of the pod (KEP-3721).

The model turns each such variable into a placeholder (see `downward`) that names
the file and the key; the runtime reads the file through the volume's mountpoint
when it creates the container (`runtime/builder.py`), as the kubelet does at
container start. The file's syntax is the kubelet's (pkg/kubelet/util/env, since
Kubernetes 1.35): a subset of POSIX shell in which every value is single-quoted::

    # a comment
    DB_HOST='db.local'
    GREETING='two
    lines'   # a comment after the closing quote

The first assignment of the key wins (the kubelet stops reading there). A file
larger than the KEP's 64 KiB is refused.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from .errors import shown

MAX_FILE_BYTES = 64 * 1024
TOKEN_PREFIX = "envfile:"


class EnvFileError(ValueError):
    """The file is not an env file the kubelet accepts; the message never holds a value."""


@dataclass(frozen=True)
class FileKeyRef:
    volume: str
    path: str
    key: str
    optional: bool = False

    @property
    def token(self) -> str:
        """The placeholder token of this reference (no NUL, stable for the spec hash)."""
        return TOKEN_PREFIX + json.dumps([self.volume, self.path, self.key, self.optional], separators=(",", ":"))

    @property
    def shown(self) -> str:
        return f"key {self.key} of {self.path} in volume {self.volume}"


def parse_token(token: str) -> FileKeyRef | None:
    if not token.startswith(TOKEN_PREFIX):
        return None
    volume, path, key, optional = json.loads(token[len(TOKEN_PREFIX):])
    return FileKeyRef(str(volume), str(path), str(key), bool(optional))


def key_error(key: str) -> str | None:
    """A fileKeyRef key: printable ASCII except '=' (Kubernetes' validation of FileKeySelector.key)."""
    if not key:
        return "required field is missing: the key to read from the env file"
    if any(not (" " <= c <= "~") or c == "=" for c in key):
        return f"key {shown(key)} may hold printable ASCII characters except '='"
    return None


def lookup(text: str, key: str) -> str | None:
    """The value of the first assignment of `key` in the env file `text`; None when it has none.

    Raises EnvFileError for a line the kubelet refuses before it reaches the key."""
    lines = text.split("\n")
    number = 0
    while number < len(lines):
        line = lines[number].lstrip(" \t")
        number += 1
        if not line.strip(" \t") or line.startswith("#"):
            continue
        name, equals, rest = line.partition("=")
        if not equals or not name:
            raise EnvFileError(f"invalid environment variable format at line {number}")
        if name != name.rstrip(" \t"):
            raise EnvFileError(f"line {number}: whitespace before '=' is not allowed")
        value, number = _value(rest, lines, number)
        if name == key:
            return value
    return None


def _value(rest: str, lines: list[str], number: int) -> tuple[str, int]:
    """The single-quoted value that starts in `rest` (line `number`, 1-based) and the number of its last line."""
    first = number
    if not rest or rest[0] in " \t" or rest.startswith("#"):
        return "", number       # `KEY=` and `KEY= ...`: an empty assignment, as a shell reads it
    if rest[0] != "'":
        raise EnvFileError(f"line {first}: the value must be enclosed in single quotes (KEY='value')")
    body = rest[1:]
    parts: list[str] = []
    while "'" not in body:
        parts.append(body)
        if number >= len(lines):
            raise EnvFileError(f"line {first}: the single quote is never closed")
        body = lines[number]
        number += 1
    inside, _, after = body.partition("'")
    parts.append(inside)
    after = after.rstrip(" \t")
    if after and not (after[0] in " \t" and after.lstrip(" \t").startswith("#")):
        raise EnvFileError(f"line {number}: unexpected content after closing quote")
    return "\n".join(parts), number


def read_value(content: bytes, ref: FileKeyRef) -> str | None:
    """The value `ref` selects from a file's `content`; None when the key is not there."""
    if len(content) > MAX_FILE_BYTES:
        raise EnvFileError(f"{ref.path} is larger than {MAX_FILE_BYTES // 1024} KiB")
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        raise EnvFileError(f"{ref.path} is not UTF-8 text") from None
    if "\x00" in text:
        raise EnvFileError(f"{ref.path} holds a NUL byte")
    return lookup(text, ref.key)
