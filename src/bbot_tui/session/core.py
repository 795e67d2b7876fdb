"""What a :class:`~bbot_tui.session.run.RunSession` is made of, and how a run's end is judged.

Split from ``session.py`` by concern: this module holds the session's result types, its retry
policy, and the rules applied once a run stops: finding a run whose POST failed before its
answer, reconciling the transcript with the thread state, and classifying the stop (question,
breakpoint, cancelled, error). The stream machinery lives in :mod:`bbot_tui.session.streamer`,
the public flow in :mod:`bbot_tui.session.run`.

Nothing here imports Textual.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from bbot_tui.api import errors
from bbot_tui.api.client import AgentClient
from bbot_tui.api.events import StreamEvent
from bbot_tui.api.models import Run, ThreadState
from bbot_tui.stream.reducer import Reducer
from bbot_tui.stream.transcript import PendingInterrupt, Transcript

__all__ = [
    "ACTIVE",
    "MAX_POSTS",
    "RETRYABLE",
    "RunOutcome",
    "SessionCore",
    "SessionUpdate",
    "Status",
    "backoff",
    "retry_delay",
]


Status = Literal["success", "interrupted", "error", "cancelled"]


@dataclass(slots=True)
class SessionUpdate:
    """What a streaming run yields: new events (possibly none) and a notice.

    Attributes:
        events: the events applied to the transcript since the last update.
        notice: a sentence for the status bar (rejoining, waiting…), or None.
        phase: the connection state (posting, streaming, rejoining, checking, done).
    """

    events: list[StreamEvent]
    notice: str | None = None
    phase: str = "streaming"


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
    """

    status: Status = "success"
    thread_id: str | None = None
    run_id: str | None = None
    interrupts: list[PendingInterrupt] = field(default_factory=list)
    error: str | None = None
    rejoins: int = 0
    duplicates_dropped: int = 0


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


class SessionCore:
    """The session's state, and what happens once a run stops.

    The attributes are set by :class:`~bbot_tui.session.run.RunSession`, which documents them.
    """

    client: AgentClient
    reducer: Reducer
    rejoin_budget: float
    on_run: Callable[[str | None, str | None], None] | None
    outcome: RunOutcome
    thread_id: str | None
    run_id: str | None
    last_state: ThreadState | None
    _cancel_requested: str | None

    @property
    def transcript(self) -> Transcript:
        """The transcript being filled."""
        return self.reducer.transcript

    # --- run lookup -------------------------------------------------------------------------

    async def _find_run(self, thread_id: str, metadata: dict[str, Any]) -> Run | None:
        """The run a failed POST may have created anyway, by ``metadata.client_request_id``."""
        request_id = metadata.get("client_request_id")
        if not request_id:
            return None
        for delay in (0.0, 0.5, 1.0):
            await asyncio.sleep(delay)
            try:
                runs = await self.client.list_runs(thread_id, limit=20)
            except errors.ApiError:
                continue
            for run in runs:
                if (run.metadata or {}).get("client_request_id") == request_id:
                    return run
        return None

    def _set_run(self, thread_id: str | None, run_id: str) -> None:
        # transcript.run_id is left to the run's first ``metadata`` event: the reducer takes
        # a second one for the same run as a restart (and drops the in-flight preview)
        self.thread_id = thread_id or self.thread_id
        self.run_id = run_id
        t = self.transcript
        t.thread_id = self.thread_id
        self.outcome.thread_id, self.outcome.run_id = self.thread_id, run_id
        t.touch_meta()
        if self.on_run and self.thread_id:
            self.on_run(self.thread_id, run_id)

    # --- reconciliation -----------------------------------------------------------------------

    async def _final_state(self, thread_id: str, run_status: str | None, deadline: float) -> None:
        """Reconcile with the thread state; if it cannot be read, keep the preview and say so."""
        for attempt in range(1, 4):
            try:
                await self._reconcile(thread_id, run_status=run_status)
                return
            except RETRYABLE as exc:
                if attempt == 3 or time.monotonic() > deadline:
                    failure: errors.ApiError = exc
                    break
                await asyncio.sleep(retry_delay(exc, attempt))
            except errors.ApiError as exc:
                failure = exc
                break
        self.reducer._warn(f"could not read the final state ({failure.message})")
        t = self.transcript
        if t.stop != "error" and run_status in ("interrupted", "rolled_back"):
            t.interrupts, t.stop = [], "cancelled"
            t.touch_meta()

    async def _reconcile(self, thread_id: str, *, run_status: str | None) -> None:
        """Replace the previews with the thread state, then classify the stop.

        A run whose status is ``interrupted`` was cancelled (HITL interrupts end in
        ``success``): the answer it was streaming was never saved, so its preview stays,
        flagged unsaved. A rolled-back run (404) was deleted on purpose: its preview goes.
        """
        state = await self.client.get_state(thread_id, subgraphs=True)
        self.reducer.reconcile(state.messages, keep_unsaved=run_status == "interrupted")
        self._apply_stop(state, run_status=run_status)

    # --- stop classification ----------------------------------------------------------------

    def _apply_stop(self, state: ThreadState, *, run_status: str | None) -> None:
        self.last_state = state
        t = self.transcript
        t.next_nodes = list(state.next)
        if t.stop == "error" or run_status == "error":
            t.stop = "error"
        elif run_status in ("interrupted", "rolled_back"):
            # cancelled, or superseded by another run (whose state the thread may show now)
            t.interrupts = []
            t.stop = "cancelled"
        elif state.interrupts:
            known = {p.id: p for p in t.interrupts}
            fresh: list[PendingInterrupt] = []
            for item in state.interrupts:
                ns = tuple(item.ns or ()) or (known[item.id].ns if item.id in known else ())
                fresh.append(PendingInterrupt(id=item.id, value=item.value, ns=ns))
            t.interrupts = fresh
            t.stop = "question"
        elif state.next and (state.cancelled or self._cancel_requested):
            t.interrupts = []
            t.stop = "cancelled"
        elif state.next:
            t.interrupts = []
            t.stop = "breakpoint"
        elif self._cancel_requested:
            t.interrupts = []
            t.stop = "cancelled"
        else:
            t.interrupts = []
            t.stop = None
        t.touch_meta()

    def _end_notice(self, run_status: str | None) -> str | None:
        if self.transcript.stop != "cancelled":
            return None
        if run_status == "rolled_back":
            return "the run was rolled back: it no longer exists on the server"
        if self._cancel_requested:
            return "the run was cancelled"
        return (
            "the run was stopped on the server (cancelled elsewhere, or superseded by a newer run)"
        )

    def _finish(self) -> RunOutcome:
        t = self.transcript
        outcome = self.outcome
        outcome.thread_id = self.thread_id
        outcome.run_id = self.run_id
        if t.run_id is None:
            t.run_id = self.run_id
        outcome.interrupts = list(t.interrupts)
        if t.stop == "error":
            outcome.status = "error"
            outcome.error = f"{t.error['error']}: {t.error['message']}" if t.error else "error"
        elif t.stop == "cancelled":
            outcome.status = "cancelled"
        elif t.stop in ("question", "breakpoint"):
            outcome.status = "interrupted"
        else:
            outcome.status = "success"
        return outcome
