"""The first hour of a new user, running things: detaching from a run, answering a question by
typing, and a conversation that shows what the user answered (issue 11).

Against the real local server (the test graphs of ``tests/graphs``). Each bug test failed
before its fix.
"""

from __future__ import annotations

from typing import Any

import httpx
from app_pilot import own_assistant, pick, send, settings_for, settle, view_text, wait_for

from bbot_tui.tui.app import make_app


def _get(url: str, path: str) -> Any:
    response = httpx.get(f"{url}{path}", timeout=30)
    response.raise_for_status()
    return response.json()


async def test_a_detached_answer_says_so_and_its_row_follows_the_run(server_url: str) -> None:
    name = own_assistant(server_url, "slow", configurable={"tokens": 150, "delay": 0.02})
    app = make_app(settings_for(server_url), persist=False)
    async with app.run_test(size=(140, 42)) as pilot:
        screen = await pick(pilot, "slow", name)
        await send(pilot, "talk to me")

        def ai() -> Any:
            return next((m for m in screen.transcript.messages if m.role == "ai"), None)

        await wait_for(pilot, lambda: ai() is not None and "tok3" in ai().text, "the stream")
        assert "streaming…" in view_text(screen)
        thread_id = screen.thread_id or ""
        await pilot.press("ctrl+d")
        await wait_for(pilot, lambda: not screen.running, "the detach")
        await pilot.pause(0.3)
        assert not ai().streaming
        shown = view_text(screen)
        assert "streaming…" not in shown and "▍" not in shown  # no frozen cursor
        assert "detached" in shown  # the message says why it stopped growing

        # the run finishes on the server; the thread's row follows without a reopen
        await wait_for(
            pilot,
            lambda: _get(server_url, f"/threads/{thread_id}")["status"] == "idle",
            "the run to finish on the server",
        )
        pane = screen.thread_pane
        await wait_for(pilot, lambda: pane.get(thread_id).status == "idle", "the idle row")
        await settle(pilot, screen)
