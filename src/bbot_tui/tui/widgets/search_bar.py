"""The search bar above the conversation: what to find, and how many matches there are.

``ctrl+f`` (or ``/search TEXT``) opens it. Typing posts :class:`SearchBar.QueryChanged` once the
keys pause for :data:`SETTLE` (a query typed fast is searched once, not once per key); Enter
and shift+Enter (or ↓/↑) post :class:`SearchBar.StepRequested`; Escape posts
:class:`SearchBar.Closed`. The screen hands the query to the message view and sets
:attr:`SearchBar.count` from the view's answer; the bar itself searches nothing.
"""

from __future__ import annotations

from textual import events, on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.reactive import reactive
from textual.timer import Timer
from textual.widgets import Input, Static

__all__ = ["SETTLE", "SearchBar"]

SETTLE = 0.05
"""Seconds without a key before the typed query is searched."""


class SearchBar(Horizontal):
    """An input and the match count (hidden until opened)."""

    DEFAULT_CSS = """
    SearchBar { display: none; height: 1; }
    SearchBar.-open { display: block; }
    SearchBar > Input { width: 1fr; height: 1; border: none; padding: 0 1; }
    SearchBar > #search-count { width: auto; min-width: 24; padding: 0 1; color: $text-muted; }
    SearchBar.-none > #search-count { color: $error; }
    """

    count: reactive[tuple[int, int]] = reactive((0, 0))
    """(the current match from 1, how many matches), shown beside the input."""

    class QueryChanged(Message):
        """The text to find changed."""

        def __init__(self, query: str) -> None:
            self.query = query
            """The text ("" : nothing to find)."""
            super().__init__()

    class StepRequested(Message):
        """Go to the next (1) or previous (-1) match."""

        def __init__(self, delta: int) -> None:
            self.delta = delta
            """1 or -1."""
            super().__init__()

    class Closed(Message):
        """The search was closed (Escape)."""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._pending: Timer | None = None
        self._field: Input | None = None
        """The input (made with the count the first time the bar opens)."""
        self._count: Static | None = None

    def compose(self) -> ComposeResult:
        """Nothing yet: the bar starts hidden, and :meth:`open` makes the input and the count
        the first time (a hidden bar costs the first frame no widgets)."""
        return ()

    def _build(self) -> Input:
        self._field = Input(
            placeholder="find in this conversation", id="search-input", compact=True
        )
        self._count = Static("", id="search-count", markup=False)
        self.mount(self._field, self._count)
        return self._field

    @property
    def query_text(self) -> str:
        """The text in the input."""
        return self._field.value if self._field is not None else ""

    def open(self, query: str | None = None) -> None:
        """Show the bar and focus it (with ``query`` typed in, if given)."""
        self.add_class("-open")
        field = self._field if self._field is not None else self._build()
        if query is not None and field.value != query:
            field.value = query
        field.focus()

    def close(self) -> None:
        """Hide the bar."""
        self.remove_class("-open")

    @property
    def is_open(self) -> bool:
        """Whether the bar is shown."""
        return self.has_class("-open")

    def watch_count(self, count: tuple[int, int]) -> None:
        current, total = count
        label = self._count
        if label is None:
            return
        if not self.query_text.strip():
            label.update("")
        elif total:
            label.update(f"{current}/{total} · ⏎ next · ⇧⏎ prev · esc")
        else:
            label.update("no match · esc")
        self.set_class(bool(self.query_text.strip()) and not total, "-none")

    @on(Input.Changed, "#search-input")
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        if self._pending is not None:
            self._pending.stop()
        self._pending = self.set_timer(SETTLE, self._settled, name="search-settle")

    def _settled(self) -> None:
        self._pending = None
        self.post_message(self.QueryChanged(self.query_text))

    def _flush(self) -> None:
        """Search a query still waiting for the keys to pause, now (before a step)."""
        if self._pending is not None:
            self._pending.stop()
            self._settled()

    @on(Input.Submitted, "#search-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._flush()
        self.post_message(self.StepRequested(1))

    def on_key(self, event: events.Key) -> None:
        """shift+Enter and ↑ go back, ↓ goes forward, Escape closes."""
        step = {"shift+enter": -1, "up": -1, "down": 1}.get(event.key)
        if step is not None:
            event.stop()
            event.prevent_default()
            self._flush()
            self.post_message(self.StepRequested(step))
        elif event.key == "escape":
            event.stop()
            event.prevent_default()
            self.post_message(self.Closed())
