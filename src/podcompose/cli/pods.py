"""`ps`, `logs`, `exec` and `describe`: looking at pods and into their containers."""
from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from datetime import datetime

from .. import api
from ..defaults import DEFAULT_NAMESPACE
from ..errors import PodcomposeError, UsageError
from .common import runtime, targets
from .ui import UI


def ps(args: argparse.Namespace, ui: UI) -> int:
    from .render import pods_as_data, pods_table

    names = [n for _, n in targets(args)]
    connection = runtime(revive_agent=True)
    views = api.pod_views(connection, api.ps(connection, args.namespace, names))
    if args.output != "text":
        ui.data(pods_as_data(views), args.output)
        return 0
    if not views:
        ui.info("no pods")
        return 0
    columns, rows = pods_table(views)
    ui.table(columns, rows)
    return 0


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
    namespace = args.namespace or DEFAULT_NAMESPACE
    name = args.pod
    if name is None:
        if not args.files:
            raise UsageError("name a pod, or give -f FILE")
        name = targets(args)[0][1]
    connection = runtime(revive_agent=True)
    pod = api.find_pod(connection, namespace, name)
    containers, until = api.log_targets(pod, args.container, args.all_containers, args.previous)
    options = api.LogOptions(follow=args.follow, tail=args.tail, since=_since(args.since),
                             until=until, timestamps=args.timestamps)
    prefixed = len(containers) > 1
    width = max(len(c.container) for c in containers) if containers else 0
    for container_name, line in api.log_lines(connection, containers, options):
        ui.log_line(container_name, line, prefixed, width)
    return 0


def exec_(args: argparse.Namespace, ui: UI) -> int:
    command = list(args.command)
    if command and command[0] == "--":
        command = command[1:]
    if not command:
        raise UsageError("give the command after --, e.g. podcompose exec web -- sh")
    connection = runtime(revive_agent=True)
    pod = api.find_pod(connection, args.namespace or DEFAULT_NAMESPACE, args.pod)
    container = api.pick_container(pod, args.container)
    if args.tty or args.stdin:
        flags = ("-i" if args.stdin else "") + ("t" if args.tty and args.stdin else "-t" if args.tty else "")
        try:
            return subprocess.call(["docker", "exec", flags, container.docker_name, *command])
        except FileNotFoundError:
            raise PodcomposeError("exec -i/-t needs the docker command-line client on PATH") from None
    stream, result = api.exec_in(connection, container, command)
    for out, err in stream:
        if out:
            sys.stdout.buffer.write(out)
            sys.stdout.flush()
        if err:
            sys.stderr.buffer.write(err)
            sys.stderr.flush()
    return result.exit_code


def describe(args: argparse.Namespace, ui: UI) -> int:
    from .render import describe_data, print_describe

    connection = runtime(revive_agent=True)
    view = api.pod_view(connection, args.namespace or DEFAULT_NAMESPACE, args.pod)
    data = describe_data(view, api.pod_events(connection, view.observed))
    if args.output == "text":
        print_describe(ui, data)
    else:
        ui.data(data, args.output)
    return 0
