"""History rows and state diffs for the time-travel screen."""

from __future__ import annotations

from bbot_tui.api.models import ThreadState
from bbot_tui.stream.statediff import DiffLine, checkpoint_rows, diff_values, format_time, preview


def _msg(mid: str, kind: str, text: str) -> dict[str, object]:
    return {"id": mid, "type": kind, "content": text}


def _state(cid: str, parent: str | None, step: int, source: str, **kw: object) -> ThreadState:
    return ThreadState.model_validate(
        {
            "checkpoint": {"checkpoint_id": cid},
            "parent_checkpoint": {"checkpoint_id": parent} if parent else None,
            "metadata": {"step": step, "source": source},
            "created_at": "2026-11-23T09:14:05.870301+00:00",
            **kw,
        }
    )


def test_rows_name_the_nodes_that_ran_from_the_parent_tasks() -> None:
    states = [
        _state("c2", "c1", 1, "loop", next=["step2"]),
        _state(
            "c1",
            "c0",
            0,
            "loop",
            next=["step1"],
            tasks=[{"name": "step1", "result": {"messages": []}}],
        ),
        _state("c0", None, -1, "input", next=["__start__"]),
    ]
    rows = checkpoint_rows(states)
    assert [r.step for r in rows] == [1, 0, -1]
    assert [r.source for r in rows] == ["loop", "loop", "input"]
    assert rows[0].ran == ["step1"]
    assert rows[1].ran == []  # c0 has no finished task
    assert rows[0].next == ["step2"]
    assert rows[0].time == "11-23 09:14:05"
    assert rows[2].parent_id is None and rows[0].parent_id == "c1"
    with_writes = _state("c9", None, 3, "loop", metadata={"writes": {"n": {}}, "step": 3})
    assert checkpoint_rows([with_writes])[0].ran == ["n"]


def test_diff_messages_by_id_and_keys() -> None:
    old = {"messages": [_msg("1", "human", "go"), _msg("2", "ai", "step1")], "a": 1, "gone": True}
    new = {
        "messages": [_msg("1", "human", "go!"), _msg("3", "ai", "step2")],
        "a": 2,
        "b": "new",
    }
    assert diff_values(old, new) == [
        DiffLine("changed", "messages[0]", "human: go → human: go!"),
        DiffLine("added", "messages[1]", "ai: step2"),
        DiffLine("removed", "messages[1]", "ai: step1"),
        DiffLine("changed", "a", "1 → 2"),
        DiffLine("added", "b", '"new"'),
        DiffLine("removed", "gone", "true"),
    ]
    assert diff_values(new, new) == []
    assert diff_values(None, {"messages": [_msg("1", "human", "hi")]}) == [
        DiffLine("added", "values", preview({"messages": [_msg("1", "human", "hi")]}))
    ]
    assert diff_values({}, {"messages": [_msg("1", "human", "hi")]}) == [
        DiffLine("added", "messages[0]", "human: hi")
    ]


def test_untrusted_text_is_made_inert() -> None:
    lines = diff_values({}, {"x\x1b[2J": "\x1b]0;pwned\x07ok"})
    assert "\x1b" not in lines[0].key and "\x1b" not in lines[0].text
    assert format_time(None) == "" and format_time("bad") == "bad"
