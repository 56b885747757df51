"""Where the agent runs: a host process, one per Docker daemon, found by a lock file.

`/run/podcompose/` (PODCOMPOSE_RUN_DIR elsewhere) holds, per daemon: `agent-<id>.lock`
(held with flock by the running agent for its whole life: the kernel drops it when
the process dies, however it dies), `agent-<id>.pid`, `agent-<id>.log` and
`agent-<id>.status.json` (what it supervises, written after each pass).
`ensure_running` starts one in a new session (so closing the terminal that ran
`up` does not end it) when the lock is free.
"""
from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .. import codec
from ..podstatus import AgentReport

RUN_DIR_ENV = "PODCOMPOSE_RUN_DIR"
DEFAULT_RUN_DIR = "/run/podcompose"
START_TIMEOUT_SECONDS = 10.0
LOCK_RETRY_SECONDS = 0.02
# glibc gives each thread that allocates an arena of its own; the agent's 30-odd worker and probe threads
# would hold a dozen mostly empty ones (several MiB resident) for nothing
AGENT_ENV = {"MALLOC_ARENA_MAX": "2"}


def run_dir() -> Path:
    return Path(os.environ.get(RUN_DIR_ENV) or DEFAULT_RUN_DIR)


def daemon_id() -> str:
    """Which Docker daemon: one agent each (the default socket is `default`)."""
    host = os.environ.get("DOCKER_HOST", "")
    if host in ("", "unix:///var/run/docker.sock", "unix:///run/docker.sock"):
        return "default"
    return hashlib.sha256(host.encode()).hexdigest()[:12]


@dataclass(frozen=True)
class AgentFiles:
    lock: Path
    pid: Path
    log: Path
    status: Path

    @classmethod
    def current(cls) -> "AgentFiles":
        base = run_dir()
        stem = f"agent-{daemon_id()}"
        return cls(base / f"{stem}.lock", base / f"{stem}.pid", base / f"{stem}.log", base / f"{stem}.status.json")


def _open_lock(files: AgentFiles) -> int:
    files.lock.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    return os.open(files.lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)


def hold_lock(files: AgentFiles) -> int | None:
    """The lock's fd, held by this process for as long as it lives; None when another agent holds it."""
    fd = _open_lock(files)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as error:
        os.close(fd)
        if error.errno in (errno.EAGAIN, errno.EACCES):
            return None
        raise
    files.pid.write_text(f"{os.getpid()}\n")
    return fd


def is_running(files: AgentFiles | None = None) -> bool:
    files = files or AgentFiles.current()
    if not files.lock.exists():
        return False
    fd = _open_lock(files)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def agent_pid(files: AgentFiles | None = None) -> int | None:
    files = files or AgentFiles.current()
    if not is_running(files):
        return None
    try:
        return int(files.pid.read_text().strip())
    except (OSError, ValueError):
        return None


@lru_cache(maxsize=1)
def build_id() -> str:
    """This podcompose's code, as a digest of its files: an agent of another build (an upgrade, an
    edited checkout) could read a newer desired state wrongly, so it is replaced, never trusted."""
    package = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*")):
        if path.suffix in (".py", ".json") and "__pycache__" not in path.parts:
            digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def ensure_running() -> tuple[int | None, bool]:
    """(the agent's pid, whether it was started now). Starts one when none holds the lock, and
    replaces one of another build (its pods keep running meanwhile)."""
    files = AgentFiles.current()
    pid = agent_pid(files)
    if pid is not None and read_status(files).build != build_id():
        stop()
        pid = agent_pid(files)
    if pid is not None:
        return pid, False
    files.lock.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with open(files.log, "ab") as log:
        os.chmod(files.log, 0o600)
        subprocess.Popen([sys.executable, "-m", "podcompose", "agent", "run"], stdin=subprocess.DEVNULL,
                         stdout=log, stderr=log, start_new_session=True, close_fds=True,
                         env=AGENT_ENV | os.environ | {"PYTHONUNBUFFERED": "1"})
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        pid = agent_pid(files)
        if pid is not None and read_status(files).pid == pid:   # up, and has said which build it is
            return pid, True
        time.sleep(0.05)
    from ..errors import PodcomposeError
    raise PodcomposeError(f"the podcompose agent did not start within {START_TIMEOUT_SECONDS:g} s; see {files.log}")


def stop(timeout: float = 10.0) -> int | None:
    """SIGTERM the agent and wait for it to let go of its lock; the pid stopped, or None."""
    files = AgentFiles.current()
    pid = agent_pid(files)
    if pid is None:
        return None
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while is_running(files) and time.monotonic() < deadline:
        time.sleep(0.05)
    if is_running(files):
        os.kill(pid, signal.SIGKILL)
    return pid


def write_status(files: AgentFiles, report: AgentReport) -> None:
    tmp = files.status.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_bytes(codec.dumps(report))
    os.chmod(tmp, 0o600)
    tmp.replace(files.status)


def read_status(files: AgentFiles | None = None) -> AgentReport:
    """The agent's last report, decoded (the one place that reads the status file); empty when there is
    none, or when it was written by a podcompose whose format differs (that agent is replaced)."""
    files = files or AgentFiles.current()
    try:
        return codec.loads(AgentReport, files.status.read_bytes())
    except (OSError, ValueError, TypeError, KeyError):
        return AgentReport()


def await_report(namespace: str, name: str, since: float, timeout: float = 3.0) -> None:
    """Until the agent has reported on the pod since `since` (then `ps` right after `up` shows its READY)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        report = read_status()
        if report.pod(namespace, name) is not None and report.updated >= since:
            return
        time.sleep(0.05)


def process_started_at(pid: int) -> float | None:
    """When the process started (unix seconds), from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = int(fields[19])
        boot = next(float(line.split()[1]) for line in Path("/proc/stat").read_text().splitlines()
                    if line.startswith("btime"))
        return boot + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, StopIteration):
        return None


class PodLock:
    """Who syncs a pod right now: the agent's worker, or `up` bringing the pod up (the kubelet's pod worker).

    flock on `/run/podcompose/pods/<pod>.lock`; the kernel releases it when its holder dies.
    """

    def __init__(self, namespace: str, pod: str) -> None:
        from .. import naming

        self.path = run_dir() / "pods" / f"{naming.pod_prefix(namespace, pod)}.lock"
        self.fd: int | None = None

    def acquire(self, blocking: bool = True, timeout: float = 60.0,
                cancel: threading.Event | None = None) -> bool:
        """Take the lock; with `blocking`, wait for it up to `timeout` seconds or until `cancel` is set."""
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                self.fd = fd
                return True
            except OSError as error:
                if error.errno not in (errno.EAGAIN, errno.EACCES):
                    os.close(fd)
                    raise
            if not blocking or time.monotonic() >= deadline or (cancel is not None and cancel.is_set()):
                os.close(fd)
                return False
            time.sleep(LOCK_RETRY_SECONDS)

    def release(self) -> None:
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None

    def __enter__(self) -> "PodLock":
        from ..errors import PodcomposeError

        if not self.acquire():
            raise PodcomposeError(f"another podcompose is working on this pod ({self.path} is locked)")
        return self

    def __exit__(self, *_: object) -> None:
        self.release()
