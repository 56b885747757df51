"""The fault-injection hook (runtime/faults.py): a process kills itself right after its Nth Docker call,
traces its calls on request, and costs nothing when its variables are unset. Against a small local server
that answers every request as the Engine's /_ping does, through a real docker.APIClient."""
from __future__ import annotations

import http.server
import os
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Iterator

import docker
import pytest

from podcompose.runtime import faults


class _Ping(http.server.BaseHTTPRequestHandler):
    def _answer(self) -> None:
        body = b"OK"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_DELETE = _answer

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def engine_url() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Ping)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"tcp://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def fresh_plan() -> Iterator[None]:
    faults.reset()
    yield
    faults.reset()


CHILD = textwrap.dedent("""
    import sys
    import docker
    from podcompose.runtime import faults
    api = docker.APIClient(base_url=sys.argv[1], version="1.41")
    faults.install(api)
    for number in range(1, 6):
        api.ping()
        print(number, flush=True)
""")


def _child(engine_url: str, **variables: str) -> subprocess.CompletedProcess[str]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("PODCOMPOSE_FAULT_")}
    return subprocess.run([sys.executable, "-c", CHILD, engine_url], env=environment | variables,
                          capture_output=True, text=True, timeout=60)


def test_the_process_is_killed_right_after_its_nth_call(engine_url: str) -> None:
    done = _child(engine_url, PODCOMPOSE_FAULT_AFTER_CALLS="3")
    assert done.returncode == -signal.SIGKILL
    assert done.stdout.split() == ["1", "2"]      # the third call was made; its caller never saw the answer


def test_the_signal_can_be_chosen(engine_url: str) -> None:
    done = _child(engine_url, PODCOMPOSE_FAULT_AFTER_CALLS="1", PODCOMPOSE_FAULT_SIGNAL="TERM")
    assert done.returncode == -signal.SIGTERM
    assert done.stdout == ""


def test_counting_mode_traces_every_call_and_kills_nothing(engine_url: str, tmp_path: Path) -> None:
    trace = tmp_path / "calls"
    done = _child(engine_url, PODCOMPOSE_FAULT_TRACE=str(trace))
    assert done.returncode == 0, done.stderr
    assert trace.read_text().splitlines() == [f"{n} GET /v1.41/_ping 200" for n in range(1, 6)]


def test_unset_installs_nothing(engine_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (faults.AFTER_CALLS_ENV, faults.SIGNAL_ENV, faults.TRACE_ENV):
        monkeypatch.delenv(name, raising=False)
    api = docker.APIClient(base_url=engine_url, version="1.41")
    assert faults.install(api) is False
    assert api.hooks["response"] == []
    assert api.ping() is True


def test_the_variables_are_read_once_and_not_passed_on(engine_url: str, monkeypatch: pytest.MonkeyPatch,
                                                       tmp_path: Path) -> None:
    monkeypatch.setenv(faults.TRACE_ENV, str(tmp_path / "calls"))
    first, second = (docker.APIClient(base_url=engine_url, version="1.41") for _ in range(2))
    assert faults.install(first) and faults.install(second)
    assert faults.TRACE_ENV not in os.environ        # a child (the agent `up` starts) is not faulted with it
    first.ping()
    second.ping()
    assert [line.split()[0] for line in (tmp_path / "calls").read_text().splitlines()] == ["1", "2"]


def test_a_bad_call_number_is_refused() -> None:
    with pytest.raises(ValueError, match="positive call number"):
        faults.plan_from_environment({faults.AFTER_CALLS_ENV: "0"})
    with pytest.raises(ValueError, match="must name a signal"):
        faults.plan_from_environment({faults.AFTER_CALLS_ENV: "2", faults.SIGNAL_ENV: "NOPE"})
    assert faults.plan_from_environment({faults.AFTER_CALLS_ENV: "2", faults.SIGNAL_ENV: "term"}) == \
        faults.FaultPlan(2, signal.SIGTERM, None)
    assert faults.plan_from_environment({}) is None
