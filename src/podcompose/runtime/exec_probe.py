"""exec probes (and exec hooks): a command run in the container with `docker exec`."""
from __future__ import annotations

import threading
from dataclasses import dataclass

import docker
import docker.errors

from ..probe import ProbeOutcome, ProbeResult
from ..probes_model import ExecAction

MAX_OUTPUT_BYTES = 10 * 1024


@dataclass(frozen=True)
class ExecRun:
    """One `docker exec`: its exit code and output, or why there is none."""

    exit_code: int | None = None
    output: str = ""
    timed_out: bool = False
    error: str = ""                  # the exec could not be made or run (the container is not running...)


def run_exec(client: docker.DockerClient, container_id: str, command: tuple[str, ...], timeout: float) -> ExecRun:
    """Run `command` in the container, waiting at most `timeout` seconds. Docker cannot kill an
    exec, so after a timeout the command may go on running (the kubelet has the same limit on Docker)."""
    api = client.api
    try:
        exec_id = api.exec_create(container_id, list(command), stdout=True, stderr=True)["Id"]
    except docker.errors.APIError as error:
        return ExecRun(error=f"exec failed: {error.explanation or error}")
    output: dict[str, bytes] = {}

    def run() -> None:
        try:
            output["data"] = api.exec_start(exec_id, stream=False, demux=False) or b""
        except docker.errors.APIError as error:
            output["error"] = str(error.explanation or error).encode()

    thread = threading.Thread(target=run, name=f"exec-{container_id[:12]}", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        return ExecRun(timed_out=True)
    if "error" in output:
        return ExecRun(error=output["error"].decode(errors="replace"))
    text = output.get("data", b"")[:MAX_OUTPUT_BYTES].decode(errors="replace")
    try:
        code = api.exec_inspect(exec_id).get("ExitCode")
    except docker.errors.APIError as error:
        return ExecRun(output=text, error=f"exec inspect failed: {error.explanation or error}")
    return ExecRun(exit_code=code, output=text)


def exec_check(client: docker.DockerClient, container_id: str, action: ExecAction, timeout: float) -> ProbeOutcome:
    """Exit code 0 succeeds; a timeout fails; an exec that cannot run is UNKNOWN (not counted)."""
    run = run_exec(client, container_id, action.command, timeout)
    if run.timed_out:
        return ProbeOutcome(ProbeResult.FAILURE, f"command {list(action.command)!r} timed out after {timeout:g}s")
    if run.error:
        return ProbeOutcome(ProbeResult.UNKNOWN, run.error)
    if run.exit_code == 0:
        return ProbeOutcome(ProbeResult.SUCCESS, run.output)
    return ProbeOutcome(ProbeResult.FAILURE, run.output or f"command exited with code {run.exit_code}")
