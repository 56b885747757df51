"""SyncPod: carry out one pod's `PodActions`, in the kubelet's order, against Docker.

Numbered as the kubelet's SyncPod: 1. kill the whole pod when asked (stages in
turn, the pause container last); 2. kill the containers to restart; 3. create a
new sandbox; 4. start the containers, each a new attempt labelled with its
restart count, back-off and sandbox, after moving the previous attempt aside
(`<pod>_<container>.<attempt>`, kept for `logs --previous`). postStart runs right
after a start (a failure kills the container); preStop runs before the stop
signal, within the grace period. A failure to make a container is recorded in
the pod's status and retried later; it never stops the agent.
"""
from __future__ import annotations

import json
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import docker
import docker.errors

from .. import naming
from ..decide import KillContainer, PodActions, PodObservation, StartContainer
from ..errors import PodcomposeError
from ..events import Event, EventSink
from ..podstatus import ContainerStatus, PodReport, PodStatus, Termination
from ..runtime.builder import ContainerConfigError, PodBuilder
from ..runtime.client import container_pid
from ..runtime.hooks import run_hook
from ..runtime import store
from . import labels, process

log = logging.getLogger("podcompose.agent")

PodKey = tuple[str, str]
MIN_GRACE_SECONDS = 2            # the kubelet never stops a container with less (minimumGracePeriodInSeconds)
CREATE_RETRY_SECONDS = 10.0      # a container that cannot be made is tried again after this
EVENTS_KEPT = 200


def events_file(key: PodKey) -> Path:
    namespace, name = key
    return process.run_dir() / "events" / f"{naming.pod_prefix(namespace, name)}.jsonl"


def record_event(key: PodKey, container: str, reason: str, message: str, kind: str = "Normal") -> None:
    """Append to the pod's event log (what describe and an attached `up` show); the newest EVENTS_KEPT."""
    path = events_file(key)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    line = json.dumps({"time": time.time(), "container": container, "reason": reason, "message": message,
                       "type": kind})
    try:
        lines = path.read_text().splitlines()[-(EVENTS_KEPT - 1):]
    except OSError:
        lines = []
    tmp = path.with_suffix(".tmp")
    tmp.write_text("\n".join(lines + [line]) + "\n")
    tmp.replace(path)


def recording(sink: EventSink) -> EventSink:
    """A sink that also keeps the prober's Unhealthy events in the pod's event log (for describe)."""
    def record(event: Event) -> None:
        if event.data.get("reason") == "Unhealthy" and event.data.get("namespace"):
            record_event((event.data["namespace"], event.pod), event.container, "Unhealthy", event.message, "Warning")
        sink(event)
    return record


def read_events(key: PodKey) -> list[dict[str, Any]]:
    try:
        return [json.loads(line) for line in events_file(key).read_text().splitlines() if line.strip()]
    except (OSError, ValueError):
        return []


def forget_events(key: PodKey) -> None:
    try:
        events_file(key).unlink()
    except OSError:
        pass


