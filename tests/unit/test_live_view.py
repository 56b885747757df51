"""The live view of `up`, fed with events (no daemon, no terminal)."""
from __future__ import annotations

import io

from rich.console import Console

from podcompose.cli.live import LiveUp
from podcompose.events import Event
from podcompose.load import load_text
from podcompose.pods import pods_from_documents

POD = """
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  initContainers: [{name: init, image: busybox:1}]
  containers: [{name: app, image: nginx:1}]
"""


def screen(view: LiveUp) -> str:
    console = Console(file=io.StringIO(), width=100, color_system=None)
    console.print(view.render())
    return console.file.getvalue()


def test_containers_move_from_pending_to_their_state_and_pulls_show_bytes() -> None:
    view = LiveUp(pods_from_documents(load_text(POD)))
    assert [line.split() for line in screen(view).splitlines()] == [
        ["web", "POD", "pending"], ["web", "init", "pending"], ["web", "app", "pending"]]
    view.handle(Event("pulling", data={"image": "nginx:1", "layer": "a1", "current": 500_000, "total": 1_000_000}))
    view.handle(Event("pulling", data={"image": "nginx:1", "layer": "b2", "current": 1_500_000, "total": 3_000_000}))
    pulling = next(line for line in screen(view).splitlines() if "nginx:1" in line)
    assert pulling.split() == ["nginx:1", "pulling", "2.0", "MB", "/", "4.0", "MB"]
    view.handle(Event("pulled", data={"image": "nginx:1"}))
    view.handle(Event("started", pod="web", container="POD"))
    view.handle(Event("completed", pod="web", container="init"))
    view.fail("web", "app")
    text = screen(view)
    assert "pulling" not in text
    assert [line.split() for line in text.splitlines()] == [
        ["web", "POD", "started"], ["web", "init", "completed"], ["web", "app", "failed"]]


def test_warnings_show_under_the_table() -> None:
    view = LiveUp(pods_from_documents(load_text(POD)))
    view.handle(Event("image-local", message="could not pull nginx:1; using the local image"))
    assert "warning: could not pull nginx:1; using the local image" in screen(view)
