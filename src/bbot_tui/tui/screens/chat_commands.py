"""The chat commands of the main screen: what ``/new``, ``/export``, ``/resume``… do.

A slash command typed in the composer is parsed by :mod:`bbot_tui.session.slash` (plain, UI
free); :data:`SLASH_ACTIONS` maps each command to an action of the main screen, so a command
and its palette entry run the same code (``/export notes.md`` runs ``export('notes.md')``).

:class:`ChatCommands` does the work of the actions that are not the screen's own: it picks an
assistant by name, titles the open thread (creating it on the server when the conversation has
no thread yet), offers the recent threads to resume, exports the open thread through
:mod:`bbot_tui.session.export_file`, switches the theme and shows the help. It is not a widget:
it reaches the screen through :class:`ChatHost`, and runs its network work in the screen's
workers (so a failure is handled by the screen, in one place).
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from bbot_tui.text import one_line

if TYPE_CHECKING:  # the slash commands' parser loads with the first command, not the first frame
    from collections.abc import Coroutine

    from textual.app import App
    from textual.notifications import SeverityLevel
    from textual.worker import Worker

    from bbot_tui.api.models import Assistant
    from bbot_tui.session.slash import SlashCommand, SlashName
    from bbot_tui.tui.screens.app_services import AppServices
    from bbot_tui.tui.screens.thread_browser import ThreadBrowser
    from bbot_tui.tui.widgets.assistant_pane import AssistantPane

__all__ = ["RECENT_THREADS", "SLASH_ACTIONS", "ChatCommands", "ChatHost", "action_for"]

SLASH_ACTIONS: dict[SlashName, str] = {
    "new": "new_thread",
    "assistant": "switch_assistant",
    "thread": "name_thread",
    "resume": "resume",
    "options": "run_options",
    "history": "history",
    "breakpoints": "breakpoints",
    "compare": "compare",
    "export": "export",
    "search": "search",
    "theme": "theme",
    "help": "slash_help",
}
"""The main screen's action each command runs (its argument, if any, is the action's)."""

RECENT_THREADS = 50
"""How many recent threads ``/resume`` offers."""


def action_for(command: SlashCommand) -> str:
    """The action string a command runs, e.g. ``export('notes.md')`` or ``new_thread``."""
    action = SLASH_ACTIONS[command.name]
    return f"{action}({command.arg!r})" if command.arg else action


class ChatHost(Protocol):
    """What the chat commands use of the screen that owns them."""

    @property
    def app(self) -> App[Any]:
        """The app (theme, screens)."""
        ...

    @property
    def services(self) -> AppServices:
        """The app: settings, active profile, client."""
        ...

    @property
    def assistant_pane(self) -> AssistantPane:
        """The list of assistants."""
        ...

    @property
    def threads(self) -> ThreadBrowser:
        """The assistants, their threads and the open thread."""
        ...

    def select_assistant(self, assistant: Assistant, *, thread_id: str | None = None) -> None:
        """Make an assistant current and open a thread (or a new one)."""
        ...

    def open_thread(self, thread_id: str) -> None:
        """Open a thread (in the run worker)."""
        ...

    def run_worker(
        self, work: Coroutine[Any, Any, Any], *, group: str, exit_on_error: bool
    ) -> Worker[Any]:
        """Run a coroutine in a worker of the screen."""
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


class ChatCommands:
    """Assistants by name, thread titles, resume, export, theme and help.

    Args:
        host: The screen the commands act on.
        export_folder: Where ``/export`` writes relative file names (default: the working
            directory at the time of the export).
    """

    def __init__(self, host: ChatHost, *, export_folder: Path | None = None) -> None:
        self._host = host
        self.export_folder = export_folder
        """Where relative export file names start (None: the working directory)."""

    # --- assistants and threads -------------------------------------------------------------

    def find_assistant(self, name: str) -> Assistant | None:
        """The listed assistant called ``name`` (else the only one whose name holds it)."""
        wanted = name.strip().lower()
        listed = self._host.assistant_pane.assistants
        for assistant in listed:
            if wanted in (assistant.label.lower(), (assistant.name or "").lower()):
                return assistant
            if wanted == assistant.assistant_id.lower():
                return assistant
        partial = [a for a in listed if wanted in a.label.lower()]
        return partial[0] if len(partial) == 1 else None

    def switch_assistant(self, name: str) -> bool:
        """Make the assistant called ``name`` current (says so when there is none)."""
        assistant = self.find_assistant(name)
        if assistant is None:
            labels = [a.label for a in self._host.assistant_pane.assistants]
            close = difflib.get_close_matches(name, labels, n=3, cutoff=0.4)
            hint = f" Did you mean {', '.join(close)}?" if close else ""
            self._host.notify(
                f"No assistant is called {one_line(name, 60)!r}.{hint}",
                severity="warning",
                markup=False,
            )
            return False
        self._host.select_assistant(assistant)
        return True

    def name_thread(self, title: str) -> None:
        """Title the open thread; a new conversation gets its thread now, with that title."""
        title = one_line(title, 200)
        self._host.run_worker(self._name_thread(title), group="thread-ops", exit_on_error=False)

    async def _name_thread(self, title: str) -> None:
        host = self._host
        browser = host.threads
        thread_id = browser.thread_id
        if thread_id is not None:
            await browser.rename(thread_id, title)
            host.notify(f"Thread titled {title!r}.", markup=False)
            return
        assistant = browser.assistant
        if assistant is None:
            host.notify("Pick an assistant first.", severity="warning")
            return
        thread = await host.services.client.threads.create(
            metadata={
                "assistant_id": assistant.assistant_id,
                "graph_id": assistant.graph_id,
                "title": title,
            }
        )
        browser.created(thread)
        host.notify(f"New thread {title!r}.", markup=False)

    def resume(self, query: str = "") -> None:
        """Offer the assistant's recent threads; open the one picked."""
        self._host.run_worker(self._resume(query), group="resume", exit_on_error=False)

    async def _resume(self, query: str) -> None:
        from bbot_tui.tui.screens.thread_browser import THREAD_FIELDS
        from bbot_tui.tui.screens.thread_picker import ThreadPickerScreen

        host = self._host
        assistant = host.threads.assistant
        if assistant is None:
            host.notify("Pick an assistant first.", severity="warning")
            return
        page = await host.services.client.threads.search(
            limit=RECENT_THREADS,
            metadata={"assistant_id": assistant.assistant_id},
            select=THREAD_FIELDS,
        )
        picker = ThreadPickerScreen(page.items, query=query, current=host.threads.thread_id)
        thread_id = await host.app.push_screen_wait(picker)
        if thread_id:
            host.open_thread(thread_id)

    # --- export -------------------------------------------------------------------------------

    def export(self, file: str = "") -> None:
        """Write the open thread to ``file`` (Markdown, JSON or HTML by its extension)."""
        host = self._host
        thread_id = host.threads.thread_id
        if thread_id is None:
            host.notify("Nothing to export yet: send a message first.", severity="warning")
            return
        host.run_worker(self._export(thread_id, file or None), group="export", exit_on_error=False)

    async def _export(self, thread_id: str, file: str | None) -> None:
        from bbot_tui.config.security import registered_secrets
        from bbot_tui.session.export_file import export_thread

        host = self._host
        secrets = list(registered_secrets())
        profile = host.services.profile
        if profile is not None and profile.api_key is not None:
            secrets.append(profile.api_key.get_secret_value())
        folder = self.export_folder or Path.cwd()
        try:
            result = await export_thread(
                host.services.client, thread_id, file, folder=folder, secrets=secrets
            )
        except OSError as exc:
            host.notify(
                f"Cannot write {one_line(file or '', 100)}: {exc.strerror or exc}",
                title="Export",
                severity="error",
                markup=False,
            )
            return
        note = f" ({'; '.join(result.notes)})" if result.notes else ""
        host.notify(
            f"Exported {result.messages} messages ({result.format}) to {result.path}{note}",
            title="Export",
            markup=False,
        )

    # --- theme and help -----------------------------------------------------------------------

    def theme(self, name: str = "") -> None:
        """Switch to the theme ``name``; without one, open Textual's theme picker."""
        app = self._host.app
        if not name:
            app.action_change_theme()
            return
        themes = sorted(app.available_themes)
        wanted = name.strip().lower()
        if wanted not in themes:
            close = difflib.get_close_matches(wanted, themes, n=3)
            hint = f" Did you mean {', '.join(close)}?" if close else ""
            self._host.notify(
                f"No theme is called {one_line(name, 40)!r}.{hint} (/theme alone lists them)",
                severity="warning",
                markup=False,
            )
            return
        app.theme = wanted

    def help(self) -> None:
        """List the slash commands."""
        from bbot_tui.session.slash import help_text

        self._host.notify(help_text(), title="Slash commands", timeout=20, markup=False)
