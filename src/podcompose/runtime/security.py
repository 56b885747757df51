"""What the kubelet does around a container's creation that Docker's arguments cannot say.

- the pod's /etc/hosts and resolv.conf, written as the kubelet writes them into the pause
  container's files (every joiner shares them);
- runAsNonRoot checked against the image's user before a container is created;
- the container's uid, gid and groups from the image's /etc/passwd and /etc/group (supplementalGroupsPolicy);
- a Localhost seccomp profile loaded from the kubelet-like root (Docker's API takes the JSON itself).
"""
from __future__ import annotations

import json
import os
from typing import Any

import docker
import docker.errors

from .. import kubelet, naming, translate
from ..errors import PodcomposeError
from ..model import Container, Pod
from . import imagevolume

SECCOMP_ROOT_ENV = "PODCOMPOSE_SECCOMP_ROOT"


def seccomp_root() -> str:
    return os.environ.get(SECCOMP_ROOT_ENV) or kubelet.SECCOMP_ROOT


def write_pod_files(client: docker.DockerClient, pod: Pod, pause_id: str) -> None:
    """Replace Docker's /etc/hosts (and resolv.conf when dnsConfig or dnsPolicy None asks) with the kubelet's.

    Only for a pod with its own network; the files are the pause container's, on this host. Where they
    cannot be written (a remote daemon), Docker's own stay: the same names, one alias per line."""
    if pod.host_network:
        return
    try:
        attrs = client.api.inspect_container(pause_id)
    except docker.errors.DockerException:
        return
    ip = ((attrs.get("NetworkSettings") or {}).get("IPAddress")) or ""
    hosts_path, resolv_path = attrs.get("HostsPath") or "", attrs.get("ResolvConfPath") or ""
    try:
        if hosts_path and os.path.isfile(hosts_path):
            _replace(hosts_path, translate.pod_hosts_file(pod, ip))
        if resolv_path and os.path.isfile(resolv_path):
            with open(resolv_path, encoding="utf-8", errors="replace") as file:
                content = translate.pod_resolv_conf(pod, file.read())
            if content is not None:
                _replace(resolv_path, content)
    except OSError:
        pass


def _replace(path: str, content: str) -> None:
    # In place (not rename): Docker bind-mounts this very inode into the containers.
    with open(path, "w", encoding="utf-8") as file:
        file.write(content)


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


def load_profiles(pod: Pod, spec: Container, args: dict[str, Any]) -> None:
    """`seccomp=localhost/<path>` becomes `seccomp=<the JSON profile>` read from the seccomp root."""
    options = args.get("security_opt") or []
    for i, option in enumerate(options):
        if not option.startswith("seccomp=localhost/"):
            continue
        relative = option[len("seccomp=localhost/"):]
        root = seccomp_root()
        path = os.path.normpath(os.path.join(root, relative))
        if not relative or os.path.isabs(relative) or not path.startswith(root.rstrip("/") + "/"):
            raise PodcomposeError(f"pod {pod.name}: container {spec.name}: seccompProfile localhostProfile "
                                  f"{relative!r} must be a relative path under {root}")
        try:
            with open(path, encoding="utf-8") as file:
                profile = file.read()
            json.loads(profile)
        except OSError as error:
            raise PodcomposeError(f"pod {pod.name}: container {spec.name}: cannot read the seccomp profile {path}: "
                                  f"{error.strerror or error} (Localhost profiles are read from {root}, or "
                                  f"${SECCOMP_ROOT_ENV})") from error
        except ValueError as error:
            raise PodcomposeError(f"pod {pod.name}: container {spec.name}: the seccomp profile {path} is not "
                                  f"JSON: {error}") from error
        options[i] = "seccomp=" + profile


# --- termination messages (kuberuntime: a per-attempt host file bound at terminationMessagePath) -----

TERMINATION_ROOT = os.environ.get("PODCOMPOSE_TERMINATION_DIR", "/run/podcompose/termination")
MAX_MESSAGE_BYTES = 4096          # the kubelet reads at most this much of the file
FALLBACK_LINES, FALLBACK_BYTES = 80, 2048   # FallbackToLogsOnError: the log's last lines, at most this much


def termination_dir(namespace: str, pod: str) -> str:
    return os.path.join(TERMINATION_ROOT, namespace, pod)


def add_termination_log(pod: Pod, spec: Container, args: dict[str, Any]) -> None:
    """Bind a fresh, empty, world-writable host file of this attempt at the container's terminationMessagePath.

    The file outlives the container (so `ps`/`describe` read it after the exit) and goes with the pod."""
    import uuid

    if not spec.termination_message_path:
        return
    directory = termination_dir(pod.namespace, pod.name)
    try:
        os.makedirs(directory, mode=0o755, exist_ok=True)
        path = os.path.join(directory, f"{spec.name}.{uuid.uuid4().hex[:12]}")
        with open(path, "w"):
            pass
        os.chmod(path, 0o666)    # the container's user, whoever it is, may write its message
    except OSError:
        return                   # not this daemon's host: no message, as before
    args.setdefault("mounts", []).append({"Type": "bind", "Source": path, "Target": spec.termination_message_path,
                                          "ReadOnly": False})
    args["labels"][naming.TERMINATION_FILE] = path
    args["labels"][naming.TERMINATION_POLICY] = spec.termination_message_policy


def termination_message(client: docker.DockerClient, attrs: dict[str, Any]) -> str:
    """An exited container's message: its file, or (FallbackToLogsOnError, failed, empty file) its log's tail."""
    labels = (attrs.get("Config") or {}).get("Labels") or {}
    state = attrs.get("State") or {}
    if state.get("Status") not in ("exited", "dead"):
        return ""
    message = ""
    path = labels.get(naming.TERMINATION_FILE)
    if path and os.path.dirname(os.path.dirname(path)).startswith(TERMINATION_ROOT):
        try:
            with open(path, "rb") as file:
                message = file.read(MAX_MESSAGE_BYTES).decode(errors="replace")
        except OSError:
            message = ""
    if not message and labels.get(naming.TERMINATION_POLICY) == "FallbackToLogsOnError" and state.get("ExitCode"):
        try:
            tail = client.api.logs(attrs["Id"], stdout=True, stderr=True, tail=FALLBACK_LINES)
        except docker.errors.DockerException:
            return ""
        message = tail[-FALLBACK_BYTES:].decode(errors="replace")
    return message


def remove_termination_files(namespace: str, pod: str) -> None:
    import shutil

    shutil.rmtree(termination_dir(namespace, pod), ignore_errors=True)


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
