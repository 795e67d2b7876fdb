"""Interrupts answered through the card of the REAL app (main screen) against the local server.

Each test sends a message, waits for the question, works the card with the keyboard, reads the
exact ``command`` previewed before sending, sends it, and checks the thread's final state with
the server (not with what the app believes).
"""

from __future__ import annotations

import json
from typing import Any

import httpx
from app_pilot import own_assistant, pick, send, settings_for, wait_for
from debug_pilot import after_run
from textual.pilot import Pilot
from textual.widgets import Input, RadioSet, TextArea

from bbot_tui.tui.app import make_app
from bbot_tui.tui.screens.main import MainScreen
from bbot_tui.tui.widgets.interrupt_card import InterruptCard
from bbot_tui.tui.widgets.interrupt_item import InterruptItem


def _state(url: str, thread_id: str | None) -> dict[str, Any]:
    response = httpx.get(f"{url}/threads/{thread_id}/state", timeout=30)
    response.raise_for_status()
    return response.json()


def _preview(card: InterruptCard) -> Any:
    """The command the card shows it will send, parsed."""
    text = str(card.query_one("#interrupt-preview").render())
    assert text.startswith("command ")
    return json.loads(text.removeprefix("command "))


async def _question(
    pilot: Pilot[Any], graph: str, text: str = "hello", **options: Any
) -> MainScreen:
    """Pick a fresh assistant of ``graph`` (with these run options), send, wait for the question."""
    screen = await pick(pilot, graph, own_assistant(pilot.app.server_url, graph))  # type: ignore[attr-defined]
    if options:
        screen.runs.store_options(screen.runs.options().model_copy(update=options))
    await after_run(pilot, screen, lambda: send(pilot, text))
    card = screen.query_one(InterruptCard)
    await wait_for(pilot, lambda: card.display and card.query(InterruptItem), "the question")
    assert screen.transcript.stop == "question"
    return screen


def _app(url: str) -> Any:
    app = make_app(settings_for(url))
    app.server_url = url  # type: ignore[attr-defined]
    return app


async def test_generic_question_answered_with_update_through_the_app(server_url: str) -> None:
    app = _app(server_url)
    async with app.run_test(size=(120, 48)) as pilot:
        screen = await _question(pilot, "approval")
        card = screen.query_one(InterruptCard)
        item = card.query_one(InterruptItem)
        assert item.shape == "generic" and item.interrupt.value["question"] == "approve?"
        before = _state(server_url, screen.thread_id)
        assert before["next"] == ["approve"] and before["interrupts"][0]["id"] == item.interrupt.id
        update = {"messages": [{"role": "user", "content": "note from the reviewer"}]}
        card.query_one("#interrupt-update", TextArea).load_text(json.dumps(update))
        app.query_one("#q0-answer", Input).focus()
        await pilot.press(*"ship it")
        await pilot.pause()
        assert _preview(card) == {"resume": "ship it", "update": update}  # shown before sending
        await after_run(pilot, screen, lambda: pilot.press("enter"))
        after = _state(server_url, screen.thread_id)
        contents = [m["content"] for m in after["values"]["messages"]]
        assert contents[-2:] == ["note from the reviewer", "you said ship it"]
        assert after["next"] == [] and not card.display
        assert screen.transcript.messages[-1].text == "you said ship it"


async def test_legacy_human_interrupt_accept_through_the_app(server_url: str) -> None:
    app = _app(server_url)
    async with app.run_test(size=(120, 48)) as pilot:
        screen = await _question(pilot, "legacy_hitl")
        card = screen.query_one(InterruptCard)
        item = card.query_one(InterruptItem)
        assert item.shape == "legacy" and [r.action for r in item.legacy] == ["send_email"]
        assert _preview(card) == {"resume": [{"type": "accept", "args": None}]}
        app.query_one("#q0-kind-0", RadioSet).focus()
        await after_run(pilot, screen, lambda: pilot.press("ctrl+s"))
        after = _state(server_url, screen.thread_id)
        assert after["values"]["decision"] == [{"type": "accept", "args": None}]
        assert after["values"]["messages"][-1]["content"] == "decision: accept"
        assert after["next"] == []


