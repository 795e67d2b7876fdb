"""RunOptions: every option round-trips, build() makes the client's own request models."""

from __future__ import annotations

import logging

import pytest
from pydantic import ValidationError

from bbot_tui.api.models import Command, RunCreate, RunCreateStateless
from bbot_tui.session.run_options import (
    ROOT_FIELD,
    RunOptions,
    field_errors,
    toggle_breakpoint,
)

EVERYTHING = RunOptions(
    mode="wait",
    stream_mode=["values", "updates", "custom"],
    stream_subgraphs=True,
    stream_resumable=False,
    interrupt_before=["step2"],
    interrupt_after="*",
    durability="sync",
    checkpoint_during=False,
    multitask_strategy="interrupt",
    if_not_exists="create",
    on_disconnect="cancel",
    after_seconds=1.5,
    recursion_limit=7,
    tags=["a", "b"],
    configurable='{"tokens": 3}',
    context='{"delay": 0}',
    metadata='{"who": "me"}',
    webhook="https://example.com/hook",
    feedback_keys=["score"],
)


def test_defaults_send_only_what_the_transcript_needs() -> None:
    body = RunOptions().build("chat", {"messages": []})
    assert isinstance(body, RunCreate)
    assert body.to_body() == {
        "assistant_id": "chat",
        "input": {"messages": []},
        "stream_mode": ["messages-tuple", "updates"],
    }


def test_every_option_reaches_the_body() -> None:
    body = EVERYTHING.build("steps", {"messages": []}, entity_id="ent-9").to_body()
    assert body == {
        "assistant_id": "steps",
        "input": {"messages": []},
        "stream_mode": ["values", "updates", "custom"],
        "stream_subgraphs": True,
        "stream_resumable": False,
        "interrupt_before": ["step2"],
        "interrupt_after": "*",
        "durability": "sync",
        "checkpoint_during": False,
        "multitask_strategy": "interrupt",
        "if_not_exists": "create",
        "on_disconnect": "cancel",
        "after_seconds": 1.5,
        "webhook": "https://example.com/hook",
        "feedback_keys": ["score"],
        "metadata": {"who": "me"},
        "context": {"delay": 0},
        "config": {
            "tags": ["a", "b"],
            "recursion_limit": 7,
            "configurable": {"tokens": 3, "entity_id": "ent-9"},
        },
    }


def test_user_entity_id_wins_and_stateless_mode_makes_a_stateless_body() -> None:
    options = RunOptions(
        mode="stateless", configurable='{"entity_id": "mine"}', on_completion="keep"
    )
    body = options.build("chat", None, entity_id="assistant's")
    assert isinstance(body, RunCreateStateless)
    assert body.to_body()["config"] == {"configurable": {"entity_id": "mine"}}
    assert body.to_body()["on_completion"] == "keep"
    assert "input" not in body.to_body()


def test_settings_round_trip_keeps_everything_but_one_shot_fields() -> None:
    options = EVERYTHING.model_copy(
        update={"resume_text": '"yes"', "goto_text": "step3", "checkpoint_id": "abc"}
    )
    stored = options.to_settings()
    assert "resume_text" not in stored and "checkpoint_id" not in stored
    assert RunOptions.from_settings(stored) == EVERYTHING
    assert RunOptions().to_settings() == {}


def test_from_settings_drops_bad_values_with_warnings(caplog: pytest.LogCaptureFixture) -> None:
    warnings: list[str] = []
    with caplog.at_level(logging.WARNING):
        options = RunOptions.from_settings(
            {"mode": "bogus", "tags": ["x"], "configurable": "{oops", "future": 1}, warnings
        )
    assert options.mode == "stream" and options.tags == ["x"] and options.configurable == ""
    assert any("'mode'" in w for w in warnings)
    assert any("'configurable'" in w for w in warnings)
    assert any("'future'" in w for w in warnings)
    assert RunOptions.from_settings("garbage", warnings) == RunOptions()
    assert "invalid" in caplog.text


