"""The message view's geometry and strip cache: where each message is, what is drawn.

A mixin of :class:`~bbot_tui.tui.widgets.message_view.MessageView`. ``_starts`` holds the first
line of every entry; entries far from the viewport keep guessed heights, and the blocks that
come into view are rendered to strips (measured) by :meth:`StripLayout._settle`. Rendered
strips are kept for the :data:`STRIP_BUDGET` most recently drawn lines.

While the app is idle the view draws ahead (:meth:`StripLayout._prefetch`): the
:data:`PREFETCH_PAGES` pages above and below the viewport are rendered in slices of at most
:data:`PREFETCH_SLICE`, so that a page up or down finds its strips cached instead of rendering
~5 messages with highlighted code while the key waits. The view is kept still while the heights
above it change from guesses to measurements.
"""

from __future__ import annotations

import time
from bisect import bisect_right
from typing import TYPE_CHECKING

from textual.geometry import Size

from bbot_tui.tui.widgets.mv_render import Painter, Palette

if TYPE_CHECKING:
    from textual.strip import Strip

    from bbot_tui.tui.widgets.message_view import MessageView
    from bbot_tui.tui.widgets.mv_layout import Block
__all__ = [
    "GUTTER",
    "PREFETCH_PAGES",
    "PREFETCH_SLICE",
    "ROLE_STYLES",
    "STRIP_BUDGET",
    "StripLayout",
]

GUTTER = 2
"""Columns left of the messages: the selection bar."""
STRIP_BUDGET = 12_000
"""Rendered lines kept in memory; the least recently drawn blocks beyond it are dropped."""
PREFETCH_PAGES = 2
"""Pages above and below the viewport drawn ahead while the app is idle."""
PREFETCH_SLICE = 0.006
"""The longest stretch of drawing ahead (s) before the event loop gets a turn (a key pressed
meanwhile waits at most this long, plus the one block being drawn)."""
PREFETCH_IDLE = 0.08
"""How long the view must be still (no scroll, no redraw) before drawing ahead starts (s)."""
PREFETCH_PAUSE = 0.002
"""The pause (s) between two slices of drawing ahead."""
ROLE_STYLES = (
    "human",
    "ai",
    "tool",
    "tool-error",
    "system",
    "error",
    "meta",
    "cursor",
    "unsaved",
)
"""The component classes (``message-view--<name>``) the palette is read from."""


