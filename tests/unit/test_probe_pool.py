"""agent.probe_pool: at most max_workers daemon threads; shutdown never waits for a probe still running."""
from __future__ import annotations

import threading
import time

from podcompose.agent.probe_pool import DaemonPool


def test_work_runs_on_at_most_max_workers_daemon_threads_and_shutdown_does_not_wait() -> None:
    pool = DaemonPool(2)
    release = threading.Event()
    running: list[str] = []

    def hang(name: str) -> str:
        running.append(threading.current_thread().name)
        release.wait(30)
        return name

    futures = [pool.submit(hang, str(i)) for i in range(3)]
    deadline = time.monotonic() + 5
    while len(running) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.1)
    assert len(running) == 2 and not futures[2].running()        # the third waits for a thread
    assert all(t.daemon for t in threading.enumerate() if t.name.startswith("probe_"))
    started = time.monotonic()
    pool.shutdown(wait=False, cancel_futures=True)
    assert time.monotonic() - started < 0.5 and futures[2].cancelled()
    release.set()
    assert [f.result(timeout=5) for f in futures[:2]] == ["0", "1"]


def test_threads_are_reused_and_errors_kept_in_the_future() -> None:
    pool = DaemonPool(4)
    assert [pool.submit(lambda i=i: i * 2).result(timeout=5) for i in range(10)] == [i * 2 for i in range(10)]
    failed = pool.submit(lambda: 1 / 0)
    assert isinstance(failed.exception(timeout=5), ZeroDivisionError)
    assert len(pool._threads) == 1
    pool.shutdown()
