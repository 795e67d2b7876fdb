"""The run controller of the main screen: send, resume, continue, re-run, open, join, stop, detach.

:class:`RunController` owns the conversation of the open thread: its transcript, the
:class:`~bbot_tui.session.run.RunSession` that fills it, and the run's status in the status bar
(phase, notice, time to first token, speed, rejoins). :meth:`RunController.execute` carries out a
:class:`RunPlan`; the main screen runs it in its one run worker (``group="run"``, exclusive:
starting another detaches from the current one), so a failure is handled by the screen, in one
place. Stop cancels the run on the server, Detach only stops following it. Which runs are
streaming is written down as they start and end (:class:`~.run_ledger.RunLedger`), so the next
start can offer to rejoin one that is still going. The controller is not a widget: it reaches the
screen through :class:`RunHost`, and the thread list through the
:class:`~.thread_browser.ThreadBrowser` it is given.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol

from bbot_tui.stream.transcript import Transcript, content_text, user_message
from bbot_tui.text import one_line

if TYPE_CHECKING:
    from textual.message import Message
    from textual.notifications import SeverityLevel

    from bbot_tui.api.models import Command, Run
    from bbot_tui.session.run import RunOutcome, RunSession, SessionUpdate
    from bbot_tui.session.run_options import RunOptions
    from bbot_tui.stream.timing import RunTiming, TimingLog
    from bbot_tui.tui.screens.app_services import AppServices
    from bbot_tui.tui.screens.run_ledger import RunLedger
    from bbot_tui.tui.screens.thread_browser import ThreadBrowser
    from bbot_tui.tui.widgets.event_log import EventLog
    from bbot_tui.tui.widgets.status_bar import StatusBar

__all__ = ["RememberedRun", "RunController", "RunHost", "RunKind", "RunPlan"]

RunKind = Literal["send", "resume", "continue", "rerun", "open", "join"]
"""What a run plan does."""

DETACHED_NOTE = "detached: the run goes on on the server; open the thread again to follow it"
"""The line under a detached run's answer (which stops growing here)."""

DETACHED_POLL_MAX = 5.0
"""The longest wait, in seconds, between two looks at a detached run."""

_KEEP_OWN = 256
"""How many of this client's run ids are remembered (:meth:`started_here`)."""


@dataclass
class RunPlan:
    """What the run worker should do.

    Attributes:
        kind: send a message, resume (answer an interrupt), continue (from a breakpoint),
            rerun (from a checkpoint), open a thread (rejoining its live run), or join a run.
        text: the message (send).
        command: the command (resume).
        thread_id, run_id: the thread to open / the run to join.
        checkpoint_id: the checkpoint to re-run from, or to send from (a new branch).
        content: the message's content when it is blocks (images and PDFs attached with
            ``@path``: ``bbot_tui.session.attachments``); ``text`` is then what was typed.
        assistant_id: the assistant to run instead of the selected one (answering a question
            of a run another client started with another assistant).
    """

    kind: RunKind
    text: str | None = None
    command: Command | None = None
    thread_id: str | None = None
    run_id: str | None = None
    checkpoint_id: str | None = None
    content: Any = None
    assistant_id: str | None = None


@dataclass(frozen=True)
class RememberedRun:
    """A run that was streaming when the app last closed and still goes on on the server.

    Attributes:
        base_url: Its server.
        thread_id: Its thread.
        run_id: The run.
        status: ``pending`` or ``running``.
    """

    base_url: str
    thread_id: str
    run_id: str
    status: str


class RunHost(Protocol):
    """What the run controller uses of the screen that owns it."""

    @property
    def running(self) -> bool:
        """True while a run streams (the screen offers Stop and Detach)."""
        ...

    @running.setter
    def running(self, value: bool) -> None: ...

    @property
    def services(self) -> AppServices:
        """The app: settings, active profile, client."""
        ...

    @property
    def status_bar(self) -> StatusBar:
        """The status bar (its run fields)."""
        ...

    @property
    def event_log(self) -> EventLog:
        """The raw event log."""
        ...

    def show_transcript(self, transcript: Transcript) -> None:
        """Show a new transcript (the message view and the interrupt card)."""
        ...

    def show_interrupts(self, transcript: Transcript) -> None:
        """The transcript's interrupts may have changed: update the interrupt card."""
        ...

    def sync_mode(self) -> None:
        """Set the composer's mode (and the card's state) from the transcript's stop."""
        ...

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Show a notification."""
        ...

    def cancel_run(self, session: RunSession) -> object:
        """Ask the server to cancel the session's run (in a worker)."""
        ...

    def post_message(self, message: Message) -> bool:
        """Post a message to the screen (it bubbles to the app)."""
        ...

    def refresh_thread(self, thread_id: str) -> object:
        """Show a thread's new status in the thread list (in a worker)."""
        ...

    def watch_detached(self, thread_id: str, run_id: str) -> object:
        """Wait for a detached run to end, then refresh its thread's row (in a worker)."""
        ...

    def drain_run_state(self) -> object:
        """Write the ledger's queued entries (in a worker)."""
        ...