class StripLayout:
    """Line positions, measuring what is in view, and the strip cache (see the module)."""

    # --- layout -----------------------------------------------------------------------------

    @property
    def _content_width(self: MessageView) -> int:
        return max(1, self._width - GUTTER)

    def _restack(self: MessageView, first: int) -> None:
        """Recompute the first line of every entry from entry ``first`` on."""
        starts, entries = self._starts, self._entries
        first = max(0, min(first, len(starts) - 1))
        del starts[first + 1 :]
        line = starts[first]
        for entry in entries[first:]:
            line += entry.height
            starts.append(line)

    def _measure(self: MessageView, top: int, bottom: int) -> bool:
        """Render every block that intersects lines ``top..bottom``; True if heights changed."""
        return self._draw_range(top, bottom, None)[0]

    def _draw_range(
        self: MessageView, top: int, bottom: int, deadline: float | None
    ) -> tuple[bool, bool]:
        """Render the blocks that intersect lines ``top..bottom`` until ``deadline``.

        Returns:
            (whether heights changed, whether every block in the range is drawn).
        """
        painter = self._get_painter()
        width = self._content_width
        starts, entries = self._starts, self._entries
        position = max(0, bisect_right(starts, top) - 1)
        changed = False
        finished = True
        while position < len(entries) and starts[position] < bottom:
            entry = entries[position]
            height = entry.height
            if entry.blocks is None or entry.version != entry.message.version:
                entry.build(self.transcript, width)
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

    def _settle(self: MessageView) -> None:
        """Measure what is in view, keep following, and publish the virtual size."""
        if self._width <= 0 or self._settling:
            return
        self._settling = True
        try:
            view = self.scrollable_content_region.height
            for _ in range(10):
                total = self._starts[-1]
                top = max(0, total - view) if self.follow else self.scroll_offset.y
                if not self._measure(top, top + view):
                    break
            total = self._starts[-1]
            size = Size(self._width, total)
            if self.virtual_size != size:
                self.virtual_size = size
            if self.follow:
                self._scroll_to_line(max(0, total - view))
        finally:
            self._settling = False
        self._schedule_prefetch()

    # --- drawing ahead ----------------------------------------------------------------------

    def _schedule_prefetch(self: MessageView, pause: float | None = None) -> None:
        """Draw ahead once the view has been still for :data:`PREFETCH_IDLE` (or after
        ``pause``, for the next slice).

        Every scroll or redraw pushes the start back: while keys arrive faster than that (or an
        answer streams), drawing ahead would only compete with them for the event loop.
        """
        if not self.is_mounted:
            return
        now = time.monotonic()
        if pause is None:
            self._prefetch_at = now + PREFETCH_IDLE
        if not self._prefetch_pending:
            self._prefetch_pending = True
            self.set_timer(
                PREFETCH_IDLE if pause is None else pause,
                self._prefetch,
                name="message-view-prefetch",
            )

    def _prefetch(self: MessageView) -> None:
        """One slice of drawing the pages around the viewport, nearest first."""
        self._prefetch_pending = False
        wait = self._prefetch_at - time.monotonic()
        if wait > 0:  # something moved since this was scheduled
            self._schedule_prefetch(wait)
            return
        if self._width <= 0 or not self._entries or self._settling:
            return
        view = max(1, self.scrollable_content_region.height)
        total = self._starts[-1]
        top = max(0, total - view) if self.follow else self.scroll_offset.y
        anchor = None if self.follow else self._line_anchor(top)
        deadline = time.monotonic() + PREFETCH_SLICE
        changed = False
        finished = True
        for page in range(1, PREFETCH_PAGES + 1):
            for side in (-1, 1):
                if anchor is not None:
                    top = self._anchor_line(anchor)
                start = top - page * view if side < 0 else top + page * view
                low, high = max(0, start), min(self._starts[-1], start + view)
                if low < high:
                    moved, finished = self._draw_range(low, high, deadline)
                    changed = changed or moved
                if not finished:
                    break
            if not finished:
                break
        if changed:
            self._hold(anchor)
        if changed or not finished:  # heights moved the pages: check them again
            self._schedule_prefetch(PREFETCH_PAUSE)

    def _hold(self: MessageView, anchor: tuple[int, int, int] | None) -> None:
        """After heights changed out of view: keep the same content in view."""
        if self.follow or anchor is None:
            self._settling = True  # publish the size without scheduling another slice
            try:
                total = self._starts[-1]
                self.virtual_size = Size(self._width, total)
                if self.follow:
                    view = self.scrollable_content_region.height
                    self._scroll_to_line(max(0, total - view))
            finally:
                self._settling = False
            return
        y = self._anchor_line(anchor)
        self._auto = True
        try:
            self.virtual_size = Size(self._width, self._starts[-1])
            if y != self.scroll_offset.y:
                self.scroll_to(y=y, animate=False, force=True)
        finally:
            self._auto = False

    def _line_anchor(self: MessageView, line: int) -> tuple[int, int, int] | None:
        """Where line ``line`` is: (entry, block or -1, line within it), stable under
        changes of the heights of other blocks."""
        starts = self._starts
        if not self._entries or line >= starts[-1]:
            return None
        position = min(len(self._entries) - 1, bisect_right(starts, line) - 1)
        entry = self._entries[position]
        relative = line - starts[position]
        if entry.blocks is None:
            return position, -1, relative
        index = max(0, bisect_right(entry.offsets, relative) - 1)
        return position, index, relative - entry.offsets[index]

    def _anchor_line(self: MessageView, anchor: tuple[int, int, int]) -> int:
        """The line an anchor from :meth:`_line_anchor` is at now."""
        position, index, offset = anchor
        if position >= len(self._entries):
            return self._starts[-1]
        entry = self._entries[position]
        line = self._starts[position] + offset
        if index >= 0 and entry.blocks is not None and index < len(entry.offsets):
            line += entry.offsets[index]
        return line

    def _scroll_to_line(self: MessageView, y: int) -> None:
        self._auto = True
        try:
            self.scroll_to(y=y, animate=False, force=True)
        finally:
            self._auto = False

    def _anchor(self: MessageView) -> tuple[int, float] | None:
        if not self._entries or len(self._starts) < 2:
            return None
        top = self.scroll_offset.y
        position = min(len(self._entries) - 1, bisect_right(self._starts, top) - 1)
        height = max(1, self._entries[position].height)
        return position, (top - self._starts[position]) / height

    def _restore(self: MessageView, anchor: tuple[int, float]) -> None:
        position, fraction = anchor
        if position < len(self._entries):
            entry = self._entries[position]
            y = self._starts[position] + int(fraction * entry.height)
            self._auto = True
            try:
                self.virtual_size = Size(self._width, self._starts[-1])
                self.scroll_to(y=y, animate=False, force=True)
            finally:
                self._auto = False

    # --- strips -----------------------------------------------------------------------------

    def _get_painter(self: MessageView) -> Painter:
        if self._painter is None:
            self._read_palette()
            self._painter = Painter(self.app.console, self._palette)
        return self._painter

    def _read_palette(self: MessageView) -> bool:
        styles = {
            name: self.get_component_rich_style(f"message-view--{name}", partial=True)
            for name in ROLE_STYLES
        }
        styles["selected"] = self.get_component_rich_style("message-view--selected", partial=True)
        dark = self.app.current_theme.dark if self.app.current_theme else True
        palette = Palette(self.rich_style, styles, "monokai" if dark else "default")
        if palette == self._palette:
            return False
        self._palette = palette
        if self._painter is not None:
            self._painter.reset(palette)
        return True

    def _remember(self: MessageView, block: Block, strips: list[Strip]) -> None:
        key = id(block)
        previous = self._rendered.pop(key, None)
        if previous is not None and previous.strips is not None and previous is not block:
            self._rendered_lines -= len(previous.strips)
        self._rendered[key] = block
        self._rendered_lines += len(strips)
        while self._rendered_lines > STRIP_BUDGET and len(self._rendered) > 1:
            _, old = self._rendered.popitem(last=False)
            if old.strips is not None:
                self._rendered_lines -= len(old.strips)
                old.strips = None

    def _drop_strips(self: MessageView, resize: bool = False) -> None:
        self._rendered.clear()
        self._rendered_lines = 0
        width = self._content_width
        for entry in self._entries:
            for block in entry.blocks or ():
                if resize:
                    block.resize()
                    block.guess(width)
                else:
                    block.strips = None
            if resize:
                if entry.blocks is None:
                    entry.guess(width)
                else:
                    entry.reflow(0)
