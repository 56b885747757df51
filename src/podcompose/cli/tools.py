"""`version`, `agent` and shell completion."""
from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from .. import api
from ..errors import PodcomposeError
from .common import runtime
from .ui import UI


def version(args: argparse.Namespace, ui: UI) -> int:
    from .. import __version__

    data: dict[str, Any] = {"podcompose": __version__, "python": sys.version.split()[0]}
    try:
        data["docker"] = api.docker_version(runtime())
    except PodcomposeError:
        data["docker"] = None
    if args.output == "text":
        for key, value in data.items():
            ui.print(f"{key}: {value if value is not None else '(unreachable)'}")
    else:
        ui.data(data, args.output)
    return 0


def agent(args: argparse.Namespace, ui: UI) -> int:
    if args.action == "run":
        return api.run_agent()
    if args.action == "stop":
        pid = api.stop_agent()
        ui.info(f"agent {pid} stopped; pods keep running" if pid else "no agent is running")
        return 0
    state = api.agent_state()
    data = {"running": state.pid is not None, "pid": state.pid, "startedAt": state.started_at, "log": state.log,
            "pods": {key: {"phase": report.status.phase, "status": report.status.kubectl_status,
                           "ready": report.status.ready_column, "restarts": report.status.restarts}
                     for key, report in state.report.pods.items()}}
    if args.output != "text":
        ui.data(data, args.output)
        return 0
    if state.pid is None:
        ui.print("agent: not running (any podcompose command that finds pods starts it; podcompose agent run)")
        return 0
    since = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(state.started_at)) if state.started_at else "?"
    ui.print(f"agent: running, pid {state.pid}, since {since}, log {state.log}")
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
        pods = api.ps(runtime())
    except PodcomposeError:
        return 0
    if args.what == "pods":
        names = sorted({p.name for p in pods})
    else:
        names = sorted({c.container for p in pods if p.name == args.pod for c in p.containers if c.role != "pause"})
    sys.stdout.write("\n".join(names) + ("\n" if names else ""))
    return 0
