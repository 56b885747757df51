"""The pod runtime against the live Docker daemon (issue #2): down's signals, grace period and order."""
from __future__ import annotations

import json

import pytest

from tests.helpers import BUSYBOX, DockerEvents, labelled, run_cli, wait_until

pytestmark = pytest.mark.docker


def test_down_sends_sigterm_in_parallel_then_kills_after_the_grace_period(pod_name: str, manifest, tmp_path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    grace = 3
    # each container notes, on one clock (/proc/uptime), when SIGTERM came and, every 0.1 s, that it still runs;
    # the stubborn ones ignore SIGTERM, so a sequential stop would show their SIGTERMs `grace` seconds apart
    note = "read t _ < /proc/uptime; echo $t > /out/$NAME.$1.tmp; mv /out/$NAME.$1.tmp /out/$NAME.$1"
    stubborn = (f"note() {{ {note}; }}; trap 'note term' TERM; "
                "while true; do note alive; sleep 0.1; done")
    polite = f"note() {{ {note}; }}; trap 'note term; exit 0' TERM; while true; do sleep 0.1; done"

    def container(name: str, script: str) -> str:
        return f"""
  - name: {name}
    image: {BUSYBOX}
    command: ["sh", "-c", "{script}"]
    env: [{{name: NAME, value: {name}}}]
    volumeMounts: [{{name: out, mountPath: /out}}]"""

    path = manifest(f"""
apiVersion: v1
kind: Pod
metadata: {{name: {pod_name}}}
spec:
  terminationGracePeriodSeconds: {grace}
  containers:{container("stubborn-a", stubborn)}{container("polite", polite)}{container("stubborn-b", stubborn)}
  volumes:
  - name: out
    hostPath: {{path: {out}}}
""")
    assert run_cli("up", "-d", "-f", path).code == 0
    apps = ("stubborn-a", "polite", "stubborn-b")
    wait_until(lambda: all((out / f"{c}.alive").exists() for c in ("stubborn-a", "stubborn-b")),
               what="the stubborn containers to run")
    with DockerEvents(pod_name) as events:
        result = run_cli("down", pod_name)
        assert result.code == 0, result.stderr
        events.wait_for(lambda evs: {c for c, _, _ in events.of("destroy")} >= {"POD", *apps},
                        what="every container to be destroyed")
    assert labelled(pod_name) == ([], [])

    missing = [c for c in apps if not (out / f"{c}.term").exists()]
    assert not missing, f"these containers never saw SIGTERM: {missing}"
    term = {c: float((out / f"{c}.term").read_text()) for c in apps}
    assert max(term.values()) - min(term.values()) < 1, f"SIGTERM reached the containers one after another: {term}"
    # the stubborn ones ran on through their grace period and no longer
    for c in ("stubborn-a", "stubborn-b"):
        alive_for = float((out / f"{c}.alive").read_text()) - term[c]
        assert grace - 0.6 <= alive_for < grace + 1, (c, alive_for)

    # Docker's own record: SIGTERM to each app at once; SIGKILL only to the stubborn ones, once the grace ran out
    kills = events.kills()
    sigterm = {c: t for c, sig, t in kills if sig == 15 and c in apps}
    sigkill = {c: t for c, sig, t in kills if sig == 9}
    assert set(sigterm) == set(apps), kills
    assert max(sigterm.values()) - min(sigterm.values()) < 1, kills
    assert set(sigkill) == {"stubborn-a", "stubborn-b"}, kills
    for c, killed in sigkill.items():
        assert killed - sigterm[c] >= grace - 0.2, (c, killed - sigterm[c])
    # the pause container goes last, after every app container is gone
    pause_term = [t for c, sig, t in kills if c == "POD"]
    assert pause_term and min(pause_term) >= max(sigkill.values()), kills


def test_native_sidecars_start_in_order_and_stop_after_the_apps_in_reverse(pod_name: str, manifest, tmp_path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    # each container notes when it started and when it got SIGTERM, on one clock: /proc/uptime
    script = ("read now _ < /proc/uptime; echo $now > /out/$NAME.start; "
              "trap 'read now _ < /proc/uptime; echo $now > /out/$NAME.term; sleep 0.3; exit 0' TERM; "
              "while true; do sleep 0.1; done")

    def container(name: str, sidecar: bool) -> str:
        policy = "\n    restartPolicy: Always" if sidecar else ""
        return f"""
  - name: {name}
    image: {BUSYBOX}
    command: ["sh", "-c", "{script}"]
    env: [{{name: NAME, value: {name}}}]
    volumeMounts: [{{name: out, mountPath: /out}}]{policy}"""

    path = manifest(f"""
apiVersion: v1
kind: Pod
metadata: {{name: {pod_name}}}
spec:
  terminationGracePeriodSeconds: 5
  initContainers:{container("first-sidecar", True)}
  - {{name: setup, image: {BUSYBOX}, command: ["true"]}}{container("second-sidecar", True)}
  containers:{container("app", False)}
  volumes:
  - name: out
    hostPath: {{path: {out}}}
""")
    assert run_cli("up", "-d", "-f", path).code == 0
    data = json.loads(run_cli("ps", pod_name, "-o", "json").stdout)[0]
    assert {c["name"]: (c["role"], c["state"]) for c in data["containers"]} == {
        "POD": ("pause", "running"), "first-sidecar": ("sidecar", "running"), "setup": ("init", "exited"),
        "second-sidecar": ("sidecar", "running"), "app": ("app", "running")}
    assert run_cli("down", pod_name).code == 0
    stamp = {f.name: float(f.read_text()) for f in out.iterdir()}
    assert stamp["first-sidecar.start"] <= stamp["second-sidecar.start"] <= stamp["app.start"]
    assert stamp["app.term"] < stamp["second-sidecar.term"] < stamp["first-sidecar.term"]