async def test_hitl_v1_approve_through_the_app(server_url: str) -> None:
    app = _app(server_url)
    async with app.run_test(size=(120, 48)) as pilot:
        screen = await _question(pilot, "hitl_v1")
        card = screen.query_one(InterruptCard)
        assert card.query_one(InterruptItem).shape == "hitl_v1"
        assert _preview(card) == {"resume": {"decisions": [{"type": "approve"}]}}
        await after_run(pilot, screen, lambda: pilot.click("#interrupt-send"))
        after = _state(server_url, screen.thread_id)
        assert after["values"]["decision"] == {"decisions": [{"type": "approve"}]}
        assert after["values"]["messages"][-1]["content"] == "decision: approve"


async def test_two_parallel_interrupts_in_one_resume_through_the_app(server_url: str) -> None:
    app = _app(server_url)
    async with app.run_test(size=(120, 48)) as pilot:
        screen = await _question(pilot, "parallel")
        card = screen.query_one(InterruptCard)
        items = list(card.query(InterruptItem))
        assert len(items) == 2
        server_ids = {i["id"] for i in _state(server_url, screen.thread_id)["interrupts"]}
        assert {i.interrupt.id for i in items} == server_ids
        answers = {}
        for item in items:
            answer = "yes-" + item.interrupt.value["question"][0]
            answers[item.interrupt.id] = answer
            app.query_one(f"#q{item.index}-answer", Input).focus()
            await pilot.press(*answer)
        await pilot.pause()
        assert _preview(card) == {"resume": answers}  # ONE command, a map by interrupt id
        await after_run(pilot, screen, lambda: pilot.press("ctrl+s"))
        after = _state(server_url, screen.thread_id)
        assert after["values"]["a"] == "yes-a" and after["values"]["b"] == "yes-b"
        assert after["values"]["messages"][-1]["content"] == "a=yes-a b=yes-b"
        assert after["interrupts"] == [] and after["next"] == []


async def test_subgraph_interrupt_shows_its_namespace_and_resumes_the_parent(
    server_url: str,
) -> None:
    app = _app(server_url)
    async with app.run_test(size=(120, 48)) as pilot:
        screen = await _question(pilot, "subgraph", stream_subgraphs=True)
        card = screen.query_one(InterruptCard)
        item = card.query_one(InterruptItem)
        assert item.interrupt.ns and item.interrupt.ns[0].startswith("child")
        assert "in child" in str(card.query_one(".interrupt-head").render())
        app.query_one("#q0-answer", Input).focus()
        await after_run(pilot, screen, lambda: pilot.press(*"deep", "enter"))
        contents = [
            m["content"] for m in _state(server_url, screen.thread_id)["values"]["messages"]
        ]
        assert "inner got deep" in contents


async def test_goto_instead_of_the_answer_flow(server_url: str) -> None:
    """``command.goto`` from the card: answer, then run ``chat`` again before going on."""
    app = _app(server_url)
    async with app.run_test(size=(120, 48)) as pilot:
        screen = await _question(pilot, "approval")
        card = screen.query_one(InterruptCard)
        app.query_one("#interrupt-goto", Input).value = "chat"
        app.query_one("#q0-answer", Input).focus()
        await pilot.press(*"again")
        assert _preview(card) == {"resume": "again", "goto": "chat"}
        await after_run(pilot, screen, lambda: pilot.press("enter"))
        after = _state(server_url, screen.thread_id)
        # the answer is recorded, goto runs "chat" once more, and "approve" asks again
        contents = [m["content"] for m in after["values"]["messages"]]
        assert contents[2:] == ["you said again", "You said: hello. Here is a streamed answer."]
        assert after["next"] == ["approve"] and len(after["interrupts"]) == 1
        await wait_for(pilot, lambda: card.display and card.query(InterruptItem), "the question")
