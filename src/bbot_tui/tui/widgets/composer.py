"""The composer: a multi-line input that sends with Enter.

Keys (the terminal decides what reaches us; see the README):

* **Enter** sends (posts :class:`Composer.Submitted`).
* **ctrl+j** inserts a new line everywhere (a terminal sends it as a plain line feed);
  **alt+enter** and **shift+enter** do too where the terminal reports them (kitty keyboard
  protocol terminals, e.g. kitty, WezTerm, foot, Ghostty).
* **↑** on the first line recalls earlier inputs, **↓** on the last line goes forward again.
* **/** at the start offers the slash commands, **@** the files to attach: while choices are
  offered (:class:`Composer.CompletionsChanged`, shown by the screen's completion list),
  **↑/↓** pick one, **Tab** takes it, **Enter** takes it (and runs a command that takes no
  argument), **Esc** hides them; **→** at the end of the line takes the grey suggestion
  (Textual's own ``TextArea.suggestion``).

The screen sets :attr:`Composer.mode` (what Enter will do: chat, answer a question, continue
from a breakpoint) and :attr:`Composer.busy` (a run streams), which change the placeholder, the
hint in the border and the ``-busy``/``-answer`` classes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Literal

from rich.text import Text
from textual import events
from textual.message import Message
from textual.reactive import reactive, var
from textual.widgets import TextArea

from bbot_tui.text import visible_controls

if TYPE_CHECKING:  # the completions are computed on the first edit, not with the first frame
    from bbot_tui.session.completion import Completion

__all__ = ["NEWLINE_KEYS", "PASTE_WARN_BYTES", "Composer", "ComposerMode"]

ComposerMode = Literal["chat", "answer", "breakpoint", "no-assistant"]

NEWLINE_KEYS = frozenset({"ctrl+j", "alt+enter", "shift+enter", "newline"})
"""Keys that insert a new line instead of sending."""

PASTE_WARN_BYTES = 100_000
"""Pastes larger than this get a warning with their size and a token estimate."""

_PLACEHOLDER: dict[str, str] = {
    "chat": "Message the assistant…  (Enter sends · ctrl+j new line · ↑ earlier inputs)",
    "answer": (
        "The graph asks a question: type the answer and press Enter to resume "
        "(a JSON object or array is sent as JSON, anything else as text)"
    ),
    "breakpoint": (
        "Stopped at a breakpoint: Enter on an empty line continues; a message starts a new run"
    ),
    "no-assistant": "Pick an assistant first (ctrl+b shows the side panes)",
}
_BUSY_PLACEHOLDER = "A run is streaming: Esc stops it, ctrl+d detaches (it goes on on the server)"
_HINT: dict[str, str] = {
    "chat": "Enter send · ctrl+j newline",
    "answer": "Enter resume · ctrl+j newline",
    "breakpoint": "Enter continue · ctrl+j newline",
    "no-assistant": "",
}


def describe_size(size: int) -> str:
    """A human size with a token estimate (about 4 bytes a token), e.g. ``5.2 MB, ~1.3M tokens``.

    Args:
        size: A size in bytes.

    Returns:
        The description.
    """
    tokens = size / 4
    tok = f"{tokens / 1e6:.1f}M" if tokens >= 1e6 else f"{tokens / 1e3:.0f}k"
    human = f"{size / 1e6:.1f} MB" if size >= 1e6 else f"{size / 1e3:.0f} KB"
    return f"{human}, ~{tok} tokens"


class Composer(TextArea):
    """The message input of the main screen."""

    DEFAULT_CSS = """
    Composer { height: auto; min-height: 3; max-height: 12; }
    Composer.-error { border: round $error; border-title-color: $error; }
    """

    busy: var[bool] = var(False, toggle_class="-busy")
    """True while a run streams (the placeholder says how to stop or detach)."""

    mode: reactive[ComposerMode] = reactive("chat")
    """What Enter does: send a message, answer a question, continue from a breakpoint."""

    error: reactive[str] = reactive("")
    """A problem with what is typed (an ``@file`` that cannot be attached), shown on the
    composer's border until the next edit; the text stays."""

    editing: var[bool] = var(False, toggle_class="-editing")
    """True while an earlier message is edited: Enter sends it as a new branch, Esc cancels."""

    class EditCancelled(Message):
        """Escape while editing an earlier message."""

    @dataclass
    class Submitted(Message):
        """The user pressed Enter (``text`` may be empty, e.g. to continue a breakpoint)."""

        composer: Composer
        text: str

        @property
        def control(self) -> Composer:
            """The composer that sent it."""
            return self.composer

    @dataclass
    class CompletionsChanged(Message):
        """The choices offered for what is typed changed (empty: hide them)."""

        composer: Composer
        items: list[Completion] = field(default_factory=list)
        index: int = 0

        @property
        def control(self) -> Composer:
            """The composer that sent it."""
            return self.composer

    HISTORY_LIMIT: ClassVar[int] = 200

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(
            id=id,
            classes=classes,
            soft_wrap=True,
            tab_behavior="focus",
            show_line_numbers=False,
            highlight_cursor_line=False,
            placeholder=_PLACEHOLDER["chat"],
        )
        self.input_history: list[str] = []
        """Earlier inputs, oldest first (the screen loads them from the settings)."""
        self._history_index: int | None = None
        self._draft = ""
        self.attach_root: Path | None = None
        """The folder relative ``@paths`` start from (None: the working directory)."""
        self.completions: list[Completion] = []
        """The choices offered now (see :class:`CompletionsChanged`)."""
        self.completion_index = 0
        """The highlighted choice."""

    def get_line(self, line_index: int) -> Text:
        """A line as drawn: control characters as symbols (␛), never sent to the terminal.

        The document keeps what was typed, pasted or recalled (docs/PROTOCOL.md, cases U1, U7).
        """
        line = super().get_line(line_index)
        shown = visible_controls(line.plain)
        return line if shown == line.plain else Text(shown, end="", no_wrap=True)

    def on_mount(self) -> None:
        """Show the hint."""
        self._update_hints()

    def watch_busy(self, _busy: bool) -> None:
        self._update_hints()

    def watch_editing(self, _editing: bool) -> None:
        self._update_hints()

    def watch_error(self, error: str) -> None:
        self.set_class(bool(error), "-error")
        self.border_title = error or None

    def watch_mode(self, mode: ComposerMode) -> None:
        self.set_class(mode == "answer", "-answer")
        self.set_class(mode == "breakpoint", "-breakpoint")
        self._update_hints()

    def _update_hints(self) -> None:
        self.placeholder = _BUSY_PLACEHOLDER if self.busy else _PLACEHOLDER[self.mode]
        self.border_subtitle = "Esc stop · ctrl+d detach" if self.busy else _HINT[self.mode]
        if self.editing and not self.busy:
            self.border_subtitle = "editing: Enter sends it as a new branch · Esc cancels"

    def remember(self, text: str) -> None:
        """Add a sent input to the history (consecutive repeats are kept once)."""
        if text.strip() and (not self.input_history or self.input_history[-1] != text):
            self.input_history.append(text)
            del self.input_history[: -self.HISTORY_LIMIT]
        self._history_index = None

    def _recall(self, step: int) -> bool:
        if not self.input_history:
            return False
        if self._history_index is None:
            if step > 0:
                return False
            self._draft = self.text
            index = len(self.input_history) - 1
        else:
            index = self._history_index + step
        if index >= len(self.input_history):
            self._history_index = None
            self.load_text(self._draft)
        elif index < 0:
            return True  # already at the oldest entry
        else:
            self._history_index = index
            self.load_text(self.input_history[index])
        if step < 0:
            self.move_cursor((0, len(self.document.get_line(0))))
        else:
            self.move_cursor(self.document.end)
        return True

    async def on_key(self, event: events.Key) -> None:
        """Enter sends, the new-line keys insert a line break, ↑/↓ walk the history."""
        key = event.key
        handled = False
        if self.completions and key in ("up", "down", "tab", "enter", "escape"):
            self._completion_key(key)
            handled = True
        elif key == "escape" and self.editing:
            self.clear()
            self.post_message(self.EditCancelled())
            handled = True
        elif key == "enter":
            self._history_index = None
            self.post_message(self.Submitted(self, self.text))
            handled = True
        elif key in NEWLINE_KEYS:
            self.insert("\n")
            handled = True
        elif key == "up" and self.cursor_location[0] == 0 and not self.selected_text:
            handled = self._recall(-1)
        elif (
            key == "down"
            and self._history_index is not None
            and self.cursor_location[0] >= self.document.line_count - 1
        ):
            handled = self._recall(+1)
        if handled:
            event.stop()
            event.prevent_default()

    # --- completions ------------------------------------------------------------------------

    def update_suggestion(self) -> None:
        """After each edit: offer the commands or paths that fit, the first one as a
        suggestion (Textual's hook, called by ``TextArea`` itself)."""
        self.error = ""  # the text changed: the last problem may be fixed
        row, column = self.cursor_location
        line = self.document.get_line(row)
        first = self.document.line_count == 1
        from bbot_tui.session.completion import completions

        items = completions(line, column, first_line=first, cwd=self.attach_root)
        self.suggestion = items[0].suggestion(line, column) if items else ""
        self._offer(items)

    def _offer(self, items: list[Completion], index: int = 0) -> None:
        if not items and not self.completions:
            return
        self.completions, self.completion_index = items, index
        self.post_message(self.CompletionsChanged(self, list(items), index))

    def _completion_key(self, key: str) -> None:
        count = len(self.completions)
        if key in ("up", "down"):
            self.completion_index = (self.completion_index + (1 if key == "down" else -1)) % count
            item = self.completions[self.completion_index]
            row, column = self.cursor_location
            self.suggestion = item.suggestion(self.document.get_line(row), column)
            self.post_message(
                self.CompletionsChanged(self, list(self.completions), self.completion_index)
            )
        elif key == "escape":
            self.suggestion = ""
            self._offer([])
        else:
            self.accept_completion(self.completion_index, submit=key == "enter")

    def accept_completion(self, index: int, *, submit: bool = True) -> None:
        """Apply the offered choice ``index`` (a click, Tab or Enter).

        Args:
            index: The choice.
            submit: Send the input too when the choice is a command that takes no argument.
        """
        if not 0 <= index < len(self.completions):
            return
        item = self.completions[index]
        row, _ = self.cursor_location
        self.replace(item.insert, (row, item.start), (row, item.end))
        self.move_cursor((row, item.start + len(item.insert)))
        if not item.again:
            self.suggestion = ""
            self._offer([])
        if submit and item.submit:
            self._history_index = None
            self.post_message(self.Submitted(self, self.text))

    def on_paste(self, event: events.Paste) -> None:
        """Warn about very large pastes (they are still inserted)."""
        size = len(event.text.encode("utf-8", "replace"))
        if size > PASTE_WARN_BYTES:
            self.notify(
                f"Pasted {describe_size(size)}. Large inputs are slow to send and may exceed "
                "the model's context.",
                title="Large paste",
                severity="warning",
                markup=False,
            )
