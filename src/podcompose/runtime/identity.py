"""Who a container's first process is: runAsNonRoot checked against the image's user, and the uid, gid and
groups read from the image's /etc/passwd and /etc/group (supplementalGroupsPolicy), as a CRI runtime sets them.
"""
from __future__ import annotations

from typing import Any

import docker
import docker.errors

from .. import kubelet, naming
from ..errors import PodcomposeError
from ..model import Container, Pod
from . import imagevolume


def check_non_root(client: docker.DockerClient, pod: Pod, spec: Container) -> None:
    """The kubelet's verifyRunAsNonRoot: refuse before creating a container that would run as root."""
    if not spec.security.run_as_non_root:
        return
    image_user = ""
    if spec.security.run_as_user is None:
        try:
            image_user = _image_user(client.api.inspect_image(spec.image) or {})
        except docker.errors.DockerException as error:
            raise PodcomposeError(f"pod {pod.name}: container {spec.name}: cannot read the user of image "
                                  f"{spec.image} to check runAsNonRoot: {error}") from error
    problem = kubelet.non_root_error(spec.security.run_as_user, image_user)
    if problem:
        raise PodcomposeError(f"pod {pod.name}: container {spec.name} not started (CreateContainerConfigError): "
                              f"{problem}")


def _image_user(inspected: dict[str, Any]) -> str:
    """The USER of an inspected image ("" when it sets none)."""
    return str((inspected.get("Config") or {}).get("User") or "")


ACCOUNT_FILES = ("/etc/passwd", "/etc/group")
_accounts: dict[str, tuple[str, str]] = {}    # image id -> (/etc/passwd, /etc/group) text, for this process


def container_identity(client: docker.DockerClient, pod: Pod, spec: Container) -> kubelet.ProcessIdentity | None:
    """The uid, gid and groups of the container's first process, as a CRI runtime sets them.

    Passed to Docker as `user=uid:gid` and `group_add`, so Docker's own merge (image groups only when
    no group is given) never decides. None when the pod asks for nothing of it: Docker then runs the
    image's user with its /etc/passwd gid and /etc/group memberships, which is the Merge policy."""
    security = spec.security
    image = client.api.inspect_image(spec.image) or {}
    image_user = _image_user(image)
    if kubelet.identity_is_the_images(security.run_as_user, security.run_as_group, security.groups,
                                      security.groups_policy, image_user):
        return None
    passwd, group = ("", "")
    if not (security.groups_policy == "Strict" and security.run_as_user is not None
            and security.run_as_group is not None):      # else nothing of the image's counts
        passwd, group = image_accounts(client, pod, str(image.get("Id") or spec.image))
    try:
        return kubelet.process_identity(security.run_as_user, security.run_as_group, image_user, security.groups,
                                        security.groups_policy, kubelet.parse_passwd(passwd),
                                        kubelet.parse_group(group))
    except ValueError as error:
        raise PodcomposeError(f"pod {pod.name}: container {spec.name} not started (CreateContainerError): "
                              f"{error}") from error


def image_accounts(client: docker.DockerClient, pod: Pod, image_id: str) -> tuple[str, str]:
    """The image's /etc/passwd and /etc/group ("" where missing), read from a never-started container of it.

    Nothing of the image runs; the daemon resolves each path inside the image's file system. Docker
    failures are the caller's to report (runtime.client.docker_errors)."""
    if image_id in _accounts:
        return _accounts[image_id]
    helper = client.api.create_container(
        image_id, entrypoint=["/podcompose-never-started"], network_disabled=True,
        labels=naming.pod_labels(pod.namespace, pod.name) | {naming.ROLE: "helper"})
    try:
        texts = tuple(imagevolume.read_image_file(client, helper["Id"], path) for path in ACCOUNT_FILES)
    finally:
        try:
            client.api.remove_container(helper["Id"], force=True)
        except docker.errors.DockerException:
            pass
    _accounts[image_id] = (texts[0], texts[1])
    return _accounts[image_id]

