"""Smoke tests of the kit images: each one does what tests rely on."""

from __future__ import annotations

import subprocess
import time
import uuid

import pytest

from .images import SCRIPT, ensure_images, known_images


@pytest.fixture(scope="module")
def images(kit: dict[str, str]) -> dict[str, str]:
    """Every kit image; `kit` (tests/conftest.py) skips without a daemon."""
    return ensure_images()


def docker(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=check)


def test_list_names_every_image() -> None:
    assert known_images() == {
        "busybox": "podcompose.test/busybox:1",
        "pause": "podcompose.test/pause:1",
        "httpd": "podcompose.test/httpd:1",
    }


@pytest.mark.docker
def test_second_run_builds_nothing(images: dict[str, str]) -> None:
    proc = subprocess.run(
        ["bash", str(SCRIPT)], capture_output=True, text=True, check=True
    )
    assert "nothing to build" in proc.stderr
    assert "built" not in proc.stderr.replace("nothing to build", "")


@pytest.mark.docker
def test_busybox_shell_tmp_and_users(images: dict[str, str]) -> None:
    script = "stat -c %a /tmp; id -un; id -un nobody; echo $((6 * 7)); env >/dev/null"
    out = docker("run", "--rm", images["busybox"], "sh", "-c", script).stdout.split()
    assert out == ["1777", "root", "nobody", "42"]


@pytest.mark.docker
def test_busybox_default_cmd_is_sh(images: dict[str, str]) -> None:
    cmd = docker("image", "inspect", "-f", "{{json .Config.Cmd}}", images["busybox"]).stdout
    assert cmd.strip() == '["sh"]'


@pytest.mark.docker
def test_pause_stops_fast_with_exit_0(images: dict[str, str]) -> None:
    name = f"podcompose-kit-test-{uuid.uuid4().hex[:8]}"
    docker("run", "-d", "--name", name, images["pause"])
    try:
        started = time.monotonic()
        docker("stop", "-t", "10", name)
        elapsed = time.monotonic() - started
        code = docker("inspect", "-f", "{{.State.ExitCode}}", name).stdout.strip()
    finally:
        docker("rm", "-f", name, check=False)
    assert code == "0"
    assert elapsed < 2
