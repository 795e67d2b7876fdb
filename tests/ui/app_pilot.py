"""Helpers for driving the real app with Pilot (imported by ``tests/ui/test_app_*.py``).

Waiting is always on a condition (with a generous limit so a broken build fails instead of
hanging), never a fixed sleep.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx
from textual.pilot import Pilot

from bbot_tui.config.settings import Profile, Settings
from bbot_tui.tui.app import BbotApp
from bbot_tui.tui.screens.main import MainScreen

LIMIT = 60.0
"""Seconds after which a wait gives up and fails the test (a hang guard, not a speed check)."""


def settings_for(url: str, **fields: Any) -> Settings:
    """Settings with one active profile ``local`` pointing at ``url``."""
    return Settings(
        profiles={"local": Profile(name="local", base_url=url)}, active_profile="local", **fields
    )


def own_assistant(url: str, graph_id: str, *, configurable: dict[str, Any] | None = None) -> str:
    """Create an assistant of ``graph_id`` with a unique name and return that name.

    The test server is shared by the whole session and the thread pane lists the threads of the
    selected assistant: a test that picks its own assistant sees only its own threads.
    """
    name = f"{graph_id}-{uuid.uuid4().hex[:10]}"
    body: dict[str, Any] = {"graph_id": graph_id, "name": name}
    if configurable:
        body["config"] = {"configurable": configurable}
    httpx.post(f"{url}/assistants", json=body, timeout=30).raise_for_status()
    return name


async def wait_for(pilot: Pilot[Any], condition: Callable[[], Any], what: str) -> None:
    """Let the app run until ``condition()`` is true."""
    loops = int(LIMIT / 0.05)
    for _ in range(loops):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError(f"gave up waiting for {what}")


def main_screen(app: BbotApp) -> MainScreen:
    """The app's main screen."""
    return app.main_screen


async def ready(pilot: Pilot[Any]) -> MainScreen:
    """Wait until the settings are loaded and the assistants are listed."""
    app: BbotApp = pilot.app  # type: ignore[assignment]
    await app.ready.wait()
    screen = main_screen(app)
    pane = screen.query_one("#assistant-pane")
    await wait_for(pilot, lambda: pane.assistants, "the assistants")  # type: ignore[attr-defined]
    return screen


async def pick(pilot: Pilot[Any], graph_id: str, name: str | None = None) -> MainScreen:
    """Choose an assistant the way a user does: type its name (or graph) in the search, Enter.

    Args:
        pilot: The pilot.
        graph_id: The assistant's graph.
        name: The assistant's unique name (see :func:`own_assistant`); else the first
            assistant that matches ``graph_id``.
    """
    screen = await ready(pilot)
    search = screen.query_one("#assistant-search")
    search.focus()
    # set at once, as a paste would (the filter sees the same Input.Changed): a Pilot key press
    # waits for the app to idle, ~50-100 ms a key; typing key by key is tested where it matters
    search.value = name or graph_id  # type: ignore[attr-defined]
    await pilot.pause()
    await pilot.press("enter")

    def chosen() -> bool:
        a = screen.assistant
        return a is not None and a.graph_id == graph_id and (name is None or a.name == name)

    await wait_for(pilot, chosen, f"assistant {name or graph_id}")
    await wait_for(pilot, lambda: screen.session is not None, "a fresh thread")
    return screen


async def send(pilot: Pilot[Any], text: str) -> None:
    """Type ``text`` in the composer (loaded at once) and press Enter."""
    screen = main_screen(pilot.app)  # type: ignore[arg-type]
    composer = screen.composer
    composer.focus()
    composer.load_text(text)
    await pilot.press("enter")


def run_started(screen: MainScreen) -> bool:
    """The run started: it runs, or it already ended (a short run can start and end between
    two looks of a loaded test, so ``running`` alone may never be seen True)."""
    transcript = screen.transcript
    return bool(
        screen.running
        or transcript.stop is not None
        or any(m.role != "human" for m in transcript.messages)
    )


async def settle(pilot: Pilot[Any], screen: MainScreen) -> None:
    """Wait until no run streams and the app's workers are idle."""
    await wait_for(pilot, lambda: not screen.running, "the run to end")
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def view_text(screen: MainScreen) -> str:
    """Everything the message view draws, as text."""
    view: Any = screen.query_one("#message-view")
    return "\n".join(strip.text.rstrip() for strip in view.export_strips())


def screen_text(app: BbotApp) -> str:
    """The characters on the screen (from an SVG screenshot: what the user sees, any widget)."""
    import html
    import re

    svg = app.export_screenshot()
    return html.unescape(re.sub(r"<[^>]+>", "", svg)).replace("\xa0", " ")


def thread_rows(screen: MainScreen) -> list[str]:
    """The thread list as drawn (plain text of each row)."""
    options: Any = screen.query_one("#thread-list")
    return [options.get_option_at_index(i).prompt.plain for i in range(options.option_count)]


class Recorder:
    """A ``message_hook`` for ``run_test`` that keeps the notifications' texts."""

    def __init__(self) -> None:
        self.notes: list[str] = []

    def __call__(self, message: Any) -> None:
        from textual.notifications import Notify

        if isinstance(message, Notify):
            self.notes.append(f"{message.notification.title}: {message.notification.message}")

    def saw(self, text: str) -> bool:
        """Whether a notification contained ``text``."""
        return any(text in note for note in self.notes)
