"""The assistant and thread workers of the main screen: loading them and thread operations.

:class:`ThreadFlows` builds on :class:`~bbot_tui.tui.screens.main_run.RunFlows`, because picking an
assistant opens a thread through the run worker (which rejoins its live run, if any). It loads
the assistants (restoring the last assistant and thread at startup), pages the selected
assistant's threads into the thread pane, deletes, copies and renames threads, and fetches an
assistant's schemas and graph for the inspect screen. Workers call the client; no widget builds a
request, and their failures are handled in one place, by the main screen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from textual import work

from bbot_tui.text import one_line
from bbot_tui.tui.screens.main_run import RunFlows, RunPlan
from bbot_tui.tui.widgets.thread_pane import thread_label

if TYPE_CHECKING:
    from bbot_tui.api.models import Assistant

__all__ = ["THREAD_FIELDS", "THREAD_PAGE", "ThreadFlows"]

THREAD_FIELDS = ["thread_id", "status", "created_at", "updated_at", "metadata", "interrupts"]
"""What the thread list asks the server for (no values: they can be huge)."""
THREAD_PAGE = 30
"""Threads per page."""


class ThreadFlows(RunFlows):
    """Loading assistants and threads, and the thread operations."""

    @work(exclusive=True, group="assistants", exit_on_error=False)
    async def load_assistants(self, *, restore: bool = False) -> None:
        """Load the assistants; with ``restore``, reselect the last assistant and thread."""
        client = self.client()
        self.status_bar.notice = "loading assistants…"
        profile = self.bbot.profile
        if profile is not None and profile.assistants_path == "auto":
            page = await client.discover_assistants(limit=100)  # /assistants, else B-Bot's name
        else:
            page = await client.search_assistants(limit=100)
        self.status_bar.notice = ""
        pane = self.query_one("#assistant-pane")
        pane.set_assistants(page.items)  # type: ignore[attr-defined]
        if not page.items:
            self.notify("This server has no assistants.", severity="warning")
            return
        if restore:
            profile = self.bbot.profile
            last = profile.last_assistant_id if profile else None
            chosen = next((a for a in page.items if a.assistant_id == last), page.items[0])
            thread_id = profile.last_thread_id if profile and chosen.assistant_id == last else None
            self.select_assistant(chosen, thread_id=thread_id)
            self.check_active_runs()

    def select_assistant(self, assistant: Assistant, *, thread_id: str | None = None) -> None:
        """Make an assistant current: list its threads and open one (or a new thread)."""
        self.assistant = assistant
        self.query_one("#assistant-pane").set_current(assistant.assistant_id)  # type: ignore[attr-defined]
        self.status_bar.assistant = assistant.label
        profile = self.bbot.profile
        if profile is not None and profile.last_assistant_id != assistant.assistant_id:
            profile.last_assistant_id = assistant.assistant_id
            self.bbot.save_settings()
        self.thread_pane.set_threads([], has_more=False)
        self.load_threads()
        if thread_id:
            self.run_flow(RunPlan("open", thread_id=thread_id))
        else:
            self.new_thread()

    @work(exclusive=True, group="threads", exit_on_error=False)
    async def load_threads(self, *, append: bool = False) -> None:
        """Load the first (or next) page of the selected assistant's threads."""
        if self.assistant is None:
            return
        offset = (self._next_offset or 0) if append else 0
        page = await self.client().search_threads(
            limit=THREAD_PAGE,
            offset=offset,
            metadata={"assistant_id": self.assistant.assistant_id},
            status=self.status_filter,
            select=THREAD_FIELDS,
        )
        self._next_offset = page.next_offset
        self.thread_pane.set_threads(
            page.items, has_more=page.next_offset is not None, append=append
        )

    def new_thread(self) -> None:
        """Start a blank conversation (the thread is created with the first message)."""
        if self.running:
            self.detach()
        self.workers.cancel_group(self, "run")
        self.install_thread(None)
        self.status_bar.thread = "new thread"

    @work(group="thread-ops", exit_on_error=False)
    async def thread_op(
        self, kind: Literal["delete", "copy", "rename"], thread_id: str, title: str = ""
    ) -> None:
        """Delete, copy (fork) or rename one thread (the run worker refreshes one after a run)."""
        client = self.client()
        pane = self.thread_pane
        if kind == "delete":
            await client.delete_thread(thread_id)
            pane.remove(thread_id)
            if thread_id == self.thread_id:
                self.new_thread()
            self.notify(f"Deleted {one_line(title, 60)!r}.", markup=False)
        elif kind == "copy":
            thread = await client.copy_thread(thread_id)
            thread = await client.patch_thread(
                thread.thread_id, metadata={"title": one_line(f"copy of {title}", 80)}
            )
            pane.upsert(thread)
            self.notify(f"Copied {one_line(title, 60)!r}.", markup=False)
        else:
            thread = await client.patch_thread(thread_id, metadata={"title": title})
            pane.upsert(thread, to_top=False)
            if thread_id == self.thread_id:
                self.status_bar.thread = thread_label(thread)

    @work(exclusive=True, group="inspect", exit_on_error=False)
    async def inspect_assistant(self, assistant: Assistant) -> None:
        """Fetch an assistant's schemas and graph and show them."""
        from bbot_tui.api.errors import ApiError
        from bbot_tui.tui.screens.inspect import InspectScreen

        client = self.client()
        schemas = await client.get_schemas(assistant.assistant_id)
        nodes: list[str] = []
        graph_error = None
        try:
            nodes = (await client.get_graph(assistant.assistant_id, xray=True)).node_names()
        except ApiError as exc:
            graph_error = exc.message
        self.app.push_screen(InspectScreen(assistant, schemas, nodes, graph_error=graph_error))
