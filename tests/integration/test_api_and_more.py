"""The Python API, in-process verbs, --debug, stdin manifests, subPath and workingDir."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest

from podcompose.cli import main
from podcompose.testing import PodSession, pod_fixture
from podcompose.wait import HttpGet, LogMessage, Running
from tests.helpers import BUSYBOX, ROOT, free_port, interruptible, labelled, run_cli, wait_until
from tests.manifests import container, empty_dir, mount, pod

pytestmark = pytest.mark.docker



def web_pod(name: str, port: int) -> str:
    return pod(
        name,
        container("web", "trap 'exit 0' TERM; mkdir -p www; echo served-from-$(pwd) > www/index.html; echo listening; "
                         "httpd -f -p 8080 -h www & wait",
                  image="nginx:1.25", workingDir="/srv",
                  ports=[{"containerPort": 8080, "hostPort": port, "hostIP": "127.0.0.1"}],
                  volumeMounts=[mount("data", "/srv/www/sub", subPath="nested/dir")]),
        container("peek", image="nginx:1.25", volumeMounts=[mount("data", "/data")]),
        volumes=[empty_dir("data")])



def test_pod_session_context_manager(pod_name: str, manifest) -> None:
    port = free_port()
    path = manifest(web_pod(pod_name, port))
    with PodSession(path, images={"nginx": BUSYBOX}, timeout=30,
                    wait=[Running(), LogMessage("web", "listening"), HttpGet(f"http://127.0.0.1:{port}/")]) as pod:
        assert pod.name == pod_name
        assert pod.exec("web", "hostname").output.strip() == pod_name
        assert pod.exec("web", "pwd").output.strip() == "/srv"            # workingDir
        assert pod.exec(None, "sh", "-c", "exit 3").exit_code == 3
        assert "listening" in pod.logs("web")
        # subPath: the directory inside the volume, created on demand, seen from the other container
        pod.exec("web", "sh", "-c", "echo via-subpath > /srv/www/sub/file")
        assert pod.exec("peek", "cat", "/data/nested/dir/file").output.strip() == "via-subpath"
    assert labelled(pod_name) == ([], [])


def test_pod_session_failure_to_get_ready_cleans_up(pod_name: str, manifest) -> None:
    from podcompose.errors import PodcomposeError

    path = manifest(web_pod(pod_name, free_port()))
    with pytest.raises(PodcomposeError, match="not ready after 1s: waiting for log of web matching 'never'"):
        with PodSession(path, images={"nginx": BUSYBOX}, wait=[LogMessage("web", "never")], timeout=1):
            pass
    assert labelled(pod_name) == ([], [])


FIXTURE_POD = ROOT / "tests" / "integration" / "fixture-pod.yaml"
fixture_session = pod_fixture(str(FIXTURE_POD), images={"busybox": BUSYBOX}, wait=[Running()])


def test_pod_fixture_brings_the_pod_up_and_down(kit: dict[str, str], fixture_session: PodSession) -> None:
    assert fixture_session.exec("app", "cat", "/etc/hostname").output.strip() == "fixture-pod"


def test_pod_fixture_removes_its_pod_after_each_test_passed_or_failed(pod_name: str, manifest, tmp_path) -> None:
    # a pytest run of its own: pod_fixture as a user's suite meets it, and nothing left once that run ends
    pod_path = manifest(pod(pod_name, container("app", image="busybox")))
    seen = tmp_path / "seen"
    (tmp_path / "suite").mkdir()
    (tmp_path / "suite" / "test_user_suite.py").write_text(f"""
import subprocess
from podcompose.testing import pod_fixture
from podcompose.wait import Running

web = pod_fixture({pod_path!r}, images={{"busybox": {BUSYBOX!r}}}, wait=[Running()])

def running() -> list[str]:
    return subprocess.run(["docker", "ps", "-q", "--filter", "label=io.podcompose.pod={pod_name}"],
                          capture_output=True, text=True, check=True).stdout.split()

def test_passes(web):
    assert web.exec("app", "hostname").output.strip() == {pod_name!r}
    with open({str(seen)!r}, "a") as f:
        f.write(f"passes {{len(running())}}\\n")

def test_fails(web):
    with open({str(seen)!r}, "a") as f:
        f.write(f"fails {{len(running())}}\\n")
    assert False, "a failing test"
""")
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_user_suite.py"],
                         cwd=tmp_path / "suite", capture_output=True, text=True, timeout=120)
    assert "1 failed, 1 passed" in run.stdout, run.stdout + run.stderr
    # the pod (pause and app) ran during each test, and is gone after both
    assert seen.read_text().split("\n")[:2] == ["passes 2", "fails 2"]
    assert labelled(pod_name) == ([], [])


def test_verbs_in_process(pod_name: str, manifest, capsys: pytest.CaptureFixture[str],
                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")      # for this test only: later ones see the environment they had
    path = manifest(web_pod(pod_name, free_port()))
    assert main(["up", "-d", "-f", path, "--image", f"nginx={BUSYBOX}"]) == 0
    capsys.readouterr()
    assert main(["ps", pod_name, "-o", "json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["phase"] == "Running"
    assert main(["exec", pod_name, "-c", "web", "--", "sh", "-c", "exit 9"]) == 9
    assert main(["logs", pod_name, "-c", "web"]) == 0
    assert capsys.readouterr().out.strip().endswith("listening")
    assert main(["describe", pod_name, "-o", "yaml"]) == 0
    assert f"name: {pod_name}" in capsys.readouterr().out
    assert main(["config", "-f", path, "-o", "json", "--image", f"nginx={BUSYBOX}"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["containers"][0]["image"] == BUSYBOX
    assert main(["validate", "-f", path]) == 0
    assert main(["down", pod_name]) == 0
    assert main(["logs", pod_name]) == 1
    assert "no pod named" in capsys.readouterr().err
    assert labelled(pod_name) == ([], [])


def test_up_reads_the_manifest_from_stdin(pod_name: str) -> None:
    text = pod(pod_name, container("app"))
    result = run_cli("up", "-d", "-f", "-", input=text)
    assert result.code == 0, result.stderr
    assert labelled(pod_name)[0]
    source = json.loads(run_cli("ps", pod_name, "-o", "json").stdout)[0]["source"]
    assert source == "<stdin>"


def test_debug_shows_docker_calls_and_the_traceback() -> None:
    quiet = run_cli("logs", "no-such-pod-here")
    assert quiet.code == 1 and "Traceback" not in quiet.stderr
    loud = run_cli("--debug", "logs", "no-such-pod-here")
    assert "Traceback" in loud.stderr and "PodcomposeError" in loud.stderr
    assert "/containers/json" in loud.stderr          # the Docker API calls


def test_ctrl_c_during_init_removes_everything(pod_name: str, manifest) -> None:
    path = manifest(pod(pod_name, container("app"), init=[container("slow", "echo init-waiting; sleep 60")], grace=None,
                        volumes=[empty_dir("v")]))
    proc = subprocess.Popen([sys.executable, "-m", "podcompose", "up", "-d", "-f", path], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=os.environ | {"NO_COLOR": "1"}, preexec_fn=interruptible)
    try:
        wait_until(lambda: "init-waiting" in subprocess.run(["docker", "logs", f"{pod_name}_slow"],
                                                           capture_output=True, text=True).stdout,
                   timeout=30, what="the init container to run")
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 130
    assert labelled(pod_name) == ([], [])
