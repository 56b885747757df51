"""The Docker connection, and Docker errors turned into podcompose errors."""
from __future__ import annotations

import contextlib
import re
from typing import Iterator

import docker
import docker.errors
import requests.exceptions

from ..errors import DaemonUnavailable, PodcomposeError
from . import faults


def connect(timeout: int = 120, max_pool_size: int = 10) -> docker.DockerClient:
    """A client for the daemon named by DOCKER_HOST (or the local socket)."""
    try:
        client = docker.from_env(timeout=timeout, max_pool_size=max_pool_size)
        if client.api.base_url.startswith("http+docker://"):
            # a unix socket: no proxy or .netrc applies, and requests would look both up on every call
            client.api.trust_env = False
        faults.install(client.api)         # the fault benchmarks' hook; nothing when its variables are unset
        client.ping()
        return client
    except (docker.errors.DockerException, requests.exceptions.RequestException, OSError) as error:
        raise DaemonUnavailable(
            "cannot reach the Docker daemon: is it running, and may you use its socket? "
            f"({_short(error)})") from error


def _short(error: BaseException) -> str:
    text = str(error)
    match = re.search(r"\(\"(.*?)\"\)", text)
    return (match.group(1) if match else text).strip()[:300]


def explain(error: docker.errors.APIError) -> str:
    """Docker's own explanation of an API error, without the HTTP noise."""
    explanation = getattr(error, "explanation", None)
    if isinstance(explanation, bytes):
        explanation = explanation.decode(errors="replace")
    return str(explanation or error).strip()


@contextlib.contextmanager
def docker_errors(doing: str) -> Iterator[None]:
    """Run a block, turning Docker failures into one clear PodcomposeError."""
    try:
        yield
    except PodcomposeError:
        raise
    except docker.errors.ImageNotFound as error:
        raise PodcomposeError(f"{doing}: image not found ({explain(error)})") from error
    except docker.errors.APIError as error:
        message = explain(error)
        if "port is already allocated" in message or "address already in use" in message:
            port = re.search(r"(\d+\.\d+\.\d+\.\d+:\d+|:\d+)", message)
            where = f" {port.group(1)}" if port else ""
            raise PodcomposeError(f"{doing}: the host port{where} is already in use "
                                  "(another container or program publishes it)") from error
        raise PodcomposeError(f"{doing}: {message}") from error
    except (requests.exceptions.ConnectionError, docker.errors.DockerException) as error:
        raise DaemonUnavailable(f"{doing}: lost the Docker daemon ({_short(error)})") from error


def container_pid(client: docker.DockerClient, container_id: str) -> int | None:
    """The host pid of a running container's first process (a pause container's: its netns), or None."""
    try:
        pid = (client.api.inspect_container(container_id).get("State") or {}).get("Pid")
    except docker.errors.APIError:
        return None
    return int(pid) if pid else None
