"""The samples run end to end from their manifests, unchanged (issue #3)."""
from __future__ import annotations

import re
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from typing import Iterator

import pytest

from tests.helpers import ROOT, remove_by_label, run_cli

pytestmark = pytest.mark.docker

JAVAWEB = "samples/javaweb/pod.yaml"
JAVAWEB_IMAGES = ["--image", "geektime/sample:v2=podcompose.local/javaweb-war:v2",
                  "--image", "geektime/tomcat:7.0=podcompose.local/tomcat:7.0"]


def image_id(ref: str) -> str:
    return subprocess.run(["docker", "image", "inspect", "-f", "{{.Id}}", ref],
                          capture_output=True, text=True).stdout.strip()


@pytest.fixture(scope="module")
def javaweb_images(kit: dict[str, str]) -> None:
    build = subprocess.run(["bash", "samples/javaweb/build-images.sh"], cwd=ROOT, capture_output=True, text=True)
    assert build.returncode == 0, build.stderr


def test_javaweb_image_build_is_cached(javaweb_images: None) -> None:
    before = [image_id(r) for r in ("podcompose.local/javaweb-war:v2", "podcompose.local/tomcat:7.0")]
    started = time.monotonic()
    again = subprocess.run(["bash", "samples/javaweb/build-images.sh"], cwd=ROOT, capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    assert time.monotonic() - started < 10
    assert [image_id(r) for r in ("podcompose.local/javaweb-war:v2", "podcompose.local/tomcat:7.0")] == before
    assert "building" not in again.stderr.lower().replace("nothing to build", "")


@pytest.fixture
def namespace(kit: dict[str, str]) -> Iterator[str]:
    """A unique namespace keeps the sample's fixed pod name apart from any other run."""
    name = f"t-{uuid.uuid4().hex[:8]}"
    yield name
    remove_by_label(f"io.podcompose.namespace={name}")


def fetch(url: str, timeout: float) -> tuple[int, str]:
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=3) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            last = error.code
        except OSError as error:
            last = error
        time.sleep(0.3)
    raise AssertionError(f"{url} did not answer 200 in {timeout}s (last: {last})")


def in_namespace(namespace: str) -> tuple[list[str], list[str]]:
    containers = subprocess.run(["docker", "ps", "-aq", "--filter", f"label=io.podcompose.namespace={namespace}"],
                                capture_output=True, text=True).stdout.split()
    volumes = subprocess.run(["docker", "volume", "ls", "-q", "--filter", f"label=io.podcompose.namespace={namespace}"],
                             capture_output=True, text=True).stdout.split()
    return containers, volumes


JAVAWEB_WAYS = {
    "as-written": ["-f", JAVAWEB],                          # the manifest's own image names, built locally
    "kustomize-overlay": ["-k", "samples/javaweb/local"],   # images: maps them to podcompose.local/...
    "image-flags": ["-f", JAVAWEB, *JAVAWEB_IMAGES],
}


def test_the_overlay_holds_the_sample_unchanged() -> None:
    assert (ROOT / "samples/javaweb/local/pod.yaml").read_bytes() == (ROOT / JAVAWEB).read_bytes()


@pytest.mark.parametrize("way", list(JAVAWEB_WAYS))
def test_javaweb_pod_serves_the_compiled_jsp(javaweb_images: None, namespace: str, way: str) -> None:
    up = run_cli("up", "-d", "--wait", *JAVAWEB_WAYS[way], "-n", namespace, timeout=180)
    assert up.code == 0, up.stderr
    images = subprocess.run(["docker", "ps", "--filter", f"label=io.podcompose.namespace={namespace}",
                             "--format", "{{.Image}}"], capture_output=True, text=True).stdout.split()
    expected = "geektime/tomcat:7.0" if way == "as-written" else "podcompose.local/tomcat:7.0"
    assert expected in images
    status, page = fetch("http://127.0.0.1:8001/sample/", timeout=120)
    assert status == 200
    assert "podcompose sample" in page
    assert re.search(r'<strong id="answer">42</strong>', page)
    assert re.search(r'<span id="squares">1 4 9 16 25</span>', page)
    assert "<%" not in page and "6 * 7" not in page
    ps = run_cli("ps", "javaweb-2", "-n", namespace)
    assert re.search(r"war\s+init\s+exited\s+0", ps.stdout)
    assert re.search(r"tomcat\s+app\s+running", ps.stdout)

    down = run_cli("down", *JAVAWEB_WAYS[way][:2], "-n", namespace, timeout=60)
    assert down.code == 0, down.stderr
    assert in_namespace(namespace) == ([], [])
    with pytest.raises(OSError):
        urllib.request.urlopen("http://127.0.0.1:8001/sample/", timeout=2)


def test_log_sidecar_forwards_the_app_lines(kit: dict[str, str], namespace: str) -> None:
    up = run_cli("up", "-d", "-f", "samples/log-sidecar/pod.yaml", "-n", namespace,
                 "--image", f"busybox={kit['busybox']}")
    assert up.code == 0, up.stderr
    deadline = time.monotonic() + 20
    forwarded: list[str] = []
    while time.monotonic() < deadline:
        forwarded = run_cli("logs", "log-sidecar", "-c", "sidecar", "-n", namespace).stdout.splitlines()
        if len(forwarded) >= 3:
            break
        time.sleep(0.5)
    assert len(forwarded) >= 3, forwarded
    assert [line.split()[0] for line in forwarded[:3]] == ["1", "2", "3"]
    assert all(re.fullmatch(r"(\d+) \S+Z app line \1", line) for line in forwarded)
    written = run_cli("exec", "log-sidecar", "-c", "app", "-n", namespace, "--", "cat", "/var/log/app/app.log")
    assert written.stdout.splitlines()[:len(forwarded)] == forwarded
    assert run_cli("down", "log-sidecar", "-n", namespace).code == 0
    assert in_namespace(namespace) == ([], [])
