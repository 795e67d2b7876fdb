"""What a typed reply means for a question, what the transcript says was answered, and where
that line stays when the run is reconciled with the thread state (issue 11)."""

from __future__ import annotations

from typing import Any

import pytest

from bbot_tui.api.models import Command
from bbot_tui.session.interrupts import describe_command, typed_answer, typed_command
from bbot_tui.stream.reducer import Reducer
from bbot_tui.stream.transcript import NOTE, PendingInterrupt, Transcript

V1 = {
    "action_requests": [{"name": "send_email", "args": {"to": "a@b.c"}}],
    "review_configs": [{"action_name": "send_email", "allowed_decisions": ["approve", "edit"]}],
}
LEGACY = {
    "action_request": {"action": "delete", "args": {"path": "/tmp/x"}},
    "config": {"allow_accept": True, "allow_respond": True},
    "description": "Delete it?",
}


def _q(value: Any, interrupt_id: str = "i1") -> PendingInterrupt:
    return PendingInterrupt(interrupt_id, value)


@pytest.mark.parametrize(
    ("value", "text", "expected"),
    [
        (V1, "yes", {"decisions": [{"type": "approve"}]}),
        (V1, " Approve! ", {"decisions": [{"type": "approve"}]}),
        (LEGACY, "ok", {"type": "accept", "args": None}),
        (LEGACY, "only the tmp copy", {"type": "response", "args": "only the tmp copy"}),
        ([LEGACY], "LGTM", [{"type": "accept", "args": None}]),
        ({"question": "colour?"}, "blue", "blue"),
        ({"question": "colour?"}, "yes", "yes"),  # a free-form question takes the text as is
        ({"question": "x?"}, ' {"a": 1} ', {"a": 1}),  # JSON typed is the answer itself
        (V1, '{"decisions": [{"type": "edit"}]}', {"decisions": [{"type": "edit"}]}),
    ],
)
def test_a_typed_reply_means_the_structured_answer(value: Any, text: str, expected: Any) -> None:
    assert typed_answer(text, _q(value)) == expected


@pytest.mark.parametrize(
    ("value", "text", "why"),
    [
        (V1, "no", "rejecting send_email is not allowed"),  # the review allows no reject
        (V1, "not like this", "rejecting send_email is not allowed"),
        (LEGACY, "no", "ignoring delete is not allowed"),
        (LEGACY, "   ", "type an answer"),
    ],
)
def test_a_reply_the_question_does_not_allow_is_refused(value: Any, text: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        typed_answer(text, _q(value))


def test_a_typed_command_answers_one_question_only() -> None:
    command = typed_command("yes", [_q(V1)])
    assert command.to_body() == {"resume": {"decisions": [{"type": "approve"}]}}
    with pytest.raises(ValueError, match="several questions"):
        typed_command("yes", [_q(V1, "a"), _q(V1, "b")])
    with pytest.raises(ValueError, match="no question"):
        typed_command("yes", [])


@pytest.mark.parametrize(
    ("fields", "pending", "line"),
    [
        ({"resume": {"decisions": [{"type": "approve"}]}}, [_q(V1)], "you approved send_email"),
        (
            {"resume": {"decisions": [{"type": "reject", "message": "later"}]}},
            [_q(V1)],
            "you rejected send_email: later",
        ),
        (
            {"resume": {"decisions": [{"type": "edit", "edited_action": {"args": {"to": 1}}}]}},
            [_q(V1)],
            'you edited send_email to {"to": 1}',
        ),
        ({"resume": {"type": "response", "args": "hm"}}, [_q(LEGACY)], "you replied: hm"),
        ({"resume": {"type": "ignore", "args": None}}, [_q(LEGACY)], "you ignored delete"),
        ({"resume": "blue"}, [_q({"q": 1})], "you answered: blue"),
        (
            {"resume": {"a": "x", "b": "y"}},
            [_q({"q": 1}, "a"), _q({"q": 2}, "b")],
            "you answered: x; answered: y",
        ),
        ({"goto": ["a", "b"]}, [], "you sent the run to a, b"),
        ({"update": {"k": 1}}, [], 'you sent a state update {"k": 1}'),
    ],
)
def test_what_a_command_answered_in_one_line(
    fields: dict[str, Any], pending: list[PendingInterrupt], line: str
) -> None:
    assert describe_command(Command.model_validate(fields), pending) == line


def _ai(message_id: str, text: str) -> dict[str, Any]:
    return {"type": "ai", "id": message_id, "content": text}


def test_a_note_stays_after_the_message_it_followed_when_the_run_is_reconciled() -> None:
    t = Transcript()
    reducer = Reducer(t)
    reducer.load_messages([{"type": "human", "id": "h1", "content": "hi"}, _ai("a1", "ask")])
    note = t.add_note("you approved send_email")
    reducer.load_messages([_ai("a2", "done")])  # the resumed run's answer, streamed after it
    assert [m.role for m in t.messages] == ["human", "ai", NOTE, "ai"]
    stored = [{"type": "human", "id": "h1", "content": "hi"}, _ai("a1", "ask"), _ai("a2", "done")]
    reducer.reconcile(stored)
    assert [m.key for m in t.messages] == ["h1", "a1", note.key, "a2"]
    assert t.to_json() == [
        {"id": m["id"], "type": m["type"], "content": m["content"]} for m in stored
    ]


def test_detaching_stops_every_stream_and_leaves_a_note() -> None:
    t = Transcript()
    growing = t.new_message("a1", "ai", streaming=True)
    t.detach("detached: the run goes on")
    assert not growing.streaming
    assert [(m.role, m.text) for m in t.messages][-1] == (NOTE, "detached: the run goes on")
