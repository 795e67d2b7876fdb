"""Demo scripts without a server: the model, the YAML loader's errors (line, step, field), the
YAML writer, a script made from a thread's runs and checkpoints, the checks, and tapes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bbot_tui.api.models import Run, ThreadState
from bbot_tui.session.script import (
    CONTAINS_MAX,
    Expect,
    Problem,
    ScriptError,
    Step,
    dump_script,
    load_script,
    read_script,
    script_from_thread,
)
from bbot_tui.session.script_runner import Check, StepResult, check_expect
from bbot_tui.session.tape import Tape, TapeError, TapeWriter
from bbot_tui.stream.transcript import PendingInterrupt

FULL = """\
assistant: demo_approval          # name, graph id or assistant id
title: The approval demo
options: {stream_mode: [messages-tuple, updates], configurable: {user: ann}, tags: [demo]}
steps:
  - say: "email bob about the launch"
  - expect: {interrupt: true}               # the run must stop at an interrupt
  - answer: {decisions: [{type: approve}]}  # resume the pending interrupt
  - expect: {contains: "Published"}
  - note: "Here the agent asked before sending."
  - pause: 2
  - input: {messages: [{role: user, content: raw}]}
  - answers: {ask_a: x, ask_b: y}
  - update: {topic: launch}
    goto: review
  - answer: null
  - expect: {tool: send_email, status: error, matches: "^Pub.*ed$"}
