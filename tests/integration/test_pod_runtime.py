"""The pod runtime against the live Docker daemon (issue #2)."""
from __future__ import annotations

import json
import re
import subprocess
from typing import Iterator

import pytest

from podcompose.runtime.logs import unix_time

from tests.helpers import (
    BUSYBOX, LOOP, DockerEvents, docker, exec_out, free_port, http_get, labelled, remove_labelled, run_cli,
    wait_until,
)

pytestmark = pytest.mark.docker




def two_container_pod(name: str, port: int) -> str:
    return f"""
apiVersion: v1
kind: Pod
metadata:
  name: {name}
spec:
  terminationGracePeriodSeconds: 2
  initContainers:
  - name: first
    image: {BUSYBOX}
    command: ["sh", "-c", "echo from-first > /work/first; date +%s%N > /work/first.time"]
    volumeMounts: [{{name: work, mountPath: /work}}]
  - name: second
    image: {BUSYBOX}
    command: ["sh", "-c", "cat /work/first > /work/second-saw; echo second-done >> /work/second-saw"]
    volumeMounts: [{{name: work, mountPath: /work}}]
  containers:
  - name: web
    image: {BUSYBOX}
    command: ["sh", "-c", "trap 'exit 0' TERM; mkdir -p /www; cat /work/second-saw > /www/index.html; httpd -f -p 8080 -h /www & wait"]
    ports:
    - containerPort: 8080
      hostPort: {port}
      hostIP: 127.0.0.1
    volumeMounts: [{{name: work, mountPath: /work}}]
  - name: client
    image: {BUSYBOX}
    command: ["sh", "-c", "{LOOP}"]
  volumes:
  - name: work
    emptyDir: {{}}
"""




@pytest.fixture
def running_pod(pod_name: str, manifest):
    port = free_port()
    path = manifest(two_container_pod(pod_name, port))
    result = run_cli("up", "-d", "-f", path)
    assert result.code == 0, result.stderr
    return pod_name, port, path


def test_containers_share_localhost_hostname_and_ip(running_pod) -> None:
    pod, port, _ = running_pod
    assert exec_out(pod, "client", "wget", "-qO-", "http://localhost:8080/") == "from-first\nsecond-done"
    hostnames = {exec_out(pod, c, "hostname") for c in ("web", "client")}
    assert hostnames == {pod}
    addresses = {exec_out(pod, c, "hostname", "-i") for c in ("web", "client")}
    assert len(addresses) == 1
    interfaces = exec_out(pod, "client", "sh", "-c", "ip -o -4 addr show | grep -v ' lo ' | wc -l")
    assert interfaces == "1"


def test_published_port_serves_from_the_host_loopback(running_pod) -> None:
    _, port, _ = running_pod
    assert http_get(f"http://127.0.0.1:{port}/") == "from-first\nsecond-done"


def test_init_containers_ran_in_order_before_apps(running_pod) -> None:
    pod, _, _ = running_pod
    states = {}
    for role_container in ("first", "second", "web", "client"):
        info = json.loads(docker("inspect", f"{pod}_{role_container}"))[0]["State"]
        states[role_container] = info
    assert states["first"]["ExitCode"] == 0 and states["second"]["ExitCode"] == 0
    # Docker trims trailing zeros of the nanoseconds: compare times, not strings
    time_of = {c: {k: unix_time(s[k]) for k in ("StartedAt", "FinishedAt")} for c, s in states.items()}
    assert time_of["first"]["FinishedAt"] <= time_of["second"]["StartedAt"]
    assert time_of["second"]["FinishedAt"] <= time_of["web"]["StartedAt"]
    assert time_of["second"]["FinishedAt"] <= time_of["client"]["StartedAt"]
    assert exec_out(pod, "web", "cat", "/work/second-saw") == "from-first\nsecond-done"


