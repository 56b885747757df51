"""One plain function per verb: parse nothing, render through the UI, return an exit code."""
from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from datetime import datetime
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from .. import api
from ..defaults import DEFAULT_NAMESPACE
from ..errors import PodcomposeError, UsageError
from ..model import Pod
from ..state import ObservedPod
from .ui import UI

if TYPE_CHECKING:
    from ..runtime import Runtime


_connections: dict[str, "Runtime"] = {}


def _runtime(revive_agent: bool = False) -> "Runtime":
    """The Docker connection of this command (one per daemon and process: each connect is a ping)."""
    import os

    from ..runtime import Runtime

    daemon = os.environ.get("DOCKER_HOST", "")
    runtime = _connections.get(daemon)
    if runtime is None:
        runtime = _connections[daemon] = Runtime()
    if revive_agent:
        api.revive_agent(runtime)
    return runtime


def _load(args: argparse.Namespace, ui: UI, kept: bool = False) -> api.LoadedPods:
    overrides = api.parse_image_overrides(getattr(args, "images", []) or [])
    loaded = api.load_pods(args.files or [], api.LoadOptions(
        namespace=getattr(args, "namespace", None), image_overrides=overrides,
        unknown_fields=getattr(args, "unknown_fields", "strict"), pod_security=_pod_security(args),
        host_ip=getattr(args, "host_ip", None)), getattr(args, "kustomize", None) or [],
        kept_objects=_kept_documents(ui) if kept else None)
    for problem in loaded.problems:
        (ui.warn if problem.severity == "warning" else ui.info)(str(problem))
    return loaded


def _kept_documents(ui: UI):
    """The ConfigMaps, Secrets and claims kept in Docker, read only when a pod is loaded (`validate` never)."""
    def read() -> list:
        from ..runtime import objects

        try:
            return objects.documents(_runtime().client)
        except (PodcomposeError, OSError) as error:
            ui.warn(f"the objects kept in Docker are not used: {error}")
            return []
    return read


def _keep_objects(args: argparse.Namespace, loaded: api.LoadedPods, ui: UI) -> int:
    """`up -f` of files holding only ConfigMaps, Secrets and claims: kept in Docker, as an API server keeps them."""
    from ..runtime import objects

    namespace = getattr(args, "namespace", None)
    if args.dry_run:
        for document in loaded.objects:
            ui.print(f"{document.kind.lower()}/{document.name} would be kept")
        return 0
    client = _runtime().client
    for document in loaded.objects:
        ns = namespace or (document.data.get("metadata") or {}).get("namespace") or DEFAULT_NAMESPACE
        volume, new = objects.keep(client, document, ns)
        ui.print(f"{document.kind.lower()}/{document.name} {'created' if new else 'configured'} (volume {volume})")
    return 0


def _pod_security(args: argparse.Namespace) -> str | None:
    from ..podsecurity import check_level, level_from_env
    return check_level(getattr(args, "pod_security", None) or level_from_env())


# up -----------------------------------------------------------------------------
def up(args: argparse.Namespace, ui: UI) -> int:
    from .render_plan import plan_as_data, print_plan
    from ..runtime import PodFailed

    loaded = _load(args, ui, kept=True)
    if loaded.objects:
        return _keep_objects(args, loaded, ui)
    options = api.UpOptions(pull=args.pull, replace=args.replace, keep_on_failure=args.keep_on_failure,
                            detach=args.detach)
    if args.pause_image:
        options = replace(options, pause_image=args.pause_image)
    if args.host_ip is not None:
        options = replace(options, host_ip=args.host_ip)
    if args.dry_run:
        observed: dict[tuple[str, str], ObservedPod] = {}
        try:
            observed = api.observed_for(_runtime(), loaded.pods)
        except PodcomposeError:
            ui.warn("Docker is not reachable: planning as if no pod exists")
        plans = api.plan(loaded.pods, observed, options)
        if args.output == "text":
            print_plan(ui, plans)
        else:
            ui.data(plan_as_data(plans), args.output)
        return 0
    from .live import live_up

    runtime = _runtime()
    try:
        with live_up(ui, loaded.pods) as (sink, view):
            try:
                api.up(runtime, loaded.pods, options, sink)
            except PodFailed as failure:
                view.fail(failure.pod, failure.container)
                raise
    except PodFailed as failure:
        ui.error(failure.message)
        if failure.detail:
            ui.info("last lines of its log:\n" + failure.detail)
        return 1
    if args.detach:
        if args.wait:
            api.wait_ready(runtime, loaded.pods, args.wait_timeout)
        for pod in loaded.pods:
            ui.print(f"pod/{pod.name} running" + _ports_text(pod, options.host_ip))
        return 0
    return _attach(runtime, loaded.pods, args, ui)


