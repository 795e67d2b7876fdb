"""The message view's change tracking: pull the transcript's changes, paced to the frame rate.

A mixin of :class:`~bbot_tui.tui.widgets.message_view.MessageView`. The transcript marks the
messages that changed (``take_dirty()``); a flush turns them into rebuilt entries, restacks
what follows and refreshes. Flushes are paced: at most one per :data:`FRAME`, and never more
than :data:`BUSY_SHARE` of the event loop, so keys pressed while an answer streams at 1,000
tokens/s are still handled and painted in between.
"""

from __future__ import annotations

import gc
import time
from functools import partial
from typing import TYPE_CHECKING

from bbot_tui.tui.widgets.mv_layout import Entry
from bbot_tui.tui.widgets.mv_render import preload

if TYPE_CHECKING:
    from bbot_tui.tui.widgets.message_view import MessageView
__all__ = ["BUSY_SHARE", "FRAME", "MAX_GAP", "TranscriptSync"]

FRAME = 1 / 30
"""The shortest time between two redraws of streamed content."""
BUSY_SHARE = 0.5
"""At most this share of the event loop goes to redrawing streamed content: after a redraw
that took ``t`` (pulling changes, rendering, and the frame that shows them), the next waits at
least ``t * (1 - BUSY_SHARE) / BUSY_SHARE``, so keys are handled and painted in between."""
MAX_GAP = 0.25
"""The longest wait between two redraws however slow they are."""

_preloaded = False
"""Whether the Markdown machinery was warmed up in this process (see :func:`preload`)."""


def _preload_and_freeze(code_theme: str) -> None:
    """Warm up Markdown rendering, then take what exists now out of the collector's scans.

    A 1,000 tokens/s stream allocates fast; each full collection re-scanned every imported
    module, class and widget (pauses of up to 100 ms measured here, which a key pressed then
    waits for). :func:`gc.freeze` moves the objects alive now to a permanent generation; the
    collector still handles everything allocated later.
    """
    preload(code_theme)
    gc.freeze()


class TranscriptSync:
    """Keeps the view's entries in step with its transcript (see the module docstring)."""

    def _tick(self: MessageView) -> None:
        if self.transcript is not None and time.monotonic() >= self._next_flush:
            self._flush()

    def _flushed(self: MessageView, began: float) -> None:
        """After the frame showing a redraw: pace the next one by what this one cost."""
        now = time.monotonic()
        cost = now - began
        wait = min(MAX_GAP, cost * (1 - BUSY_SHARE) / BUSY_SHARE)
        self._next_flush = max(self._next_flush, now + wait)

    def _flush(self: MessageView) -> None:
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

    def _rebuild(self: MessageView, entry: Entry, width: int) -> None:
        if entry.blocks is None:
            entry.guess(width)
        else:
            entry.build(self.transcript, width)

    def _owner_map(self: MessageView) -> dict[str, str]:
        return {
            result: entry.key
            for entry in self._entries
            if entry.message.tool_calls
            for result in entry.result_keys()
        }

    def _reconcile(self: MessageView) -> None:
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

    def _preload(self: MessageView) -> None:
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
