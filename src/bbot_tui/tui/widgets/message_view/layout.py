"""The strip layout: where every message of the view is, and the strips drawn for it.

:class:`StripLayout` owns the view's entries (one :class:`~.entry.Entry` per transcript
message) and their geometry: ``starts`` holds the first line of every entry, entries far from
the viewport keep guessed heights, and the blocks that come into view are rendered to strips
(measured) by :meth:`StripLayout.measure`. Rendered strips are kept for the :data:`STRIP_BUDGET`
most recently drawn lines; older ones are dropped and drawn again when needed.

It also draws ahead (:meth:`StripLayout.draw_ahead`): the pages above and below a viewport are
rendered within a deadline, following an anchor so that heights changing from guesses to
measurements do not move what the caller keeps in view.

It knows no widget and no app: it draws with a :class:`~.painter.Painter` it asks for when it
first needs one, so it is built and tested directly (``tests/ui/test_message_view_layout.py``).
The widget (:mod:`.view`) decides what is in view and scrolls; this module only answers where
lines are and draws them.
"""

from __future__ import annotations

import time
from bisect import bisect_right
from collections import OrderedDict
from typing import TYPE_CHECKING, NamedTuple

from bbot_tui.tui.widgets.message_view.entry import Block, Entry

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from textual.strip import Strip

    from bbot_tui.stream.transcript import Transcript
    from bbot_tui.tui.widgets.message_view.painter import Painter
__all__ = ["STRIP_BUDGET", "LineAnchor", "Located", "RelativeAnchor", "StripLayout"]

STRIP_BUDGET = 12_000
"""Rendered lines kept in memory; the least recently drawn blocks beyond it are dropped."""


class LineAnchor(NamedTuple):
    """Where a line is, stable while other blocks change height (see :meth:`StripLayout.anchor`)."""

    position: int
    """The entry."""
    block: int
    """The block within the entry, or -1 while the entry is not expanded."""
    offset: int
    """The line within the block (or within the entry)."""


class RelativeAnchor(NamedTuple):
    """Where a line is as a share of its entry's height, stable across re-wrapping."""

    position: int
    """The entry."""
    fraction: float
    """How far down the entry the line is (0 = its first line)."""


class Located(NamedTuple):
    """What is at one line of the layout (see :meth:`StripLayout.locate`)."""

    entry: Entry
    """The entry the line belongs to."""
    block: Block | None
    """The block there, or None while the entry is not expanded (its height is a guess)."""
    offset: int
    """The line within the block, its gap lines included (0 is the block's first gap line)."""


