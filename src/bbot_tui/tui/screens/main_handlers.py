"""How the main screen answers its widgets' messages: each becomes a worker call.

Widgets talk up with messages and never call their siblings; :class:`MainHandlers` (building on
:class:`~bbot_tui.tui.screens.main_threads.ThreadFlows`) receives them: the assistant pane's and the
thread pane's selections and requests, the composer's submission (a message, an answer to a
question, or continuing from a breakpoint), the interrupt card's answers and the message view's
links and copies. Questions that need the user's confirmation (deleting a thread, sending a very
large input, opening a link) are asked from small workers, so the handlers never block.
"""

from __future__ import annotations

from typing import Any

from textual import on, work

from bbot_tui.tui.screens.main_run import RunPlan
from bbot_tui.tui.screens.main_threads import ThreadFlows
from bbot_tui.tui.widgets.assistant_pane import AssistantPane
from bbot_tui.tui.widgets.composer import Composer, describe_size
from bbot_tui.tui.widgets.thread_pane import ThreadPane, thread_label

__all__ = ["CONFIRM_BYTES", "MainHandlers", "parse_answer"]

CONFIRM_BYTES = 2_000_000
"""Inputs larger than this are only sent after a confirmation (docs/PROTOCOL.md, case U7)."""


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


class MainHandlers(ThreadFlows):
    """The main screen's answers to its widgets' messages."""

    # --- widget messages --------------------------------------------------------------------

    @on(AssistantPane.Selected)
    def _assistant_selected(self, message: AssistantPane.Selected) -> None:
        self.select_assistant(message.assistant)
        self.composer.focus()

    @on(AssistantPane.InspectRequested)
    def _inspect(self, message: AssistantPane.InspectRequested) -> None:
        self.inspect_assistant(message.assistant)

    @on(ThreadPane.Selected)
    def _thread_selected(self, message: ThreadPane.Selected) -> None:
        self.run_flow(RunPlan("open", thread_id=message.thread_id))
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
        thread = self.thread_pane.get(message.thread_id)
        self.thread_op("copy", message.thread_id, thread_label(thread) if thread else "")

    @on(ThreadPane.RenameRequested)
    @work(group="confirm", exit_on_error=False)
    async def _rename(self, message: ThreadPane.RenameRequested) -> None:
        from bbot_tui.tui.screens.confirm import RenameScreen

        title = await self.app.push_screen_wait(RenameScreen(message.title))
        if title:
            self.thread_op("rename", message.thread_id, title)

    @on(ThreadPane.MoreRequested)
    def _more(self) -> None:
        self.load_threads(append=True)

    @on(ThreadPane.StatusFilterChanged)
    def _status_filter(self, message: ThreadPane.StatusFilterChanged) -> None:
        self.status_filter = message.status
        self.load_threads()

    @on(Composer.Submitted)
    @work(group="submit", exclusive=True, exit_on_error=False)
    async def _submitted(self, message: Composer.Submitted) -> None:
        text = message.text
        composer = self.composer
        if self.running:
            self.notify("A run is streaming: Esc stops it, ctrl+d detaches.", severity="warning")
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
            from bbot_tui.session.run import build_command

            command = build_command(resume=parse_answer(text), has_resume=True)
            plan = RunPlan("resume", command=command)
        elif t.stop == "breakpoint" and not text.strip():
            plan = RunPlan("continue")
        elif not text.strip():
            return
        else:
            plan = RunPlan("send", text=text)
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
        composer.remember(text)
        composer.clear()
        settings = self.bbot.settings
        if settings is not None and text.strip():
            settings.input_history = list(composer.input_history)
            self.bbot.save_settings()
        self.run_flow(plan)

    def on_interrupt_card_resume_requested(self, message: Any) -> None:
        """The interrupt card's answer: resume with its command."""
        if not self.running:
            self.run_flow(RunPlan("resume", command=message.command))

    def on_interrupt_card_continue_requested(self, message: Any) -> None:
        """Continue from a breakpoint (input null)."""
        if not self.running:
            self.run_flow(RunPlan("continue"))

    @work(group="confirm", exit_on_error=False)
    async def on_message_view_link_clicked(self, message: Any) -> None:
        """Show the link's real target; open only http(s) links the user confirms."""
        from bbot_tui.tui.screens.confirm import OpenUrlScreen

        screen = OpenUrlScreen(str(message.url))
        if await self.app.push_screen_wait(screen) and screen.allowed:
            self.app.open_url(screen.url)

    def on_message_view_copy_requested(self, message: Any) -> None:
        """Copy to the clipboard (OSC 52 and, where possible, the system clipboard)."""
        text = str(message.text)
        self.app.copy_to_clipboard(text)
        self.notify(f"Copied {len(text)} characters.")
