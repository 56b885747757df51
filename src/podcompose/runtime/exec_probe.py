"""exec probes (and exec hooks): a command run in the container with `docker exec`."""
from __future__ import annotations

import threading

import docker
import docker.errors

from ..probe import ProbeOutcome, ProbeResult
from ..probes_model import ExecAction

MAX_OUTPUT_BYTES = 10 * 1024


def exec_check(client: docker.DockerClient, container_id: str, action: ExecAction, timeout: float) -> ProbeOutcome:
    """Exit code 0 succeeds. After `timeout` the probe fails; Docker cannot kill an exec, so
    the command may go on running in the container (the kubelet has the same limit on Docker)."""
    api = client.api
    try:
        exec_id = api.exec_create(container_id, list(action.command), stdout=True, stderr=True)["Id"]
    except docker.errors.APIError as error:
        return ProbeOutcome(ProbeResult.UNKNOWN, f"exec failed: {error.explanation or error}")
    output: dict[str, bytes] = {}

    def run() -> None:
        try:
            output["data"] = api.exec_start(exec_id, stream=False, demux=False) or b""
        except docker.errors.APIError as error:
            output["error"] = str(error.explanation or error).encode()

    thread = threading.Thread(target=run, name=f"exec-probe-{container_id[:12]}", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        return ProbeOutcome(ProbeResult.FAILURE, f"command {list(action.command)!r} timed out after {timeout:g}s")
    if "error" in output:
        return ProbeOutcome(ProbeResult.UNKNOWN, output["error"].decode(errors="replace"))
    text = output.get("data", b"")[:MAX_OUTPUT_BYTES].decode(errors="replace")
    code = api.exec_inspect(exec_id).get("ExitCode")
    if code == 0:
        return ProbeOutcome(ProbeResult.SUCCESS, text)
    return ProbeOutcome(ProbeResult.FAILURE, text or f"command exited with code {code}")