def _ports_text(pod: Pod, default_host_ip: str) -> str:
    ports = [f"{p.host_ip or default_host_ip or '0.0.0.0'}:{p.host_port}->{p.container_port}/{p.protocol.lower()}"
             for p in pod.ports if p.host_port]
    return f" ({', '.join(ports)})" if ports else ""


def _attach(runtime: "Runtime", pods: list[Pod], args: argparse.Namespace, ui: UI) -> int:
    """Stream the logs of the running containers through their restarts; Ctrl-C brings the pods down."""
    from .attach import attach

    targets = [(p.namespace, p.name) for p in pods]
    ui.info("attached: Ctrl-C stops the pods")
    try:
        return attach(runtime, pods, ui)
    except KeyboardInterrupt:
        ui.info("stopping (Ctrl-C again to force)")
        try:
            api.down(runtime, targets, timeout=args.timeout, sink=ui.event)
        except KeyboardInterrupt:
            api.down(runtime, targets, timeout=0, sink=ui.event)
        return 130


# down ---------------------------------------------------------------------------
def down(args: argparse.Namespace, ui: UI) -> int:
    targets = _targets(args)
    if not targets and not args.files and not getattr(args, "kustomize", None):
        raise UsageError("name the pods to remove, or give -f FILE or -k DIR")
    removed = api.down(_runtime(), targets, timeout=args.timeout, sink=ui.event, volumes=args.volumes)
    removed += _remove_objects(args, ui)
    if not removed:
        ui.info("nothing to remove")
    return 0


def _remove_objects(args: argparse.Namespace, ui: UI) -> list[str]:
    """`down -f` of ConfigMaps, Secrets and claims kept in Docker removes them (as kubectl delete -f)."""
    if not args.files and not getattr(args, "kustomize", None):
        return []
    from ..load import load_files
    from ..runtime import objects

    removed = []
    client = _runtime().client
    for document in load_files(args.files or [], getattr(args, "kustomize", None) or []):
        if document.kind not in (*objects.KEPT_KINDS, objects.CLAIM_KIND) or not document.name:
            continue
        ns = args.namespace or (document.data.get("metadata") or {}).get("namespace") or DEFAULT_NAMESPACE
        if objects.remove(client, document.kind, ns, document.name):
            ui.print(f"{document.kind.lower()}/{document.name} deleted")
            removed.append(document.name)
    return removed


