"""Shared fixtures: the offline image kit, unique pod names, cleanup by label (plain helpers live in tests/helpers.py)."""
from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Iterator

import pytest
from hypothesis import settings

from tests.helpers import docker_available, remove_labelled

# CI replays the same examples every run, so a red CI always means a change broke something;
# developers' runs keep drawing new examples (and found a real crash that way).
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(scope="session")
def kit() -> dict[str, str]:
    """The kit images (built when missing); the pause image is made the default."""
    if not docker_available():
        if os.environ.get("PODCOMPOSE_REQUIRE_DOCKER"):
            pytest.fail("PODCOMPOSE_REQUIRE_DOCKER is set but no Docker daemon answers")
        pytest.skip("no Docker daemon (set PODCOMPOSE_REQUIRE_DOCKER=1 to make this a failure)")
    from tests.kit.images import ensure_images

    images = ensure_images("busybox", "pause")
    os.environ["PODCOMPOSE_PAUSE_IMAGE"] = images["pause"]
    os.environ["PODCOMPOSE_HOST_IP"] = "127.0.0.1"   # tests publish on loopback only
    return images


@pytest.fixture
def pod_name(kit: dict[str, str]) -> Iterator[str]:
    """A unique pod name; whatever carries its label is removed afterwards."""
    name = f"t-{uuid.uuid4().hex[:10]}"
    yield name
    remove_labelled(name)


@pytest.fixture
def manifest(tmp_path: Path):
    """Write a manifest text to a file; returns its path as a string."""
    def write(text: str, name: str = "pod.yaml") -> str:
        path = tmp_path / name
        path.write_text(text)
        return str(path)
    return write
