"""Find text in a transcript: every occurrence, in order, without drawing anything.

:class:`TranscriptSearch` searches the text of the messages (an AI message's tool calls
included, as the view shows them), case-insensitively. It keeps each message's lowered text
until the message changes (its ``version``), so typing a longer query on a 2,000-message thread
costs a ``str.find`` loop over text already lowered, not a render. The view draws the
highlights of the lines it shows; this module only says where the matches are.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bbot_tui.stream.transcript import Message

__all__ = ["MAX_HITS", "Hit", "TranscriptSearch", "searchable_text"]

MAX_HITS = 10_000
"""Matches counted at most (a one-letter query on a huge thread stops there)."""


@dataclass(frozen=True, slots=True)
class Hit:
    """One occurrence of the query.

    Attributes:
        key: The message's key.
        nth: Which occurrence in that message (0: the first).
        start: Where it starts in the message's searchable text.
    """

    key: str
    nth: int
    start: int


def searchable_text(message: Message) -> str:
    """What a search looks in: the text, then each tool call's name and arguments."""
    if not message.tool_calls:
        return message.text
    calls = "\n".join(f"{call.name} {call.display_args()}" for call in message.tool_calls)
    return f"{message.text}\n{calls}" if message.text else calls


class TranscriptSearch:
    """Occurrences of a query in messages, with each message's lowered text kept."""

    def __init__(self) -> None:
        self._lowered: dict[str, tuple[int, str]] = {}

    def lowered(self, message: Message) -> str:
        """The message's searchable text, lowered (kept until the message changes)."""
        kept = self._lowered.get(message.key)
        if kept is not None and kept[0] == message.version:
            return kept[1]
        text = searchable_text(message).lower()
        self._lowered[message.key] = (message.version, text)
        return text

    def find(self, messages: Iterable[Message], query: str, limit: int = MAX_HITS) -> list[Hit]:
        """Every occurrence of ``query`` (case-insensitive), in message order.

        Args:
            messages: The messages, in the order they are shown.
            query: What to find ("" or only spaces finds nothing).
            limit: Stop after this many.

        Returns:
            The hits, at most ``limit``.
        """
        needle = query.lower()
        if not needle.strip():
            return []
        hits: list[Hit] = []
        size = len(needle)
        for message in messages:
            text = self.lowered(message)
            start = text.find(needle)
            nth = 0
            while start >= 0:
                hits.append(Hit(message.key, nth, start))
                if len(hits) >= limit:
                    return hits
                nth += 1
                start = text.find(needle, start + size)
        return hits

    def forget(self, keep: Iterable[str]) -> None:
        """Drop the kept text of messages not in ``keep`` (another thread is shown)."""
        wanted = set(keep)
        for key in [k for k in self._lowered if k not in wanted]:
            del self._lowered[key]
