"""Search in the view: which messages hold the query, which match is current, what to paint.

:class:`Finder` owns the query, the matches (from :class:`bbot_tui.stream.search.TranscriptSearch`,
over the messages' text, not their rendering) and the current match. Moving to a match draws only
that message (to find the line the match is on); every other highlight is painted by
:meth:`Finder.paint` on the lines the view draws anyway, so a search on a 2,000-message thread
renders nothing it does not show. A tool's answer shown inside the call that asked for it
counts as a match of that call. It reads a :class:`~.layout.StripLayout` and knows no widget.
"""

from __future__ import annotations

from bisect import bisect_left
from typing import TYPE_CHECKING

from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from bbot_tui.stream.search import Hit, TranscriptSearch

if TYPE_CHECKING:
    from bbot_tui.tui.widgets.message_view.layout import StripLayout

__all__ = ["Finder", "paint_matches"]


class Finder:
    """The search of a view (see the module docstring).

    Args:
        layout: The layout whose entries are searched.
    """

    def __init__(self, layout: StripLayout) -> None:
        self._layout = layout
        self._search = TranscriptSearch()
        self.query = ""
        """The text searched for ("" : no search)."""
        self.hits: list[Hit] = []
        """Every match, in the order of the view (owner messages for tool answers)."""
        self.current = -1
        """The index of the current match in :attr:`hits` (-1: none)."""
        self.current_line: int | None = None
        """The view line the current match is on, once found."""
        self._needle = ""

    @property
    def active(self) -> bool:
        """Whether a query is set."""
        return bool(self._needle)

    def clear(self) -> None:
        """No search any more."""
        self.query, self._needle = "", ""
        self.hits, self.current, self.current_line = [], -1, None

    def search(self, query: str, top: int) -> None:
        """Find ``query``; the current match becomes the first at or below line ``top``.

        Args:
            query: The text (case-insensitive).
            top: The view's first line (the current match is the first one from there on,
                else the last one above it).
        """
        self.query = query
        self._needle = query.lower() if query.strip() else ""
        self.hits = self._find()
        self.current, self.current_line = -1, None
        if not self.hits:
            return
        first = self._layout.position_at(top)
        order = [self._position(hit) for hit in self.hits]
        index = bisect_left(order, first if first is not None else len(order))
        self.current = index if index < len(self.hits) else len(self.hits) - 1

    def refresh(self) -> None:
        """Search the same query again (messages changed), keeping the current match."""
        if not self._needle:
            return
        old = self.hits[self.current] if 0 <= self.current < len(self.hits) else None
        self.hits = self._find()
        if old is not None and old in self.hits:
            self.current = self.hits.index(old)
        else:
            self.current = min(self.current, len(self.hits) - 1)

    def step(self, delta: int) -> Hit | None:
        """Make the next (``delta`` > 0) or previous match current, wrapping around."""
        if not self.hits:
            return None
        self.current = (self.current + delta) % len(self.hits)
        self.current_line = None
        return self.hits[self.current]

    def current_hit(self) -> Hit | None:
        """The current match."""
        return self.hits[self.current] if 0 <= self.current < len(self.hits) else None

    def position_of_current(self) -> int | None:
        """The entry (position) that shows the current match."""
        hit = self.current_hit()
        return None if hit is None else self._position(hit)

    def locate_current(self) -> int | None:
        """The view line of the current match: its message is drawn to find it.

        Returns:
            The line, or the message's first line when the drawn text does not show that
            occurrence (Markdown hides some characters, a tool answer is clipped).
        """
        hit = self.current_hit()
        position = None if hit is None else self._position(hit)
        if hit is None or position is None:
            return None
        layout = self._layout
        for _ in range(4):  # measuring may change heights: measure again until stable
            start, end = layout.span(position)
            if not layout.measure(start, end):
                break
        start, end = layout.span(position)
        nth = self._nth_in_owner(hit)
        seen = 0
        line = start
        for y in range(start, end):
            located = layout.locate(y)
            if located is None or located.block is None:
                continue
            block, offset = located.block, located.offset - located.block.gap
            strips = block.strips
            if strips is None or not 0 <= offset < len(strips):
                continue
            count = strips[offset].text.lower().count(self._needle)
            if count and seen <= nth < seen + count:
                line = y
                break
            seen += count
        self.current_line = line
        return line

    def paint(self, strip: Strip, y: int, match: Style, current: Style) -> Strip:
        """``strip`` (view line ``y``) with the query's occurrences in ``match`` style (in
        ``current`` style on the current match's line)."""
        if not self._needle:
            return strip
        style = current if y == self.current_line else match
        return paint_matches(strip, self._needle, style)

    # --- internals ----------------------------------------------------------------------------

    def _owners(self) -> dict[str, str]:
        return {
            result: entry.key
            for entry in self._layout.entries
            if entry.message.tool_calls
            for result in entry.result_keys()
        }

    def _find(self) -> list[Hit]:
        if not self._needle:
            return []
        entries = self._layout.entries
        owners = self._owners() if any(e.hidden for e in entries) else {}
        hits = self._search.find((e.message for e in entries), self._needle)
        if not owners:
            return hits
        # a tool answer is drawn in its call: count it there, in the call's place
        out = [Hit(owners.get(h.key, h.key), h.nth, h.start) for h in hits]
        out.sort(key=lambda h: self._layout.position(h.key) or 0)
        return out

    def _position(self, hit: Hit) -> int:
        position = self._layout.position(hit.key)
        return position if position is not None else 0

    def _nth_in_owner(self, hit: Hit) -> int:
        """Which occurrence within its entry's drawn lines the hit is."""
        index = self.hits.index(hit) if hit in self.hits else 0
        first = index
        while first > 0 and self.hits[first - 1].key == hit.key:
            first -= 1
        return index - first


def paint_matches(strip: Strip, needle: str, style: Style) -> Strip:
    """``strip`` with every occurrence of ``needle`` (lowered) drawn in ``style``."""
    text = strip.text
    lowered = text.lower()
    if needle not in lowered or len(lowered) != len(text):
        return strip
    from rich.cells import cell_len

    cuts: list[int] = []
    start = lowered.find(needle)
    while start >= 0:
        end = start + len(needle)
        cuts += [cell_len(text[:start]), cell_len(text[:end])]
        start = lowered.find(needle, end)
    parts = strip.divide([*cuts, strip.cell_length])
    out = []
    for index, part in enumerate(parts):
        if index % 2:
            part = Strip(Segment.apply_style(list(part), post_style=style), part.cell_length)
        out.append(part)
    return Strip.join(out)
