"""Offline test images, built on demand from host binaries.

Use from a conftest::

    from tests.kit.images import ensure_images

    @pytest.fixture(scope="session")
    def kit_images():
        return ensure_images("busybox", "pause")
        # -> {"busybox": "podcompose.test/busybox:1", "pause": "podcompose.test/pause:1"}

The work is done by ``build-images.sh`` next to this file, which builds only
the images that are missing.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

SCRIPT = Path(__file__).with_name("build-images.sh")

__all__ = ["SCRIPT", "KitError", "ensure_images", "known_images"]


class KitError(RuntimeError):
    """The kit script failed; the message holds its output."""


def _run(*args: str) -> dict[str, str]:
    proc = subprocess.run(
        ["bash", str(SCRIPT), *args],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise KitError(
            f"{SCRIPT.name} {' '.join(args)} failed (exit {proc.returncode}):\n"
            f"{proc.stderr.strip()}"
        )
    refs: dict[str, str] = {}
    for line in proc.stdout.splitlines():
        name, sep, ref = line.partition("=")
        if sep:
            refs[name.strip()] = ref.strip()
    return refs


def known_images() -> dict[str, str]:
    """Every kit image, name -> reference, without building anything."""
    return _run("--list")


def ensure_images(*names: str) -> dict[str, str]:
    """Build the named kit images (all of them when none is named) if missing.

    Names are short (``"busybox"``, ``"pause"``) or full references. Returns
    name -> image reference for the requested images. Raises KitError when
    Docker does not answer or a build fails.
    """
    return _run(*names)
