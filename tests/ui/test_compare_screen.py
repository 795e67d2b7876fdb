"""The compare screen against the real local server: two assistants stream at once, side by side.

``/compare NAME`` opens the screen on the open assistant (A) and NAME (B). Two ``slow``
assistants stream into their panes at the same time (both panes busy at once, both runs live on
the server together); each pane's view shows its own answer and the diff names what differs.
Then ``approval`` against ``chat``: A stops at its question, which is answered in A's pane (B is
left alone) and the diff follows the answer.
"""

from __future__ import annotations

from typing import Any

import httpx
from app_pilot import own_assistant, pick, screen_text, settings_for, wait_for
from textual.widgets import Input

from bbot_tui.tui.app import make_app
from bbot_tui.tui.screens.compare import ComparePane, CompareScreen
from bbot_tui.tui.screens.run_details import RunDetailsScreen


async def _open_compare(pilot: Any, screen: Any, other: str) -> CompareScreen:
    app = pilot.app
    screen.composer.focus()
    screen.composer.load_text(f"/compare {other}")
    await pilot.press("enter")
    await wait_for(pilot, lambda: isinstance(app.screen, CompareScreen), "the compare screen")
    await pilot.pause()
    return app.screen  # type: ignore[no-any-return]


async def _send(pilot: Any, compare: CompareScreen, text: str) -> None:
    box = compare.query_one("#compare-message", Input)
    box.focus()
    box.value = text
    await pilot.press("enter")


def _run_interval(url: str, thread_id: str, run_id: str) -> tuple[str, str]:
    run = httpx.get(f"{url}/threads/{thread_id}/runs/{run_id}").json()
    return run["created_at"], run["updated_at"]


async def test_two_assistants_stream_at_once_in_two_panes(server_url: str) -> None:
    a_name = own_assistant(server_url, "slow", configurable={"tokens": 80, "delay": 0.02})
    b_name = own_assistant(server_url, "slow", configurable={"tokens": 60, "delay": 0.02})
    app = make_app(settings_for(server_url))
    async with app.run_test(size=(140, 45)) as pilot:
        screen = await pick(pilot, "slow", a_name)
        compare = await _open_compare(pilot, screen, b_name)
        await _send(pilot, compare, "go")
        pane_a, pane_b = compare.pane("A"), compare.pane("B")
        both: list[bool] = []

        def streaming_together() -> bool:
            c = compare.comparison
            if c is None:
                return False
            growing = [
                any(m.streaming and m.text for m in side.transcript.messages) for side in c.sides
            ]
            both.append(all(growing) and pane_a.has_class("-busy") and pane_b.has_class("-busy"))
            return both[-1]

        await wait_for(pilot, streaming_together, "both panes streaming at once")
        await wait_for(pilot, lambda: compare.has_class("-diff"), "the diff")
        comparison = compare.comparison
        assert comparison is not None and not compare.running
        a, b = comparison.sides
        assert a.transcript.messages[-1].text == " ".join(f"tok{i}" for i in range(80))
        assert b.transcript.messages[-1].text == " ".join(f"tok{i}" for i in range(60))
        assert a.thread_id != b.thread_id
        # each view shows its own side's transcript
        assert pane_a.view.transcript is a.transcript and pane_b.view.transcript is b.transcript
        # both runs were live on the server together
        start_a, end_a = _run_interval(server_url, a.thread_id or "", a.session.run_id or "")
        start_b, end_b = _run_interval(server_url, b.thread_id or "", b.session.run_id or "")
        assert start_a < end_b and start_b < end_a
        shown = screen_text(app)
        assert "Tool calls that differ" in shown and "tok79" in shown
        assert f"A · {a_name} · success" in shown and f"B · {b_name} · success" in shown
        # t in a pane: that side's run details
        pane_b.view.focus()
        await pilot.press("t")
        await wait_for(pilot, lambda: isinstance(app.screen, RunDetailsScreen), "run details")
        assert app.screen.timing is not None  # type: ignore[attr-defined]
        assert app.screen.timing.run_id == b.session.run_id  # type: ignore[attr-defined]
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is compare, "back to the compare screen")
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen, "back to the conversation")


async def test_a_question_is_answered_in_its_own_pane(server_url: str) -> None:
    a_name = own_assistant(server_url, "approval")
    b_name = own_assistant(server_url, "chat")
    app = make_app(settings_for(server_url))
    async with app.run_test(size=(140, 45)) as pilot:
        screen = await pick(pilot, "approval", a_name)
        compare = await _open_compare(pilot, screen, b_name)
        await _send(pilot, compare, "hi")
        await wait_for(pilot, lambda: compare.has_class("-diff"), "the first diff")
        comparison = compare.comparison
        assert comparison is not None
        a, b = comparison.sides
        assert a.status == "interrupted" and b.status == "success"
        card_a, card_b = compare.pane("A").card, compare.pane("B").card
        await wait_for(pilot, lambda: card_a.display, "A's question")
        assert not card_b.display
        b_runs = b.session.run_id

        answer = card_a.query_one("#q0-answer", Input)
        answer.focus()
        await pilot.press(*"yes", "enter")
        await wait_for(pilot, lambda: a.status == "success", "A to go on")
        await wait_for(pilot, lambda: not card_a.display, "A's card to close")
        assert a.transcript.messages[-1].text == "you said yes"
        assert b.session.run_id == b_runs  # B was left alone
        await wait_for(pilot, lambda: "+++ B" in screen_text(app), "the diff after the answer")
        shown = screen_text(app)
        assert "you said yes" in shown
        assert isinstance(compare.pane("A"), ComparePane)
