"""A small host for the main screen's collaborators, without the main screen.

:class:`HostScreen` shows the widgets the :class:`ThreadBrowser` and the :class:`RunController`
drive (assistant pane, thread pane, status bar, event log) and implements the rest of their host
protocols by recording each call; the calls that start a worker on the main screen start the
same coroutine here. :class:`Services` stands for the app: real settings with one profile
pointing at the test server, a real client, and a count of the saves.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from textual import getters
from textual.app import App, ComposeResult
from textual.notifications import SeverityLevel
from textual.pilot import Pilot
from textual.screen import Screen

from bbot_tui.api.client import AgentClient
from bbot_tui.config.settings import Profile, Settings
from bbot_tui.session.run import RunSession
from bbot_tui.stream.transcript import Transcript
from bbot_tui.tui.screens.run_controller import RunController
from bbot_tui.tui.screens.run_ledger import RunLedger
from bbot_tui.tui.screens.thread_browser import ThreadBrowser
from bbot_tui.tui.widgets.assistant_pane import AssistantPane
from bbot_tui.tui.widgets.event_log import EventLog
from bbot_tui.tui.widgets.status_bar import StatusBar
from bbot_tui.tui.widgets.thread_pane import ThreadPane

LIMIT = 60.0
"""Seconds after which a wait gives up (a hang guard, not a speed check)."""


class Services:
    """What the collaborators use of the app: settings, the profile, its client, saving."""

    def __init__(self, url: str, *, persist: bool = True, **profile: Any) -> None:
        self.settings: Settings | None = Settings(
            profiles={"local": Profile(name="local", base_url=url, **profile)},
            active_profile="local",
        )
        self.persist = persist
        self._client: AgentClient | None = None
        self.url = url
        self.saves = 0
        """How many times the settings were saved."""

    @property
    def profile(self) -> Profile | None:
        """The active profile."""
        return self.settings.active() if self.settings is not None else None

    @property
    def client(self) -> AgentClient:
        """One client for the test (closed by :meth:`aclose`)."""
        if self._client is None:
            self._client = AgentClient(self.url)
        return self._client

    def save_settings(self) -> None:
        """Count the save."""
        self.saves += 1

    async def aclose(self) -> None:
        """Close the client."""
        if self._client is not None:
            await self._client.aclose()


class HostScreen(Screen[None]):
    """The widgets the collaborators drive, and a record of every other call they make."""

    status_bar = getters.query_one(StatusBar)
    assistant_pane = getters.query_one(AssistantPane)
    thread_pane = getters.query_one(ThreadPane)
    event_log = getters.query_one(EventLog)

    def __init__(self, services: Services, ledger_path: Path) -> None:
        super().__init__()
        self._services = services
        self._running = False
        self.calls: list[tuple[str, Any]] = []
        """``(name, argument)`` of every call to the recorded members, in order."""
        self.running_seen: list[bool] = []
        """Every value ``running`` was set to."""
        self.notes: list[tuple[str, str]] = []
        """``(severity, message)`` of every notification."""
        self.ledger = RunLedger(ledger_path)
        self.threads = ThreadBrowser(self)
        self.runs = RunController(self, self.threads, self.ledger)

    @property
    def running(self) -> bool:
        return self._running

    @running.setter
    def running(self, value: bool) -> None:
        self.running_seen.append(value)
        self._running = value

    @property
    def services(self) -> Services:
        return self._services

    def compose(self) -> ComposeResult:
        yield AssistantPane(id="assistant-pane")
        yield ThreadPane(id="thread-pane")
        yield EventLog(id="event-log")
        yield StatusBar(id="status-bar")

    def names(self) -> list[str]:
        """The names of the recorded calls, in order."""
        return [name for name, _ in self.calls]

    def show_transcript(self, transcript: Transcript) -> None:
        self.calls.append(("show_transcript", transcript))

    def show_interrupts(self, transcript: Transcript) -> None:
        self.calls.append(("show_interrupts", transcript))

    def sync_mode(self) -> None:
        self.calls.append(("sync_mode", None))

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        self.notes.append((severity, message))

    def cancel_run(self, session: RunSession) -> object:
        self.calls.append(("cancel_run", session))
        return self.run_worker(session.cancel(action="interrupt"), group="cancel")

    def refresh_thread(self, thread_id: str) -> object:
        self.calls.append(("refresh_thread", thread_id))
        return None

    def watch_detached(self, thread_id: str, run_id: str) -> object:
        self.calls.append(("watch_detached", (thread_id, run_id)))
        return None

    def drain_run_state(self) -> object:
        self.calls.append(("drain_run_state", None))
        return self.run_worker(self.ledger.drain(), group="run-state")


class HostApp(App[None]):
    """An app whose only screen is a :class:`HostScreen`."""

    def __init__(self, services: Services, ledger_path: Path) -> None:
        super().__init__()
        self._services = services
        self._ledger_path = ledger_path

    def get_default_screen(self) -> Screen[Any]:
        return HostScreen(self._services, self._ledger_path)

    @property
    def host(self) -> HostScreen:
        """The host screen."""
        return self.screen_stack[0]  # type: ignore[return-value]

    async def on_unmount(self) -> None:
        await self._services.aclose()


def own_assistant(
    url: str, graph_id: str, *, configurable: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Create an assistant of ``graph_id`` with a unique name (its threads are the test's own)."""
    body: dict[str, Any] = {"graph_id": graph_id, "name": f"{graph_id}-{uuid.uuid4().hex[:10]}"}
    if configurable:
        body["config"] = {"configurable": configurable}
    response = httpx.post(f"{url}/assistants", json=body, timeout=30)
    response.raise_for_status()
    return response.json()  # type: ignore[no-any-return]


def own_thread(url: str, assistant_id: str, title: str) -> str:
    """Create a thread listed under an assistant (one run of it) and return its id.

    The server keeps no ``assistant_id`` given at creation: a run of the assistant on the thread
    sets it, and the thread list filters on it.
    """
    response = httpx.post(f"{url}/threads", json={"metadata": {"title": title}}, timeout=30)
    response.raise_for_status()
    thread_id = str(response.json()["thread_id"])
    body = {
        "assistant_id": assistant_id,
        "input": {"messages": [{"role": "user", "content": title}]},
    }
    httpx.post(f"{url}/threads/{thread_id}/runs/wait", json=body, timeout=60).raise_for_status()
    return thread_id


async def wait_for(pilot: Pilot[Any], condition: Callable[[], Any], what: str) -> None:
    """Let the app run until ``condition()`` is true."""
    for _ in range(int(LIMIT / 0.05)):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError(f"gave up waiting for {what}")
