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

The work is split over mixins: :mod:`.mv_sync` (pulling changes, redraw pacing),
:mod:`.mv_strips` (line positions, measuring, the strip cache, drawing ahead while idle) and
:mod:`.mv_actions` (keys and mouse); :mod:`.mv_layout` and :mod:`.mv_render` hold the model and
the renderer.
"""

from __future__ import annotations

import gc
import time
from bisect import bisect_right
from collections import OrderedDict
from typing import TYPE_CHECKING, ClassVar

from rich.segment import Segment
from textual import events
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from bbot_tui.tui.widgets.mv_actions import MessageActions
from bbot_tui.tui.widgets.mv_render import Palette
from bbot_tui.tui.widgets.mv_strips import GUTTER, ROLE_STYLES, StripLayout
from bbot_tui.tui.widgets.mv_sync import FRAME, TranscriptSync

if TYPE_CHECKING:
    from textual.timer import Timer

    from bbot_tui.stream.transcript import Transcript
    from bbot_tui.tui.widgets.mv_layout import Block, Entry
    from bbot_tui.tui.widgets.mv_render import Painter
__all__ = ["GUTTER", "MessageView"]


class MessageView(MessageActions, TranscriptSync, StripLayout, ScrollView, can_focus=True):
    """Shows a :class:`~bbot_tui.stream.transcript.Transcript`: messages, tool calls, errors."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        *(f"message-view--{name}" for name in ROLE_STYLES),
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
    MessageView > .message-view--unsaved { color: $text-muted; text-style: italic; }
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
        self._prefetch_pending = False
        self._prefetch_at = 0.0

    # --- lifecycle ------------------------------------------------------------------------

    def on_mount(self) -> None:
        """Start the redraw timer."""
        super().on_mount()
        self._ticker = self.set_interval(FRAME, self._tick, name="message-view-sync")
        self.call_after_refresh(gc.freeze)  # see mv_sync._preload_and_freeze

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

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if self._auto:
            return
        if new_value < old_value and new_value < self.max_scroll_y:
            self.follow = False
        elif new_value >= self.max_scroll_y and not self.follow:
            self.follow = True
        self._settle()

    # --- drawing ----------------------------------------------------------------------------

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
