"""Stop (Escape) versus detach (ctrl+d) through the real app, on the ``slow`` graph.

Stop cancels the run on the server: the thread is left ``interrupted`` with no pending
interrupt, and the card says "run stopped", never a question. Detach only stops following:
the run finishes on the server, and reopening the thread (while it still runs, or after) shows
its whole answer, equal to the server's.
"""

from __future__ import annotations

from typing import Any

import httpx
from app_pilot import own_assistant, pick, send, settings_for, settle, wait_for
from debug_pilot import run_id
from textual.pilot import Pilot

from bbot_tui.tui.app import make_app
from bbot_tui.tui.screens.main import MainScreen
from bbot_tui.tui.widgets.interrupt_card import InterruptCard
from bbot_tui.tui.widgets.interrupt_item import InterruptItem


def _get(url: str, path: str) -> Any:
    response = httpx.get(f"{url}{path}", timeout=30)
    response.raise_for_status()
    return response.json()


def _ai_text(screen: MainScreen) -> str:
    return "".join(m.text for m in screen.transcript.messages if m.role == "ai")


async def _streaming(pilot: Pilot[Any], graph_config: dict[str, Any]) -> MainScreen:
    url = pilot.app.server_url  # type: ignore[attr-defined]
    screen = await pick(pilot, "slow", own_assistant(url, "slow", configurable=graph_config))
    await send(pilot, "talk to me")
    await wait_for(pilot, lambda: "tok3" in _ai_text(screen), "the answer to stream")
    assert screen.running
    return screen


def _app(url: str) -> Any:
    app = make_app(settings_for(url))
    app.server_url = url  # type: ignore[attr-defined]
    return app


async def _reopen(pilot: Pilot[Any], screen: MainScreen, thread_id: str) -> None:
    """Start a new conversation, then pick the thread in the thread list (keyboard)."""
    await pilot.press("ctrl+n")
    await wait_for(pilot, lambda: screen.thread_id is None, "a new conversation")
    pane_list: Any = screen.query_one("#thread-list")
    await wait_for(
        pilot,
        lambda: any(
            pane_list.get_option_at_index(i).id == thread_id for i in range(pane_list.option_count)
        ),
        "the thread in the list",
    )
    index = next(
        i for i in range(pane_list.option_count) if pane_list.get_option_at_index(i).id == thread_id
    )
    pane_list.focus()
    pane_list.highlighted = index
    await pilot.press("enter")
    await wait_for(pilot, lambda: screen.thread_id == thread_id, "the thread to open")


async def test_escape_cancels_on_the_server_and_shows_no_question(server_url: str) -> None:
    app = _app(server_url)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _streaming(pilot, {"tokens": 3000, "delay": 0.02})
        run_id = screen.session.run_id if screen.session else None
        await pilot.press("escape")
        await settle(pilot, screen)
        thread = _get(server_url, f"/threads/{screen.thread_id}")
        assert thread["status"] == "interrupted" and thread["interrupts"] == {}
        run = _get(server_url, f"/threads/{screen.thread_id}/runs/{run_id}")
        assert run["status"] == "interrupted"
        card = screen.query_one(InterruptCard)
        await wait_for(pilot, lambda: card.display, "the card")
        assert card.has_class("-cancelled") and not card.query(InterruptItem)
        assert str(card.query_one("#interrupt-title").render()).startswith("run stopped")
        assert screen.transcript.stop == "cancelled"
        assert screen.composer.mode == "chat"  # a new message starts a new run
        assert screen.status_bar.status == "stopped"
        assert "tok2999" not in _ai_text(screen)
        # the partial answer the server never saved stays on screen, flagged as not saved
        assert [m.unsaved for m in screen.transcript.messages if m.role == "ai"] == [True]


async def test_detached_run_finishes_and_reopening_shows_the_whole_answer(
    server_url: str,
) -> None:
    app = _app(server_url)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _streaming(pilot, {"tokens": 120, "delay": 0.01})
        thread_id = screen.thread_id or ""
        await pilot.press("ctrl+d")
        await wait_for(pilot, lambda: not screen.running, "the detach")
        assert screen.status_bar.status == "detached"
        partial = _ai_text(screen)
        assert "tok119" not in partial
        await wait_for(
            pilot,
            lambda: _get(server_url, f"/threads/{thread_id}")["status"] == "idle",
            "the run to finish on the server",
        )
        await _reopen(pilot, screen, thread_id)
        await settle(pilot, screen)
        server = _get(server_url, f"/threads/{thread_id}/state")["values"]["messages"][-1]
        assert server["content"].endswith("tok119")
        assert _ai_text(screen) == server["content"]
        assert not screen.query_one(InterruptCard).display


async def test_reopening_a_busy_thread_rejoins_its_live_run(server_url: str) -> None:
    app = _app(server_url)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _streaming(pilot, {"tokens": 300, "delay": 0.02})
        thread_id = screen.thread_id or ""
        await pilot.press("ctrl+d")
        await wait_for(pilot, lambda: not screen.running, "the detach")
        await _reopen(pilot, screen, thread_id)
        await wait_for(pilot, lambda: run_id(screen) is not None, "the rejoin of the live run")
        await settle(pilot, screen)
        state = _get(server_url, f"/threads/{thread_id}/state")
        final = state["values"]["messages"][-1]["content"]
        assert final.endswith("tok299")
        ai = [m.text for m in screen.transcript.messages if m.role == "ai"]
        assert ai == [final]  # the whole answer once: no doubled or lost text
