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
EXAMPLES_SCRIPT = Path(__file__).with_name("build-example-images.sh")

__all__ = ["SCRIPT", "EXAMPLES_SCRIPT", "KitError", "ensure_images", "known_images",
           "ensure_example_images", "example_image_refs"]


class KitError(RuntimeError):
    """The kit script failed; the message holds its output."""


def _run(*args: str, script: Path = SCRIPT) -> dict[str, str]:
    proc = subprocess.run(
        ["bash", str(script), *args],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise KitError(
            f"{script.name} {' '.join(args)} failed (exit {proc.returncode}):\n"
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


def ensure_example_images(*names: str) -> dict[str, str]:
    """Build the look-alikes of the Kubernetes examples' images (all when none is named) if missing.

    They carry the examples' own references (``nginx:latest``, ``busybox:1.28``,
    ``registry.k8s.io/e2e-test-images/agnhost:2.39``...), so tests/k8s-examples/ run
    unmodified. The Debian-based ones derive from one mmdebstrap rootfs (about 45 s
    the first time). Returns name -> main reference, as ``ensure_images``.
    """
    return _run(*names, script=EXAMPLES_SCRIPT)


def example_image_refs() -> list[str]:
    """Every reference the example look-alikes are tagged with, without building anything."""
    proc = subprocess.run(["bash", str(EXAMPLES_SCRIPT), "--refs"], capture_output=True, text=True, check=True)
    return [line.partition("=")[2] for line in proc.stdout.splitlines() if "=" in line]
