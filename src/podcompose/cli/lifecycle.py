"""`up` and `down`: pods brought up (detached, or attached to their logs) and removed."""
from __future__ import annotations

import argparse
from dataclasses import replace

from .. import api
from ..errors import PodcomposeError, UsageError
from ..events import Event, EventSink
from ..model import Pod
from ..state import ObservedPod
from .common import load, runtime, targets
from .ui import UI


def up(args: argparse.Namespace, ui: UI) -> int:
    from .render_plan import plan_as_data, print_plan

    loaded = load(args, ui, kept=True)
    if loaded.objects:
        return _keep_objects(args, loaded, ui)
    # with --wait, waiting is wait_ready's (bounded by --wait-timeout): up hands the pod over at once
    options = api.UpOptions(pull=args.pull, replace=args.replace, keep_on_failure=args.keep_on_failure,
                            detach=args.detach, probe_wait=0.0 if args.detach and args.wait else None)
    if args.pause_image:
        options = replace(options, pause_image=args.pause_image)
    if args.host_ip is not None:
        options = replace(options, host_ip=args.host_ip)
    if args.dry_run:
        observed: dict[tuple[str, str], ObservedPod] = {}
        try:
            observed = api.observed_for(runtime(), loaded.pods)
        except PodcomposeError:
            ui.warn("Docker is not reachable: planning as if no pod exists")
        plans = api.plan(loaded.pods, observed, options)
        if args.output == "text":
            print_plan(ui, plans)
        else:
            ui.data(plan_as_data(plans), args.output)
        return 0
    from .live import live_up

    connection = runtime()
    waiting: dict[str, list[str]] = {}

    def noting(sink: EventSink) -> EventSink:
        def note(event: Event) -> None:
            if event.kind == "waiting":
                waiting.setdefault(event.pod, []).append(f"{event.container} ({event.message})")
            sink(event)
        return note

    try:
        with live_up(ui, loaded.pods) as (sink, view):
            try:
                api.up(connection, loaded.pods, options, noting(sink))
            except api.PodFailed as failure:
                view.fail(failure.pod, failure.container)
                raise
    except api.PodFailed as failure:
        ui.error(failure.message)
        if failure.detail:
            ui.info("last lines of its log:\n" + failure.detail)
        return 1
    if args.detach:
        if args.wait:
            api.wait_ready(connection, loaded.pods, args.wait_timeout)
        for pod in loaded.pods:
            ui.print(f"pod/{pod.name} running" + _ports_text(pod, options.host_ip))
            if pod.name in waiting and not args.wait:
                ui.info(f"{pod.name}: the agent carries on; still waiting: {', '.join(waiting[pod.name])} "
                        f"(podcompose ps {pod.name}; up --wait waits for it)")
        return 0
    return _attach(connection, loaded.pods, args, ui)


def _keep_objects(args: argparse.Namespace, loaded: api.LoadedPods, ui: UI) -> int:
    """`up -f` of files holding only ConfigMaps, Secrets and claims: kept in Docker, as an API server keeps them."""
    if args.dry_run:
        for document in loaded.objects:
            ui.print(f"{document.kind.lower()}/{document.name} would be kept")
        return 0
    for kind, name, volume, new in api.keep_objects(runtime(), loaded.objects, getattr(args, "namespace", None)):
        ui.print(f"{kind.lower()}/{name} {'created' if new else 'configured'} (volume {volume})")
    return 0


def _ports_text(pod: Pod, default_host_ip: str) -> str:
    ports = [f"{p.host_ip or default_host_ip or '0.0.0.0'}:{p.host_port}->{p.container_port}/{p.protocol.lower()}"
             for p in pod.ports if p.host_port]
    return f" ({', '.join(ports)})" if ports else ""


def _attach(connection: "api.Runtime", pods: list[Pod], args: argparse.Namespace, ui: UI) -> int:
    """Stream the logs of the running containers through their restarts; Ctrl-C brings the pods down."""
    from .attach import attach

    pairs = [(p.namespace, p.name) for p in pods]
    ui.info("attached: Ctrl-C stops the pods")
    try:
        return attach(connection, pods, ui)
    except KeyboardInterrupt:
        ui.info("stopping (Ctrl-C again to force)")
        try:
            api.down(connection, pairs, timeout=args.timeout, sink=ui.event)
        except KeyboardInterrupt:
            api.down(connection, pairs, timeout=0, sink=ui.event)
        return 130


def down(args: argparse.Namespace, ui: UI) -> int:
    pairs = targets(args)
    if not pairs and not args.files and not getattr(args, "kustomize", None):
        raise UsageError("name the pods to remove, or give -f FILE or -k DIR")
    removed = api.down(runtime(), pairs, timeout=args.timeout, sink=ui.event, volumes=args.volumes)
    removed += _remove_objects(args, ui)
    if not removed:
        ui.info("nothing to remove")
    return 0


def _remove_objects(args: argparse.Namespace, ui: UI) -> list[str]:
    """`down -f` of ConfigMaps, Secrets and claims kept in Docker removes them (as kubectl delete -f)."""
    if not args.files and not getattr(args, "kustomize", None):
        return []
    from ..load import load_files

    documents = load_files(args.files or [], getattr(args, "kustomize", None) or [])
    removed = api.remove_objects(runtime(), documents, args.namespace)
    for kind, name in removed:
        ui.print(f"{kind.lower()}/{name} deleted")
    return [name for _, name in removed]
