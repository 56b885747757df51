"""Faults: SIGKILL of `up -d`, `down` and the agent after each of their Docker calls; one command converges.

Run (needs a Docker daemon and the kit images):
    python benchmarks/bench_faults.py [--commands up,down,agent-up,agent-restart] [--steps all | 1,5,9] [--stride 1]
The fault is the hook in src/podcompose/runtime/faults.py: PODCOMPOSE_FAULT_AFTER_CALLS=N makes the process
SIGKILL itself right after the response of its Nth Docker API call. First each command is run once with
PODCOMPOSE_FAULT_TRACE (counting mode) to learn how many calls it makes and which call each N is; then, for
each N (every --stride'th, or the --steps given), from a fresh start state:
- `up`: the target pod (pause + two apps) absent; `up -d` killed after call N.
- `down`: the target pod running; `down` killed after call N.
- `agent-up`: the target pod absent, an agent started with the hook (its calls counted from its start), then
  `up -d`: the agent is killed after its call N (while taking the new pod over, when N falls there).
- `agent-restart`: the target pod running, an agent started with the hook, then one app container killed
  with `docker kill`: the agent is killed after its call N (mid-sync, while restarting that container,
  when N falls there); the pod's other containers (pause and the healthy app) must keep their ids and start
  times.
Each is then checked: `podcompose ps -o json` answers (exit 0); one `up -d` (or `down`) converges (the
pod runs exactly its three containers, all running, ready 2/2 in ps; or nothing of it is left); a second,
untouched pod keeps its container ids and start times; and after a final `down` nothing of the target
pod is left. Exit 1 when any N fails; a JSON record per run in benchmarks/records/ with a line per N.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.kit.images import ensure_images  # noqa: E402
from installed import compile_package  # noqa: E402
from host_figures import LOOP, agent_pid, podcompose, pods_json, write_record  # noqa: E402

TARGET, BYSTANDER = "fault-pod", "fault-bystander"
CONVERGE_SECONDS = 30.0


def manifest(busybox: str, name: str, apps: tuple[str, ...]) -> str:
    containers = "\n".join(f'  - {{name: {app}, image: "{busybox}", command: ["sh", "-c", "{LOOP}"]}}'
                           for app in apps)
    return f"""apiVersion: v1
kind: Pod
metadata: {{name: {name}}}
spec:
  terminationGracePeriodSeconds: 1
  containers:
{containers}
"""


class Daemon:
    """What the checks read from Docker directly (not through podcompose)."""

    def __init__(self) -> None:
        from podcompose.runtime.client import connect

        self.client = connect()

    def containers(self, pod: str) -> list[dict[str, Any]]:
        from podcompose import naming

        found = self.client.api.containers(all=True, filters={"label": naming.pod_filter(pod=pod)})
        named = self.client.api.containers(all=True, filters={"name": f"^/{pod}_"})
        return list({c["Id"]: c for c in found + named}.values())

    def volumes(self, pod: str) -> list[str]:
        from podcompose import naming

        labelled = self.client.api.volumes(filters={"label": naming.pod_filter(pod=pod)}).get("Volumes") or []
        every = self.client.api.volumes().get("Volumes") or []
        return sorted({v["Name"] for v in labelled} | {v["Name"] for v in every if v["Name"].startswith(pod + "_")})

    def fingerprint(self, pod: str) -> dict[str, str]:
        """Each container's name -> id and start time (what a restart or a re-create changes)."""
        found = {}
        for container in self.containers(pod):
            state = self.client.api.inspect_container(container["Id"])
            found[state["Name"].lstrip("/")] = f"{state['Id'][:12]} {state['State'].get('StartedAt')}"
        return found


def _traced(command: Callable[[dict[str, str]], Any], trace: Path) -> list[str]:
    trace.unlink(missing_ok=True)
    command(os.environ | {"PODCOMPOSE_FAULT_TRACE": str(trace)})
    return trace.read_text().splitlines() if trace.exists() else []


def _faulted(number: int) -> dict[str, str]:
    return os.environ | {"PODCOMPOSE_FAULT_AFTER_CALLS": str(number)}


def shown_pods() -> dict[str, dict[str, Any]] | None:
    """ps -o json's pods by name; None when ps fails."""
    try:
        return {pod["name"]: pod for pod in pods_json()}
    except subprocess.CalledProcessError:
        return None