# create -------------------------------------------------------------------------
def create(args: argparse.Namespace, ui: UI) -> int:
    """`create configmap NAME` / `create secret generic NAME` with --from-literal and --from-file."""
    import base64
    import os

    from ..load import Document
    from ..runtime import objects
    from ..semantic import name_error

    names = list(args.names)
    if args.kind == "secret":
        if len(names) != 2 or names[0] != "generic":
            raise UsageError("podcompose create secret generic NAME [--from-literal K=V] [--from-file [K=]PATH]")
        names = names[1:]
    if len(names) != 1:
        raise UsageError("give one NAME")
    name = names[0]
    if name_error(name):
        raise UsageError(name_error(name) or "")
    entries: dict[str, bytes] = {}
    for literal in args.from_literal:
        key, sep, value = literal.partition("=")
        if not sep or not key:
            raise UsageError(f"--from-literal takes KEY=VALUE, got {literal!r}")
        entries[key] = value.encode()
    for spec in args.from_file:
        key, sep, path = spec.partition("=")
        if not sep:
            key, path = "", spec
        paths = [os.path.join(path, f) for f in sorted(os.listdir(path))
                 if os.path.isfile(os.path.join(path, f))] if os.path.isdir(path) else [path]
        for file_path in paths:
            try:
                with open(file_path, "rb") as handle:
                    entries[key or os.path.basename(file_path)] = handle.read()
            except OSError as error:
                raise PodcomposeError(f"--from-file {spec}: {error.strerror or error}") from error
    from .. import rules

    for key in entries:
        if rules.data_key_error(key):
            raise UsageError(rules.data_key_error(key) or "")
    namespace = args.namespace or DEFAULT_NAMESPACE
    kind = "Secret" if args.kind == "secret" else "ConfigMap"
    data: dict[str, object] = {"apiVersion": "v1", "kind": kind, "metadata": {"name": name, "namespace": namespace}}
    if kind == "Secret":
        data["type"] = "Opaque"
        data["data"] = {k: base64.b64encode(v).decode() for k, v in entries.items()}
    else:
        text, binary = {}, {}
        for k, v in entries.items():
            try:
                text[k] = v.decode()
            except UnicodeDecodeError:
                binary[k] = base64.b64encode(v).decode()
        data["data"] = text
        if binary:
            data["binaryData"] = binary
    volume, new = objects.keep(_runtime().client, Document(f"<create {kind.lower()} {name}>", 0, data), namespace)
    ui.print(f"{kind.lower()}/{name} {'created' if new else 'configured'} (volume {volume})")
    return 0


# get ----------------------------------------------------------------------------
_KIND_NAMES = {"configmap": "ConfigMap", "configmaps": "ConfigMap", "cm": "ConfigMap", "secret": "Secret",
               "secrets": "Secret", "persistentvolumeclaim": "PersistentVolumeClaim",
               "persistentvolumeclaims": "PersistentVolumeClaim", "pvc": "PersistentVolumeClaim", "all": ""}


def get(args: argparse.Namespace, ui: UI) -> int:
    from ..runtime import objects

    wanted = set()
    for kind in args.kinds:
        if kind.lower() not in _KIND_NAMES:
            raise UsageError(f"unknown kind {kind!r}: use configmaps, secrets, pvc or all")
        wanted.add(_KIND_NAMES[kind.lower()])
    wanted.discard("")
    found = [k for k in objects.kept(_runtime().client, args.namespace) if not wanted or k.kind in wanted]
    if args.output != "text":
        ui.data([{"kind": k.kind, "namespace": k.namespace, "name": k.name, "volume": k.volume,
                  "keys": list(k.keys), "created": k.created} for k in found], args.output)
        return 0
    if not found:
        ui.info("no ConfigMaps, Secrets or claims are kept")
        return 0
    rows = [("NAMESPACE", "KIND", "NAME", "DATA", "VOLUME")]
    rows += [(k.namespace, k.kind, k.name, "-" if k.kind == objects.CLAIM_KIND else str(len(k.keys)), k.volume)
             for k in found]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        ui.print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
    return 0


def _targets(args: argparse.Namespace) -> list[tuple[str, str]]:
    namespace = args.namespace or DEFAULT_NAMESPACE
    targets = [(namespace, name) for name in getattr(args, "pods", []) or []]
    if args.files or getattr(args, "kustomize", None):
        from ..load import load_files
        from ..model import pod_names
        targets.extend(pod_names(load_files(args.files or [], getattr(args, "kustomize", None) or []),
                                 args.namespace))
    return targets


# ps -----------------------------------------------------------------------------
def ps(args: argparse.Namespace, ui: UI) -> int:
    from .render import pods_as_data, pods_table

    names = [n for _, n in _targets(args)]
    pods = api.ps(_runtime(revive_agent=True), args.namespace, names)
    if args.output != "text":
        ui.data(pods_as_data(pods), args.output)
        return 0
    if not pods:
        ui.info("no pods")
        return 0
    columns, rows = pods_table(pods)
    ui.table(columns, rows)
    return 0


