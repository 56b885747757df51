"""Images: pull by policy, and fall back to a local copy when offline."""
from __future__ import annotations

import docker
import docker.errors
import requests.exceptions

from ..errors import PodcomposeError
from ..events import Event, EventSink
from .client import docker_errors, explain


def _present(client: docker.DockerClient, image: str) -> bool:
    try:
        client.api.inspect_image(image)
        return True
    except docker.errors.ImageNotFound:
        return False


def _split(image: str) -> tuple[str, str | None]:
    if "@" in image:
        return image, None
    name, _, tag = image.rpartition(":")
    if name and "/" not in tag:
        return name, tag
    return image, "latest"


def _pull(client: docker.DockerClient, image: str, sink: EventSink) -> None:
    repository, tag = _split(image)
    sink(Event("pulling", message=image, data={"image": image}))
    for progress in client.api.pull(repository, tag=tag, stream=True, decode=True):
        if "error" in progress:
            raise docker.errors.APIError(progress["error"])
        if progress.get("id") and progress.get("progressDetail") is not None:
            sink(Event("pulling", message=image, data={
                "image": image, "layer": progress["id"], "status": progress.get("status", ""),
                "current": progress["progressDetail"].get("current"),
                "total": progress["progressDetail"].get("total")}))
    sink(Event("pulled", message=image, data={"image": image}))


def ensure_image(client: docker.DockerClient, image: str, policy: str, sink: EventSink) -> None:
    """Make `image` available as the Kubernetes pull `policy` asks.

    When a pull is required but fails and the image exists locally, the local
    image is used and a warning says so: on an offline laptop `:latest` images
    would otherwise never run.
    """
    with docker_errors(f"checking image {image}"):
        present = _present(client, image)
    if policy == "Never":
        if not present:
            raise PodcomposeError(f"image {image} is not present locally and its imagePullPolicy is Never")
        return
    if policy == "IfNotPresent" and present:
        return
    try:
        _pull(client, image, sink)
    except (docker.errors.APIError, requests.exceptions.RequestException) as error:
        reason = explain(error) if isinstance(error, docker.errors.APIError) else str(error)
        if present:
            sink(Event("image-local", message=f"could not pull {image}; using the local image ({reason[:160]})",
                       data={"image": image}))
            return
        raise PodcomposeError(f"image {image} is not present locally and could not be pulled: {reason}") from error