class RunController:
    """The open thread's transcript and run session, the run status, Stop and Detach.

    Args:
        host: The screen that shows the run.
        threads: The thread browser (the selected assistant and the open thread).
        ledger: Where streaming runs are written down.
    """

    def __init__(self, host: RunHost, threads: ThreadBrowser, ledger: RunLedger) -> None:
        self._host = host
        self._threads = threads
        self._ledger = ledger
        self.transcript = Transcript()
        """The open thread's conversation."""
        self.session: RunSession | None = None
        """The session that fills :attr:`transcript` (None until a thread is installed)."""
        self._stop_requested = False
        self._cancel_sent = False
        self._phase = ""
        self._rejoins = 0
        self._card_meta = -1
        """The transcript's ``meta_version`` the interrupt card was last given."""
        self._following: object | None = None
        """The stream being followed (a newer one takes over from a run being reconciled)."""
        self._timings: TimingLog | None = None
        self._own_runs: deque[str] = deque(maxlen=_KEEP_OWN)
        self._pending_request: str | None = None
        """The ``client_request_id`` of the run being started, until its id is known."""
        self.on_thread: Callable[[str | None], None] | None = None
        """Called with the open thread once it is shown whole (opened, or its first run
        made it), and with None when its transcript is replaced (another thread, a new
        conversation): the screen's live follow starts and stops with it."""

    def started_here(self, run: Run) -> bool:
        """Whether this client started (or is showing) ``run``: live follow skips it.

        A run is known by its id (as soon as the session reports it, and when a thread is
        opened on its live run) or, until then, by the ``client_request_id`` its POST
        carried, which is known before the POST is sent. Only the pending request counts:
        a thread made by a run keeps that run's metadata, which later runs of other clients
        inherit.
        """
        from bbot_tui.session.finder import REQUEST_ID

        if run.run_id in self._own_runs:
            return True
        pending = self._pending_request
        return pending is not None and (run.metadata or {}).get(REQUEST_ID) == pending

    def _thread_shown(self, thread_id: str | None) -> None:
        if self.on_thread is not None:
            self.on_thread(thread_id)

    @property
    def timings(self) -> TimingLog:
        """The timings of the open thread's runs that ended (the run details).

        Made on first use: the timing module loads with the first run, not the first frame.
        """
        if self._timings is None:
            from bbot_tui.stream.timing import TimingLog

            self._timings = TimingLog()
        return self._timings

    # --- run options remembered per assistant ------------------------------------------------

    def options(self) -> RunOptions:
        """The selected assistant's remembered run options (defaults if none)."""
        from bbot_tui.session.run_options import RunOptions

        settings = self._host.services.settings
        assistant = self._threads.assistant
        stored = (
            settings.run_options.get(assistant.assistant_id)
            if (settings is not None and assistant is not None)
            else None
        )
        return RunOptions.from_settings(stored)

    def store_options(self, options: RunOptions) -> None:
        """Remember run options for the selected assistant."""
        services = self._host.services
        settings = services.settings
        assistant = self._threads.assistant
        if settings is None or assistant is None:
            return
        run_options = dict(settings.run_options)
        run_options[assistant.assistant_id] = options.to_settings()
        settings.run_options = run_options
        services.save_settings()

    # --- the open thread ----------------------------------------------------------------------

    def install(self, thread_id: str | None, *, remember: bool = True) -> None:
        """Give a thread a fresh transcript and session and show it.

        Args:
            thread_id: The thread (None: a new conversation).
            remember: Save it as the profile's last thread (not while a profile is being
                activated: the saved last thread is still to be reopened).
        """
        from bbot_tui.session.run import RunSession

        host = self._host
        self.transcript = Transcript()
        profile = host.services.profile
        self.session = RunSession(
            host.services.client,
            self.transcript,
            on_run=self._on_run,
            protocol=profile.protocol if profile is not None else "runs",
        )
        if self._timings is not None:
            self._timings.clear()
        self._threads.set_current(thread_id, remember=remember)
        self._thread_shown(None)  # the old transcript went: so does its live follow
        host.show_transcript(self.transcript)
        host.event_log.clear_events()
        bar = host.status_bar
        bar.status, bar.notice, bar.ttft, bar.tokens_per_second, bar.rejoins = (
            "idle",
            "",
            None,
            None,
            0,
        )
        host.sync_mode()

    # --- carrying out a plan ------------------------------------------------------------------

    async def execute(self, plan: RunPlan) -> None:
        """Carry out a plan until its stream ends (run it in the screen's run worker).

        Raises:
            ConfigError: no assistant is selected (to send, resume, continue or re-run).
            ApiError: the server refused or could not be reached.
        """
        if plan.kind in ("open", "join"):
            assert plan.thread_id is not None
            await self._open(plan.thread_id, plan.run_id)
        else:
            await self._start(plan)

    async def _open(self, thread_id: str, run_id: str | None) -> None:
        host = self._host
        client = host.services.client
        self.install(thread_id)
        host.status_bar.notice = "loading the thread…"
        assert self.session is not None
        # its row and its messages at once: one round trip
        thread, _ = await asyncio.gather(
            client.threads.get(thread_id), self.session.load_thread(thread_id)
        )
        self._threads.shown(thread)
        host.status_bar.notice = ""
        host.sync_mode()
        if run_id is None and thread.status == "busy":
            runs = await client.runs.list(thread_id, limit=10)
            active = next((r for r in runs if r.status in ("running", "pending")), None)
            if active is None:
                await self.session.load_thread(thread_id)  # it ended in between
            else:
                run_id = active.run_id
        if run_id is not None:
            self._own_runs.append(run_id)  # shown by this session: not by the live follow
        self._thread_shown(thread_id)
        if run_id is not None:
            await self._follow(self.session.join(thread_id, run_id, last_event_id="-1"))

    async def _start(self, plan: RunPlan) -> None:
        from bbot_tui.api.errors import ConfigError

        host = self._host
        assistant = self._threads.assistant
        if assistant is None:
            raise ConfigError("pick an assistant first", hint="ctrl+b shows the side panes")
        assert self.session is not None
        options = self.options()
        if plan.kind == "rerun" or plan.checkpoint_id is not None:
            # re-run, or send from a checkpoint: either way a new branch on the server
            options = options.model_copy(update={"checkpoint_id": plan.checkpoint_id})
        run_input: Any = None
        if plan.kind == "send":
            message = user_message(plan.text or "")
            if plan.content is not None:
                message["content"] = plan.content
            run_input = {"messages": [message]}
        assistant_id = plan.assistant_id or assistant.assistant_id
        entity_id = assistant.entity_id if assistant_id == assistant.assistant_id else None
        body = options.build(assistant_id, run_input, plan.command, entity_id=entity_id)
        body = self._tagged(body)
        if options.has_command() or options.checkpoint_id:
            self.store_options(options.without_one_shot())
        thread_id = self._threads.thread_id
        new_thread: dict[str, Any] | None = None
        if options.mode != "stateless" and thread_id is None:
            from bbot_tui.session.titles import new_thread_metadata

            metadata = new_thread_metadata(assistant.assistant_id, assistant.graph_id, plan.text)
            if options.mode == "wait":
                thread = await host.services.client.threads.create(metadata=metadata)
            else:  # the run creates its thread: the first token costs one request
                from bbot_tui.api.models import Thread

                thread = Thread(thread_id=str(uuid.uuid4()), metadata=metadata, status="busy")
                new_thread = metadata
            thread_id = thread.thread_id
            self._threads.created(thread)
        self._note_answer(plan)
        user_text = plan.text if plan.kind == "send" else None
        if user_text is not None and plan.content is not None:
            user_text = content_text(plan.content)  # the text, then a label per file
        if options.mode == "wait":
            host.running = True
            host.status_bar.status = "waiting"
            try:
                await self.session.wait(body, thread_id=thread_id, user_text=user_text)
            finally:
                host.running = False
                if self.session.run_id is not None:
                    self._own_runs.append(self.session.run_id)
                self._pending_request = None
            self._finish(self.session.outcome)
        else:
            target = None if options.mode == "stateless" else thread_id
            updates = self.session.run(
                body, thread_id=target, user_text=user_text, new_thread=new_thread
            )
            await self._follow(updates)
        if options.mode != "stateless" and thread_id == self._threads.thread_id:
            self._thread_shown(thread_id)  # a new thread exists now: follow it too

    def _tagged(self, body: Any) -> Any:
        """The run body with a ``client_request_id`` this client remembers as its own."""
        from bbot_tui.session.finder import REQUEST_ID

        metadata = dict(body.metadata or {})
        request_id = metadata.setdefault(REQUEST_ID, uuid.uuid4().hex)
        self._pending_request = str(request_id)
        tagged = body.model_copy(update={"metadata": metadata})
        tagged.__pydantic_fields_set__.add("metadata")
        return tagged

    def _note_answer(self, plan: RunPlan) -> None:
        """Say in the transcript what the user answered (a compact line before the next run)."""
        from bbot_tui.session.interrupts import describe_command

        if plan.kind == "resume" and plan.command is not None:
            self.transcript.add_note(describe_command(plan.command, self.transcript.interrupts))

    async def _follow(self, updates: AsyncIterator[SessionUpdate]) -> None:
        """Apply a stream's updates until it ends (closing it if the worker is cancelled)."""
        assert self.session is not None
        session = self.session
        self._stop_requested = self._cancel_sent = False
        self._phase, self._rejoins, self._card_meta = "", 0, -1
        self._following = following = object()
        self._host.running = True
        try:
            async with contextlib.aclosing(updates) as stream:  # type: ignore[type-var]
                async for update in stream:
                    self._apply(session, update)
                    # from "reconciling" on the answer is whole: the next message may go
                    # (it supersedes the reading of the thread state that follows)
                    ready = update.phase in ("reconciling", "done")
                    if ready == self._host.running:
                        self._host.running = not ready
                        if ready:
                            self._host.sync_mode()
        finally:
            if self._following is following:  # not when a newer run took over
                self._host.running = False
                self._pending_request = None  # its id is known, or it never started
        self._finish(session.outcome)

    def _apply(self, session: RunSession, update: SessionUpdate) -> None:
        host = self._host
        if update.events:
            host.event_log.add_events(update.events)
        bar = host.status_bar
        if self._stop_requested:
            bar.status, bar.notice = "stopping", "stopping the run…"
            if not self._cancel_sent and session.run_id:
                self._send_cancel(session)
        else:
            if update.phase != "done":
                bar.status = update.phase
            bar.notice = update.notice or ""
        # Count real rejoins (the session also counts its final drain of a finished run).
        if update.phase == "rejoining" and self._phase != "rejoining":
            self._rejoins += 1
        self._phase = update.phase
        timing = self.transcript.timing
        bar.ttft, bar.tokens_per_second = timing.ttft, timing.tokens_per_second
        bar.rejoins = self._rejoins
        if self.session is not None:
            bar.protocol = self.session.outcome.protocol
        # the session applied the update already: compare with what the card last saw
        meta = self.transcript.meta_version
        if meta != self._card_meta or update.phase == "done":
            self._card_meta = meta
            host.show_interrupts(self.transcript)

    def _finish(self, outcome: RunOutcome) -> None:
        host = self._host
        if self.session is not None:
            from bbot_tui.session.timing import run_timing

            self.timings.add(run_timing(self.session))
        bar = host.status_bar
        stop = self.transcript.stop
        bar.status = {
            "success": "done",
            "cancelled": "stopped",  # the word of the card and the thread list too
            "error": "error",
        }.get(outcome.status, stop or "interrupted")
        bar.notice = ""
        if outcome.status == "error":
            host.notify(
                one_line(outcome.error or "the run failed", 300),
                title="Run failed",
                severity="error",
                markup=False,
            )
        elif outcome.status == "cancelled":
            bar.notice = "the run was stopped"
        self._tell_long_run(outcome)
        host.sync_mode()
        if self._threads.thread_id is not None:
            host.refresh_thread(self._threads.thread_id)

    def _tell_long_run(self, outcome: RunOutcome) -> None:
        """A run at least the alert threshold long ended: post ``AttentionNeeded`` (the app's
        alerter rings only if the user is not looking at this thread). A run the user stopped
        is not announced."""
        settings = self._host.services.settings
        duration = self.transcript.timing.total
        if settings is None or duration is None or outcome.status == "cancelled":
            return
        if duration < settings.alerts.long_run_seconds:
            return
        from bbot_tui.tui.messages import AttentionNeeded

        thread_id = self._threads.thread_id
        stop = self.transcript.stop
        if outcome.status == "error":
            detail = f"failed: {outcome.error or 'the run failed'}"
        elif outcome.status == "success":
            detail = "finished"
        elif stop == "breakpoint":
            detail = "stopped at a breakpoint"
        else:
            detail = "waits for your answer"
        title = (self._threads.title(thread_id) or "") if thread_id else "a stateless run"
        self._host.post_message(
            AttentionNeeded("run_ended", thread_id or "", title, one_line(detail, 200), duration)
        )

    def timing_for(self, key: str | None) -> RunTiming | None:
        """The timing of the run that made the message ``key`` (None: the current or last run).

        The current run is measured now (it may still stream); an earlier one comes from
        :attr:`timings`. None when no run of this session made the message.
        """
        session = self.session
        if session is not None and session.transcript.timing.started_at is not None:
            from bbot_tui.session.timing import run_timing

            current = run_timing(session)
            if key is None or key in current.message_keys:
                return current
        return self.timings.last() if key is None else self.timings.for_message(key)

    # --- stop and detach --------------------------------------------------------------------

    def stop(self) -> None:
        """Stop the streaming run on the server (the stream then ends by itself)."""
        if not self._host.running or self.session is None:
            return
        self._stop_requested = True
        bar = self._host.status_bar
        bar.status, bar.notice = "stopping", "stopping the run…"
        if self.session.run_id and not self._cancel_sent:
            self._send_cancel(self.session)

    def _send_cancel(self, session: RunSession) -> None:
        self._cancel_sent = True
        self._host.cancel_run(session)

    def detached(self) -> None:
        """The run worker was cancelled: the run goes on on the server, unfollowed."""
        host = self._host
        host.running = False
        bar = host.status_bar
        bar.status = "detached"
        bar.notice = "the run goes on on the server; reopen the thread to follow it"
        # the answer stops growing here: say so, instead of "streaming…" and a frozen cursor
        self.transcript.detach(DETACHED_NOTE)
        thread_id = self._threads.thread_id
        if thread_id is not None:
            host.refresh_thread(thread_id)  # busy now…
            run_id = self.session.run_id if self.session is not None else None
            if run_id is not None:
                host.watch_detached(thread_id, run_id)  # …and its status once the run ended

    async def wait_detached(self, thread_id: str, run_id: str) -> None:
        """Poll a detached run until it ends, then show its thread's new status in the list.

        The poll backs off from half a second to :data:`DETACHED_POLL_MAX`; it gives up quietly
        when the server cannot be asked (the row then keeps its last status).
        """
        import asyncio

        from bbot_tui.api.errors import ApiError

        client = self._host.services.client
        delay = 0.5
        try:
            while True:
                run = await client.runs.get(thread_id, run_id)
                if run.status not in ("pending", "running"):
                    break
                await asyncio.sleep(delay)
                delay = min(DETACHED_POLL_MAX, delay * 1.5)
            await self._threads.refresh(thread_id)
        except ApiError:
            return

    # --- remembering streaming runs (rejoin after a restart) ------------------------------

    def _on_run(self, thread_id: str | None, run_id: str | None) -> None:
        if run_id is not None:
            self._own_runs.append(run_id)
            self._pending_request = None
        services = self._host.services
        profile = services.profile
        if profile is None or thread_id is None or not services.persist:
            return
        if run_id is not None:
            assistant = self._threads.assistant
            start_drain = self._ledger.started(
                profile.base_url,
                thread_id,
                run_id,
                assistant.assistant_id if assistant is not None else None,
            )
        else:
            start_drain = self._ledger.ended(profile.base_url, thread_id)
        if start_drain:
            self._host.drain_run_state()

    async def remembered_run(self) -> RememberedRun | None:
        """The newest remembered run that still goes on (forgetting those that ended).

        Returns:
            The run to offer to rejoin, or None (no profile, nothing saved, or none left).
        """
        from bbot_tui.api.errors import ApiError

        services = self._host.services
        profile = services.profile
        if profile is None or not services.persist:
            return None
        client = services.client
        for entry in reversed(await self._ledger.remembered(profile.base_url)):
            thread_id, run_id = entry["thread_id"], entry["run_id"]
            try:
                run = await client.runs.get(thread_id, run_id)
            except ApiError:
                run = None
            if run is None or run.status not in ("pending", "running"):
                await self._ledger.forget(profile.base_url, thread_id)
                continue
            return RememberedRun(profile.base_url, thread_id, run_id, run.status)
        return None

    async def forget(self, run: RememberedRun) -> None:
        """Forget a remembered run (the user declined to rejoin it)."""
        await self._ledger.forget(run.base_url, run.thread_id)
