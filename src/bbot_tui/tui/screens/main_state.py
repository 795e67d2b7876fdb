"""The main screen's state and how the widgets show it.

The main screen is built in layers, each a class in its own module and each building on the
one before: this state (:class:`MainState`), the run worker
(:class:`~bbot_tui.tui.screens.main_run.RunFlows`), the assistant and thread workers
(:class:`~bbot_tui.tui.screens.main_threads.ThreadFlows`), the answers to the widgets' messages
(:class:`~bbot_tui.tui.screens.main_handlers.MainHandlers`) and the screen itself
(:class:`~bbot_tui.tui.screens.main.MainScreen`: layout, keys, failures). What every layer needs
lives here, below all of them, so no layer calls a method that only a later one defines: the
state (assistant, thread, transcript, session), the typed widget accessors, the syncing of the
views with the transcript, and the choices remembered in the settings (run options per
assistant, the last thread).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.reactive import var
from textual.screen import Screen

from bbot_tui.stream.transcript import Transcript
from bbot_tui.tui.widgets.composer import Composer
from bbot_tui.tui.widgets.event_log import EventLog
from bbot_tui.tui.widgets.status_bar import StatusBar
from bbot_tui.tui.widgets.thread_pane import ThreadPane

if TYPE_CHECKING:
    from bbot_tui.api.client import AgentClient
    from bbot_tui.api.models import Assistant
    from bbot_tui.session.run import RunSession
    from bbot_tui.session.run_options import RunOptions
    from bbot_tui.tui.app import BbotApp
__all__ = ["MainState"]


class MainState(Screen[None]):
    """The main screen's state, its widgets and the views of the transcript."""

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
        self._card_meta = -1
        """The transcript's ``meta_version`` the interrupt card was last given."""
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

    # --- the views of the transcript -------------------------------------------------------

    def show_transcript(self, transcript: Transcript) -> None:
        """Hand a transcript to the message view and the interrupt card."""
        for widget in self.query("#message-view, #interrupt-card"):
            if hasattr(widget, "transcript"):
                widget.transcript = transcript
        self._sync_hint()

    def _sync_hint(self) -> None:
        self.query_one("#empty-hint").display = not (self.running or self.transcript.messages)

    def sync_mode(self) -> None:
        """Set what Enter does (chat / answer / continue) from the transcript's stop."""
        t = self.transcript
        composer = self.composer
        composer.busy = self.running
        self._sync_hint()
        if self.assistant is None:
            composer.mode = "no-assistant"
        elif t.stop == "question" and t.interrupts:
            composer.mode = "answer"
        elif t.stop == "breakpoint":
            composer.mode = "breakpoint"
        else:
            composer.mode = "chat"
        if not self.running and t.stop in ("question", "breakpoint") and self.thread_id:
            self.status_bar.status = t.stop
        for card in self.query("#interrupt-card"):
            # B (issue 5): the state read at the stop, shown by the card at a breakpoint
            card.state = self.session.last_state if self.session else None  # type: ignore[attr-defined]
            card.transcript = t  # type: ignore[attr-defined]

    def watch_running(self, running: bool) -> None:
        """Show the composer busy while a run streams."""
        if self.is_mounted:
            self.composer.busy = running
            self._sync_hint()

    # --- choices remembered in the settings ----------------------------------------------------

    def run_options(self) -> RunOptions:
        """The selected assistant's remembered run options (defaults if none)."""
        from bbot_tui.session.run_options import RunOptions

        settings = self.bbot.settings
        stored = (
            settings.run_options.get(self.assistant.assistant_id)
            if (settings is not None and self.assistant is not None)
            else None
        )
        return RunOptions.from_settings(stored)

    def store_run_options(self, options: RunOptions) -> None:
        """Remember run options for the selected assistant."""
        settings = self.bbot.settings
        if settings is None or self.assistant is None:
            return
        run_options = dict(settings.run_options)
        run_options[self.assistant.assistant_id] = options.to_settings()
        settings.run_options = run_options
        self.bbot.save_settings()

    def remember_thread(self, thread_id: str | None) -> None:
        """Persist the open thread of the active profile."""
        profile = self.bbot.profile
        if profile is not None and profile.last_thread_id != thread_id:
            profile.last_thread_id = thread_id
            self.bbot.save_settings()
