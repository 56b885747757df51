"""`-k DIR`: kustomize is run as kubectl runs it; its errors are its own words (no daemon needed)."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from podcompose import kustomize
from podcompose.errors import PodcomposeError
from podcompose.load import load_files

ROOT = Path(__file__).resolve().parents[2]
HAS_TOOL = bool(shutil.which("kustomize") or shutil.which("kubectl"))


def test_kustomize_is_preferred_then_kubectl(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: f"/usr/bin/{name}")
    assert kustomize.build_command("overlay") == ["kustomize", "build", "overlay"]
    monkeypatch.setattr(shutil, "which", lambda name: "/usr/bin/kubectl" if name == "kubectl" else None)
    assert kustomize.build_command("overlay") == ["kubectl", "kustomize", "overlay"]


def test_neither_tool_is_one_sentence_saying_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(PodcomposeError) as raised:
        kustomize.build("overlay")
    assert raised.value.message.startswith("-k needs kustomize or kubectl on PATH: install kubectl")
    assert raised.value.exit_code == 1


def test_kubectl_klog_wrapping_is_removed() -> None:
    stderr = ('E1201 21:20:17.902631   28982 run.go:72] "command failed" err="must build at directory: '
              'not a valid directory: lstat /nope: no such file or directory"\n')
    assert kustomize.kustomize_message(stderr) == ("must build at directory: not a valid directory: "
                                                   "lstat /nope: no such file or directory")
    assert kustomize.kustomize_message("Error: plain kustomize words\n") == "Error: plain kustomize words"


@pytest.mark.skipif(not HAS_TOOL, reason="neither kustomize nor kubectl is installed")
def test_the_sample_overlay_renders_the_local_images() -> None:
    documents = load_files([], [str(ROOT / "samples/javaweb/local")])
    [pod] = documents
    images = [c["image"] for c in pod.data["spec"]["initContainers"] + pod.data["spec"]["containers"]]
    assert images == ["podcompose.local/javaweb-war:v2", "podcompose.local/tomcat:7.0"]
    assert pod.source.endswith("samples/javaweb/local (kustomize output)")


@pytest.mark.skipif(not HAS_TOOL, reason="neither kustomize nor kubectl is installed")
def test_a_kustomize_failure_is_its_own_message(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text("resources:\n- missing.yaml\n")
    with pytest.raises(PodcomposeError) as raised:
        load_files([], [str(tmp_path)])
    assert "failed: accumulating resources" in raised.value.message
    assert "missing.yaml" in raised.value.message and "run.go" not in raised.value.message
