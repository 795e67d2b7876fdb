"""The main screen: assistants and threads on the side, the conversation, the composer.

Layout: the side panes (assistants, threads), the centre (message view, interrupt card, composer),
the event log (toggled), the status bar and the footer. Below 100 columns the side panes hide
(``ctrl+b`` shows them over the centre); from 160 columns on they get wider. The state, the
workers and the answers to the widgets' messages are the layers this class builds on
(:mod:`~bbot_tui.tui.screens.main_state`, :mod:`~bbot_tui.tui.screens.main_run`,
:mod:`~bbot_tui.tui.screens.main_threads`, :mod:`~bbot_tui.tui.screens.main_handlers`);
this class adds
the layout, the key bindings and their actions, and handles every worker failure in one place.
Its stylesheet, ``styles/main.tcss``, is loaded by the app.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Footer, Static
from textual.worker import Worker, WorkerState

from bbot_tui.text import one_line
from bbot_tui.tui.messages import ConnectionRequested, ProfileActivated, SettingsLoaded
from bbot_tui.tui.screens.main_handlers import CONFIRM_BYTES, MainHandlers, parse_answer
from bbot_tui.tui.screens.main_run import RunPlan
from bbot_tui.tui.widgets.assistant_pane import AssistantPane
from bbot_tui.tui.widgets.composer import Composer
from bbot_tui.tui.widgets.event_log import EventLog
from bbot_tui.tui.widgets.status_bar import StatusBar
from bbot_tui.tui.widgets.thread_pane import ThreadPane

__all__ = ["CONFIRM_BYTES", "NARROW_WIDTH", "WIDE_WIDTH", "MainScreen", "parse_answer"]

NARROW_WIDTH = 100
"""Below this many columns the side panes are hidden unless toggled."""
WIDE_WIDTH = 160
"""From this many columns on the side panes get wider (longer names and titles)."""
EMPTY_HINT = (
    "No messages yet: type below and press Enter.\n"
    "ctrl+b assistants and threads · ctrl+o run options · ctrl+p every action"
)
"""Shown above an empty conversation (on a narrow terminal the side panes are hidden)."""


class MainScreen(MainHandlers):
    """Assistants, threads, the conversation and the composer."""

    AUTO_FOCUS = "#composer"
    BINDINGS = [
        Binding("escape", "stop", "Stop run", priority=True),
        Binding("ctrl+d", "detach", "Detach", priority=True),
        Binding("escape", "focus_composer", "Composer", show=False),
        Binding("ctrl+b", "toggle_side", "Panes"),
        Binding("ctrl+l,f2", "toggle_event_log", "Events"),
        Binding("ctrl+n", "new_thread", "New thread"),
        Binding("ctrl+o", "run_options", "Run options"),
        Binding("ctrl+t", "history", "History"),
        Binding("f9", "breakpoints", "Breakpoints"),  # B (issue 5)
        Binding("f5", "refresh", "Refresh", show=False),
    ]
    """Escape stops a streaming run (else returns to the composer); ctrl+d detaches from it."""

    def compose(self) -> ComposeResult:
        """The layout."""
        with Horizontal(id="body"):
            with Vertical(id="side"):
                yield AssistantPane(id="assistant-pane")
                yield ThreadPane(id="thread-pane")
            with Vertical(id="center"):
                yield Static(EMPTY_HINT, id="empty-hint", markup=False)
                yield self._message_view()
                yield from self._interrupt_card()
                yield Composer(id="composer")
            yield EventLog(id="event-log")
        yield StatusBar(id="status-bar")
        yield Footer()

    @staticmethod
    def _message_view() -> Widget:
        try:
            from bbot_tui.tui.widgets.message_view import MessageView
        except ImportError:  # another helper is still writing it
            return Static("(message view unavailable)", id="message-view")
        return MessageView(id="message-view")

    @staticmethod
    def _interrupt_card() -> Iterable[Widget]:
        try:
            from bbot_tui.tui.widgets.interrupt_card import InterruptCard
        except ImportError:
            return []
        return [InterruptCard(id="interrupt-card")]

    def on_mount(self) -> None:
        """Adapt to the terminal size and show the empty transcript."""
        self._adapt(self.size.width)
        self.show_transcript(self.transcript)
        self.sync_mode()

    def on_resize(self) -> None:
        """Collapse the side panes on narrow terminals."""
        self._adapt(self.size.width)

    def _adapt(self, width: int) -> None:
        self.set_class(0 < width < NARROW_WIDTH, "-narrow")
        self.set_class(width >= WIDE_WIDTH, "-wide")

    # --- settings --------------------------------------------------------------------------

    @on(SettingsLoaded)
    def _settings_loaded(self, message: SettingsLoaded) -> None:
        settings = self.bbot.settings
        if settings is None:
            return
        self.set_class(not settings.show_assistant_pane, "-hide-side")
        self._show_event_log(settings.show_event_log)
        self.composer.input_history = list(settings.input_history)
        if message.backup_path is not None:
            self.status_bar.warning = f"settings were damaged: backup in {message.backup_path}"
        elif message.warnings:
            self.status_bar.warning = message.warnings[0]

    @on(ProfileActivated)
    def _profile_activated(self, message: ProfileActivated) -> None:
        profile = self.bbot.profile
        bar = self.status_bar
        bar.profile = message.name
        bar.server = profile.base_url if profile else ""
        self.assistant = None
        self.workers.cancel_group(self, "run")
        self.install_thread(None, remember=False)
        self.load_assistants(restore=True)

    # --- actions ------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Stop and Detach exist only while a run streams."""
        if action in ("stop", "detach"):
            return self.running
        return True

    def action_stop(self) -> None:
        """Stop the run (cancel on the server)."""
        self.stop()

    def action_detach(self) -> None:
        """Stop following the run; it goes on on the server."""
        self.detach()

    def action_focus_composer(self) -> None:
        """Back to the composer."""
        self.set_class(False, "-side-open")
        self.composer.focus()

    def action_toggle_side(self) -> None:
        """Show or hide the assistant and thread panes."""
        if self.has_class("-narrow"):
            self.toggle_class("-side-open")
            if self.has_class("-side-open"):
                self.query_one("#assistant-list").focus()
            return
        hidden = not self.has_class("-hide-side")
        self.set_class(hidden, "-hide-side")
        settings = self.bbot.settings
        if settings is not None:
            settings.show_assistant_pane = not hidden
            self.bbot.save_settings()

    def action_toggle_event_log(self) -> None:
        """Show or hide the raw event log."""
        show = not self.has_class("-show-events")
        self._show_event_log(show)
        settings = self.bbot.settings
        if settings is not None:
            settings.show_event_log = show
            self.bbot.save_settings()

    def _show_event_log(self, show: bool) -> None:
        self.set_class(show, "-show-events")
        log = self.event_log
        log.display = show
        if show:
            log.sync()

    @work(exclusive=True, group="run-options", exit_on_error=False)
    async def action_run_options(self) -> None:
        """Edit the selected assistant's run options."""
        from bbot_tui.api.errors import ApiError
        from bbot_tui.tui.screens.run_options import RunOptionsScreen

        assistant = self.assistant
        if assistant is None:
            self.notify("Pick an assistant first.", severity="warning")
            return
        try:
            nodes = (await self.client().get_graph(assistant.assistant_id)).node_names()
        except ApiError:
            nodes = []
        screen = RunOptionsScreen(
            self.run_options(),
            node_names=nodes,
            entity_id=assistant.entity_id,
            title=assistant.label,
        )
        options = await self.app.push_screen_wait(screen)
        if options is not None and self.assistant is assistant:
            self.store_run_options(options)
            self.notify("Run options saved for this assistant.")

    @work(exclusive=True, group="history", exit_on_error=False)
    async def action_history(self) -> None:
        """Time travel: the open thread's checkpoints."""
        if self.thread_id is None:
            self.notify("Open a thread first.", severity="warning")
            return
        try:
            from bbot_tui.tui.screens.history import HistoryScreen
        except ImportError:
            self.notify("The history view is not available in this build.")
            return
        screen: Any = HistoryScreen(self.client(), self.thread_id)
        result = await self.app.push_screen_wait(screen)
        if isinstance(result, tuple) and len(result) == 2:
            kind, value = result
            if kind == "rerun":
                self.run_flow(RunPlan("rerun", checkpoint_id=str(value)))
            elif kind == "open":
                self.run_flow(RunPlan("open", thread_id=str(value)))

    # --- B (issue 5): breakpoints ------------------------------------------------------------

    @work(exclusive=True, group="run-options", exit_on_error=False)
    async def action_breakpoints(self) -> None:
        """Toggle breakpoints on the assistant's graph nodes (F9, one key per node)."""
        from bbot_tui.tui.screens.breakpoints import edit_breakpoints

        await edit_breakpoints(self)

    # --- end of B's breakpoints ----------------------------------------------------------------

    def action_refresh(self) -> None:
        """Reload the assistants and threads."""
        self.load_assistants()
        self.load_threads()

    def action_copy_thread_id(self) -> None:
        """Copy the open thread's id."""
        if self.thread_id:
            self.app.copy_to_clipboard(self.thread_id)
            self.notify("Copied the thread id.")

    def action_connection(self) -> None:
        """Ask the app for the connection screen."""
        self.post_message(ConnectionRequested())

    # --- failures, in one place ------------------------------------------------------------

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        if event.state != WorkerState.ERROR:
            return
        error = event.worker.error
        title, text = describe_error(error)
        self.notify(text, title=title, severity="error", timeout=10, markup=False)
        if event.worker.group == "run":
            self.running = False
            self.status_bar.status = "error"
            self.status_bar.notice = one_line(text, 80)
            self.sync_mode()
        else:
            # the notification goes away; the status bar keeps saying what failed (instead of
            # "loading assistants…" forever when the server cannot be reached)
            self.status_bar.notice = one_line(f"{title}: {text}", 80)


def describe_error(error: BaseException | None) -> tuple[str, str]:
    """A title and a one-paragraph, sanitized, key-free description of a worker failure."""
    from bbot_tui.api.errors import ApiError
    from bbot_tui.config.security import redact, registered_secrets

    if isinstance(error, ApiError):
        text = error.message + (f" ({error.hint})" if error.hint else "")
        title = "Server error" if getattr(error, "status", None) else "Connection"
    elif type(error).__name__ == "ValidationError":
        from bbot_tui.session.run_options import field_errors

        try:
            fields = field_errors(error)  # type: ignore[arg-type]
            text = "; ".join(f"{k}: {', '.join(v)}" for k, v in fields.items())
        except Exception:
            text = str(error)
        title, text = "Run options are invalid", text + " (ctrl+o to fix)"
    else:
        title, text = "Unexpected error", f"{type(error).__name__}: {error}"
    return title, one_line(redact(text, registered_secrets()), 400)
