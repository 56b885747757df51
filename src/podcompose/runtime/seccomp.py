"""Localhost seccomp profiles, loaded from the kubelet-like root (Docker's API takes the JSON itself)."""
from __future__ import annotations

import json
import os
from typing import Any

from .. import kubelet
from ..errors import PodcomposeError
from ..model import Container, Pod

SECCOMP_ROOT_ENV = "PODCOMPOSE_SECCOMP_ROOT"


def seccomp_root() -> str:
    return os.environ.get(SECCOMP_ROOT_ENV) or kubelet.SECCOMP_ROOT


def load_profiles(pod: Pod, spec: Container, args: dict[str, Any]) -> None:
    """`seccomp=localhost/<path>` becomes `seccomp=<the JSON profile>` read from the seccomp root."""
    options = args.get("security_opt") or []
    for i, option in enumerate(options):
        if not option.startswith("seccomp=localhost/"):
            continue
        relative = option[len("seccomp=localhost/"):]
        root = seccomp_root()
        path = os.path.normpath(os.path.join(root, relative))
        if not relative or os.path.isabs(relative) or not path.startswith(root.rstrip("/") + "/"):
            raise PodcomposeError(f"pod {pod.name}: container {spec.name}: seccompProfile localhostProfile "
                                  f"{relative!r} must be a relative path under {root}")
        try:
            with open(path, encoding="utf-8") as file:
                profile = file.read()
            json.loads(profile)
        except OSError as error:
            raise PodcomposeError(f"pod {pod.name}: container {spec.name}: cannot read the seccomp profile {path}: "
                                  f"{error.strerror or error} (Localhost profiles are read from {root}, or "
                                  f"${SECCOMP_ROOT_ENV})") from error
        except ValueError as error:
            raise PodcomposeError(f"pod {pod.name}: container {spec.name}: the seccomp profile {path} is not "
                                  f"JSON: {error}") from error
        options[i] = "seccomp=" + profile
