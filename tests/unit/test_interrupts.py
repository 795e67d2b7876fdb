"""Interrupt payload shapes, resume values and commands; JSON typed by a person."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from bbot_tui.api.models import Command
from bbot_tui.session.interrupts import (
    V1Action,
    classify,
    command_json,
    goto_command,
    legacy_requests,
    legacy_response,
    legacy_resume,
    resume_command,
    short_namespace,
    stop_title,
    update_command,
    v1_actions,
    v1_decision,
    v1_resume,
)
from bbot_tui.session.jsontext import JsonTextError, parse_json_or_text, parse_json_text
from bbot_tui.stream.transcript import PendingInterrupt

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "graphs"))
from hitl import LEGACY_REQUEST, V1_REQUEST, summarise_legacy, summarise_v1


def test_classify_the_three_shapes() -> None:
    assert classify(LEGACY_REQUEST) == "legacy"
    assert classify(LEGACY_REQUEST[0]) == "legacy"
    assert classify(V1_REQUEST) == "hitl_v1"
    assert classify({"question": "approve?"}) == "generic"
    assert classify("plain") == "generic"
    assert classify([]) == "generic"
    assert classify([LEGACY_REQUEST[0], {"x": 1}]) == "generic"
    assert classify({"action_requests": [], "review_configs": []}) == "generic"
    assert classify({"action_request": "not a dict", "config": {}}) == "generic"


def test_legacy_requests_read_the_allowed_responses() -> None:
    [request] = legacy_requests(LEGACY_REQUEST)
    assert request.action == "send_email"
    assert request.args == {"to": "a@b.c", "body": "hi"}
    assert request.allowed == ("accept", "edit", "response", "ignore")
    limited = {**LEGACY_REQUEST[0], "config": {"allow_accept": True, "allow_ignore": False}}
    assert legacy_requests(limited)[0].allowed == ("accept",)


def test_legacy_resume_values_are_what_the_graph_expects() -> None:
    accept = legacy_resume(LEGACY_REQUEST, [legacy_response("accept")])
    assert accept == [{"type": "accept", "args": None}]
    assert summarise_legacy(accept) == "decision: accept"
    edit = legacy_resume(
        LEGACY_REQUEST, [legacy_response("edit", action="send_email", args={"to": "x"})]
    )
    assert summarise_legacy(edit) == 'decision: edit {"action": "send_email", "args": {"to": "x"}}'
    reply = legacy_resume(LEGACY_REQUEST, [legacy_response("response", text="later")])
    assert summarise_legacy(reply) == 'decision: response "later"'
    assert legacy_resume(LEGACY_REQUEST[0], [legacy_response("ignore")]) == {
        "type": "ignore",
        "args": None,
    }
    with pytest.raises(ValueError):
        legacy_response("maybe")  # type: ignore[arg-type]


def test_v1_actions_and_decisions() -> None:
    assert v1_actions(V1_REQUEST) == [
        V1Action(
            name="send_email",
            args={"to": "a@b.c", "body": "hi"},
            description="Tool execution requires approval\n\nTool: send_email",
            allowed=("approve", "edit", "reject"),
        )
    ]
    only = {
        **V1_REQUEST,
        "review_configs": [{"action_name": "send_email", "allowed_decisions": ["reject"]}],
    }
    assert v1_actions(only)[0].allowed == ("reject",)
    assert v1_actions({"action_requests": [{"name": "t"}]})[0].allowed == (
        "approve",
        "edit",
        "reject",
    )
    assert summarise_v1(v1_resume([v1_decision("approve")])) == "decision: approve"
    edited = v1_resume([v1_decision("edit", name="send_email", args={"to": "z"})])
    assert edited == {
        "decisions": [
            {"type": "edit", "edited_action": {"name": "send_email", "args": {"to": "z"}}}
        ]
    }
    assert summarise_v1(edited) == 'decision: edit send_email {"to": "z"}'
    assert v1_decision("reject") == {"type": "reject"}
    assert summarise_v1(v1_resume([v1_decision("reject", message="no")])) == "decision: reject no"


def test_resume_command_single_and_map() -> None:
    one = [PendingInterrupt("i1", {"q": 1})]
    assert resume_command({"i1": "yes"}, one).to_body() == {"resume": "yes"}
    assert resume_command({"i1": None}, one).to_body() == {"resume": None}
    two = [PendingInterrupt("a", 1), PendingInterrupt("b", 2)]
    command = resume_command({"a": "A", "b": {"x": 1}}, two, update={"k": 1}, goto="join")
    assert command.to_body() == {
        "resume": {"a": "A", "b": {"x": 1}},
        "update": {"k": 1},
        "goto": "join",
    }
    with pytest.raises(ValueError, match="no answer for interrupt b"):
        resume_command({"a": 1}, two)
    with pytest.raises(ValueError, match="no id"):
        resume_command({None: 1, "b": 2}, [PendingInterrupt(None, 1), PendingInterrupt("b", 2)])
    with pytest.raises(ValueError, match="nothing to send"):
        resume_command({}, [])


def test_update_goto_and_preview() -> None:
    assert update_command({"m": 1}) == Command(update={"m": 1})
    assert goto_command(["a", "b"]).to_body() == {"goto": ["a", "b"]}
    assert command_json(Command(resume="é")) == '{"resume": "é"}'


def test_namespace_and_titles() -> None:
    assert short_namespace(("child:1f2e-33", "inner:9a")) == "child › inner"
    assert short_namespace(()) == ""
    assert stop_title("breakpoint", ["step2"]) == "stopped before step2"
    assert stop_title("cancelled", []) == "run stopped"
    assert "2 answers" in stop_title("question", [], 2)
    assert stop_title(None, []) == ""


def test_json_text_errors_name_line_and_column() -> None:
    with pytest.raises(JsonTextError) as info:
        parse_json_text('{\n  "a": tru\n}')
    assert (info.value.line, info.value.column) == (2, 8)
    assert "line 2, column 8" in str(info.value)
    with pytest.raises(JsonTextError, match="empty"):
        parse_json_text("  ")
    with pytest.raises(JsonTextError, match="JSON object"):
        parse_json_text("[1]", expect=dict)
    assert parse_json_text(" [1] ", expect=(dict, list)) == [1]
    assert parse_json_or_text("yes", as_json=False) == "yes"
    assert parse_json_or_text("true", as_json=True) is True
