"""The run flow shared by the TUI and the headless CLI: start, resume, cancel, rejoin.

A :class:`RunSession` drives one thread's runs through the connection state machine of
RELIABILITY §7.1 and yields :class:`SessionUpdate` batches while a run streams::

    POSTING --error before headers--> FINDING (runs by metadata.client_request_id)
            --found--> JOINING(-1) --not found--> re-POST (at most twice)
    STREAMING --transport error--> BACKOFF -> JOINING(cursor stepped back)
              --clean EOF--> CHECKING (GET run): pending|running -> JOINING;
                             interrupted -> stopped; 404 -> rolled back;
                             finished -> DRAIN (one rejoin) -> RECONCILE
              --no real event for `watchdog` s--> poll the run, say so
    RECONCILE: GET /threads/{t}/state replaces the streamed preview.

Nothing here imports Textual; the TUI runs it in a worker, the CLI in ``asyncio.run``.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from .api import errors
from .api.client import AgentClient, StreamResponse
from .api.models import Command, Run, RunCreate, RunCreateStateless, ThreadState
from .stream.events import StreamEvent
from .stream.inputs import with_input_message_id
from .stream.reducer import Reducer
from .stream.rejoin import Deduplicator
from .stream.transcript import PendingInterrupt, Transcript

__all__ = ["RunOutcome", "RunSession", "SessionUpdate", "build_command"]


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


def build_command(
    *,
    resume: Any = None,
    resume_map: dict[str, Any] | None = None,
    update: Any = None,
    goto: Any = None,
    has_resume: bool = False,
) -> Command:
    """Build a validated ``command``.

    Args:
        resume: one answer for the pending interrupt (used when ``has_resume``).
        resume_map: answers by interrupt id (several pending interrupts at once).
        update: a state update applied first.
        goto: node name(s) or Send(s).
        has_resume: whether ``resume`` was given (``None`` is a valid answer).
    """
    fields: dict[str, Any] = {}
    if resume_map:
        fields["resume"] = dict(resume_map)
    elif has_resume:
        fields["resume"] = resume
    if update is not None:
        fields["update"] = update
    if goto is not None:
        fields["goto"] = goto
    return Command.model_validate(fields)


_MAX_POSTS = 3
"""POSTs of one run at most (a re-POST only after the run was looked up and not found)."""
_RETRYABLE = (errors.TransportError, errors.ServerError, errors.RateLimited)
"""Failures worth another try: the network, a 5xx (often a proxy's HTML page), a 429."""
_ACTIVE = ("pending", "running")


def _backoff(attempt: int) -> float:
    base: float = min(5.0, 0.25 * (2**attempt))
    return base * (1 + random.random() * 0.25)


def _retry_delay(exc: errors.ApiError, attempt: int) -> float:
    """Seconds to wait before retrying: ``Retry-After`` (capped at 60 s) or the backoff."""
    if isinstance(exc, errors.RateLimited) and exc.retry_after is not None:
        return exc.retry_after
    return _backoff(attempt)


def _phantom(event: StreamEvent) -> bool:
    """An unnamed event without data: a heartbeat some parsers turn into an event (S12)."""
    return event.event == "message" and event.size == 0


class RunSession:
    """Runs on one server through one client, with an evolving transcript.

    Args:
        client: the profile's client.
        transcript: the transcript to fill (a new one by default).
        watchdog: seconds without a real event before the run's status is polled (a run
            that is over while its stream stays open is then no longer read).
        rejoin_budget: seconds to keep trying to rejoin while the run is still going.
        stall_limit: seconds without a real event after which the connection is closed and
            rejoined (a stream of heartbeats or dribbled bytes never trips the read
            timeout); None never does.
        on_run: called with ``(thread_id, run_id)`` as soon as a run is known, and with
            ``(thread_id, None)`` when it ended (the TUI persists it to rejoin after a
            restart).
    """

    def __init__(
        self,
        client: AgentClient,
        transcript: Transcript | None = None,
        *,
        watchdog: float = 60.0,
        rejoin_budget: float = 120.0,
        on_run: Callable[[str | None, str | None], None] | None = None,
        stall_limit: float | None = None,
    ) -> None:
        self.client = client
        self.reducer = Reducer(transcript)
        self.watchdog = watchdog
        self.rejoin_budget = rejoin_budget
        self.stall_limit = stall_limit
        self.on_run = on_run
        self.outcome = RunOutcome()
        self.thread_id: str | None = None
        self.run_id: str | None = None
        self._cancel_requested: str | None = None
        self._preview = True  # False once a size cap stopped the live preview
        self.last_state: ThreadState | None = None
        """The thread state read at the last stop (the TUI shows it at a breakpoint)."""

    @property
    def transcript(self) -> Transcript:
        """The transcript being filled."""
        return self.reducer.transcript

    # --- opening a thread ---------------------------------------------------------------

    async def load_thread(self, thread_id: str) -> ThreadState:
        """Show a thread's stored messages and pending interrupts."""
        state = await self.client.get_state(thread_id)
        self.thread_id = thread_id
        self.reducer.load_messages(state.messages)
        self.reducer.reconcile(state.messages)
        self._apply_stop(state, run_status=None)
        return state

    # --- starting runs ------------------------------------------------------------------

    def run(
        self,
        body: RunCreate | RunCreateStateless,
        *,
        thread_id: str | None,
        user_text: str | None = None,
    ) -> AsyncIterator[SessionUpdate]:
        """Stream a run on ``thread_id`` (or stateless when None).

        Runs on a thread are made resumable (``stream_resumable``, ``on_disconnect=continue``)
        unless the caller set those, and tagged with ``metadata.client_request_id`` so a POST
        that fails before its answer is looked up instead of sent twice.
        """
        if isinstance(body, RunCreate) or thread_id is not None:
            updates: dict[str, Any] = {}
            if "stream_resumable" not in body.model_fields_set:
                updates["stream_resumable"] = True
            if "on_disconnect" not in body.model_fields_set:
                updates["on_disconnect"] = "continue"  # a dropped stream must not stop the run
            metadata = dict(body.metadata or {})
            metadata.setdefault("client_request_id", uuid.uuid4().hex)
            updates["metadata"] = metadata
            body = body.model_copy(update=updates)
            body.__pydantic_fields_set__.update(updates)
        if user_text:
            body, message_id = with_input_message_id(body, user_text)
            self.transcript.add_user_message(user_text, message_id)
        return self._run(body, thread_id)

    def join(
        self, thread_id: str, run_id: str, *, last_event_id: str | None = "-1"
    ) -> AsyncIterator[SessionUpdate]:
        """Follow a run that is already going (replaying from ``last_event_id``)."""
        return self._join(thread_id, run_id, last_event_id)

    async def wait(
        self,
        body: RunCreate | RunCreateStateless,
        *,
        thread_id: str | None,
        user_text: str | None = None,
    ) -> RunOutcome:
        """Run with the wait endpoint and fill the transcript from the final state."""
        if user_text:
            body, message_id = with_input_message_id(body, user_text)
            self.transcript.add_user_message(user_text, message_id)
        self.reducer.begin_run()
        result = await self.client.wait_run(thread_id, body)
        self.thread_id = result.thread_id or thread_id
        self.run_id = result.run_id
        t = self.transcript
        t.run_id, t.thread_id = self.run_id, self.thread_id
        if result.error is not None:
            t.error = {"error": result.error.error, "message": result.error.detail}
            t.stop = "error"
            t.new_message(None, "error").set_text(str(result.error))
        values = result.values if isinstance(result.values, dict) else {}
        if isinstance(values.get("messages"), list):
            self.reducer.reconcile(values["messages"])
        if result.interrupts:
            self.reducer._interrupts(result.interrupts, ())
        if self.thread_id and isinstance(body, RunCreate):
            with contextlib.suppress(errors.ApiError):
                await self._reconcile(self.thread_id, run_status=None)
        self.reducer.end_run(time.monotonic())
        return self._finish()

    async def cancel(self, *, action: Literal["interrupt", "rollback"] = "interrupt") -> bool:
        """Stop the current run on the server (a 404 means it had already stopped)."""
        if not (self.thread_id and self.run_id):
            return False
        self._cancel_requested = action
        return await self.client.cancel_run(self.thread_id, self.run_id, action=action)

    # --- the state machine ------------------------------------------------------------

    async def _run(
        self, body: RunCreate | RunCreateStateless, thread_id: str | None
    ) -> AsyncIterator[SessionUpdate]:
        self._start(RunOutcome(thread_id=thread_id))
        self.thread_id, self.run_id = thread_id, None
        dedup = Deduplicator()
        resumable = bool(getattr(body, "stream_resumable", False)) and thread_id is not None
        yield SessionUpdate([], "starting the run…", "posting")
        posts = 0
        while True:
            posts += 1
            stream_ctx = (
                self.client.stream_run(thread_id, body)
                if thread_id is not None and isinstance(body, RunCreate)
                else self.client.stream_stateless(body)  # type: ignore[arg-type]
            )
            try:
                async for update in self._consume(stream_ctx, dedup, rejoin=False):
                    yield update
                break
            except errors.StreamTooLarge as exc:
                if thread_id is None or self.run_id is None:
                    raise
                self._stop_preview(exc)
                break
            except _RETRYABLE as exc:
                if isinstance(exc, errors.ConnectFailed) or self.run_id is not None:
                    if thread_id is None and self.run_id is not None:
                        raise errors.ConnectionDropped(
                            f"{exc.message}; a stateless run cannot be rejoined",
                            hint="events may be lost; the run goes on on the server",
                        ) from None
                    if self.run_id is not None:
                        break  # the stream had started: rejoin (or follow, if not resumable)
                    raise  # nothing answered: no run was created
                if isinstance(exc, errors.RateLimited):
                    if posts >= _MAX_POSTS:
                        raise
                    delay = _retry_delay(exc, posts)
                    yield SessionUpdate(
                        [], f"rate limited (HTTP 429); retrying in {delay:.0f} s…", "posting"
                    )
                    await asyncio.sleep(delay)
                    continue
                if thread_id is None:
                    raise
                # the POST failed before its answer: the run may exist anyway
                yield SessionUpdate([], f"{exc.message}; looking the run up…", "finding")
                found = await self._find_run(thread_id, body.metadata or {})
                if found is not None:
                    self._set_run(thread_id, found.run_id)
                    break
                if posts >= _MAX_POSTS:
                    raise
                yield SessionUpdate(
                    [],
                    f"no run was created; sending it again ({posts + 1}/{_MAX_POSTS})…",
                    "posting",
                )
                await asyncio.sleep(_backoff(posts))
        if self.run_id is not None and thread_id is not None:
            async for update in self._after_stream(thread_id, dedup, resumable):
                yield update
        else:
            self.reducer.end_run(time.monotonic())
            self._finish()
            yield SessionUpdate([], None, "done")

    async def _join(
        self, thread_id: str, run_id: str, last_event_id: str | None
    ) -> AsyncIterator[SessionUpdate]:
        self._start(RunOutcome(thread_id=thread_id, run_id=run_id))
        self._set_run(thread_id, run_id)
        dedup = Deduplicator()
        dedup.last_id = None if last_event_id in (None, "-1") else last_event_id
        yield SessionUpdate([], "joining the run…", "joining")
        ctx = self.client.join_stream(thread_id, run_id, last_event_id=last_event_id)
        try:
            async for update in self._consume(ctx, dedup, rejoin=False):
                yield update
        except errors.StreamTooLarge as exc:
            self._stop_preview(exc)
        except _RETRYABLE:
            pass  # the state machine below rejoins
        async for update in self._after_stream(thread_id, dedup, resumable=True):
            yield update

    def _start(self, outcome: RunOutcome) -> None:
        self.reducer.begin_run()
        self.outcome = outcome
        self._cancel_requested = None
        self._preview = True

    def _stop_preview(self, exc: errors.ApiError) -> None:
        """A size cap was hit: stop streaming, the final state is fetched when the run ends."""
        self._preview = False
        self.reducer._warn(f"{exc.message}; the live preview stopped, the final state follows")

    async def _after_stream(
        self, thread_id: str, dedup: Deduplicator, resumable: bool
    ) -> AsyncIterator[SessionUpdate]:
        """Rejoin while the run goes on, drain once, then reconcile with the thread state."""
        assert self.run_id is not None
        deadline = time.monotonic() + self.rejoin_budget
        attempt = 0
        drained = False
        run_status: str | None = None
        while self.transcript.stop != "error":
            try:
                run = await self.client.get_run(thread_id, self.run_id)
                run_status = run.status
            except errors.NotFound:
                run_status = "rolled_back"
            except _RETRYABLE as exc:
                if time.monotonic() > deadline:
                    raise
                attempt += 1
                yield SessionUpdate([], f"{exc.message}; retrying…", "checking")
                await asyncio.sleep(_retry_delay(exc, attempt))
                continue
            if run_status not in _ACTIVE:
                if drained or not resumable or not self._preview or run_status == "rolled_back":
                    break
                drained = True  # one last rejoin picks up events lost at the tail
            elif not self._preview:
                yield SessionUpdate([], f"the run is {run_status}; waiting for its end…", "waiting")
                await asyncio.sleep(min(2.0, _backoff(attempt)))
                attempt += 1
                continue
            elif not resumable:
                yield SessionUpdate(
                    [],
                    "connection lost; this run was not resumable, events may be lost",
                    "rejoining",
                )
            self.outcome.rejoins += 1
            cursor = dedup.new_connection(rejoin=resumable)
            ctx = self.client.join_stream(thread_id, self.run_id, last_event_id=cursor)
            if not drained:
                yield SessionUpdate(
                    [], f"rejoining the stream (#{self.outcome.rejoins})…", "rejoining"
                )
            before = len(dedup.delivered)
            seen = before + dedup.dropped  # progress: events delivered or aligned (replayed)
            try:
                async for update in self._consume(ctx, dedup, rejoin=True):
                    yield update
            except errors.StreamTooLarge as exc:
                self._stop_preview(exc)
            except errors.NotFound:
                run_status = "rolled_back"
                break
            except _RETRYABLE as exc:
                if time.monotonic() > deadline:
                    raise
                attempt = 0 if len(dedup.delivered) + dedup.dropped > seen else attempt + 1
                yield SessionUpdate([], f"{exc.message}; rejoining…", "rejoining")
                await asyncio.sleep(_retry_delay(exc, attempt))
                drained = False
            else:
                if len(dedup.delivered) > before:
                    deadline = time.monotonic() + self.rejoin_budget
                    attempt = 0
                elif not drained:  # closed at once without news: don't spin
                    if time.monotonic() > deadline:
                        raise errors.ConnectionDropped(
                            f"the stream kept closing for {self.rejoin_budget:.0f} s",
                            hint="the run may still be going; open the thread later",
                        )
                    attempt += 1
                    await asyncio.sleep(_backoff(attempt))
        yield SessionUpdate([], "fetching the final state…", "reconciling")
        await self._final_state(thread_id, run_status, deadline)
        self.reducer.end_run(time.monotonic())
        self.outcome.duplicates_dropped = dedup.dropped
        self._finish()
        if self.on_run:
            self.on_run(thread_id, None)
        yield SessionUpdate([], self._end_notice(run_status), "done")

    async def _final_state(self, thread_id: str, run_status: str | None, deadline: float) -> None:
        """Reconcile with the thread state; if it cannot be read, keep the preview and say so."""
        for attempt in range(1, 4):
            try:
                await self._reconcile(thread_id, run_status=run_status)
                return
            except _RETRYABLE as exc:
                if attempt == 3 or time.monotonic() > deadline:
                    failure: errors.ApiError = exc
                    break
                await asyncio.sleep(_retry_delay(exc, attempt))
            except errors.ApiError as exc:
                failure = exc
                break
        self.reducer._warn(f"could not read the final state ({failure.message})")
        t = self.transcript
        if t.stop != "error" and run_status in ("interrupted", "rolled_back"):
            t.interrupts, t.stop = [], "cancelled"
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

    async def _consume(
        self, stream_ctx: Any, dedup: Deduplicator, *, rejoin: bool
    ) -> AsyncIterator[SessionUpdate]:
        """Read one connection through a pump task, with the no-progress watchdog."""
        queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()

        async def pump() -> None:
            try:
                async with stream_ctx as response:
                    await queue.put(("open", response))
                    async for batch in response.batches():
                        real = [e for e in batch if not _phantom(e)]
                        if real:  # phantoms are no progress: they never reach the queue
                            await queue.put(("batch", real))
                await queue.put(("eof", None))
            except errors.ApiError as exc:
                await queue.put(("error", exc))

        if not rejoin:
            dedup.new_connection(rejoin=False)
        task = asyncio.create_task(pump())
        last_real = time.monotonic()
        try:
            while True:
                try:
                    # not wait_for: on 3.11 it swallows a cancel (Ctrl+C, Escape) that lands
                    # as queue.get() completes, which a burst of events makes likely
                    async with asyncio.timeout(self.watchdog):
                        kind, item = await queue.get()
                except TimeoutError:
                    status, notice = await self._watchdog_check()
                    yield SessionUpdate([], notice, "waiting")
                    if status is not None and status not in _ACTIVE:
                        return  # the run is over, yet its stream stays open: stop reading
                    idle = time.monotonic() - last_real
                    if self.stall_limit is not None and idle >= self.stall_limit:
                        raise errors.RequestTimeout(
                            f"no event for {idle:.0f} s", hint="the stream is rejoined"
                        ) from None
                    continue
                last_real = time.monotonic()
                if kind == "open":
                    response: StreamResponse = item
                    if response.run_id and self.run_id is None:
                        self._set_run(self.thread_id or response.thread_id, response.run_id)
                    yield SessionUpdate([], None, "streaming")
                elif kind == "batch":
                    events = dedup.filter(item)
                    if events:
                        self.reducer.apply_batch(events)
                        yield SessionUpdate(events, None, "streaming")
                elif kind == "eof":
                    return
                else:
                    raise item
        finally:
            if not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    async def _watchdog_check(self) -> tuple[str | None, str]:
        """Poll the run after ``watchdog`` quiet seconds: its status and a notice."""
        quiet = f"no event for {self.watchdog:.0f} s"
        if not (self.thread_id and self.run_id):
            return None, f"{quiet}; still waiting…"
        try:
            run = await self.client.get_run(self.thread_id, self.run_id)
        except errors.NotFound:
            return "rolled_back", f"{quiet}; the run no longer exists"
        except errors.ApiError as exc:
            return None, f"{quiet} ({exc.message})"
        return run.status, f"{quiet}; the run is {run.status}, waiting…"

    async def _find_run(self, thread_id: str, metadata: dict[str, Any]) -> Run | None:
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

    async def _reconcile(self, thread_id: str, *, run_status: str | None) -> None:
        state = await self.client.get_state(thread_id, subgraphs=True)
        self.reducer.reconcile(state.messages)
        self._apply_stop(state, run_status=run_status)

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
