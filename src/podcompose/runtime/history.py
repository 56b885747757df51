"""The daemon's record of a pod: image pulls and container events, for `describe`."""
from __future__ import annotations

import time

import docker

from .. import naming
from ..state import ObservedPod
from .client import docker_errors
from .logs import unix_time


def pod_events(client: docker.DockerClient, pod: ObservedPod) -> list[dict]:
    """Pulls of the pod's images and its containers' events, oldest first, from this incarnation of the pod."""
    filters = {"type": "container", "label": naming.pod_filter(pod.namespace, pod.name)}
    reasons = {"create": "Created", "start": "Started", "kill": "Killed", "die": "Died", "stop": "Stopped",
               "restart": "Restarted", "oom": "OOMKilled", "pause": "Paused", "unpause": "Unpaused"}
    found = []
    images = {c.image for c in pod.containers}
    pause = pod.pause
    # this incarnation of the pod only; pulls from up to half an hour before it
    born = int(unix_time(pause.created_at)) if pause and pause.created_at else 0
    with docker_errors("reading daemon events"):
        for event in client.api.events(since=max(born - 1800, 0), until=int(time.time()) + 1, decode=True,
                                       filters={"type": "image", "event": "pull"}):
            image = (event.get("Actor") or {}).get("ID") or event.get("id", "")
            if image in images:
                stamp = event.get("timeNano") or int(event.get("time", 0)) * 10**9
                found.append({"time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(stamp / 1e9)),
                              "container": "", "reason": f"Pulled {image}", "nanos": stamp})
        for event in client.api.events(since=born, until=int(time.time()) + 1, filters=filters, decode=True):
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
