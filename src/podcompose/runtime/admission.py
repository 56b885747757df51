"""The node's admission: a pod whose resource requests exceed the whole Docker host is refused."""
from __future__ import annotations

import docker
import docker.errors

from .. import kubelet
from ..errors import PodcomposeError
from ..model import Container, Pod


def check_admission(client: docker.DockerClient, pod: Pod) -> None:
    """Refuse, before anything is made, a pod whose requests exceed the whole Docker host."""
    def amounts(c: Container) -> tuple[int, int]:
        return (c.resources.cpu_request_milli or 0, c.resources.memory_request_bytes or 0)
    requests = kubelet.pod_requests([amounts(c) for c in pod.init_containers if c.role == "init"],
                                    [amounts(c) for c in pod.all_containers if c.role != "init"])
    if pod.resources is not None:     # the pod-level request of a resource replaces its containers' aggregate
        requests = (pod.resources.cpu_request_milli or requests[0], pod.resources.memory_request_bytes or requests[1])
    if requests == (0, 0):
        return
    try:
        info = client.info()
    except docker.errors.DockerException:
        return
    problem = kubelet.admission_error(requests, int(info.get("NCPU") or 0) * 1000, int(info.get("MemTotal") or 0))
    if problem:
        raise PodcomposeError(f"pod {pod.name} does not fit this node: {problem}; nothing was created")
