"""The main screen: assistants and threads on the side, the conversation, the composer.

Layout: the side panes (assistants, threads), the centre (message view, interrupt card, composer),
the event log (toggled), the status bar and the footer. Below 100 columns the side panes hide
(``ctrl+b`` shows them over the centre); from 160 columns on they get wider. Its stylesheet,
``styles/main.tcss``, is loaded by the app.

The screen owns collaborators, each with its own state (among them):

* a :class:`~.thread_browser.ThreadBrowser`: the assistants, the selected assistant's threads
  (status filter, paging, delete, fork, rename) and the open thread;
* a :class:`~.run_controller.RunController`: the open thread's transcript and run session, the
  run status, Stop and Detach, and the runs remembered for a rejoin after a restart.
* a :class:`~.thread_follow.FollowController`: runs started elsewhere, shown live on the open
  thread and announced for the threads followed in the background (``f`` in the thread list).

The screen keeps the layout, the key bindings and their actions, the answers to its widgets'
messages (each becomes a worker call), the views of the transcript (message view, interrupt card,
composer mode), and the workers: each runs one coroutine of a collaborator, and every worker
failure is handled in one place (:meth:`MainScreen._worker_failed`). Questions that need the
user's confirmation (deleting a thread, sending a very large input, opening a link) are asked
from small workers, so the handlers never block.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Literal, cast

from textual import getters, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.reactive import var
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Static, TextArea
from textual.worker import Worker, WorkerState

from bbot_tui.text import one_line
from bbot_tui.tui.messages import (
    ConnectionRequested,
    NotConnected,
    ProfileActivated,
    SettingsLoaded,
)
from bbot_tui.tui.screens.branch_controller import BranchController
from bbot_tui.tui.screens.chat_commands import ChatCommands
from bbot_tui.tui.screens.run_controller import RunController, RunPlan
from bbot_tui.tui.screens.run_ledger import RunLedger
from bbot_tui.tui.screens.switcher import AssistantCommands, ThreadCommands, switcher
from bbot_tui.tui.screens.thread_browser import ThreadBrowser
from bbot_tui.tui.screens.thread_follow import FollowController
from bbot_tui.tui.widgets.assistant_pane import AssistantPane
from bbot_tui.tui.widgets.completion_list import CompletionList
from bbot_tui.tui.widgets.composer import Composer, describe_size
from bbot_tui.tui.widgets.event_log import EventLog
from bbot_tui.tui.widgets.namespace_tree import NamespaceTree
from bbot_tui.tui.widgets.search_bar import SearchBar
from bbot_tui.tui.widgets.status_bar import StatusBar
from bbot_tui.tui.widgets.thread_pane import ThreadPane

if TYPE_CHECKING:
    from bbot_tui.api.models import Assistant
    from bbot_tui.session.inbox import InboxItem
    from bbot_tui.session.run import RunSession
    from bbot_tui.stream.transcript import Transcript
    from bbot_tui.tui.screens.app_services import AppServices

__all__ = [
    "CONFIRM_BYTES",
    "NARROW_WIDTH",
    "WIDE_WIDTH",
    "MainScreen",
    "describe_error",
    "parse_answer",
]

NARROW_WIDTH = 100
"""Below this many columns the side panes are hidden unless toggled."""
WIDE_WIDTH = 160
"""From this many columns on the side panes get wider (longer names and titles)."""
EMPTY_HINT = (
    "No messages yet: type below and press Enter.\n"
    "ctrl+b assistants and threads · ctrl+o run options · ctrl+p every action"
)
"""Shown above an empty conversation (on a narrow terminal the side panes are hidden)."""
NOT_CONNECTED_HINT = (
    "Not connected to a server yet.\n"
    "F3 connects to yours (B-Bot or any LangGraph Agent Server) · "
    "`bbot-tui demo` shows the demo, no account needed · ctrl+q quits"
)
"""Shown once the welcome (the first connection screen) was dismissed without a profile."""
CONFIRM_BYTES = 2_000_000
"""Inputs larger than this are only sent after a confirmation."""


def parse_answer(text: str) -> Any:
    """The resume value typed in the composer: a JSON object or array, else the text itself."""
    stripped = text.strip()
    if stripped[:1] in ("{", "["):
        import json

        try:
            value = json.loads(stripped)
        except ValueError:
            return text
        if isinstance(value, dict | list):
            return value
    return text


class MainScreen(Screen[None]):
    """Assistants, threads, the conversation and the composer."""

    AUTO_FOCUS = "#composer"
    BINDINGS = [
        Binding("escape", "stop", "Stop run", priority=True),
        Binding("ctrl+d", "detach", "Detach", priority=True),
        Binding("escape", "focus_composer", "Composer", show=False),
        Binding("ctrl+b", "toggle_side", "Panes"),
        # the quick switcher; priority: the composer's ctrl+a (line start) is also `home`
        Binding("ctrl+a", "quick_assistant", "Assistant", priority=True),
        Binding("ctrl+r", "quick_thread", "Thread", priority=True),
        Binding("ctrl+l,f2", "toggle_event_log", "Events"),
        Binding("ctrl+n", "new_thread", "New thread"),
        Binding("ctrl+o", "run_options", "Run options"),
        Binding("ctrl+t", "history", "History"),
        Binding("f9", "breakpoints", "Breakpoints"),
        Binding("ctrl+g", "inbox", "Inbox"),
        Binding("f5", "refresh", "Refresh", show=False),
        Binding("ctrl+f", "search", "Find", show=False),
    ]
    """Escape stops a streaming run (else returns to the composer); ctrl+d detaches from it;
    ctrl+a and ctrl+r open the quick switcher on the assistants and on the recent threads;
    ctrl+g the inbox (every thread waiting for a human, across assistants)."""
    COMMANDS = {AssistantCommands, ThreadCommands}
    """The quick switcher's entries in the command palette, beside every action."""

    running: var[bool] = var(False, bindings=True)
    """True while the run worker follows a stream (Stop and Detach are available)."""

    status_bar = getters.query_one(StatusBar)
    """The status bar."""
    composer = getters.query_one(Composer)
    """The composer."""
    assistant_pane = getters.query_one(AssistantPane)
    """The assistant pane."""
    thread_pane = getters.query_one(ThreadPane)
    """The thread pane."""
    event_log = getters.query_one(EventLog)
    """The event log."""
    empty_hint = getters.query_one("#empty-hint", Static)
    """The hint above an empty conversation."""
    search_bar = getters.query_one(SearchBar)
    """The search bar above the conversation (ctrl+f)."""
    completion_list = getters.query_one(CompletionList)
    """The composer's choices (slash commands, @paths)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.threads = ThreadBrowser(self)
        """The assistants, their threads and the open thread."""
        self._ledger = RunLedger()
        self.runs = RunController(self, self.threads, self._ledger)
        """The open thread's transcript, run session and run status."""
        self.chat = ChatCommands(self)
        """What the slash commands (and their palette entries) do beyond the screen's own."""
        self.branches = BranchController(self)
        """The open thread's branches: edit and resend, regenerate, move between siblings."""
        self.follows = FollowController(self, self.runs, self.threads)
        """Runs started elsewhere: on the open thread (live) and on followed threads."""
        self.runs.on_thread = self.follows.open

    # --- what the screen shows ---------------------------------------------------------------

    @property
    def services(self) -> AppServices:
        """The app, typed by what the screen uses of it (the app is not imported here)."""
        return cast("AppServices", self.app)

    @property
    def assistant(self) -> Assistant | None:
        """The selected assistant."""
        return self.threads.assistant

    @property
    def thread_id(self) -> str | None:
        """The open thread (None: a new conversation)."""
        return self.threads.thread_id

    @property
    def transcript(self) -> Transcript:
        """The open thread's conversation."""
        return self.runs.transcript

    @property
    def session(self) -> RunSession | None:
        """The run session of the open thread."""
        return self.runs.session

    # --- layout -----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        """The layout."""
        with Horizontal(id="body"):
            with Vertical(id="side"):
                yield AssistantPane(id="assistant-pane")
                yield ThreadPane(id="thread-pane")
                yield NamespaceTree(id="namespace-tree")
            with Vertical(id="center"):
                yield Static(EMPTY_HINT, id="empty-hint", markup=False)
                yield SearchBar(id="search-bar")
                yield self._message_view()
                yield from self._interrupt_card()
                yield CompletionList(id="completion-list")
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

    def on_unmount(self) -> None:
        """Stop following threads (the runs go on on the server)."""
        self.follows.stop_all()

    def on_resize(self) -> None:
        """Collapse the side panes on narrow terminals."""
        self._adapt(self.size.width)

    def _adapt(self, width: int) -> None:
        self.set_class(0 < width < NARROW_WIDTH, "-narrow")
        self.set_class(width >= WIDE_WIDTH, "-wide")

    # --- the views of the transcript -------------------------------------------------------

    def show_transcript(self, transcript: Transcript) -> None:
        """Hand a transcript to the message view and the interrupt card."""
        for widget in self.query("#message-view, #interrupt-card, #namespace-tree"):
            if hasattr(widget, "transcript"):
                widget.transcript = transcript
        self._sync_hint()

    def show_branch_labels(self, labels: dict[str, str]) -> None:
        """Label messages that have siblings ("branch 2/3"), by transcript key."""
        for view in self.query("#message-view"):
            if hasattr(view, "show_branch_labels"):
                view.show_branch_labels(labels)

    def show_interrupts(self, transcript: Transcript) -> None:
        """Hand the transcript to the interrupt card (its interrupts may have changed)."""
        for card in self.query("#interrupt-card"):
            card.transcript = transcript  # type: ignore[attr-defined]

    def _sync_hint(self) -> None:
        self.empty_hint.display = not (self.running or self.transcript.messages)

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
        session = self.session
        for card in self.query("#interrupt-card"):
            # the state read at the stop, shown by the card at a breakpoint
            card.state = session.last_state if session else None  # type: ignore[attr-defined]
            card.transcript = t  # type: ignore[attr-defined]
        self._reply_typed()

    @on(TextArea.Changed, "#composer")
    def _reply_typed(self) -> None:
        """While a question waits, show in the card the exact command Enter would send."""
        preview: tuple[bool, str] | None = None
        t = self.transcript
        text = self.composer.text
        if self.composer.mode == "answer" and text.strip() and t.interrupts:
            from bbot_tui.session.interrupts import command_json, typed_command

            try:
                preview = (True, command_json(typed_command(text, t.interrupts)))
            except ValueError as exc:
                preview = (False, str(exc))
        for card in self.query("#interrupt-card"):
            card.typed_reply = preview  # type: ignore[attr-defined]

    def watch_running(self, running: bool) -> None:
        """Show the composer busy while a run streams."""
        if self.is_mounted:
            self.composer.busy = running
            self._sync_hint()

    # --- runs -----------------------------------------------------------------------------

    @work(exclusive=True, group="run", exit_on_error=False)
    async def run_flow(self, plan: RunPlan) -> None:
        """The run worker: one at a time; starting another detaches from the current one."""
        if plan.kind in ("open", "join"):
            self.branches.forget()
        await self.runs.execute(plan)
        self.branches.refresh_later()  # the run wrote checkpoints: siblings may have changed

    @work(group="cancel", exit_on_error=False)
    async def cancel_run(self, session: RunSession) -> None:
        """Ask the server to cancel the session's run (the stream then ends by itself)."""
        await session.cancel(action="interrupt")

    @work(group="run-state", exit_on_error=False)
    async def drain_run_state(self) -> None:
        """Write down which runs are streaming (one write at a time, off the event loop)."""
        await self._ledger.drain()

    def detach(self) -> None:
        """Stop following the run; it goes on on the server (reopen the thread to rejoin)."""
        if not self.running:
            return
        self.workers.cancel_group(self, "run")
        self.runs.detached()

    @work(exclusive=True, group="rejoin-check", exit_on_error=False)
    async def check_active_runs(self) -> None:
        """Offer to rejoin a run that was streaming when the app last closed."""
        from bbot_tui.tui.screens.confirm import ConfirmScreen

        run = await self.runs.remembered_run()
        if run is None:
            return
        question = ConfirmScreen(
            "Rejoin a running run?",
            f"A run on thread {run.thread_id} was streaming when bbot-tui closed and is still "
            f"{run.status} on the server. Follow it again?",
            confirm_label="Rejoin",
        )
        if await self.app.push_screen_wait(question):
            self.run_flow(RunPlan("join", thread_id=run.thread_id, run_id=run.run_id))
        else:
            await self.runs.forget(run)

    # --- assistants and threads ------------------------------------------------------------

    @work(exclusive=True, group="assistants", exit_on_error=False)
    async def load_assistants(self, *, restore: bool = False, announce: bool = False) -> None:
        """Load the assistants; with ``restore``, reselect the last assistant and thread.

        Args:
            restore: Select the profile's last assistant (and thread) again.
            announce: Say "connected" once the server answered (after a profile switch).
        """
        profile = self.services.profile
        opened = profile.last_thread_id if restore and profile is not None else None
        if opened:  # the last thread opens at once, beside the assistants: not after them
            self.run_flow(RunPlan("open", thread_id=opened))
        choice = await self.threads.load_assistants(restore=restore)
        if self.status_bar.status == "offline":
            self.status_bar.status = "idle"
        profile = self.services.profile
        if announce and profile is not None:
            count = len(self.assistant_pane.assistants)
            self.notify(
                f"Connected to {one_line(profile.name, 40)!r}: {count} assistant"
                f"{'' if count == 1 else 's'}.",
                markup=False,
            )
        if choice is not None:
            if choice.first and len(self.assistant_pane.assistants) > 1:
                self.notify(
                    f"Chose {one_line(choice.assistant.label, 40)!r}, the first assistant: "
                    "ctrl+a switches to another.",
                    markup=False,
                )
            self.select_assistant(choice.assistant, thread_id=choice.thread_id, opened=opened)
            self.check_active_runs()

    def select_assistant(
        self, assistant: Assistant, *, thread_id: str | None = None, opened: str | None = None
    ) -> None:
        """Make an assistant current: list its threads and open one (or a new thread).

        ``opened`` is a thread already being opened (at start-up): it is not opened twice.
        """
        self.threads.select_assistant(assistant)
        self.load_threads()
        if thread_id and thread_id == opened:
            pass
        elif thread_id:
            self.run_flow(RunPlan("open", thread_id=thread_id))
        else:
            self.new_thread()

    @work(exclusive=True, group="threads", exit_on_error=False)
    async def load_threads(self, *, append: bool = False) -> None:
        """Load the first (or next) page of the selected assistant's threads."""
        await self.threads.load_page(append=append)

    def new_thread(self) -> None:
        """Start a blank conversation (the thread is created with the first message)."""
        if self.running:
            self.detach()
        self.workers.cancel_group(self, "run")
        self.branches.forget()
        self.runs.install(None)
        self.status_bar.thread = "new thread"

    @work(group="thread-ops", exit_on_error=False)
    async def refresh_thread(self, thread_id: str) -> None:
        """Show a thread's new status (and title) in the thread pane, after a run."""
        await self.threads.refresh(thread_id)
        self.services.inbox_watch.wake()  # a question may have been asked or answered

    @work(group="thread-ops", exit_on_error=False)
    async def watch_detached(self, thread_id: str, run_id: str) -> None:
        """Refresh a detached run's thread in the pane once the run ended on the server."""
        await self.runs.wait_detached(thread_id, run_id)

    @work(group="thread-ops", exit_on_error=False)
    async def thread_op(
        self, kind: Literal["delete", "copy", "rename"], thread_id: str, title: str = ""
    ) -> None:
        """Delete, copy (fork) or rename one thread."""
        if kind == "delete":
            if await self.threads.delete(thread_id, title):
                self.new_thread()
        elif kind == "copy":
            await self.threads.copy(thread_id, title)
        else:
            await self.threads.rename(thread_id, title)

    @work(exclusive=True, group="inspect", exit_on_error=False)
    async def inspect_assistant(self, assistant: Assistant) -> None:
        """Fetch an assistant's schemas and graph and show them."""
        from bbot_tui.api.errors import ApiError
        from bbot_tui.tui.screens.inspect import InspectScreen

        client = self.services.client
        schemas = await client.assistants.schemas(assistant.assistant_id)
        nodes: list[str] = []
        graph_error = None
        try:
            nodes = (await client.assistants.graph(assistant.assistant_id, xray=True)).node_names()
        except ApiError as exc:
            graph_error = exc.message
        self.app.push_screen(InspectScreen(assistant, schemas, nodes, graph_error=graph_error))

    # --- the app's messages ------------------------------------------------------------------

    @on(SettingsLoaded)
    def _settings_loaded(self, message: SettingsLoaded) -> None:
        settings = self.services.settings
        if settings is None:
            return
        self.set_class(not settings.show_assistant_pane, "-hide-side")
        self._show_event_log(settings.show_event_log)
        self.composer.input_history = list(settings.input_history)
        if message.backup_path is not None:
            self.status_bar.warning = f"settings were damaged: backup in {message.backup_path}"
        elif message.warnings:
            self.status_bar.warning = message.warnings[0]

    @on(NotConnected)
    def _not_connected(self) -> None:
        self.empty_hint.update(NOT_CONNECTED_HINT)
        self.status_bar.notice = "not connected: F3 connects a server"
        self._sync_hint()

    @on(ProfileActivated)
    def _profile_activated(self, message: ProfileActivated) -> None:
        profile = self.services.profile
        self.empty_hint.update(EMPTY_HINT)
        bar = self.status_bar
        bar.profile = message.name
        bar.server = profile.base_url if profile else ""
        # nothing of the previous server may stay: its lists, its conversation, its events
        for group in ("run", "threads", "thread-ops", "inspect"):
            self.workers.cancel_group(self, group)
        self.threads.clear()
        self.runs.install(None, remember=False)
        self.follows.reset()
        bar.notice = f"connecting to {one_line(bar.server, 60)}…"
        self.load_assistants(restore=True, announce=message.announce)
        self._log_requests()

    def _log_requests(self) -> None:
        """List the open thread's run requests in the event log, before the events they cause
        (the profile's client tells what it sends, keys masked: ``bbot_tui.api.sent``)."""
        from bbot_tui.api.errors import ApiError

        try:
            listeners = self.services.client.http.request_listeners
        except ApiError:
            return
        if self._log_request not in listeners:
            listeners.append(self._log_request)

    def _log_request(self, sent: Any) -> None:
        if sent.method == "GET" and sent.path.split("?", 1)[0].endswith("/runs"):
            return  # a listing (opening a thread, the live follow), not a run's request
        if "/runs" in sent.path or (sent.method == "POST" and sent.path == "/threads"):
            self.event_log.add_request(sent)

    # --- the widgets' messages --------------------------------------------------------------

    @on(AssistantPane.Selected)
    def _assistant_selected(self, message: AssistantPane.Selected) -> None:
        self.select_assistant(message.assistant)
        self.set_class(False, "-side-open")  # the narrow overlay: back to the conversation
        self.composer.focus()

    @on(AssistantPane.InspectRequested)
    def _inspect(self, message: AssistantPane.InspectRequested) -> None:
        self.inspect_assistant(message.assistant)

    @on(ThreadPane.Selected)
    def _thread_selected(self, message: ThreadPane.Selected) -> None:
        self.thread_pane.clear_search(message.thread_id)  # a search must not hide it
        self.run_flow(RunPlan("open", thread_id=message.thread_id))
        self.set_class(False, "-side-open")  # the narrow overlay: back to the conversation
        self.composer.focus()

    @on(ThreadPane.NewRequested)
    def action_new_thread(self) -> None:
        """Start a new conversation."""
        self.new_thread()
        self.composer.focus()

    @on(ThreadPane.DeleteRequested)
    @work(group="confirm", exit_on_error=False)
    async def _delete(self, message: ThreadPane.DeleteRequested) -> None:
        from bbot_tui.tui.screens.confirm import ConfirmScreen

        question = ConfirmScreen(
            "Delete thread?",
            f"{message.title}\n\nThe thread and its history are deleted on the server.",
            confirm_label="Delete",
            danger=True,
        )
        if await self.app.push_screen_wait(question):
            self.thread_op("delete", message.thread_id, message.title)

    @on(ThreadPane.CopyRequested)
    def _copy(self, message: ThreadPane.CopyRequested) -> None:
        self.thread_op("copy", message.thread_id, self.threads.title(message.thread_id))

    @on(ThreadPane.RenameRequested)
    @work(group="confirm", exit_on_error=False)
    async def _rename(self, message: ThreadPane.RenameRequested) -> None:
        from bbot_tui.tui.screens.confirm import RenameScreen

        title = await self.app.push_screen_wait(RenameScreen(message.title))
        if title:
            self.thread_op("rename", message.thread_id, title)

    @on(ThreadPane.FollowRequested)
    def _follow_toggled(self, message: ThreadPane.FollowRequested) -> None:
        self.follows.toggle(message.thread_id)

    @on(ThreadPane.MoreRequested)
    def _more(self) -> None:
        self.load_threads(append=True)

    @on(ThreadPane.StatusFilterChanged)
    def _status_filter(self, message: ThreadPane.StatusFilterChanged) -> None:
        self.threads.status_filter = message.status
        self.load_threads()

    @on(Composer.Submitted)
    @work(group="submit", exclusive=True, exit_on_error=False)
    async def _submitted(self, message: Composer.Submitted) -> None:
        from bbot_tui.session.slash import SlashCommand, SlashError, parse_input

        composer = self.composer
        parsed = parse_input(message.text)
        if isinstance(parsed, SlashError):
            self.notify(parsed.message, severity="warning", markup=False)
            return  # nothing is sent, the text stays
        if isinstance(parsed, SlashCommand):
            from bbot_tui.tui.screens.chat_commands import action_for

            composer.remember(message.text)
            composer.clear()
            await self.run_action(action_for(parsed))
            return
        text = parsed.text
        if self.running:
            self.notify("A run is streaming: Esc stops it, ctrl+d detaches.", severity="warning")
            return
        if self.follows.live:
            self.notify("A run started by another client is going: wait for its end.")
            return
        if self.assistant is None:
            self.notify("Pick an assistant first.", severity="warning")
            return
        t = self.transcript
        plan: RunPlan | None
        if t.stop == "question" and t.interrupts:
            if not text.strip():
                self.notify("Type an answer to the question first.", severity="warning")
                return
            if len(t.interrupts) > 1:
                self.notify("Several questions are waiting: answer them in the card above.")
                return
            from bbot_tui.session.interrupts import typed_command

            try:  # "yes" approves a structured question, a reply rejects or responds with it
                command = typed_command(text, t.interrupts)
            except ValueError as exc:
                self.notify(str(exc), severity="warning", markup=False)
                return
            plan = RunPlan("resume", command=command, assistant_id=self.follows.answer_assistant())
        elif t.stop == "breakpoint" and not text.strip():
            plan = RunPlan("continue", assistant_id=self.follows.answer_assistant())
        elif not text.strip():
            return
        elif self.branches.editing is not None:
            plan = None  # an edited message: a new branch from the checkpoint before it
        else:
            plan = RunPlan("send", text=text, checkpoint_id=self.branches.plan_checkpoint())
            if not await self._attach_files(plan):
                return  # a file cannot be attached: said on the composer, the text stays
        size = len(text.encode("utf-8", "replace"))
        if size > CONFIRM_BYTES:
            from bbot_tui.tui.screens.confirm import ConfirmScreen

            question = ConfirmScreen(
                "Send a very large input?",
                f"The input is {describe_size(size)}. Send it anyway?",
                confirm_label="Send",
            )
            if not await self.app.push_screen_wait(question):
                return
        composer.remember(message.text)
        composer.clear()
        services = self.services
        settings = services.settings
        if settings is not None and text.strip():
            settings.input_history = list(composer.input_history)
            services.save_settings()
        if plan is None:
            self.branches.send_edit(text)
        else:
            self.run_flow(plan)

    async def _attach_files(self, plan: RunPlan) -> bool:
        """Read the files a message names with ``@path`` into its content (see
        ``bbot_tui.session.attachments``).

        Returns:
            False when one cannot be attached (missing, unreadable, too large, not text, image
            or PDF): the composer says why and nothing is sent.
        """
        import asyncio
        from pathlib import Path

        from bbot_tui.session.attachments import (
            AttachmentError,
            build_content,
            mentions,
            read_attachments,
        )

        text = plan.text or ""
        if not mentions(text):
            return True
        folder = self.composer.attach_root or Path.cwd()
        try:
            files = await asyncio.to_thread(read_attachments, text, folder)
        except AttachmentError as exc:
            self.composer.error = str(exc)
            self.notify(str(exc), title="Not sent", severity="error", markup=False)
            return False
        profile = self.services.profile
        content = build_content(text, files, profile.attachment_format if profile else "langchain")
        if isinstance(content, str):
            plan.text = content  # text files go into the text, fenced
        else:
            plan.content = content  # images and PDFs as content blocks
        return True

    def on_interrupt_card_resume_requested(self, message: Any) -> None:
        """The interrupt card's answer: resume with its command."""
        if not self.running:
            asker = self.follows.answer_assistant()
            self.run_flow(RunPlan("resume", command=message.command, assistant_id=asker))

    def on_interrupt_card_continue_requested(self, message: Any) -> None:
        """Continue from a breakpoint (input null)."""
        if not self.running:
            self.run_flow(RunPlan("continue", assistant_id=self.follows.answer_assistant()))

    @work(group="confirm", exit_on_error=False)
    async def on_message_view_link_clicked(self, message: Any) -> None:
        """Show the link's real target; open only http(s) links the user confirms."""
        from bbot_tui.tui.screens.confirm import OpenUrlScreen

        screen = OpenUrlScreen(str(message.url))
        if await self.app.push_screen_wait(screen) and screen.allowed:
            self.app.open_url(screen.url)

    def on_message_view_run_details_requested(self, message: Any) -> None:
        """``t`` on a message: where its run spent its time."""
        from bbot_tui.tui.screens.run_details import RunDetailsScreen

        key = message.key
        self.app.push_screen(RunDetailsScreen(lambda: self.runs.timing_for(key)))

    def on_message_view_edit_requested(self, message: Any) -> None:
        """``e`` on a human message: edit it in the composer, then resend as a new branch."""
        self.branches.edit(str(message.key))

    def on_message_view_regenerate_requested(self, message: Any) -> None:
        """``r`` on an AI answer: write it again, as a new branch."""
        self.branches.regenerate(str(message.key))

    def on_message_view_branch_requested(self, message: Any) -> None:
        """``<``/``>`` on a message with siblings: show the other branch."""
        self.branches.move(str(message.key), int(message.delta))

    @on(NamespaceTree.BranchChosen)
    def _branch_chosen(self, message: NamespaceTree.BranchChosen) -> None:
        """A namespace chosen in the tree: the message view shows its branch only."""
        view = self.query_one("#message-view")
        if hasattr(view, "branch"):
            view.branch = message.path

    @on(Composer.EditCancelled)
    def _edit_cancelled(self) -> None:
        self.branches.cancel_edit()

    def on_message_view_copy_requested(self, message: Any) -> None:
        """Copy to the clipboard (OSC 52 and, where possible, the system clipboard)."""
        text = str(message.text)
        self.app.copy_to_clipboard(text)
        self.notify(f"Copied {len(text)} characters.")

    # --- actions ------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Stop and Detach exist only while a run streams."""
        if action in ("stop", "detach"):
            return self.running
        return True

    def action_stop(self) -> None:
        """Stop the run (cancel on the server)."""
        self.runs.stop()

    def action_detach(self) -> None:
        """Stop following the run; it goes on on the server."""
        self.detach()

    def action_quick_assistant(self) -> None:
        """Switch assistant by name: the palette with every assistant (ctrl+a)."""
        self.app.push_screen(switcher(AssistantCommands))

    def action_quick_thread(self) -> None:
        """Open a recent thread by title: the palette with the thread list (ctrl+r)."""
        self.app.push_screen(switcher(ThreadCommands))

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
        services = self.services
        if services.settings is not None:
            services.settings.show_assistant_pane = not hidden
            services.save_settings()

    def action_toggle_event_log(self) -> None:
        """Show or hide the raw event log."""
        show = not self.has_class("-show-events")
        self._show_event_log(show)
        services = self.services
        if services.settings is not None:
            services.settings.show_event_log = show
            services.save_settings()

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
            nodes = (
                await self.services.client.assistants.graph(assistant.assistant_id)
            ).node_names()
        except ApiError:
            nodes = []
        screen = RunOptionsScreen(
            self.runs.options(),
            node_names=nodes,
            entity_id=assistant.entity_id,
            title=assistant.label,
        )
        options = await self.app.push_screen_wait(screen)
        if options is not None and self.assistant is assistant:
            self.runs.store_options(options)
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
        screen: Any = HistoryScreen(
            self.services.client, self.thread_id, head=self.branches.current_head()
        )
        result = await self.app.push_screen_wait(screen)
        if isinstance(result, tuple) and len(result) == 2:
            kind, value = result
            if kind == "rerun":
                self.run_flow(RunPlan("rerun", checkpoint_id=str(value)))
            elif kind == "open":
                self.run_flow(RunPlan("open", thread_id=str(value)))

    @work(exclusive=True, group="run-options", exit_on_error=False)
    async def action_breakpoints(self) -> None:
        """Toggle breakpoints on the assistant's graph nodes (F9, one key per node)."""
        from bbot_tui.tui.screens.breakpoints import edit_breakpoints

        await edit_breakpoints(self)

    def action_refresh(self) -> None:
        """Reload the assistants and threads (F5)."""
        self.notify("Refreshing the assistants and threads…", timeout=3)
        self.load_assistants()
        self.load_threads()

    def action_inbox(self) -> None:
        """Every thread waiting for a human, across assistants (ctrl+g); Enter opens one."""
        from bbot_tui.tui.screens.inbox import InboxScreen

        if isinstance(self.app.screen, InboxScreen):
            return
        names = {a.assistant_id: a.label for a in self.assistant_pane.assistants}
        screen = InboxScreen(self.services.inbox_watch, names)
        self.app.push_screen(screen, self._inbox_chosen)

    def _inbox_chosen(self, item: InboxItem | None) -> None:
        if item is not None:
            self.open_waiting(item.thread_id, item.assistant_id)

    @work(exclusive=True, group="open-waiting", exit_on_error=False)
    async def open_waiting(self, thread_id: str, assistant_id: str | None) -> None:
        """Open a thread of any assistant, its question in the card (the inbox's Enter).

        A thread of another assistant switches to that assistant first (read from the server
        when the pane does not list it): its answer must resume the graph that asked.
        """
        current = self.assistant
        if assistant_id and (current is None or current.assistant_id != assistant_id):
            listed = self.assistant_pane.assistants
            assistant = next((a for a in listed if a.assistant_id == assistant_id), None)
            if assistant is None:
                assistant = await self.services.client.assistants.get(assistant_id)
            self.select_assistant(assistant, thread_id=thread_id)
        else:
            self.open_thread(thread_id)
        self.composer.focus()

    def action_copy_thread_id(self) -> None:
        """Copy the open thread's id."""
        if self.thread_id:
            self.app.copy_to_clipboard(self.thread_id)
            self.notify("Copied the thread id.")

    def action_connection(self) -> None:
        """Ask the app for the connection screen."""
        self.post_message(ConnectionRequested())

    # --- chat commands (each is a slash command and a palette entry) -------------------------

    def open_thread(self, thread_id: str) -> None:
        """Open a thread (rejoining its live run, if any)."""
        self.run_flow(RunPlan("open", thread_id=thread_id))

    def action_switch_assistant(self, name: str = "") -> None:
        """``/assistant NAME``: switch to an assistant by name (no name: the list)."""
        if name:
            if self.chat.switch_assistant(name):
                self.composer.focus()
            return
        self.set_class(False, "-hide-side")
        if self.has_class("-narrow"):
            self.add_class("-side-open")
        self.query_one("#assistant-search").focus()

    @work(group="confirm", exit_on_error=False)
    async def action_name_thread(self, title: str = "") -> None:
        """``/thread TITLE``: title the open thread (a new one is created with the title)."""
        if not title:
            from bbot_tui.tui.screens.confirm import RenameScreen

            current = self.threads.title(self.thread_id) if self.thread_id else ""
            title = await self.app.push_screen_wait(RenameScreen(current)) or ""
        if title:
            self.chat.name_thread(title)

    def action_resume(self, query: str = "") -> None:
        """``/resume``: pick a recent thread of the assistant to open again."""
        self.chat.resume(query)

    def action_export(self, file: str = "") -> None:
        """``/export [FILE]``: write the open thread as Markdown, JSON or HTML."""
        self.chat.export(file)

    def action_search(self, text: str = "") -> None:
        """Find text in the conversation (ctrl+f; ``/search TEXT``)."""
        self.search_bar.open(text or None)
        if text:
            self._search(text)

    def action_theme(self, name: str = "") -> None:
        """``/theme NAME``: switch the colour theme (no name: Textual's theme picker)."""
        self.chat.theme(name)

    def action_compare(self, name: str = "") -> None:
        """``/compare [ASSISTANT]``: the same message to two assistants, side by side."""
        from bbot_tui.tui.screens.compare import CompareScreen

        other = None
        if name:
            other = self.chat.find_assistant(name)
            if other is None:
                self.notify(
                    f"No assistant is called {one_line(name, 60)!r}.",
                    severity="warning",
                    markup=False,
                )
                return
        services = self.services
        saved = services.settings.run_options if services.settings is not None else {}
        screen = CompareScreen(
            services.client,
            list(self.assistant_pane.assistants),
            saved=saved,
            a=self.assistant,
            b=other,
        )
        self.app.push_screen(screen)

    def action_slash_help(self) -> None:
        """``/help``: list the slash commands."""
        self.chat.help()

    def _search(self, query: str) -> None:
        for view in self.query("#message-view"):
            if hasattr(view, "search"):
                self.search_bar.count = view.search(query)

    @on(SearchBar.QueryChanged)
    def _search_changed(self, message: SearchBar.QueryChanged) -> None:
        self._search(message.query)

    @on(SearchBar.StepRequested)
    def _search_step(self, message: SearchBar.StepRequested) -> None:
        for view in self.query("#message-view"):
            if hasattr(view, "action_search_step"):
                view.action_search_step(message.delta)

    @on(SearchBar.Closed)
    def _search_closed(self) -> None:
        self.search_bar.close()
        for view in self.query("#message-view"):
            if hasattr(view, "clear_search"):
                view.clear_search()
        self.composer.focus()

    def on_message_view_search_moved(self, message: Any) -> None:
        """Show the view's match count in the search bar."""
        self.search_bar.count = (message.current, message.total)

    @on(Composer.CompletionsChanged)
    def _completions(self, message: Composer.CompletionsChanged) -> None:
        self.completion_list.show(message.items, message.index)

    @on(CompletionList.OptionSelected, "#completion-list")
    def _completion_clicked(self, message: CompletionList.OptionSelected) -> None:
        message.stop()
        self.composer.accept_completion(message.option_index)
        self.composer.focus()

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
            if event.worker.group == "assistants":
                self.status_bar.status = "offline"  # F5 retries, F3 edits the profile


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
