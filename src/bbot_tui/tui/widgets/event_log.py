"""The raw event log: every stream event of the open thread's runs, and its JSON on selection.

Each run's requests are listed too, before the events they caused: a row ``→ POST /threads/…``
whose detail is the method, path, headers and body as sent (the key and every registered secret
masked, see :mod:`bbot_tui.api.sent`).

The table lists time, event (mode and namespace as sent), namespace, SSE id and size. Selecting
(or highlighting) a row shows the event's JSON below it: sanitized with
:func:`bbot_tui.text.sanitize_json_for_display` and drawn as plain text, never markup. Events
arrive in batches; while the log is hidden they are only buffered (the last :data:`MAX_EVENTS`),
so a hidden log costs nothing per token, and its table is only built the first time it is shown
(a hidden log costs the first frame nothing either).
"""

from __future__ import annotations

import json
import time
from collections import deque
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Static

from bbot_tui.text import one_line, sanitize, sanitize_json_for_display

if TYPE_CHECKING:
    from textual.widgets import DataTable

    from bbot_tui.api.events import StreamEvent
    from bbot_tui.api.sent import SentRequest
__all__ = ["MAX_EVENTS", "EventLog"]

MAX_EVENTS = 2000
"""How many events the log keeps (older ones are dropped)."""

MAX_DETAIL_CHARS = 200_000
"""The JSON detail of one event is cut here (a 10 MB event must not freeze the screen)."""

DETAIL_HINT = "Select an event to see its JSON."
"""The detail pane with no event selected."""


