"""ConfigMaps, Secrets and PersistentVolumeClaims applied on their own (`kubectl apply -f configmap.yaml`).

`up -f` of files that hold only such objects keeps each one in Docker, as an API
server would keep it: a labelled volume per object (`<namespace>_CM_<name>`,
`<namespace>_SECRET_<name>`; upper case, so no pod's volume can take the name)
holding `object.json`, the manifest as applied, root-only (0600 in a 0700
directory) and never in a label. A claim is its volume (`<namespace>_PVC_<claim>`,
as a pod's claim makes it). Later pods in the namespace use them (`api.load_pods`
adds them to the documents), `get` lists them, `down -f` removes them.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any, Mapping

import docker
import docker.errors

from .. import naming
from ..defaults import DEFAULT_NAMESPACE
from ..errors import PodcomposeError
from ..load import Document
from .ownership import find_volume
from .store import read_file_below

OBJECT_KIND = naming.PREFIX + "object-kind"
OBJECT_NAME = naming.PREFIX + "object"
FILE = "object.json"
KEPT_KINDS = {"ConfigMap": "CM", "Secret": "SECRET"}
CLAIM_KIND = "PersistentVolumeClaim"


@dataclass(frozen=True)
class Kept:
    kind: str
    namespace: str
    name: str
    volume: str
    keys: tuple[str, ...] = ()
    created: str = ""

    @property
    def data_count(self) -> str:
        """kubectl's DATA column: the number of keys ("-" for a claim, which holds none)."""
        return "-" if self.kind == CLAIM_KIND else str(len(self.keys))


def namespace_of(document: Document) -> str:
    """The namespace a manifest names, else the default one."""
    return (document.data.get("metadata") or {}).get("namespace") or DEFAULT_NAMESPACE


def object_document(kind: str, name: str, namespace: str, entries: Mapping[str, bytes]) -> Document:
    """The ConfigMap or Secret that `create configmap|secret generic` makes of `entries` (kubectl's shape:
    a Secret's values in base64; a ConfigMap's text in data, the rest in binaryData)."""
    import base64

    data: dict[str, object] = {"apiVersion": "v1", "kind": kind, "metadata": {"name": name, "namespace": namespace}}
    if kind == "Secret":
        data["type"] = "Opaque"
        data["data"] = {k: base64.b64encode(v).decode() for k, v in entries.items()}
    else:
        text, binary = {}, {}
        for k, v in entries.items():
            try:
                text[k] = v.decode()
            except UnicodeDecodeError:
                binary[k] = base64.b64encode(v).decode()
        data["data"] = text
        if binary:
            data["binaryData"] = binary
    return Document(f"<create {kind.lower()} {name}>", 0, data)


def volume_name(kind: str, namespace: str, name: str) -> str:
    if kind == CLAIM_KIND:
        return naming.claim_volume_name(namespace, name)
    return f"{namespace}_{KEPT_KINDS[kind]}_{name}"


def _labels(kind: str, namespace: str, name: str) -> dict[str, str]:
    return {naming.MANAGED: "true", naming.NAMESPACE: namespace, OBJECT_KIND: kind, OBJECT_NAME: name}


