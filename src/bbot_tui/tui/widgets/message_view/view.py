"""The message view: a transcript drawn line by line, fast enough for 1,000 tokens/s.

One :class:`~textual.scroll_view.ScrollView` with ``render_line`` draws the whole thread; no
widget per message. Messages are split into Markdown blocks (:mod:`.markdown_blocks`); a
finished block is rendered once to cached strips; only the growing block of a streaming answer
is redrawn, at most ~30 times a second and never more than half the event loop's time (a slow
redraw spaces out the next, so keys stay responsive). Long threads are drawn lazily: a message
is split and rendered only when it comes near the viewport; until then its height is a guess.
Model output is sanitized and never parsed as markup.

What a redraw costs the screen: the view grows without a layout of the screen (only when its
scrollbar comes or goes, or a dimension is ``auto``); only the rows whose content changed are
repainted; while an answer streams the view follows its end in steps (:data:`FOLLOW_AHEAD`), so
that most redraws repaint a line or two instead of every row (two views side by side, each
streaming at 500 tokens/s, spent most of the event loop repainting); its scrollbar is given new
values only when its thumb moves. Once the answer is over its end is at the bottom again.

Interface (the screen sets attributes down; the view posts messages up):

* ``view.transcript = transcript`` shows a transcript (at its end, following);
* ``view.sync()`` pulls ``transcript.take_dirty()`` and redraws what changed; an internal timer
  also does it ~30 times a second, so calling it is optional (it is cheap and throttled);
* ``view.follow``: stick to the bottom; the user scrolling up clears it, End/``G`` sets it;
* ``view.branch = ns``: show only the messages of one subgraph or subagent namespace and
  what is inside it (None: all);
* :class:`MessageView.LinkClicked` (a link was clicked: the view never opens anything) and
  :class:`MessageView.CopyRequested` (copy this text, e.g. with ``app.copy_to_clipboard``).

The view consumes ``take_dirty()``: other readers should watch ``transcript.meta_version``.

This module owns what is the widget's: the viewport (what is in view, following the bottom,
keeping the content still while heights change), timers, colours, keys and mouse. It owns three
collaborators that know no widget: a :class:`~.layout.StripLayout` (entries, line positions,
measuring, the strip cache, drawing ahead), a :class:`~.sync.TranscriptSync` (which entries a
transcript change redraws, and when) and a :class:`~.selection.Selection` (what the actions
act on).
"""

from __future__ import annotations

import gc
import time
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar

from rich.segment import Segment
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from bbot_tui.text import sanitize
from bbot_tui.tui.widgets.message_view.finder import Finder
from bbot_tui.tui.widgets.message_view.layout import StripLayout
from bbot_tui.tui.widgets.message_view.painter import Painter, Palette, preload
from bbot_tui.tui.widgets.message_view.selection import Selection
from bbot_tui.tui.widgets.message_view.sync import FRAME, TranscriptSync

if TYPE_CHECKING:
    from textual.scrollbar import ScrollBar
    from textual.timer import Timer

    from bbot_tui.stream.transcript import Transcript
    from bbot_tui.tui.widgets.message_view.entry import Entry
    from bbot_tui.tui.widgets.message_view.layout import LineAnchor
__all__ = [
    "FOLLOW_AHEAD",
    "GUTTER",
    "PREFETCH_IDLE",
    "PREFETCH_PAGES",
    "PREFETCH_PAUSE",
    "PREFETCH_SLICE",
    "ROLE_STYLES",
    "MessageView",
]

GUTTER = 2
"""Columns left of the messages: the selection bar."""
PREFETCH_PAGES = 2
"""Pages above and below the viewport drawn ahead while the app is idle (the default of
:attr:`MessageView.prefetch_pages`)."""
PREFETCH_SLICE = 0.006
"""The longest stretch of drawing ahead (s) before the event loop gets a turn (a key pressed
meanwhile waits at most this long, plus the one block being drawn)."""
PREFETCH_IDLE = 0.08
"""How long the view must be still (no scroll, no redraw) before drawing ahead starts (s)."""
PREFETCH_PAUSE = 0.002
"""The pause (s) between two slices of drawing ahead."""
FOLLOW_AHEAD = 0.25
"""While an answer streams, the view follows its end in steps: a scroll leaves room below the
end for the lines expected in this long (s) at the rate they came lately (none at a slow
rate, at most a third of the view), so that the redraws in between repaint only the lines that
changed; a scroll repaints every line (two views side by side at 500 tokens/s scrolled every
frame, ~30 times a second each)."""
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

