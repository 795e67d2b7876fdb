"""Settings in the real app: they survive a restart, a corrupt file never stops the app, and the
first start's connection screen tests and saves a profile (against the real local server).
"""

from __future__ import annotations

from pathlib import Path

from app_pilot import (
    Recorder,
    own_assistant,
    pick,
    run_started,
    send,
    settings_for,
    settle,
    wait_for,
)
from textual.widgets import Input, Static

from bbot_tui.config.settings import load_settings, save_settings
from bbot_tui.tui.app import make_app
from bbot_tui.tui.screens.connection import ConnectionScreen


async def test_settings_survive_a_restart(server_url: str, tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    save_settings(settings_for(server_url), path)
    name = own_assistant(server_url, "chat")

    first = make_app(None, settings_path=path)
    async with first.run_test(size=(120, 40)) as pilot:
        screen = await pick(pilot, "chat", name)
        await send(pilot, "remember me")
        await wait_for(pilot, lambda: run_started(screen), "the run to start")
        await settle(pilot, screen)
        thread_id = screen.thread_id
        await pilot.press("ctrl+l")  # show the event log
        first.theme = "nord"
        await pilot.pause()
    on_disk = load_settings(path)
    assert on_disk.warnings == [] and on_disk.settings.active_profile == "local"

    second = make_app(None, settings_path=path)
    async with second.run_test(size=(120, 40)) as pilot:
        await second.ready.wait()
        screen = second.main_screen
        await wait_for(
            pilot,
            lambda: screen.assistant is not None and screen.assistant.name == name,
            "the last assistant",
        )
        await wait_for(pilot, lambda: len(screen.transcript.messages) == 2, "the last thread")
        assert screen.thread_id == thread_id
        assert screen.transcript.messages[0].text == "remember me"
        assert second.theme == "nord"
        assert screen.event_log.display and screen.has_class("-show-events")
        composer = screen.composer
        composer.focus()
        await pilot.press("up")
        assert composer.text == "remember me"


async def test_a_corrupt_settings_file_is_kept_aside_and_the_app_starts(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    damaged = b'{"version": 1, "profiles": {"x": {"name": "x", "base_u'
    path.write_bytes(damaged)
    app = make_app(None, settings_path=path)
    notes = Recorder()
    async with app.run_test(size=(120, 40), message_hook=notes) as pilot:
        await app.ready.wait()
        await pilot.pause()
        assert app.is_running
        assert notes.saw("is not valid JSON") and notes.saw("moved to")
        assert "settings were damaged" in app.main_screen.status_bar.warning
        # no usable profile: the first-start connection screen is open
        assert isinstance(app.screen, ConnectionScreen)
    backups = [p for p in tmp_path.iterdir() if p.name != "settings.json"]
    assert len(backups) == 1 and backups[0].read_bytes() == damaged
    assert load_settings(path).warnings == []  # the new file is valid


async def test_first_start_tests_and_saves_a_connection(server_url: str, tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    app = make_app(None, settings_path=path)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.ready.wait()
        await wait_for(pilot, lambda: isinstance(app.screen, ConnectionScreen), "the screen")
        dialog = app.screen
        await wait_for(pilot, lambda: dialog.query("#name"), "the form")
        await pilot.pause()
        assert app.focused is dialog.query_one("#name", Input)
        await pilot.press(*"local")
        dialog.query_one("#base_url", Input).value = server_url
        await pilot.press("ctrl+t")
        result = dialog.query_one("#test-result", Static)
        await wait_for(pilot, lambda: "Connection works." in str(result.render()), "the test")
        await pilot.press("ctrl+s")
        screen = app.main_screen
        await wait_for(pilot, lambda: app.screen is screen, "the main screen")
        await wait_for(pilot, lambda: screen.assistant is not None, "an assistant")
        assert screen.status_bar.profile == "local"
    saved = load_settings(path).settings
    assert saved.active_profile == "local"
    assert saved.profiles["local"].base_url == server_url
