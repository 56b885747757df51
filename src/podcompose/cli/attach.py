"""Attached `up`: the containers' logs as they run, through every restart, and the agent's news.

Each attempt of each app and sidecar container is followed from its start (the
agent restarts a container as a new Docker container); what the agent records
for the pod (back-off, probe failures, kills, hook failures) is shown between
the lines. It ends when every pod has finished (Succeeded or Failed, as the
agent reports it) or was removed; Ctrl-C brings the pods down.
"""
from __future__ import annotations

import queue
import threading
import time
from .. import api
from ..model import Pod
from ..state import ObservedContainer
from .ui import UI

LOOK_SECONDS = 0.3
FINISHED = ("Succeeded", "Failed")


def attach(runtime: "api.Runtime", pods: list[Pod], ui: UI) -> int:
    targets = [(p.namespace, p.name) for p in pods]
    width = max((len(c.name) for p in pods for c in p.all_containers), default=0)
    lines: queue.Queue[tuple[str, str]] = queue.Queue(maxsize=10_000)
    followed: set[str] = set()
    live: set[str] = set()
    seen_events = {key: len(api.agent_events(*key)) for key in targets}

    def follow(container: ObservedContainer, name: str, container_id: str) -> None:
        try:
            for _, line in api.log_lines(runtime, [container], api.LogOptions(follow=True)):
                lines.put((name, line))
        finally:
            live.discard(container_id)

    while True:
        finished = 0
        for key in targets:
            pod = api.find(runtime, *key)
            report = api.agent_report().pod(*key)
            if pod is None or report is not None and report.status.phase in FINISHED and not live:
                finished += 1
            for container in (pod.by_role("sidecar", "app") if pod else []):
                if container.id not in followed:
                    followed.add(container.id)
                    live.add(container.id)
                    threading.Thread(target=follow, args=(container, container.container, container.id),
                                     daemon=True).start()
            events = api.agent_events(*key)
            for event in events[seen_events.get(key, 0):]:
                if event.get("type") == "Warning" or event.get("reason") in ("Killing", "Restarted"):
                    who = f"{key[1]}/{event['container']}" if event.get("container") else key[1]
                    ui.info(f"{who}: {event.get('reason')}: {event.get('message')}")
            seen_events[key] = len(events)
        deadline = time.monotonic() + LOOK_SECONDS
        while (left := deadline - time.monotonic()) > 0:
            try:
                name, line = lines.get(timeout=left)
            except queue.Empty:
                break
            ui.log_line(name, line, True, width)
        if finished == len(targets) and lines.empty():
            return result(runtime, targets, ui)
        api.keep_agent_running()


def result(runtime: "api.Runtime", targets: list[tuple[str, str]], ui: UI) -> int:
    """The pods' result: the first failing app container's exit code, else 0."""
    code = 0
    for namespace, name in targets:
        pod = api.find(runtime, namespace, name)
        if pod is None:
            continue
        for container in pod.by_role("app"):
            if container.exit_code:
                code = code or container.exit_code
        ui.info(f"{name}: {api.pod_views(runtime, [pod])[0].status.phase}")
    return code

