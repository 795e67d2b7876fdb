"""Textual's command palette holds every action: each key binding of the main screen, the app and
the widgets on the main screen has an entry, entries run their action, and a dialog on top lists
its own bindings.
"""

from __future__ import annotations

from typing import Any

from app_pilot import wait_for
from snapshot_data import fixed_app
from textual.binding import Binding
from textual.command import CommandPalette

from bbot_tui.tui.app import BbotApp
from bbot_tui.tui.screens.connection import ConnectionScreen
from bbot_tui.tui.screens.main import MainScreen
from bbot_tui.tui.screens.palette import MAIN_COMMANDS
from bbot_tui.tui.widgets.assistant_pane import AssistantPane
from bbot_tui.tui.widgets.interrupt_card import InterruptCard
from bbot_tui.tui.widgets.message_view import MessageView
from bbot_tui.tui.widgets.thread_pane import ThreadPane

WIDGETS = {
    "#assistant-pane": AssistantPane,
    "#thread-pane": ThreadPane,
    "#message-view": MessageView,
    "#interrupt-card": InterruptCard,
}


def _actions(cls: type[Any]) -> set[str]:
    return {b.action for b in cls.BINDINGS if isinstance(b, Binding)}


def test_every_binding_has_a_palette_entry() -> None:
    listed = {(c.target, c.action) for c in MAIN_COMMANDS}
    missing = [a for a in _actions(MainScreen) if (None, a) not in listed]
    for target, cls in WIDGETS.items():
        missing += [f"{target} {a}" for a in _actions(cls) if (target, a) not in listed]
    assert missing == []
    assert _actions(BbotApp) == {"connection"}  # listed by the app itself
    for command in MAIN_COMMANDS:  # and no entry names an action that does not exist
        cls = WIDGETS.get(command.target or "", MainScreen)
        name = command.action.split("(")[0]
        assert callable(getattr(cls, f"action_{name}", None)), command


async def test_palette_runs_an_action_and_lists_a_dialogs_bindings() -> None:
    app, _ = fixed_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await app.ready.wait()
        screen = app.main_screen
        await wait_for(pilot, lambda: len(screen.transcript.messages) == 2, "the thread")
        titles = [c.title for c in app.get_system_commands(screen)]
        assert len(titles) >= len(MAIN_COMMANDS)  # every entry's widget is on the screen
        assert {"Connection…", "Toggle event log", "Delete thread…", "Copy code block"} <= set(
            titles
        )

        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette), "the palette")
        await pilot.press(*"toggle event log")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.has_class("-show-events"), "the event log")
        assert screen.event_log.display

        await pilot.press("f3")
        await wait_for(pilot, lambda: isinstance(app.screen, ConnectionScreen), "the dialog")
        dialog_titles = [c.title for c in app.get_system_commands(app.screen)]
        assert {"Save", "Cancel", "Test connection"} <= set(dialog_titles)
        assert "Toggle event log" not in dialog_titles


def test_readme_lists_every_key_binding() -> None:
    from pathlib import Path

    from bbot_tui.tui.screens.compare import CompareScreen
    from bbot_tui.tui.screens.history import HistoryScreen
    from bbot_tui.tui.screens.inbox import InboxScreen
    from bbot_tui.tui.screens.run_details import RunDetailsScreen
    from bbot_tui.tui.screens.run_options import RunOptionsScreen
    from bbot_tui.tui.widgets.composer import NEWLINE_KEYS

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text("utf-8")
    section = readme.split("### Key bindings", 1)[1].split("\n### ", 1)[0]
    classes = [BbotApp, MainScreen, *WIDGETS.values(), RunOptionsScreen, ConnectionScreen]
    classes.append(HistoryScreen)
    classes += [RunDetailsScreen, CompareScreen, InboxScreen]
    keys = {k for k in NEWLINE_KEYS if k != "newline"} | {"enter", "up", "down", "ctrl+p"}
    for cls in classes:
        for binding in cls.BINDINGS:
            if isinstance(binding, Binding):
                keys |= {binding.key_display or k for k in binding.key.split(",")}
    assert sorted(k for k in keys if f"`{k}`" not in section) == []