def converged_up(daemon: Daemon, apps: tuple[str, ...]) -> str | None:
    """None once the target runs exactly its containers, all running, ready in ps; else what is wrong."""
    wanted = {f"{TARGET}_POD"} | {f"{TARGET}_{app}" for app in apps}
    deadline = time.monotonic() + CONVERGE_SECONDS
    problem = "not checked"
    while time.monotonic() < deadline:
        containers = daemon.containers(TARGET)
        every = {c["Names"][0].lstrip("/"): c["State"] for c in containers}
        # an earlier attempt of a restarted container (`<name>.<attempt>`, exited) is kept for logs --previous
        names = {name: state for name, state in every.items()
                 if not (name.rpartition(".")[0] in wanted and name.rpartition(".")[2].isdigit()
                         and state != "running")}
        pods = shown_pods()
        shown = None if pods is None else pods.get(TARGET)
        if pods is None:
            problem = "ps failed"
        elif set(names) != wanted:
            problem = f"containers {sorted(names)}"
        elif any(state != "running" for state in names.values()):
            problem = f"states {names}"
        elif shown is None or shown.get("ready") != f"{len(apps)}/{len(apps)}":
            problem = f"ps shows {None if shown is None else (shown.get('ready'), shown.get('status'))}"
        else:
            return None
        time.sleep(0.5)
    return problem


def converged_down(daemon: Daemon) -> str | None:
    deadline = time.monotonic() + CONVERGE_SECONDS
    problem = "not checked"
    while time.monotonic() < deadline:
        containers = [c["Names"][0] for c in daemon.containers(TARGET)]
        volumes = daemon.volumes(TARGET)
        pods = shown_pods()
        shown = pods is None or TARGET in pods
        if not containers and not volumes and not shown:
            return None
        problem = f"left: containers {containers}, volumes {volumes}, in ps {shown}"
        time.sleep(0.5)
    return problem


def start_agent(env: dict[str, str], log: Path) -> subprocess.Popen:
    """An agent of our own (as process.ensure_running starts one), with the fault hook's variables."""
    from podcompose.agent import process

    process.stop()
    with open(log, "ab") as out:
        agent = subprocess.Popen([sys.executable, "-m", "podcompose", "agent", "run"], stdin=subprocess.DEVNULL,
                                 stdout=out, stderr=out, start_new_session=True,
                                 env=process.AGENT_ENV | env | {"PYTHONUNBUFFERED": "1"})
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and agent.poll() is None and agent_pid() != agent.pid:
        time.sleep(0.05)
    return agent