def test_second_up_is_a_no_op_and_a_change_replaces(running_pod) -> None:
    pod, port, path = running_pod
    before = docker("ps", "-q", "--no-trunc", "--filter", f"label=io.podcompose.pod={pod}").split()
    again = run_cli("up", "-d", "-f", path)
    assert again.code == 0, again.stderr
    assert "up to date" in again.stderr
    assert docker("ps", "-q", "--no-trunc", "--filter", f"label=io.podcompose.pod={pod}").split() == before

    changed = open(path).read().replace("second-done", "second-changed")
    open(path, "w").write(changed)
    replaced = run_cli("up", "-d", "-f", path)
    assert replaced.code == 0, replaced.stderr
    assert "replacing" in replaced.stderr
    after = docker("ps", "-q", "--no-trunc", "--filter", f"label=io.podcompose.pod={pod}").split()
    assert not set(after) & set(before)
    assert http_get(f"http://127.0.0.1:{port}/") == "from-first\nsecond-changed"


def test_down_leaves_nothing_labelled(running_pod) -> None:
    pod, _, path = running_pod
    assert labelled(pod)[0] and labelled(pod)[1]
    result = run_cli("down", "-f", path)
    assert result.code == 0, result.stderr
    assert labelled(pod) == ([], [])
    again = run_cli("down", pod)
    assert again.code == 0


def failing_init_pod(name: str) -> str:
    # under restartPolicy Never a failed init container fails the pod (otherwise a kubelet retries it)
    return f"""
apiVersion: v1
kind: Pod
metadata: {{name: {name}}}
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  initContainers:
  - name: ok
    image: {BUSYBOX}
    command: ["true"]
  - name: broken
    image: {BUSYBOX}
    command: ["sh", "-c", "echo cannot find the schema >&2; exit 3"]
  containers:
  - name: app
    image: {BUSYBOX}
    command: ["sh", "-c", "{LOOP}"]
  volumes:
  - name: scratch
    emptyDir: {{}}
"""


def test_init_failure_stops_up_and_leaves_nothing(pod_name: str, manifest) -> None:
    path = manifest(failing_init_pod(pod_name))
    result = run_cli("up", "-d", "-f", path)
    assert result.code == 1
    assert "init container broken" in result.stderr and "exit code 3" in result.stderr
    assert "cannot find the schema" in result.stderr
    assert "Traceback" not in result.stderr
    assert labelled(pod_name) == ([], [])


def test_keep_on_failure_leaves_the_failed_pod_to_look_at(pod_name: str, manifest) -> None:
    path = manifest(failing_init_pod(pod_name))
    result = run_cli("up", "-d", "-f", path, "--keep-on-failure")
    assert result.code == 1
    assert "init container broken" in result.stderr and "exit code 3" in result.stderr
    containers, _ = labelled(pod_name)
    assert containers, "--keep-on-failure removed the pod"
    ps = json.loads(run_cli("ps", pod_name, "-o", "json").stdout)
    assert [p["name"] for p in ps] == [pod_name]
    state = {c["name"]: (c["role"], c["state"], c["exitCode"]) for c in ps[0]["containers"]}
    assert state["ok"] == ("init", "exited", 0)
    assert state["broken"] == ("init", "exited", 3)
    assert "app" not in state or state["app"][1] != "running"      # app containers never start after a failed init
    assert re.search(r"broken\s+init\s+exited\s+3", run_cli("ps", pod_name).stdout)
    # what the user came to look at: the failed container's own log
    logs = run_cli("logs", pod_name, "-c", "broken")
    assert logs.code == 0 and "cannot find the schema" in logs.stdout + logs.stderr
    assert run_cli("down", pod_name).code == 0
    assert labelled(pod_name) == ([], [])


def test_app_that_fails_at_once_is_reported(pod_name: str, manifest) -> None:
    path = manifest(f"""
apiVersion: v1
kind: Pod
metadata: {{name: {pod_name}}}
spec:
  restartPolicy: Never
  containers:
  - name: crash
    image: {BUSYBOX}
    command: ["sh", "-c", "echo config missing; exit 4"]
""")
    result = run_cli("up", "-d", "-f", path)
    assert result.code == 1
    assert "container crash" in result.stderr and "exited with code 4 (Error)" in result.stderr
    assert "config missing" in result.stderr
    # as a kubelet, the pod is kept with its failed container on record
    pods = json.loads(run_cli("ps", pod_name, "-o", "json").stdout)
    crash = next(c for c in pods[0]["containers"] if c["name"] == "crash")
    assert (crash["state"], crash["exitCode"]) == ("exited", 4)
    assert pods[0]["phase"] == "Failed"


