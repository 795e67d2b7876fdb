"""Runs over the thread-centric event protocol: what a run body becomes, and the event stream.

:class:`~bbot_tui.session.run.RunSession` runs over the runs API or, with ``protocol =
"events"``, over the thread-centric protocol (``docs/PROTOCOL.md``, "The thread-centric event
protocol"). This module holds what that path adds:

- :func:`run_start_params` turns a :class:`~bbot_tui.api.models.RunCreate` into ``run.start``
  params, and refuses, naming them, the options the protocol cannot carry
  (:class:`UnsupportedOption`); :func:`respond_answers` turns a resume ``command`` into
  ``input.respond`` answers by interrupt id and namespace (several at once);
- :class:`EventStreamReader` reads a run's events from the thread's event stream: it skips the
  earlier runs the stream replays first, hands this run's events to the
  :class:`~bbot_tui.stream.event_protocol.EventReducer`, reconnects after a drop from the last
  sequence id (de-duplicating the overlap by ``event_id``), and says when the server could not
  replay what was missed (``resume_gap``): the session then reconciles with the thread state
  and says so.

Nothing here imports Textual.
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import AsyncIterator, Sequence
from typing import Any, Final

from bbot_tui.api import errors
from bbot_tui.api.client import AgentClient
from bbot_tui.api.errors import UnsupportedOption
from bbot_tui.api.models import RunCreate
from bbot_tui.api.thread_events import InputAnswer
from bbot_tui.session.core import ACTIVE, RETRYABLE, SessionUpdate, backoff
from bbot_tui.stream.event_protocol import (
    TERMINAL,
    EventReducer,
    ProtocolEvent,
    log_event,
    protocol_event,
    run_of_lifecycle,
)
from bbot_tui.stream.transcript import PendingInterrupt

__all__ = [
    "CARRIED",
    "EventStreamReader",
    "UnsupportedOption",
    "respond_answers",
    "run_start_params",
]

CARRIED: Final = frozenset(
    {
        "assistant_id",
        "input",
        "command",
        "metadata",
        "config",
        "checkpoint_id",
        "checkpoint",
        "multitask_strategy",
        "if_not_exists",
        "stream_mode",
        "stream_subgraphs",
        "stream_resumable",
        "on_disconnect",
        "after_seconds",
    }
)
"""Run options the event protocol carries (some only with some values, see
:func:`run_start_params`); every other option of a run body is refused."""
_MODES_CARRIED: Final = frozenset(
    {"values", "updates", "messages", "messages-tuple", "custom", "tasks", "checkpoints"}
)
OVERLAP: Final = 64
"""How far before the last ``seq`` seen a reconnect starts: the server numbers the events of
each connection itself, and the events it makes up (lifecycle, questions) may land a few places
apart from one connection to the next; what comes twice is dropped by ``event_id``."""
_DEDUP_WINDOW: Final = 4096


def run_start_params(body: RunCreate) -> dict[str, Any]:
    """The ``run.start`` params of a run body.

    ``run.start`` carries ``assistant_id``, ``input``, ``config`` (with a start checkpoint as
    ``config.configurable.checkpoint_id``), ``metadata`` and ``multitaskStrategy``. Of the
    rest: every ``stream_mode`` but ``events`` and ``debug`` is a channel of the stream, and
    subgraphs are always streamed; runs are always resumable, always go on when the client
    goes away, start at once, and create their thread when it does not exist. Anything else
    set (``context``, ``webhook``, ``interrupt_before``/``_after``, ``feedback_keys``,
    ``durability``, ``checkpoint_during``, a ``checkpoint`` in a subgraph, those values) is
    refused, never dropped.

    Raises:
        UnsupportedOption: the body sets an option the protocol cannot carry.
    """
    fields = body.model_fields_set
    refused = sorted(
        name
        for name in fields - CARRIED
        if getattr(body, name) is not None and name not in ("stream_resumable",)
    )
    if body.command is not None:
        refused.append("command (answers go with input.respond)")
    modes = body.stream_mode if isinstance(body.stream_mode, list) else [body.stream_mode]
    bad_modes = [m for m in modes if m is not None and m not in _MODES_CARRIED]
    if bad_modes:
        refused.append(f"stream_mode {', '.join(bad_modes)}")
    if body.on_disconnect == "cancel":
        refused.append("on_disconnect=cancel")
    if body.after_seconds:
        refused.append("after_seconds")
    if body.if_not_exists == "reject":
        refused.append("if_not_exists=reject")
    checkpoint_id = body.checkpoint_id
    if body.checkpoint is not None:
        point = body.checkpoint.model_dump(exclude_none=True)
        if set(point) - {"checkpoint_id", "thread_id"} and point.get("checkpoint_ns"):
            refused.append("checkpoint (in a subgraph)")
        checkpoint_id = checkpoint_id or point.get("checkpoint_id")
    if refused:
        raise UnsupportedOption(refused)
    params: dict[str, Any] = {"assistant_id": body.assistant_id}
    if body.input is not None:
        params["input"] = body.input
    config = body.config.model_dump(exclude_none=True) if body.config is not None else {}
    if checkpoint_id:
        config["configurable"] = {**config.get("configurable", {}), "checkpoint_id": checkpoint_id}
    if config:
        params["config"] = config
    if body.metadata:
        params["metadata"] = body.metadata
    if body.multitask_strategy:
        params["multitaskStrategy"] = body.multitask_strategy
    return params


def respond_answers(
    body: RunCreate, pending: Sequence[PendingInterrupt]
) -> tuple[list[InputAnswer], Any, Any]:
    """The ``input.respond`` answers of a resume ``command``: ``(answers, update, goto)``.

    A resume by interrupt id answers those interrupts (their namespaces from ``pending``); one
    value answers the one pending interrupt. The run's ``config`` and ``metadata`` go along.

    Raises:
        UnsupportedOption: no resume (an update or a jump alone is not a protocol command),
            a single value with several questions pending, or other run options set.
    """
    command = body.command
    if command is None or "resume" not in command.model_fields_set:
        raise UnsupportedOption(
            ["command.update/goto without a resume"], "the protocol resumes questions only"
        )
    extra = sorted(
        n
        for n in body.model_fields_set
        - {"assistant_id", "command", "config", "metadata", "stream_mode", "stream_subgraphs"}
        - {"stream_resumable", "on_disconnect", "input", "multitask_strategy", "if_not_exists"}
        if getattr(body, n) is not None
    )
    if extra:
        raise UnsupportedOption(extra, "with an answer to a question")
    ns_of = {p.id: p.ns for p in pending if p.id}
    resume = command.resume
    if isinstance(resume, dict) and resume and set(resume) <= set(ns_of):
        answers = [InputAnswer(i, v, tuple(ns_of.get(i, ()))) for i, v in resume.items()]
    elif len(ns_of) == 1:
        ((only, ns),) = ns_of.items()
        answers = [InputAnswer(only, resume, tuple(ns))]
    elif isinstance(resume, dict) and resume:
        answers = [InputAnswer(str(i), v) for i, v in resume.items()]
    else:
        raise UnsupportedOption(
            ["command.resume without interrupt ids"],
            f"{len(ns_of)} questions are pending: answer each by its id",
        )
    return answers, command.update, command.goto


class EventStreamReader:
    """Reads one run from a thread's event stream, reconnecting after drops.

    Args:
        client: the profile's client.
        events: the reducer of protocol events (its transcript is the session's).
        watchdog: seconds without an event before the run's status is asked.
        reconnects: reconnects in a row without an event, at most.
        quiet: seconds the stream may stay quiet after the run's end before it is closed
            (the server may still send a question or the final state right after).

    Attributes:
        cursors: the last ``seq`` seen per thread (a later run there starts from it).
        reconnects: reconnects during the last run.
        duplicates: replayed events dropped during the last run.
        gap: the server could not replay what a reconnect missed (``resume_gap``).
    """

    def __init__(
        self,
        client: AgentClient,
        events: EventReducer,
        *,
        watchdog: float = 60.0,
        reconnects: int = 8,
        quiet: float = 0.3,
    ) -> None:
        self._client = client
        self._events = events
        self.watchdog = watchdog
        self.max_reconnects = reconnects
        self.quiet = quiet
        self.cursors: dict[str, int] = {}
        self.reconnects = 0
        self.duplicates = 0
        self.gap = False
        self._seen: collections.deque[str] = collections.deque(maxlen=_DEDUP_WINDOW)
        self._seen_set: set[str] = set()

    async def follow(self, thread_id: str, run_id: str) -> AsyncIterator[SessionUpdate]:
        """Yield the run's events (applied) until it ended, or the stream cannot go on.

        Raises:
            ApiError: the stream failed for good (more than ``reconnects`` drops in a row, or
                an error that is not worth another try).
        """
        self.reconnects = self.duplicates = 0
        self.gap = False
        ours = False
        ended = False
        failures = 0
        cursor = self.cursors.get(thread_id)
        # a later run on the thread: from a little before the cursor (the earlier runs'
        # made-up events may be numbered a few places apart on this connection)
        since = None if cursor is None else max(0, cursor - OVERLAP)
        reconnecting = False
        while True:
            opened_since = since
            got = False
            try:
                async with self._client.events.stream(thread_id, since=since) as response:
                    batches = response.batches().__aiter__()
                    while True:
                        timeout = self.quiet if ended else self.watchdog
                        try:
                            # a timer, not wait_for (a task per read: a third of the time)
                            async with asyncio.timeout(timeout):
                                batch = await batches.__anext__()
                        except StopAsyncIteration:
                            break
                        except TimeoutError:
                            if ended or not await self._active(thread_id, run_id):
                                return
                            # the read was cancelled, and the connection with it: reconnect
                            raise errors.ConnectionDropped(
                                f"no event for {self.watchdog:.0f} s; the run goes on"
                            ) from None
                        shown = []
                        for raw in batch:
                            event = protocol_event(raw)
                            if event is None:
                                continue
                            if event.method == "error":
                                if event.data.get("error") == "resume_gap":
                                    self.gap = True
                                    return
                                continue
                            if reconnecting and event.seq is not None and opened_since is not None:
                                reconnecting = False
                                if event.seq > opened_since + 1:
                                    self.gap = True  # the events in between are gone
                                    return
                            got = True
                            if event.seq is not None:
                                self.cursors[thread_id] = max(
                                    event.seq, self.cursors.get(thread_id, 0)
                                )
                            if self._duplicate(event):
                                continue
                            started = run_of_lifecycle(event)
                            if started is not None and started != run_id:
                                if ours:  # the next run on the thread: ours is over
                                    return
                                continue
                            if started == run_id:
                                ours = True
                            if not ours:
                                continue
                            self._events.apply(event)
                            shown.append(log_event(event))
                            if started == run_id and event.data.get("event") in TERMINAL:
                                ended = True
                        if shown:
                            yield SessionUpdate(shown)
                if ended:
                    return
                raise errors.ConnectionDropped("the event stream ended before the run")
            except RETRYABLE as exc:
                if ended:
                    return
                failures = 0 if got else failures + 1
                if failures > self.max_reconnects:
                    raise
                self.reconnects += 1
                cursor = self.cursors.get(thread_id)
                since = None if cursor is None else max(0, cursor - OVERLAP)
                reconnecting = since is not None
                yield SessionUpdate(
                    [],
                    f"{exc.message}; reconnecting from event {cursor or 0}…",
                    "rejoining",
                )
                await asyncio.sleep(backoff(failures))

    def _duplicate(self, event: ProtocolEvent) -> bool:
        eid = event.event_id
        if eid is None:
            return False
        if eid in self._seen_set:
            self.duplicates += 1
            return True
        if len(self._seen) == self._seen.maxlen:
            self._seen_set.discard(self._seen[0])
        self._seen.append(eid)
        self._seen_set.add(eid)
        return False

    async def _active(self, thread_id: str, run_id: str) -> bool:
        """Whether the run is still going (asked after a quiet spell)."""
        try:
            run = await self._client.runs.get(thread_id, run_id)
        except errors.NotFound:
            return False
        except errors.ApiError:
            return True
        return run.status in ACTIVE
