"""The selection: which message the view's actions act on, and what they copy.

:class:`Selection` owns the selected message's key. ``[``/``]`` move it, a click sets it, and
the copy and collapse actions act on it (or, with nothing selected, on the last message). It
reads the entries of a :class:`~.layout.StripLayout` and returns what to do; the widget
(:mod:`.view`) scrolls, redraws and posts the messages. It knows no widget.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bbot_tui.text import sanitize
from bbot_tui.tui.widgets.message_view.markdown_blocks import code_blocks

if TYPE_CHECKING:
    from bbot_tui.tui.widgets.message_view.entry import Entry
    from bbot_tui.tui.widgets.message_view.layout import StripLayout
__all__ = ["Selection"]


class Selection:
    """The selected message of a layout (see the module docstring).

    Args:
        layout: the layout whose entries are selected.
    """

    def __init__(self, layout: StripLayout) -> None:
        self._layout = layout
        self.key: str | None = None
        """The selected message's key (None: nothing is selected)."""

    def clear(self) -> None:
        """Select nothing."""
        self.key = None

    def pick(self, entry: Entry) -> None:
        """Select ``entry``'s message."""
        self.key = entry.key

    def entry(self) -> Entry | None:
        """The selected entry, if it is still laid out."""
        position = None if self.key is None else self._layout.position(self.key)
        return None if position is None else self._layout.entries[position]

    def target(self) -> Entry | None:
        """The selected message, or the last one shown."""
        entry = self.entry()
        if entry is not None:
            return entry
        visible = self._visible()
        return visible[-1] if visible else None

    def step(self, delta: int) -> int | None:
        """Move the selection ``delta`` messages (from the last one when none is selected).

        Returns:
            The position of the newly selected entry, or None when there is nothing to select.
        """
        visible = self._visible()
        if not visible:
            return None
        keys = [entry.key for entry in visible]
        current = keys.index(self.key) if self.key in keys else len(keys) - 1 - delta
        self.key = keys[max(0, min(len(keys) - 1, current + delta))]
        return self._layout.position(self.key)

    def message_text(self) -> str:
        """The text to copy for the target message (its tool calls if it has no text)."""
        entry = self.target()
        if entry is None:
            return ""
        text = sanitize(entry.message.text)
        if not text and entry.message.tool_calls:
            text = "\n".join(
                f"{call.name} {call.display_args()}" for call in entry.message.tool_calls
            )
        return text

    def code_text(self) -> str | None:
        """The last code block of the selected message (or of the last message with one)."""
        entry = self.entry()
        candidates = [entry] if entry is not None else list(reversed(self._visible()))
        for candidate in candidates:
            blocks = code_blocks(sanitize(candidate.message.text))
            if blocks:
                return blocks[-1]
        return None

    def tools_entry(self) -> Entry | None:
        """The message whose tool calls expand or collapse: the selected one if it has tool
        calls, else the last one shown with any."""
        entry = self.entry()
        if entry is not None and entry.message.tool_calls:
            return entry
        return next(
            (e for e in reversed(self._layout.entries) if e.message.tool_calls and not e.hidden),
            None,
        )

    def reasoning_entry(self) -> Entry | None:
        """The message whose reasoning expands or collapses: the selected one if it has
        reasoning, else the last one shown with any."""
        entry = self.entry()
        if entry is not None and entry.message.reasoning:
            return entry
        return next(
            (e for e in reversed(self._layout.entries) if e.message.reasoning and not e.hidden),
            None,
        )

    def _visible(self) -> list[Entry]:
        return [entry for entry in self._layout.entries if not entry.hidden]