# logs ---------------------------------------------------------------------------
_DURATION = re.compile(r"^(\d+)([smhd])$")


def _since(value: str | None) -> int | None:
    if value is None:
        return None
    match = _DURATION.match(value)
    if match:
        seconds = int(match.group(1)) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)]
        return int(time.time()) - seconds
    try:
        return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp())
    except ValueError:
        raise UsageError(f"--since takes a duration (10s, 5m, 2h) or a time (2026-01-02T15:04:05Z), not {value!r}")


def logs(args: argparse.Namespace, ui: UI) -> int:
    from ..runtime import LogOptions
    from ..runtime.logs import unix_time

    namespace = args.namespace or DEFAULT_NAMESPACE
    name = args.pod
    if name is None:
        if not args.files:
            raise UsageError("name a pod, or give -f FILE")
        name = _targets(args)[0][1]
    runtime = _runtime(revive_agent=True)
    pod = api.find_pod(runtime, namespace, name)
    if args.container:
        containers = [api.pick_container(pod, args.container)]
    elif args.all_containers:
        containers = pod.by_role("init", "sidecar", "app")
    else:
        containers = pod.by_role("sidecar", "app")
    until = None
    if args.previous:
        if len(containers) != 1:
            raise UsageError("--previous needs one container: add -c CONTAINER")
        earlier = pod.previous_attempt(containers[0].container)
        if earlier is not None:     # the agent restarts as a new attempt and keeps the one before
            containers = [earlier]
        elif containers[0].restart_count == 0:
            raise PodcomposeError(f"container {containers[0].container} has not restarted: there is no previous log")
        else:
            # Restarted in place (by Docker, before the agent): between the previous run's exit and
            # this run's start; the log copier stamps lines when it reads them, so a boundary at
            # either end can cut the wrong way.
            restarted = containers[0]
            until = (unix_time(restarted.finished_at) + unix_time(restarted.started_at)) / 2
    options = LogOptions(follow=args.follow, tail=args.tail, since=_since(args.since),
                         until=until, timestamps=args.timestamps)
    prefixed = len(containers) > 1
    width = max(len(c.container) for c in containers) if containers else 0
    for name, line in runtime.logs(containers, options):
        ui.log_line(name, line, prefixed, width)
    return 0


# exec ---------------------------------------------------------------------------
def exec_(args: argparse.Namespace, ui: UI) -> int:
    command = list(args.command)
    if command and command[0] == "--":
        command = command[1:]
    if not command:
        raise UsageError("give the command after --, e.g. podcompose exec web -- sh")
    runtime = _runtime(revive_agent=True)
    pod = api.find_pod(runtime, args.namespace or DEFAULT_NAMESPACE, args.pod)
    container = api.pick_container(pod, args.container)
    if args.tty or args.stdin:
        flags = ("-i" if args.stdin else "") + ("t" if args.tty and args.stdin else "-t" if args.tty else "")
        try:
            return subprocess.call(["docker", "exec", flags, container.docker_name, *command])
        except FileNotFoundError:
            raise PodcomposeError("exec -i/-t needs the docker command-line client on PATH") from None
    stream, result = runtime.exec(container, command)
    for out, err in stream:
        if out:
            sys.stdout.buffer.write(out)
            sys.stdout.flush()
        if err:
            sys.stderr.buffer.write(err)
            sys.stderr.flush()
    return result.exit_code


# validate / config ----------------------------------------------------------------
def validate(args: argparse.Namespace, ui: UI) -> int:
    from ..load import load_files
    from ..validate import validate as check

    documents = load_files(args.files or [], args.kustomize or [])
    problems = check(documents, args.unknown_fields)
    problems = _secure(documents, problems, args)
    for problem in problems:
        ui.print(str(problem))
    errors = sum(1 for p in problems if p.severity == "error")
    if errors:
        ui.info(f"{errors} error{'s' if errors != 1 else ''} in {len(documents)} document(s)")
        return 1
    ui.info(f"{len(documents)} document(s) valid")
    return 0


