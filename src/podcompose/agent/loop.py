"""The agent itself: level-triggered reconciliation of every podcompose pod of one daemon.

Woken by Docker's event stream (container and volume events of podcompose
objects), by probe results and by its own timers (back-off ends, probe periods,
deadlines): never by sleep-polling. Each wake-up marks pods dirty; each dirty pod
is synced in its own worker (a kill that waits out a grace period holds up only
its own pod): read what Docker has -> `decide` -> `sync.apply`. All state is in
Docker, so a new agent resumes where a dead one stopped.
"""
from __future__ import annotations

import logging
import queue
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

import docker
import docker.errors
import requests.exceptions

from .. import naming
from ..decide import decide
from ..errors import PodcomposeError
from ..events import Event
from ..podstatus import AgentReport, PodReport
from ..runtime import store
from . import agentlog, process
from .prober import ProbeManager
from .sync import PodKey, PodSyncer, forget_events, record_event, recording
from .watch import WAKING_EVENTS

log = logging.getLogger("podcompose.agent")

SAFETY_RESYNC_SECONDS = 60.0    # the kubelet's syncFrequency: a full pass even when nothing was heard
RECONNECT_SECONDS = (0.5, 1, 2, 5)
POD_WORKERS = 16
MIN_TIMER_SECONDS = 0.2         # the soonest a pod's own timer may come back
LOCK_WAIT_SECONDS = 30.0       # how long a worker waits for `up` to release a pod
MAX_ROUNDS = 20                 # syncs in a row of one pod before it waits a second


class _Wake:
    """What the main loop waits on: dirty pods, a full resync, or a lost event stream."""

    def __init__(self) -> None:
        self.queue: queue.Queue[tuple[str, Any]] = queue.Queue()

    def pod(self, key: PodKey) -> None:
        self.queue.put(("pod", key))

    def all(self) -> None:
        self.queue.put(("all", None))

    def lost(self, error: BaseException) -> None:
        self.queue.put(("lost", error))

    def nudge(self) -> None:
        """Only look at the timers again (a probe ended, a worker set a timer)."""
        self.queue.put(("nudge", None))

    def stop(self) -> None:
        self.queue.put(("stop", None))


