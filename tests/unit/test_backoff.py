"""The kubelet's crash-loop back-off, from the labels of the newest attempt only."""
from __future__ import annotations

from podcompose.backoff import BackoffEntry, restart_gate


def crash_loop(runs: int, run_seconds: float = 1.0) -> list[float]:
    """The waits between each exit and the next start of a container that keeps crashing."""
    now, entry, waits = 0.0, None, []
    for _ in range(runs):
        now += run_seconds                      # it runs, then exits
        exited = now
        gate = restart_gate(entry, exited, now)
        if not gate.allowed:
            assert gate.not_before is not None
            now = gate.not_before
            gate = restart_gate(entry, exited, now)
        assert gate.allowed
        waits.append(now - exited)
        entry = gate.entry
    return waits


def test_first_restart_is_immediate_then_10s_doubling_to_300s() -> None:
    assert crash_loop(9) == [0, 10, 20, 40, 80, 160, 300, 300, 300]


def test_no_exit_no_back_off_and_nothing_advanced() -> None:
    entry = BackoffEntry(40, 5)
    gate = restart_gate(entry, None, 100)
    assert gate.allowed and gate.entry == entry


def test_still_in_back_off_says_until_when() -> None:
    gate = restart_gate(BackoffEntry(20, 100), 130, 140)
    assert not gate.allowed and gate.not_before == 150 and gate.waited == 20


def test_back_off_over_advances_the_entry_from_now() -> None:
    gate = restart_gate(BackoffEntry(20, 100), 130, 150)
    assert gate.allowed and gate.entry == BackoffEntry(40, 150)


def test_reset_after_ten_minutes_of_running() -> None:
    # restarted (entry advanced) at t=1000 with 300 s back-off, then ran 601 s: start over at 10 s
    gate = restart_gate(BackoffEntry(300, 1000), 1601, 1601)
    assert gate.allowed and gate.entry == BackoffEntry(10, 1601)
    # 599 s is not enough: the 300 s back-off still applies
    gate = restart_gate(BackoffEntry(300, 1000), 1599, 1599)
    assert not gate.allowed and gate.not_before == 1899
