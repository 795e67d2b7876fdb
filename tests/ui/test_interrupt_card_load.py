"""``InterruptCard.load_answers`` fills the controls with an answer (presenter mode), no server.

For every payload shape the card is given a question, loaded with an answer, and must then
build exactly that answer (``load`` is the inverse of ``answer``); an answer that does not fit
the question's controls is refused and the controls stay as they were.
"""

from __future__ import annotations

from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.widgets import Input, TextArea

from bbot_tui.stream.transcript import PendingInterrupt, Transcript
from bbot_tui.tui.resources import stylesheet
from bbot_tui.tui.widgets.interrupt_card import InterruptCard

V1 = {
    "action_requests": [
        {"name": "send_email", "args": {"to": "bob@example.com"}, "description": "Send it?"}
    ],
    "review_configs": [
        {"action_name": "send_email", "allowed_decisions": ["approve", "edit", "reject"]}
    ],
}
LEGACY = {
    "action_request": {"action": "publish", "args": {"text": "hi"}},
    "config": {
        "allow_accept": True,
        "allow_edit": True,
        "allow_respond": True,
        "allow_ignore": False,
    },
    "description": "Publish?",
}


class _Harness(App[None]):
    CSS_PATH = [stylesheet("interrupt_card.tcss")]

    def compose(self) -> ComposeResult:
        yield InterruptCard()


def _question(value: Any) -> Transcript:
    t = Transcript()
    t.stop = "question"
    t.interrupts = [PendingInterrupt(id="int-1", value=value)]
    return t


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        (V1, {"decisions": [{"type": "approve"}]}),
        (
            V1,
            {
                "decisions": [
                    {"type": "edit", "edited_action": {"name": "send_email", "args": {"to": "x"}}}
                ]
            },
        ),
        (V1, {"decisions": [{"type": "reject", "message": "not now"}]}),
        (LEGACY, {"type": "accept", "args": None}),
        (LEGACY, {"type": "edit", "args": {"action": "publish", "args": {"text": "bye"}}}),
        (LEGACY, {"type": "response", "args": "later please"}),
        ("What is your name?", "Ann"),
        ("Pick numbers", {"numbers": [1, 2]}),
    ],
)
async def test_a_loaded_answer_is_the_answer_the_card_sends(question: Any, answer: Any) -> None:
    app = _Harness()
    async with app.run_test() as pilot:
        card = app.query_one(InterruptCard)
        card.transcript = _question(question)
        await pilot.pause()
        assert card.load_answers({"int-1": answer})
        await pilot.pause()
        await pilot.pause()
        assert card.build_command().resume == answer
        preview = str(card.query_one("#interrupt-preview").render())
        assert "resume" in preview


async def test_an_answer_that_does_not_fit_is_refused() -> None:
    app = _Harness()
    async with app.run_test() as pilot:
        card = app.query_one(InterruptCard)
        card.transcript = _question(V1)
        await pilot.pause()
        before = card.build_command().resume
        assert not card.load_answers({"int-1": {"decisions": [{"type": "ignore"}]}})
        assert not card.load_answers({"int-1": "just text"})
        assert not card.load_answers({"another-id": {"decisions": [{"type": "approve"}]}})
        await pilot.pause()
        assert card.build_command().resume == before
        assert card.query_one("#q0-args-0", TextArea).display is False
        assert card.query_one("#q0-text-0", Input).value == ""
