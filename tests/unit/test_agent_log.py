"""The agent's log: rotated at a size cap, one line per record, no Secret in clear (issue 16)."""
from __future__ import annotations

import logging
import os
import stat
import threading
from pathlib import Path
from typing import Iterator

import pytest

from podcompose import redact
from podcompose.agent import agentlog
from podcompose.model import Container, Pod, Volume, VolumeKind

FORGED = "failed: ok\n2026-01-01 00:00:00,000 INFO podcompose.agent: agent 1 started\rand\x1b[2Kmore\u2028end"


@pytest.fixture
def logger(tmp_path: Path) -> Iterator[tuple[logging.Logger, Path]]:
    path = tmp_path / "agent.log"
    handler = agentlog.RotatingLog(path, max_bytes=2000, backups=2)
    handler.setFormatter(agentlog.OneLineFormatter(agentlog.FORMAT))
    handler.addFilter(redact.LogFilter())
    log = logging.getLogger(f"test-agentlog-{tmp_path.name}")
    log.propagate = False
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    yield log, path
    log.removeHandler(handler)
    handler.close()
    redact.reset()
    agentlog._registered.clear()
    agentlog._registered_names.clear()


def test_the_log_is_rotated_at_its_cap_with_two_backups_root_only(logger) -> None:
    log, path = logger
    for number in range(500):
        log.info("line %d %s", number, "x" * 80)
    files = sorted(path.parent.glob("agent.log*"))
    assert [f.name for f in files] == ["agent.log", "agent.log.1", "agent.log.2"]
    assert all(f.stat().st_size <= 2000 for f in files)
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)
    assert "line 499 " in path.read_text()


def test_container_text_cannot_forge_a_line_of_the_agent(logger) -> None:
    log, path = logger
    log.info("warning default/p app Liveness probe %s", FORGED)
    lines = path.read_text().splitlines()
    assert len(lines) == 1
    assert "\\n2026-01-01 00:00:00,000 INFO" in lines[0] and "\\r" in lines[0] and "\\x1b" in lines[0]
    assert "\\u2028" in lines[0]


def test_a_traceback_is_indented_under_its_record(logger) -> None:
    log, path = logger
    try:
        raise ValueError("bad\n2026-01-01 00:00:00,000 INFO podcompose.agent: forged")
    except ValueError:
        log.exception("pod default/p failed")
    lines = path.read_text().splitlines()
    assert lines[0].endswith("pod default/p failed")
    assert all(line.startswith("    | ") for line in lines[1:]) and len(lines) > 2


def test_a_threads_uncaught_exception_is_a_cleaned_record(logger, monkeypatch) -> None:
    log, path = logger
    monkeypatch.setattr(agentlog, "_log", log)
    monkeypatch.setattr(agentlog.threading, "excepthook", agentlog._log_uncaught)
    worker = threading.Thread(target=lambda: (_ for _ in ()).throw(RuntimeError("out\n2026-01-01 forged")),
                              name="probe-1")
    worker.start()
    worker.join()
    lines = path.read_text().splitlines()
    assert lines[0].endswith("uncaught exception in thread probe-1") and not any(
        line.startswith("2026-01-01") for line in lines)


def test_the_secrets_of_a_pod_never_reach_the_log_in_clear(logger) -> None:
    log, path = logger
    pod = Pod(name="p", namespace="default",
              containers=(Container(name="app", image="i", role="app", env=(("TOKEN", "s3cr3t-value-0123"),
                                                                              ("PLAIN", "visible-text")),
                                    secret_env=("TOKEN",)),),
              volumes=(Volume(name="creds", kind=VolumeKind.SECRET,
                              files=(("password", b"hunter2-but-longer", 0o644),)),))
    agentlog.register_secrets(pod)
    log.info("probe failed: token s3cr3t-value-0123 password hunter2-but-longer TOKEN=short %s", "visible-text")
    text = path.read_text()
    assert "s3cr3t-value-0123" not in text and "hunter2-but-longer" not in text and "TOKEN=short" not in text
    assert text.count(redact.REDACTED) == 3 and "visible-text" in text


def test_the_agent_started_by_up_logs_into_its_file_and_by_hand_onto_stderr(tmp_path: Path) -> None:
    path = tmp_path / "agent.log"
    root = logging.getLogger()
    kept = list(root.handlers), root.level
    try:
        assert isinstance(agentlog.configure(path), logging.StreamHandler)
        assert not isinstance(root.handlers[0], logging.FileHandler)
        path.write_text("")
        saved = {std: os.dup(std) for std in (1, 2)}
        try:
            with open(path, "ab") as file:
                os.dup2(file.fileno(), 2)
            handler = agentlog.configure(path)
            assert isinstance(handler, agentlog.RotatingLog)
            os.write(2, b"a crash on stderr\n")          # stderr follows the handler's file
            handler.close()
        finally:
            for std, fd in saved.items():
                os.dup2(fd, std)
                os.close(fd)
        assert "a crash on stderr" in path.read_text()
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in kept[0]:
            root.addHandler(handler)
        root.setLevel(kept[1])