"""


def _errors(text: str) -> list[str]:
    with pytest.raises(ScriptError) as info:
        load_script(text, "s.yaml")
    return str(info.value).splitlines()


def test_every_step_kind_loads() -> None:
    script = load_script(FULL)
    assert script.assistant == "demo_approval" and script.title == "The approval demo"
    kinds = [s.kind for s in script.steps]
    assert kinds == [
        "say", "expect", "command", "expect", "note", "pause", "input", "command", "command",
        "command", "expect",
    ]  # fmt: skip
    assert script.run_steps() == [1, 3, 7, 8, 9, 10]
    assert script.steps[8].given() == ["update", "goto"]
    assert script.steps[9].given() == ["answer"] and script.steps[9].answer is None
    assert script.steps[10].expect is not None
    assert script.steps[10].expect.given() == ["matches", "tool", "status"]
    # YAML maps for the run options' JSON fields
    assert script.options.configurable_value() == {"user": "ann"}
    assert script.options.tags == ["demo"]
    assert script.expects_status(10) and not script.expects_status(1)


def test_dump_and_load_round_trip() -> None:
    script = load_script(FULL)
    text = dump_script(script)
    again = load_script(text)
    assert [s.spec() for s in again.steps] == [s.spec() for s in script.steps]
    assert again.options == script.options
    assert "configurable:\n    user: ann" in text  # written back as a map, not JSON text
    multi = load_script("assistant: a\nsteps:\n  - say: |\n      two\n      lines\n")
    assert "- say: |\n    two\n    lines\n" in dump_script(multi)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "assistant: a\nsteps:\n  - say: hi\n  - expect: {contians: x}\n",
            [
                "s.yaml:4: step 2: expect.contians: unknown field; allowed: interrupt, contains, "
                "matches, tool, status"
            ],
        ),
        (
            "assistant: a\nsteps:\n  - say: hi\n  - expect: {}\n",
            [
                "s.yaml:4: step 2: expect: expects nothing: give one of interrupt, contains, "
                "matches, tool, status"
            ],
        ),
        (
            "assistant: a\nsteps:\n  - say: hi\n  - {}\n",
            [
                "s.yaml:4: step 2: an empty step: give one of say, input, answer, answers, update, "
                "goto, expect, note, pause"
            ],
        ),
        (
            "assistant: a\nsteps:\n  - say:\n",
            ["s.yaml:3: step 1: say: needs a value"],
        ),
        (
            "assistant: a\nsteps:\n  - say: hi\n  - answer: 1\n    answers: {a: 1}\n",
            ["s.yaml:4: step 2: answer, answers: use one (answers for several pending interrupts)"],
        ),
        (
            "assistant: a\nsteps:\n  - say: hi\n  - note: x\n    pause: 1\n",
            [
                "s.yaml:4: step 2: note, pause: a step does one thing (only answer, answers, "
                "update, goto go together, as one command); make one step of each"
            ],
        ),
        (
            "assistant: a\nsteps:\n  - say: hi\n  - pause: -1\n  - expect: {matches: '('}\n",
            [
                "s.yaml:4: step 2: pause: Input should be greater than or equal to 0",
                "s.yaml:5: step 3: expect.matches: not a regular expression: missing ), "
                "unterminated subpattern at position 0",
            ],
        ),
        (
            "steps:\n  - say: hi\n",
            ["s.yaml:1: assistant: required"],
        ),
        (
            "assistant: a\noptions:\n  mode: stateless\nsteps:\n  - say: hi\n",
            [
                "s.yaml:3: options.mode: a script runs on one thread: use stream (the default) "
                "or wait"
            ],
        ),
        (
            "assistant: a\noptions:\n  goto_text: x\nsteps:\n  - say: hi\n",
            [
                "s.yaml:3: options.goto_text: is for one run only: use an answer, update or goto "
                "step"
            ],
        ),
        (
            "assistant: a\noptions:\n  nope: 1\nsteps:\n  - say: hi\n",
            [
                "s.yaml:3: options.nope: unknown field; allowed: mode, stream_mode, "
                "stream_subgraphs, stream_resumable, interrupt_before, interrupt_after, "
                "resume_as_json, resume_text, update_text, goto_text, durability, checkpoint_id, "
                "checkpoint_during, multitask_strategy, if_not_exists, on_disconnect, "
                "on_completion, after_seconds, recursion_limit, tags, configurable, context, "
                "metadata, webhook, feedback_keys"
            ],
        ),
        (
            "assistant: a\nsteps:\n  - note: first\n  - expect: {interrupt: false}\n",
            [
                "s.yaml:4: step 2: expect: no run to check yet: put a say, input or answer step "
                "before it"
            ],
        ),
        ("", ["s.yaml:1: a script is a map with assistant and steps, not an empty file"]),
        ("- a\n", ["s.yaml:1: a script is a map with assistant and steps, not a list"]),
        (
            "assistant: a\nsteps:\n  - say: hi\n   - bad indent\n",
            [
                "s.yaml:4: bad YAML: while parsing a block collection expected <block end>, "
                "but found '<block sequence start>' (it starts on line 3)"
            ],
        ),
    ],
)
def test_every_problem_names_line_step_and_field(text: str, expected: list[str]) -> None:
    assert _errors(text) == expected


def test_a_problem_without_a_line_and_a_file_that_cannot_be_read(tmp_path: Path) -> None:
    assert Problem(None, None, "", "gone").describe("f.yaml") == "f.yaml: gone"
    with pytest.raises(ScriptError) as info:
        read_script(tmp_path / "missing.yaml")
    assert "missing.yaml: cannot read it (No such file or directory)" in str(info.value)


def test_a_step_made_in_code_is_validated_the_same_way() -> None:
    assert Step(update={"a": 1}, goto="b").kind == "command"
    with pytest.raises(ValueError, match="a step does one thing"):
        Step(say="hi", note="x")
    with pytest.raises(ValueError, match="expects nothing"):
        Expect()


# --- checks --------------------------------------------------------------------------------------


def _result(**fields: Any) -> StepResult:
    return StepResult(number=1, status=fields.pop("status", "success"), **fields)


@pytest.mark.parametrize(
    ("expect", "result", "ok", "got"),
    [
        (
            {"interrupt": True},
            {"stop": "question", "interrupts": [PendingInterrupt("i", 1)]},
            True,
            "stopped at 1 interrupt(s)",
        ),
        ({"interrupt": True}, {}, False, "no interrupt (status success)"),
        (
            {"interrupt": False},
            {"stop": "breakpoint", "status": "interrupted"},
            True,
            "no interrupt (status interrupted)",
        ),
        ({"contains": "lish"}, {"answer": "Published"}, True, "'Published'"),
        ({"contains": "x"}, {}, False, "(no answer)"),
        ({"matches": "^Pub.*ed$"}, {"answer": "Pub\nlished"}, True, "'Pub lished'"),
        ({"matches": "^x"}, {"answer": "y"}, False, "'y'"),
        ({"tool": "b"}, {"tools": ["a", "b"]}, True, "tools called: a, b"),
        ({"tool": "b"}, {}, False, "no tool call"),
        ({"status": "error"}, {"status": "error", "error": "E: boom"}, True, "error (E: boom)"),
        ({"status": "success"}, {"status": "cancelled"}, False, "cancelled"),
    ],
)
def test_each_expect_key(
    expect: dict[str, Any], result: dict[str, Any], ok: bool, got: str
) -> None:
    [check] = check_expect(4, Expect.model_validate(expect), _result(**result))
    assert (check.ok, check.got, check.step) == (ok, got, 4)


def test_checks_follow_the_expect_order_and_need_a_run() -> None:
    expect = Expect(status="success", contains="a", interrupt=False)
    checks = check_expect(2, expect, _result(answer="abc"))
    assert [c.key for c in checks] == ["interrupt", "contains", "status"]
    assert all(c.ok for c in checks)
    assert [c.got for c in check_expect(2, Expect(tool="t"), None)] == ["no run yet"]
    check = Check(3, "contains", "Published", "'Draft'", False)
    assert check.describe() == "step 3: expect contains 'Published' — got: 'Draft'"
    assert (
        Check(3, "interrupt", True, "x", False).describe()
        == "step 3: expect interrupt true — got: x"
    )


# --- from a thread -------------------------------------------------------------------------------


def _run(run_id: str, created: str, status: str = "success", **kwargs: Any) -> Run:
    return Run.model_validate(
        {"run_id": run_id, "created_at": created, "status": status, "kwargs": kwargs}
    )


def _state(run_id: str, created: str, messages: list[dict[str, Any]], **more: Any) -> ThreadState:
    return ThreadState.model_validate(
        {
            "values": {"messages": messages},
            "metadata": {"run_id": run_id},
            "created_at": created,
            **more,
        }
    )


def _msg(kind: str, content: str, mid: str, **more: Any) -> dict[str, Any]:
    return {"type": kind, "content": content, "id": mid, **more}


def test_a_script_from_runs_and_checkpoints() -> None:
    h1 = _msg("human", "go", "h1")
    a1 = _msg("ai", "", "a1", tool_calls=[{"name": "lookup", "args": {}, "id": "c"}])
    t1 = _msg("tool", "found", "t1")
    a2 = _msg("ai", "x" * 10 + "\n" + "y" * (CONTAINS_MAX + 5), "a2")
    a3 = _msg("ai", "a=1 b=2", "a3")
    pending = [
        {"name": "ask_a", "interrupts": [{"id": "ida", "value": "a?"}]},
        {"name": "ask_b", "interrupts": [{"id": "idb", "value": "b?"}]},
    ]
    runs = [
        _run("r3", "3", "error", input={"messages": [{"role": "user", "content": "x"}]}),
        _run("r1", "1", input={"messages": [{"role": "user", "content": "go", "id": "h1"}]}),
        _run("r2", "2", command={"resume": {"ida": 1, "idb": 2}, "update": {"k": 1}}),
        _run("r0", "0.5", "interrupted", input={"messages": []}),
        _run("r4", "4", input={"messages": [{"role": "user", "content": "p"}], "extra": 1}),
        _run("r5", "5", input=None),
    ]
    history = [
        _state("r1", "1.1", [h1]),
        _state("r1", "1.2", [h1, a1, t1, a2], tasks=pending, interrupts=[{"id": "ida"}]),
        _state("r2", "2.1", [h1, a1, t1, a2, a3]),
        _state("r3", "3.1", [h1, a1, t1, a2, a3, _msg("human", "x", "h2")]),
    ]
    warnings: list[str] = []
    script = script_from_thread(
        assistant="parallel", runs=runs, history=history, title="t", warnings=warnings
    )
    specs = [s.spec() for s in script.steps]
    assert specs == [
        {"say": "go"},
        {"expect": {"interrupt": True, "tool": "lookup", "contains": "x" * 10}},
        {"answers": {"ask_a": 1, "ask_b": 2}, "update": {"k": 1}},
        {"expect": {"contains": "a=1 b=2"}},
        {"say": "x"},
        {"expect": {"status": "error"}},
        {"input": {"messages": [{"role": "user", "content": "p"}], "extra": 1}},
    ]
    assert warnings == [
        "run r0 was cancelled (interrupted): left out",
        "run r5 had neither input nor command: left out",
    ]
    assert load_script(dump_script(script)).model_dump() == script.model_dump()
    with pytest.raises(ValueError, match="no run with an input or an answer"):
        script_from_thread(assistant="a", runs=[], history=[])


def test_answers_by_id_stay_by_id_when_node_names_repeat() -> None:
    tasks = [
        {"name": "ask", "interrupts": [{"id": "i1"}]},
        {"name": "ask", "interrupts": [{"id": "i2"}]},
    ]
    runs = [
        _run("r1", "1", input={"messages": [{"role": "user", "content": "go"}]}),
        _run("r2", "2", command={"resume": {"i1": "a", "i2": "b"}}),
        _run("r3", "3", command={"resume": {"decisions": []}}),
    ]
    history = [_state("r1", "1", [], tasks=tasks)]
    script = script_from_thread(assistant="a", runs=runs, history=history)
    assert script.steps[2].answers == {"i1": "a", "i2": "b"}
    assert script.steps[3].answer == {"decisions": []}


# --- tapes ---------------------------------------------------------------------------------------


def test_a_tape_writer_masks_every_secret_and_the_reader_groups_by_step(tmp_path: Path) -> None:
    path = tmp_path / "t.tape"
    writer = TapeWriter(path, ["bbot_canary_tape_0042", None])
    writer.header(source="s", assistant="a", assistant_id="id", url="u", thread_id="t")
    writer.request(
        1, {"say": "bbot_canary_tape_0042"}, endpoint="e", url="u", body={}, user_text="k"
    )
    writer.result(1, {"status": "success"})
    writer.request(2, {"say": "x"}, endpoint="e", url="u", body={}, user_text=None)
    writer.close()
    text = path.read_text(encoding="utf-8")
    assert "bbot_canary_tape_0042" not in text
    assert path.stat().st_mode & 0o777 == 0o600
    tape = Tape.read(path)
    assert tape.thread_id == "t" and tape.assistant_id == "id"
    assert tape.step(1) is not None and tape.step(1).spec == {"say": "***"}  # type: ignore[union-attr]
    assert tape.step(2) is None  # cut before its result: not replayable


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "an empty tape"),
        ("nope\n", "t:1: not JSON"),
        ('{"type":"request","step":1}\n', "not a script tape"),
        ('{"type":"script"}\n{"type":"event","step":1}\n', "step 1 has no request line"),
        ('{"type":"script"}\n{"type":"event"}\n', "t:2: a event line without a step number"),
        ('{"type":"script"}\n[1]\n', "t:2: not a tape line"),
    ],
)
def test_a_bad_tape_says_where(text: str, message: str) -> None:
    with pytest.raises(TapeError, match=message):
        Tape.parse(text, "t")


def test_other_tape_lines_are_ignored() -> None:
    lines = [
        {"type": "script", "thread_id": "t"},
        {"type": "request", "step": 1, "spec": {"say": "hi"}},
        {"type": "check", "step": 2},
        {"type": "result", "step": 1, "status": "success"},
        {"type": "summary"},
    ]
    tape = Tape.parse("\n".join(json.dumps(x) for x in lines))
    assert list(tape.steps) == [1] and tape.step(1) is not None
