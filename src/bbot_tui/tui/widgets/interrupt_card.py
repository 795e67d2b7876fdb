"""The interrupt card: why the run stopped, and the controls that make it go on.

Contract (with ``screens/main.py``, which mounts the card above the composer):

* Set :attr:`InterruptCard.transcript` (the session's :class:`Transcript`) whenever its
  run-level state may have changed; the card rebuilds only when ``stop``, the pending
  ``interrupts`` (id, ns, value) or ``next_nodes`` actually changed, so what the user typed is
  kept while tokens stream.
* ``stop == "question"``: every pending interrupt (:class:`InterruptItem`: id, subgraph
  namespace, value as a JSON tree, controls for its shape). All answers go in ONE command
  (a map by interrupt id when several are pending) with an optional state ``update`` and
  ``goto``; the exact command JSON is previewed as the user edits. Send (button, Enter in a
  text field, ``ctrl+enter`` or ``ctrl+s``) posts :class:`InterruptCard.ResumeRequested`.
  A reply typed in the composer instead is shown too, as the exact command Enter there sends
  (set :attr:`InterruptCard.typed_reply`).
* ``stop == "breakpoint"``: "stopped before <next nodes>" (and after the last node that ran),
  the thread state at the stop (set :attr:`InterruptCard.state`: next, tasks, values as a JSON
  tree) and Continue, which posts :class:`InterruptCard.ContinueRequested` (the app sends a run
  with input null).
* ``stop == "cancelled"``: "run stopped", no question, no control.
* Anything else: the card is hidden (``display`` False).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Button, Input, Static, TextArea

from bbot_tui.stream.transcript import PendingInterrupt, Transcript
from bbot_tui.text import one_line

if TYPE_CHECKING:  # pydantic loads on first use, not with the first frame
    from textual.widgets import Checkbox, RadioSet

    from bbot_tui.api.models import Command, ThreadState

# The card is on the first screen but empty until a run stops: what only a stop shows (the items,
# the JSON views, the session's command helpers, Textual's radio sets, checkboxes and collapsible)
# is imported when the card is first filled, not with the first frame.

__all__ = ["InterruptCard"]


def _signature(t: Transcript | None) -> tuple[Any, ...]:
    if t is None or t.stop not in ("question", "breakpoint", "cancelled"):
        return (None,)
    if t.stop == "question":
        pending = tuple((p.id, tuple(p.ns), repr(p.value)) for p in t.interrupts)
        return ("question", pending)
    return (t.stop, tuple(t.next_nodes))


class InterruptCard(Widget):
    """Shows a stop (question, breakpoint or cancel) and answers it."""

    BINDINGS = [
        Binding("ctrl+enter", "send", "Send answer"),
        Binding("ctrl+s", "send", "Send answer", show=False),
    ]
    """``ctrl+enter`` (or ``ctrl+s`` where the terminal cannot tell ctrl+enter) sends."""

    transcript: reactive[Transcript | None] = reactive(None, always_update=True)
    """The transcript whose stop is shown (set by the main screen)."""

    state: reactive[ThreadState | None] = reactive(None, always_update=True)
    """The thread state read at the stop (``RunSession.last_state``), shown at a breakpoint.
    Set it before :attr:`transcript`; a later change updates the shown state in place."""

    typed_reply: reactive[tuple[bool, str] | None] = reactive(None)
    """A reply typed in the composer: ``(True, command JSON)`` that Enter there sends, or
    ``(False, why it cannot be sent)``; None while nothing is typed (set by the main screen)."""

    class ResumeRequested(Message):
        """The user answered: send a run with this ``command`` (and no input)."""

        def __init__(self, command: Command) -> None:
            super().__init__()
            self.command = command

    class ContinueRequested(Message):
        """The user continues from a breakpoint: send a run with input null."""

    def __init__(self, *, id: str | None = "interrupt-card", classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._shown: tuple[Any, ...] = (None,)
        self._stop: str | None = None
        self._pending: list[PendingInterrupt] = []
        self._next: list[str] = []
        self.display = False

    # --- building -----------------------------------------------------------------------

    async def watch_transcript(self, transcript: Transcript | None) -> None:
        signature = _signature(transcript)
        if signature == self._shown:
            return
        self._shown = signature
        self._stop = signature[0]
        self._pending = (
            list(transcript.interrupts) if transcript and self._stop == "question" else []
        )
        self._next = list(transcript.next_nodes) if transcript else []
        self.display = self._stop is not None and (self._stop != "question" or bool(self._pending))
        self.set_class(self._stop == "question", "-question")
        self.set_class(self._stop == "breakpoint", "-breakpoint")
        self.set_class(self._stop == "cancelled", "-cancelled")
        had_focus = self.has_focus_within
        await self.recompose()
        self._refresh_preview()
        self.watch_typed_reply(self.typed_reply)
        if had_focus:  # keep the keyboard in the card when its content changes
            self.focus_first()

    def compose(self) -> ComposeResult:
        if self._stop is None:
            return
        from textual.widgets import Collapsible

        from bbot_tui.session.interrupts import stop_title
        from bbot_tui.tui.widgets.interrupt_item import InterruptItem
        from bbot_tui.tui.widgets.json_view import JsonView

        title = stop_title(self._stop, self._next, len(self._pending))
        yield Static(Text(one_line(title, 200), style="bold"), id="interrupt-title")
        if self._stop == "breakpoint":
            yield Static(self._state_text(), id="interrupt-state")
            yield JsonView(
                self._state_values(), label="values", expand_depth=2, id="interrupt-values"
            )
            yield Static(
                "Continue runs on to the end or the next breakpoint; ctrl+t shows the history.",
                id="interrupt-hint",
                markup=False,
            )
            with Horizontal(id="interrupt-buttons"):
                yield Button(
                    "Continue (ctrl+enter)",
                    id="interrupt-continue",
                    variant="primary",
                    compact=True,
                )
            return
        if self._stop == "cancelled":
            yield Static(
                "Nothing is waiting for an answer; a new message starts a new run.",
                id="interrupt-hint",
                markup=False,
            )
            return
        with VerticalScroll(id="interrupt-body"):
            for index, interrupt in enumerate(self._pending):
                yield InterruptItem(interrupt, index)
            with Collapsible(title="also: update the state / go to a node", id="interrupt-more"):
                yield TextArea(
                    "",
                    language=None,
                    tab_behavior="focus",
                    placeholder='state update JSON, e.g. {"messages": [...]}',
                    id="interrupt-update",
                )
                yield Input(placeholder="goto node(s), comma-separated", id="interrupt-goto")
        with Vertical(id="interrupt-footer"):
            yield Static("", id="interrupt-typed")
            yield Static("", id="interrupt-preview")
            yield Static("", id="interrupt-error")
            with Horizontal(id="interrupt-buttons"):
                yield Button(
                    "Send (ctrl+enter)", id="interrupt-send", variant="primary", compact=True
                )

    # --- the state at a breakpoint ---------------------------------------------------------

    def _state_values(self) -> object:
        return self.state.values if self.state is not None else None

    def _state_text(self) -> Text:
        """``next``, the tasks and the checkpoint step of the state at the stop."""
        state = self.state
        text = Text()
        ran = self._last_ran()
        if ran:
            text.append("ran: ", "bold")
            text.append(one_line(ran, 60) + "   ")
        text.append("next: ", "bold")
        nodes = state.next if state is not None else self._next
        text.append(one_line(", ".join(nodes), 120) or "—")
        if state is None:
            return text
        step = (state.metadata or {}).get("step")
        if isinstance(step, int):
            text.append(f"   step {step}", "dim")
        for task in state.tasks:
            text.append("\ntask ", "bold")
            text.append(one_line(task.name, 40))
            if task.error:
                text.append(f"  error: {one_line(task.error, 80)}")
            elif task.interrupts:
                text.append(f"  {len(task.interrupts)} interrupt(s)")
            else:
                text.append("  pending" if task.result is None else "  done", "dim")
        return text

    def _last_ran(self) -> str:
        """The last top-level node that finished in the transcript's run (if it saw one)."""
        t = self.transcript
        if t is None:
            return ""
        done = [n.node for n in t.nodes if not n.ns and n.ended_at is not None]
        return done[-1] if done else ""

    def watch_state(self, state: ThreadState | None) -> None:
        if self._stop != "breakpoint":
            return
        from bbot_tui.tui.widgets.json_view import JsonView

        for summary in self.query("#interrupt-state").results(Static):
            summary.update(self._state_text())
        for view in self.query("#interrupt-values").results(JsonView):
            if view.value is not self._state_values():
                view.set_value(self._state_values())

    def focus_first(self) -> None:
        """Focus the first control of the card (for a "go to the question" binding)."""
        for widget in self.query("Input, RadioSet, TextArea, Button"):
            if widget.focusable and widget.display:
                widget.focus()
                return

    def load_answers(self, answers: Mapping[str | None, Any]) -> bool:
        """Fill the controls with answers, by interrupt id (presenter mode shows a script's
        answer here before it is sent); the preview follows.

        Returns:
            False when an interrupt has no answer or its answer does not fit its controls.
        """
        from bbot_tui.tui.widgets.interrupt_item import InterruptItem

        loaded = True
        for item in self.query(InterruptItem):
            interrupt_id = item.interrupt.id
            loaded = interrupt_id in answers and item.load(answers[interrupt_id]) and loaded
        self.call_after_refresh(self._refresh_preview)
        return loaded

    # --- the command ----------------------------------------------------------------------

    def build_command(self) -> Command:
        """The command the controls make now.

        Raises:
            ValueError: an answer is missing or some JSON is invalid (the message says where).
        """
        from bbot_tui.session.interrupts import resume_command
        from bbot_tui.session.jsontext import JsonTextError, parse_json_text
        from bbot_tui.tui.widgets.interrupt_item import InterruptItem

        answers = {item.interrupt.id: item.answer() for item in self.query(InterruptItem)}
        update: Any = None
        update_text = self.query_one("#interrupt-update", TextArea).text
        if update_text.strip():
            try:
                update = parse_json_text(update_text, expect=(dict, list))
            except JsonTextError as exc:
                raise ValueError(f"state update: {exc}") from None
        names = [n.strip() for n in self.query_one("#interrupt-goto", Input).value.split(",")]
        names = [n for n in names if n]
        goto: str | list[str] | None = (names[0] if len(names) == 1 else names) if names else None
        return resume_command(answers, self._pending, update=update, goto=goto)

    def watch_typed_reply(self, reply: tuple[bool, str] | None) -> None:
        """Show what a reply typed in the composer sends (or why it cannot be sent)."""
        for line in self.query("#interrupt-typed").results(Static):
            line.display = reply is not None
            if reply is not None:
                ok, text = reply
                line.update(
                    Text.assemble(("Enter in the composer sends ", "bold"), text)
                    if ok
                    else Text(f"the reply typed below: {one_line(text, 200)}", style="italic")
                )

    def _refresh_preview(self) -> None:
        previews = self.query("#interrupt-preview").results(Static)
        errors = self.query("#interrupt-error").results(Static)
        preview, error = next(previews, None), next(errors, None)
        if self._stop != "question" or preview is None or error is None:
            return  # not a question, or being rebuilt
        try:
            command = self.build_command()
        except ValueError as exc:
            preview.update(Text("command: (not ready yet)", style="dim"))
            error.update(Text(one_line(str(exc), 300)))
            self.set_class(True, "-invalid")
            return
        from bbot_tui.session.interrupts import command_json

        preview.update(Text.assemble(("command ", "bold"), command_json(command)))
        error.update("")
        self.set_class(False, "-invalid")

    def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        """A decision changed: show the controls it needs, and the command it makes."""
        from bbot_tui.tui.widgets.interrupt_item import InterruptItem

        for item in self.query(InterruptItem):
            if item.is_mounted:
                item.sync_visibility()
        self._refresh_preview()

    @on(Input.Changed)
    @on(TextArea.Changed)
    def _edited(self) -> None:
        self._refresh_preview()

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        """A checkbox of an item changed: the command follows."""
        self._refresh_preview()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_send()

    @on(Button.Pressed, "#interrupt-send")
    def _send_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_send()

    @on(Button.Pressed, "#interrupt-continue")
    def _continue_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_send()

    def action_send(self) -> None:
        """Send the answer (question) or continue (breakpoint)."""
        if self._stop == "breakpoint":
            self.post_message(self.ContinueRequested())
            return
        if self._stop != "question":
            return
        try:
            command = self.build_command()
        except ValueError as exc:
            self.query_one("#interrupt-error", Static).update(Text(one_line(str(exc), 300)))
            self.set_class(True, "-invalid")
            self.app.bell()
            return
        self.post_message(self.ResumeRequested(command))
