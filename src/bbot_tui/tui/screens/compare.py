"""The compare screen: the same message to two assistants, streamed side by side, then the diff.

Opened from the palette ("Compare two assistants…") or with ``/compare [ASSISTANT]``. The bar on
top picks side A and side B (the open assistant and the one named, by default) and takes the
message; Enter sends it to both at once through :class:`~bbot_tui.session.compare.Comparison`
(each side a new thread, run with the run options saved for its assistant). Each side is a
:class:`ComparePane`: its header (assistant, phase), a real
:class:`~bbot_tui.tui.widgets.message_view.MessageView` and an
:class:`~bbot_tui.tui.widgets.interrupt_card.InterruptCard`: a question in either pane is
answered in that pane, and only that side goes on. When both runs are over the diff shows under
the panes: the answers' unified diff, the tool calls that differ and the timings.

The screen runs the comparison in one worker (``group="compare"``) and a resume in a worker of
its side (``compare-A``/``compare-B``); their failures are notified in one handler. It never
builds a request: the sides' sessions do.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.reactive import var
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, Select, Static
from textual.worker import Worker, WorkerState

from bbot_tui.session.compare import CompareDiff, CompareSide, Comparison, Label, saved_options
from bbot_tui.session.run_options import RunOptions
from bbot_tui.text import one_line, sanitize
from bbot_tui.tui.resources import stylesheet
from bbot_tui.tui.widgets.interrupt_card import InterruptCard
from bbot_tui.tui.widgets.message_view import MessageView

if TYPE_CHECKING:
    from bbot_tui.api.client import AgentClient
    from bbot_tui.api.models import Assistant, Command
    from bbot_tui.session.core import SessionUpdate

__all__ = ["ComparePane", "CompareScreen", "diff_content"]


class ComparePane(Vertical):
    """One side of the comparison: its header, its message view and its interrupt card.

    Args:
        label: ``A`` or ``B``.
    """

    busy: var[bool] = var(False, toggle_class="-busy")
    """The side's run streams."""
    failed: var[bool] = var(False, toggle_class="-failed")
    """The side failed (its error is in the header)."""

    class ResumeRequested(Message):
        """The pane's interrupt card was answered (``command``) or continued (None)."""

        def __init__(self, label: Label, command: Command | None) -> None:
            self.label: Label = label
            """The side."""
            self.command = command
            """The answer, or None to continue from a breakpoint."""
            super().__init__()

    class DetailsRequested(Message):
        """``t`` on a message of the pane: where its run spent its time."""

        def __init__(self, label: Label, key: str | None) -> None:
            self.label: Label = label
            """The side."""
            self.key = key
            """The message's key (None: the last run)."""
            super().__init__()

    def __init__(self, label: Label, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.label: Label = label
        self._card_meta = -1
        self._head = ""

    def compose(self) -> ComposeResult:
        """The header, the view and the card."""
        yield Static(f"{self.label} · pick an assistant", classes="compare-head", markup=False)
        yield MessageView(id=f"compare-view-{self.label.lower()}")
        yield InterruptCard(id=f"compare-card-{self.label.lower()}")

    @property
    def view(self) -> MessageView:
        """The pane's message view."""
        return self.query_one(MessageView)

    @property
    def card(self) -> InterruptCard:
        """The pane's interrupt card."""
        return self.query_one(InterruptCard)

    def show(self, side: CompareSide) -> None:
        """Show a side from its start (its transcript in the view and the card)."""
        self._card_meta = -1
        self.view.transcript = side.transcript
        self.update(side, None)

    def update(self, side: CompareSide, update: SessionUpdate | None) -> None:
        """The side's session yielded ``update`` (None: its state changed otherwise)."""
        running = side.running
        self.busy = running
        self.failed = side.error is not None or side.status == "error"
        status = update.phase if running and update is not None else side.status
        head = f"{self.label} · {side.name} · {status}"
        if side.error:
            head += f" · {side.error}"
        elif update is not None and update.notice:
            head += f" · {update.notice}"
        head = one_line(sanitize(head), 200)
        if head != self._head:  # most updates are tokens: the header stays as it is
            self._head = head
            self.query_one(".compare-head", Static).update(head)
        transcript = side.transcript
        if transcript.meta_version != self._card_meta or not running:
            self._card_meta = transcript.meta_version
            card = self.card
            card.state = side.session.last_state
            card.transcript = transcript

    @on(InterruptCard.ResumeRequested)
    def _card_answered(self, message: InterruptCard.ResumeRequested) -> None:
        message.stop()
        self.post_message(self.ResumeRequested(self.label, message.command))

    @on(InterruptCard.ContinueRequested)
    def _card_continued(self, message: InterruptCard.ContinueRequested) -> None:
        message.stop()
        self.post_message(self.ResumeRequested(self.label, None))

    @on(MessageView.RunDetailsRequested)
    def _view_details(self, message: MessageView.RunDetailsRequested) -> None:
        message.stop()
        self.post_message(self.DetailsRequested(self.label, message.key))


def _json(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)


def diff_content(comparison: Comparison, diff: CompareDiff) -> Content:
    """The diff under the panes: answers, tool calls that differ, timings (server text
    sanitized; colours from the theme)."""
    a, b = comparison.sides
    parts: list[str | tuple[str, str]] = [("Answers\n", "bold")]
    if diff.answers_equal:
        parts.append(("the same answer\n", "$text-muted"))
    for line in diff.unified:
        text = one_line(sanitize(line), 400) + "\n"
        if line.startswith(("+++", "---")):
            parts.append((text, "bold"))
        elif line.startswith("+"):
            parts.append((text, "$success"))
        elif line.startswith("-"):
            parts.append((text, "$error"))
        elif line.startswith("@@"):
            parts.append((text, "$accent"))
        else:
            parts.append(text)
    parts.append(("\nTool calls that differ\n", "bold"))
    if not diff.tool_calls:
        parts.append(("none\n", "$text-muted"))
    for call in diff.tool_calls:
        left = "—" if call.a is None else one_line(_json(call.a.args), 100)
        right = "—" if call.b is None else one_line(_json(call.b.args), 100)
        parts.append(f"{one_line(sanitize(call.name), 60)}: ")
        parts.append((f"A {sanitize(left)}", "$error" if call.a is None else ""))
        parts.append(" · ")
        parts.append((f"B {sanitize(right)}\n", "$error" if call.b is None else ""))
    parts.append(("\nTimings", "bold"))
    parts.append((f"  (A {a.name} · B {b.name} · B−A)\n", "$text-muted"))
    for key, title, unit in (
        ("total", "total", "s"),
        ("first_event", "server started the run", "s"),
        ("ttft", "first token", "s"),
        ("tokens_per_second", "tokens/s", ""),
        ("total_tokens", "token usage", ""),
    ):
        row = diff.timing[key]
        values = [row["a"], row["b"], row["delta"]]
        shown = ["—" if v is None else (f"{v:.2f} s" if unit else f"{v:.0f}") for v in values]
        parts.append(f"{title}: {' · '.join(shown)}\n")
    nodes = diff.timing["nodes"]
    parts.append(f"nodes: A {' → '.join(nodes['a']) or '—'} · B {' → '.join(nodes['b']) or '—'}")
    return Content.assemble(*parts)


class CompareScreen(Screen[None]):
    """Two assistants side by side (see the module docstring).

    Args:
        client: the profile's client (both sides use it).
        assistants: the assistants to pick from.
        saved: the run options saved per assistant id (``Settings.run_options``).
        a, b: the assistants picked at first (None: none yet).
        message: a message to send at once.
    """

    CSS_PATH = stylesheet("compare.tcss")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Back"),
        Binding("ctrl+r", "send", "Compare"),
    ]
    """Escape goes back to the conversation (the runs go on on the server); ctrl+r sends the
    message to both sides again."""

    running: var[bool] = var(False, toggle_class="-running")
    """A comparison streams."""

    def __init__(
        self,
        client: AgentClient,
        assistants: Sequence[Assistant],
        *,
        saved: Mapping[str, Any] | None = None,
        a: Assistant | None = None,
        b: Assistant | None = None,
        message: str | None = None,
    ) -> None:
        super().__init__()
        self._client = client
        self._assistants = {x.assistant_id: x for x in assistants}
        for picked in (a, b):
            if picked is not None:
                self._assistants.setdefault(picked.assistant_id, picked)
        self._saved = dict(saved or {})
        self._first = (a, b)
        self._message = message
        self.comparison: Comparison | None = None
        """The comparison shown (None before the first message)."""

    def compose(self) -> ComposeResult:
        """The bar, the two panes and the diff."""
        choices = [(one_line(x.label, 40), x.assistant_id) for x in self._assistants.values()]
        a, b = self._first
        with Horizontal(id="compare-bar"):
            yield Select(
                choices,
                prompt="assistant A",
                value=a.assistant_id if a is not None else Select.BLANK,
                id="compare-a",
            )
            yield Select(
                choices,
                prompt="assistant B",
                value=b.assistant_id if b is not None else Select.BLANK,
                id="compare-b",
            )
            yield Input(placeholder="Message both assistants… (Enter sends)", id="compare-message")
            yield Button("Compare", id="compare-send", variant="primary")
        with Horizontal(id="compare-panes"):
            yield ComparePane("A", id="compare-pane-a")
            yield ComparePane("B", id="compare-pane-b")
        with VerticalScroll(id="compare-diff"):
            yield Static(id="compare-diff-text")
        yield Footer()

    def on_mount(self) -> None:
        """Send the first message, if one was given."""
        self.query_one("#compare-message", Input).focus()
        if self._message:
            self.query_one("#compare-message", Input).value = self._message
            self.action_send()

    def pane(self, label: Label) -> ComparePane:
        """The pane of side ``label``."""
        return self.query_one(f"#compare-pane-{label.lower()}", ComparePane)

    # --- sending -----------------------------------------------------------------------------

    def _picked_assistant(self, select_id: str) -> Assistant | None:
        value = self.query_one(select_id, Select).value
        return self._assistants.get(value) if isinstance(value, str) else None

    def _side_options(self, assistant: Assistant) -> RunOptions:
        return saved_options(self._saved, assistant.assistant_id) or RunOptions()

    @on(Input.Submitted, "#compare-message")
    @on(Button.Pressed, "#compare-send")
    def action_send(self) -> None:
        """Send the message to both sides at once (a new comparison, two new threads)."""
        text = self.query_one("#compare-message", Input).value.strip()
        a, b = self._picked_assistant("#compare-a"), self._picked_assistant("#compare-b")
        if a is None or b is None:
            self.notify("Pick an assistant for each side.", severity="warning")
            return
        if not text:
            self.notify("Type the message both assistants are sent.", severity="warning")
            return
        if self.running:
            self.notify("A comparison is streaming; wait for its end.", severity="warning")
            return
        comparison = Comparison(
            CompareSide("A", self._client, a, self._side_options(a)),
            CompareSide("B", self._client, b, self._side_options(b)),
        )
        self.comparison = comparison
        self.remove_class("-diff")
        for side in comparison.sides:
            self.pane(side.label).show(side)
        self.running = True
        self._run_comparison(comparison, text)

    @work(exclusive=True, group="compare", exit_on_error=False)
    async def _run_comparison(self, comparison: Comparison, text: str) -> None:
        try:
            await comparison.run(text, self._side_updated)
        finally:
            self.running = False
        self._show_diff()

    def _side_updated(self, side: CompareSide, update: SessionUpdate) -> None:
        self.pane(side.label).update(side, update)

    @on(ComparePane.ResumeRequested)
    def _answered(self, message: ComparePane.ResumeRequested) -> None:
        """A question answered in a pane: that side goes on, the other is left alone."""
        if self.comparison is None:
            return
        side = self.comparison.side(message.label)
        self.run_worker(
            self._resume_side(side, message.command),
            group=f"compare-{side.label}",
            exclusive=True,
            exit_on_error=False,
        )

    async def _resume_side(self, side: CompareSide, command: Command | None) -> None:
        await side.resume(command, self._side_updated)
        self.pane(side.label).update(side, None)
        if not self.running:
            self._show_diff()

    def _show_diff(self) -> None:
        comparison = self.comparison
        if comparison is None:
            return
        for side in comparison.sides:
            self.pane(side.label).update(side, None)
        self.query_one("#compare-diff-text", Static).update(
            diff_content(comparison, comparison.diff())
        )
        self.add_class("-diff")

    # --- what the panes ask -----------------------------------------------------------------

    @on(ComparePane.DetailsRequested)
    def _details_asked(self, message: ComparePane.DetailsRequested) -> None:
        from bbot_tui.tui.screens.run_details import RunDetailsScreen

        if self.comparison is None:
            return
        side = self.comparison.side(message.label)
        self.app.push_screen(RunDetailsScreen(side.timing))

    def on_message_view_copy_requested(self, message: MessageView.CopyRequested) -> None:
        """Copy to the clipboard."""
        self.app.copy_to_clipboard(message.text)
        self.notify(f"Copied {len(message.text)} characters.")

    def on_message_view_link_clicked(self, message: MessageView.LinkClicked) -> None:
        """Links are not opened from here: say where it points."""
        self.notify(f"Link: {one_line(message.url, 200)}", markup=False)

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        """Every worker failure of the screen, in one place."""
        if event.state != WorkerState.ERROR:
            return
        error = event.worker.error
        self.running = False
        self.notify(
            one_line(str(error) or type(error).__name__, 300),
            title="Compare failed",
            severity="error",
            markup=False,
        )

    def action_close(self) -> None:
        """Back to the conversation (runs still going go on on the server)."""
        self.dismiss(None)
