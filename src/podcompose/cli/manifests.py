"""`validate` and `config`: what podcompose makes of manifests, with no daemon."""
from __future__ import annotations

import argparse

from .. import api
from .common import load, pod_security
from .ui import UI


def validate(args: argparse.Namespace, ui: UI) -> int:
    documents, problems = api.validate_files(args.files or [], args.kustomize or [], args.unknown_fields,
                                             pod_security(args))
    for problem in problems:
        ui.print(str(problem))
    errors = sum(1 for p in problems if p.severity == "error")
    if errors:
        ui.info(f"{errors} error{'s' if errors != 1 else ''} in {len(documents)} document(s)")
        return 1
    ui.info(f"{len(documents)} document(s) valid")
    return 0


def config(args: argparse.Namespace, ui: UI) -> int:
    from .render import pods_config

    loaded = load(args, ui)
    ui.data(pods_config(loaded.pods), "json" if args.output == "json" else "yaml")
    return 0
