"""The command line as a user meets it, against the live daemon (issue #5)."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys

import pytest

from tests.helpers import BUSYBOX, LOOP, ROOT, DockerEvents, interruptible, labelled, run_cli, wait_until
from tests.manifests import container, empty_dir, mount, pod

pytestmark = pytest.mark.docker

ESCAPE = re.compile(r"\x1b\[")


def simple_pod(name: str, command: str = LOOP, restart: str = "Always") -> str:
    return f"""
apiVersion: v1
kind: Pod
metadata: {{name: {name}}}
spec:
  restartPolicy: {restart}
  terminationGracePeriodSeconds: 2
  initContainers:
  - {{name: prepare, image: {BUSYBOX}, command: ["sh", "-c", "echo preparing"]}}
  containers:
  - {{name: main, image: {BUSYBOX}, command: ["sh", "-c", "{command}"]}}
  - {{name: helper, image: {BUSYBOX}, command: ["sh", "-c", "echo helper-says-hi; {LOOP}"]}}
"""


def test_foreground_up_streams_prefixed_logs_and_returns_the_pod_result(pod_name: str, manifest) -> None:
    path = manifest(pod(pod_name, container("job", "echo step one; sleep 0.5; echo step two; exit 5"),
                        container("side", "echo side ran"), grace=None, restartPolicy="Never"))
    result = run_cli("up", "-f", path, timeout=60)
    assert result.code == 5, result.stderr
    assert re.search(r"^job\s+\| step one$", result.stdout, re.M)
    assert re.search(r"^job\s+\| step two$", result.stdout, re.M)
    assert re.search(r"^side\s+\| side ran$", result.stdout, re.M)
    assert not ESCAPE.search(result.stdout + result.stderr)


def test_ctrl_c_brings_a_foreground_pod_down_gracefully(pod_name: str, manifest, tmp_path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    # on SIGTERM each container notes it, takes a second to clean up (inside its 2 s grace), notes that, exits 0
    script = ("trap 'echo got-TERM > /out/$NAME; sleep 1; echo cleaned-up >> /out/$NAME; exit 0' TERM; "
              "echo $NAME-says-hi; while true; do sleep 0.1; done")
    path = manifest(f"""
apiVersion: v1
kind: Pod
metadata: {{name: {pod_name}}}
spec:
  terminationGracePeriodSeconds: 2
  containers:
  - name: main
    image: {BUSYBOX}
    command: ["sh", "-c", "{script}"]
    env: [{{name: NAME, value: main}}]
    volumeMounts: [{{name: out, mountPath: /out}}]
  - name: helper
    image: {BUSYBOX}
    command: ["sh", "-c", "{script}"]
    env: [{{name: NAME, value: helper}}]
    volumeMounts: [{{name: out, mountPath: /out}}]
  volumes:
  - name: out
    hostPath: {{path: {out}}}
