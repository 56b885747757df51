"""Kubernetes `$(VAR)` expansion: command, args and env values; subPathExpr (strictly).

Kubernetes expands `$(VAR)` in command, args, env values and a volume mount's
subPathExpr, never in subPath.
"""
from __future__ import annotations

from typing import Mapping


def expand(text: str, env: Mapping[str, str]) -> str:
    """Expand `$(VAR)` from `env` as the kubelet does.

    `$$` is an escaped `$`; a reference to an undefined variable, or an
    unclosed one, is left as written.
    """
    return _expand(text, env, None)


def expand_strict(text: str, env: Mapping[str, str]) -> tuple[str, list[str]]:
    """Expand as the kubelet expands subPathExpr: an unset or empty variable becomes "" and is named.

    Returns the expanded text and the names of the variables that had no value
    (the kubelet then refuses to start the container).
    """
    missing: list[str] = []
    return _expand(text, env, missing), missing


def _expand(text: str, env: Mapping[str, str], missing: list[str] | None) -> str:
    out: list[str] = []
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch != "$" or i + 1 >= n:
            out.append(ch)
            i += 1
            continue
        nxt = text[i + 1]
        if nxt == "$":
            out.append("$")
            i += 2
        elif nxt == "(":
            close = text.find(")", i + 2)
            if close == -1:
                out.append(text[i:])
                break
            name = text[i + 2:close]
            if missing is None:
                out.append(env[name] if name in env else text[i:close + 1])
            else:
                if not env.get(name) and name not in missing:
                    missing.append(name)
                out.append(env.get(name, ""))
            i = close + 1
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def referenced(text: str, env: Mapping[str, str]) -> set[str]:
    """The names whose values `expand(text, env)` substitutes (escaped `$$(VAR)` is none)."""
    names: set[str] = set()
    i = 0
    n = len(text)
    while i < n - 1:
        if text[i] != "$":
            i += 1
        elif text[i + 1] == "$":
            i += 2
        elif text[i + 1] == "(":
            close = text.find(")", i + 2)
            if close == -1:
                break
            name = text[i + 2:close]
            if name in env:
                names.add(name)
            i = close + 1
        else:
            i += 1
    return names
