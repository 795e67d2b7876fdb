"""Follow one thread live: the runs other clients start on it, as typed updates.

Agents do not only run when this client starts them: another client, a cron or a colleague
start runs on the same thread. :class:`ThreadFollower` watches a thread and yields what
happens there:

- :class:`RunStarted`: a run began (its id, its assistant, and whether it was already going
  when it was seen: ``late``);
- :class:`RunEvents`: the run's streamed events, already applied to the follower's
  transcript by the same :class:`~bbot_tui.stream.reducer.Reducer` as the client's own runs;
- :class:`RunEnded`: the run is over and the transcript was reconciled with the thread state
  by the same :class:`~bbot_tui.session.reconciler.Reconciler` as the client's own runs
  (stored messages replace the previews, a cancelled run's preview stays flagged unsaved, the
  pending interrupts and the stop kind come from the state and the run's status); its
  :class:`~bbot_tui.session.run.RunOutcome` says how it ended and what it asks;
- :class:`FollowNotice`: the connection's news (following, reconnecting, polling).

**The thread stream** (``GET /threads/{id}/stream``, docs/PROTOCOL.md) carries every run of
the thread on one connection: a ``metadata`` event ``{"run_id", "attempt"}`` starts a run, its
events follow, ``metadata {"status": "run_done", "run_id"}`` ends it; ``: heartbeat`` comments
come every 5 s. Events have ids; after a drop the stream is reopened with ``Last-Event-ID``
(stepped back one millisecond, duplicates dropped by
:class:`~bbot_tui.stream.rejoin.Deduplicator`). The server replays only **resumable** runs: so
after a reconnect the thread's runs are listed once, and a run that ended unseen (or came and
went while the stream was down) is reconciled from the state. A run whose end never arrives is
checked after ``watchdog`` quiet seconds.

**Polling** replaces the stream on servers without it (a 404, a 405 or an answer that is not
an event stream): the thread's runs are listed with a back-off that doubles while nothing
changes (:attr:`ThreadFollower.next_delay`), and a run found going is joined through its own
stream (:meth:`RunSession.join <bbot_tui.session.run.RunSession.join>`), or, where that fails
too, its status is polled until it ends.

The follower never cancels a run: it only reads. Nothing here imports Textual.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias, TypeVar

from bbot_tui.api import errors
from bbot_tui.api.client import AgentClient, StreamResponse
from bbot_tui.api.events import StreamEvent
from bbot_tui.api.literals import ThreadStreamMode
from bbot_tui.api.models import Run
from bbot_tui.session.core import RETRYABLE, backoff, retry_delay
from bbot_tui.session.reconciler import Reconciler
from bbot_tui.session.run import RunOutcome, RunSession
from bbot_tui.stream.rejoin import Deduplicator
from bbot_tui.stream.transcript import Transcript

__all__ = [
    "FollowMode",
    "FollowNotice",
    "FollowPhase",
    "FollowStats",
    "FollowUpdate",
    "RunEnded",
    "RunEvents",
    "RunStarted",
    "ThreadFollower",
]

FollowMode: TypeAlias = Literal["stream", "poll"]
"""How the thread is followed: its live stream, or polling its runs."""
FollowPhase: TypeAlias = Literal["following", "reconnecting", "polling", "waiting"]
"""What a :class:`FollowNotice` is about."""

_T = TypeVar("_T")

_UNSUPPORTED = (errors.NotFound, errors.WrongContentType)
"""Answers of a server without the thread stream (a 405 is checked by status)."""
_KEEP_RUN_IDS = 256
"""Ended run ids remembered (a replayed ``run_done`` of one of them is ignored)."""
_KEEP_DELIVERED = 64
"""Event identities kept between runs for de-duplicating the next reconnect's replay."""


@dataclass(frozen=True, slots=True)
class RunStarted:
    """A run began on the thread (started by another client, or before the follow began).

    Attributes:
        run: the run as the server describes it (``run_id``, ``assistant_id``, ``metadata``).
        late: the run was already going when it was seen: its first events were missed (the
            end's reconciliation brings the whole answer).
    """

    run: Run
    late: bool = False

    @property
    def run_id(self) -> str:
        """The run's id."""
        return self.run.run_id

    @property
    def assistant_id(self) -> str | None:
        """The assistant that runs."""
        return self.run.assistant_id