def test_bad_json_names_line_and_column_and_keeps_the_text() -> None:
    text = '{"a": 1,\n  "b": }'
    with pytest.raises(ValidationError) as info:
        RunOptions(configurable=text)
    errors = field_errors(info.value)
    assert list(errors) == ["configurable"]
    assert "line 2, column 8" in errors["configurable"][0]
    with pytest.raises(ValidationError) as info:
        RunOptions(metadata="[1, 2]")
    assert "JSON object" in field_errors(info.value)["metadata"][0]


def test_request_errors_are_mapped_to_form_fields() -> None:
    options = RunOptions(
        mode="stateless",
        recursion_limit=0,
        stream_mode=[],
        checkpoint_id="abc",
        multitask_strategy="reject",
        after_seconds=-1,
    )
    with pytest.raises(ValidationError) as info:
        options.validate_request()
    errors = field_errors(info.value)
    assert set(errors) == {
        "recursion_limit",
        "stream_mode",
        "checkpoint_id",
        "multitask_strategy",
        "after_seconds",
    }
    assert errors["checkpoint_id"] == ["not available in stateless mode"]
    with pytest.raises(ValidationError) as info:
        RunOptions(on_completion="keep").validate_request()
    assert field_errors(info.value) == {"on_completion": ["only for stateless runs"]}


def test_command_fields_build_a_command_and_refuse_an_input() -> None:
    options = RunOptions(
        resume_as_json=False, resume_text="yes please", update_text='{"x": 1}', goto_text="a, b"
    )
    body = options.build("approval", None).to_body()
    assert body["command"] == {"resume": "yes please", "update": {"x": 1}, "goto": ["a", "b"]}
    with pytest.raises(ValidationError) as info:
        options.build("approval", {"messages": []})
    assert list(field_errors(info.value)) == ["resume_text"]
    explicit = Command(resume={"id1": 1})
    assert options.build("approval", None, explicit).command == explicit
    assert options.without_one_shot().command() is None
    with pytest.raises(ValidationError) as info:
        RunOptions(resume_text="not json")
    assert "untick" in field_errors(info.value)["resume_text"][0]
    assert RunOptions(resume_text='{"a": [1]}').command() == Command(resume={"a": [1]})


def test_field_errors_of_no_field_go_to_root() -> None:
    with pytest.raises(ValidationError) as info:
        RunOptions().build("", None)
    assert ROOT_FIELD in field_errors(info.value)


def test_toggle_breakpoint() -> None:
    options = RunOptions()
    options = toggle_breakpoint(options, "step2")
    assert options.interrupt_before == ["step2"]
    options = toggle_breakpoint(options, "step3")
    assert options.interrupt_before == ["step2", "step3"]
    options = toggle_breakpoint(options, "step2")
    assert options.interrupt_before == ["step3"]
    options = toggle_breakpoint(options, "*", "after")
    assert options.interrupt_after == "*"
    options = toggle_breakpoint(options, "step1", "after", node_names=["step1", "step2"])
    assert options.interrupt_after == ["step2"]
    options = toggle_breakpoint(options, "*", "after")
    assert options.interrupt_after == "*"
    assert toggle_breakpoint(options, "*", "after").interrupt_after == []
    assert RunOptions(interrupt_before=["a", "*"]).interrupt_before == "*"


def test_validate_nodes_warns_about_unknown_breakpoints() -> None:
    options = RunOptions(interrupt_before=["step2", "nope"], interrupt_after=["ghost"])
    warnings = options.validate_nodes(["step1", "step2", "step3"])
    assert len(warnings) == 2
    assert "'nope'" in warnings[0] and "interrupt_before" in warnings[0]
    assert "'ghost'" in warnings[1]
    assert options.validate_nodes([]) == []
    assert RunOptions(interrupt_before="*").validate_nodes(["a"]) == []


def test_help_texts_exist_for_every_field() -> None:
    for name in RunOptions.model_fields:
        assert RunOptions.help_for(name), name
    assert RunOptions.help_for("nope") == ""
