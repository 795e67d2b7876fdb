"""The thread browser of the main screen: the assistants, the selected one's threads, the open one.

:class:`ThreadBrowser` owns what the side panes show and which thread is open: it loads the
assistants (and, at startup, picks the last assistant and thread again), pages the selected
assistant's threads into the thread pane under a status filter, deletes, forks and renames
threads, and keeps the open thread marked in the pane, named in the status bar and remembered in
the profile. It is not a widget: its coroutines make the client calls and the main screen runs
them in its workers (whose failures it handles in one place). It reaches the widgets and the app
through :class:`BrowserHost`, the few members of the screen it needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from bbot_tui.session.titles import thread_label
from bbot_tui.text import one_line

if TYPE_CHECKING:
    from textual.notifications import SeverityLevel

    from bbot_tui.api.models import Assistant, Thread
    from bbot_tui.tui.screens.app_services import AppServices
    from bbot_tui.tui.widgets.assistant_pane import AssistantPane
    from bbot_tui.tui.widgets.status_bar import StatusBar
    from bbot_tui.tui.widgets.thread_pane import ThreadPane

__all__ = ["THREAD_FIELDS", "THREAD_PAGE", "AssistantChoice", "BrowserHost", "ThreadBrowser"]

THREAD_FIELDS = ["thread_id", "status", "created_at", "updated_at", "metadata", "interrupts"]
"""What the thread list asks the server for (no values: they can be huge)."""
THREAD_PAGE = 30
"""Threads per page."""


class BrowserHost(Protocol):
    """What the thread browser uses of the screen that owns it."""

    @property
    def services(self) -> AppServices:
        """The app: settings, active profile, client."""
        ...

    @property
    def assistant_pane(self) -> AssistantPane:
        """The list of assistants."""
        ...

    @property
    def thread_pane(self) -> ThreadPane:
        """The list of threads."""
        ...

    @property
    def status_bar(self) -> StatusBar:
        """The status bar (its assistant, thread and notice fields)."""
        ...

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Show a notification."""
        ...


@dataclass(frozen=True)
class AssistantChoice:
    """The assistant (and thread) to select again at startup.

    Attributes:
        assistant: The last selected assistant, else the first one.
        thread_id: Its last open thread, if the assistant is the last one.
        first: The profile had no (known) last assistant: the first one was taken (the
            screen says so, and how to switch).
    """

    assistant: Assistant
    thread_id: str | None
    first: bool = False