@dataclass(frozen=True, slots=True)
class RunEvents:
    """Events of the current run, already applied to the follower's transcript."""

    run_id: str
    events: list[StreamEvent]


@dataclass(frozen=True, slots=True)
class RunEnded:
    """A run is over and the transcript equals the thread state.

    Attributes:
        outcome: success, interrupted (with the pending interrupts), error or cancelled.
        run_status: the server's status of the run (``success``, ``error``, ``interrupted``
            for a cancel, ``timeout``…), ``rolled_back`` when it no longer exists.
    """

    outcome: RunOutcome
    run_status: str | None

    @property
    def run_id(self) -> str | None:
        """The run's id."""
        return self.outcome.run_id


@dataclass(frozen=True, slots=True)
class FollowNotice:
    """News about the connection, for a status bar or stderr."""

    text: str
    phase: FollowPhase


FollowUpdate: TypeAlias = RunStarted | RunEvents | RunEnded | FollowNotice
"""What :meth:`ThreadFollower.updates` yields."""


@dataclass(slots=True)
class FollowStats:
    """Counters of one follow.

    Attributes:
        connections: thread or run streams opened.
        reconnects: thread-stream connections reopened after a drop or a close.
        events: events applied to the transcript.
        duplicates: replayed events dropped after a reconnect.
        polls: run listings made while polling.
        runs: runs reported (:class:`RunStarted`).
    """

    connections: int = 0
    reconnects: int = 0
    events: int = 0
    duplicates: int = 0
    polls: int = 0
    runs: int = 0


@dataclass(slots=True)
class _Current:
    run: Run
    skip: bool
    late: bool
    started: float = field(default_factory=time.monotonic)


def _phantom(event: StreamEvent) -> bool:
    """An unnamed event without data: a heartbeat some parsers turn into an event."""
    return event.event == "message" and event.size == 0


def _control(event: StreamEvent) -> tuple[str, str] | None:
    """``("start" | "done", run_id)`` for the thread stream's run markers, else None."""
    if event.mode != "metadata" or event.ns or not isinstance(event.data, dict):
        return None
    run_id = event.data.get("run_id")
    if not isinstance(run_id, str) or not run_id:
        return None
    if event.data.get("status") == "run_done":
        return "done", run_id
    return "start", run_id


def _unsupported(exc: errors.ApiError) -> bool:
    """Whether an error opening the thread stream means the server has none."""
    return isinstance(exc, _UNSUPPORTED) or getattr(exc, "status", None) in (405, 501)


