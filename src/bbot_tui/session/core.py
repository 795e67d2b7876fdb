"""What a run yields and how it ended, and the retry policy every session flow shares.

:class:`SessionUpdate` is what :class:`~bbot_tui.session.run.RunSession` yields while a run
streams, :class:`RunOutcome` how the last run ended. The retry policy (which failures are worth
another try, how long to wait: ``docs/PROTOCOL.md``, "The connection state machine") is here so
that the run flow, the thread follower and the script runner back off alike.

Nothing here imports Textual.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Literal

from bbot_tui.api import errors
from bbot_tui.api.events import StreamEvent
from bbot_tui.stream.transcript import PendingInterrupt

__all__ = [
    "ACTIVE",
    "MAX_POSTS",
    "RETRYABLE",
    "Phase",
    "RunOutcome",
    "SessionUpdate",
    "Status",
    "backoff",
    "retry_delay",
]


Status = Literal["success", "interrupted", "error", "cancelled"]

Phase = Literal[
    "posting",
    "finding",
    "joining",
    "streaming",
    "waiting",
    "checking",
    "rejoining",
    "reconciling",
    "done",
    "replaying",
]
"""Where a run's connection is. From ``reconciling`` on, the run's stream is over and its
preview complete: the caller may start the next run at once (the session only reads the
thread state then, and a new run supersedes that reading). ``replaying`` is a script step
played from a tape instead of the server (:mod:`bbot_tui.session.script_runner`)."""


@dataclass(slots=True)
class SessionUpdate:
    """What a streaming run yields: new events (possibly none) and a notice.

    Attributes:
        events: the events applied to the transcript since the last update.
        notice: a sentence for the status bar (rejoining, waiting…), or None.
        phase: the connection state (see :data:`Phase`).
    """

    events: list[StreamEvent]
    notice: str | None = None
    phase: Phase = "streaming"


@dataclass(slots=True)
class RunOutcome:
    """How the last run ended.

    Attributes:
        status: success, interrupted (question or breakpoint), error, or cancelled.
        thread_id, run_id: the run.
        interrupts: pending interrupts, if any.
        error: the failure text, if any.
        rejoins: how many times the stream was rejoined.
        duplicates_dropped: replayed events dropped by de-duplication.
        protocol: the protocol the run used: ``runs`` (the runs API) or ``events`` (the
            thread-centric event protocol).
    """

    status: Status = "success"
    thread_id: str | None = None
    run_id: str | None = None
    interrupts: list[PendingInterrupt] = field(default_factory=list)
    error: str | None = None
    rejoins: int = 0
    duplicates_dropped: int = 0
    protocol: str = "runs"


MAX_POSTS = 3
"""POSTs of one run at most (a re-POST only after the run was looked up and not found)."""
RETRYABLE = (errors.TransportError, errors.ServerError, errors.RateLimited)
"""Failures worth another try: the network, a 5xx (often a proxy's HTML page), a 429."""
ACTIVE = ("pending", "running")
"""Run statuses of a run that is not over."""


def backoff(attempt: int) -> float:
    """Seconds to wait before try ``attempt``: doubling from 0.25 s, capped at 5 s, jittered."""
    base: float = min(5.0, 0.25 * (2**attempt))
    return base * (1 + random.random() * 0.25)


def retry_delay(exc: errors.ApiError, attempt: int) -> float:
    """Seconds to wait before retrying: ``Retry-After`` (capped at 60 s) or the backoff."""
    if isinstance(exc, errors.RateLimited) and exc.retry_after is not None:
        return exc.retry_after
    return backoff(attempt)
