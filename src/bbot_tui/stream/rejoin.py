"""Exactly-once delivery across rejoins of a resumable run's stream.

The server (langgraph-runtime-inmem; docs/PROTOCOL.md, "Resumable runs") has two flaws a rejoin
must undo:

1. Several events in the same millisecond share one id (``<ms>-0``, langgraph#8112), and the
   replay sends only ids strictly greater than ``Last-Event-ID``: rejoining with the last id
   seen can skip events. So the cursor is **stepped back one millisecond** and the replayed
   events that were already delivered are dropped by **tail alignment**: they must repeat, in
   order, what was delivered since that millisecond.
2. The live queue is subscribed before the replay is walked, so 1–3 events at the seam
   between replay and live events come twice. **One-seam detection**: within a rejoined
   connection, the first known event that goes back in id order, or repeats the previous
   event, starts a seam block; it is dropped while it matches what followed its first
   delivery.

:class:`Deduplicator` keeps the delivered events of the current run (their identity only:
id, name and data) and filters each connection's events.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bbot_tui.api.events import StreamEvent

__all__ = ["Deduplicator", "parse_event_id", "step_back"]

_Key = tuple[str | None, str, str]


def parse_event_id(event_id: str | None) -> tuple[int, int] | None:
    """``"1795407305249-3"`` → ``(1795407305249, 3)``; None for other shapes."""
    if not event_id:
        return None
    ms, sep, seq = event_id.partition("-")
    if not ms.isdigit() or (sep and not seq.isdigit()):
        return None
    return int(ms), int(seq or 0)


def step_back(event_id: str | None) -> str:
    """The rejoin cursor for the last delivered id: one millisecond earlier.

    No id yet gives ``"-1"`` (replay from the start). An id of another shape (a production
    Redis stream id is the same shape; anything else) is used as is.
    """
    parsed = parse_event_id(event_id)
    if event_id is None:
        return "-1"
    if parsed is None:
        return event_id
    ms, _seq = parsed
    return f"{ms - 1}-0" if ms > 0 else "-1"


def _key(event: StreamEvent) -> _Key:
    return (event.id, event.event, event.raw if event.raw is not None else _data_key(event))


def _data_key(event: StreamEvent) -> str:
    return repr(event.data)


@dataclass
class Deduplicator:
    """Filters replayed and seam-duplicated events.

    Attributes:
        delivered: identities of the events delivered so far, in order.
        dropped: how many duplicates were dropped.
        last_id: the id of the last delivered event (the cursor before stepping back).
    """

    delivered: list[_Key] = field(default_factory=list)
    dropped: int = 0
    last_id: str | None = None
    _align: list[_Key] = field(default_factory=list)
    _align_pos: int = 0
    _connection: list[int] = field(default_factory=list)
    _seam_used: bool = False
    _seam_pos: int | None = None
    _rejoined: bool = False

    def cursor(self) -> str:
        """The ``Last-Event-ID`` to rejoin with."""
        return step_back(self.last_id)

    def new_connection(self, *, rejoin: bool) -> str | None:
        """Prepare for a new connection; returns the cursor to send (None for the first).

        Args:
            rejoin: True when this connection replays from a cursor.
        """
        self._connection = []
        self._seam_used = False
        self._seam_pos = None
        self._rejoined = rejoin
        if not rejoin:
            self._align = []
            self._align_pos = 0
            return None
        cursor = self.cursor()
        floor = parse_event_id(cursor)
        if cursor == "-1" or floor is None:
            self._align = list(self.delivered)
        else:
            # everything delivered with an id after the cursor will be replayed first
            start = len(self.delivered)
            while start > 0:
                parsed = parse_event_id(self.delivered[start - 1][0])
                if parsed is None or parsed <= floor:
                    break
                start -= 1
            self._align = self.delivered[start:]
        self._align_pos = 0
        return cursor

    def filter(self, events: list[StreamEvent]) -> list[StreamEvent]:
        """The events of a batch that were not delivered before."""
        out: list[StreamEvent] = []
        for event in events:
            if self._accept(event):
                out.append(event)
        return out

    def _accept(self, event: StreamEvent) -> bool:
        key = _key(event)
        # 1. tail alignment against what the replay repeats
        if self._align_pos < len(self._align):
            if key == self._align[self._align_pos]:
                self._align_pos += 1
                self.dropped += 1
                return False
            self._align_pos = len(self._align)  # the replay diverged: alignment is over
        # 2. one-seam detection (rejoined connections only)
        if self._rejoined and self._connection:
            if self._seam_pos is not None:
                if self._seam_pos < len(self.delivered) and key == self.delivered[self._seam_pos]:
                    self._seam_pos += 1
                    self.dropped += 1
                    return False
                self._seam_pos = None
            elif not self._seam_used and event.id is not None:
                previous = self.delivered[self._connection[-1]]
                goes_back = _before(event.id, previous[0])
                if goes_back or key == previous:
                    start = self._find_in_connection(key)
                    if start is not None:
                        self._seam_used = True
                        self._seam_pos = start + 1
                        self.dropped += 1
                        return False
        self._connection.append(len(self.delivered))
        self.delivered.append(key)
        if event.id is not None:
            self.last_id = event.id
        return True

    def _find_in_connection(self, key: _Key) -> int | None:
        for index in reversed(self._connection):
            if self.delivered[index] == key:
                return index
        return None


def _before(a: str | None, b: str | None) -> bool:
    pa, pb = parse_event_id(a), parse_event_id(b)
    return pa is not None and pb is not None and pa < pb