class ThreadBrowser:
    """The assistants, the selected assistant's threads and the open thread.

    Args:
        host: The screen that shows them.
    """

    def __init__(self, host: BrowserHost) -> None:
        self._host = host
        self._assistant: Assistant | None = None
        self.thread_id: str | None = None
        """The open thread (None: a new conversation, created with its first message)."""
        self.status_filter: str | None = None
        """The status the thread list is filtered by (None: any)."""
        self._next_offset: int | None = None

    # --- assistants -----------------------------------------------------------------------

    @property
    def assistant(self) -> Assistant | None:
        """The selected assistant (whose threads are listed and who runs new messages)."""
        return self._assistant

    async def load_assistants(self, *, restore: bool = False) -> AssistantChoice | None:
        """Load the server's assistants into the assistant pane.

        Args:
            restore: Also say which assistant and thread to select again (the profile's last).

        Returns:
            With ``restore``, the assistant (and thread) to select; otherwise, or when the server
            has no assistants, None.
        """
        from bbot_tui.session.assistants import list_assistants  # httpx: after the first frame

        services = self._host.services
        client = services.client
        self._host.status_bar.notice = "loading assistants…"
        profile = services.profile
        # the search `run --assistant` resolves through: /assistants, else B-Bot's name
        auto = profile is not None and profile.assistants_path == "auto"
        page = await list_assistants(client, auto=auto, limit=100)
        self._host.status_bar.notice = ""
        self._host.assistant_pane.set_assistants(page.items)
        if not page.items:
            self._host.notify("This server has no assistants.", severity="warning")
            return None
        if not restore:
            return None
        profile = services.profile
        last = profile.last_assistant_id if profile else None
        chosen = next((a for a in page.items if a.assistant_id == last), None)
        if chosen is None:  # a new profile (or its assistant is gone): the first one
            return AssistantChoice(page.items[0], None, first=True)
        thread_id = profile.last_thread_id if profile is not None else None
        return AssistantChoice(chosen, thread_id)

    def select_assistant(self, assistant: Assistant) -> None:
        """Make an assistant current (remembered in the profile) and empty the thread list.

        The caller then loads its threads (:meth:`load_page`) and opens one.
        """
        self._assistant = assistant
        self._host.assistant_pane.set_current(assistant.assistant_id)
        self._host.status_bar.assistant = assistant.label
        services = self._host.services
        profile = services.profile
        if profile is not None and profile.last_assistant_id != assistant.assistant_id:
            profile.last_assistant_id = assistant.assistant_id
            services.save_settings()
        self._host.thread_pane.set_threads([], has_more=False)

    def clear(self) -> None:
        """Forget everything of the server: assistants, threads, the open one (a new profile)."""
        self._assistant = None
        self.thread_id = None
        self._next_offset = None
        host = self._host
        host.assistant_pane.set_assistants([], current_id=None)
        host.assistant_pane.current_id = None
        host.thread_pane.current_id = None
        host.thread_pane.set_threads([], has_more=False)
        host.status_bar.assistant = host.status_bar.thread = ""

    def belongs(self, thread: Thread) -> bool:
        """Whether a thread belongs in the list (it is the selected assistant's)."""
        meta = thread.metadata or {}
        return self._assistant is not None and meta.get("assistant_id") == (
            self._assistant.assistant_id
        )

    # --- the list ---------------------------------------------------------------------------

    async def load_page(self, *, append: bool = False) -> None:
        """Load the first (or, with ``append``, the next) page of the assistant's threads."""
        if self._assistant is None:
            return
        offset = (self._next_offset or 0) if append else 0
        page = await self._host.services.client.threads.search(
            limit=THREAD_PAGE,
            offset=offset,
            metadata={"assistant_id": self._assistant.assistant_id},
            status=self.status_filter,
            select=THREAD_FIELDS,
        )
        self._next_offset = page.next_offset
        self._host.thread_pane.set_threads(
            page.items, has_more=page.next_offset is not None, append=append
        )

    def title(self, thread_id: str) -> str:
        """A listed thread's label ("" when it is not listed)."""
        thread = self._host.thread_pane.get(thread_id)
        return thread_label(thread) if thread else ""

    async def refresh(self, thread_id: str) -> None:
        """Show a thread's new status (and title) in the list, after a run."""
        thread = await self._host.services.client.threads.get(thread_id)
        if self.belongs(thread):
            self._host.thread_pane.upsert(thread)

    # --- the open thread ----------------------------------------------------------------------

    def set_current(self, thread_id: str | None, *, remember: bool = True) -> None:
        """Make a thread the open one (None: a new conversation).

        Args:
            thread_id: The thread.
            remember: Save it as the profile's last thread (not while a profile is being
                activated: the saved last thread is still to be reopened).
        """
        self.thread_id = thread_id
        self._host.thread_pane.set_current(thread_id)
        if remember:
            self.remember(thread_id)

    def shown(self, thread: Thread) -> None:
        """The open thread was read from the server: refresh its row (in place) and its name."""
        if self.belongs(thread):
            self._host.thread_pane.upsert(thread, to_top=False)
        self._host.status_bar.thread = thread_label(thread)

    def created(self, thread: Thread) -> None:
        """A thread was created for the first message: list it on top and open it."""
        self.thread_id = thread.thread_id
        pane = self._host.thread_pane
        pane.upsert(thread)
        pane.set_current(thread.thread_id)
        self._host.status_bar.thread = thread_label(thread)
        self.remember(thread.thread_id)

    def remember(self, thread_id: str | None) -> None:
        """Persist the open thread of the active profile."""
        services = self._host.services
        profile = services.profile
        if profile is not None and profile.last_thread_id != thread_id:
            profile.last_thread_id = thread_id
            services.save_settings()

    # --- operations -------------------------------------------------------------------------

    async def delete(self, thread_id: str, title: str) -> bool:
        """Delete a thread on the server and from the list.

        Returns:
            True when it was the open thread (the caller then starts a new conversation).
        """
        await self._host.services.client.threads.delete(thread_id)
        self._host.thread_pane.remove_thread(thread_id)
        self._host.notify(f"Deleted {one_line(title, 60)!r}.", markup=False)
        return thread_id == self.thread_id

    async def copy(self, thread_id: str, title: str) -> None:
        """Fork a thread on the server, titled "copy of …", and list the copy on top."""
        client = self._host.services.client
        thread = await client.threads.copy(thread_id)
        thread = await client.threads.update(
            thread.thread_id, metadata={"title": one_line(f"copy of {title}", 80)}
        )
        self._host.thread_pane.upsert(thread)
        # "Forked", not "Copied": nothing went to the clipboard, the server made a new thread
        self._host.notify(f"Forked {one_line(title, 60)!r} into a new thread.", markup=False)

    async def rename(self, thread_id: str, title: str) -> None:
        """Give a thread a title (its row stays in place)."""
        thread = await self._host.services.client.threads.update(
            thread_id, metadata={"title": title}
        )
        self._host.thread_pane.upsert(thread, to_top=False)
        if thread_id == self.thread_id:
            self._host.status_bar.thread = thread_label(thread)