def _secure(documents: list, problems: list, args: argparse.Namespace) -> list:
    """validate's problems plus the Pod Security ones (as `up` reports them), Secret values taken out."""
    from .. import podsecurity, redact

    redact.register_documents(documents)
    level = _pod_security(args)
    problems = problems + podsecurity.check(documents, level)
    return redact.problems(problems, documents)


def config(args: argparse.Namespace, ui: UI) -> int:
    from .render import pods_config

    loaded = _load(args, ui)
    ui.data(pods_config(loaded.pods), "json" if args.output == "json" else "yaml")
    return 0


# describe / version / completion --------------------------------------------------
def describe(args: argparse.Namespace, ui: UI) -> int:
    from .render import describe_data, print_describe

    runtime = _runtime(revive_agent=True)
    pod = api.find_pod(runtime, args.namespace or DEFAULT_NAMESPACE, args.pod)
    events = api.pod_events(runtime, pod)
    data = describe_data(pod, events)
    if args.output == "text":
        print_describe(ui, data)
    else:
        ui.data(data, args.output)
    return 0


def version(args: argparse.Namespace, ui: UI) -> int:
    from .. import __version__

    data: dict[str, Any] = {"podcompose": __version__, "python": sys.version.split()[0]}
    try:
        data["docker"] = _runtime().client.version().get("Version")
    except PodcomposeError:
        data["docker"] = None
    if args.output == "text":
        for key, value in data.items():
            ui.print(f"{key}: {value if value is not None else '(unreachable)'}")
    else:
        ui.data(data, args.output)
    return 0


def agent(args: argparse.Namespace, ui: UI) -> int:
    from ..agent import process

    if args.action == "run":
        from ..agent.loop import main
        return main()
    if args.action == "stop":
        pid = process.stop()
        ui.info(f"agent {pid} stopped; pods keep running" if pid else "no agent is running")
        return 0
    files = process.AgentFiles.current()
    pid = process.agent_pid(files)
    status = process.read_status(files) if pid else {}
    started = process.process_started_at(pid) if pid else None
    data = {"running": pid is not None, "pid": pid, "startedAt": started, "log": str(files.log),
            "pods": {key: {"phase": value.get("phase"), "status": value.get("kubectl_status"),
                           "ready": value.get("ready_column"), "restarts": value.get("restarts")}
                     for key, value in (status.get("pods") or {}).items()}}
    if args.output != "text":
        ui.data(data, args.output)
        return 0
    if pid is None:
        ui.print("agent: not running (any podcompose command that finds pods starts it; podcompose agent run)")
        return 0
    since = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(started)) if started else "?"
    ui.print(f"agent: running, pid {pid}, since {since}, log {files.log}")
    for key, value in data["pods"].items():
        ui.print(f"  {key}: {value['status']} (ready {value['ready']}, restarts {value['restarts']})")
    return 0


def completion(args: argparse.Namespace, ui: UI) -> int:
    from .completion import script

    sys.stdout.write(script(args.shell))
    return 0


def complete(args: argparse.Namespace, ui: UI) -> int:
    """Names for shell completion; silent when the daemon is away."""
    try:
        pods = api.ps(_runtime())
    except PodcomposeError:
        return 0
    if args.what == "pods":
        names = sorted({p.name for p in pods})
    else:
        names = sorted({c.container for p in pods if p.name == args.pod for c in p.containers if c.role != "pause"})
    sys.stdout.write("\n".join(names) + ("\n" if names else ""))
    return 0


VERBS = {"up": up, "down": down, "ps": ps, "get": get, "create": create, "logs": logs, "exec": exec_, "validate": validate,
         "config": config, "describe": describe, "version": version, "agent": agent, "completion": completion,
         "__complete": complete}