class StripLayout:
    """The entries of a transcript, their line positions and their cached strips.

    Args:
        painter: returns the painter to draw with (called when something is first drawn, so
            a widget can create it once its styles are known).
        budget: rendered lines kept before the least recently drawn blocks are dropped.
    """

    def __init__(self, painter: Callable[[], Painter], budget: int = STRIP_BUDGET) -> None:
        self.budget = budget
        """Rendered lines kept before the least recently drawn blocks are dropped."""
        self._painter = painter
        self._transcript: Transcript | None = None
        self._entries: list[Entry] = []
        self._index: dict[str, int] = {}
        self._starts: list[int] = [0]
        self._width = 1
        self._rendered: OrderedDict[int, tuple[Block, int]] = OrderedDict()
        """Blocks holding strips by ``id``, least recently drawn first, with their line count."""
        self._rendered_lines = 0

    # --- what is laid out -------------------------------------------------------------------

    @property
    def width(self) -> int:
        """The width the blocks are wrapped and drawn at (cells)."""
        return self._width

    @property
    def transcript(self) -> Transcript | None:
        """The transcript the entries come from (tool calls read their answers from it)."""
        return self._transcript

    @property
    def entries(self) -> list[Entry]:
        """The entries in order (do not modify the list: use :meth:`replace`)."""
        return self._entries

    @property
    def total(self) -> int:
        """The height of everything, in lines."""
        return self._starts[-1]

    @property
    def cached_lines(self) -> int:
        """Rendered lines held in the strip cache."""
        return self._rendered_lines

    def position(self, key: str) -> int | None:
        """The position of the entry of message ``key``, or None."""
        return self._index.get(key)

    def span(self, position: int) -> tuple[int, int]:
        """The first line of entry ``position`` and the line after its last."""
        return self._starts[position], self._starts[position + 1]

    def position_at(self, line: int) -> int | None:
        """The position of the entry that holds ``line``, or None past the end."""
        if not self._entries or line >= self._starts[-1] or line < 0:
            return None
        return min(len(self._entries) - 1, bisect_right(self._starts, line) - 1)

    def locate(self, line: int) -> Located | None:
        """What is at ``line``: the entry, its block there and the line within the block."""
        starts = self._starts
        if line >= starts[-1] or line < 0 or not self._entries:
            return None
        position = bisect_right(starts, line) - 1
        entry = self._entries[position]
        located = entry.locate(line - starts[position])
        if located is None:
            return Located(entry, None, line - starts[position])
        return Located(entry, located[0], located[1])

    # --- changing the entries ---------------------------------------------------------------

    def reset(self, transcript: Transcript | None) -> None:
        """Forget every entry and strip; lay out ``transcript`` from now on (no entries yet)."""
        self._transcript = transcript
        self._entries, self._index, self._starts = [], {}, [0]
        self._rendered.clear()
        self._rendered_lines = 0

    def replace(self, entries: list[Entry], stale: Iterable[int] = ()) -> None:
        """Lay out ``entries`` instead (entries kept from before keep their blocks and strips).

        Args:
            entries: the new list (the layout keeps it).
            stale: positions (in ``entries``) whose message or visibility changed: they are
                rebuilt. Entries new to the layout must be listed (or be unexpanded).
        """
        old = self._entries
        first = 0
        while first < len(entries) and first < len(old) and entries[first] is old[first]:
            first += 1
        self._entries = entries
        self._index = {entry.key: i for i, entry in enumerate(entries)}
        for position in stale:
            self._rebuild(entries[position])
            first = min(first, position)
        self._restack(first)

    def rebuild(self, positions: Iterable[int]) -> None:
        """Rebuild the entries at ``positions`` from their messages (text, tool calls, state).

        An expanded entry updates its blocks (unchanged blocks keep their strips; a growing
        block is drawn again); one never expanded only updates its guessed height.
        """
        first = len(self._entries)
        for position in positions:
            self._rebuild(self._entries[position])
            first = min(first, position)
        self._restack(first)

    def resize(self, width: int) -> None:
        """Wrap at ``width`` from now on: forget every strip and measured height."""
        self._width = max(1, width)
        self._rendered.clear()
        self._rendered_lines = 0
        for entry in self._entries:
            for block in entry.blocks or ():
                block.resize()
                block.guess(self._width)
            if entry.blocks is None:
                entry.guess(self._width)
            else:
                entry.reflow(0)
        self._restack(0)

    def drop_strips(self) -> None:
        """Forget every strip (colours changed); heights stay."""
        self._rendered.clear()
        self._rendered_lines = 0
        for entry in self._entries:
            for block in entry.blocks or ():
                block.strips = None

    def _rebuild(self, entry: Entry) -> None:
        if entry.blocks is None:
            entry.guess(self._width)
        else:
            entry.build(self._transcript, self._width)

    def _restack(self, first: int) -> None:
        """Recompute the first line of every entry from entry ``first`` on."""
        starts, entries = self._starts, self._entries
        first = max(0, min(first, len(starts) - 1))
        del starts[first + 1 :]
        line = starts[first]
        for entry in entries[first:]:
            line += entry.height
            starts.append(line)

    # --- drawing ----------------------------------------------------------------------------

    def render(self, block: Block) -> list[Strip]:
        """Draw ``block`` (without its gap) at the layout's width and cache its strips.

        Its height becomes measured; when it changed, the caller re-measures (see
        :meth:`measure`), which also restacks.
        """
        strips = block.render(self._painter(), self._width)
        self._remember(block, strips)
        return strips

    def measure(self, top: int, bottom: int) -> bool:
        """Render every block that intersects lines ``top..bottom``; True if heights changed."""
        return self._draw_range(top, bottom, None)[0]

    def draw_ahead(
        self,
        top: int,
        height: int,
        pages: int,
        deadline: float,
        anchor: LineAnchor | None = None,
    ) -> tuple[bool, bool]:
        """Draw the ``pages`` pages above and below a viewport, nearest first, until ``deadline``.

        Args:
            top: the viewport's first line.
            height: the viewport's height.
            pages: pages drawn on each side.
            deadline: a :func:`time.monotonic` time after which no further block is drawn.
            anchor: where the viewport's top is (:meth:`anchor`); when given, the pages are
                found from it again after each one, as heights above may have changed.

        Returns:
            (whether heights changed, whether every page is drawn).
        """
        changed = False
        finished = True
        for page in range(1, pages + 1):
            for side in (-1, 1):
                if anchor is not None:
                    top = self.line_of(anchor)
                start = top - page * height if side < 0 else top + page * height
                low, high = max(0, start), min(self._starts[-1], start + height)
                if low < high:
                    moved, finished = self._draw_range(low, high, deadline)
                    changed = changed or moved
                if not finished:
                    return changed, False
        return changed, finished

    def export(self) -> list[Strip]:
        """Every line of every entry, drawn (gap lines included).

        Expands and renders every message: it costs what the lazy drawing saves.
        """
        painter = self._painter()
        width = self._width
        blank = painter.blank(width)
        out: list[Strip] = []
        for entry in self._entries:
            if entry.blocks is None or entry.version != entry.message.version:
                entry.build(self._transcript, width)
            for block in entry.blocks or ():
                strips = block.strips
                if strips is None:
                    strips = block.render(painter, width)
                    self._remember(block, strips)
                out.extend([blank] * block.gap)
                out.extend(strips)
            entry.reflow(0)
        self._restack(0)
        return out

    def _draw_range(self, top: int, bottom: int, deadline: float | None) -> tuple[bool, bool]:
        """Render the blocks that intersect lines ``top..bottom`` until ``deadline``.

        Returns:
            (whether heights changed, whether every block in the range is drawn).
        """
        painter = self._painter()
        width = self._width
        starts, entries = self._starts, self._entries
        position = max(0, bisect_right(starts, top) - 1)
        changed = False
        finished = True
        while position < len(entries) and starts[position] < bottom:
            entry = entries[position]
            height = entry.height
            if entry.blocks is None or entry.version != entry.message.version:
                entry.build(self._transcript, width)
            blocks = entry.blocks or []
            offsets = entry.offsets
            j = max(0, bisect_right(offsets, top - starts[position]) - 1)
            first_changed = -1
            while j < len(blocks) and starts[position] + offsets[j] < bottom:
                block = blocks[j]
                if block.strips is None:
                    if deadline is not None and time.monotonic() > deadline:
                        finished = False
                        break
                    lines = block.lines
                    self._remember(block, block.render(painter, width))
                    if block.lines != lines and first_changed < 0:
                        first_changed = j
                j += 1
            if first_changed >= 0:
                entry.reflow(first_changed)
            if entry.height != height:
                self._restack(position)
                changed = True
            if not finished:
                break
            position += 1
        return changed, finished

    def _remember(self, block: Block, strips: list[Strip]) -> None:
        """Count ``block``'s new strips in the cache (most recent last); drop the least
        recently drawn blocks' strips beyond the budget."""
        key = id(block)
        previous = self._rendered.pop(key, None)
        if previous is not None:  # drawn before (a growing block, a redraw): its old lines
            self._rendered_lines -= previous[1]
        self._rendered[key] = (block, len(strips))
        self._rendered_lines += len(strips)
        while self._rendered_lines > self.budget and len(self._rendered) > 1:
            _, (old, lines) = self._rendered.popitem(last=False)
            self._rendered_lines -= lines
            old.strips = None

    # --- anchors ----------------------------------------------------------------------------

    def anchor(self, line: int) -> LineAnchor | None:
        """Where ``line`` is, stable while the heights of other blocks change."""
        position = self.position_at(line)
        if position is None:
            return None
        entry = self._entries[position]
        relative = line - self._starts[position]
        if entry.blocks is None:
            return LineAnchor(position, -1, relative)
        index = max(0, bisect_right(entry.offsets, relative) - 1)
        return LineAnchor(position, index, relative - entry.offsets[index])

    def line_of(self, anchor: LineAnchor) -> int:
        """The line an anchor from :meth:`anchor` is at now."""
        position, index, offset = anchor
        if position >= len(self._entries):
            return self._starts[-1]
        entry = self._entries[position]
        line = self._starts[position] + offset
        if index >= 0 and entry.blocks is not None and index < len(entry.offsets):
            line += entry.offsets[index]
        return line

    def relative_anchor(self, line: int) -> RelativeAnchor | None:
        """Where ``line`` is as a share of its entry (it survives re-wrapping, see
        :meth:`resize`)."""
        if not self._entries or len(self._starts) < 2:
            return None
        position = min(len(self._entries) - 1, bisect_right(self._starts, line) - 1)
        height = max(1, self._entries[position].height)
        return RelativeAnchor(position, (line - self._starts[position]) / height)

    def line_of_relative(self, anchor: RelativeAnchor) -> int | None:
        """The line a :meth:`relative_anchor` is at now (None if its entry is gone)."""
        position, fraction = anchor
        if position >= len(self._entries):
            return None
        return self._starts[position] + int(fraction * self._entries[position].height)
