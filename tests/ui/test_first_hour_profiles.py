"""The first hour of a new user, connecting: the demo, their own server, a server that fails.

Against the real local server (the demo app is the launcher's own ``make_demo_app`` pointed at
it). Each test reproduces a bug a new user met (issue 11) and failed before its fix.
"""

from __future__ import annotations

import socket
from typing import Any

from app_pilot import Recorder, own_assistant, pick, ready, send, settings_for, settle, wait_for
from textual.pilot import Pilot
from textual.widgets import Input, Select

from bbot_tui.config import paths
from bbot_tui.config.settings import load_settings
from bbot_tui.demo.launcher import make_demo_app
from bbot_tui.tui.app import DEMO_PROFILE, BbotApp, make_app
from bbot_tui.tui.screens.connection import ConnectionScreen


async def _connection_form(pilot: Pilot[Any]) -> ConnectionScreen:
    app: BbotApp = pilot.app  # type: ignore[assignment]
    await pilot.press("f3")
    await wait_for(pilot, lambda: isinstance(app.screen, ConnectionScreen), "the form")
    await pilot.pause()
    return app.screen  # type: ignore[return-value]


async def _add_profile(pilot: Pilot[Any], name: str, url: str) -> None:
    """F3, "+ new profile", name and URL typed, ctrl+s (what a user does)."""
    app: BbotApp = pilot.app  # type: ignore[assignment]
    form = await _connection_form(pilot)
    select = form.query_one("#profile-select", Select)
    if select.value != "\x00new":  # "+ new profile"
        select.value = "\x00new"
        await pilot.pause()
    form.query_one("#name", Input).focus()
    await pilot.press(*name)
    form.query_one("#base_url", Input).focus()
    await pilot.press(*url)
    await pilot.press("ctrl+s")
    await wait_for(pilot, lambda: not isinstance(app.screen, ConnectionScreen), "the form to close")


def _refused_url() -> str:
    """A loopback URL whose port refuses connections (bound, then closed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


async def test_a_profile_saved_in_the_demo_is_kept_and_the_demo_stays_selectable(
    server_url: str,
) -> None:
    app = make_demo_app(server_url)  # the test server stands for the demo server
    async with app.run_test(size=(140, 42)) as pilot:
        await ready(pilot)
        screen = app.main_screen
        assert screen.status_bar.profile == DEMO_PROFILE
        form = await _connection_form(pilot)
        # a one-launch profile is not edited: the form opens on a new one
        assert form.query_one("#profile-select", Select).value == "\x00new"
        await pilot.press("escape")
        await _add_profile(pilot, "local", server_url)
        await wait_for(pilot, lambda: screen.status_bar.profile == "local", "the new profile")
        await wait_for(pilot, lambda: paths.settings_path().exists(), "the profile to be saved")

        # the demo's own profile can be chosen again (read-only) while the demo runs
        form = await _connection_form(pilot)
        select = form.query_one("#profile-select", Select)
        select.value = DEMO_PROFILE  # raises when the demo profile is not an option
        await pilot.pause()
        assert form.query_one("#base_url", Input).disabled
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: screen.status_bar.profile == DEMO_PROFILE, "the demo again")
        await wait_for(pilot, lambda: screen.assistant is not None, "an assistant of the demo")

    saved = load_settings().settings
    assert list(saved.profiles) == ["local"]  # the (demo) profile itself is never written
    assert saved.active_profile == "local"
    assert saved.profiles["local"].base_url == server_url
    assert saved.input_history == []  # nothing of the demo's own use is written

    # the next `bbot-tui` starts on the profile saved during the demo
    again = make_app(None)
    async with again.run_test(size=(140, 42)) as pilot:
        await ready(pilot)
        assert again.main_screen.status_bar.profile == "local"


async def test_a_failing_connection_is_not_called_connected_and_clears_the_old_server(
    server_url: str,
) -> None:
    name = own_assistant(server_url, "chat")
    recorder = Recorder()
    app = make_app(settings_for(server_url), persist=False)
    async with app.run_test(size=(140, 42), message_hook=recorder) as pilot:
        screen = await pick(pilot, "chat", name)
        await send(pilot, "hello there")
        await settle(pilot, screen)
        await pilot.press("f2")  # the event log, with an event selected
        log = screen.event_log
        await wait_for(pilot, lambda: log.count > 0, "the events")
        table: Any = log.query_one("#event-table")
        table.move_cursor(row=0)
        await pilot.pause()
        detail: Any = log.query_one("#event-json")
        assert "Select an event" not in str(detail.render())
        assert screen.thread_pane.threads and screen.transcript.messages

        recorder.notes.clear()
        await _add_profile(pilot, "bogus", _refused_url())
        await wait_for(pilot, lambda: recorder.saw("refused") or recorder.saw("connect"), "err")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not any("Connected" in note for note in recorder.notes), recorder.notes
        # nothing of the old server is left: panes, selection, conversation, event detail
        assert screen.assistant_pane.assistants == []
        assert screen.thread_pane.threads == []
        assert screen.assistant is None and screen.thread_id is None
        assert screen.status_bar.assistant == "" and screen.status_bar.thread in ("", "new thread")
        assert screen.transcript.messages == []
        assert log.count == 0 and "Select an event" in str(detail.render())
        assert screen.status_bar.status == "offline"

        await pilot.press("f5")  # a retry says so, and shows nothing stale either
        await wait_for(pilot, lambda: recorder.saw("Refreshing"), "the refresh feedback")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert screen.assistant_pane.assistants == [] and screen.thread_pane.threads == []

        # back to the working profile: "connected" once the server answered
        recorder.notes.clear()
        form = await _connection_form(pilot)
        form.query_one("#profile-select", Select).value = "local"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: recorder.saw("Connected to 'local'"), "connected")
        assert screen.assistant_pane.assistants
        assert screen.status_bar.status != "offline"
