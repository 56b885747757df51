"""The threads probes run on: a fixed pool of daemon threads, so a probe still running never holds up the end of
the process (`up -d` returns once the pod is up, whatever its probes are doing; concurrent.futures' own pool is
joined at interpreter exit). Each probe ends by its own deadline (runtime/exec_probe, runtime/netns)."""
from __future__ import annotations

import queue
import threading
from concurrent.futures import Executor, Future
from typing import Any, Callable

_STOP = object()


class DaemonPool(Executor):
    def __init__(self, max_workers: int, thread_name_prefix: str = "probe") -> None:
        self._max_workers = max_workers
        self._prefix = thread_name_prefix
        self._work: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._idle = 0
        self._closed = False

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        future: Future = Future()
        with self._lock:
            if self._closed:
                raise RuntimeError("cannot schedule new probes after shutdown")
            self._work.put((future, fn, args, kwargs))
            if self._idle == 0 and len(self._threads) < self._max_workers:
                thread = threading.Thread(target=self._serve, name=f"{self._prefix}_{len(self._threads)}",
                                          daemon=True)
                self._threads.append(thread)
                thread.start()
            elif self._idle:
                self._idle -= 1             # an idle thread takes it (idle counts only below the limit)
        return future

    def _serve(self) -> None:
        while True:
            item = self._work.get()
            if item is _STOP:
                return
            future, fn, args, kwargs = item
            if not future.set_running_or_notify_cancel():
                with self._lock:
                    self._idle += 1
                continue
            try:
                result, error = fn(*args, **kwargs), None
            except BaseException as failure:   # noqa: BLE001 - kept in the future, as concurrent.futures does
                result, error = None, failure
            with self._lock:
                self._idle += 1                 # idle before the future says done: the next submit finds it
            if error is None:
                future.set_result(result)
            else:
                future.set_exception(error)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            self._closed = True
            threads = list(self._threads)
        if cancel_futures:
            while True:
                try:
                    item = self._work.get_nowait()
                except queue.Empty:
                    break
                if item is not _STOP:
                    item[0].cancel()
        for _ in threads:
            self._work.put(_STOP)
        if wait:
            for thread in threads:
                thread.join()