class ThreadFollower:
    """Follows one thread and yields :data:`FollowUpdate` items until it is cancelled.

    Args:
        client: the profile's client.
        thread_id: the thread to follow.
        transcript: the transcript to fill (a new one by default); the thread's stored
            messages are loaded into it first.
        skip: runs for which this returns True are not reported nor applied (the TUI's own
            runs, which its :class:`~bbot_tui.session.run.RunSession` shows already).
        watchdog: quiet seconds during a run after which its status is checked (its end may
            have been lost).
        poll_min, poll_max: the polling back-off's bounds, in seconds.
        reconnect_max: the longest wait between two reconnects, in seconds.
        use_stream: False polls from the start (tests; servers known to lack the stream).
        load: False when ``transcript`` shows the thread already (the TUI's open thread,
            which its own run session may be filling): it is not read again at the start.
        stream_mode: what the thread stream carries; ``lifecycle`` (runs' starts and ends
            only, each end reconciled from the state) costs next to nothing where nobody
            watches the tokens (the TUI's background follows). None: every event.

    Attributes:
        session: the :class:`RunSession` whose reducer and transcript the followed runs fill
            (it also joins a run's own stream while polling).
        mode: ``stream`` or ``poll`` once following, None before.
        stats: counters (connections, reconnects, events, polls…).
        next_delay: seconds until the next poll (polling only).
    """

    def __init__(
        self,
        client: AgentClient,
        thread_id: str,
        *,
        transcript: Transcript | None = None,
        skip: Callable[[Run], bool] | None = None,
        watchdog: float = 20.0,
        poll_min: float = 0.5,
        poll_max: float = 10.0,
        reconnect_max: float = 10.0,
        use_stream: bool = True,
        load: bool = True,
        stream_mode: ThreadStreamMode | None = None,
    ) -> None:
        self.client = client
        self.thread_id = thread_id
        self.session = RunSession(client, transcript)
        self._reconciler = Reconciler(client, self.session.reducer)
        self.skip = skip
        self.watchdog = watchdog
        self.poll_min = poll_min
        self.poll_max = poll_max
        self.reconnect_max = reconnect_max
        self.use_stream = use_stream
        self.load = load
        self.stream_mode: ThreadStreamMode | None = stream_mode
        self.mode: FollowMode | None = None
        self.stats = FollowStats()
        self.next_delay = poll_min
        self._current: _Current | None = None
        self._seen: set[str] = set()
        self._ended: deque[str] = deque(maxlen=_KEEP_RUN_IDS)
        self._dedup = Deduplicator()
        self._orphans_checked = 0.0
        self._opened = False
        self._join_ok = True

    @property
    def transcript(self) -> Transcript:
        """The transcript the followed runs fill (the thread's conversation)."""
        return self.session.transcript

    @property
    def current_run_id(self) -> str | None:
        """The run being followed now, if any."""
        return self._current.run.run_id if self._current else None

    # --- the flow -----------------------------------------------------------------------------

    async def updates(self) -> AsyncIterator[FollowUpdate]:
        """Load the thread, then follow it until cancelled.

        Raises:
            NotFound: the thread does not exist (or was deleted while followed).
            ApiError: another failure that retrying cannot heal (authentication…).
        """
        if self.load:
            await self.session.load_thread(self.thread_id)
        else:
            self.session.thread_id = self.thread_id
        runs = await self.client.runs.list(self.thread_id, limit=10)
        # runs over (or going) are the past; a pending run is one to report when it starts
        self._seen.update(r.run_id for r in runs if r.status != "pending")
        going = [r for r in runs if r.status == "running"]
        if going:
            async for update in self._start(going[-1], late=True):
                yield update
        if self.use_stream:
            try:
                async for update in self._follow_stream():
                    yield update
            except _StreamUnsupported as exc:
                yield FollowNotice(
                    f"the server has no thread stream ({exc}); polling the thread's runs",
                    "polling",
                )
        async for update in self._follow_poll():
            yield update

    # --- the thread stream ----------------------------------------------------------------------

    async def _follow_stream(self) -> AsyncIterator[FollowUpdate]:
        self.mode = "stream"
        attempt = 0
        while True:
            if self._dedup.last_id is None:
                cursor = self._dedup.new_connection(rejoin=False)
            else:
                cursor = self._dedup.new_connection(rejoin=True)
            ctx = self.client.threads.stream(
                self.thread_id, last_event_id=cursor, stream_mode=self.stream_mode
            )
            delivered = self.stats.events
            self._opened = False
            try:
                async for update in self._consume(ctx, reconnected=self.stats.connections > 0):
                    yield update
                reason = "the server closed the thread stream"
            except errors.Unprocessable:
                if self.stream_mode is not None and not self._opened:
                    self.stream_mode = None  # a server that has no such mode: every event
                    reason = "the server refused the stream mode"
                elif cursor is None or self._opened:
                    raise
                else:
                    self._dedup = Deduplicator()  # the cursor was refused: go on from now
                    reason = "the server refused the resume cursor"
            except errors.ApiError as exc:
                if not self._opened and _unsupported(exc):
                    if isinstance(exc, errors.NotFound):
                        await self.client.threads.get(self.thread_id)  # NotFound: deleted
                    raise _StreamUnsupported(exc.message) from None
                if not isinstance(exc, RETRYABLE):
                    raise
                reason = exc.message
            attempt = 1 if self.stats.events > delivered else attempt + 1
            delay = min(self.reconnect_max, backoff(attempt))
            self.stats.reconnects += 1
            yield FollowNotice(f"{reason}; reconnecting in {delay:.1f} s…", "reconnecting")
            await asyncio.sleep(delay)

    async def _consume(self, ctx: Any, *, reconnected: bool) -> AsyncIterator[FollowUpdate]:
        """Read one connection through a pump task; a quiet run is checked by the watchdog."""
        queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()

        async def pump() -> None:
            try:
                async with ctx as response:
                    await queue.put(("open", response))
                    async for batch in response.batches():
                        real = [e for e in batch if not _phantom(e)]
                        if real:
                            await queue.put(("batch", real))
                await queue.put(("eof", None))
            except errors.ApiError as exc:
                await queue.put(("error", exc))

        task = asyncio.create_task(pump())
        try:
            while True:
                try:
                    # not wait_for: on 3.11 it can swallow a cancel landing as get() completes
                    async with asyncio.timeout(self.watchdog if self._current else None):
                        kind, item = await queue.get()
                except TimeoutError:
                    async for update in self._check_quiet_run():
                        yield update
                    continue
                if kind == "open":
                    _response: StreamResponse = item
                    self._opened = True
                    self.stats.connections += 1
                    if reconnected:
                        async for update in self._resync():
                            yield update
                        yield FollowNotice("reconnected to the thread stream", "following")
                    else:
                        yield FollowNotice("following the thread (live stream)", "following")
                elif kind == "batch":
                    before = self._dedup.dropped
                    events = self._dedup.filter(item)
                    self.stats.duplicates += self._dedup.dropped - before
                    async for update in self._route(events):
                        yield update
                elif kind == "eof":
                    return
                else:
                    raise item
        finally:
            if not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    async def _route(self, events: list[StreamEvent]) -> AsyncIterator[FollowUpdate]:
        """Split a batch at the run markers and hand each part to its run."""
        pending: list[StreamEvent] = []
        for event in events:
            control = _control(event)
            if control is not None:
                kind, run_id = control
                current = self.current_run_id
                if kind == "done":
                    for update in self._flush(pending):
                        yield update
                    async for update in self._run_done(run_id):
                        yield update
                    continue
                if run_id != current:
                    for update in self._flush(pending):
                        yield update
                    if run_id in self._ended:
                        continue  # a replayed start of a run already over
                    if self._current is not None:
                        async for update in self._end_current():  # its end never came
                            yield update
                    async for update in self._start_id(run_id, late=False):
                        yield update
            elif self._current is None:
                async for update in self._adopt_orphan():
                    yield update
            if self._current is not None and not self._current.skip:
                pending.append(event)
        for update in self._flush(pending):
            yield update

    def _flush(self, pending: list[StreamEvent]) -> list[FollowUpdate]:
        if not pending or self._current is None:
            return []
        events = list(pending)
        pending.clear()
        self.session.reducer.apply_batch(events)
        self.stats.events += len(events)
        return [RunEvents(self._current.run.run_id, events)]

    async def _run_done(self, run_id: str) -> AsyncIterator[FollowUpdate]:
        if self.current_run_id == run_id:
            async for update in self._end_current():
                yield update
        elif run_id not in self._ended and run_id not in self._seen:
            # a run that came and went before any of its events was seen
            async for update in self._start_id(run_id, late=True):
                yield update
            if self.current_run_id == run_id:
                async for update in self._end_current():
                    yield update

    async def _adopt_orphan(self) -> AsyncIterator[FollowUpdate]:
        """Events without a known run: the run's start was missed; find the run going."""
        now = time.monotonic()
        if now - self._orphans_checked < 1.0:
            return
        self._orphans_checked = now
        runs = await self._list_runs()
        going = [r for r in runs if r.active and r.run_id not in self._ended]
        if going:
            async for update in self._start(going[-1], late=True):
                yield update

    async def _resync(self) -> AsyncIterator[FollowUpdate]:
        """After a reconnect: end the run that ended unseen, report the runs of the gap."""
        runs = await self._list_runs()
        by_id = {r.run_id: r for r in runs}
        current = self._current
        if current is not None:
            run = by_id.get(current.run.run_id)
            if run is None:
                run = await self._get_run(current.run.run_id)
            # a resumable run's tail and end come with the replay; the watchdog backs that up
            if (run is None or not run.active) and not _resumable(current.run):
                async for update in self._end_current(run):
                    yield update
        for run in reversed(runs):  # oldest first
            if run.run_id in self._seen or _resumable(run):
                continue  # a resumable run is replayed from the cursor
            if run.active:
                if self._current is None:
                    async for update in self._start(run, late=True):
                        yield update
            else:
                async for update in self._start(run, late=True):
                    yield update
                async for update in self._end_current(run):
                    yield update

    async def _check_quiet_run(self) -> AsyncIterator[FollowUpdate]:
        current = self._current
        if current is None:
            return
        run = await self._get_run(current.run.run_id)
        if run is None or not run.active:
            async for update in self._end_current(run):
                yield update
        else:
            quiet = f"no event for {self.watchdog:.0f} s"
            yield FollowNotice(f"{quiet}; run {run.run_id} is {run.status}", "waiting")

    # --- polling --------------------------------------------------------------------------------

    async def _follow_poll(self) -> AsyncIterator[FollowUpdate]:
        self.mode = "poll"
        self.next_delay = self.poll_min
        while True:
            changed = False
            try:
                async for update in self._poll_once():
                    changed = True
                    yield update
            except RETRYABLE as exc:
                yield FollowNotice(f"{exc.message}; polling again…", "polling")
            if changed:
                self.next_delay = self.poll_min
            else:
                self.next_delay = min(self.poll_max, self.next_delay * 2)
            await asyncio.sleep(self.next_delay)

    async def _poll_once(self) -> AsyncIterator[FollowUpdate]:
        """List the runs once: end the run that is over, report new ones, follow one going."""
        runs = await self._list_runs(polling=True)
        going = {r.run_id for r in runs if r.active}
        if self._current is not None and self._current.run.run_id not in going:
            async for update in self._end_current():
                yield update
        for run in reversed(runs):  # oldest first
            if run.run_id in self._seen:
                continue
            if self._current is not None:
                break  # one run at a time: the next ones wait for its end
            async for update in self._start(run, late=True):
                yield update
            if not run.active:
                async for update in self._end_current(run):
                    yield update
        if self._current is None or self._current.skip:
            return
        if self._join_ok:
            try:
                async for update in self._join_current():
                    yield update
            except errors.ApiError as exc:
                self._join_ok = not _unsupported(exc)
                yield FollowNotice(f"{exc.message}; polling the run's status", "polling")
        if self._current is not None:
            async for update in self._wait_current():
                yield update

    async def _join_current(self) -> AsyncIterator[FollowUpdate]:
        """Follow the current run through its own stream: events, then the session's end."""
        assert self._current is not None
        run_id = self._current.run.run_id
        self.stats.connections += 1
        async for update in self.session.join(self.thread_id, run_id, last_event_id="-1"):
            if update.events:
                self.stats.events += len(update.events)
                yield RunEvents(run_id, list(update.events))
            elif update.notice and update.phase not in ("done", "joining", "streaming"):
                yield FollowNotice(update.notice, "waiting")
        run = await self._get_run(run_id)
        self._current = None
        self._ended.append(run_id)
        yield RunEnded(self.session.outcome, run.status if run is not None else "rolled_back")

    async def _wait_current(self) -> AsyncIterator[FollowUpdate]:
        """Poll the current run's status with a back-off until it ends, then reconcile."""
        assert self._current is not None
        delay = self.poll_min
        while True:
            run = await self._get_run(self._current.run.run_id)
            if run is None or not run.active:
                async for update in self._end_current(run):
                    yield update
                return
            await asyncio.sleep(delay)
            delay = min(self.poll_max, delay * 2)

    # --- runs ---------------------------------------------------------------------------------

    async def _start_id(self, run_id: str, *, late: bool) -> AsyncIterator[FollowUpdate]:
        run = await self._get_run(run_id)
        if run is None:
            self._seen.add(run_id)
            self._ended.append(run_id)  # rolled back before it could be read
            return
        async for update in self._start(run, late=late):
            yield update

    async def _start(self, run: Run, *, late: bool) -> AsyncIterator[FollowUpdate]:
        self._seen.add(run.run_id)
        skip = bool(self.skip and self.skip(run))
        self._current = _Current(run, skip, late)
        if skip:
            return
        self.session.reducer.begin_run()
        self.stats.runs += 1
        yield RunStarted(run, late)

    async def _end_current(self, run: Run | None = None) -> AsyncIterator[FollowUpdate]:
        """Reconcile the current run with the thread state and report how it ended.

        The run stays current until its final status was read: a failure leaves it to the
        next resync or watchdog check. A state that cannot be read keeps the preview, with a
        warning in the transcript (as for the client's own runs).
        """
        current = self._current
        if current is None:
            return
        run_id = current.run.run_id
        status: str | None = None
        if not current.skip:
            if run is None or run.active:
                run = await self._settled(run_id)
            status = run.status if run is not None else "rolled_back"
            deadline = time.monotonic() + 30.0
            await self._reconciler.settle(
                self.thread_id, run_status=status, cancel=None, deadline=deadline
            )
            self.session.reducer.end_run(time.monotonic())
        self._current = None
        self._ended.append(run_id)
        if len(self._dedup.delivered) > 4 * _KEEP_DELIVERED:
            self._dedup = Deduplicator(
                delivered=self._dedup.delivered[-_KEEP_DELIVERED:],
                last_id=self._dedup.last_id,
                dropped=self._dedup.dropped,
            )
        if status is not None:
            yield RunEnded(self._outcome(run_id, status), status)

    async def _settled(self, run_id: str) -> Run | None:
        """The run once its status is final (it can trail the stream's end for a moment)."""
        delay = 0.05
        deadline = time.monotonic() + 10.0
        while True:
            run = await self._get_run(run_id)
            if run is None or not run.active or time.monotonic() > deadline:
                return run
            await asyncio.sleep(delay)
            delay = min(1.0, delay * 2)

    def _outcome(self, run_id: str, status: str) -> RunOutcome:
        t = self.transcript
        if t.run_id is None:
            t.run_id = run_id
        outcome = RunOutcome(thread_id=self.thread_id, run_id=run_id)
        outcome.interrupts = list(t.interrupts)
        outcome.duplicates_dropped = self.stats.duplicates
        if t.stop == "error" or status in ("error", "timeout"):
            outcome.status = "error"
            if t.error:
                outcome.error = f"{t.error['error']}: {t.error['message']}"
            else:
                outcome.error = f"the run ended with status {status}"
        elif t.stop == "cancelled" or status in ("interrupted", "rolled_back"):
            outcome.status = "cancelled"
        elif t.stop in ("question", "breakpoint"):
            outcome.status = "interrupted"
        return outcome

    # --- requests ---------------------------------------------------------------------------------

    async def _get_run(self, run_id: str) -> Run | None:
        """The run (None once deleted), retrying what a retry can heal."""
        try:
            return await self._retrying(lambda: self.client.runs.get(self.thread_id, run_id))
        except errors.NotFound:
            return None

    async def _list_runs(self, *, polling: bool = False) -> list[Run]:
        if polling:
            self.stats.polls += 1
        return await self._retrying(lambda: self.client.runs.list(self.thread_id, limit=10))

    @staticmethod
    async def _retrying(call: Callable[[], Awaitable[_T]]) -> _T:
        """Three tries of a request, with the session's retry delays between them."""
        for attempt in range(1, 4):
            try:
                return await call()
            except RETRYABLE as exc:
                if attempt == 3:
                    raise
                await asyncio.sleep(retry_delay(exc, attempt))
        raise AssertionError("unreachable")


class _StreamUnsupported(Exception):
    """The server has no thread stream: follow by polling."""


def _resumable(run: Run) -> bool:
    """Whether the server keeps the run's events for a replay (``stream_resumable``)."""
    return bool((run.kwargs or {}).get("resumable"))
