"""Shared fixtures: the offline image kit, unique pod names, cleanup by label."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest
from hypothesis import settings

ROOT = Path(__file__).resolve().parents[1]

# CI replays the same examples every run, so a red CI always means a change broke something;
# developers' runs keep drawing new examples (and found a real crash that way).
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


def docker_available() -> bool:
    return shutil.which("docker") is not None and \
        subprocess.run(["docker", "info"], capture_output=True).returncode == 0


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


@dataclass
class CLIResult:
    code: int
    stdout: str
    stderr: str


def run_cli(*args: str, input: str | None = None, timeout: float = 120, env: dict[str, str] | None = None) -> CLIResult:
    """podcompose as a user runs it: a subprocess, no terminal."""
    full_env = os.environ | {"NO_COLOR": "1"} | (env or {})
    proc = subprocess.run([sys.executable, "-m", "podcompose", *args], capture_output=True, text=True,
                          input=input, timeout=timeout, env=full_env, cwd=ROOT)
    return CLIResult(proc.returncode, proc.stdout, proc.stderr)


def exec_out(pod: str, container: str, *command: str) -> str:
    """The output of a command run in a pod's container; it must succeed."""
    result = run_cli("exec", pod, "-c", container, "--", *command)
    assert result.code == 0, result.stderr
    return result.stdout.strip()


def docker(*args: str) -> str:
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=True).stdout.strip()


def labelled(pod: str) -> tuple[list[str], list[str]]:
    """(container ids, volume names) that carry the pod's label."""
    containers = docker("ps", "-aq", "--filter", f"label=io.podcompose.pod={pod}").split()
    volumes = docker("volume", "ls", "-q", "--filter", f"label=io.podcompose.pod={pod}").split()
    return containers, volumes


def remove_by_label(label: str, after_desired=lambda: None) -> None:
    """Everything podcompose made that carries `label` (key=value): the desired state first, since with
    it gone the node agent stops supervising (and recreating) the pod; then containers, then volumes."""
    def ids(*args: str) -> list[str]:
        return docker(*args, "--filter", f"label={label}").split()
    desired = ids("volume", "ls", "-q", "--filter", "label=io.podcompose.role=desired")
    if desired:
        subprocess.run(["docker", "volume", "rm", "-f", *desired], capture_output=True)
        after_desired()
    containers = ids("ps", "-aq")
    if containers:
        subprocess.run(["docker", "rm", "-f", *containers], capture_output=True)
    volumes = ids("volume", "ls", "-q")
    if volumes:
        subprocess.run(["docker", "volume", "rm", "-f", *volumes], capture_output=True)


def remove_labelled(pod: str) -> None:
    def wait_for_a_sync_under_way() -> None:
        from podcompose.agent.process import PodLock

        lock = PodLock("default", pod)     # as `down` does: a sync under way finishes first
        lock.acquire(timeout=30)
        lock.release()
    remove_by_label(f"io.podcompose.pod={pod}", wait_for_a_sync_under_way)
    remove_staging(pod)


def remove_staging(pod: str) -> None:
    """The pod's subPath staging mounts, which `down` removes but `docker rm` cannot."""
    from podcompose.runtime import subpath

    root = Path(subpath.STAGING_ROOT)
    if os.geteuid() == 0 and root.is_dir():
        for namespace in os.listdir(root):
            if (root / namespace / pod).exists():
                subpath.clean_pod(namespace, pod)
    from podcompose.runtime import termination

    messages = Path(termination.TERMINATION_ROOT)
    if os.geteuid() == 0 and messages.is_dir():
        for namespace in os.listdir(messages):
            termination.remove_termination_files(namespace, pod)


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
