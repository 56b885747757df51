"""Plain helpers shared by the tests: running the CLI, asking Docker, waiting, cleaning up by label."""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUSYBOX = "podcompose.test/busybox:1"
# busybox sh as PID 1 ignores SIGTERM unless it traps it
LOOP = "trap 'exit 0' TERM; while true; do sleep 1; done"


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url: str, attempts: int = 50) -> str:
    """The body served at `url` (a 127.0.0.1 address), retrying while it does not answer yet."""
    for _ in range(attempts):
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.read().decode().strip()
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"no answer from {url}")


def wait_until(condition, timeout: float = 20, what: str = "the condition", interval: float = 0.1):
    """Poll `condition()` until it returns something truthy (returned) or `timeout` seconds pass (fails)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


class DockerEvents:
    """Docker's own record of what happened to a pod's containers, as `docker events` streams it.

    Use as a context manager around the action (events are collected from the moment it is entered)::

        with DockerEvents(pod) as events:
            run_cli("down", pod)
            events.wait_for(lambda evs: ..., what="...")
        kills = events.kills()   # [(container, signal, seconds)]
    """

    def __init__(self, pod: str) -> None:
        self.pod = pod
        self.events: list[dict] = []
        self._lock = threading.Lock()

    def __enter__(self) -> "DockerEvents":
        # --since now: events the daemon records before this subscription is in place are replayed
        # from its buffer, so nothing between here and the action is missed
        self._proc = subprocess.Popen(
            ["docker", "events", "--since", f"{time.time():.6f}", "--format", "{{json .}}",
             "--filter", "type=container", "--filter", f"label=io.podcompose.pod={self.pod}"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        return self

    def _read(self) -> None:
        for line in self._proc.stdout:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            with self._lock:
                self.events.append(event)

    def __exit__(self, *exc) -> None:
        self._proc.terminate()
        self._proc.wait(timeout=10)
        self._reader.join(timeout=10)

    def snapshot(self) -> list[dict]:
        with self._lock:
            return list(self.events)

    def wait_for(self, predicate, timeout: float = 20, what: str = "docker events") -> list[dict]:
        return wait_until(lambda: predicate(self.snapshot()) and self.snapshot(), timeout, what)

    def of(self, action: str) -> list[tuple[str, dict, float]]:
        """(container name in the pod, attributes, unix time) of each event with this action."""
        return [(e["Actor"]["Attributes"].get("io.podcompose.container", ""), e["Actor"]["Attributes"],
                 e["timeNano"] / 1e9)
                for e in self.snapshot() if e.get("Action") == action]

    def kills(self) -> list[tuple[str, int, float]]:
        """(container, signal number, unix time) of each signal Docker sent, in order."""
        return [(c, int(a.get("signal", 0)), t) for c, a, t in self.of("kill")]


def interruptible() -> None:
    """A `preexec_fn` for a child the test will Ctrl-C: SIGINT back to its default, as in a terminal. A harness
    that started the suite as a background job of a non-interactive shell hands it down ignored (SigIgn), and a
    Python child then never raises KeyboardInterrupt."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)


def docker_available() -> bool:
    return shutil.which("docker") is not None and \
        subprocess.run(["docker", "info"], capture_output=True).returncode == 0


@dataclass
class CLIResult:
    code: int
    stdout: str
    stderr: str


def run_cli(*args: str, input: str | None = None, timeout: float = 120, env: dict[str, str] | None = None) -> CLIResult:
    """podcompose as a user runs it: a subprocess, no terminal."""
    full_env = os.environ | {"NO_COLOR": "1"} | (env or {})
    proc = subprocess.run([sys.executable, "-m", "podcompose", *args], capture_output=True, text=True,
                          input=input, timeout=timeout, env=full_env, cwd=ROOT)
    return CLIResult(proc.returncode, proc.stdout, proc.stderr)


def exec_out(pod: str, container: str, *command: str) -> str:
    """The output of a command run in a pod's container; it must succeed."""
    result = run_cli("exec", pod, "-c", container, "--", *command)
    assert result.code == 0, result.stderr
    return result.stdout.strip()


def docker(*args: str) -> str:
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=True).stdout.strip()


def labelled(pod: str) -> tuple[list[str], list[str]]:
    """(container ids, volume names) that carry the pod's label."""
    containers = docker("ps", "-aq", "--filter", f"label=io.podcompose.pod={pod}").split()
    volumes = docker("volume", "ls", "-q", "--filter", f"label=io.podcompose.pod={pod}").split()
    return containers, volumes


def remove_by_label(label: str, after_desired=lambda: None) -> None:
    """Everything podcompose made that carries `label` (key=value): the desired state first, since with
    it gone the node agent stops supervising (and recreating) the pod; then containers, then volumes."""
    def ids(*args: str) -> list[str]:
        return docker(*args, "--filter", f"label={label}").split()
    desired = ids("volume", "ls", "-q", "--filter", "label=io.podcompose.role=desired")
    if desired:
        subprocess.run(["docker", "volume", "rm", "-f", *desired], capture_output=True)
        after_desired()
    containers = ids("ps", "-aq")
    if containers:
        subprocess.run(["docker", "rm", "-f", *containers], capture_output=True)
    volumes = ids("volume", "ls", "-q")
    if volumes:
        subprocess.run(["docker", "volume", "rm", "-f", *volumes], capture_output=True)


def remove_labelled(pod: str) -> None:
    def wait_for_a_sync_under_way() -> None:
        from podcompose.agent.process import PodLock

        lock = PodLock("default", pod)     # as `down` does: a sync under way finishes first
        lock.acquire(timeout=30)
        lock.release()
    remove_by_label(f"io.podcompose.pod={pod}", wait_for_a_sync_under_way)
    remove_staging(pod)


def remove_staging(pod: str) -> None:
    """The pod's subPath staging mounts, which `down` removes but `docker rm` cannot."""
    from podcompose.runtime import subpath

    root = Path(subpath.STAGING_ROOT)
    if os.geteuid() == 0 and root.is_dir():
        for namespace in os.listdir(root):
            if (root / namespace / pod).exists():
                subpath.clean_pod(namespace, pod)
    from podcompose.runtime import termination

    messages = Path(termination.TERMINATION_ROOT)
    if os.geteuid() == 0 and messages.is_dir():
        for namespace in os.listdir(messages):
            termination.remove_termination_files(namespace, pod)
