"""The TUI over the thread-centric event protocol: a profile whose ``protocol`` is ``events``.

A message sent in the app runs over ``run.start`` and the thread's event stream; the answer
streams into the same message view, ends equal to the thread's stored messages, and the status
bar says which protocol the run used.
"""

from __future__ import annotations

from typing import Any

import httpx
from app_pilot import pick, send, settings_for, settle, view_text

from bbot_tui.config.settings import Profile
from bbot_tui.tui.app import make_app


async def test_a_run_over_the_event_protocol_in_the_app(server_url: str) -> None:
    settings = settings_for(server_url)
    settings.profiles["local"] = Profile(name="local", base_url=server_url, protocol="events")
    app = make_app(settings)
    async with app.run_test(size=(130, 40)) as pilot:
        screen = await pick(pilot, "chat")
        await send(pilot, "hello over events")
        await settle(pilot, screen)
        session: Any = screen.session
        assert session.outcome.protocol == "events" and session.outcome.status == "success"
        bar = screen.status_bar
        assert "event protocol" in bar.render().plain
        assert "You said: hello over events. Here is a streamed answer." in view_text(screen)
        thread_id = screen.thread_id
        state = httpx.get(f"{server_url}/threads/{thread_id}/state", timeout=30).json()
        stored = [m["id"] for m in state["values"]["messages"]]
        assert [m.id for m in session.transcript.messages if m.role != "note"] == stored
        runs = httpx.get(f"{server_url}/threads/{thread_id}/runs", timeout=30).json()
        configurable = runs[0]["kwargs"]["config"]["configurable"]
        assert configurable.get("__event_streaming_v2") is True


async def test_saving_a_profile_in_the_form_keeps_its_protocol(
    server_url: str, tmp_path: Any
) -> None:
    from app_pilot import ready, wait_for

    from bbot_tui.config.settings import load_settings, save_settings
    from bbot_tui.tui.screens.connection import ConnectionScreen

    path = tmp_path / "settings.json"
    settings = settings_for(server_url)
    settings.profiles["local"] = Profile(name="local", base_url=server_url, protocol="events")
    save_settings(settings, path)
    app = make_app(None, settings_path=path)
    async with app.run_test(size=(140, 42)) as pilot:
        await ready(pilot)
        await pilot.press("f3")
        await wait_for(pilot, lambda: isinstance(app.screen, ConnectionScreen), "the form")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: not isinstance(app.screen, ConnectionScreen), "saved")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
    assert load_settings(path).settings.profiles["local"].protocol == "events"