class Agent:
    def __init__(self, connect: Callable[[], docker.DockerClient], clock: Callable[[], float] = time.time) -> None:
        self.connect = connect
        self.clock = clock
        self.wake = _Wake()
        self.stopping = threading.Event()
        self.timers: dict[PodKey, float] = {}
        self.statuses: dict[PodKey, PodReport] = {}
        self.workers = ThreadPoolExecutor(max_workers=POD_WORKERS, thread_name_prefix="pod")
        self.running: set[PodKey] = set()
        self.again: set[PodKey] = set()
        self.lock = threading.Lock()
        self.status_lock = threading.Lock()
        self.files = process.AgentFiles.current()
        self.prober: ProbeManager | None = None
        self.create_failures: dict[tuple[PodKey, str], tuple[float, str]] = {}
        self.unready_configs: set[tuple[PodKey, str]] = set()

    # --- life -------------------------------------------------------------------------------

    def stop(self, *_: Any) -> None:
        self.stopping.set()
        self.wake.stop()

    def run(self) -> int:
        lock_fd = process.hold_lock(self.files)
        if lock_fd is None:
            log.info("another agent holds %s: nothing to do", self.files.lock)
            return 0
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        log.info("agent %s started (build %s)", self.files.pid.read_text().strip(), process.build_id())
        self._write_status()
        failures = 0
        while not self.stopping.is_set():
            try:
                client = self.connect()
                failures = 0
                self.serve(client)
            except (PodcomposeError, docker.errors.DockerException, requests.exceptions.RequestException,
                    OSError) as error:
                delay = RECONNECT_SECONDS[min(failures, len(RECONNECT_SECONDS) - 1)]
                failures += 1
                log.warning("lost the Docker daemon (%s); again in %ss", error, delay)
                self.stopping.wait(delay)
        self.workers.shutdown(wait=True, cancel_futures=True)
        log.info("agent stopped")
        return 0

    # --- one connection -----------------------------------------------------------------------

    def serve(self, client: docker.DockerClient) -> None:
        self.prober = ProbeManager.for_docker(client, on_result=self.wake.pod, wake=self.wake.nudge,
                                              sink=recording(self.emit), clock=self.clock)
        stream = client.api.events(decode=True, filters={"label": [f"{naming.MANAGED}=true"],
                                                         "event": list(WAKING_EVENTS)})
        reader = threading.Thread(target=self._read_events, args=(stream,), daemon=True, name="events")
        reader.start()
        try:
            self.wake.all()
            while not self.stopping.is_set():
                timeout = self._timeout()
                try:
                    kind, value = self.wake.queue.get(timeout=timeout)
                except queue.Empty:
                    kind, value = "timer", None
                dirty: set[PodKey] = set()
                full = kind in ("all",) or (kind == "timer" and timeout >= SAFETY_RESYNC_SECONDS)
                while True:
                    if kind == "lost":
                        raise PodcomposeError(f"the event stream ended: {value}")
                    if kind == "stop":
                        return
                    if kind == "pod":
                        dirty.add(value)
                    if kind == "all":
                        full = True
                    # "nudge": only the timers are looked at again
                    try:
                        kind, value = self.wake.queue.get_nowait()
                    except queue.Empty:
                        break
                now = self.clock()
                self.prober.run_due(now)
                due = [(key, at) for key, at in list(self.timers.items()) if at <= now]
                for key, at in due:        # the sync sets the pod's next timer; a past one would spin the loop
                    if self.timers.get(key) == at:
                        self.timers.pop(key, None)
                dirty |= {key for key, _ in due}
                if full:
                    dirty |= self._all_pods(client)
                for key in dirty:
                    self._schedule(client, key)
        finally:
            stream.close()
            if self.prober is not None:
                self.prober.close()

    def _read_events(self, stream: Any) -> None:
        try:
            for event in stream:
                attributes = (event.get("Actor") or {}).get("Attributes") or {}
                pod, namespace = attributes.get(naming.POD), attributes.get(naming.NAMESPACE)
                if pod and namespace:
                    self.wake.pod((namespace, pod))
            self.wake.lost(EOFError("end of stream"))
        except Exception as error:  # noqa: BLE001 - any end of the stream means: reconnect
            if not self.stopping.is_set():
                self.wake.lost(error)

    def _timeout(self) -> float:
        wakes = list(self.timers.values())
        if self.prober is not None and (probe_at := self.prober.next_wake()) is not None:
            wakes.append(probe_at)
        if not wakes:
            return SAFETY_RESYNC_SECONDS
        return max(0.0, min(min(wakes) - self.clock(), SAFETY_RESYNC_SECONDS))

    def _all_pods(self, client: docker.DockerClient) -> set[PodKey]:
        pods = {(d.pod.namespace, d.pod.name) for d in store.load_all(client)}
        for summary in client.api.containers(all=True, filters={"label": naming.pod_filter()}):
            labels = summary.get("Labels") or {}
            pods.add((labels.get(naming.NAMESPACE, ""), labels.get(naming.POD, "")))
        return pods

    # --- per-pod workers ----------------------------------------------------------------------

    def _schedule(self, client: docker.DockerClient, key: PodKey) -> None:
        with self.lock:
            if key in self.running:
                self.again.add(key)
                return
            self.running.add(key)
        self.workers.submit(self._sync, client, key)

    def _sync(self, client: docker.DockerClient, key: PodKey) -> None:
        rounds = 0
        while True:
            acted = False
            lock = process.PodLock(*key)
            # `up` is bringing the pod up: its turn first, then this worker's at once (`ps` right after `up`
            # shows the agent's view); a pod held longer is looked at again later
            try:
                held, retry = lock.acquire(timeout=LOCK_WAIT_SECONDS, cancel=self.stopping), 0.5
            except OSError as error:    # the fd limit, a full disk: the pod is looked at again later
                log.warning("pod %s/%s: cannot take its lock: %s", key[0], key[1], error)
                held, retry = False, 5.0
            if not held:
                self.timers[key] = self.clock() + retry
                with self.lock:
                    self.running.discard(key)
                self.wake.nudge()
                return
            try:
                acted = self.sync_pod(client, key)
            except Exception as error:  # noqa: BLE001 - one pod's trouble never stops the agent
                log.exception("pod %s/%s: %s", key[0], key[1], error)
                self.timers[key] = self.clock() + 5
            finally:
                lock.release()
            rounds += 1
            with self.lock:
                # what was done changes the decision: look again at once, a few rounds at most
                if (acted and rounds < MAX_ROUNDS or key in self.again) and not self.stopping.is_set():
                    self.again.discard(key)
                    continue
                if acted:
                    self.timers[key] = self.clock() + 1
                self.running.discard(key)
            self.wake.nudge()
            return

    def sync_pod(self, client: docker.DockerClient, key: PodKey) -> bool:
        """One pass over one pod; whether anything was done."""
        namespace, name = key
        desired = store.load(client, namespace, name)
        if desired is not None:
            agentlog.register_secrets(desired.pod)
        assert self.prober is not None
        if desired is None:          # never made by `up`, or `down` ended its supervision
            if key in self.statuses:
                self.prober.forget(key)
                forget_events(key)
            self.timers.pop(key, None)
            self.statuses.pop(key, None)
            self.unready_configs.difference_update({u for u in self.unready_configs if u[0] == key})
            self._write_status()
            return False
        if desired.build and desired.build != process.build_id():
            log.warning("pod %s/%s was written by another podcompose build (%s, this agent is %s): left for an "
                        "agent of that build", namespace, name, desired.build, process.build_id())
            return False
        syncer = PodSyncer(client, key, desired, self.prober, self.emit, self.create_failures, self.unready_configs)
        observation = syncer.observe()
        actions = decide(desired.pod, observation, self.prober.results(key), self.clock())
        before = self.statuses.get(key)
        for wait in actions.waits:
            if before is None or before.waits.get(wait.container) != wait.until:
                record_event(key, wait.container, "BackOff", wait.message, "Warning")
        changed = syncer.apply(actions)
        self.statuses[key] = syncer.status_record(actions.status, {w.container: w.until for w in actions.waits})
        retries = [at for (k, _), (at, _) in self.create_failures.items() if k == key]
        wake = [w for w in (actions.wake_at, *retries) if w is not None]
        if wake:
            # a wake-up already past would only bring the same decision again at once
            self.timers[key] = max(min(wake), self.clock() + MIN_TIMER_SECONDS)
        else:
            self.timers.pop(key, None)
        self._write_status()
        return changed

    # --- what users see ---------------------------------------------------------------------

    def emit(self, event: Event) -> None:
        log.info("%s %s/%s %s", event.kind, event.pod, event.container, event.message)

    def _write_status(self) -> None:
        with self.status_lock:
            self._write_status_locked()

    def _write_status_locked(self) -> None:
        try:
            process.write_status(self.files, AgentReport(
                pid=int(self.files.pid.read_text().strip() or 0), updated=self.clock(), build=process.build_id(),
                pods={f"{ns}/{name}": status for (ns, name), status in sorted(self.statuses.items())}))
        except OSError as error:
            log.warning("cannot write %s: %s", self.files.status, error)


def main() -> int:
    from ..runtime.client import connect

    agentlog.configure(process.AgentFiles.current().log)
    # one connection per pod worker and probe thread: docker-py's pool holds 10 by default
    return Agent(lambda: connect(max_pool_size=POD_WORKERS + 16)).run()
