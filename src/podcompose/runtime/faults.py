"""A fault-injection hook between Docker API calls, for the fault benchmarks (benchmarks/bench_faults.py).

Read once per process, when it first connects to Docker (runtime/client.py), and then removed from the
environment, so a process this one starts (the agent `up` starts) is not faulted with it:

- `PODCOMPOSE_FAULT_AFTER_CALLS=N`: the process kills itself right after the response of its Nth Docker API
  call (counted over every client and thread of the process; the version handshake docker-py makes while
  the client is built is not counted). The daemon has done call N; the process never learns its result.
- `PODCOMPOSE_FAULT_SIGNAL=NAME`: the signal it sends itself (default SIGKILL: no handler, no cleanup).
- `PODCOMPOSE_FAULT_TRACE=FILE`: append one line per call to FILE, `N METHOD PATH STATUS` (counting mode:
  how many calls a command makes, and which call N is).

With none of them set, nothing is installed: no call pays for the hook.
"""
from __future__ import annotations

import os
import signal
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests

AFTER_CALLS_ENV = "PODCOMPOSE_FAULT_AFTER_CALLS"
SIGNAL_ENV = "PODCOMPOSE_FAULT_SIGNAL"
TRACE_ENV = "PODCOMPOSE_FAULT_TRACE"


@dataclass(frozen=True)
class FaultPlan:
    after_calls: int | None     # kill after this call; None: never
    signal_number: int
    trace: str | None           # the trace file, or None


class _CallCounter:
    """Counts this process's Docker calls and acts on each as the plan says (shared by every client)."""

    def __init__(self, plan: FaultPlan) -> None:
        self.plan = plan
        self.calls = 0
        self.lock = threading.Lock()

    def __call__(self, response: requests.Response, *_: Any, **__: Any) -> requests.Response:
        with self.lock:
            self.calls += 1
            number = self.calls
            if self.plan.trace is not None:
                self._trace(number, response)
            if self.plan.after_calls is not None and number >= self.plan.after_calls:
                os.kill(os.getpid(), self.plan.signal_number)
        return response

    def _trace(self, number: int, response: requests.Response) -> None:
        request = response.request
        path = urlsplit(request.url or "").path
        line = f"{number} {request.method} {path} {response.status_code}\n"
        fd = os.open(self.plan.trace, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o600)
        try:
            os.write(fd, line.encode())
        finally:
            os.close(fd)


_counter: _CallCounter | None = None
_read = False
_read_lock = threading.Lock()


def plan_from_environment(environ: dict[str, str] | None = None) -> FaultPlan | None:
    """The plan the variables give (removing them from `environ`, os.environ by default); None when unset."""
    environ = os.environ if environ is None else environ   # type: ignore[assignment]
    after = environ.pop(AFTER_CALLS_ENV, None)
    signal_name = environ.pop(SIGNAL_ENV, None)
    trace = environ.pop(TRACE_ENV, None)
    if not after and not trace:
        return None
    after_calls = int(after) if after else None
    if after_calls is not None and after_calls < 1:
        raise ValueError(f"{AFTER_CALLS_ENV} must be a positive call number, not {after!r}")
    name = (signal_name or "SIGKILL").upper()
    number = getattr(signal, name if name.startswith("SIG") else f"SIG{name}", None)
    if not isinstance(number, signal.Signals):
        raise ValueError(f"{SIGNAL_ENV} must name a signal (KILL, TERM, ...), not {signal_name!r}")
    return FaultPlan(after_calls, int(number), trace or None)


def install(session: requests.Session) -> bool:
    """Hook this process's fault plan into a Docker client's session (docker.APIClient is one); whether any is set."""
    global _counter, _read
    if not _read:
        with _read_lock:
            if not _read:
                plan = plan_from_environment()
                _counter = _CallCounter(plan) if plan is not None else None
                _read = True
    if _counter is None:
        return False
    session.hooks["response"].append(_counter)
    return True


def reset() -> None:
    """Forget the plan read (a test's next install reads the environment again)."""
    global _counter, _read
    with _read_lock:
        _counter, _read = None, False
