"""postStart and preStop hooks, run as the kubelet's lifecycle handlers (pkg/kubelet/lifecycle/handlers.go).

- exec: `docker exec` in the container; exit code 0 is success.
- httpGet: a GET from inside the pod's network namespace (as probes, runtime/netns.py). As in
  the kubelet, any HTTP answer is success, whatever its status: only no answer fails
  (kubernetes/kubernetes#56963); the status is kept in the message.
- sleep: waits; ends early, failed, when `stop` is set (the container is going away).
- tcpSocket: accepted by the API for backward compatibility, never run: it fails.

The caller gives the time allowed: what is left of the grace period for preStop; for postStart
(which Kubernetes bounds by nothing but the container's life) whatever the caller allows.
"""
from __future__ import annotations

import http.client
import socket
import threading
from dataclasses import dataclass
import docker

from ..probes_model import ExecAction, HookHandler, HTTPGetAction, SleepAction, TCPSocketAction
from .exec_probe import run_exec
from .netns import NetnsError, http_get, run_in_netns

USER_AGENT = "kube-lifecycle/1.32"
MAX_MESSAGE_CHARS = 1024          # a hook's output in an event: the start of it is enough


@dataclass(frozen=True)
class HookOutcome:
    ok: bool
    message: str = ""             # failure: the kubelet's event text; success: the hook's (short) output


def _short(text: str) -> str:
    text = text.strip()
    return text if len(text) <= MAX_MESSAGE_CHARS else text[:MAX_MESSAGE_CHARS] + "..."


def _where(container_name: str, pod_name: str) -> str:
    parts = ([f"for Container {container_name!r}"] if container_name else []) + \
            ([f"in Pod {pod_name!r}"] if pod_name else [])
    return (" " + " ".join(parts)) if parts else ""


def _go_list(command: tuple[str, ...]) -> str:
    return "[" + " ".join(command) + "]"     # how the kubelet prints the command (Go's %v of a slice)


def _exec(client: docker.DockerClient, container_id: str, action: ExecAction, timeout: float, where: str) -> HookOutcome:
    run = run_exec(client, container_id, action.command, timeout)
    if run.exit_code == 0 and not run.error:
        return HookOutcome(True, _short(run.output))
    if run.timed_out:
        error = f"command '{' '.join(action.command)}' timed out after {timeout:g}s"
    elif run.error:
        error = run.error
    else:
        error = f"command '{' '.join(action.command)}' exited with {run.exit_code}: "
    return HookOutcome(False, f"Exec lifecycle hook ({_go_list(action.command)}){where} failed - error: {error}, "
                              f"message: {_short(run.output)!r}")


def _http(pause_pid: int | None, action: HTTPGetAction, timeout: float, where: str) -> HookOutcome:
    def get() -> tuple[int, str]:
        return http_get(action, timeout, user_agent=USER_AGENT)

    try:
        # no pause pid: a hostNetwork pod, whose loopback is the host's
        status, _ = get() if pause_pid is None else run_in_netns(pause_pid, get, timeout + 1.0)
    except (socket.timeout, TimeoutError):
        error = f"Get \"{_url(action)}\": context deadline exceeded"
    except (NetnsError, OSError, http.client.HTTPException) as failure:
        error = f"Get \"{_url(action)}\": {failure}"
    else:
        return HookOutcome(True, f"HTTP {status}")
    return HookOutcome(False, f"HTTP lifecycle hook ({action.path}){where} failed - error: {error}")


def _url(action: HTTPGetAction) -> str:
    host = f"[{action.host}]" if ":" in action.host else action.host
    return f"{action.scheme.lower()}://{host}:{action.port}{action.path}"


def _sleep(action: SleepAction, timeout: float, where: str, stop: threading.Event | None) -> HookOutcome:
    interrupted = (stop or threading.Event()).wait(min(action.seconds, timeout))
    if interrupted or action.seconds > timeout:
        return HookOutcome(False, f"Sleep lifecycle hook ({action.seconds}){where} failed - error: "
                                  "container terminated before sleep hook finished")
    return HookOutcome(True)


def run_hook(client: docker.DockerClient, pause_pid: int | None, container_id: str, handler: HookHandler,
             timeout: float, *, container_name: str = "", pod_name: str = "",
             stop: threading.Event | None = None) -> HookOutcome:
    """Run one postStart or preStop handler against a running container, within `timeout` seconds.

    `pause_pid`: the pause process whose network namespace httpGet runs in (None: the host's,
    for hostNetwork pods). `container_name` and `pod_name` (`name_namespace`, as the kubelet's
    format.Pod) only word the failure message. `stop` ends a sleep hook early. Never raises: whatever
    goes wrong is the hook's failure (its event), never the end of `down` or of the pod's sync.
    """
    where = _where(container_name, pod_name)
    try:
        return _run(client, pause_pid, container_id, handler, timeout, where, stop)
    except Exception as error:    # noqa: BLE001 - a hook that cannot run fails; the caller goes on
        return HookOutcome(False, f"Cannot run handler{where}: {type(error).__name__}: {error}")


def _run(client: docker.DockerClient, pause_pid: int | None, container_id: str, handler: HookHandler,
         timeout: float, where: str, stop: threading.Event | None) -> HookOutcome:
    if isinstance(handler, ExecAction):
        return _exec(client, container_id, handler, timeout, where)
    if isinstance(handler, HTTPGetAction):
        return _http(pause_pid, handler, timeout, where)
    if isinstance(handler, SleepAction):
        return _sleep(handler, timeout, where, stop)
    if isinstance(handler, TCPSocketAction):
        return HookOutcome(False, f"Cannot run handler: invalid handler: tcpSocket{{port: {handler.port}}} "
                                  "(a tcpSocket hook is accepted for backward compatibility and never run)")
    return HookOutcome(False, f"Cannot run handler: invalid handler: {handler!r}")
