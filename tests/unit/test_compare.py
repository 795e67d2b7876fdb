"""The comparison's pieces without a server: tool-call diffs, answers, run options from JSON."""

from __future__ import annotations

import pytest

from bbot_tui.session.compare import (
    ToolCallSummary,
    diff_calls,
    final_answer,
    options_from_json,
    tool_calls,
)
from bbot_tui.stream.transcript import ToolCall, Transcript


def _c(name: str, **args: object) -> ToolCallSummary:
    return ToolCallSummary(name, dict(args))


def test_equal_calls_are_left_out_and_a_changed_call_is_one_pair() -> None:
    a = [_c("search", q="paris"), _c("weather", city="Paris"), _c("book", n=1)]
    b = [_c("search", q="paris"), _c("weather", city="Lyon"), _c("pay", n=1)]
    assert [c.to_json() for c in diff_calls(a, b)] == [
        {"name": "weather", "a": {"city": "Paris"}, "b": {"city": "Lyon"}},
        {"name": "book", "a": {"n": 1}, "b": None},
        {"name": "pay", "a": None, "b": {"n": 1}},
    ]
    assert diff_calls(a, list(a)) == []
    assert [c.to_json() for c in diff_calls([], [_c("x")])] == [{"name": "x", "a": None, "b": {}}]


def test_answer_and_calls_read_the_transcript() -> None:
    t = Transcript()
    t.add_user_message("hi")
    call = t.new_message("a1", "ai")
    call.tool_calls.append(ToolCall(id="c1", name="weather", args={"city": "Paris"}))
    t.new_message("t1", "tool").set_text("sunny")
    t.new_message("a2", "ai").set_text("It is sunny.")
    t.new_message("a3", "ai")  # an empty preview is not the answer
    assert final_answer(t) == "It is sunny."
    assert tool_calls(t) == [_c("weather", city="Paris")]
    assert final_answer(Transcript()) == ""


def test_options_from_json() -> None:
    options = options_from_json('{"configurable": {"model": "big"}, "recursion_limit": 5}')
    assert options.configurable_value() == {"model": "big"} and options.recursion_limit == 5
    with pytest.raises(ValueError, match="not JSON"):
        options_from_json("{nope")
    with pytest.raises(ValueError, match="a JSON object"):
        options_from_json("[1]")
    with pytest.raises(ValueError, match="unknown run option 'colour'"):
        options_from_json('{"colour": 1}')
    with pytest.raises(ValueError, match="on_completion"):
        options_from_json('{"on_completion": "keep"}')  # stateless runs only
