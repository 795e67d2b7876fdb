"""The run flow shared by the TUI and the headless CLI: start, resume, cancel, rejoin.

A :class:`RunSession` drives one thread's runs through the connection state machine of
``docs/PROTOCOL.md`` ("The connection state machine") and yields :class:`SessionUpdate`
batches while a run streams::

    POSTING --error before headers--> FINDING (runs by metadata.client_request_id)
            --found--> JOINING(-1) --not found--> re-POST (at most twice)
    STREAMING --transport error--> BACKOFF -> JOINING(cursor stepped back)
              --clean EOF--> CHECKING (GET run): pending|running -> JOINING;
                             interrupted -> stopped; 404 -> rolled back;
                             finished -> DRAIN (one rejoin) -> RECONCILE
              --no real event for `watchdog` s--> poll the run, say so
    RECONCILE: GET /threads/{t}/state replaces the streamed preview (after a cancel, the
               preview the state lacks stays, flagged unsaved).

The session owns the posting (and the decision to look a run up before posting again) and
hands the rest to collaborators, each with its own state and tests:

- :class:`~bbot_tui.session.reader.StreamReader` reads one connection (pump, watchdog);
- :class:`~bbot_tui.session.finder.RunFinder` finds a run whose POST lost its answer;
- :class:`~bbot_tui.session.rejoiner.Rejoiner` follows a run after its first connection
  (status checks, rejoins, the drain);
- :class:`~bbot_tui.session.reconciler.Reconciler` ends a run on the thread state;
- :class:`~bbot_tui.stream.reducer.Reducer` turns the events into the transcript.

Nothing here imports Textual; the TUI runs it in a worker, the CLI in ``asyncio.run``.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

from bbot_tui.api import errors
from bbot_tui.api.client import AgentClient, StreamResponse
from bbot_tui.api.literals import CancelAction, RunProtocol
from bbot_tui.api.models import Command, RunCreate, RunCreateStateless, ThreadState
from bbot_tui.session.core import (
    ACTIVE,
    MAX_POSTS,
    RETRYABLE,
    RunOutcome,
    SessionUpdate,
    backoff,
    retry_delay,
)
from bbot_tui.session.event_run import (
    EventStreamReader,
    UnsupportedOption,
    respond_answers,
    run_start_params,
)
from bbot_tui.session.finder import REQUEST_ID, RunFinder
from bbot_tui.session.reader import StreamReader
from bbot_tui.session.reconciler import Reconciler, end_notice
from bbot_tui.session.rejoiner import Rejoiner, preview_stopped
from bbot_tui.session.starter import ThreadStarter
from bbot_tui.stream.event_protocol import TERMINAL, EventReducer
from bbot_tui.stream.inputs import input_media, with_input_message_id
from bbot_tui.stream.reducer import Reducer
from bbot_tui.stream.rejoin import Deduplicator
from bbot_tui.stream.transcript import Transcript

__all__ = ["RunOutcome", "RunSession", "SessionUpdate", "build_command", "session_body"]


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


def session_body(
    body: RunCreate | RunCreateStateless, *, thread_id: str | None
) -> RunCreate | RunCreateStateless:
    """The body :meth:`RunSession.run` streams (``bbot-tui run --as`` prints the same).

    A run on a thread is made resumable (``stream_resumable``, ``on_disconnect=continue``)
    unless the caller set those, and tagged with ``metadata.client_request_id`` so a POST that
    fails before its answer is looked up instead of sent twice. A stateless body is unchanged.
    """
    if not (isinstance(body, RunCreate) or thread_id is not None):
        return body
    updates: dict[str, Any] = {}
    if "stream_resumable" not in body.model_fields_set:
        updates["stream_resumable"] = True
    if "on_disconnect" not in body.model_fields_set:
        updates["on_disconnect"] = "continue"  # a dropped stream must not stop the run
    metadata = dict(body.metadata or {})
    metadata.setdefault(REQUEST_ID, uuid.uuid4().hex)
    updates["metadata"] = metadata
    body = body.model_copy(update=updates)
    body.__pydantic_fields_set__.update(updates)
    return body


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
        protocol: ``runs`` (the runs API), ``events`` (the thread-centric event protocol,
            :mod:`bbot_tui.session.event_run`) or ``auto`` (the event protocol where the
            server offers it and the run's options fit it, else the runs API).

    Attributes:
        client: the client.
        reducer: the reducer filling :attr:`transcript`.
        thread_id, run_id: the current (or last) run, as soon as known.
        outcome: how the current (or last) run went.
        on_run: see above (may be set after construction).
        rejoin_budget: see above.
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
        protocol: RunProtocol = "runs",
    ) -> None:
        self.client = client
        self.protocol: RunProtocol = protocol
        """Which protocol the next runs use (see Args)."""
        self.reducer = Reducer(transcript)
        self.rejoin_budget = rejoin_budget
        self.on_run = on_run
        self.outcome = RunOutcome()
        self.thread_id: str | None = None
        self.run_id: str | None = None
        self._cancel: CancelAction | None = None
        """The cancel this client requested for the current run, if any."""
        self._polled = False
        """Whether the watchdog asked for the current run's status (its stream went quiet)."""
        self._generation = 0
        """Counts runs started: a run's late reconcile must not touch a newer run's view."""
        self._reader = StreamReader(self._poll_run, watchdog=watchdog, stall_limit=stall_limit)
        self._finder = RunFinder(client)
        self._reconciler = Reconciler(client, self.reducer)
        self._events = EventReducer(self.reducer)
        self._event_reader = EventStreamReader(client, self._events, watchdog=watchdog)

    @property
    def transcript(self) -> Transcript:
        """The transcript being filled."""
        return self.reducer.transcript

    @property
    def last_state(self) -> ThreadState | None:
        """The thread state read at the last stop (the TUI shows it at a breakpoint)."""
        return self._reconciler.last_state

    # --- opening a thread ---------------------------------------------------------------

    async def load_thread(self, thread_id: str) -> ThreadState:
        """Show a thread's stored messages and pending interrupts."""
        state = await self.client.threads.get_state(thread_id)
        self.thread_id = thread_id
        self._reconciler.show(state)
        return state

    # --- starting runs ------------------------------------------------------------------

    def run(
        self,
        body: RunCreate | RunCreateStateless,
        *,
        thread_id: str | None,
        user_text: str | None = None,
        new_thread: dict[str, Any] | None = None,
    ) -> AsyncIterator[SessionUpdate]:
        """Stream a run on ``thread_id`` (or stateless when None).

        Runs on a thread are made resumable (``stream_resumable``, ``on_disconnect=continue``)
        unless the caller set those, and tagged with ``metadata.client_request_id`` so a POST
        that fails before its answer is looked up instead of sent twice.

        The updates end with ``done``; from ``reconciling`` on, the run's stream is over and
        the caller may start the next run (see :data:`~bbot_tui.session.core.Phase`).

        Args:
            body: the run.
            thread_id: the thread (an id the caller chose, with ``new_thread``).
            user_text: the user's message in the input, shown at once with the id it is sent
                with.
            new_thread: the metadata of a thread to create for this run under ``thread_id``
                (a new conversation); the run itself creates it where the server can, so
                the first token costs one request (see :mod:`bbot_tui.session.starter`).
        """
        body = session_body(body, thread_id=thread_id)
        if user_text:
            body, message_id = with_input_message_id(body, user_text)
            media = input_media(body.input, user_text)
            self.transcript.add_user_message(user_text, message_id, media)
        starter = None
        if new_thread is not None and thread_id is not None:
            starter = ThreadStarter(self.client, thread_id, new_thread)
        if self.protocol == "runs":
            return self._run(body, thread_id, starter)
        return self._dispatch(body, thread_id, starter)

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
        """Run with the wait endpoint and fill the transcript from the final state.

        Raises:
            UnsupportedOption: ``protocol`` is ``events`` (its runs stream; ``auto`` waits
                over the runs API).
        """
        if self.protocol == "events":
            raise UnsupportedOption(["a waited run"], "the event protocol streams runs")
        if user_text:
            body, message_id = with_input_message_id(body, user_text)
            media = input_media(body.input, user_text)
            self.transcript.add_user_message(user_text, message_id, media)
        self.reducer.begin_run()
        result = await self.client.runs.wait(thread_id, body)
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
            self.reducer.add_interrupts(result.interrupts)
        if self.thread_id and isinstance(body, RunCreate):
            with contextlib.suppress(errors.ApiError):
                await self._reconciler.reconcile(self.thread_id, run_status=None)
        self.reducer.end_run(time.monotonic())
        return self._finish()

    async def cancel(self, *, action: CancelAction = "interrupt") -> bool:
        """Stop the current run on the server (a 404 means it had already stopped)."""
        if not (self.thread_id and self.run_id):
            return False
        self._cancel = action
        return await self.client.runs.cancel(self.thread_id, self.run_id, action=action)

    # --- the thread-centric event protocol -----------------------------------------------

    async def _dispatch(
        self,
        body: RunCreate | RunCreateStateless,
        thread_id: str | None,
        starter: ThreadStarter | None,
    ) -> AsyncIterator[SessionUpdate]:
        """Run over the event protocol, or over the runs API when ``auto`` finds it unfit."""
        plan = await self._events_plan(body, thread_id)
        if plan is None:
            async for update in self._run(body, thread_id, starter):
                yield update
            return
        assert thread_id is not None and isinstance(body, RunCreate)
        async for update in self._run_events(body, thread_id, starter, plan):
            yield update

    async def _events_plan(
        self, body: RunCreate | RunCreateStateless, thread_id: str | None
    ) -> dict[str, Any] | None:
        """What the event protocol sends for ``body``, or None to use the runs API.

        Raises:
            UnsupportedOption: ``protocol`` is ``events`` and the run cannot go over it.
            ConfigError: ``protocol`` is ``events`` and the server does not offer it.
        """
        strict = self.protocol == "events"
        if thread_id is None or not isinstance(body, RunCreate):
            if strict:
                raise UnsupportedOption(["a stateless run"], "the protocol runs on a thread")
            return None
        try:
            offer = await self.client.events.offers()
        except errors.ApiError:
            if strict:
                raise
            return None
        if not offer.offered:
            if strict:
                raise errors.ConfigError(
                    "the server does not offer the thread-centric event protocol",
                    hint="run with --protocol runs or auto (or the profile's protocol)",
                )
            return None
        try:
            if body.command is not None:
                answers, update, goto = respond_answers(body, self.transcript.interrupts)
                return {"answers": answers, "update": update, "goto": goto}
            return {"params": run_start_params(body)}
        except UnsupportedOption:
            if strict:
                raise
            return None  # auto: the runs API carries these options

    async def _run_events(
        self,
        body: RunCreate,
        thread_id: str,
        starter: ThreadStarter | None,
        plan: dict[str, Any],
    ) -> AsyncIterator[SessionUpdate]:
        """One run over the thread-centric event protocol (``docs/PROTOCOL.md``).

        ``run.start`` (or ``input.respond``) starts it, the thread's event stream shows it
        (:class:`~bbot_tui.session.event_run.EventStreamReader`: reconnects from the last
        sequence id, a ``resume_gap`` said), and its end is reconciled with the thread state
        as with the runs API.
        """
        self._start(RunOutcome(thread_id=thread_id, protocol="events"))
        self.thread_id, self.run_id = thread_id, None
        yield SessionUpdate([], "starting the run…", "posting")
        if starter is not None:
            await starter.create()
        events = self.client.events
        if "answers" in plan:
            config = body.config.model_dump(exclude_none=True) if body.config else None
            await events.respond(
                thread_id,
                plan["answers"],
                update=plan["update"],
                goto=plan["goto"],
                config=config,
                metadata=body.metadata,
            )
            newest = await self.client.runs.list(thread_id, limit=1)
            if not newest:
                raise errors.ProtocolError("input.respond: no run was started")
            run_id = newest[0].run_id
        else:
            run_id = await events.start_run(thread_id, plan["params"])
        self._set_run(thread_id, run_id)
        reader = self._event_reader
        async for update in reader.follow(thread_id, run_id):
            yield update
        run_status: str | None = None
        if reader.gap:
            yield SessionUpdate(
                [],
                "the server could not replay the missed events (resume gap); "
                "waiting for the run to end…",
                "checking",
            )
            run_status = await self._run_end(thread_id, run_id)
        elif (
            self._cancel is not None
            or self._events.status not in TERMINAL
            or (self._events.status == "interrupted" and not self.transcript.interrupts)
        ):
            run_status = await self._run_end(thread_id, run_id)
        self.reducer.end_run(time.monotonic())
        self.outcome.rejoins = reader.reconnects
        self.outcome.duplicates_dropped = reader.duplicates
        self._finish()
        if self.on_run:
            self.on_run(thread_id, None)
        yield SessionUpdate([], "fetching the final state…", "reconciling")
        await self._reconciler.settle(
            thread_id,
            run_status=run_status,
            cancel=self._cancel,
            deadline=time.monotonic() + self.rejoin_budget,
        )
        self._finish()
        notice = end_notice(self.transcript.stop, run_status, self._cancel)
        if reader.gap:
            notice = (
                "the server could not replay the events missed while reconnecting (resume "
                "gap): the transcript was reconciled with the thread's state"
            )
            self.reducer.warn(notice)
        yield SessionUpdate([], notice, "done")

    async def _run_end(self, thread_id: str, run_id: str) -> str | None:
        """Wait (up to the rejoin budget) until the run is over; its last status."""
        deadline = time.monotonic() + self.rejoin_budget
        attempt = 0
        while True:
            run = None
            try:
                run = await self.client.runs.get(thread_id, run_id)
            except errors.NotFound:
                return "rolled_back"
            except RETRYABLE:
                pass
            if run is not None and run.status not in ACTIVE:
                return run.status
            if time.monotonic() > deadline:
                return None if run is None else run.status
            attempt += 1
            await asyncio.sleep(min(1.0, backoff(attempt)))

    # --- the state machine ------------------------------------------------------------

    async def _run(
        self,
        body: RunCreate | RunCreateStateless,
        thread_id: str | None,
        starter: ThreadStarter | None,
    ) -> AsyncIterator[SessionUpdate]:
        self._start(RunOutcome(thread_id=thread_id))
        self.thread_id, self.run_id = thread_id, None
        dedup = Deduplicator()
        resumable = bool(getattr(body, "stream_resumable", False)) and thread_id is not None
        preview = True
        clean = False
        yield SessionUpdate([], "starting the run…", "posting")
        if starter is not None and isinstance(body, RunCreate):
            if starter.with_run:
                body = starter.body(body)
            else:
                await starter.create()
        posts = 0
        while True:
            posts += 1
            stream_ctx = (
                self.client.runs.stream(thread_id, body)
                if thread_id is not None and isinstance(body, RunCreate)
                else self.client.runs.stream_stateless(body)  # type: ignore[arg-type]
            )
            try:
                async for update in self._read(stream_ctx, dedup):
                    yield update
                clean = not self._polled
                break
            except (errors.NotFound, errors.Unprocessable) as exc:
                if starter is None or self.run_id is not None or not isinstance(body, RunCreate):
                    raise
                if not starter.refused(exc):
                    await starter.take_back()  # refused on the thread made for it
                    raise
                # this server does not create threads with runs: the thread first, then again
                yield SessionUpdate([], "creating the thread…", "posting")
                await starter.create()
                body = starter.plain(body)
                posts -= 1
            except errors.StreamTooLarge as exc:
                if thread_id is None or self.run_id is None:
                    raise
                preview_stopped(self.reducer, exc)
                preview = False
                break
            except RETRYABLE as exc:
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
                    if posts >= MAX_POSTS:
                        raise
                    delay = retry_delay(exc, posts)
                    yield SessionUpdate(
                        [], f"rate limited (HTTP 429); retrying in {delay:.0f} s…", "posting"
                    )
                    await asyncio.sleep(delay)
                    continue
                if thread_id is None:
                    raise
                # the POST failed before its answer: the run may exist anyway
                yield SessionUpdate([], f"{exc.message}; looking the run up…", "finding")
                found = await self._finder.find(thread_id, body.metadata or {})
                if found is not None:
                    self._set_run(thread_id, found.run_id)
                    break
                if posts >= MAX_POSTS:
                    raise
                yield SessionUpdate(
                    [],
                    f"no run was created; sending it again ({posts + 1}/{MAX_POSTS})…",
                    "posting",
                )
                await asyncio.sleep(backoff(posts))
            except errors.HttpError:
                if starter is not None and self.run_id is None:
                    await starter.take_back()  # a refused run leaves no thread behind
                raise
        if self.run_id is not None and thread_id is not None:
            async for update in self._settle(thread_id, dedup, resumable, preview, clean):
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
        preview = True
        clean = False
        yield SessionUpdate([], "joining the run…", "joining")
        ctx = self.client.runs.join_stream(thread_id, run_id, last_event_id=last_event_id)
        try:
            async for update in self._read(ctx, dedup):
                yield update
            clean = not self._polled
        except errors.StreamTooLarge as exc:
            preview_stopped(self.reducer, exc)
            preview = False
        except RETRYABLE:
            pass  # the rejoiner rejoins
        async for update in self._settle(thread_id, dedup, True, preview, clean):
            yield update

    def _read(
        self,
        stream_ctx: contextlib.AbstractAsyncContextManager[StreamResponse],
        dedup: Deduplicator,
    ) -> AsyncIterator[SessionUpdate]:
        """Read a run's first connection (the run id may come with its headers)."""
        return self._reader.read(
            stream_ctx,
            dedup,
            rejoin=False,
            on_events=self.reducer.apply_batch,
            on_open=self._opened,
        )

    async def _settle(
        self, thread_id: str, dedup: Deduplicator, resumable: bool, preview: bool, clean: bool
    ) -> AsyncIterator[SessionUpdate]:
        """Make sure the run is over, reconcile with the thread state, and finish.

        A stream that ended cleanly (its own end, not a failure or the watchdog) is checked
        with the one request reconciling needs anyway: the thread state, read behind the
        ``reconciling`` update (the caller may go on from there). Only when that state shows
        a lost tail (:meth:`~bbot_tui.session.reconciler.Reconciler.shows_run_whole`) is the
        run followed the long way: its status, rejoins and a drain
        (:class:`~bbot_tui.session.rejoiner.Rejoiner`), then the state again.
        """
        run_id = self.run_id
        assert run_id is not None
        if clean and preview and self._cancel is None:
            generation = self._generation
            self._end(dedup)
            if self.on_run:
                self.on_run(thread_id, None)
            yield SessionUpdate([], None, "reconciling")
            try:
                state = await self.client.threads.get_state(thread_id, subgraphs=True)
            except errors.ApiError:
                state = None  # read again below, with retries
            if generation != self._generation:
                return  # a newer run owns the transcript; its own end reconciles it
            if (
                state is not None
                and self._cancel is None
                and self._reconciler.shows_run_whole(state, run_id)
            ):
                self._reconciler.apply(state, run_status=None, cancel=None)
                self._finish()
                yield SessionUpdate([], None, "done")
                return
            # a lost tail: follow the run the long way (it may still be going)
            if self.on_run:
                self.on_run(thread_id, run_id)
        tail = Rejoiner(
            self.client,
            self._reader,
            self.reducer,
            thread_id=thread_id,
            run_id=run_id,
            dedup=dedup,
            outcome=self.outcome,
            resumable=resumable,
            preview=preview,
            budget=self.rejoin_budget,
        )
        async for update in tail.follow():
            yield update
        yield SessionUpdate([], "fetching the final state…", "reconciling")
        await self._reconciler.settle(
            thread_id, run_status=tail.run_status, cancel=self._cancel, deadline=tail.deadline
        )
        self._end(dedup)
        if self.on_run:
            self.on_run(thread_id, None)
        notice = end_notice(self.transcript.stop, tail.run_status, self._cancel)
        yield SessionUpdate([], notice, "done")

    def _end(self, dedup: Deduplicator) -> None:
        """The run's stream is over: previews stop streaming, the outcome is set."""
        self.reducer.end_run(time.monotonic())
        self.outcome.duplicates_dropped = dedup.dropped
        self._finish()

    # --- the current run ----------------------------------------------------------------

    def _start(self, outcome: RunOutcome) -> None:
        self.reducer.begin_run()
        self._events.begin_run()
        self.outcome = outcome
        self._cancel = None
        self._polled = False
        self._generation += 1

    def _opened(self, response: StreamResponse) -> None:
        if response.run_id and self.run_id is None:
            self._set_run(self.thread_id or response.thread_id, response.run_id)

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

    async def _poll_run(self) -> tuple[str | None, str]:
        """The watchdog's question after a quiet spell: the run's status and a notice."""
        self._polled = True
        quiet = f"no event for {self._reader.watchdog:.0f} s"
        if not (self.thread_id and self.run_id):
            return None, f"{quiet}; still waiting…"
        try:
            run = await self.client.runs.get(self.thread_id, self.run_id)
        except errors.NotFound:
            return "rolled_back", f"{quiet}; the run no longer exists"
        except errors.ApiError as exc:
            return None, f"{quiet} ({exc.message})"
        return run.status, f"{quiet}; the run is {run.status}, waiting…"

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
