"""The quick switcher: every assistant and the recent threads in the command palette.

Two command providers for Textual's palette. :class:`AssistantCommands` lists every assistant
of the server as ``assistant: NAME``; :class:`ThreadCommands` lists the selected assistant's
recent threads (the thread list, newest first) as ``thread: TITLE``, labelled so that no two
read the same. Both match fuzzily as the user types and list everything before they do.
Choosing an entry does what choosing it in its pane does: the provider posts the pane's
``Selected`` message on the pane, and the screen handles it in its one place.

The main screen lists both in ``ctrl+p`` (its ``COMMANDS``), and opens the palette with one of
them only on ``ctrl+a`` and ``ctrl+r`` (:func:`switcher`). Every name and title is server text:
drawn as plain content, never as markup.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import TYPE_CHECKING, Any, Protocol

from textual.command import CommandPalette, DiscoveryHit, Hit, Provider
from textual.content import Content
from textual.fuzzy import FuzzySearch

from bbot_tui.session.titles import distinct_labels
from bbot_tui.text import one_line
from bbot_tui.tui.widgets.assistant_pane import AssistantPane
from bbot_tui.tui.widgets.thread_pane import ThreadPane, format_time

if TYPE_CHECKING:
    from bbot_tui.api.models import Assistant

__all__ = ["RECENT_THREADS", "AssistantCommands", "SwitcherHost", "ThreadCommands", "switcher"]

RECENT_THREADS = 30
"""How many of the thread list's newest threads the switcher offers."""

Entry = tuple[str, str, Callable[[], Any]]
"""An entry's text, its help line and what choosing it does."""


class SwitcherHost(Protocol):
    """What the switcher reads of the screen it was opened over."""

    @property
    def assistant_pane(self) -> AssistantPane:
        """The assistants."""
        ...

    @property
    def thread_pane(self) -> ThreadPane:
        """The selected assistant's threads."""
        ...


def _host(screen: object) -> SwitcherHost | None:
    if isinstance(getattr(screen, "assistant_pane", None), AssistantPane) and isinstance(
        getattr(screen, "thread_pane", None), ThreadPane
    ):
        return screen  # type: ignore[return-value]
    return None


class _Switcher(Provider):
    """Fuzzy search over a list of entries; the subclasses say which entries."""

    def entries(self) -> Iterator[Entry]:
        """The entries to offer (none when the screen has no panes)."""
        return iter(())

    def _highlight(self, query: str, text: str) -> Content:
        """The text, plain, with the matched characters styled (never parsed as markup)."""
        content = Content(text)
        style = self.match_style
        if style is None:
            return content
        _score, offsets = FuzzySearch().match(query, text)
        for offset in offsets:
            if not text[offset].isspace():
                content = content.stylize(style, offset, offset + 1)
        return content

    async def discover(self) -> AsyncIterator[DiscoveryHit]:
        """Every entry, before anything is typed."""
        for text, help_text, command in self.entries():
            yield DiscoveryHit(Content(text), command, text=text, help=help_text)

    async def search(self, query: str) -> AsyncIterator[Hit]:
        """The entries that match what is typed, best first."""
        matcher = self.matcher(query)
        for text, help_text, command in self.entries():
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, self._highlight(query, text), command, text=text, help=help_text)


class AssistantCommands(_Switcher):
    """Every assistant of the server, as ``assistant: NAME``."""

    def entries(self) -> Iterator[Entry]:
        host = _host(self.screen)
        if host is None:
            return
        pane = host.assistant_pane
        for assistant in pane.assistants:
            help_text = "graph " + one_line(assistant.graph_id, 30)
            if assistant.assistant_id == pane.current_id:
                help_text += " · selected"
            if assistant.description:
                help_text += " · " + one_line(assistant.description, 60)
            yield (
                f"assistant: {one_line(assistant.label, 60)}",
                help_text,
                _select_assistant(pane, assistant),
            )


class ThreadCommands(_Switcher):
    """The selected assistant's recent threads, as ``thread: TITLE``."""

    def entries(self) -> Iterator[Entry]:
        host = _host(self.screen)
        if host is None:
            return
        pane = host.thread_pane
        threads = pane.threads[:RECENT_THREADS]
        labels = distinct_labels(threads)
        for thread in threads:
            when = format_time(thread.updated_at or thread.created_at)
            status = "open" if thread.thread_id == pane.current_id else (thread.status or "idle")
            help_text = " · ".join(part for part in (one_line(status, 12), when) if part)
            yield f"thread: {labels[thread.thread_id]}", help_text, _open_thread(pane, thread)


def _select_assistant(pane: AssistantPane, assistant: Assistant) -> Callable[[], None]:
    def select() -> None:
        pane.post_message(AssistantPane.Selected(assistant))

    return select


def _open_thread(pane: ThreadPane, thread: Any) -> Callable[[], None]:
    def open_thread() -> None:
        pane.post_message(ThreadPane.Selected(thread.thread_id))

    return open_thread


def switcher(kind: type[_Switcher]) -> CommandPalette:
    """The command palette with one kind of entry only (``ctrl+a``, ``ctrl+r``).

    Args:
        kind: :class:`AssistantCommands` or :class:`ThreadCommands`.

    Returns:
        The palette, to push.
    """
    placeholder = (
        "Switch to an assistant…" if kind is AssistantCommands else "Open a recent thread…"
    )
    return CommandPalette(providers=[kind], placeholder=placeholder)
