"""The kubelet's crash-loop back-off, derived from what Docker holds.

The kubelet keeps one back-off entry per container (flowcontrol.Backoff, 10 s doubling to
300 s): `IsInBackOffSince(finishedAt)` then `Next()` on every restart. Here the entry is
written into labels of each attempt it started (`BackoffEntry`), so a restarted agent reads
it back from the newest attempt and needs no memory of its own. Pure: the clock is passed in.
"""
from __future__ import annotations

from dataclasses import dataclass

INITIAL_SECONDS = 10.0
MAX_SECONDS = 300.0
# flowcontrol.Backoff forgets an entry when the container finished more than twice the
# maximum after the entry was last advanced: a container that ran 10 minutes starts over.
RESET_AFTER_SECONDS = 2 * MAX_SECONDS


@dataclass(frozen=True)
class BackoffEntry:
    """The back-off in force when an attempt was started, and when it was last advanced."""

    seconds: float
    since: float


@dataclass(frozen=True)
class RestartGate:
    """Whether a container may be started now; if so, the entry its new attempt carries."""

    allowed: bool
    not_before: float | None = None          # when not allowed: the time the back-off ends
    entry: BackoffEntry | None = None        # when allowed: the labels of the new attempt
    waited: float | None = None              # the back-off being served (for "back-off 20s" messages)


def expired(entry: BackoffEntry, finished_at: float) -> bool:
    return finished_at - entry.since > RESET_AFTER_SECONDS


def restart_gate(entry: BackoffEntry | None, last_exit: float | None, now: float) -> RestartGate:
    """May a container start now, given the newest back-off entry and its newest exit time?

    `entry` is None when no restart ever advanced one (the first run, or a changed spec: the
    kubelet's key includes the container's hash). `last_exit` is None when no attempt has
    exited: then nothing is advanced (the kubelet's doBackOff finds no exited container).
    """
    if last_exit is None:
        return RestartGate(allowed=True, entry=entry)
    if entry is not None and not expired(entry, last_exit) and now - last_exit < entry.seconds:
        return RestartGate(allowed=False, not_before=last_exit + entry.seconds, waited=entry.seconds)
    if entry is None or expired(entry, last_exit):
        return RestartGate(allowed=True, entry=BackoffEntry(INITIAL_SECONDS, now))
    return RestartGate(allowed=True, entry=BackoffEntry(min(entry.seconds * 2, MAX_SECONDS), now))
