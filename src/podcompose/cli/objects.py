"""`create` and `get`: the ConfigMaps, Secrets and claims kept in Docker for pods."""
from __future__ import annotations

import argparse
import os

from .. import api
from ..defaults import DEFAULT_NAMESPACE
from ..errors import PodcomposeError, UsageError
from .common import runtime
from .ui import UI

_KIND_NAMES = {"configmap": "ConfigMap", "configmaps": "ConfigMap", "cm": "ConfigMap", "secret": "Secret",
               "secrets": "Secret", "persistentvolumeclaim": "PersistentVolumeClaim",
               "persistentvolumeclaims": "PersistentVolumeClaim", "pvc": "PersistentVolumeClaim", "all": ""}


def create(args: argparse.Namespace, ui: UI) -> int:
    """`create configmap NAME` / `create secret generic NAME` with --from-literal and --from-file."""
    from .. import rules
    from ..semantic import name_error

    names = list(args.names)
    if args.kind == "secret":
        if len(names) != 2 or names[0] != "generic":
            raise UsageError("podcompose create secret generic NAME [--from-literal K=V] [--from-file [K=]PATH]")
        names = names[1:]
    if len(names) != 1:
        raise UsageError("give one NAME")
    name = names[0]
    if name_error(name):
        raise UsageError(name_error(name) or "")
    entries = _entries(args.from_literal, args.from_file)
    for key in entries:
        if rules.data_key_error(key):
            raise UsageError(rules.data_key_error(key) or "")
    kind = "Secret" if args.kind == "secret" else "ConfigMap"
    volume, new = api.create_object(runtime(), kind, name, args.namespace or DEFAULT_NAMESPACE, entries)
    ui.print(f"{kind.lower()}/{name} {'created' if new else 'configured'} (volume {volume})")
    return 0


def _entries(literals: list[str], files: list[str]) -> dict[str, bytes]:
    """The keys and values of --from-literal KEY=VALUE and --from-file [KEY=]PATH (a folder: each file)."""
    entries: dict[str, bytes] = {}
    for literal in literals:
        key, sep, value = literal.partition("=")
        if not sep or not key:
            raise UsageError(f"--from-literal takes KEY=VALUE, got {literal!r}")
        entries[key] = value.encode()
    for spec in files:
        key, sep, path = spec.partition("=")
        if not sep:
            key, path = "", spec
        paths = [os.path.join(path, f) for f in sorted(os.listdir(path))
                 if os.path.isfile(os.path.join(path, f))] if os.path.isdir(path) else [path]
        for file_path in paths:
            try:
                with open(file_path, "rb") as handle:
                    entries[key or os.path.basename(file_path)] = handle.read()
            except OSError as error:
                raise PodcomposeError(f"--from-file {spec}: {error.strerror or error}") from error
    return entries


def get(args: argparse.Namespace, ui: UI) -> int:
    wanted = set()
    for kind in args.kinds:
        if kind.lower() not in _KIND_NAMES:
            raise UsageError(f"unknown kind {kind!r}: use configmaps, secrets, pvc or all")
        wanted.add(_KIND_NAMES[kind.lower()])
    wanted.discard("")
    found = [k for k in api.kept_objects(runtime(), args.namespace) if not wanted or k.kind in wanted]
    if args.output != "text":
        ui.data([{"kind": k.kind, "namespace": k.namespace, "name": k.name, "volume": k.volume,
                  "keys": list(k.keys), "created": k.created} for k in found], args.output)
        return 0
    if not found:
        ui.info("no ConfigMaps, Secrets or claims are kept")
        return 0
    rows = [("NAMESPACE", "KIND", "NAME", "DATA", "VOLUME")]
    rows += [(k.namespace, k.kind, k.name, k.data_count, k.volume) for k in found]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        ui.print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
    return 0
