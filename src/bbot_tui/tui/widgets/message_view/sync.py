"""The transcript sync: what changed in the transcript, and which entries to redraw, when.

:class:`TranscriptSync` keeps a :class:`~.layout.StripLayout` in step with a transcript. The
transcript marks the messages that changed (``take_dirty()``); :meth:`TranscriptSync.pull` turns
them into rebuilt entries (a tool answer also rebuilds the call that shows it; new, removed or
reordered messages reconcile the entry list). Pulls are paced: at most one per :data:`FRAME`,
and never more than :data:`BUSY_SHARE` of the event loop, so keys pressed while an answer
streams at 1,000 tokens/s are still handled and painted in between. The widget asks
:meth:`TranscriptSync.due`, pulls, and reports when the frame showing a pull was painted
(:meth:`TranscriptSync.paced`); this module knows no widget and no timer.

A namespace branch (:attr:`TranscriptSync.branch`) filters the entries: a message outside it is
hidden, like a tool answer shown inside its call.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from bbot_tui.stream.activity import within
from bbot_tui.tui.widgets.message_view.entry import Entry

if TYPE_CHECKING:
    from collections.abc import Callable

    from bbot_tui.stream.transcript import Transcript
    from bbot_tui.tui.widgets.message_view.layout import StripLayout
__all__ = ["BUSY_SHARE", "FRAME", "MAX_GAP", "TranscriptSync"]

FRAME = 1 / 30
"""The shortest time between two redraws of streamed content."""
BUSY_SHARE = 0.5
"""At most this share of the event loop goes to redrawing streamed content: after a redraw
that took ``t`` (pulling changes, rendering, and the frame that shows them), the next waits at
least ``t * (1 - BUSY_SHARE) / BUSY_SHARE``, so keys are handled and painted in between."""
MAX_GAP = 0.25
"""The longest wait between two redraws however slow they are."""


class TranscriptSync:
    """Pulls a transcript's changes into a layout, paced (see the module docstring).

    Args:
        layout: the layout it keeps in step (it replaces and rebuilds its entries).
        clock: the time source (:func:`time.monotonic`; tests pass their own).
    """

    def __init__(self, layout: StripLayout, clock: Callable[[], float] = time.monotonic) -> None:
        self._layout = layout
        self._clock = clock
        self._next = 0.0
        self._branch: tuple[str, ...] | None = None

    @property
    def branch(self) -> tuple[str, ...] | None:
        """The namespace whose messages are shown (None: every message)."""
        return self._branch

    def filter(self, branch: tuple[str, ...] | None) -> None:
        """Show only the messages of namespace ``branch`` and inside it (None: all)."""
        if branch != self._branch:
            self._branch = branch
            self._reconcile()

    @property
    def transcript(self) -> Transcript | None:
        """The transcript followed (set with :meth:`show`)."""
        return self._layout.transcript

    def show(self, transcript: Transcript | None) -> None:
        """Follow ``transcript`` from scratch: every entry is new, pending changes are taken."""
        self._layout.reset(transcript)
        if transcript is not None:
            transcript.take_dirty()
            self._reconcile()

    def due(self) -> bool:
        """Whether a pull now would keep to the pace (a frame, and the busy share, passed)."""
        return self._clock() >= self._next

    def pull(self) -> float | None:
        """Take the transcript's changes into the layout.

        Returns:
            When the pull began (pass it to :meth:`paced` once the frame showing it is
            painted), or None when nothing changed.
        """
        transcript = self._layout.transcript
        if transcript is None:
            return None
        dirty, meta = transcript.take_dirty()
        if not dirty and not meta:
            return None
        began = self._clock()
        self._next = began + FRAME
        layout = self._layout
        if (
            meta
            or len(transcript.messages) != len(layout.entries)
            or any(layout.position(key) is None or transcript.get(key) is None for key in dirty)
        ):
            self._reconcile()  # messages were added, removed or reordered
        entries = layout.entries
        positions = [p for p in map(layout.position, dirty) if p is not None]
        if any(entries[position].hidden for position in positions):
            # a tool answer is shown inside its call: redraw the call too
            owners = _owner_map(entries)
            calls = (layout.position(owners[key]) for key in dirty if key in owners)
            positions += [position for position in calls if position is not None]
        layout.rebuild(positions)
        return began

    def paced(self, began: float) -> None:
        """The frame showing the pull that began at ``began`` is painted: pace the next one
        by what this one cost."""
        now = self._clock()
        wait = min(MAX_GAP, (now - began) * (1 - BUSY_SHARE) / BUSY_SHARE)
        self._next = max(self._next, now + wait)

    def _reconcile(self) -> None:
        """Make the entries follow the transcript's messages (new, removed, reordered)."""
        layout = self._layout
        transcript = layout.transcript
        messages = transcript.messages if transcript is not None else []
        old = {entry.key: entry for entry in layout.entries}
        entries: list[Entry] = []
        for message in messages:
            entry = old.get(message.key)
            if entry is None or entry.message is not message:
                entry = Entry(message)
            entries.append(entry)
        owners = _owner_map(entries)
        branch = self._branch
        stale = []
        for position, entry in enumerate(entries):
            hidden = entry.key in owners or (
                branch is not None and not within(entry.message.ns, branch)
            )
            if hidden != entry.hidden or entry.version < 0:
                entry.hidden = hidden
                stale.append(position)
        layout.replace(entries, stale)


def _owner_map(entries: list[Entry]) -> dict[str, str]:
    """Tool answer key -> the key of the message whose tool call shows it."""
    return {
        result: entry.key
        for entry in entries
        if entry.message.tool_calls
        for result in entry.result_keys()
    }
