"""The inbox: every thread on the server that waits for a human, across all assistants.

``InboxScreen(watch, names)`` (``ctrl+g`` on the main screen, "Inbox" in the palette) shows the
app's :class:`~bbot_tui.tui.inbox_watch.InboxWatch` as a table: the assistant (its name when
the main screen lists it, else its graph), the thread's title, what is asked (the interrupt's
summary: action and arguments for HITL questions, the value otherwise) and how long it has
waited, which counts up every second. The screen makes no requests of its own: it shows the
watcher's inbox, redrawn after each of its polls, and wakes it when shown (so a thread answered
meanwhile leaves at once); the back-off shows under the table ("updated 3s ago · next check in
8s"). A failed poll is said there too, and the list stays as it was.

Enter dismisses with the highlighted :class:`~bbot_tui.session.inbox.InboxItem` (the main
screen opens its thread, switching assistant, and the interrupt card shows the question);
Escape dismisses with None. Every server string is drawn as plain text, sanitized.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.reactive import var
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from bbot_tui.session.inbox import InboxItem, format_waited
from bbot_tui.text import one_line
from bbot_tui.tui.resources import stylesheet

if TYPE_CHECKING:
    from bbot_tui.tui.inbox_watch import InboxWatch

__all__ = ["EMPTY_TEXT", "InboxScreen", "assistant_name", "column_widths"]

EMPTY_TEXT = "Nothing waits for you."
"""What the screen says when no thread waits for a human."""
TICK = 1.0
"""Seconds between two redraws of the waiting times and of "updated … ago"."""
_FIXED = {"assistant": 18, "waiting": 8}
"""Columns of a fixed width; the thread's title and what is asked share the rest."""


