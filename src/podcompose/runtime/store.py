"""The store of what is wanted: today each pod's desired state, kept in Docker so the agent can rebuild the
pod without the manifest (the ConfigMaps, Secrets and claims kept for pods are objects.py's). This is where the
one object store grows (resourceVersions, list by label, watches: design.md section 9) for Services, workloads
and an API's objects; Docker stays the truth for what runs.

One volume per pod, `<pod>_POD.desired` (upper case: no Kubernetes volume name can
take it), labelled with the pod, its namespace and `role=desired`, holding
`pod.json`: the pod model (Secret values included, which is why it is a volume
and not a label) as root-only files. No container ever mounts it except the
never-started helper that writes it, so nothing in a pod can change it; the agent,
root on the daemon's host, reads it from the volume's mountpoint without
following links.
"""
from __future__ import annotations

import io
import os
import tarfile
import time
from dataclasses import dataclass

import docker
import docker.errors

from .. import codec, naming
from ..errors import PodcomposeError
from ..model import Pod
from . import localfs
from .ownership import check_volume_name

ROLE_DESIRED = "desired"
FILE = "pod.json"


def volume_name(namespace: str, pod: str) -> str:
    return naming.desired_volume_name(namespace, pod)


def _labels(pod: Pod, spec_hash: str) -> dict[str, str]:
    labels = naming.pod_labels(pod.namespace, pod.name) | {naming.ROLE: ROLE_DESIRED, naming.SPEC_HASH: spec_hash}
    return labels | ({naming.POD_UID: pod.uid} if pod.uid else {})


def _archive(payload: bytes) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        directory = tarfile.TarInfo("desired")
        directory.type, directory.mode = tarfile.DIRTYPE, 0o700
        tar.addfile(directory)
        info = tarfile.TarInfo(f"desired/{FILE}")
        info.size, info.mode, info.mtime = len(payload), 0o600, int(time.time())
        tar.addfile(info, io.BytesIO(payload))
    return buffer.getvalue()


@dataclass(frozen=True)
class DesiredPod:
    """What the agent keeps: the pod, and how `up` was asked to run it."""

    pod: Pod
    pause_image: str
    default_host_ip: str = ""
    build: str = ""            # the podcompose that wrote it (agent.process.build_id)


def save(client: docker.DockerClient, desired: DesiredPod, spec_hash: str) -> str:
    """Write (or replace) the pod's desired state; the volume's name. The pause image writes it."""
    pod = desired.pod
    name = volume_name(pod.namespace, pod.name)
    existing = check_volume_name(client, name, pod.namespace, pod.name)
    if existing is not None:
        client.api.remove_volume(name, force=True)
    created = client.api.create_volume(name=name, driver="local", labels=_labels(pod, spec_hash))
    if localfs.write_new_file(created.get("Mountpoint", ""), FILE, codec.dumps(desired)):
        return name
    helper = client.api.create_container(
        desired.pause_image, labels=naming.pod_labels(pod.namespace, pod.name) | {naming.ROLE: "helper"},
        host_config=client.api.create_host_config(
            mounts=[{"Type": "volume", "Source": name, "Target": "/desired", "VolumeOptions": {"NoCopy": True}}]))
    try:
        client.api.put_archive(helper["Id"], "/", _archive(codec.dumps(desired)))
    finally:
        client.api.remove_container(helper["Id"], force=True)
    return name


@dataclass(frozen=True)
class Desired:
    pod: Pod
    pause_image: str
    default_host_ip: str
    spec_hash: str
    volume: str
    build: str = ""


def read_file_below(root: str, name: str) -> bytes:
    """`root/name`, opened with no link followed at the last step (root itself is Docker's)."""
    directory = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW, dir_fd=directory)
    finally:
        os.close(directory)
    with os.fdopen(fd, "rb") as handle:
        return handle.read()


def load_all(client: docker.DockerClient, namespace: str | None = None) -> list[Desired]:
    """Every pod whose desired state Docker holds; an unreadable one is skipped (never guessed)."""
    filters = {"label": naming.pod_filter(namespace) + [f"{naming.ROLE}={ROLE_DESIRED}"]}
    found = []
    for volume in client.api.volumes(filters=filters).get("Volumes") or []:
        labels = volume.get("Labels") or {}
        pod_name, pod_namespace = labels.get(naming.POD, ""), labels.get(naming.NAMESPACE, "")
        if volume.get("Name") != volume_name(pod_namespace, pod_name):
            continue
        try:
            desired = codec.loads(DesiredPod, read_file_below(volume["Mountpoint"], FILE))
        except (OSError, ValueError, TypeError, KeyError):
            continue
        pod = desired.pod
        if (pod.namespace, pod.name) != (pod_namespace, pod_name):
            continue
        found.append(Desired(pod, desired.pause_image, desired.default_host_ip, labels.get(naming.SPEC_HASH, ""),
                             volume["Name"], desired.build))
    return found


def load(client: docker.DockerClient, namespace: str, pod: str) -> Desired | None:
    return next((d for d in load_all(client, namespace) if d.pod.name == pod), None)


def exists(client: docker.DockerClient, namespace: str, pod: str) -> bool:
    """Still desired? (checked again right before the agent makes anything: `down` may have begun)."""
    try:
        attrs = client.api.inspect_volume(volume_name(namespace, pod))
    except docker.errors.NotFound:
        return False
    labels = attrs.get("Labels") or {}
    return labels.get(naming.POD) == pod and labels.get(naming.NAMESPACE) == namespace \
        and labels.get(naming.ROLE) == ROLE_DESIRED


def forget(client: docker.DockerClient, namespace: str, pod: str) -> None:
    """Remove the desired state (down): the agent stops supervising the pod."""
    name = volume_name(namespace, pod)
    try:
        if check_volume_name(client, name, namespace, pod) is not None:
            client.api.remove_volume(name, force=True)
    except docker.errors.NotFound:
        pass
    except PodcomposeError:
        raise