class PodSyncer:
    def __init__(self, client: docker.DockerClient, key: PodKey, desired: store.Desired | None,
                 prober: Any, emit: EventSink, create_failures: dict[tuple[PodKey, str], tuple[float, str]],
                 unready_configs: set[tuple[PodKey, str]] | None = None) -> None:
        self.client = client
        self.key = key
        self.desired = desired
        self.prober = prober
        self.emit = emit
        self.create_failures = create_failures     # the agent's: (pod, container) -> (retry at, message)
        self.inspected: list[dict[str, Any]] = []
        self.config_errors: set[str] = set()       # containers whose start in this pass failed a config check
        # the agent's: (pod, container) whose last start failed a config check (CreateContainerConfigError)
        self.unready_configs = unready_configs if unready_configs is not None else set()

    # --- what Docker has --------------------------------------------------------------------

    def observe(self) -> PodObservation:
        assert self.desired is not None
        namespace, name = self.key
        summaries = self.client.api.containers(all=True, filters={"label": naming.pod_filter(namespace, name)})
        self.inspected = []
        for summary in summaries:
            try:
                self.inspected.append(self.client.api.inspect_container(summary["Id"]))
            except docker.errors.NotFound:
                continue
        observation = labels.observation_from_inspect(self.desired.pod, self.inspected,
                                                      pod_hash=self.desired.spec_hash or None)
        self.prober.track(self.key, self.desired.pod, observation, self.pause_pid(observation))
        return observation

    def pause_pid(self, observation: PodObservation) -> int | None:
        if observation.sandbox is None or not observation.sandbox.running or self.desired is None \
                or self.desired.pod.host_network:
            return None
        for attrs in self.inspected:
            if attrs.get("Id") == observation.sandbox.container_id:
                pid = (attrs.get("State") or {}).get("Pid")
                return int(pid) if pid else None
        return None

    def _attrs(self, container_id: str) -> dict[str, Any] | None:
        return next((a for a in self.inspected if a.get("Id") == container_id), None)

    # --- doing it ---------------------------------------------------------------------------

    def apply(self, actions: PodActions) -> bool:
        """Do what `actions` asks; whether anything in Docker changed (then the pod is looked at again)."""
        assert self.desired is not None
        changed = False
        if actions.kill_pod is not None:                                       # 1
            self.record("", "Killing", actions.kill_pod.message or actions.kill_pod.reason)
            for stage in actions.kill_pod.stages:
                self._kill_all(stage)
            if actions.kill_pod.sandbox_id:
                self._stop(actions.kill_pod.sandbox_id, MIN_GRACE_SECONDS)
            changed = True
        if actions.kills:                                                     # 2
            self._kill_all(actions.kills)
            changed = True
        sandbox_id = self._current_sandbox()
        if actions.create_sandbox is not None:                                # 3
            if not store.exists(self.client, *self.key):
                return changed
            sandbox_id = self.create_sandbox(actions)
            if sandbox_id is None:
                return changed
            changed = True
        for start in actions.starts:                                          # 4
            if sandbox_id is None or not store.exists(self.client, *self.key):
                break                    # no sandbox yet, or `down` began: make nothing more
            changed = self.start(start, sandbox_id) or changed
        return changed

    def _current_sandbox(self) -> str | None:
        name = naming.container_name(self.key[0], self.key[1], naming.PAUSE_CONTAINER)
        for attrs in self.inspected:
            if attrs.get("Name", "").lstrip("/") == name and (attrs.get("State") or {}).get("Running"):
                return str(attrs["Id"])
        return None

    def builder(self) -> PodBuilder:
        assert self.desired is not None
        return PodBuilder(self.client, self.desired.pod, self.desired.spec_hash, self.desired.pause_image, self.emit)

    def create_sandbox(self, actions: PodActions) -> str | None:
        assert self.desired is not None and actions.create_sandbox is not None
        pod = self.desired.pod
        name = naming.container_name(pod.namespace, pod.name, naming.PAUSE_CONTAINER)
        for attrs in self.inspected:     # the dead sandbox goes (its attempts are moved aside as they restart)
            role = ((attrs.get("Config") or {}).get("Labels") or {}).get(naming.ROLE)
            if attrs.get("Name", "").lstrip("/") == name or role == "pause":
                self._remove(str(attrs["Id"]))
        self.record("", "SandboxChanged", actions.create_sandbox.reason)
        builder = self.builder()
        builder.refill_tmpfs()
        try:
            sandbox_id = builder.run_pause(self.desired.default_host_ip,
                                           labels.sandbox_labels(pod, actions.create_sandbox))
        except PodcomposeError as error:
            self.record("", "FailedCreatePodSandBox", error.message, "Warning")
            return None
        self.inspected = [a for a in self.inspected if a.get("Name", "").lstrip("/") != name]
        return sandbox_id

    def _move_aside(self, container: str) -> None:
        """The previous attempt keeps its log under `<name>.<attempt>`; older ones are removed."""
        namespace, pod = self.key
        current = naming.container_name(namespace, pod, container)
        # with no current attempt (the last try to make one failed), the earlier one is still the previous
        has_current = any(attrs.get("Name", "").lstrip("/") == current for attrs in self.inspected)
        for attrs in self.inspected:
            found = attrs.get("Name", "").lstrip("/")
            labels_ = (attrs.get("Config") or {}).get("Labels") or {}
            if labels_.get(naming.CONTAINER) != container or labels_.get(naming.ROLE) == "pause":
                continue
            if found == current:
                attempt = labels_.get(naming.ATTEMPT) or labels_.get(naming.RESTART_COUNT) or "0"
                try:
                    self.client.api.rename(attrs["Id"], naming.attempt_name(namespace, pod, container, int(attempt)))
                except (docker.errors.APIError, ValueError):
                    self._remove(str(attrs["Id"]))
            elif has_current:
                self._remove(str(attrs["Id"]))   # older than the previous attempt

    def start(self, start: StartContainer, sandbox_id: str) -> bool:
        """A new attempt; whether one was made."""
        assert self.desired is not None
        pod = self.desired.pod
        spec = pod.container(start.container)
        failure = self.create_failures.get((self.key, spec.name))
        if failure is not None and failure[0] > time.time():
            return False
        builder = self.builder()
        try:
            container_id = builder.create_and_start(spec, labels.attempt_labels(pod, spec, start, sandbox_id),
                                                    make_room=lambda: self._move_aside(spec.name))
        except PodcomposeError as error:
            self.create_failures[(self.key, spec.name)] = (time.time() + CREATE_RETRY_SECONDS, error.message)
            if isinstance(error, ContainerConfigError):
                self.config_errors.add(spec.name)
                self.unready_configs.add((self.key, spec.name))
            else:
                self.unready_configs.discard((self.key, spec.name))
            self.record(spec.name, "Failed", error.message, "Warning")
            return False
        self.create_failures.pop((self.key, spec.name), None)
        self.unready_configs.discard((self.key, spec.name))
        reason = "Started" if start.restart_count == 0 else "Restarted"
        self.record(spec.name, reason, start.message or start.reason)
        if spec.lifecycle.post_start is not None:
            outcome = run_hook(self.client, self._pid_of_sandbox(sandbox_id), container_id, spec.lifecycle.post_start,
                               timeout=max(pod.termination_grace_seconds, MIN_GRACE_SECONDS) + 300,
                               container_name=spec.name, pod_name=f"{pod.name}_{pod.namespace}")
            if not outcome.ok:
                self.record(spec.name, "FailedPostStartHook", outcome.message, "Warning")
                self._stop(container_id, pod.termination_grace_seconds)
        return True

    def _pid_of_sandbox(self, sandbox_id: str) -> int | None:
        if self.desired is not None and self.desired.pod.host_network:
            return None
        return container_pid(self.client, sandbox_id)

    def _kill_all(self, kills: tuple[KillContainer, ...]) -> None:
        if len(kills) == 1:
            self.kill(kills[0])
        elif kills:
            with ThreadPoolExecutor(max_workers=min(8, len(kills))) as pool:
                list(pool.map(self.kill, kills))

    def kill(self, kill: KillContainer) -> None:
        """preStop, then the image's stop signal, then SIGKILL after the rest of the grace period."""
        assert self.desired is not None
        pod = self.desired.pod
        attrs = self._attrs(kill.container_id) or {}
        grace = float(max(kill.grace_seconds, 0))
        self.record(kill.container, "Killing", kill.message or kill.reason)
        spec = pod.container(kill.container) if kill.container in {c.name for c in pod.all_containers} else None
        began = time.monotonic()
        if spec is not None and spec.lifecycle.pre_stop is not None and (attrs.get("State") or {}).get("Running"):
            outcome = run_hook(self.client, self._pid_of_sandbox(self._current_sandbox() or ""), kill.container_id,
                               spec.lifecycle.pre_stop, timeout=grace, container_name=spec.name,
                               pod_name=f"{pod.name}_{pod.namespace}")
            if not outcome.ok:
                self.record(kill.container, "FailedPreStopHook", outcome.message, "Warning")
        remaining = max(grace - (time.monotonic() - began), MIN_GRACE_SECONDS)
        self._stop(kill.container_id, int(round(remaining)))

    def _stop(self, container_id: str, timeout: int) -> None:
        try:
            self.client.api.stop(container_id, timeout=timeout)
        except docker.errors.NotFound:
            pass

    def _remove(self, container_id: str) -> None:
        try:
            self.client.api.remove_container(container_id, force=True)
        except docker.errors.NotFound:
            pass

    # --- what users see ---------------------------------------------------------------------

    def record(self, container: str, reason: str, message: str, kind: str = "Normal") -> None:
        record_event(self.key, container, reason, message, kind)
        log.info("%s/%s %s %s: %s", self.key[0], self.key[1], container or "(pod)", reason, message)
        if kind == "Warning":
            self.emit(Event("warning", pod=self.key[1], container=container, message=f"{reason}: {message}",
                            data={"reason": reason}))

    def status_record(self, status: PodStatus, waits: dict[str, float] | None = None) -> PodReport:
        """The pod's status as the agent last saw it (read by ps, describe and `up --wait`)."""
        errors = {name: message for (key, name), (_, message) in self.create_failures.items() if key == self.key}
        status = replace(status, init_statuses=tuple(self._with_create_error(s, errors) for s in status.init_statuses),
                         statuses=tuple(self._with_create_error(s, errors) for s in status.statuses))
        probes = {s.name: {str(kind): text for kind, text in self.prober.last_messages(s.container_id).items()}
                  for s in (*status.init_statuses, *status.statuses) if s.container_id}
        return PodReport(status, errors, probes, dict(waits or {}))

    def _with_create_error(self, status: ContainerStatus, errors: dict[str, str]) -> ContainerStatus:
        """A container whose next attempt could not be made waits with the kubelet's reason for it, and its
        message; a run that ended before is its last termination."""
        if status.name not in errors or status.state == "running":
            return status
        last = status.last_termination
        if status.state == "terminated":
            last = Termination(status.exit_code if status.exit_code is not None else -1, status.reason)
        config = (self.key, status.name) in self.unready_configs
        return replace(status, state="waiting", reason="CreateContainerConfigError" if config else
                       "CreateContainerError", message=errors[status.name], exit_code=None, last_termination=last)
