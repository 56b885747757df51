"""The runtime: the only package that imports `docker`.

It observes pods by label, executes plans and removes pods; it reports what it
does as events and never prints.
"""
from __future__ import annotations

from typing import Iterator

import docker
import docker.errors

from ..events import EventSink, ignore
from ..plan import Plan
from ..state import Observed, ObservedContainer, ObservedPod
from .client import connect, docker_errors
from .execute import PodFailed, execute, log_tail
from .logs import LogOptions, merged_lines
from .observe import observe
from .remove import remove_pod

__all__ = ["Runtime", "PodFailed", "LogOptions"]


class Runtime:
    """One Docker connection and the operations podcompose performs with it."""

    def __init__(self, client: docker.DockerClient | None = None) -> None:
        self.client = client or connect()

    def observe(self, namespace: str | None = None, pod: str | None = None) -> Observed:
        return observe(self.client, namespace, pod)

    def find(self, namespace: str, pod: str) -> ObservedPod | None:
        return self.observe(namespace, pod).find(namespace, pod)

    def up(self, plan: Plan, sink: EventSink = ignore, *, keep_on_failure: bool = False, settle: bool = True) -> None:
        execute(self.client, plan, sink, keep_on_failure=keep_on_failure, settle=settle)

    def down(self, pod: ObservedPod, sink: EventSink = ignore, *, timeout: int | None = None) -> None:
        remove_pod(self.client, pod, sink, timeout=timeout)

    def logs(self, containers: list[ObservedContainer], options: LogOptions) -> Iterator[tuple[str, str]]:
        return merged_lines(self.client, containers, options)

    def log_tail(self, container: ObservedContainer, lines: int = 20) -> str:
        return log_tail(self.client, container.id, lines)

    def wait(self, container: ObservedContainer) -> int:
        """Block until the container exits; its exit code."""
        with docker_errors(f"waiting for {container.container}"):
            try:
                return int(self.client.api.wait(container.id).get("StatusCode", -1))
            except docker.errors.NotFound:
                return -1

    def exec(self, container: ObservedContainer, command: list[str]) -> tuple[Iterator[tuple[bytes | None, bytes | None]], "ExecResult"]:
        """Run `command` in a container: (output chunks (stdout, stderr), a handle for the exit code)."""
        with docker_errors(f"exec in {container.container}"):
            exec_id = self.client.api.exec_create(container.id, command, stdout=True, stderr=True)["Id"]
            stream = self.client.api.exec_start(exec_id, stream=True, demux=True)
        return stream, ExecResult(self.client, exec_id)


    def events(self, pod: ObservedPod) -> list[dict]:
        """What the daemon recorded for the pod's containers: created, started, killed, died."""
        import time
        from .. import naming

        filters = {"type": "container", "label": naming.pod_filter(pod.namespace, pod.name)}
        reasons = {"create": "Created", "start": "Started", "kill": "Killed", "die": "Died", "stop": "Stopped",
                   "restart": "Restarted", "oom": "OOMKilled", "pause": "Paused", "unpause": "Unpaused"}
        from .logs import unix_time

        found = []
        images = {c.image for c in pod.containers}
        pause = pod.pause
        # this incarnation of the pod only; pulls from up to half an hour before it
        born = int(unix_time(pause.created_at)) if pause and pause.created_at else 0
        with docker_errors("reading daemon events"):
            for event in self.client.api.events(since=max(born - 1800, 0), until=int(time.time()) + 1, decode=True,
                                                filters={"type": "image", "event": "pull"}):
                image = (event.get("Actor") or {}).get("ID") or event.get("id", "")
                if image in images:
                    stamp = event.get("timeNano") or int(event.get("time", 0)) * 10**9
                    found.append({"time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(stamp / 1e9)),
                                  "container": "", "reason": f"Pulled {image}", "nanos": stamp})
            for event in self.client.api.events(since=born, until=int(time.time()) + 1, filters=filters, decode=True):
                action = str(event.get("Action") or event.get("status") or "")
                reason = reasons.get(action.split(":")[0])
                attributes = (event.get("Actor") or {}).get("Attributes") or {}
                if reason is None or not attributes.get(naming.CONTAINER):
                    continue  # other actions, and the short-lived helper that fills volumes
                detail = ""
                if action == "die":
                    detail = f"exit code {attributes.get('exitCode')}"
                elif action == "kill":
                    detail = f"signal {attributes.get('signal')}"
                stamp = event.get("timeNano") or int(event.get("time", 0)) * 10**9
                found.append({"time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(stamp / 1e9)),
                              "container": attributes.get(naming.CONTAINER, ""),
                              "reason": reason + (f" ({detail})" if detail else ""), "nanos": stamp})
        found.sort(key=lambda e: e["nanos"])
        for event in found:
            del event["nanos"]
        return found


class ExecResult:
    def __init__(self, client: docker.DockerClient, exec_id: str) -> None:
        self.client = client
        self.exec_id = exec_id

    @property
    def exit_code(self) -> int:
        code = self.client.api.exec_inspect(self.exec_id).get("ExitCode")
        return -1 if code is None else int(code)

