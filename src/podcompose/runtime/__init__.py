"""The runtime: podcompose's side of the Docker Engine.

It observes pods by label, executes plans, removes pods, and keeps what is wanted
(store.py: each pod's desired state; objects.py: the ConfigMaps, Secrets and
claims kept for pods); it reports what it does as events and never prints.

Two packages import `docker`: this one, and agent/ (the node agent's sync, loop,
first bring-up and event watch, which drive Docker through this package's
builders). Nothing here imports agent/ or cli/; the faces (cli/, testing.py)
reach both only through api.py, and the pure core never imports either.
"""
from __future__ import annotations

from typing import Iterable, Iterator

import docker
import docker.errors

from .. import naming
from ..errors import PodcomposeError
from ..events import EventSink, ignore
from ..load import Document
from ..plan import Plan
from ..state import Observed, ObservedContainer, ObservedPod
from .client import connect, docker_errors
from ..model import Pod
from . import objects, store
from .builder import MountRefused
from .execute import ContainerFailed, PodFailed, cleanup, execute, settle
from .history import pod_events
from .logs import LogOptions, merged_lines
from .observe import observe
from .remove import remove_pod

__all__ = ["Runtime", "PodFailed", "ContainerFailed", "MountRefused", "LogOptions"]


class Runtime:
    """One Docker connection and the operations podcompose performs with it."""

    def __init__(self, client: docker.DockerClient | None = None) -> None:
        self.client = client or connect()

    def observe(self, namespace: str | None = None, pod: str | None = None) -> Observed:
        return observe(self.client, namespace, pod)

    def find(self, namespace: str, pod: str) -> ObservedPod | None:
        return self.observe(namespace, pod).find(namespace, pod)

    def up(self, plan: Plan, sink: EventSink = ignore, *, keep_on_failure: bool = False,
           sandbox_labels: dict[str, str] | None = None) -> str:
        """Images, volumes and the pause container of the plan; the pause image used."""
        return execute(self.client, plan, sink, keep_on_failure=keep_on_failure, sandbox_labels=sandbox_labels)

    def settle(self, pod: Pod, since: float, started: float) -> set[str]:
        return settle(self.client, pod, since, started)

    def cleanup(self, pod: Pod, sink: EventSink = ignore) -> None:
        cleanup(self.client, pod, sink)

    def forget(self, namespace: str, pod: str) -> None:
        """Remove the pod's desired state: the agent stops supervising it."""
        with docker_errors(f"ending the supervision of pod {pod}"):
            store.forget(self.client, namespace, pod)

    def keep_desired(self, desired: store.DesiredPod, spec_hash: str) -> store.Desired:
        """Write the pod's desired state for the agent and read it back as the agent will."""
        with docker_errors(f"keeping the desired state of pod {desired.pod.name}"):
            store.save(self.client, desired, spec_hash)
            found = store.load(self.client, desired.pod.namespace, desired.pod.name)
        if found is None:
            raise PodcomposeError(f"pod {desired.pod.name}: its desired state could not be read back from Docker")
        return found

    def has_desired_pods(self) -> bool:
        """Whether Docker keeps any pod for the agent to supervise."""
        filters = {"label": naming.pod_filter() + [f"{naming.ROLE}={store.ROLE_DESIRED}"]}
        with docker_errors("listing the pods kept for the agent"):
            return bool(self.client.api.volumes(filters=filters).get("Volumes"))

    def log_tail(self, container_id: str) -> str:
        from .settle import log_tail

        return log_tail(self.client, container_id)

    def version(self) -> str | None:
        """The Docker Engine's version."""
        with docker_errors("asking the Docker Engine its version"):
            return self.client.version().get("Version")

    # --- the objects kept for pods (ConfigMaps, Secrets, claims) --------------------------------

    def keep_object(self, document: Document, namespace: str) -> tuple[str, bool]:
        """Keep a ConfigMap, Secret or claim: (its volume, whether it is new)."""
        return objects.keep(self.client, document, namespace)

    def keep_objects(self, documents: Iterable[Document], namespace: str | None) -> list[tuple[str, str, str, bool]]:
        """Keep each one, in `namespace` or its own: (kind, name, volume, new) each."""
        kept = []
        for document in documents:
            volume, new = objects.keep(self.client, document, namespace or objects.namespace_of(document))
            kept.append((document.kind, document.name, volume, new))
        return kept

    def remove_objects(self, documents: Iterable[Document], namespace: str | None) -> list[tuple[str, str]]:
        """Remove the kept objects among `documents`, in `namespace` or their own: (kind, name) of each."""
        removed = []
        for document in documents:
            if document.kind in (*objects.KEPT_KINDS, objects.CLAIM_KIND) and document.name and objects.remove(
                    self.client, document.kind, namespace or objects.namespace_of(document), document.name):
                removed.append((document.kind, document.name))
        return removed

    def kept_objects(self, namespace: str | None = None) -> list[objects.Kept]:
        return objects.kept(self.client, namespace)

    def kept_documents(self) -> list[Document]:
        return objects.documents(self.client)

    def down(self, pod: ObservedPod, sink: EventSink = ignore, *, timeout: int | None = None,
             spec: Pod | None = None) -> None:
        remove_pod(self.client, pod, sink, timeout=timeout, spec=spec)

    def remove_claim(self, namespace: str, claim: str, sink: EventSink = ignore) -> bool:
        """Remove the volume of a PersistentVolumeClaim (only if it is one); False when absent or in use."""
        from .. import naming
        from ..events import Event
        from .ownership import find_volume

        name = naming.claim_volume_name(namespace, claim)
        with docker_errors(f"removing claim {claim}"):
            attrs = find_volume(self.client, name)
            labels = (attrs or {}).get("Labels") or {}
            if attrs is None or labels.get(naming.CLAIM) != claim or labels.get(naming.NAMESPACE) != namespace:
                return False
            try:
                self.client.api.remove_volume(name)
            except docker.errors.NotFound:
                return False
            except docker.errors.APIError as error:
                sink(Event("warning", message=f"claim {claim} (volume {name}) is kept: {error.explanation or error}"))
                return False
        sink(Event("removed", message=f"claim {claim} (volume {name})"))
        return True

    def desired(self, namespace: str, pod: str) -> Pod | None:
        """The pod as the agent keeps it (None when it is not supervised)."""
        desired = store.load(self.client, namespace, pod)
        return desired.pod if desired else None

    def logs(self, containers: list[ObservedContainer], options: LogOptions) -> Iterator[tuple[str, str]]:
        return merged_lines(self.client, containers, options)

    def exec(self, container: ObservedContainer, command: list[str]) -> tuple[Iterator[tuple[bytes | None, bytes | None]], "ExecResult"]:
        """Run `command` in a container: (output chunks (stdout, stderr), a handle for the exit code)."""
        with docker_errors(f"exec in {container.container}"):
            exec_id = self.client.api.exec_create(container.id, command, stdout=True, stderr=True)["Id"]
            stream = self.client.api.exec_start(exec_id, stream=True, demux=True)
        return stream, ExecResult(self.client, exec_id)


    def events(self, pod: ObservedPod) -> list[dict]:
        """What the daemon recorded for this incarnation of the pod: pulled, created, started, killed, died."""
        return pod_events(self.client, pod)


class ExecResult:
    def __init__(self, client: docker.DockerClient, exec_id: str) -> None:
        self.client = client
        self.exec_id = exec_id

    @property
    def exit_code(self) -> int:
        code = self.client.api.exec_inspect(self.exec_id).get("ExitCode")
        return -1 if code is None else int(code)

