"""The thread pane: the selected assistant's threads, newest first, with status badges.

The screen loads pages of threads and sets them here; the pane filters them by title as the user
types, and posts what the user asks for: open (Enter/click), new (``n``), delete (``d``), fork
(``y``, a server-side copy), rename (``r``), load more (``m`` or the last row), follow in the
background (``f``: its questions and ends are announced; a mark shows it) and a status filter
change (which the screen turns into a server query). Down in the search box moves into
the list; the list always has a row highlighted when it has the focus, so Enter opens one.
Titles are server text: sanitized and drawn as plain content; no two rows are labelled the same
(:func:`~bbot_tui.session.titles.distinct_labels`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, get_args

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Input, OptionList, Select
from textual.widgets.option_list import Option

from bbot_tui.api.literals import ThreadStatus
from bbot_tui.session.titles import distinct_labels, thread_label
from bbot_tui.text import one_line

if TYPE_CHECKING:
    from bbot_tui.api.models import Thread

__all__ = ["STATUSES", "ThreadPane", "format_time", "thread_label"]

STATUSES: tuple[ThreadStatus, ...] = get_args(ThreadStatus)
"""Thread statuses of the Agent Server, in the status filter."""

_BADGE_STYLE = {
    "idle": "$text-muted",
    "busy": "$accent bold",
    "interrupted": "$warning bold",
    "stopped": "$text-warning",
    "error": "$error bold",
}
_MORE_ID = "\x00more"


def format_time(value: str | None, now: datetime | None = None) -> str:
    """A compact local time: ``14:03`` today, ``03 Mar`` this year, else ``2024-03-03``.

    Args:
        value: An ISO 8601 timestamp from the server.
        now: The current time (for tests).

    Returns:
        The text, or an empty string when the value is missing or unparsable.
    """
    if not value:
        return ""
    try:
        stamp = datetime.fromisoformat(value)
    except ValueError:
        return ""
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    local = stamp.astimezone()
    now = (now or datetime.now(UTC)).astimezone()
    if local.date() == now.date():
        return local.strftime("%H:%M")
    if local.year == now.year:
        return local.strftime("%d %b")
    return local.strftime("%Y-%m-%d")


def _badge(thread: Thread) -> tuple[str, str]:
    status = one_line(thread.status or "idle", 12)
    if status == "interrupted":
        # a question waits for the user, or the run was stopped (Escape, a breakpoint)
        if thread.pending_interrupts():
            return "needs answer", _BADGE_STYLE["interrupted"]
        return "stopped", _BADGE_STYLE["stopped"]
    return status, _BADGE_STYLE.get(status, "")


class ThreadPane(Vertical):
    """Status filter, title search and the list of threads."""

    BINDINGS = [
        Binding("n", "new", "New thread"),
        Binding("d", "delete", "Delete"),
        Binding("y", "copy", "Fork", tooltip="Fork the thread on the server (a copy)"),
        Binding("r", "rename", "Rename"),
        Binding("m", "more", "More", show=False),
        Binding("f", "toggle_follow", "Follow", tooltip="Follow the thread in the background"),
    ]

    @dataclass
    class Selected(Message):
        """A thread was opened."""

        thread_id: str

    @dataclass
    class NewRequested(Message):
        """The user wants a new thread."""

    @dataclass
    class DeleteRequested(Message):
        """The user wants to delete a thread (the screen asks to confirm)."""

        thread_id: str
        title: str

    @dataclass
    class CopyRequested(Message):
        """The user wants to fork a thread."""

        thread_id: str

    @dataclass
    class RenameRequested(Message):
        """The user wants to rename a thread."""

        thread_id: str
        title: str

    @dataclass
    class FollowRequested(Message):
        """The user wants a thread followed in the background, or no longer (a toggle)."""

        thread_id: str

    @dataclass
    class MoreRequested(Message):
        """The user wants the next page of threads."""

    @dataclass
    class StatusFilterChanged(Message):
        """The status filter changed (None: all statuses)."""

        status: str | None

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._threads: list[Thread] = []
        self._render_pending = False
        self._visible: list[Thread] = []
        self.has_more = False
        """Whether the server has another page."""
        self.current_id: str | None = None
        """The open thread's id."""
        self.followed: frozenset[str] = frozenset()
        """The threads followed in the background (marked in the list)."""
        self.border_title = "Threads"

    def compose(self) -> ComposeResult:
        """Filter row and list."""
        with Horizontal(id="thread-filters"):
            yield Input(placeholder="search titles…", id="thread-search", compact=True)
            yield Select(
                [(s, s) for s in STATUSES],
                prompt="any status",
                id="thread-status",
                compact=True,
            )
        yield OptionList(id="thread-list", markup=False)

    @property
    def threads(self) -> list[Thread]:
        """The loaded threads, newest first."""
        return list(self._threads)

    def get(self, thread_id: str | None) -> Thread | None:
        """A loaded thread by id."""
        return next((t for t in self._threads if t.thread_id == thread_id), None)

    def set_threads(self, threads: list[Thread], *, has_more: bool, append: bool = False) -> None:
        """Show a first page (or append the next one)."""
        if append:
            known = {t.thread_id for t in self._threads}
            self._threads += [t for t in threads if t.thread_id not in known]
        else:
            self._threads = list(threads)
        self.has_more = has_more
        self._render_list()

    def upsert(self, thread: Thread, *, to_top: bool = True) -> None:
        """Add or refresh one thread (moved to the top: it is the newest)."""
        index = next(
            (i for i, t in enumerate(self._threads) if t.thread_id == thread.thread_id), None
        )
        if index is not None:
            del self._threads[index]
        self._threads.insert(0 if to_top or index is None else index, thread)
        # redrawn once after this frame: runs ending together (followed threads) refresh their
        # rows in a burst, and each redraw rebuilds the whole list and lays it out again
        if not self._render_pending:
            self._render_pending = True
            self.call_after_refresh(self._render_pending_list)

    def _render_pending_list(self) -> None:
        if self._render_pending:
            self._render_list()

    def remove_thread(self, thread_id: str) -> None:
        """Drop a thread from the list."""
        self._threads = [t for t in self._threads if t.thread_id != thread_id]
        self._render_list()

    def set_followed(self, thread_ids: frozenset[str]) -> None:
        """Mark the threads followed in the background."""
        if thread_ids != self.followed:
            self.followed = thread_ids
            self._render_list()

    def set_current(self, thread_id: str | None) -> None:
        """Mark the open thread."""
        self.current_id = thread_id
        self._render_list(prefer_current=True)

    def _render_list(self, *, prefer_current: bool = False) -> None:
        self._render_pending = False
        if not self.is_mounted:
            return
        needle = self.query_one("#thread-search", Input).value.strip().casefold()
        self._visible = [
            t
            for t in self._threads
            if not needle or needle in f"{thread_label(t)} {t.thread_id}".casefold()
        ]
        options = self.query_one("#thread-list", OptionList)
        highlighted = options.highlighted_option
        keep = highlighted.id if highlighted is not None else None
        labels = distinct_labels(self._visible)
        items = [
            Option(self._prompt(t, labels[t.thread_id]), id=t.thread_id) for t in self._visible
        ]
        if self.has_more:
            items.append(Option(Content.styled("  ▾ load more", "$accent"), id=_MORE_ID))
        elif not self._visible:
            items.append(
                Option(Content.styled(self._empty_text(needle), "$text-muted"), disabled=True)
            )
        options.set_options(items)
        ids = [t.thread_id for t in self._visible]
        order = (self.current_id, keep) if prefer_current else (keep, self.current_id)
        for wanted in order:
            if wanted in ids:
                options.highlighted = ids.index(wanted)
                break

    def _empty_text(self, needle: str) -> str:
        """What an empty list says: nothing matches the filters, or no thread at all yet."""
        status = self.query_one("#thread-status", Select).value
        if isinstance(status, str):
            found = f"no {one_line(status, 20)} thread"
            return f"{found} matches the search" if needle else f"{found}: any status shows all"
        return "no thread matches the search" if needle else "no threads yet: type a message"

    def _prompt(self, thread: Thread, label: str) -> Content:
        badge, style = _badge(thread)
        current = thread.thread_id == self.current_id
        when = format_time(thread.updated_at or thread.created_at)
        return Content.assemble(
            ("● " if current else "  ", "$accent"),
            (label, "bold" if current else ""),
            "\n  ",
            (badge, style),
            (f"  {when}" if when else "", "$text-muted"),
            ("  ◉ followed" if thread.thread_id in self.followed else "", "$accent"),
        )

    def on_mount(self) -> None:
        """Draw whatever was set before mounting."""
        self._render_list()

    def _highlighted(self) -> Thread | None:
        option = self.query_one("#thread-list", OptionList).highlighted_option
        return None if option is None else self.get(option.id)

    @on(Input.Changed, "#thread-search")
    def _filter(self, event: Input.Changed) -> None:
        event.stop()
        self._render_list()

    def on_key(self, event: events.Key) -> None:
        """Down in the search box moves into the list."""
        search = self.query_one("#thread-search", Input)
        if event.key == "down" and search.has_focus:
            event.stop()
            self.query_one("#thread-list", OptionList).focus()

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        """A focused list highlights a row (the open thread, else the first): Enter opens it."""
        options = self.query_one("#thread-list", OptionList)
        if event.widget is options and options.highlighted is None and self._visible:
            ids = [t.thread_id for t in self._visible]
            options.highlighted = ids.index(self.current_id) if self.current_id in ids else 0

    def clear_search(self, thread_id: str) -> None:
        """Clear the title search when it hides this thread (it is being opened)."""
        search = self.query_one("#thread-search", Input)
        if search.value and thread_id not in [t.thread_id for t in self._visible]:
            search.value = ""
            self._render_list(prefer_current=True)

    @on(Select.Changed, "#thread-status")
    def _status(self, event: Select.Changed) -> None:
        event.stop()
        value = event.value
        self.post_message(self.StatusFilterChanged(value if isinstance(value, str) else None))

    @on(OptionList.OptionSelected, "#thread-list")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id == _MORE_ID:
            self.post_message(self.MoreRequested())
        elif event.option.id is not None and self.get(event.option.id) is not None:
            self.post_message(self.Selected(event.option.id))

    def action_new(self) -> None:
        """Ask for a new thread."""
        self.post_message(self.NewRequested())

    def action_delete(self) -> None:
        """Ask to delete the highlighted thread."""
        thread = self._highlighted()
        if thread is not None:
            self.post_message(self.DeleteRequested(thread.thread_id, thread_label(thread)))

    def action_copy(self) -> None:
        """Ask to fork the highlighted thread."""
        thread = self._highlighted()
        if thread is not None:
            self.post_message(self.CopyRequested(thread.thread_id))

    def action_rename(self) -> None:
        """Ask to rename the highlighted thread."""
        thread = self._highlighted()
        if thread is not None:
            self.post_message(self.RenameRequested(thread.thread_id, thread_label(thread)))

    def action_toggle_follow(self) -> None:
        """Follow the highlighted thread in the background, or stop following it."""
        thread = self._highlighted()
        if thread is not None:
            self.post_message(self.FollowRequested(thread.thread_id))

    def action_more(self) -> None:
        """Ask for the next page."""
        if self.has_more:
            self.post_message(self.MoreRequested())
