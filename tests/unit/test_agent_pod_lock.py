"""agent.loop: a pod whose lock cannot be taken (the fd limit) is looked at again, never dropped for good."""
from __future__ import annotations

import errno
from pathlib import Path
from typing import Any

import pytest

from podcompose.agent import loop, process


def test_a_pod_lock_that_raises_leaves_the_pod_scheduled_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(process.RUN_DIR_ENV, str(tmp_path))

    def too_many_files(self: Any, *args: Any, **kwargs: Any) -> bool:
        raise OSError(errno.EMFILE, "Too many open files")

    monkeypatch.setattr(process.PodLock, "acquire", too_many_files)
    agent = loop.Agent(connect=lambda: None, clock=lambda: 1000.0)  # type: ignore[arg-type, return-value]
    key = ("default", "web")
    agent.running.add(key)
    agent._sync(None, key)  # type: ignore[arg-type]
    assert key not in agent.running               # a later wake schedules it again
    assert agent.timers[key] == 1005.0
    agent.workers.shutdown()