class EventLog(Vertical):
    """A table of raw events with a JSON detail view."""

    DEFAULT_CSS = """
    EventLog { height: 1fr; }
    EventLog > DataTable { height: 2fr; }
    EventLog > #event-detail { height: 1fr; border-top: solid $primary-muted; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._events: deque[tuple[int, float, StreamEvent | SentRequest]] = deque(maxlen=MAX_EVENTS)
        self._seq = 0
        self._shown: deque[int] = deque()
        self._stale = False
        self._table: DataTable[Any] | None = None
        """The table (made when the log is first shown, with :attr:`_detail`)."""
        self._detail: Static | None = None
        """The JSON of the selected event."""
        self.border_title = "events"

    def compose(self) -> ComposeResult:
        """Nothing yet: the table and the detail pane are built when the log is first shown.

        The log starts hidden, and a table costs the first frame its widgets and styles;
        :meth:`sync` (called when the log is shown) mounts them the first time.
        """
        return ()

    def on_mount(self) -> None:
        """A log shown from the start (no stylesheet hides it) is built at once."""
        if self.display:
            self.sync()

    @property
    def _built(self) -> bool:
        return self._table is not None

    def _build(self) -> DataTable[Any]:
        """Mount the table and the detail pane (once; Textual's table is imported then too)."""
        from textual.widgets import DataTable

        table: DataTable[Any] = DataTable(id="event-table", cursor_type="row", zebra_stripes=True)
        table.add_columns("time", "event", "ns", "id", "size")
        self._table = table
        self._detail = Static(Content(DETAIL_HINT), id="event-json")
        self.mount(table, VerticalScroll(self._detail, id="event-detail"))
        return table

    @property
    def count(self) -> int:
        """How many events are kept."""
        return len(self._events)

    def add_events(self, events: list[StreamEvent]) -> None:
        """Record a batch of events (one table update per batch, only while visible)."""
        if not events:
            return
        now = time.time()
        mono = time.monotonic()
        for event in events:
            self._seq += 1
            wall = now - max(0.0, mono - event.received_at)
            self._events.append((self._seq, wall, event))
        if not (self.display and self.is_mounted and self._built):
            self._stale = True
            return
        if self._stale:
            self.sync()
            return
        count = min(len(events), len(self._events))
        self._append_rows([self._events[i] for i in range(-count, 0)])

    @property
    def requests(self) -> list[SentRequest]:
        """The requests kept (oldest first)."""
        return [item for _, _, item in self._events if not hasattr(item, "event")]

    def rows(self) -> list[str]:
        """What the event column lists, oldest first (requests as ``→ METHOD path``)."""
        return [_label(item) for _, _, item in self._events]

    def add_request(self, request: SentRequest) -> None:
        """Record a request about to be sent (it comes before the events it causes)."""
        self._seq += 1
        wall = time.time() - max(0.0, time.monotonic() - request.sent_at)
        self._events.append((self._seq, wall, request))
        if not (self.display and self.is_mounted and self._built):
            self._stale = True
            return
        if self._stale:
            self.sync()
            return
        self._append_rows([self._events[-1]])

    def clear_events(self) -> None:
        """Forget every event and the one shown in detail (a new thread or server)."""
        self._events.clear()
        self._stale = True
        if self.is_mounted and self._detail is not None:
            self.sync()
            self._detail.update(Content(DETAIL_HINT))

    def sync(self) -> None:
        """Rebuild the table from the buffer (after being shown; the first time, build it)."""
        if not self.is_mounted:
            return
        table = self._table if self._table is not None else self._build()
        table.clear()
        self._shown.clear()
        self._stale = False
        self._append_rows(list(self._events))

    def _append_rows(self, records: list[tuple[int, float, StreamEvent | SentRequest]]) -> None:
        table = self._table
        if table is None:
            return
        at_end = table.cursor_row >= table.row_count - 1
        for seq, wall, event in records:
            stamp = (
                time.strftime("%H:%M:%S", time.localtime(wall)) + f".{int(wall * 1000) % 1000:03d}"
            )
            if hasattr(event, "event"):
                cells = [
                    Text(one_line(event.event, 40)),
                    Text(one_line("|".join(event.ns), 30)),
                    Text(one_line(event.id or "", 24)),
                ]
            else:  # a request: what was sent, before the events it caused
                cells = [Text(one_line(_label(event), 90), style="bold"), Text(""), Text("")]
            table.add_row(Text(stamp), *cells, Text(str(event.size), justify="right"), key=str(seq))
            self._shown.append(seq)
        while len(self._shown) > MAX_EVENTS:
            table.remove_row(str(self._shown.popleft()))
        if at_end and table.row_count:
            table.move_cursor(row=table.row_count - 1, animate=False)

    def _find(self, seq: int) -> StreamEvent | SentRequest | None:
        for item_seq, _wall, event in self._events:
            if item_seq == seq:
                return event
        return None

    def on_data_table_row_highlighted(self, message: DataTable.RowHighlighted) -> None:
        """Show the highlighted event's JSON (the table is the log's only one)."""
        self._show_detail(message)

    def on_data_table_row_selected(self, message: DataTable.RowSelected) -> None:
        """Show the selected event's JSON."""
        self._show_detail(message)

    def _show_detail(self, message: DataTable.RowHighlighted | DataTable.RowSelected) -> None:
        message.stop()
        key = message.row_key.value
        event = self._find(int(key)) if key is not None else None
        if event is None or self._detail is None:
            return
        self._detail.update(Content(render_event_json(event)))


def _label(item: StreamEvent | SentRequest) -> str:
    """The event's name, or ``→ METHOD path`` for a request."""
    if hasattr(item, "event"):
        return str(item.event)
    return f"→ {item.label}"


def render_event_json(event: StreamEvent | SentRequest) -> str:
    """The event (or request) as indented JSON, sanitized and cut at :data:`MAX_DETAIL_CHARS`.

    Args:
        event: The event, or a request as sent.

    Returns:
        Text safe to draw (no control sequences).
    """
    data = event.to_json()
    if getattr(event, "error", None):
        data["error"] = event.error  # type: ignore[union-attr]
        data["raw"] = (event.raw or "")[:MAX_DETAIL_CHARS]  # type: ignore[union-attr]
    try:
        text = json.dumps(
            sanitize_json_for_display(data), indent=2, ensure_ascii=False, default=str
        )
    except (TypeError, ValueError, RecursionError):
        text = repr(data)
    if len(text) > MAX_DETAIL_CHARS:
        text = text[:MAX_DETAIL_CHARS] + f"\n… ({len(text) - MAX_DETAIL_CHARS} more characters)"
    return sanitize(text)