def test_taken_port_is_one_clear_error(pod_name: str, manifest) -> None:
    import socket
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        path = manifest(f"""
apiVersion: v1
kind: Pod
metadata: {{name: {pod_name}}}
spec:
  containers:
  - name: web
    image: {BUSYBOX}
    command: ["sh", "-c", "{LOOP}"]
    ports: [{{containerPort: 80, hostPort: {port}, hostIP: 127.0.0.1}}]
""")
        result = run_cli("up", "-d", "-f", path)
    assert result.code == 1
    assert "already in use" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 3
    assert labelled(pod_name) == ([], [])


def test_name_clash_with_a_foreign_container(pod_name: str, manifest) -> None:
    foreign = f"{pod_name}_POD"
    docker("create", "--name", foreign, BUSYBOX, "true")
    try:
        path = manifest(f"""
apiVersion: v1
kind: Pod
metadata: {{name: {pod_name}}}
spec:
  containers:
  - {{name: app, image: {BUSYBOX}, command: ["sh", "-c", "{LOOP}"]}}
""")
        result = run_cli("up", "-d", "-f", path)
        assert result.code == 1
        assert f"a container named {foreign} already exists and was not made by podcompose" in result.stderr
        assert docker("inspect", "-f", "{{.State.Status}}", foreign) == "created"
    finally:
        subprocess.run(["docker", "rm", "-f", foreign], capture_output=True)


@pytest.fixture
def entrypoint_cmd_image(pod_name: str, tmp_path) -> Iterator[str]:
    """An image with both ENTRYPOINT and CMD, built for this test and removed after it (with its pod)."""
    image = f"podcompose.test/entrypoint-cmd:{pod_name}"
    (tmp_path / "ctx").mkdir()
    (tmp_path / "ctx" / "Dockerfile").write_text(
        f'FROM {BUSYBOX}\nENTRYPOINT ["echo", "entrypoint"]\nCMD ["image-cmd"]\n')
    subprocess.run(["docker", "build", "-q", "--label", f"io.podcompose.test.image={pod_name}", "-t", image,
                    str(tmp_path / "ctx")], check=True, capture_output=True,
                   env={"DOCKER_BUILDKIT": "0", "PATH": "/usr/bin:/bin:/usr/local/bin"})
    try:
        yield image
    finally:
        remove_labelled(pod_name)         # its containers first, or the image cannot go
        subprocess.run(["docker", "rmi", "-f", image], capture_output=True)


def test_command_and_args_follow_kubernetes_semantics(pod_name: str, manifest, entrypoint_cmd_image: str) -> None:
    image = entrypoint_cmd_image
    path = manifest(f"""
apiVersion: v1
kind: Pod
metadata: {{name: {pod_name}}}
spec:
  restartPolicy: Never
  containers:
  - {{name: neither, image: "{image}"}}
  - {{name: args-only, image: "{image}", args: ["my-args"]}}
  - {{name: command-only, image: "{image}", command: ["echo", "my-command"]}}
  - name: expanded
    image: "{image}"
    command: ["echo", "$(GREETING) world", "$$(GREETING)", "$(UNDEFINED)"]
    env:
    - {{name: NAME, value: world}}
    - {{name: GREETING, value: "hello $(NAME)"}}
""")
    result = run_cli("up", "-d", "-f", path)
    assert result.code == 0, result.stderr
    names = ("neither", "args-only", "command-only", "expanded")
    wait_until(lambda: all(docker("inspect", "-f", "{{.State.Status}}", f"{pod_name}_{c}") == "exited" for c in names),
               what="every container to finish")
    logs = {c: docker("logs", f"{pod_name}_{c}") for c in names}
    assert logs == {"neither": "entrypoint image-cmd", "args-only": "entrypoint my-args",
                    "command-only": "my-command", "expanded": "hello world world $(GREETING) $(UNDEFINED)"}