def _write(mountpoint: str, payload: bytes) -> None:
    """`object.json` in the new volume, root-only (podcompose runs on the daemon's host, as the agent does)."""
    if not mountpoint:
        raise PodcomposeError("Docker gave the new volume no mount point: objects are kept only on a local daemon")
    os.chmod(mountpoint, 0o700)
    directory = os.open(mountpoint, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fd = os.open(FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600, dir_fd=directory)
    finally:
        os.close(directory)
    with os.fdopen(fd, "wb") as handle:
        handle.write(payload)


def _ours(attrs: dict[str, Any] | None, kind: str, namespace: str, name: str) -> bool:
    labels = (attrs or {}).get("Labels") or {}
    if kind == CLAIM_KIND:
        return labels.get(naming.MANAGED) == "true" and labels.get(naming.CLAIM) == name \
            and labels.get(naming.NAMESPACE) == namespace
    return labels.get(OBJECT_KIND) == kind and labels.get(OBJECT_NAME) == name \
        and labels.get(naming.NAMESPACE) == namespace


def keep(client: docker.DockerClient, document: Document, namespace: str) -> tuple[str, bool]:
    """Keep (or replace) one object; (its volume, whether it was new)."""
    kind, name = document.kind, document.name
    volume = volume_name(kind, namespace, name)
    existing = find_volume(client, volume)
    if existing is not None and not _ours(existing, kind, namespace, name):
        raise PodcomposeError(f"a volume named {volume} already exists and is not {kind} {name} of namespace "
                              f"{namespace}; podcompose leaves it untouched (docker volume rm {volume})")
    if kind == CLAIM_KIND:
        if existing is None:
            client.api.create_volume(name=volume, driver="local", labels=naming.claim_labels(namespace, name))
        return volume, existing is None
    if existing is not None:
        client.api.remove_volume(volume, force=True)
    data = dict(document.data)
    data["metadata"] = dict(data.get("metadata") or {}) | {"namespace": namespace}
    created = client.api.create_volume(name=volume, driver="local", labels=_labels(kind, namespace, name))
    _write(created.get("Mountpoint", ""), json.dumps(data, sort_keys=True, default=str).encode())
    return volume, existing is None


def _read(mountpoint: str) -> Any:
    return json.loads(read_file_below(mountpoint, FILE))


def kept(client: docker.DockerClient, namespace: str | None = None) -> list[Kept]:
    """Every object kept, ConfigMaps and Secrets (with their keys, never values) and claims."""
    found: list[Kept] = []
    filters = [f"{naming.MANAGED}=true"] + ([f"{naming.NAMESPACE}={namespace}"] if namespace else [])
    for volume in client.api.volumes(filters={"label": filters}).get("Volumes") or []:
        labels = volume.get("Labels") or {}
        ns = labels.get(naming.NAMESPACE, "")
        kind = labels.get(OBJECT_KIND) or (CLAIM_KIND if labels.get(naming.CLAIM) else "")
        name = labels.get(OBJECT_NAME) or labels.get(naming.CLAIM) or ""
        if not kind or volume.get("Name") != volume_name(kind, ns, name):
            continue
        keys: tuple[str, ...] = ()
        if kind != CLAIM_KIND:
            try:
                data = _read(volume["Mountpoint"])
            except (OSError, ValueError):
                continue
            keys = tuple(sorted({*(data.get("data") or {}), *(data.get("binaryData") or {}),
                                 *(data.get("stringData") or {})}))
        found.append(Kept(kind, ns, name, volume["Name"], keys, str(volume.get("CreatedAt") or "")))
    return sorted(found, key=lambda k: (k.namespace, k.kind, k.name))


def documents(client: docker.DockerClient) -> list[Document]:
    """The kept ConfigMaps and Secrets as documents (for validation and the model), and the claims."""
    found = []
    for item in kept(client):
        if item.kind == CLAIM_KIND:
            data: Any = {"apiVersion": "v1", "kind": CLAIM_KIND,
                         "metadata": {"name": item.name, "namespace": item.namespace}}
        else:
            attrs = find_volume(client, item.volume) or {}
            try:
                data = _read(attrs.get("Mountpoint", ""))
            except (OSError, ValueError):
                continue
        found.append(Document(f"<{item.kind} {item.name} kept in Docker volume {item.volume}>", 0, data))
    return found


def remove(client: docker.DockerClient, kind: str, namespace: str, name: str) -> bool:
    """Remove a kept object; False when none is kept (or a claim still in use: Docker refuses)."""
    volume = volume_name(kind, namespace, name)
    attrs = find_volume(client, volume)
    if attrs is None or not _ours(attrs, kind, namespace, name):
        return False
    try:
        client.api.remove_volume(volume, force=kind != CLAIM_KIND)
    except docker.errors.NotFound:
        return False
    except docker.errors.APIError as error:
        raise PodcomposeError(f"{kind} {name} is kept: {error.explanation or error}") from error
    return True
