"""The first hour of a new user, running things: detaching from a run, answering a question by
typing, and a conversation that shows what the user answered (issue 11).

Against the real local server (the test graphs of ``tests/graphs``). Each bug test failed
before its fix.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from app_pilot import own_assistant, pick, send, settings_for, settle, view_text, wait_for
from debug_pilot import after_run
from textual.pilot import Pilot
from textual.widgets import Input, RadioSet, TextArea

from bbot_tui.tui.app import make_app
from bbot_tui.tui.screens.main import MainScreen
from bbot_tui.tui.widgets.interrupt_card import InterruptCard
from bbot_tui.tui.widgets.interrupt_item import InterruptItem


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


# --- answering a question: by typing, and what the transcript then says ---------------------


async def _question(pilot: Pilot[Any], graph: str) -> MainScreen:
    url = pilot.app.server_url  # type: ignore[attr-defined]
    screen = await pick(pilot, graph, own_assistant(url, graph))
    await after_run(pilot, screen, lambda: send(pilot, "hello"))
    card = screen.query_one(InterruptCard)
    await wait_for(pilot, lambda: card.display and card.query(InterruptItem), "the question")
    return screen


def _app(url: str) -> Any:
    app = make_app(settings_for(url), persist=False)
    app.server_url = url  # type: ignore[attr-defined]
    return app


async def _type_reply(pilot: Pilot[Any], screen: MainScreen, text: str) -> Any:
    """Type a reply in the composer (not sent): the command the card says Enter will send."""
    screen.composer.focus()
    screen.composer.load_text(text)
    await pilot.pause()
    line = screen.query_one("#interrupt-typed")
    await wait_for(pilot, lambda: line.display, "the typed reply's command")
    shown = str(line.render())
    assert shown.startswith("Enter in the composer sends "), shown
    return json.loads(shown.removeprefix("Enter in the composer sends "))


def _notes(screen: MainScreen) -> list[str]:
    return [m.text for m in screen.transcript.messages if m.role == "note"]


# (graph, typed reply, command previewed and sent, what the graph recorded, the note)
TYPED = {
    "v1-yes": (
        "hitl_v1",
        "yes",
        {"resume": {"decisions": [{"type": "approve"}]}},
        "decision: approve",
        "you approved send_email",
    ),
    "v1-reply": (
        "hitl_v1",
        "send it tomorrow instead",
        {"resume": {"decisions": [{"type": "reject", "message": "send it tomorrow instead"}]}},
        "decision: reject send it tomorrow instead",
        "you rejected send_email: send it tomorrow instead",
    ),
    "legacy-approve": (
        "legacy_hitl",
        "Approve.",
        {"resume": [{"type": "accept", "args": None}]},
        "decision: accept",
        "you accepted send_email",
    ),
    "legacy-reply": (
        "legacy_hitl",
        "ask Bob first",
        {"resume": [{"type": "response", "args": "ask Bob first"}]},
        'decision: response "ask Bob first"',
        "you replied: ask Bob first",
    ),
    "free-form": ("approval", "yes", {"resume": "yes"}, "you said yes", "you answered: yes"),
}


@pytest.mark.parametrize("case", list(TYPED))
async def test_a_typed_reply_is_the_structured_answer_it_means(case: str, server_url: str) -> None:
    graph, reply, command, recorded, note = TYPED[case]
    app = _app(server_url)
    async with app.run_test(size=(140, 42)) as pilot:
        screen = await _question(pilot, graph)
        assert await _type_reply(pilot, screen, reply) == command  # shown before it is sent
        await after_run(pilot, screen, lambda: pilot.press("enter"))
        state = _get(server_url, f"/threads/{screen.thread_id}/state")
        assert state["values"]["messages"][-1]["content"] == recorded
        # the conversation reads as what happened: question, the answer, then its outcome
        roles = [m.role for m in screen.transcript.messages]
        assert _notes(screen) == [note]
        assert roles[-2:] == ["note", "ai"]
        assert note in view_text(screen)


async def test_a_reply_that_cannot_be_sent_says_why_and_sends_nothing(server_url: str) -> None:
    app = _app(server_url)
    async with app.run_test(size=(140, 42)) as pilot:
        screen = await _question(pilot, "parallel")  # two questions: one reply cannot do
        state = _get(server_url, f"/threads/{screen.thread_id}/state")
        assert len(state["interrupts"]) == 2
        screen.composer.focus()
        screen.composer.load_text("yes")
        await pilot.pause()
        line = screen.query_one("#interrupt-typed")
        await wait_for(pilot, lambda: line.display, "the reason")
        assert "several questions" in str(line.render())
        await pilot.press("enter")
        await pilot.pause(0.5)
        assert not screen.running and _notes(screen) == []
        assert _get(server_url, f"/threads/{screen.thread_id}/state") == state  # nothing sent


async def test_answers_from_the_card_are_lines_of_the_transcript(server_url: str) -> None:
    app = _app(server_url)
    async with app.run_test(size=(140, 48)) as pilot:
        screen = await _question(pilot, "hitl_v1")
        card = screen.query_one(InterruptCard)
        # edit, through the card's controls
        radio = card.query_one("#q0-kind-0", RadioSet)
        radio.focus()
        await pilot.press("right", "enter")  # approve → edit
        editor = card.query_one("#q0-args-0", TextArea)
        await wait_for(pilot, lambda: editor.display, "the args editor")
        editor.load_text('{"to": "x@y.z", "body": "later"}')
        await pilot.pause()
        await after_run(pilot, screen, lambda: pilot.press("ctrl+s"))
        assert _notes(screen) == ['you edited send_email to {"to": "x@y.z", "body": "later"}']

    app = _app(server_url)
    async with app.run_test(size=(140, 48)) as pilot:
        screen = await _question(pilot, "approval")
        card = screen.query_one(InterruptCard)
        update = {"messages": [{"role": "user", "content": "a note"}]}
        card.query_one("#interrupt-update", TextArea).load_text(json.dumps(update))
        card.query_one("#interrupt-goto", Input).value = "approve"
        answer = card.query_one("#q0-answer", Input)
        answer.focus()
        answer.value = "ship it"
        await pilot.pause()
        await after_run(pilot, screen, lambda: pilot.press("enter"))
        [note] = _notes(screen)
        assert note.startswith("you answered: ship it; sent a state update {")
        assert note.endswith("; sent the run to approve")
