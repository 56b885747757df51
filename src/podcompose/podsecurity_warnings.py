"""With no Pod Security level: a warning at each field the baseline would refuse, saying what it does.

`podsecurity` finds the violations (the Pod Security Admission checks, written once there); this module
words the ones that are not host access (those get one summary warning per pod) for a pod that runs as
written: per field, what the setting hands the container. Two warnings say more than the checks do: a
hostPath that holds a container runtime's socket names the runtime, and a hostPort is warned about only
when it is published on every address of the host (no hostIP, no `--host-ip` nor $PODCOMPOSE_HOST_IP).
Pure: no I/O (the environment variable is read by the caller).
"""
from __future__ import annotations

import posixpath
from typing import Any, Callable, Iterator, Protocol

from .errors import Problem, shown
from .load import Document, FieldPath
from .raw import get, items, mapping

HOST_IP_ENV = "PODCOMPOSE_HOST_IP"

# The sockets of container runtimes and their daemons: a pod given one controls the runtime, and so the host.
RUNTIME_SOCKETS: dict[str, str] = {
    "docker.sock": "the Docker Engine",
    "containerd.sock": "containerd",
    "crio.sock": "CRI-O",
    "podman.sock": "Podman",
    "cri-dockerd.sock": "cri-dockerd",
    "dockershim.sock": "the dockershim",
    "buildkitd.sock": "BuildKit",
}
# Where they live: a hostPath of one of these directories (or above) holds the socket too.
RUNTIME_SOCKET_PATHS = ("/run/docker.sock", "/run/containerd/containerd.sock", "/run/crio/crio.sock",
                        "/run/podman/podman.sock", "/run/cri-dockerd.sock", "/run/dockershim.sock",
                        "/run/buildkit/buildkitd.sock", "/run/k3s/containerd/containerd.sock")
SOCKET_RULE = "hostPathVolumes"


class Found(Protocol):
    rule: str
    path: FieldPath
    message: str


def runtime_socket(path: str) -> tuple[str, str] | None:
    """(runtime, socket path) when a hostPath of `path` holds a container runtime's socket."""
    normal = posixpath.normpath(path) if path.startswith("/") else path
    if normal.startswith("/var/run/") or normal == "/var/run":
        normal = normal[len("/var"):]          # /var/run is a link to /run
    name = posixpath.basename(normal)
    if name in RUNTIME_SOCKETS:
        return RUNTIME_SOCKETS[name], path
    for socket in RUNTIME_SOCKET_PATHS:
        if normal == "/" or socket.startswith(normal + "/"):
            return RUNTIME_SOCKETS[posixpath.basename(socket)], socket
    return None


def _who(document: Document, path: FieldPath, spec_path: FieldPath) -> str:
    """"the pod" or "container NAME", from a field's path below the pod spec."""
    below = path[len(spec_path):]
    if len(below) >= 2 and below[0] in ("initContainers", "containers", "ephemeralContainers"):
        name = mapping(get(document.data, spec_path + below[:2])).get("name")
        return f"container {shown(name) if name is not None else '#' + str(below[1])}"
    return "the pod"


def _value(document: Document, path: FieldPath) -> Any:
    return get(document.data, path)


def _app_armor(document: Document, found: Found, who: str, host_ip: str) -> str | None:
    if found.path[-1] != "type":
        return f"the annotation {found.path[-1]} runs a container without its AppArmor profile"
    return f"{who} runs without AppArmor confinement (appArmorProfile type {shown(_value(document, found.path))})"


def _se_linux(document: Document, found: Found, who: str, host_ip: str) -> str | None:
    value = _value(document, found.path)
    if found.path[-1] == "type":
        return (f"{who} sets the SELinux type {shown(value)}, outside the container types: the container policy "
                "no longer confines it")
    return f"{who} sets the SELinux {found.path[-1]} {shown(value)}, outside the container policy"


def _proc_mount(document: Document, found: Found, who: str, host_ip: str) -> str | None:
    return (f"{who} sets procMount {shown(_value(document, found.path))}: its /proc is neither masked nor "
            "read-only (the host kernel's /proc/kcore, /proc/sysrq-trigger and /proc/sys are open to it)")


def _seccomp(document: Document, found: Found, who: str, host_ip: str) -> str | None:
    return (f"{who} runs without a seccomp filter (seccompProfile type {shown(_value(document, found.path))}): "
            "every system call is open to it")


def _host_port(document: Document, found: Found, who: str, host_ip: str) -> str | None:
    port = mapping(_value(document, found.path[:-1]))
    if port.get("hostIP") or host_ip:
        return None          # published on one address the user chose
    protocol = str(port.get("protocol") or "TCP")
    return (f"{who} publishes hostPort {port.get('hostPort')}/{protocol} on every address of the host (it binds "
            "0.0.0.0, reachable from other machines): set its hostIP, or --host-ip / "
            f"${HOST_IP_ENV}, to 127.0.0.1 to keep it on this host")


def _host_probe(document: Document, found: Found, who: str, host_ip: str) -> str | None:
    return (f"{who} sends a probe or hook to host {shown(_value(document, found.path))}, not to the pod: "
            "podcompose connects there for it")


def _windows(document: Document, found: Found, who: str, host_ip: str) -> str | None:
    return f"{who} asks for a Windows host process, which is the host itself"


Wording = Callable[[Document, Found, str, str], "str | None"]
WORDINGS: dict[str, Wording] = {
    "windowsHostProcess": _windows,
    "hostPorts": _host_port,
    "hostProbesAndHostLifecycle": _host_probe,
    "appArmorProfile": _app_armor,
    "seLinuxOptions": _se_linux,
    "procMount": _proc_mount,
    "seccompProfile_baseline": _seccomp,
}


def _tail(rule: str) -> str:
    return (f"; the baseline Pod Security Standard forbids this (rule {rule}): it runs as written, "
            "--pod-security=baseline refuses it")


def field_warnings(document: Document, found: list[Found], spec_path: FieldPath, host_ip: str) -> list[Problem]:
    """A warning at each field of `found` (baseline violations) worded in WORDINGS, and at each hostPath that
    holds a container runtime's socket. `host_ip`: where hostPorts without a hostIP are published ("" = every
    address)."""
    problems: list[Problem] = []
    for violation in found:
        wording = WORDINGS.get(violation.rule)
        text = wording(document, violation, _who(document, violation.path, spec_path), host_ip) if wording else None
        if text:
            problems.append(document.problem(violation.path, text + _tail(violation.rule), severity="warning"))
    for path, text in _socket_volumes(document, spec_path):
        problems.append(document.problem(path, text + _tail(SOCKET_RULE), severity="warning"))
    return problems


def _socket_volumes(document: Document, spec_path: FieldPath) -> Iterator[tuple[FieldPath, str]]:
    for i, volume in enumerate(items(mapping(get(document.data, spec_path)).get("volumes"))):
        host_path = mapping(mapping(volume).get("hostPath")).get("path")
        socket = runtime_socket(host_path) if isinstance(host_path, str) and host_path else None
        if socket is None:
            continue
        runtime, where = socket
        held = "is" if where == host_path else f"holds {where},"
        yield (spec_path + ("volumes", i, "hostPath", "path"),
               f"hostPath volume {shown(mapping(volume).get('name'))} mounts {shown(host_path)}, which {held} "
               f"the socket of {runtime}: it gives the pod control of the host's container runtime (and so of "
               "the host)")