class Faults:
    def __init__(self, target: str, apps: tuple[str, ...], workdir: Path) -> None:
        self.target, self.apps, self.workdir = target, apps, workdir
        self.daemon = Daemon()

    def up(self, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return podcompose("up", "-d", "-f", self.target, env=env, check=False)

    def down(self, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return podcompose("down", "-f", self.target, env=env, check=False)

    def count(self, command: str) -> list[str]:
        """The Docker calls the command makes from its start state (counting mode)."""
        trace = self.workdir / f"{command}.calls"
        if command == "up":
            self.down()
            calls = _traced(self.up, trace)
        elif command == "down":
            self.up()
            converged_up(self.daemon, self.apps)
            calls = _traced(self.down, trace)
        else:
            if command == "agent-up":
                self.down()
            else:
                self.up()
                converged_up(self.daemon, self.apps)
            agent = start_agent(os.environ | {"PODCOMPOSE_FAULT_TRACE": str(trace)}, self.workdir / "agent.log")
            if command == "agent-up":
                self.up()
            else:
                self.daemon.client.api.kill(f"{TARGET}_a")
            converged_up(self.daemon, self.apps)
            calls = trace.read_text().splitlines()
            from podcompose.agent import process

            process.stop()
            agent.wait(timeout=15)
        self.down()
        return calls

    def one(self, command: str, number: int, bystander: dict[str, str]) -> dict[str, Any]:
        """Kill `command` after call `number`, then check that ps answers and one command converges."""
        if command in ("down", "agent-restart"):
            self.up()
            converged_up(self.daemon, self.apps)
        else:
            self.down()
        healthy = self.daemon.fingerprint(TARGET) if command == "agent-restart" else {}
        if command.startswith("agent"):
            agent = start_agent(_faulted(number), self.workdir / "agent.log")
            if command == "agent-up":
                killed = self.up()
            else:                                   # a container dies: the agent restarts it, and is killed
                self.daemon.client.api.kill(f"{TARGET}_a")
                killed = subprocess.CompletedProcess([], 0)
            try:
                returncode: int | None = agent.wait(timeout=CONVERGE_SECONDS)
            except subprocess.TimeoutExpired:
                returncode = None                      # it made fewer calls than N meanwhile
        else:
            killed = self.up(_faulted(number)) if command == "up" else self.down(_faulted(number))
            returncode = killed.returncode
        result: dict[str, Any] = {"n": number, "killed": returncode == -9, "exit": returncode}
        if command == "agent-up":
            result["up_exit"] = killed.returncode
        shown = podcompose("ps", "-o", "json", check=False)
        result["ps_exit"] = shown.returncode
        again = self.down() if command == "down" else self.up()
        result["again_exit"] = again.returncode
        result["converged"] = (converged_down(self.daemon) if command == "down"
                               else converged_up(self.daemon, self.apps)) or "yes"
        result["bystander_untouched"] = self.daemon.fingerprint(BYSTANDER) == bystander
        if command == "agent-restart":             # only the container that died was restarted
            after = self.daemon.fingerprint(TARGET)
            result["healthy_untouched"] = all(after.get(name) == healthy[name]
                                              for name in (f"{TARGET}_POD", f"{TARGET}_b"))
        final = self.down()
        result["final_down_exit"] = final.returncode
        result["left_after_down"] = converged_down(self.daemon) or "nothing"
        result["ok"] = (shown.returncode == 0 and again.returncode == 0 and result["converged"] == "yes"
                        and result["bystander_untouched"] and result.get("healthy_untouched", True)
                        and final.returncode == 0 and result["left_after_down"] == "nothing")
        return result


def steps(total: int, given: str, stride: int) -> list[int]:
    if given != "all":
        return [int(n) for n in given.split(",") if int(n) <= total]
    return list(range(1, total + 1, stride))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--commands", default="up,down,agent-up,agent-restart")
    parser.add_argument("--steps", default="all", help="`all`, or the call numbers to kill after (1,5,9)")
    parser.add_argument("--stride", type=int, default=1, help="with --steps all: every Kth call")
    options = parser.parse_args()
    compile_package()
    images = ensure_images("busybox", "pause")
    os.environ["PODCOMPOSE_PAUSE_IMAGE"] = images["pause"]
    apps = ("a", "b")
    report: dict[str, Any] = {"commands": {}}
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        target, bystander = workdir / "target.yaml", workdir / "bystander.yaml"
        target.write_text(manifest(images["busybox"], TARGET, apps))
        bystander.write_text(manifest(images["busybox"], BYSTANDER, ("app",)))
        podcompose("up", "-d", "-f", str(bystander))
        faults = Faults(str(target), apps, workdir)
        try:
            time.sleep(2)
            untouched = faults.daemon.fingerprint(BYSTANDER)
            for command in options.commands.split(","):
                calls = faults.count(command)
                results = []
                for number in steps(len(calls), options.steps, options.stride):
                    result = faults.one(command, number, untouched) | {"call": calls[number - 1]}
                    failed += not result["ok"]
                    print(f"{command} killed after call {number}/{len(calls)} ({result['call']}): "
                          f"{'ok' if result['ok'] else 'FAILED ' + str(result)}", flush=True)
                    results.append(result)
                report["commands"][command] = {"calls": len(calls), "trace": calls, "results": results}
        finally:
            faults.down()
            podcompose("down", "-f", str(bystander), check=False)
    report |= {"failed": failed, "ok": not failed}
    tried = sum(len(c["results"]) for c in report["commands"].values())
    print(f"{tried} faults injected, {failed} failed" + "".join(
        f"; {name}: {c['calls']} calls" for name, c in report["commands"].items()))
    print(f"record: {write_record('faults', report)}")
    return 0 if not failed else 1


if __name__ == "__main__":
    sys.exit(main())