""")
    proc = subprocess.Popen([sys.executable, "-m", "podcompose", "up", "-f", path], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=os.environ | {"NO_COLOR": "1"}, preexec_fn=interruptible)
    try:
        seen = []
        for line in proc.stdout:      # the logs stream once `up` is attached
            seen.append(line)
            if sum("-says-hi" in line for line in seen) == 2:
                break
        with DockerEvents(pod_name) as events:
            proc.send_signal(signal.SIGINT)
            out_text, err = proc.communicate(timeout=30)
            events.wait_for(lambda evs: {c for c, _, _ in events.of("destroy")} >= {"POD", "main", "helper"},
                            what="every container to be destroyed")
    finally:
        proc.kill()
    assert sum("-says-hi" in line for line in seen) == 2, err
    assert proc.returncode == 130, err
    assert labelled(pod_name) == ([], [])
    # each container got SIGTERM and the time to finish its clean-up: not a `docker rm -f`
    for name in ("main", "helper"):
        assert (out / name).exists(), f"{name} never got SIGTERM"
        assert (out / name).read_text().split() == ["got-TERM", "cleaned-up"], name
    kills = events.kills()
    for name in ("main", "helper"):
        assert [sig for c, sig, _ in kills if c == name] == [15], f"{name}: not one SIGTERM alone: {kills}"
    exits = {c: a.get("exitCode") for c, a, _ in events.of("die")}
    assert exits.get("main") == "0" and exits.get("helper") == "0", exits


def test_ps_text_and_json(pod_name: str, manifest) -> None:
    path = manifest(simple_pod(pod_name))
    assert run_cli("up", "-d", "-f", path).code == 0
    text = run_cli("ps", "-f", path)
    assert text.code == 0
    lines = text.stdout.splitlines()
    assert lines[0].split() == ["NAMESPACE", "POD", "READY", "STATUS", "CONTAINER", "ROLE", "STATE", "EXIT",
                                "RESTARTS", "IMAGE"]
    assert re.search(rf"default\s+{pod_name}\s+2/2\s+Running\s+POD\s+pause\s+running", text.stdout)
    assert re.search(r"prepare\s+init\s+exited\s+0", text.stdout)
    assert not ESCAPE.search(text.stdout)
    data = json.loads(run_cli("ps", pod_name, "-o", "json").stdout)
    assert [p["name"] for p in data] == [pod_name]
    assert data[0]["phase"] == "Running"
    assert (data[0]["ready"], data[0]["status"], data[0]["supervised"]) == ("2/2", "Running", True)
    assert [(c["name"], c["role"], c["state"]) for c in data[0]["containers"]] == [
        ("POD", "pause", "running"), ("prepare", "init", "exited"), ("main", "app", "running"),
        ("helper", "app", "running")]
    assert [c.get("ready") for c in data[0]["containers"]] == [None, False, True, True]


def test_exec_passes_the_exit_code_and_defaults_to_the_first_app_container(pod_name: str, manifest) -> None:
    # each container writes its own name into its own /tmp; names sort otherwise than the spec order,
    # and an init container and a native sidecar come before the app containers in the spec
    def container_text(name: str, sidecar: bool = False) -> str:
        policy = ", restartPolicy: Always" if sidecar else ""
        return (f"""
  - {{name: {name}, image: {BUSYBOX}{policy},
     command: ["sh", "-c", "echo {name} > /tmp/who; {LOOP}"]}}""")

    path = manifest(f"""
apiVersion: v1
kind: Pod
metadata: {{name: {pod_name}}}
spec:
  terminationGracePeriodSeconds: 1
  initContainers:
  - {{name: aaa-init, image: {BUSYBOX}, command: ["sh", "-c", "echo aaa-init > /tmp/who"]}}{container_text("aab-sidecar", sidecar=True)}
  containers:{container_text("main")}{container_text("helper")}
