"""Breakpoints through the real app against the real local server (graph ``steps``).

F9 lists the assistant's graph nodes; ``b`` / ``a`` toggle a breakpoint in one keystroke; the run
stops there, the interrupt card shows "stopped before X" with the state at the stop, and
Continue (input null) runs on. Every check of the graph's progress reads the thread state the
server reports.
"""

from __future__ import annotations

import httpx
from app_pilot import own_assistant, pick, send, settings_for, wait_for
from debug_pilot import after_run

from bbot_tui.tui.app import make_app
from bbot_tui.tui.screens.breakpoints import BreakpointsScreen
from bbot_tui.tui.widgets.interrupt_card import InterruptCard
from bbot_tui.tui.widgets.json_view import JsonView


def _state(url: str, thread_id: str) -> dict:
    response = httpx.get(f"{url}/threads/{thread_id}/state", timeout=30)
    response.raise_for_status()
    return response.json()


def _contents(state: dict) -> list[str]:
    return [m["content"] for m in state["values"]["messages"]]


async def test_breakpoint_before_a_node_stops_shows_the_state_and_continues(
    server_url: str,
) -> None:
    name = own_assistant(server_url, "steps")
    app = make_app(settings_for(server_url))
    async with app.run_test(size=(120, 44)) as pilot:
        screen = await pick(pilot, "steps", name)
        await pilot.press("f9")
        await wait_for(pilot, lambda: isinstance(app.screen, BreakpointsScreen), "breakpoints")
        bp: BreakpointsScreen = app.screen  # type: ignore[assignment]
        assert bp.node_names == ["step1", "step2", "step3"]  # fed by the assistant's graph
        await pilot.press("down", "down", "b", "enter")  # *, step1, step2: stop before step2
        await wait_for(pilot, lambda: app.screen is screen, "the main screen")
        assert screen.runs.options().interrupt_before == ["step2"]
        assert screen.runs.options().interrupt_after == []

        await after_run(pilot, screen, lambda: send(pilot, "hello"))
        card = screen.query_one(InterruptCard)
        await wait_for(pilot, lambda: card.display and card.query("#interrupt-state"), "the card")
        assert screen.transcript.stop == "breakpoint"
        assert str(card.query_one("#interrupt-title").render()) == "stopped before step2"
        shown = str(card.query_one("#interrupt-state").render())
        assert "ran: step1" in shown and "next: step2" in shown and "task step2  pending" in shown
        values = card.query_one("#interrupt-values", JsonView)
        server = _state(server_url, screen.thread_id or "")
        assert values.value == server["values"]  # the state shown is the server's
        assert server["next"] == ["step2"] and _contents(server) == ["hello", "step1"]
        assert not card.query("#interrupt-send")  # a breakpoint is not a question
        assert screen.composer.mode == "breakpoint"

        await after_run(pilot, screen, lambda: pilot.click("#interrupt-continue"))
        server = _state(server_url, screen.thread_id or "")
        assert _contents(server) == ["hello", "step1", "step2", "step3"]
        assert server["next"] == [] and not card.display
        assert [m.text for m in screen.transcript.messages if m.role == "ai"] == [
            "step1",
            "step2",
            "step3",
        ]


async def test_stop_after_every_node_steps_through_the_graph(server_url: str) -> None:
    name = own_assistant(server_url, "steps")
    app = make_app(settings_for(server_url))
    async with app.run_test(size=(120, 44)) as pilot:
        screen = await pick(pilot, "steps", name)
        await pilot.press("f9")
        await wait_for(pilot, lambda: isinstance(app.screen, BreakpointsScreen), "breakpoints")
        await pilot.press("a", "escape")  # the "*" row: stop after every node
        await wait_for(pilot, lambda: app.screen is screen, "the main screen")
        assert screen.runs.options().interrupt_after == "*"

        await after_run(pilot, screen, lambda: send(pilot, "go"))
        card = screen.query_one(InterruptCard)
        for ran, after in (("step1", "step2"), ("step2", "step3")):
            await wait_for(pilot, lambda: card.display, "the breakpoint card")
            server = _state(server_url, screen.thread_id or "")
            assert server["next"] == [after] and _contents(server)[-1] == ran
            assert str(card.query_one("#interrupt-title").render()) == f"stopped before {after}"
            assert f"ran: {ran}" in str(card.query_one("#interrupt-state").render())
            await after_run(pilot, screen, lambda: pilot.click("#interrupt-continue"))
        # after the last node there is nothing left to stop before: the run simply ends
        server = _state(server_url, screen.thread_id or "")
        assert _contents(server) == ["go", "step1", "step2", "step3"]
        assert server["next"] == [] and not card.display
