"""Helpers for driving the real app with Pilot (imported by ``tests/ui/test_app_*.py``).

Waiting is always on a condition (with a generous limit so a broken build fails instead of
hanging), never a fixed sleep.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.pilot import Pilot

from bbot_tui.app import BbotApp
from bbot_tui.screens.main import MainScreen
from bbot_tui.settings import Profile, Settings

LIMIT = 60.0
"""Seconds after which a wait gives up and fails the test (a hang guard, not a speed check)."""


def settings_for(url: str, **fields: Any) -> Settings:
    """Settings with one active profile ``local`` pointing at ``url``."""
    return Settings(
        profiles={"local": Profile(name="local", base_url=url)}, active_profile="local", **fields
    )


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


async def pick(pilot: Pilot[Any], graph_id: str) -> MainScreen:
    """Choose the assistant of ``graph_id`` the way a user does: search, then Enter."""
    screen = await ready(pilot)
    search = screen.query_one("#assistant-search")
    search.focus()
    search.value = ""  # type: ignore[attr-defined]
    await pilot.press(*graph_id)
    await pilot.press("enter")
    await wait_for(
        pilot,
        lambda: screen.assistant is not None and screen.assistant.graph_id == graph_id,
        f"assistant {graph_id}",
    )
    await wait_for(pilot, lambda: screen.session is not None, "a fresh thread")
    return screen


async def send(pilot: Pilot[Any], text: str) -> None:
    """Type ``text`` in the composer (loaded at once) and press Enter."""
    screen = main_screen(pilot.app)  # type: ignore[arg-type]
    composer = screen.composer
    composer.focus()
    composer.load_text(text)
    await pilot.press("enter")


async def settle(pilot: Pilot[Any], screen: MainScreen) -> None:
    """Wait until no run streams and the app's workers are idle."""
    await wait_for(pilot, lambda: not screen.running, "the run to end")
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def view_text(screen: MainScreen) -> str:
    """Everything the message view draws, as text."""
    view: Any = screen.query_one("#message-view")
    return "\n".join(strip.text.rstrip() for strip in view.export_strips())


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