""")
    result = run_cli("up", "-d", "-f", path)
    assert result.code == 0, result.stderr
    default = run_cli("exec", pod_name, "--", "cat", "/tmp/who")
    assert default.code == 0, default.stderr
    assert default.stdout.strip() == "main"
    for name in ("helper", "aab-sidecar"):
        assert run_cli("exec", pod_name, "-c", name, "--", "cat", "/tmp/who").stdout.strip() == name
    assert run_cli("exec", pod_name, "--", "sh", "-c", "exit 42").code == 42
    assert run_cli("exec", pod_name, "-c", "helper", "--", "sh", "-c", "exit 7").code == 7
    missing = run_cli("exec", pod_name, "-c", "nope", "--", "true")
    assert missing.code == 1 and "has no container 'nope'" in missing.stderr


def test_logs_of_one_container_all_containers_and_follow_ending_with_the_pod(pod_name: str, manifest) -> None:
    path = manifest(simple_pod(pod_name, command="echo main-line-1; sleep 1; echo main-line-2", restart="Never"))
    assert run_cli("up", "-d", "-f", path).code == 0
    followed = run_cli("logs", pod_name, "-c", "main", "-f", timeout=30)
    assert followed.code == 0
    assert followed.stdout.splitlines() == ["main-line-1", "main-line-2"]
    running = run_cli("logs", pod_name)
    assert re.search(r"^helper\s+\| helper-says-hi$", running.stdout, re.M)
    assert re.search(r"^main\s+\| main-line-1$", running.stdout, re.M)
    assert "preparing" not in running.stdout
    everything = run_cli("logs", pod_name, "--all-containers")
    assert re.search(r"^prepare\s+\| preparing$", everything.stdout, re.M)
    tail = run_cli("logs", pod_name, "-c", "main", "--tail", "1")
    assert tail.stdout.splitlines() == ["main-line-2"]


def test_dry_run_prints_the_plan_and_creates_nothing(pod_name: str, manifest) -> None:
    path = manifest(simple_pod(pod_name))
    text = run_cli("up", "--dry-run", "-f", path)
    assert text.code == 0, text.stderr
    assert "pause container" in text.stdout and "init container prepare" in text.stdout
    assert text.stdout.index("init container prepare") < text.stdout.index("container main")
    data = json.loads(run_cli("up", "--dry-run", "-f", path, "-o", "json").stdout)
    actions = [s["action"] for s in data[0]["steps"]]
    assert actions == ["EnsureImage", "EnsureImage", "RunPause", "RunInit", "StartContainer", "StartContainer"]
    main = data[0]["steps"][4]["docker"]
    assert main["entrypoint"] == ["sh", "-c", LOOP] and main["network_mode"] == f"container:{pod_name}_POD"
    assert labelled(pod_name) == ([], [])


def test_describe_lists_containers_and_daemon_events(pod_name: str, manifest) -> None:
    path = manifest(simple_pod(pod_name))
    assert run_cli("up", "-d", "-f", path).code == 0
    data = json.loads(run_cli("describe", pod_name, "-o", "json").stdout)
    assert data["phase"] == "Running"
    reasons = [(e["container"], e["reason"]) for e in data["events"]]
    assert ("prepare", "Died (exit code 0)") in reasons
    assert reasons.index(("prepare", "Started")) < reasons.index(("main", "Started"))
    spec = {s["name"]: s for s in data["spec"]}
    assert spec["main"]["command"] == ["sh", "-c", LOOP]
    assert data["probes"] == {}          # no probe is failing (this pod has none)
    text = run_cli("describe", pod_name).stdout
    assert "main (app): running" in text
    assert f"command: sh -c {LOOP}" in text


def test_namespaces_keep_pods_of_the_same_name_apart(pod_name: str, manifest) -> None:
    path = manifest(simple_pod(pod_name))
    try:
        assert run_cli("up", "-d", "-f", path).code == 0
        assert run_cli("up", "-d", "-f", path, "-n", "other").code == 0
        data = json.loads(run_cli("ps", pod_name, "-o", "json").stdout)
        assert sorted(p["namespace"] for p in data) == ["default", "other"]
        assert run_cli("down", pod_name, "-n", "other").code == 0
        data = json.loads(run_cli("ps", pod_name, "-o", "json").stdout)
        assert [p["namespace"] for p in data] == ["default"]
    finally:
        run_cli("down", pod_name, "-n", "other", "--timeout", "0")


def test_every_verb_has_help_with_an_example() -> None:
    for verb in ("up", "down", "ps", "logs", "exec", "describe", "validate", "config", "version", "completion"):
        result = run_cli(verb, "--help")
        assert result.code == 0 and "example" in result.stdout, verb
    top = run_cli("--help")
    assert "exit codes" in top.stdout and "3  Docker daemon unreachable" in top.stdout


def test_version_json_and_completion_scripts() -> None:
    data = json.loads(run_cli("version", "-o", "json").stdout)
    assert data["podcompose"] and data["docker"]
    bash = run_cli("completion", "bash").stdout
    check = subprocess.run(["bash", "-n"], input=bash, text=True, capture_output=True)
    assert check.returncode == 0 and "__complete pods" in bash


def test_completion_lists_pods_and_containers(pod_name: str, manifest) -> None:
    path = manifest(simple_pod(pod_name))
    assert run_cli("up", "-d", "-f", path).code == 0
    assert pod_name in run_cli("__complete", "pods").stdout.split()
    assert run_cli("__complete", "containers", pod_name).stdout.split() == ["helper", "main", "prepare"]


def test_bad_manifest_is_reported_with_line_and_creates_nothing(pod_name: str, manifest) -> None:
    path = manifest(simple_pod(pod_name).replace("restartPolicy: Always", "restartPolicy: Sometimes"))
    result = run_cli("up", "-d", "-f", path)
    assert result.code == 1
    assert re.search(rf"{re.escape(path)}:6:\d+: spec.restartPolicy: 'Sometimes' is not one of", result.stderr)
    assert "Traceback" not in result.stderr
    assert labelled(pod_name) == ([], [])


def test_live_view_renders_in_a_terminal(pod_name: str, manifest) -> None:
    import pexpect

    path = manifest(simple_pod(pod_name))
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"} | {"TERM": "xterm-256color", "COLUMNS": "100"}
    child = pexpect.spawn(sys.executable, ["-m", "podcompose", "up", "-d", "-f", path], cwd=str(ROOT),
                          env=env, dimensions=(30, 100), encoding="utf-8", timeout=60)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    screen = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", child.before).replace("\r", "")
    assert ESCAPE.search(child.before), "a terminal gets colour and cursor control"
    for name, state in (("POD", "started"), ("prepare", "completed"), ("main", "running"), ("helper", "running")):
        assert re.search(rf"{pod_name}\s+{name}\s+{state}", screen), screen
    assert "Traceback" not in screen and "<rich" not in screen and "\ufffd" not in screen


def test_logs_previous_shows_the_run_before_the_last_restart(pod_name: str, manifest) -> None:
    path = manifest(pod(
        pod_name,
        # a restart is a new container (as a kubelet's): what must survive it lives in an emptyDir
        container("flaky", "if [ -e /state/ran ]; then echo second-run; trap 'exit 0' TERM; "
                           "while true; do sleep 1; done; fi; echo first-run; touch /state/ran; sleep 1; exit 1",
                  volumeMounts=[mount("state", "/state")]),
        restartPolicy="Always", volumes=[empty_dir("state")]))
    assert run_cli("up", "-f", path, "-d").code == 0

    def restarted() -> bool:
        flaky = json.loads(run_cli("ps", pod_name, "-o", "json").stdout)[0]["containers"][1]
        return flaky["restarts"] >= 1 and flaky["state"] == "running" and \
            "second-run" in run_cli("logs", pod_name, "-c", "flaky").stdout
    wait_until(restarted, timeout=30, what="flaky to run a second time", interval=0.3)   # a kubelet backs off 10 s first
    assert run_cli("logs", pod_name, "-c", "flaky").stdout.split() == ["second-run"]   # this attempt's, as kubectl
    previous = run_cli("logs", pod_name, "-c", "flaky", "--previous")
    assert previous.code == 0, previous.stderr
    assert previous.stdout.split() == ["first-run"]


def test_attached_up_follows_a_container_through_restarts(pod_name: str, manifest) -> None:
    path = manifest(pod(
        pod_name,
        container("retry", "n=$(cat /state/n 2>/dev/null || echo 0); n=$((n+1)); echo $n > /state/n; echo attempt $n; "
                           "sleep 0.6; [ $n -ge 3 ]",
                  volumeMounts=[mount("state", "/state")]),
        grace=None, restartPolicy="OnFailure", volumes=[empty_dir("state")]))
    # the kubelet's back-off: the first restart at once, the second after 10 s
    result = run_cli("up", "-f", path, timeout=60)
    attempts = re.findall(r"^retry\s+\| attempt (\d)$", result.stdout, re.M)
    assert attempts == ["1", "2", "3"], result.stdout + result.stderr
    assert result.code == 0


def test_bash_completion_completes_pods_and_containers(pod_name: str, manifest) -> None:
    path = manifest(simple_pod(pod_name))
    assert run_cli("up", "-d", "-f", path).code == 0
    script = run_cli("completion", "bash").stdout
    probe = f"""
podcompose() {{ {sys.executable} -m podcompose "$@"; }}
{script}
COMP_WORDS=(podcompose logs {pod_name[:6]}); COMP_CWORD=2; _podcompose; echo "pods: ${{COMPREPLY[*]}}"
COMP_WORDS=(podcompose exec {pod_name} -c ""); COMP_CWORD=4; _podcompose; echo "containers: ${{COMPREPLY[*]}}"
COMP_WORDS=(podcompose de); COMP_CWORD=1; _podcompose; echo "verbs: ${{COMPREPLY[*]}}"
"""
    out = subprocess.run(["bash", "-c", probe], capture_output=True, text=True, cwd=ROOT).stdout
    lines = dict(line.split(": ", 1) for line in out.splitlines() if ": " in line)
    assert pod_name in lines["pods"].split()
    assert sorted(lines["containers"].split()) == ["helper", "main", "prepare"]
    assert lines["verbs"].split() == ["describe"]