def column_widths(width: int) -> dict[str, int]:
    """The four columns' widths for a table ``width`` cells wide (each has 2 of padding).

    The assistant and the waiting time keep their width; the title gets a third of the rest
    (12 at least) and what is asked the remainder (20 at least).
    """
    rest = max(32, width - sum(_FIXED.values()) - 4 * 2 - 2)  # padding, a scroll bar
    thread = max(12, rest // 3)
    return {
        "assistant": _FIXED["assistant"],
        "thread": thread,
        "asks": max(20, rest - thread),
        "waiting": _FIXED["waiting"],
    }


def assistant_name(item: InboxItem, names: Mapping[str, str]) -> str:
    """Who asks: the assistant's name, else its graph, else its id (``?`` when unknown).

    Args:
        item: The waiting thread.
        names: Assistant id → name (the assistants the main screen lists).
    """
    if item.assistant_id and item.assistant_id in names:
        return names[item.assistant_id]
    return item.graph_id or item.assistant_id or "?"


class InboxScreen(Screen[InboxItem | None]):
    """The threads that wait for a human; Enter opens one.

    Args:
        watch: The app's inbox watcher (its inbox, clock and change signal).
        names: Assistant id → name, for the assistant column.
    """

    CSS_PATH = stylesheet("inbox.tcss")
    """Loaded when the screen first opens (not at start)."""
    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("enter", "open", "Open thread", priority=True),
        Binding("f5", "refresh", "Refresh"),
    ]
    """Enter opens the highlighted thread in the main screen; F5 asks the server again now."""

    empty: var[bool] = var(False, toggle_class="-empty")
    """True when the last read found no waiting thread (the table gives way to a sentence)."""
    failed: var[bool] = var(False, toggle_class="-error")
    """True when the last poll failed (the status line says why; the list stays)."""

    def __init__(self, watch: InboxWatch, names: Mapping[str, str] | None = None) -> None:
        super().__init__()
        self.inbox_watch = watch
        """The app's watcher (not ``watch``: that is Textual's ``DOMNode.watch``)."""
        self.names = dict(names or {})
        self.items: list[InboxItem] = []
        """The rows shown, top to bottom."""

    def compose(self) -> ComposeResult:
        """Title, table (or the empty sentence), status line, footer."""
        yield Static(Text("Inbox: threads waiting for a human", style="bold"), id="inbox-title")
        yield DataTable(id="inbox-table", cursor_type="row", zebra_stripes=True)
        yield Static(EMPTY_TEXT, id="inbox-empty", markup=False)
        yield Static("", id="inbox-status", markup=False)
        yield Footer()

    @property
    def table(self) -> DataTable[Text]:
        """The table of waiting threads."""
        return self.query_one("#inbox-table", DataTable)

    def on_mount(self) -> None:
        """Columns, what the watcher already knows, and a redraw per poll and per second."""
        self._widths: dict[str, int] = {}
        self._fit(self.size.width)
        self.inbox_watch.changed.subscribe(self, self._polled)
        self._fill()
        self.set_interval(TICK, self._tick, name="inbox-tick")

    def on_resize(self) -> None:
        """Give the title and what is asked the width there is."""
        if self._fit(self.size.width):
            self._fill()

    def _fit(self, width: int) -> bool:
        """Set the columns for the width; True when they changed (the rows are then gone)."""
        widths = column_widths(width)
        if widths == self._widths:
            return False
        self._widths = widths
        table = self.table
        table.clear(columns=True)
        for key, cells in widths.items():
            label = Text(key, justify="right" if key == "waiting" else "left")
            table.add_column(label, key=key, width=cells)
        return True

    def on_screen_resume(self) -> None:
        """Shown (again): ask the server now, so that an answered thread leaves."""
        self.inbox_watch.wake()
        self._status()

    # --- drawing ---------------------------------------------------------------------------

    def _polled(self, _watch: InboxWatch) -> None:
        self._fill()

    def _fill(self) -> None:
        """Redraw the rows from the watcher's inbox (the highlighted thread stays highlighted)."""
        table = self.table
        keep = self.selected.thread_id if self.selected is not None else None
        items = self.inbox_watch.items
        now = self.inbox_watch.now()
        self.items = items
        table.clear()
        for item in items:
            table.add_row(*self._cells(item, now), key=item.thread_id)
        ids = [item.thread_id for item in items]
        if keep in ids:
            table.move_cursor(row=ids.index(keep))
        read = self.inbox_watch.checked_at is not None and self.inbox_watch.error is None
        self.empty = not items and read
        self._status()

    def _cells(self, item: InboxItem, now: datetime) -> list[Text]:
        asks = " · ".join(item.asks) or "(a question)"
        title = item.title or f"thread {item.thread_id[:8]}"
        return [
            Text(one_line(assistant_name(item, self.names), 40)),
            Text(one_line(title, 80)),
            Text(one_line(asks, 200)),
            Text(format_waited(item.waited(now)), justify="right"),
        ]

    def _tick(self) -> None:
        """The waiting times count up; "updated … ago" too."""
        now = self.inbox_watch.now()
        table = self.table
        for item in self.items:
            table.update_cell(item.thread_id, "waiting", Text(format_waited(item.waited(now))))
        self._status()

    def _status(self) -> None:
        watch = self.inbox_watch
        self.failed = watch.error is not None
        line = self.query_one("#inbox-status", Static)
        if watch.inbox is None:
            line.update("Not connected: F3 connects a server.")
            return
        if watch.checked_at is None:
            line.update("Reading the server's waiting threads…")
            return
        now = watch.now()
        ago = format_waited((now - watch.checked_at).total_seconds())
        count = len(self.items)
        parts = [f"{count} waiting" + (" (the newest)" if watch.inbox.has_more else "")]
        if watch.error is not None:
            parts.append(f"could not refresh: {one_line(watch.error, 120)}")
            parts.append(f"list from {ago} ago")
        else:
            parts.append(f"updated {ago} ago")
        if watch.polling:
            parts.append("checking…")
        else:
            parts.append(f"next check in {format_waited(watch.inbox.next_delay)}")
        line.update(" · ".join(parts))

    # --- actions ---------------------------------------------------------------------------

    @property
    def selected(self) -> InboxItem | None:
        """The highlighted thread (None when the list is empty)."""
        if not self.items or not self.is_mounted:
            return None
        row = self.table.cursor_row
        return self.items[row] if 0 <= row < len(self.items) else None

    def action_open(self) -> None:
        """Open the highlighted thread in the main screen."""
        item = self.selected
        if item is not None:
            self.dismiss(item)

    @on(DataTable.RowSelected, "#inbox-table")
    def _clicked(self, event: DataTable.RowSelected) -> None:
        self.action_open()

    def action_refresh(self) -> None:
        """Ask the server now (F5)."""
        self.inbox_watch.wake()
        self._status()

    def action_close(self) -> None:
        """Back to the conversation."""
        self.dismiss(None)
