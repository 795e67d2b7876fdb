"""The message view: a transcript drawn line by line, fast enough for 1,000 tokens/s.

One :class:`~textual.scroll_view.ScrollView` with ``render_line`` draws the whole thread; no
widget per message. Messages are split into Markdown blocks (:mod:`.markdown_blocks`); a
finished block is rendered once to cached strips; only the growing block of a streaming answer
is redrawn, at most ~30 times a second and never more than half the event loop's time (a slow
redraw spaces out the next, so keys stay responsive). Long threads are drawn lazily: a message
is split and rendered only when it comes near the viewport; until then its height is a guess
(:mod:`.mv_layout`). Model output is sanitized and never parsed as markup.

Interface (the screen sets attributes down; the view posts messages up):

* ``view.transcript = transcript`` shows a transcript (at its end, following);
* ``view.sync()`` pulls ``transcript.take_dirty()`` and redraws what changed; an internal timer
  also does it ~30 times a second, so calling it is optional (it is cheap and throttled);
* ``view.follow``: stick to the bottom; the user scrolling up clears it, End/``G`` sets it;
* :class:`MessageView.LinkClicked` (a link was clicked: the view never opens anything) and
  :class:`MessageView.CopyRequested` (copy this text, e.g. with ``app.copy_to_clipboard``).

The view consumes ``take_dirty()``: other readers should watch ``transcript.meta_version``.
"""

from __future__ import annotations

import gc
import time
from bisect import bisect_right
from collections import OrderedDict
from functools import partial
from typing import TYPE_CHECKING, ClassVar

from rich.segment import Segment
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from .mv_actions import MessageActions
from .mv_layout import Block, Entry
from .mv_render import Painter, Palette, preload

if TYPE_CHECKING:
    from textual.timer import Timer

    from bbot_tui.stream.transcript import Transcript

__all__ = ["MessageView"]

FRAME = 1 / 30
"""The shortest time between two redraws of streamed content."""
BUSY_SHARE = 0.5
"""At most this share of the event loop goes to redrawing streamed content: after a redraw
that took ``t`` (pulling changes, rendering, and the frame that shows them), the next waits at
least ``t * (1 - BUSY_SHARE) / BUSY_SHARE``, so keys are handled and painted in between."""
MAX_GAP = 0.25
"""The longest wait between two redraws however slow they are."""
GUTTER = 2
"""Columns left of the messages: the selection bar."""
STRIP_BUDGET = 12_000
"""Rendered lines kept in memory; the least recently drawn blocks beyond it are dropped."""

_preloaded = False
"""Whether the Markdown machinery was warmed up in this process (see :func:`preload`)."""

_ROLE_STYLES = ("human", "ai", "tool", "tool-error", "system", "error", "meta", "cursor")


def _preload_and_freeze(code_theme: str) -> None:
    """Warm up Markdown rendering, then take what exists now out of the collector's scans.

    A 1,000 tokens/s stream allocates fast; each full collection re-scanned every imported
    module, class and widget (pauses of up to 100 ms measured here, which a key pressed then
    waits for). :func:`gc.freeze` moves the objects alive now to a permanent generation; the
    collector still handles everything allocated later.
    """
    preload(code_theme)
    gc.freeze()


