"""The network flows of the main screen, each in a Textual worker.

:class:`MainFlows` is the base class of :class:`~bbot_tui.screens.main.MainScreen`: it holds the
screen's state (assistant, thread, transcript, session) and every worker: loading assistants and
threads, thread operations, the run worker (send, resume, continue, re-run, open/join), stop and
the rejoin offer at startup. Workers call the session and the client; no widget builds a
request. Worker failures are handled in one place, in the main screen.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, Literal

from textual import work
from textual.reactive import var
from textual.screen import Screen

from bbot_tui.stream.transcript import Transcript, user_message
from bbot_tui.text import one_line
from bbot_tui.widgets.composer import Composer
from bbot_tui.widgets.event_log import EventLog
from bbot_tui.widgets.status_bar import StatusBar
from bbot_tui.widgets.thread_pane import ThreadPane, thread_label

if TYPE_CHECKING:
    from bbot_tui.api.client import AgentClient
    from bbot_tui.api.models import Assistant, Command
    from bbot_tui.app import BbotApp
    from bbot_tui.run_options import RunOptions
    from bbot_tui.session import RunOutcome, RunSession, SessionUpdate

__all__ = ["THREAD_FIELDS", "MainFlows", "RunPlan"]

THREAD_FIELDS = ["thread_id", "status", "created_at", "updated_at", "metadata", "interrupts"]
"""What the thread list asks the server for (no values: they can be huge)."""
THREAD_PAGE = 30
"""Threads per page."""


@dataclass
class RunPlan:
    """What the run worker should do.

    Attributes:
        kind: send a message, resume (answer an interrupt), continue (from a breakpoint),
            rerun (from a checkpoint), open a thread (rejoining its live run), or join a run.
        text: the message (send).
        command: the command (resume).
        thread_id, run_id: the thread to open / the run to join.
        checkpoint_id: the checkpoint to re-run from.
    """

    kind: Literal["send", "resume", "continue", "rerun", "open", "join"]
    text: str | None = None
    command: Command | None = None
    thread_id: str | None = None
    run_id: str | None = None
    checkpoint_id: str | None = None


class MainFlows(Screen[None]):
    """State and workers of the main screen."""

    running: var[bool] = var(False, bindings=True)
    """True while the run worker follows a stream (Stop and Detach are available)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.assistant: Assistant | None = None
        self.thread_id: str | None = None
        self.transcript = Transcript()
        self.session: RunSession | None = None
        self.status_filter: str | None = None
        self._next_offset: int | None = None
        self._stop_requested = False
        self._cancel_sent = False
        self._phase = ""
        self._rejoins = 0
        self._run_state_ops: list[Any] = []
        self._run_state_busy = False

    # --- accessors ------------------------------------------------------------------------

    @property
    def bbot(self) -> BbotApp:
        """The app, typed."""
        return self.app  # type: ignore[return-value]

    def client(self) -> AgentClient:
        """The active profile's client (raises ConfigError when there is none)."""
        return self.bbot.client

    @property
    def status_bar(self) -> StatusBar:
        """The status bar."""
        return self.query_one(StatusBar)

    @property
    def composer(self) -> Composer:
        """The composer."""
        return self.query_one(Composer)

    @property
    def thread_pane(self) -> ThreadPane:
        """The thread pane."""
        return self.query_one(ThreadPane)

    @property
    def event_log(self) -> EventLog:
        """The event log."""
        return self.query_one(EventLog)

    if TYPE_CHECKING:  # implemented by the main screen, which owns the widgets they touch

        def show_transcript(self, transcript: Transcript) -> None:
            """Hand the transcript to the views that draw it."""

        def sync_mode(self) -> None:
            """Bring the composer and status bar in line with the transcript."""

        def run_options(self) -> RunOptions:
            """The selected assistant's run options."""

        def store_run_options(self, options: RunOptions) -> None:
            """Remember run options for the selected assistant."""

        def remember_thread(self, thread_id: str | None) -> None:
            """Persist the open thread for the next start."""

    # --- assistants and threads -------------------------------------------------------------

    @work(exclusive=True, group="assistants", exit_on_error=False)
    async def load_assistants(self, *, restore: bool = False) -> None:
        """Load the assistants; with ``restore``, reselect the last assistant and thread."""
        client = self.client()
        self.status_bar.notice = "loading assistants…"
        profile = self.bbot.profile
        if profile is not None and profile.assistants_path == "auto":
            page = await client.discover_assistants(limit=100)  # /assistants, else B-Bot's name
        else:
            page = await client.search_assistants(limit=100)
        self.status_bar.notice = ""
        pane = self.query_one("#assistant-pane")
        pane.set_assistants(page.items)  # type: ignore[attr-defined]
        if not page.items:
            self.notify("This server has no assistants.", severity="warning")
            return
        if restore:
            profile = self.bbot.profile
            last = profile.last_assistant_id if profile else None
            chosen = next((a for a in page.items if a.assistant_id == last), page.items[0])
            thread_id = profile.last_thread_id if profile and chosen.assistant_id == last else None
            self.select_assistant(chosen, thread_id=thread_id)
            self.check_active_runs()

    def select_assistant(self, assistant: Assistant, *, thread_id: str | None = None) -> None:
        """Make an assistant current: list its threads and open one (or a new thread)."""
        self.assistant = assistant
        self.query_one("#assistant-pane").set_current(assistant.assistant_id)  # type: ignore[attr-defined]
        self.status_bar.assistant = assistant.label
        profile = self.bbot.profile
        if profile is not None and profile.last_assistant_id != assistant.assistant_id:
            profile.last_assistant_id = assistant.assistant_id
            self.bbot.save_settings()
        self.thread_pane.set_threads([], has_more=False)
        self.load_threads()
        if thread_id:
            self.run_flow(RunPlan("open", thread_id=thread_id))
        else:
            self.new_thread()

    @work(exclusive=True, group="threads", exit_on_error=False)
    async def load_threads(self, *, append: bool = False) -> None:
        """Load the first (or next) page of the selected assistant's threads."""
        if self.assistant is None:
            return
        offset = (self._next_offset or 0) if append else 0
        page = await self.client().search_threads(
            limit=THREAD_PAGE,
            offset=offset,
            metadata={"assistant_id": self.assistant.assistant_id},
            status=self.status_filter,
            select=THREAD_FIELDS,
        )
        self._next_offset = page.next_offset
        self.thread_pane.set_threads(
            page.items, has_more=page.next_offset is not None, append=append
        )

    def new_thread(self) -> None:
        """Start a blank conversation (the thread is created with the first message)."""
        if self.running:
            self.detach()
        self.workers.cancel_group(self, "run")
        self.install_thread(None)
        self.status_bar.thread = "new thread"

    def install_thread(self, thread_id: str | None, *, remember: bool = True) -> None:
        """Give a thread a fresh transcript and session and show it.

        Args:
            thread_id: The thread (None: a new conversation).
            remember: Save it as the profile's last thread (not while a profile is being
                activated: the saved last thread is still to be reopened).
        """
        from bbot_tui.session import RunSession

        self.transcript = Transcript()
        self.session = RunSession(self.client(), self.transcript, on_run=self._on_run)
        self.thread_id = thread_id
        self.show_transcript(self.transcript)
        self.event_log.clear_events()
        self.thread_pane.set_current(thread_id)
        bar = self.status_bar
        bar.status, bar.notice, bar.ttft, bar.tokens_per_second, bar.rejoins = (
            "idle",
            "",
            None,
            None,
            0,
        )
        if remember:
            self.remember_thread(thread_id)
        self.sync_mode()

    @work(group="thread-ops", exit_on_error=False)
    async def thread_op(self, kind: str, thread_id: str, title: str = "") -> None:
        """Delete, copy (fork), rename or refresh one thread."""
        client = self.client()
        pane = self.thread_pane
        if kind == "delete":
            await client.delete_thread(thread_id)
            pane.remove(thread_id)
            if thread_id == self.thread_id:
                self.new_thread()
            self.notify(f"Deleted {one_line(title, 60)!r}.", markup=False)
        elif kind == "copy":
            thread = await client.copy_thread(thread_id)
            thread = await client.patch_thread(
                thread.thread_id, metadata={"title": one_line(f"copy of {title}", 80)}
            )
            pane.upsert(thread)
            self.notify(f"Copied {one_line(title, 60)!r}.", markup=False)
        elif kind == "rename":
            thread = await client.patch_thread(thread_id, metadata={"title": title})
            pane.upsert(thread, to_top=False)
            if thread_id == self.thread_id:
                self.status_bar.thread = thread_label(thread)
        else:
            thread = await client.get_thread(thread_id)
            if self._belongs(thread):
                pane.upsert(thread)

    def _belongs(self, thread: Any) -> bool:
        """Whether a thread belongs in the pane (it is the selected assistant's)."""
        meta = thread.metadata or {}
        return self.assistant is not None and meta.get("assistant_id") == (
            self.assistant.assistant_id
        )

    @work(exclusive=True, group="inspect", exit_on_error=False)
    async def inspect_assistant(self, assistant: Assistant) -> None:
        """Fetch an assistant's schemas and graph and show them."""
        from bbot_tui.api.errors import ApiError
        from bbot_tui.screens.inspect import InspectScreen

        client = self.client()
        schemas = await client.get_schemas(assistant.assistant_id)
        nodes: list[str] = []
        graph_error = None
        try:
            nodes = (await client.get_graph(assistant.assistant_id, xray=True)).node_names()
        except ApiError as exc:
            graph_error = exc.message
        self.app.push_screen(InspectScreen(assistant, schemas, nodes, graph_error=graph_error))

    # --- runs ---------------------------------------------------------------------------

    @work(exclusive=True, group="run", exit_on_error=False)
    async def run_flow(self, plan: RunPlan) -> None:
        """The run worker: one at a time; starting another detaches from the current one."""
        if plan.kind in ("open", "join"):
            assert plan.thread_id is not None
            await self._open(plan.thread_id, plan.run_id)
        else:
            await self._start(plan)

    async def _open(self, thread_id: str, run_id: str | None) -> None:
        client = self.client()
        self.install_thread(thread_id)
        self.status_bar.notice = "loading the thread…"
        thread = await client.get_thread(thread_id)
        if self._belongs(thread):
            self.thread_pane.upsert(thread, to_top=False)
        self.status_bar.thread = thread_label(thread)
        assert self.session is not None
        await self.session.load_thread(thread_id)
        self.status_bar.notice = ""
        self.sync_mode()
        if run_id is None and thread.status == "busy":
            runs = await client.list_runs(thread_id, limit=10)
            active = next((r for r in runs if r.status in ("running", "pending")), None)
            if active is None:
                await self.session.load_thread(thread_id)  # it ended in between
            else:
                run_id = active.run_id
        if run_id is not None:
            await self._follow(self.session.join(thread_id, run_id, last_event_id="-1"))

    async def _start(self, plan: RunPlan) -> None:
        from bbot_tui.api.errors import ConfigError

        assistant = self.assistant
        if assistant is None:
            raise ConfigError("pick an assistant first", hint="ctrl+b shows the side panes")
        assert self.session is not None
        options = self.run_options()
        if plan.kind == "rerun":
            options = options.model_copy(update={"checkpoint_id": plan.checkpoint_id})
        run_input: Any = None
        if plan.kind == "send":
            run_input = {"messages": [user_message(plan.text or "")]}
        body = options.build(
            assistant.assistant_id, run_input, plan.command, entity_id=assistant.entity_id
        )
        if options.has_command() or options.checkpoint_id:
            self.store_run_options(options.without_one_shot())
        thread_id = self.thread_id
        if options.mode != "stateless" and thread_id is None:
            title = one_line(plan.text or "", 80) or "new thread"
            thread = await self.client().create_thread(
                metadata={
                    "assistant_id": assistant.assistant_id,
                    "graph_id": assistant.graph_id,
                    "title": title,
                }
            )
            thread_id = self.thread_id = thread.thread_id
            self.thread_pane.upsert(thread)
            self.thread_pane.set_current(thread_id)
            self.status_bar.thread = thread_label(thread)
            self.remember_thread(thread_id)
        user_text = plan.text if plan.kind == "send" else None
        if options.mode == "wait":
            self.running = True
            self.status_bar.status = "waiting"
            try:
                await self.session.wait(body, thread_id=thread_id, user_text=user_text)
            finally:
                self.running = False
            self._finish(self.session.outcome)
        else:
            target = None if options.mode == "stateless" else thread_id
            await self._follow(self.session.run(body, thread_id=target, user_text=user_text))

    async def _follow(self, updates: AsyncIterator[SessionUpdate]) -> None:
        """Apply a stream's updates until it ends (closing it if the worker is cancelled)."""
        assert self.session is not None
        session = self.session
        self._stop_requested = self._cancel_sent = False
        self._phase, self._rejoins = "", 0
        self.running = True
        try:
            async with contextlib.aclosing(updates) as stream:  # type: ignore[type-var]
                async for update in stream:
                    self._apply_update(session, update)
        finally:
            self.running = False
        self._finish(session.outcome)

    def _apply_update(self, session: RunSession, update: SessionUpdate) -> None:
        if update.events:
            self.event_log.add_events(update.events)
        bar = self.status_bar
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

    def _finish(self, outcome: RunOutcome) -> None:
        bar = self.status_bar
        stop = self.transcript.stop
        bar.status = {
            "success": "done",
            "cancelled": "cancelled",
            "error": "error",
        }.get(outcome.status, stop or "interrupted")
        bar.notice = ""
        if outcome.status == "error":
            self.notify(
                one_line(outcome.error or "the run failed", 300),
                title="Run failed",
                severity="error",
                markup=False,
            )
        elif outcome.status == "cancelled":
            bar.notice = "the run was stopped"
        self.sync_mode()
        if self.thread_id is not None:
            self.thread_op("refresh", self.thread_id)

    def stop(self) -> None:
        """Stop the streaming run on the server (the stream then ends by itself)."""
        if not self.running or self.session is None:
            return
        self._stop_requested = True
        bar = self.status_bar
        bar.status, bar.notice = "stopping", "stopping the run…"
        if self.session.run_id and not self._cancel_sent:
            self._send_cancel(self.session)

    def _send_cancel(self, session: RunSession) -> None:
        self._cancel_sent = True
        self._cancel_worker(session)

    @work(group="cancel", exit_on_error=False)
    async def _cancel_worker(self, session: RunSession) -> None:
        await session.cancel(action="interrupt")

    def detach(self) -> None:
        """Stop following the run; it goes on on the server (reopen the thread to rejoin)."""
        if not self.running:
            return
        self.workers.cancel_group(self, "run")
        self.running = False
        bar = self.status_bar
        bar.status = "detached"
        bar.notice = "the run goes on on the server; reopen the thread to follow it"
        if self.thread_id is not None:
            self.thread_op("refresh", self.thread_id)

    # --- remembering streaming runs (rejoin after a restart) ------------------------------

    def _on_run(self, thread_id: str | None, run_id: str | None) -> None:
        from bbot_tui import run_state

        profile = self.bbot.profile
        if profile is None or thread_id is None or not self.bbot.persist:
            return
        if run_id is not None:
            entry = {"base_url": profile.base_url, "thread_id": thread_id, "run_id": run_id}
            if self.assistant is not None:
                entry["assistant_id"] = self.assistant.assistant_id
            op = partial(run_state.remember_run, entry)
        else:
            op = partial(run_state.forget_run, profile.base_url, thread_id)
        self._run_state_ops.append(op)
        if not self._run_state_busy:
            self._run_state_busy = True
            self._drain_run_state()

    @work(group="run-state", exit_on_error=False)
    async def _drain_run_state(self) -> None:
        try:
            while self._run_state_ops:
                await asyncio.to_thread(self._run_state_ops.pop(0))
        finally:
            self._run_state_busy = False

    @work(exclusive=True, group="rejoin-check", exit_on_error=False)
    async def check_active_runs(self) -> None:
        """Offer to rejoin a run that was streaming when the app last closed."""
        from bbot_tui import run_state
        from bbot_tui.api.errors import ApiError
        from bbot_tui.screens.confirm import ConfirmScreen

        profile = self.bbot.profile
        if profile is None or not self.bbot.persist:
            return
        client = self.client()
        for entry in reversed(await asyncio.to_thread(run_state.load_runs, profile.base_url)):
            thread_id, run_id = entry["thread_id"], entry["run_id"]
            try:
                run = await client.get_run(thread_id, run_id)
            except ApiError:
                run = None
            if run is None or run.status not in ("pending", "running"):
                await asyncio.to_thread(run_state.forget_run, profile.base_url, thread_id)
                continue
            question = ConfirmScreen(
                "Rejoin a running run?",
                f"A run on thread {thread_id} was streaming when bbot-tui closed and is still "
                f"{run.status} on the server. Follow it again?",
                confirm_label="Rejoin",
            )
            if await self.app.push_screen_wait(question):
                self.run_flow(RunPlan("join", thread_id=thread_id, run_id=run_id))
            else:
                await asyncio.to_thread(run_state.forget_run, profile.base_url, thread_id)
            return
