"""Readiness as small wait-strategy objects (testcontainers' idea).

Each strategy answers `ready(session)` once; `wait_for` polls until every
strategy is ready or the timeout passes.
"""
from __future__ import annotations

import re
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Protocol

from .errors import PodcomposeError
from .state import ObservedPod


class Session(Protocol):
    """What a strategy asks of the pod it waits on (testing.PodSession is one)."""

    name: str

    def logs(self, container: str | None = None) -> str: ...
    def observed(self) -> ObservedPod: ...


class WaitStrategy(Protocol):
    def ready(self, session: Session) -> bool: ...
    def describe(self) -> str: ...


@dataclass(frozen=True)
class LogMessage:
    """Ready once a container's log matches `pattern` (a regular expression)."""

    container: str
    pattern: str

    def ready(self, session: Session) -> bool:
        return re.search(self.pattern, session.logs(self.container)) is not None

    def describe(self) -> str:
        return f"log of {self.container} matching {self.pattern!r}"


@dataclass(frozen=True)
class HttpGet:
    """Ready once `url` (on 127.0.0.1, a published port) answers with `status`."""

    url: str
    status: int = 200

    def ready(self, session: Session) -> bool:
        try:
            with urllib.request.urlopen(self.url, timeout=2) as response:
                return response.status == self.status
        except urllib.error.HTTPError as error:
            return error.code == self.status
        except OSError:
            return False

    def describe(self) -> str:
        return f"HTTP {self.status} from {self.url}"


@dataclass(frozen=True)
class Running:
    """Ready once the named container (or every app container) is running."""

    container: str | None = None

    def ready(self, session: Session) -> bool:
        pod = session.observed()
        apps = [c for c in pod.containers if c.role == "app" and self.container in (None, c.container)]
        return bool(apps) and all(c.status == "running" for c in apps)

    def describe(self) -> str:
        return f"container {self.container or '(all apps)'} running"


def wait_for(session: Session, strategies: list[WaitStrategy], timeout: float = 60, interval: float = 0.2) -> None:
    deadline = time.monotonic() + timeout
    pending = list(strategies)
    while pending:
        pending = [s for s in pending if not s.ready(session)]
        if not pending:
            return
        if time.monotonic() > deadline:
            raise PodcomposeError(f"pod {session.name} not ready after {timeout:g}s: waiting for "
                                  + "; ".join(s.describe() for s in pending))
        time.sleep(interval)