_preloaded = False
"""Whether the Markdown machinery was warmed up in this process (see :func:`preload`)."""
_frozen_on_mount = False
"""Whether a view already froze what start-up made (see :meth:`MessageView.on_mount`)."""


def _thumb(bar: ScrollBar, size: int, virtual: int, window: int, position: float) -> list[Any]:
    """What ``bar`` draws (its segments, without colours) for these values, as its own
    ``render`` computes them."""
    drawn = bar.renderer.render_bar(
        size=size,
        virtual_size=virtual,
        window_size=window if window < virtual else 0,
        position=position,
        thickness=bar.thickness,
        vertical=bar.vertical,
    )
    return drawn.segments


def _preload_and_freeze(code_theme: str) -> None:
    """Warm up Markdown rendering, then take what exists now out of the collector's scans.

    A 1,000 tokens/s stream allocates fast; each full collection re-scanned every imported
    module, class and widget (pauses of up to 100 ms measured here, which a key pressed then
    waits for). :func:`gc.freeze` moves the objects alive now to a permanent generation; the
    collector still handles everything allocated later.
    """
    preload(code_theme)
    gc.freeze()


class MessageView(ScrollView, can_focus=True):
    """Shows a :class:`~bbot_tui.stream.transcript.Transcript`: messages, tool calls, errors."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        *(f"message-view--{name}" for name in ROLE_STYLES),
        "message-view--selected",
        "message-view--match",
        "message-view--match-current",
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
    MessageView > .message-view--match { background: $warning 45%; }
    MessageView > .message-view--match-current { background: $accent; color: $text; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "copy_message", "Copy message"),
        Binding("C", "copy_code", "Copy code"),
        Binding("left_square_bracket", "select(-1)", "Previous", key_display="["),
        Binding("right_square_bracket", "select(1)", "Next", key_display="]"),
        Binding("enter,space", "toggle_tools", "Expand/collapse", show=False),
        Binding("end,G", "scroll_end", "Follow", show=False),
        Binding("home,g", "scroll_home", "Top", show=False),
        Binding("n", "search_step(1)", "Next match", show=False),
        Binding("N", "search_step(-1)", "Previous match", show=False),
        Binding("e", "edit", "Edit & resend", show=False),
        Binding("r", "regenerate", "Regenerate", show=False),
        Binding("less_than_sign", "branch(-1)", "Previous branch", key_display="<", show=False),
        Binding("greater_than_sign", "branch(1)", "Next branch", key_display=">", show=False),
        Binding("t", "run_details", "Run details"),
        Binding("R", "toggle_reasoning", "Reasoning", show=False),
    ]
    """c copies the selected (or last) message, C its last code block; [ and ] select
    messages; enter/space collapse or expand tool calls; End/G follow; Home/g go to the top;
    t asks for the selected (or last) message's run details; R expands or collapses the
    reasoning of the selected (or last) message with any (a click on it does too)."""

    transcript: reactive[Transcript | None] = reactive(None, init=False, always_update=True)
    """The transcript shown; setting it shows that transcript from its end."""
    follow: reactive[bool] = reactive(True, init=False)
    """Stick to the bottom as content grows; scrolling up clears it, End/G sets it."""

    branch: reactive[tuple[str, ...] | None] = reactive(None, init=False)
    """The namespace whose messages are shown, with those inside it (None: every message)."""

    prefetch_pages: reactive[int] = reactive(PREFETCH_PAGES, init=False)
    """Pages above and below the viewport drawn ahead while idle (0: none)."""

    class LinkClicked(Message):
        """A Markdown link was clicked (the view never opens it)."""

        def __init__(self, url: str) -> None:
            self.url = url
            """The link target (sanitized)."""
            super().__init__()

    class SearchMoved(Message):
        """The search's matches or its current match changed (the screen shows the count)."""

        def __init__(self, query: str, current: int, total: int) -> None:
            self.query = query
            """The text searched for ("" : the search was closed)."""
            self.current = current
            """The current match, from 1 (0: none)."""
            self.total = total
            """How many matches there are."""
            super().__init__()

    class RunDetailsRequested(Message):
        """The user asked where a message's run spent its time (``t``)."""

        def __init__(self, key: str | None) -> None:
            self.key = key
            """The selected (or last) message's key; None when the view is empty."""
            super().__init__()

    class EditRequested(Message):
        """Edit and resend a human message (as a new branch)."""

        def __init__(self, key: str) -> None:
            self.key = key
            """The message's key in the transcript."""
            super().__init__()

    class RegenerateRequested(Message):
        """Write an AI answer again (as a new branch)."""

        def __init__(self, key: str) -> None:
            self.key = key
            """The message's key in the transcript."""
            super().__init__()

    class BranchRequested(Message):
        """Show the previous (-1) or next (1) branch at a message with siblings."""

        def __init__(self, key: str, delta: int) -> None:
            self.key = key
            """The message's key in the transcript."""
            self.delta = delta
            """-1 or 1."""
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
        self._width = 0
        self._palette = Palette()
        self._painter: Painter | None = None
        self._layout = StripLayout(self._get_painter)
        self._sync = TranscriptSync(self._layout)
        self._selection = Selection(self._layout)
        self._finder = Finder(self._layout)
        self._match_styles: tuple[Any, Any] | None = None
        self._labels: dict[str, str] = {}
        self._auto = False
        self._settling = False
        self._ticker: Timer | None = None
        self._prefetch_pending = False
        self._prefetch_at = 0.0
        self._growth = 0.0
        """Lines a second the content grew by lately (while streaming)."""
        self._grown_at = 0.0
        self._grown_total = 0
        self._painted: list[tuple[Any, ...] | None] = []
        """What each row of the view shows as last painted (see :meth:`_row`)."""
        self._painted_top = -1

    @property
    def strip_layout(self) -> StripLayout:
        """The strip layout (entries, positions, cached strips): read it, for tests and
        benches; the view changes it."""
        return self._layout

    @property
    def drawing_ahead(self) -> bool:
        """Whether a slice of drawing ahead is scheduled."""
        return self._prefetch_pending

    # --- lifecycle ------------------------------------------------------------------------

    def on_mount(self) -> None:
        """Start the redraw timer (Textual calls ``ScrollView.on_mount`` too); the first view
        of the process freezes what start-up made (see :func:`_preload_and_freeze`).

        Only the first: a frozen object is never collected as part of a cycle, and a closed
        screen is one (its widgets and their parents refer to each other), so a view frozen on
        mount in a screen that is closed later (the compare screen's) kept that screen, its
        views and every strip they drew for as long as the process ran.
        """
        global _frozen_on_mount
        self._ticker = self.set_interval(FRAME, self._tick, name="message-view-sync")
        if not _frozen_on_mount:
            _frozen_on_mount = True
            self.call_after_refresh(gc.freeze)

    def notify_style_update(self) -> None:
        """Re-resolve colours (theme change); drop strips drawn with the old ones."""
        super().notify_style_update()
        self._match_styles = None
        if self.is_mounted and self._read_palette():
            self._layout.drop_strips()
            self.refresh()

    def on_resize(self, event: events.Resize) -> None:
        """Re-wrap everything at the new width, keeping the top line (or the bottom) in view."""
        width = self.scrollable_content_region.width
        if width != self._width:
            anchor = self._layout.relative_anchor(self.scroll_offset.y)
            self._width = width
            self._layout.resize(self._content_width)
            if not self.follow and anchor is not None:
                y = self._layout.line_of_relative(anchor)
                if y is not None:
                    self._hold_at(y)
        self._settle()

    # --- public API -------------------------------------------------------------------------

    def sync(self, force: bool = False) -> None:
        """Pull the transcript's changes and redraw them.

        Args:
            force: redraw now even if the last redraw was less than a frame ago (by default
                calls are throttled: at most ~30 redraws a second, and fewer when redraws are
                slow, see :data:`~.sync.BUSY_SHARE`; the timer catches up).
        """
        if force or self._sync.due():
            self._flush()

    def export_strips(self) -> list[Strip]:
        """Every line of the whole transcript as drawn (without the selection gutter).

        Renders every message, so it costs what the lazy drawing saves: for tests, exports and
        snapshots, not for each frame.
        """
        self._flush()
        out = self._layout.export()
        self._settle()
        self.refresh()
        return out

    def watch_transcript(self, transcript: Transcript | None) -> None:
        self._selection.clear()
        if self._finder.active:
            self._finder.clear()
            self.post_message(self.SearchMoved("", 0, 0))
        self.set_reactive(MessageView.follow, True)
        self._sync.show(transcript)
        self._warm_up()
        self._settle()
        self.refresh()

    def watch_branch(self, branch: tuple[str, ...] | None) -> None:
        self._selection.clear()
        self._sync.filter(branch)
        self._settle()
        self.refresh()

    def watch_prefetch_pages(self) -> None:
        self._schedule_prefetch()

    def watch_follow(self, follow: bool) -> None:
        if follow:
            self._settle()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        if self._auto:  # the view scrolled itself: it updates the scrollbar once done
            if round(old_value) != round(new_value):
                self.refresh()
            return
        super().watch_scroll_y(old_value, new_value)
        if new_value < old_value and new_value < self.max_scroll_y:
            self.follow = False
        elif new_value >= self.max_scroll_y and not self.follow:
            self.follow = True
        self._settle()

    # --- branches ---------------------------------------------------------------------------

    @property
    def branch_labels(self) -> dict[str, str]:
        """The labels drawn at the right of message headers ("branch 2/3"), by message key."""
        return dict(self._labels)

    def show_branch_labels(self, labels: dict[str, str]) -> None:
        """Label these messages' headers (by key); every other label goes."""
        if labels != self._labels:
            self._labels = dict(labels)
            self.refresh()

    def _label(self, content: Strip, label: str, width: int) -> Strip:
        from rich.cells import cell_len

        text = f" {sanitize(label, keep_newlines=False)} "
        size = cell_len(text)
        if size >= width:
            return content
        style = self._palette.base + self._palette.get("meta")
        return Strip.join([content.crop(0, width - size), Strip([Segment(text, style)], size)])

    def _target(self, role: str) -> str | None:
        """The selected message if it has ``role``, else the last shown message with it."""
        entry = self._selection.entry()
        if entry is not None:
            return entry.key if entry.message.role == role else None
        for entry in reversed(self._layout.entries):
            if entry.message.role == role and not entry.hidden:
                return entry.key
        return None

    def action_edit(self) -> None:
        """Edit and resend the selected (or last) human message, as a new branch."""
        key = self._target("human")
        if key is not None:
            self.post_message(self.EditRequested(key))

    def action_regenerate(self) -> None:
        """Regenerate the selected (or last) AI answer, as a new branch."""
        key = self._target("ai")
        if key is not None:
            self.post_message(self.RegenerateRequested(key))

    def action_branch(self, delta: int) -> None:
        """Show the previous (-1) or next (1) branch at the selected (or last labelled)
        message."""
        entry = self._selection.entry()
        key = entry.key if entry is not None else None
        if key is None or key not in self._labels:
            labelled = [e.key for e in self._layout.entries if e.key in self._labels]
            key = labelled[-1] if labelled else key
        if key is not None:
            self.post_message(self.BranchRequested(key, delta))

    # --- search -----------------------------------------------------------------------------

    def search(self, query: str) -> tuple[int, int]:
        """Highlight ``query`` in every message and go to the first match from the top of the
        view on (only the lines shown are painted; see :mod:`.finder`).

        Returns:
            (the current match from 1, how many matches); (0, 0) when nothing matches.
        """
        finder = self._finder
        if not query.strip():
            return self.clear_search()
        self._flush()
        finder.search(query, self.scroll_offset.y)
        self._go_to_match()
        return self._search_moved()

    def clear_search(self) -> tuple[int, int]:
        """No search: drop the highlights."""
        if self._finder.active:
            self._finder.clear()
            self.refresh()
            self.post_message(self.SearchMoved("", 0, 0))
        return 0, 0

    @property
    def search_status(self) -> tuple[str, int, int]:
        """(the query, the current match from 1, how many matches)."""
        finder = self._finder
        return finder.query, finder.current + 1, len(finder.hits)

    def action_search_step(self, delta: int) -> None:
        """Go to the next (1) or previous (-1) match of the search."""
        if not self._finder.active:
            return
        self._finder.refresh()
        if self._finder.step(delta) is not None:
            self._go_to_match()
        self._search_moved()

    def _go_to_match(self) -> None:
        finder = self._finder
        position = finder.position_of_current()
        if position is None:
            self.refresh()
            return
        line = finder.locate_current()
        self._selection.pick(self._layout.entries[position])
        if line is not None:
            view = self.scrollable_content_region.height
            top = self.scroll_offset.y
            if not top <= line < top + view:
                self.follow = False
                self._hold_at(max(0, line - view // 3))
        self._settle()
        self.refresh()

    def _search_moved(self) -> tuple[int, int]:
        query, current, total = self.search_status
        self.post_message(self.SearchMoved(query, current if total else 0, total))
        return (current if total else 0), total

    def _matches(self) -> tuple[Any, Any]:
        if self._match_styles is None:
            self._match_styles = (
                self.get_component_rich_style("message-view--match", partial=True),
                self.get_component_rich_style("message-view--match-current", partial=True),
            )
        return self._match_styles

    # --- drawing ----------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        """One line of the view (called by Textual for each visible line)."""
        width = self._width
        base = self._palette.base
        if width <= 0:
            return Strip.blank(max(0, self.size.width), base)
        top = self.scroll_offset.y
        located = self._layout.locate(top + y)
        painted = self._painted
        if top != self._painted_top or len(painted) != self.size.height:
            self._painted_top = top
            self._painted = painted = [None] * self.size.height
        if located is None:
            if y < len(painted):
                painted[y] = None
            return Strip.blank(width, base)
        entry, block, offset = located
        content_width = self._content_width
        selected = entry.key == self._selection.key
        if block is None:
            content = Strip.blank(content_width, base)
            shown: Strip | None = None
        else:
            selected = selected and block.kind != "gap"
            strips = block.strips
            if strips is None and offset >= block.gap:
                strips = self._layout.render(block)
                self.call_after_refresh(self._settle)
            offset -= block.gap
            if strips is None or offset < 0 or offset >= len(strips):
                content = Strip.blank(content_width, base)
                shown = None
            else:
                content = shown = strips[offset]
        label = (
            self._labels.get(entry.key) if block is not None and block.kind == "header" else None
        )
        if y < len(painted):
            painted[y] = (selected, label, shown)
        if self._finder.active:
            content = self._finder.paint(content, self.scroll_offset.y + y, *self._matches())
        if block is not None and block.kind == "header" and entry.key in self._labels:
            content = self._label(content, self._labels[entry.key], content_width)
        if block is not None and block.picture is not None and strips is not None:
            region = self.scrollable_content_region  # Sixel: drawn from its last row in view
            origin = (region.x + GUTTER, region.y)
            content = block.picture.overlay(
                self.app.console, content, offset, len(strips), y, region.height, origin
            )
        if selected:
            bar = Strip([Segment("▌ ", base + self._palette.get("selected"))], GUTTER)
        else:
            bar = Strip.blank(GUTTER, base)
        return Strip.join([bar, content])

    @property
    def _content_width(self) -> int:
        return max(1, self._width - GUTTER)

    def _tick(self) -> None:
        if self.transcript is not None and self._sync.due():
            self._flush()

    def _flush(self) -> None:
        began = self._sync.pull()
        if began is None:
            return
        if self._finder.active:
            self._finder.refresh()
        self._warm_up()
        self._settle()
        self._measure_growth()
        self._repaint()
        self.call_after_refresh(self._sync.paced, began)

    def _measure_growth(self) -> None:
        """Follow how fast the content grows (lines a second, smoothed over a few redraws)."""
        total = self._layout.total
        now = time.monotonic()
        grown = total - self._grown_total
        if grown > 0 and self._grown_total > 0:
            rate = grown / max(FRAME, now - self._grown_at)
            self._growth = rate if self._growth <= 0 else 0.6 * self._growth + 0.4 * rate
        if grown != 0:
            self._grown_at = now
        self._grown_total = total

    def _row(self, line: int) -> tuple[Any, ...] | None:
        """What ``line`` shows, as :meth:`render_line` records it: whether it is selected, the
        branch label drawn over it and its strip (None for a blank line; None past the end).
        Two rows that record the same look the same, whatever block they come from."""
        located = self._layout.locate(line)
        if located is None:
            return None
        entry, block, offset = located
        selected = entry.key == self._selection.key
        shown = label = None
        if block is not None:
            selected = selected and block.kind != "gap"
            offset -= block.gap
            strips = block.strips
            if strips is not None and 0 <= offset < len(strips):
                shown = strips[offset]
            elif offset >= 0:
                return ()  # not drawn yet: never equal to what was painted
            if block.kind == "header":
                label = self._labels.get(entry.key)
        return (selected, label, shown)

    def _repaint(self) -> None:
        """Repaint the rows whose content changed since they were painted: only the growing
        lines of an answer, unless the view scrolled (then every row; also while a search is
        shown, as its highlights move)."""
        top = self.scroll_offset.y
        painted = self._painted
        height = self.size.height
        if self._finder.active or top != self._painted_top or len(painted) != height:
            self.refresh()
            return
        first = -1
        for y in range(height + 1):
            changed = y < height and self._row(top + y) != painted[y]
            if changed and first < 0:
                first = y
            elif not changed and first >= 0:
                self.refresh_lines(top + first, y - first)
                first = -1

    def _settle(self) -> None:
        """Measure what is in view, keep following, and publish the virtual size."""
        if self._width <= 0 or self._settling:
            return
        self._settling = True
        try:
            layout = self._layout
            view = self.scrollable_content_region.height
            for _ in range(10):
                total = layout.total
                top = self._follow_top(total, view) if self.follow else self.scroll_offset.y
                if not layout.measure(top, top + view):
                    break
            if self.follow:
                self._show_end()
            else:
                self._publish_size(self._kept_height())
            self._update_scrollbar()
        finally:
            self._settling = False
        self._schedule_prefetch()

    def _streaming(self) -> bool:
        """Whether an answer is streaming (its entry is one of the last)."""
        return any(entry.message.streaming for entry in self._layout.entries[-4:])

    def _follow_top(self, total: int, view: int) -> int:
        """The first line shown while following ``total`` lines (see :data:`FOLLOW_AHEAD`)."""
        end = max(0, total - view)
        if end == 0 or self.styles.auto_dimensions or not self._streaming():
            return end
        top = self.scroll_offset.y
        most = view // 3
        if top + view - most <= total <= top + view:
            return top  # the end is in view, in the room left below it: no scroll
        room = min(most, int(self._growth * FOLLOW_AHEAD))
        return max(0, total + room - view)

    def _show_end(self) -> None:
        """Publish the size and scroll so that the end is in view (following)."""
        total = self._layout.total
        view = self.scrollable_content_region.height
        top = self._follow_top(total, view)
        self._publish_size(max(total, top + view) if top > 0 else total)
        self._scroll_to_line(top)

    def _kept_height(self) -> int:
        """The virtual height when not following: the content, and the room left below it
        while it was followed as far as it is in view (it goes when scrolled away)."""
        view = self.scrollable_content_region.height
        shown = min(self.virtual_size.height, self.scroll_offset.y + view)
        return max(self._layout.total, shown)

    def _scroll_to_line(self, y: int) -> None:
        self._auto = True
        try:
            self.scroll_to(y=y, animate=False, force=True)
        finally:
            self._auto = False

    def _publish_size(self, total: int) -> None:
        """Make the virtual size ``total`` lines (at the view's width), without a layout of the
        screen when one would change nothing.

        Setting ``virtual_size`` asks Textual for a layout of the whole screen (its reactive has
        ``layout=True``): while an answer streams that is one layout per frame and per view
        (~6 ms each with two views side by side, a third of a frame), although only the
        scrollable height changed. The view's own size depends on its virtual size only when a
        dimension is ``auto``, and the scrollbar is added to or removed from the screen only
        when it appears or goes. In every other case only the rows of this view that changed
        are repainted (:meth:`_repaint`); the caller tells the scrollbar once it has scrolled
        too (:meth:`_update_scrollbar`).
        """
        size = Size(self._width, total)
        if size == self.virtual_size:
            return
        if self._needs_layout(size):
            self.virtual_size = size
            return
        self.set_reactive(MessageView.virtual_size, size)
        self._repaint()

    def _update_scrollbar(self) -> None:
        """Give the vertical scrollbar the view's height and position, when that changes what
        it draws.

        While an answer streams the view grows and follows its end every frame; the thumb,
        though, moves only when the change amounts to an eighth of a cell (a few lines in a long
        thread), and each repaint of the scrollbar costs ~2 ms. The bar keeps the values it
        last drew until the new ones draw differently (the user's own scrolls reach it at once,
        through ``ScrollView.watch_scroll_y``).
        """
        if not self.show_vertical_scrollbar:
            return
        bar = self.vertical_scrollbar
        virtual = self.virtual_size.height
        window = self.container_size.height - self.scrollbar_size_horizontal
        position = bar.validate_position(self.scroll_y)
        if (bar.window_virtual_size, bar.window_size, bar.position) == (virtual, window, position):
            return
        if _thumb(bar, window, virtual, window, position) != _thumb(
            bar, window, bar.window_virtual_size, bar.window_size, bar.position
        ):
            bar.window_virtual_size = virtual
            bar.window_size = window
            bar.position = position

    def _needs_layout(self, size: Size) -> bool:
        """Whether publishing ``size`` needs a layout of the screen (see
        :meth:`_publish_size`)."""
        if not self.is_mounted or not self.container_size or self.styles.auto_dimensions:
            return True
        if size.width != self.virtual_size.width:
            return True
        if size.height < self.virtual_size.height and self.scroll_offset.y > max(
            0, size.height - self.scrollable_content_region.height
        ):
            return True  # shrinking under the scroll offset: let Textual clamp it
        if self.show_horizontal_scrollbar:
            return True
        overflow = self.styles.overflow_y
        if overflow != "auto":
            return overflow == "scroll" and not self.show_vertical_scrollbar
        return (size.height > self.container_size.height) != self.show_vertical_scrollbar

    def _hold_at(self, y: int) -> None:
        """Publish the size and show line ``y`` at the top (not a user scroll)."""
        self._auto = True
        try:
            self._publish_size(self._layout.total)
            if y != self.scroll_offset.y:
                self.scroll_to(y=y, animate=False, force=True)
            self._update_scrollbar()
        finally:
            self._auto = False

    # --- drawing ahead ----------------------------------------------------------------------

    def _schedule_prefetch(self, pause: float | None = None) -> None:
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

    def _prefetch(self) -> None:
        """One slice of drawing the pages around the viewport, nearest first."""
        self._prefetch_pending = False
        wait = self._prefetch_at - time.monotonic()
        if wait > 0:  # something moved since this was scheduled
            self._schedule_prefetch(wait)
            return
        layout = self._layout
        if self._width <= 0 or not layout.entries or self._settling or self.prefetch_pages <= 0:
            return
        view = max(1, self.scrollable_content_region.height)
        top = max(0, layout.total - view) if self.follow else self.scroll_offset.y
        anchor = None if self.follow else layout.anchor(top)
        deadline = time.monotonic() + PREFETCH_SLICE
        changed, finished = layout.draw_ahead(top, view, self.prefetch_pages, deadline, anchor)
        if changed:
            self._hold(anchor)
        if changed or not finished:  # heights moved the pages: check them again
            self._schedule_prefetch(PREFETCH_PAUSE)

    def _hold(self, anchor: LineAnchor | None) -> None:
        """After heights changed out of view: keep the same content in view."""
        if self.follow or anchor is None:
            self._settling = True  # publish the size without scheduling another slice
            try:
                if self.follow:
                    self._show_end()
                else:
                    self._publish_size(self._kept_height())
                self._update_scrollbar()
            finally:
                self._settling = False
            return
        self._hold_at(self._layout.line_of(anchor))

    # --- colours ----------------------------------------------------------------------------

    def _get_painter(self) -> Painter:
        if self._painter is None:
            self._read_palette()
            self._painter = Painter(self.app.console, self._palette)
        return self._painter

    def _read_palette(self) -> bool:
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

    def _warm_up(self) -> None:
        """Warm up Markdown rendering in a thread once a transcript has content.

        The first render would otherwise import Rich Markdown, markdown-it and pygments on the
        event loop (~0.2 s) in the middle of the first answer; at startup it would delay the
        first frame.
        """
        global _preloaded
        if not _preloaded and self.is_mounted and self._layout.entries:
            _preloaded = True
            self.run_worker(
                partial(_preload_and_freeze, self._palette.code_theme),
                thread=True,
                group="message-view-preload",
                exit_on_error=False,
            )

    # --- actions (see BINDINGS) -------------------------------------------------------------

    def action_copy_message(self) -> None:
        """Copy the selected (or last) message's text."""
        text = self._selection.message_text()
        if text:
            self.post_message(self.CopyRequested(text))

    def action_run_details(self) -> None:
        """Ask for the run details of the selected (or last) message."""
        entry = self._selection.target()
        self.post_message(self.RunDetailsRequested(entry.key if entry is not None else None))

    def action_copy_code(self) -> None:
        """Copy the last code block of the selected message (or of the whole thread)."""
        code = self._selection.code_text()
        if code is not None:
            self.post_message(self.CopyRequested(code))

    def action_select(self, delta: int) -> None:
        """Move the selection ``delta`` messages (from the last one when none is selected)."""
        position = self._selection.step(delta)
        if position is not None:
            self._reveal(position)
            self.refresh()

    def action_toggle_tools(self) -> None:
        """Collapse or expand the tool calls of the selected (or last) message with any."""
        entry = self._selection.tools_entry()
        if entry is not None:
            self._toggle(entry)

    def action_toggle_reasoning(self) -> None:
        """Expand or collapse the reasoning of the selected (or last) message with any."""
        entry = self._selection.reasoning_entry()
        if entry is not None:
            self._toggle_reasoning(entry)

    def action_scroll_end(self) -> None:
        """Go to the bottom and follow new content."""
        if self.follow:
            self._settle()
        else:
            self.follow = True

    def action_scroll_home(self) -> None:
        """Jump to the first message."""
        self.follow = False
        self.scroll_to(y=0, animate=False, force=True)

    def action_page_up(self) -> None:
        """One page up."""
        view = self.scrollable_content_region.height
        self.scroll_to(y=max(0, self.scroll_offset.y - view), animate=False)

    def action_page_down(self) -> None:
        """One page down."""
        view = self.scrollable_content_region.height
        self.scroll_to(y=self.scroll_offset.y + view, animate=False)

    def on_click(self, event: events.Click) -> None:
        """A link posts ``LinkClicked``; a click on a message selects it (and a tool call
        toggles it)."""
        style: Any = event.style
        link = getattr(style, "link", None)
        if link:
            event.stop()
            self.post_message(self.LinkClicked(sanitize(str(link), keep_newlines=False)))
            return
        located = self._layout.locate(self.scroll_offset.y + event.y)
        if located is None:
            return
        self._selection.pick(located.entry)
        if located.block is not None and located.block.kind == "tool":
            self._toggle(located.entry)
        elif located.block is not None and located.block.kind == "reasoning":
            self._toggle_reasoning(located.entry)
        self.refresh()

    def _reveal(self, position: int) -> None:
        """Scroll so that entry ``position`` is in view (its top, if it is taller)."""
        start, end = self._layout.span(position)
        top = self.scroll_offset.y
        view = self.scrollable_content_region.height
        if start < top or end - start > view:
            self.scroll_to(y=start, animate=False)
        elif end > top + view:
            self.scroll_to(y=end - view, animate=False)

    def _toggle_reasoning(self, entry: Entry) -> None:
        entry.thinking = not entry.thinking
        self._redraw(entry)

    def _toggle(self, entry: Entry) -> None:
        entry.collapsed = not entry.collapsed
        self._redraw(entry)

    def _redraw(self, entry: Entry) -> None:
        """Lay ``entry`` out again (it was expanded or collapsed)."""
        position = self._layout.position(entry.key)
        if position is not None:
            self._layout.rebuild([position])
        self._settle()
        self.refresh()