def test_empty_dir_starts_empty_and_read_only_mounts_refuse_writes(pod_name: str, manifest) -> None:
    path = manifest(f"""
apiVersion: v1
kind: Pod
metadata: {{name: {pod_name}}}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: {BUSYBOX}
    command: ["sh", "-c", "{LOOP}"]
    volumeMounts:
    - {{name: over-etc, mountPath: /etc}}
    - {{name: shared, mountPath: /ro, readOnly: true}}
    - {{name: shared, mountPath: /rw}}
  - name: nobody
    image: {BUSYBOX}
    command: ["sh", "-c", "{LOOP}"]
    securityContext: {{runAsUser: 65534, runAsGroup: 65534}}
    volumeMounts: [{{name: shared, mountPath: /shared}}]
  volumes:
  - {{name: over-etc, emptyDir: {{}}}}
  - {{name: shared, emptyDir: {{}}}}
""")
    assert run_cli("up", "-d", "-f", path).code == 0
    # the image's /etc/passwd and group are not copied in; Docker itself bind-mounts its three files
    assert set(exec_out(pod_name, "app", "ls", "-A", "/etc").split()) == {"hostname", "hosts", "resolv.conf"}
    denied = run_cli("exec", pod_name, "--", "touch", "/ro/x")
    assert denied.code != 0 and "Read-only file system" in denied.stderr
    exec_out(pod_name, "app", "touch", "/rw/y")
    assert exec_out(pod_name, "app", "ls", "/ro") == "y"
    # as in Kubernetes, an emptyDir is world-writable: a non-root container can write to it
    assert exec_out(pod_name, "app", "stat", "-c", "%a", "/rw") == "777"
    assert exec_out(pod_name, "nobody", "id", "-u") == "65534"
    exec_out(pod_name, "nobody", "touch", "/shared/by-nobody")
    assert exec_out(pod_name, "app", "stat", "-c", "%u", "/rw/by-nobody") == "65534"


def test_config_map_volume_and_env(pod_name: str, manifest) -> None:
    path = manifest(f"""
apiVersion: v1
kind: ConfigMap
metadata: {{name: settings}}
data:
  mode: fast
  app.conf: |
    listen 8080
---
apiVersion: v1
kind: Pod
metadata: {{name: {pod_name}}}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: {BUSYBOX}
    command: ["sh", "-c", "{LOOP}"]
    env:
    - name: MODE
      valueFrom: {{configMapKeyRef: {{name: settings, key: mode}}}}
    - name: POD
      valueFrom: {{fieldRef: {{fieldPath: metadata.name}}}}
    volumeMounts: [{{name: conf, mountPath: /etc/app}}]
  volumes:
  - name: conf
    configMap: {{name: settings, items: [{{key: app.conf, path: app.conf, mode: 0600}}]}}
""")
    result = run_cli("up", "-d", "-f", path)
    assert result.code == 0, result.stderr
    assert exec_out(pod_name, "app", "cat", "/etc/app/app.conf") == "listen 8080"
    assert exec_out(pod_name, "app", "stat", "-c", "%a", "/etc/app/app.conf") == "600"
    assert exec_out(pod_name, "app", "sh", "-c", "echo $MODE $POD") == f"fast {pod_name}"


def test_shared_process_namespace(pod_name: str, manifest) -> None:
    path = manifest(f"""
apiVersion: v1
kind: Pod
metadata: {{name: {pod_name}}}
spec:
  shareProcessNamespace: true
  terminationGracePeriodSeconds: 1
  containers:
  - {{name: a, image: {BUSYBOX}, command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 7; done"]}}
  - {{name: b, image: {BUSYBOX}, command: ["sh", "-c", "{LOOP}"]}}
""")
    assert run_cli("up", "-d", "-f", path).code == 0
    assert "sleep 7" in exec_out(pod_name, "b", "ps")


def test_daemon_unreachable_is_exit_code_3() -> None:
    result = run_cli("ps", env={"DOCKER_HOST": "unix:///nonexistent/docker.sock"})
    assert result.code == 3
    assert "cannot reach the Docker daemon" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_image_fails_before_touching_a_running_pod(running_pod) -> None:
    pod, port, path = running_pod
    broken = open(path).read().replace("name: client\n    image: podcompose.test/busybox:1",
                                       "name: client\n    image: podcompose.test/absent:1")
    open(path, "w").write(broken)
    result = run_cli("up", "-d", "-f", path, "--pull", "never")
    assert result.code == 1
    assert "podcompose.test/absent:1 is not present locally" in result.stderr
    assert http_get(f"http://127.0.0.1:{port}/") == "from-first\nsecond-done"


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
