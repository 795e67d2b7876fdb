"""The message view's key and mouse actions: select, copy, collapse, scroll, links.

A mixin of :class:`~bbot_tui.tui.widgets.message_view.MessageView`, kept apart so the view's module
stays about drawing. It only posts messages (``CopyRequested``, ``LinkClicked``); it never
touches the clipboard or opens a link itself.
"""

from __future__ import annotations

from bisect import bisect_right
from typing import TYPE_CHECKING, Any

from textual import events

from bbot_tui.text import sanitize
from bbot_tui.tui.widgets.markdown_blocks import code_blocks

if TYPE_CHECKING:
    from bbot_tui.tui.widgets.message_view import MessageView
    from bbot_tui.tui.widgets.mv_layout import Entry
__all__ = ["MessageActions"]


class MessageActions:
    """Actions bound in :attr:`MessageView.BINDINGS` (see there for the keys)."""

    def _visible_entries(self: MessageView) -> list[Entry]:
        return [entry for entry in self._entries if not entry.hidden]

    def _target(self: MessageView) -> Entry | None:
        """The selected message, or the last one."""
        if self._selected is not None and self._selected in self._index:
            return self._entries[self._index[self._selected]]
        visible = self._visible_entries()
        return visible[-1] if visible else None

    def action_copy_message(self: MessageView) -> None:
        """Copy the selected (or last) message's text."""
        entry = self._target()
        if entry is None:
            return
        text = sanitize(entry.message.text)
        if not text and entry.message.tool_calls:
            text = "\n".join(
                f"{call.name} {call.display_args()}" for call in entry.message.tool_calls
            )
        if text:
            self.post_message(self.CopyRequested(text))

    def action_copy_code(self: MessageView) -> None:
        """Copy the last code block of the selected message (or of the whole thread)."""
        if self._selected is not None and self._selected in self._index:
            candidates = [self._entries[self._index[self._selected]]]
        else:
            candidates = list(reversed(self._visible_entries()))
        for entry in candidates:
            blocks = code_blocks(sanitize(entry.message.text))
            if blocks:
                self.post_message(self.CopyRequested(blocks[-1]))
                return

    def action_select(self: MessageView, delta: int) -> None:
        """Move the selection ``delta`` messages (from the last one when none is selected)."""
        visible = self._visible_entries()
        if not visible:
            return
        keys = [entry.key for entry in visible]
        current = keys.index(self._selected) if self._selected in keys else len(keys) - 1 - delta
        position = current + delta
        position = max(0, min(len(keys) - 1, position))
        self._selected = keys[position]
        self._reveal(self._index[self._selected])
        self.refresh()

    def _reveal(self: MessageView, position: int) -> None:
        """Scroll so that entry ``position`` is in view (its top, if it is taller)."""
        start, end = self._starts[position], self._starts[position + 1]
        top = self.scroll_offset.y
        view = self.scrollable_content_region.height
        if start < top or end - start > view:
            self.scroll_to(y=start, animate=False)
        elif end > top + view:
            self.scroll_to(y=end - view, animate=False)

    def action_toggle_tools(self: MessageView) -> None:
        """Collapse or expand the tool calls of the selected (or last) message with any."""
        entry = None
        if self._selected is not None and self._selected in self._index:
            entry = self._entries[self._index[self._selected]]
        if entry is None or not entry.message.tool_calls:
            entry = next(
                (e for e in reversed(self._entries) if e.message.tool_calls and not e.hidden),
                None,
            )
        if entry is None:
            return
        self._toggle(entry)

    def _toggle(self: MessageView, entry: Entry) -> None:
        entry.collapsed = not entry.collapsed
        if entry.blocks is not None:
            entry.build(self.transcript, self._content_width)
        position = self._index[entry.key]
        self._restack(position)
        self._settle()
        self.refresh()

    def action_scroll_end(self: MessageView) -> None:
        """Go to the bottom and follow new content."""
        if self.follow:
            self._settle()
        else:
            self.follow = True

    def action_scroll_home(self: MessageView) -> None:
        """Jump to the first message."""
        self.follow = False
        self.scroll_to(y=0, animate=False, force=True)

    def action_page_up(self: MessageView) -> None:
        """One page up."""
        view = self.scrollable_content_region.height
        self.scroll_to(y=max(0, self.scroll_offset.y - view), animate=False)

    def action_page_down(self: MessageView) -> None:
        """One page down."""
        view = self.scrollable_content_region.height
        self.scroll_to(y=self.scroll_offset.y + view, animate=False)

    def on_click(self: MessageView, event: events.Click) -> None:
        """A link posts ``LinkClicked``; a click on a message selects it (and a tool call
        toggles it)."""
        style: Any = event.style
        link = getattr(style, "link", None)
        if link:
            event.stop()
            self.post_message(self.LinkClicked(sanitize(str(link), keep_newlines=False)))
            return
        line = self.scroll_offset.y + event.y
        if not self._entries or line >= self._starts[-1]:
            return
        position = bisect_right(self._starts, line) - 1
        entry = self._entries[position]
        self._selected = entry.key
        located = entry.locate(line - self._starts[position])
        if located is not None and located[0].kind == "tool":
            self._toggle(entry)
        self.refresh()