class MessageView(MessageActions, ScrollView, can_focus=True):
    """Shows a :class:`~bbot_tui.stream.transcript.Transcript`: messages, tool calls, errors."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        *(f"message-view--{name}" for name in _ROLE_STYLES),
        "message-view--selected",
    }
    DEFAULT_CSS = """
    MessageView { scrollbar-gutter: stable; }
    MessageView > .message-view--human { color: $primary; text-style: bold; }
    MessageView > .message-view--ai { color: $accent; text-style: bold; }
    MessageView > .message-view--tool { color: $secondary; }
    MessageView > .message-view--tool-error { color: $error; }
    MessageView > .message-view--system { color: $text-muted; text-style: italic; }
    MessageView > .message-view--error { color: $error; text-style: bold; }
    MessageView > .message-view--meta { color: $text-muted; }
    MessageView > .message-view--cursor { color: $accent; }
    MessageView > .message-view--selected { color: $accent; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "copy_message", "Copy message"),
        Binding("C", "copy_code", "Copy code"),
        Binding("left_square_bracket", "select(-1)", "Previous", key_display="["),
        Binding("right_square_bracket", "select(1)", "Next", key_display="]"),
        Binding("enter,space", "toggle_tools", "Expand/collapse", show=False),
        Binding("end,G", "scroll_end", "Follow", show=False),
        Binding("home,g", "scroll_home", "Top", show=False),
    ]
    """c copies the selected (or last) message, C its last code block; [ and ] select
    messages; enter/space collapse or expand tool calls; End/G follow; Home/g go to the top."""

    transcript: reactive[Transcript | None] = reactive(None, init=False, always_update=True)
    """The transcript shown; setting it shows that transcript from its end."""
    follow: reactive[bool] = reactive(True, init=False)
    """Stick to the bottom as content grows; scrolling up clears it, End/G sets it."""

    class LinkClicked(Message):
        """A Markdown link was clicked (the view never opens it)."""

        def __init__(self, url: str) -> None:
            self.url = url
            """The link target (sanitized)."""
            super().__init__()

    class CopyRequested(Message):
        """The user asked to copy text (a message or a code block)."""

        def __init__(self, text: str) -> None:
            self.text = text
            """The text to put on the clipboard."""
            super().__init__()

    def __init__(
        self, *, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._entries: list[Entry] = []
        self._index: dict[str, int] = {}
        self._starts: list[int] = [0]
        self._width = 0
        self._palette = Palette()
        self._painter: Painter | None = None
        self._rendered: OrderedDict[int, Block] = OrderedDict()
        self._rendered_lines = 0
        self._selected: str | None = None
        self._auto = False
        self._settling = False
        self._next_flush = 0.0
        self._ticker: Timer | None = None

    # --- lifecycle ------------------------------------------------------------------------

    def on_mount(self) -> None:
        """Start the redraw timer."""
        super().on_mount()
        self._ticker = self.set_interval(FRAME, self._tick, name="message-view-sync")
        self.call_after_refresh(gc.freeze)  # see _preload_and_freeze

    def notify_style_update(self) -> None:
        """Re-resolve colours (theme change); drop strips drawn with the old ones."""
        super().notify_style_update()
        if self.is_mounted and self._read_palette():
            self._drop_strips()
            self.refresh()

    def on_resize(self, event: events.Resize) -> None:
        """Re-wrap everything at the new width, keeping the top line (or the bottom) in view."""
        width = self.scrollable_content_region.width
        if width != self._width:
            anchor = self._anchor()
            self._width = width
            self._drop_strips(resize=True)
            self._restack(0)
            if not self.follow and anchor is not None:
                self._restore(anchor)
        self._settle()

    # --- public API -------------------------------------------------------------------------

    def sync(self, force: bool = False) -> None:
        """Pull the transcript's changes and redraw them.

        Args:
            force: redraw now even if the last redraw was less than a frame ago (by default
                calls are throttled: at most ~30 redraws a second, and fewer when redraws are
                slow, see :data:`BUSY_SHARE`; the timer catches up).
        """
        if force or time.monotonic() >= self._next_flush:
            self._flush()

    def export_strips(self) -> list[Strip]:
        """Every line of the whole transcript as drawn (without the selection gutter).

        Renders every message, so it costs what the lazy drawing saves: for tests, exports and
        snapshots, not for each frame.
        """
        self._flush()
        painter = self._get_painter()
        width = self._content_width
        blank = Strip.blank(width, self._palette.base)
        out: list[Strip] = []
        for entry in self._entries:
            if entry.blocks is None or entry.version != entry.message.version:
                entry.build(self.transcript, width)
            for block in entry.blocks or ():
                strips = block.strips
                if strips is None:
                    strips = block.render(painter, width)
                    self._remember(block, strips)
                out.extend([blank] * block.gap)
                out.extend(strips)
            entry.reflow(0)
        self._restack(0)
        self._settle()
        self.refresh()
        return out

    def watch_transcript(self, transcript: Transcript | None) -> None:
        self._entries, self._index, self._starts = [], {}, [0]
        self._selected = None
        self._rendered.clear()
        self._rendered_lines = 0
        self.set_reactive(MessageView.follow, True)
        if transcript is not None:
            transcript.take_dirty()
            self._reconcile()
        self._settle()
        self.refresh()

    def watch_follow(self, follow: bool) -> None:
        if follow:
            self._settle()

    # --- change tracking ------------------------------------------------------------------

    def _tick(self) -> None:
        if self.transcript is not None and time.monotonic() >= self._next_flush:
            self._flush()

    def _flushed(self, began: float) -> None:
        """After the frame showing a redraw: pace the next one by what this one cost."""
        now = time.monotonic()
        cost = now - began
        wait = min(MAX_GAP, cost * (1 - BUSY_SHARE) / BUSY_SHARE)
        self._next_flush = max(self._next_flush, now + wait)

    def _flush(self) -> None:
        transcript = self.transcript
        if transcript is None:
            return
        dirty, meta = transcript.take_dirty()
        if not dirty and not meta:
            return
        began = time.monotonic()
        self._next_flush = began + FRAME
        index = self._index
        if (
            meta
            or len(transcript.messages) != len(self._entries)
            or any(key not in index or transcript.get(key) is None for key in dirty)
        ):
            self._reconcile()
            index = self._index  # reconciling rebuilds the index (messages may be gone)
        width = self._content_width
        first = len(self._entries)
        tools = [key for key in dirty if key in index and self._entries[index[key]].hidden]
        owners = self._owner_map() if tools else {}
        for key in dirty:
            position = index.get(key)
            if position is None:
                continue
            entry = self._entries[position]
            if owners and key in owners:  # a tool answer shown inside its call
                owner = index.get(owners[key])
                if owner is not None:
                    self._rebuild(self._entries[owner], width)
                    first = min(first, owner)
            self._rebuild(entry, width)
            first = min(first, position)
        self._restack(first)
        self._settle()
        self.refresh()
        self.call_after_refresh(self._flushed, began)

    def _rebuild(self, entry: Entry, width: int) -> None:
        if entry.blocks is None:
            entry.guess(width)
        else:
            entry.build(self.transcript, width)

    def _owner_map(self) -> dict[str, str]:
        return {
            result: entry.key
            for entry in self._entries
            if entry.message.tool_calls
            for result in entry.result_keys()
        }

    def _reconcile(self) -> None:
        """Make the entries follow the transcript's messages (new, removed, reordered)."""
        transcript = self.transcript
        messages = transcript.messages if transcript is not None else []
        old = {entry.key: entry for entry in self._entries}
        entries: list[Entry] = []
        for message in messages:
            entry = old.get(message.key)
            if entry is None or entry.message is not message:
                entry = Entry(message)
            entries.append(entry)
        first = 0
        while (
            first < len(entries)
            and first < len(self._entries)
            and entries[first] is self._entries[first]
        ):
            first += 1
        self._entries = entries
        self._index = {entry.key: i for i, entry in enumerate(entries)}
        if entries:
            self._preload()
        owners = self._owner_map()
        width = self._content_width
        for i, entry in enumerate(entries):
            hidden = entry.key in owners
            if hidden != entry.hidden or entry.version < 0:
                entry.hidden = hidden
                if entry.blocks is None:
                    entry.guess(width)
                else:
                    entry.build(transcript, width)
                first = min(first, i)
        del self._starts[first + 1 :]
        self._restack(first)

    def _preload(self) -> None:
        """Warm up Markdown rendering in a thread once a transcript has content.

        The first render would otherwise import Rich Markdown, markdown-it and pygments on the
        event loop (~0.2 s) in the middle of the first answer; at startup it would delay the
        first frame.
        """
        global _preloaded
        if not _preloaded and self.is_mounted:
            _preloaded = True
            self.run_worker(
                partial(_preload_and_freeze, self._palette.code_theme),
                thread=True,
                group="message-view-preload",
                exit_on_error=False,
            )

    # --- layout -----------------------------------------------------------------------------

    @property
    def _content_width(self) -> int:
        return max(1, self._width - GUTTER)

    def _restack(self, first: int) -> None:
        """Recompute the first line of every entry from entry ``first`` on."""
        starts, entries = self._starts, self._entries
        first = max(0, min(first, len(starts) - 1))
        del starts[first + 1 :]
        line = starts[first]
        for entry in entries[first:]:
            line += entry.height
            starts.append(line)

    def _measure(self, top: int, bottom: int) -> bool:
        """Render every block that intersects lines ``top..bottom``; True if heights changed."""
        painter = self._get_painter()
        width = self._content_width
        starts, entries = self._starts, self._entries
        position = max(0, bisect_right(starts, top) - 1)
        changed = False
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
            position += 1
        return changed

    def _settle(self) -> None:
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

    def _scroll_to_line(self, y: int) -> None:
        self._auto = True
        try:
            self.scroll_to(y=y, animate=False, force=True)
        finally:
            self._auto = False

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if self._auto:
            return
        if new_value < old_value and new_value < self.max_scroll_y:
            self.follow = False
        elif new_value >= self.max_scroll_y and not self.follow:
            self.follow = True
        self._settle()

    def _anchor(self) -> tuple[int, float] | None:
        if not self._entries or len(self._starts) < 2:
            return None
        top = self.scroll_offset.y
        position = min(len(self._entries) - 1, bisect_right(self._starts, top) - 1)
        height = max(1, self._entries[position].height)
        return position, (top - self._starts[position]) / height

    def _restore(self, anchor: tuple[int, float]) -> None:
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

    def _get_painter(self) -> Painter:
        if self._painter is None:
            self._read_palette()
            self._painter = Painter(self.app.console, self._palette)
        return self._painter

    def _read_palette(self) -> bool:
        styles = {
            name: self.get_component_rich_style(f"message-view--{name}", partial=True)
            for name in _ROLE_STYLES
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

    def _remember(self, block: Block, strips: list[Strip]) -> None:
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

    def _drop_strips(self, resize: bool = False) -> None:
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

    def render_line(self, y: int) -> Strip:
        """One line of the view (called by Textual for each visible line)."""
        width = self._width
        base = self._palette.base
        line = self.scroll_offset.y + y
        starts = self._starts
        if width <= 0:
            return Strip.blank(max(0, self.size.width), base)
        if line >= starts[-1] or not self._entries:
            return Strip.blank(width, base)
        position = bisect_right(starts, line) - 1
        entry = self._entries[position]
        located = entry.locate(line - starts[position])
        content_width = self._content_width
        selected = entry.key == self._selected
        if located is None:
            content = Strip.blank(content_width, base)
        else:
            selected = selected and located[0].kind != "gap"
            block, offset = located
            strips = block.strips
            if strips is None and offset >= block.gap:
                strips = block.render(self._get_painter(), content_width)
                self._remember(block, strips)
                self.call_after_refresh(self._settle)
            offset -= block.gap
            if strips is None or offset < 0 or offset >= len(strips):
                content = Strip.blank(content_width, base)
            else:
                content = strips[offset]
        if selected:
            bar = Strip([Segment("▌ ", base + self._palette.get("selected"))], GUTTER)
        else:
            bar = Strip.blank(GUTTER, base)
        return Strip.join([bar, content])
