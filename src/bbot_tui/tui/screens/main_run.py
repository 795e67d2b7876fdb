"""The run worker of the main screen: send, resume, continue, re-run, open and join.

:class:`RunFlows` builds on :class:`~bbot_tui.tui.screens.main_state.MainState`. One run worker at a
time (``group="run"``, exclusive: starting another detaches from the current one) asks the
session for a stream and applies its updates to the status bar, the event log and the interrupt
card; Stop cancels the run on the server, Detach only stops following it. Which runs were
streaming is written down as they start and end, so the next start can offer to rejoin one that
is still going. Workers call the session and the client; no widget builds a request, and their
failures are handled in one place, by the main screen.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, Literal

from textual import work

from bbot_tui.stream.transcript import Transcript, user_message
from bbot_tui.text import one_line
from bbot_tui.tui.screens.main_state import MainState
from bbot_tui.tui.widgets.thread_pane import thread_label

if TYPE_CHECKING:
    from bbot_tui.api.models import Command
    from bbot_tui.session.run import RunOutcome, RunSession, SessionUpdate
__all__ = ["RunFlows", "RunPlan"]


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


class RunFlows(MainState):
    """The run worker, Stop, Detach and the rejoin offer."""

    # --- runs ---------------------------------------------------------------------------

    def install_thread(self, thread_id: str | None, *, remember: bool = True) -> None:
        """Give a thread a fresh transcript and session and show it.

        Args:
            thread_id: The thread (None: a new conversation).
            remember: Save it as the profile's last thread (not while a profile is being
                activated: the saved last thread is still to be reopened).
        """
        from bbot_tui.session.run import RunSession

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
        self._phase, self._rejoins, self._card_meta = "", 0, -1
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
        # the session applied the update already: compare with what the card last saw
        meta = self.transcript.meta_version
        if meta != self._card_meta or update.phase == "done":
            self._card_meta = meta
            for card in self.query("#interrupt-card"):
                card.transcript = self.transcript  # type: ignore[attr-defined]

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
            self.refresh_thread(self.thread_id)

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
            self.refresh_thread(self.thread_id)

    def _belongs(self, thread: Any) -> bool:
        """Whether a thread belongs in the pane (it is the selected assistant's)."""
        meta = thread.metadata or {}
        return self.assistant is not None and meta.get("assistant_id") == (
            self.assistant.assistant_id
        )

    @work(group="thread-ops", exit_on_error=False)
    async def refresh_thread(self, thread_id: str) -> None:
        """Show a thread's new status (and title) in the thread pane, after a run."""
        thread = await self.client().get_thread(thread_id)
        if self._belongs(thread):
            self.thread_pane.upsert(thread)

    # --- remembering streaming runs (rejoin after a restart) ------------------------------

    def _on_run(self, thread_id: str | None, run_id: str | None) -> None:
        from bbot_tui.config import run_state

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
        from bbot_tui.api.errors import ApiError
        from bbot_tui.config import run_state
        from bbot_tui.tui.screens.confirm import ConfirmScreen

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
