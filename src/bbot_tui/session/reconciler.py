"""Ending a run on what the server saved: the thread state replaces the preview.

A streamed transcript is a preview; the thread state is the truth (``docs/PROTOCOL.md``,
"The connection state machine", RECONCILE). :class:`Reconciler` reads the state once a run is
over, has the reducer make the transcript's messages equal the stored ones, and classifies the
stop from the state and the run's status: a pending question, a breakpoint, a cancel (a run
``interrupted`` by a cancel keeps its unsaved preview, flagged; a rolled-back one, 404, loses
it), an error, or a plain end. When the state cannot be read the preview stays, with a warning.

Nothing here imports Textual.
"""

from __future__ import annotations

import asyncio
import time

from bbot_tui.api import errors
from bbot_tui.api.client import AgentClient
from bbot_tui.api.models import ThreadState
from bbot_tui.session.core import RETRYABLE, retry_delay
from bbot_tui.stream.reducer import Reducer
from bbot_tui.stream.transcript import PendingInterrupt

__all__ = ["STOPPED", "Reconciler", "at_rest", "end_notice"]

STOPPED = ("interrupted", "rolled_back")
"""Run statuses of a run stopped before its end: cancelled, or deleted with a rollback."""


def at_rest(state: ThreadState, run_id: str, stop: str | None) -> bool:
    """Whether a thread state read after a run's stream ended shows that run over, whole.

    A stream that closed is not proof that its run ended (``docs/PROTOCOL.md``, "Resumable
    runs, rejoin and seams"); the state read to reconcile is the cheapest witness. It shows the
    run over when it is this run's (its checkpoint's ``metadata.run_id``) and at rest: the
    graph finished (no ``next``), or it stopped where the stream said it would (a question, a
    breakpoint, an error event). Anything else (another run's state, a run mid-way, a failure
    or a question the stream never showed) is evidence that the stream lost its tail.

    Args:
        state: the thread state.
        run_id: the run whose stream ended.
        stop: what the stream itself said about the stop (the transcript's ``stop``).
    """
    if (state.metadata or {}).get("run_id") != run_id:
        return False
    if stop == "error":
        return True  # the error event ended the run (its failed task stays in ``next``)
    if any(task.error for task in state.tasks):
        return False  # it failed, and the stream never said so
    if state.interrupts:
        return stop == "question"
    if state.next:
        return stop == "breakpoint"
    return True


def end_notice(stop: str | None, run_status: str | None, cancel: str | None) -> str | None:
    """The sentence that says why a run stopped early, or None when it was not cancelled.

    Args:
        stop: the transcript's stop kind.
        run_status: the run's last status (``rolled_back`` for a 404).
        cancel: the cancel this client requested, if any.
    """
    if stop != "cancelled":
        return None
    if run_status == "rolled_back":
        return "the run was rolled back: it no longer exists on the server"
    if cancel:
        return "the run was cancelled"
    return "the run was stopped on the server (cancelled elsewhere, or superseded by a newer run)"


class Reconciler:
    """Reads a thread's state and makes the transcript equal it.

    Args:
        client: the profile's client.
        reducer: the reducer whose transcript is reconciled.

    Attributes:
        last_state: the thread state read at the last stop (the TUI shows it at a
            breakpoint), or None before any.
    """

    def __init__(self, client: AgentClient, reducer: Reducer) -> None:
        self._client = client
        self._reducer = reducer
        self.last_state: ThreadState | None = None

    async def settle(
        self, thread_id: str, *, run_status: str | None, cancel: str | None, deadline: float
    ) -> None:
        """Reconcile once a run is over; if the state cannot be read, keep the preview.

        A network failure, a 5xx or a 429 is tried again (three reads at most, not past
        ``deadline``); any failure left ends in a warning, and a stopped run is then shown
        cancelled with its preview.
        """
        failure: errors.ApiError | None = None
        for attempt in range(1, 4):
            try:
                await self.reconcile(thread_id, run_status=run_status, cancel=cancel)
                return
            except RETRYABLE as exc:
                if attempt == 3 or time.monotonic() > deadline:
                    failure = exc
                    break
                await asyncio.sleep(retry_delay(exc, attempt))
            except errors.ApiError as exc:
                failure = exc
                break
        assert failure is not None
        self._reducer.warn(f"could not read the final state ({failure.message})")
        t = self._reducer.transcript
        if t.stop != "error" and run_status in STOPPED:
            t.interrupts, t.stop = [], "cancelled"
            t.touch_meta()

    async def reconcile(
        self, thread_id: str, *, run_status: str | None, cancel: str | None = None
    ) -> ThreadState:
        """Read the thread state, replace the previews with it, then classify the stop.

        A run whose status is ``interrupted`` was cancelled (a question from ``interrupt()``
        ends in ``success``): the answer it was streaming was never saved, so its preview
        stays, flagged unsaved. A rolled-back run (404) was deleted on purpose: its preview
        goes.

        Raises:
            ApiError: the state could not be read.
        """
        state = await self._client.threads.get_state(thread_id, subgraphs=True)
        self.apply(state, run_status=run_status, cancel=cancel)
        return state

    def apply(self, state: ThreadState, *, run_status: str | None, cancel: str | None) -> None:
        """Make the transcript equal a state already read (see :meth:`reconcile`)."""
        self._reducer.reconcile(state.messages, keep_unsaved=run_status == "interrupted")
        self.classify(state, run_status=run_status, cancel=cancel)

    def shows_run_whole(self, state: ThreadState, run_id: str) -> bool:
        """Whether ``state``, read after a run's stream ended by itself, shows that the stream
        was whole: the run is over (:func:`at_rest`) and every message of it streamed as
        stored (:meth:`~bbot_tui.stream.reducer.Reducer.stream_gaps`). Changes nothing."""
        t = self._reducer.transcript
        return at_rest(state, run_id, t.stop) and self._reducer.stream_gaps(state.messages) == 0

    def show(self, state: ThreadState) -> None:
        """Show a thread opened at rest: its stored messages, pending interrupts and stop."""
        self._reducer.load_messages(state.messages)
        self._reducer.reconcile(state.messages)
        self.classify(state, run_status=None, cancel=None)

    def classify(self, state: ThreadState, *, run_status: str | None, cancel: str | None) -> None:
        """Set the transcript's stop, interrupts and next nodes from the thread state.

        Args:
            state: the thread state.
            run_status: the run's last status, if known (``rolled_back`` for a 404).
            cancel: the cancel this client requested, if any.
        """
        self.last_state = state
        t = self._reducer.transcript
        t.next_nodes = list(state.next)
        if t.stop == "error" or run_status == "error":
            t.stop = "error"
        elif run_status in STOPPED:
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
        elif state.next and (state.cancelled or cancel):
            t.interrupts = []
            t.stop = "cancelled"
        elif state.next:
            t.interrupts = []
            t.stop = "breakpoint"
        elif cancel:
            t.interrupts = []
            t.stop = "cancelled"
        else:
            t.interrupts = []
            t.stop = None
        t.touch_meta()
