"""Reasoning, tool executions and the namespace tree in the transcript (issue 16 §3).

Driven through the public surface with hand-made payloads shaped like the real server's (the
``reasoning`` and ``subagent`` test graphs; the server tests are in
``tests/session/test_activity_runs.py``).
"""

from __future__ import annotations

import json
from typing import Any

from bbot_tui.api.events import StreamEvent
from bbot_tui.stream.activity import MAX_TOOL_EXECUTIONS, Activity, namespace_label, within
from bbot_tui.stream.assembler import MessageAssembler
from bbot_tui.stream.reducer import Reducer
from bbot_tui.stream.transcript import (
    Transcript,
    content_reasoning,
    content_text,
    message_reasoning,
)

THINK = [{"type": "reasoning", "reasoning": "Let me think.", "index": 0}]
ANSWER = [
    {"type": "reasoning", "reasoning": "Let me think.", "index": 0},
    {"type": "text", "text": "Hello.", "index": 1},
]


def _event(name: str, data: Any, at: float = 1.0) -> StreamEvent:
    return StreamEvent.from_sse(name, json.dumps(data), None, at)


def _chunk(content: Any, **extra: Any) -> list[Any]:
    chunk = {"type": "AIMessageChunk", "id": "a1", "content": content, **extra}
    return [chunk, {"langgraph_node": "model", "langgraph_step": 1}]


# --- reasoning -----------------------------------------------------------------------------


def test_reasoning_blocks_are_not_text() -> None:
    assert content_text(ANSWER) == "Hello."
    assert content_reasoning(ANSWER) == "Let me think."
    thinking = [{"type": "thinking", "thinking": "Hmm", "signature": "x"}, "Hi"]
    assert content_text(thinking) == "Hi" and content_reasoning(thinking) == "Hmm"
    summary = [{"type": "reasoning", "summary": [{"type": "summary_text", "text": "S"}]}]
    assert content_reasoning(summary) == "S" and content_text(summary) == ""
    assert content_reasoning("plain") == "" and content_text([{"type": "redacted_thinking"}]) == ""


def test_message_reasoning_reads_reasoning_content_too() -> None:
    raw = {"content": "Hi", "additional_kwargs": {"reasoning_content": "Because."}}
    assert message_reasoning(raw) == "Because."
    assert message_reasoning({"content": ANSWER, "additional_kwargs": {}}) == "Let me think."
    assert message_reasoning({"content": "Hi"}) == ""


def test_streamed_reasoning_chunks_build_the_reasoning_apart_from_the_answer() -> None:
    reducer = Reducer()
    t = reducer.transcript
    reducer.apply(
        _event("messages", _chunk([{"type": "reasoning", "reasoning": "Let ", "index": 0}]))
    )
    reducer.apply(
        _event("messages", _chunk([{"type": "reasoning", "reasoning": "me.", "index": 0}]))
    )
    t.take_dirty()
    reducer.apply(_event("messages", _chunk([{"type": "text", "text": "Hi", "index": 1}])))
    (message,) = t.messages
    assert message.reasoning == "Let me." and message.text == "Hi" and message.streaming
    assert t.timing.tokens == 1  # reasoning pieces are not answer tokens
    assert t.take_dirty()[0] == {message.key}
    reducer.apply(_event("messages", _chunk("", additional_kwargs={"reasoning_content": " More."})))
    assert message.reasoning == "Let me. More."
    assert reducer.transcript.warnings == []


def test_a_final_message_sets_the_reasoning_and_to_json_shows_it() -> None:
    t = Transcript()
    assembler = MessageAssembler(t)
    message = assembler.upsert({"type": "ai", "id": "a1", "content": ANSWER}, final=True)
    assert message is not None and message.reasoning == "Let me think."
    assert message.to_json()["reasoning"] == "Let me think." and message.text == "Hello."
    version = message.version
    assembler.upsert({"type": "ai", "id": "a1", "content": ANSWER}, final=True)
    assert message.reasoning == "Let me think."
    assert "reasoning" not in assembler.upsert({"type": "ai", "content": "x"}, final=True).to_json()  # type: ignore[union-attr]
    assert message.version >= version


# --- tool executions -------------------------------------------------------------------------


def _with_call(t: Transcript, call_id: str = "c1") -> None:
    MessageAssembler(t).upsert(
        {
            "type": "ai",
            "id": "a1",
            "content": "",
            "tool_calls": [{"id": call_id, "name": "forecast", "args": {"city": "Paris"}}],
        },
        final=True,
    )


def test_tool_output_streams_and_marks_the_calling_message_dirty() -> None:
    t = Transcript()
    _with_call(t)
    activity = Activity(t)
    t.take_dirty()
    execution = activity.tool_started("c1", "forecast")
    activity.tool_output("c1", "Morning: fog.\n")
    activity.tool_output("c1", {"text": "Noon: sun.\n"})
    activity.tool_output("c1", {"temp": 21})
    assert execution.status == "running" and execution.name == "forecast"
    assert execution.output == 'Morning: fog.\nNoon: sun.\n{"temp": 21}'
    assert t.take_dirty()[0] == {"a1"}
    activity.tool_finished("c1")
    assert t.tools["c1"].status == "done" and t.take_dirty()[0] == {"a1"}
    activity.tool_finished("c1", failed=True, error="boom")
    assert t.tools["c1"].to_json() == {
        "call_id": "c1",
        "name": "forecast",
        "status": "failed",
        "output": execution.output,
        "error": "boom",
    }


def test_a_tool_started_again_starts_over() -> None:
    t = Transcript()
    activity = Activity(t)
    activity.tool_output("c1", "half")
    activity.tool_finished("c1")
    again = activity.tool_started("c1", "forecast")
    assert again.output == "" and again.status == "running" and t.tools["c1"] is again


def test_custom_tool_output_and_the_tool_message_end_it() -> None:
    reducer = Reducer()
    t = reducer.transcript
    _with_call(t)
    reducer.apply(_event("custom", {"tool_call_id": "c1", "delta": "Morning.\n"}))
    reducer.apply(_event("custom", {"tool_call_id": "c1", "delta": "Noon.\n"}))
    reducer.apply(_event("custom", {"progress": 3}))  # not tool output
    assert t.tools["c1"].output == "Morning.\nNoon.\n" and t.tools["c1"].status == "running"
    assert len(t.custom) == 3  # the event log still has them all
    tool = {"type": "tool", "id": "t1", "content": "ok", "tool_call_id": "c1", "status": "error"}
    reducer.apply(_event("updates", {"tools": {"messages": [tool]}}))
    assert t.tools["c1"].status == "failed"


def test_tool_executions_are_bounded() -> None:
    t = Transcript()
    activity = Activity(t)
    for index in range(MAX_TOOL_EXECUTIONS + 5):
        activity.tool_output(f"c{index}", "x")
    assert len(t.tools) == MAX_TOOL_EXECUTIONS and "c0" not in t.tools


def test_the_end_of_a_run_ends_running_tools() -> None:
    for stop, status in ((None, "done"), ("error", "failed"), ("question", "running")):
        reducer = Reducer()
        reducer.activity.tool_started("c1")
        reducer.transcript.stop = stop  # type: ignore[assignment]
        reducer.end_run(2.0)
        assert reducer.transcript.tools["c1"].status == status, stop


# --- the namespace tree ------------------------------------------------------------------------

TOOLS_A = "tools:aaa"
TOOLS_B = "tools:bbb"


def _task_start(task_id: str, call_id: str, name: str = "research") -> dict[str, Any]:
    call = {"name": name, "args": {}, "id": call_id, "type": "tool_call"}
    return {
        "id": task_id,
        "name": "tools",
        "input": {"__type": "tool_call_with_context", "tool_call": call, "state": {}},
        "triggers": [],
    }


def test_namespaces_from_the_runs_api_with_tasks() -> None:
    reducer = Reducer()
    t = reducer.transcript
    reducer.apply(_event("custom", {"tool_call_id": "call_h", "delta": "from an earlier run"}))
    reducer.apply(_event("tasks", _task_start("aaa", "call_h")))
    reducer.apply(_event("tasks", _task_start("bbb", "call_g")))
    assert t.namespaces == {}
    # the tasks start the tool executions (a resumed one starts over)
    assert [(e.call_id, e.name, e.status, e.output) for e in t.tools.values()] == [
        ("call_h", "research", "running", ""),
        ("call_g", "research", "running", ""),
    ]
    reducer.apply(_event(f"tasks|{TOOLS_A}", {"id": "t1", "name": "think", "input": {}}))
    reducer.apply(_event(f"messages|{TOOLS_B}", _chunk("Notes")))
    a, b = t.namespaces[(TOOLS_A,)], t.namespaces[(TOOLS_B,)]
    assert (a.label, a.cause, a.status) == ("tools · research", "call_h", "running")
    assert (b.label, b.cause) == ("tools · research", "call_g")
    # a subagent's tasks carry its name
    meta = {"lc_agent_name": "researcher"}
    reducer.apply(_event(f"tasks|{TOOLS_B}", {"id": "t2", "name": "think", "metadata": meta}))
    assert b.label == "researcher"
    # the root's update for "tools" does not end them: their own task results do
    reducer.apply(_event("updates", {"tools": {"messages": []}}))
    assert a.status == b.status == "running"
    reducer.apply(_event("tasks", {"id": "aaa", "name": "tools", "result": {}, "error": None}))
    assert (a.status, b.status) == ("done", "running")
    error = {"error": "RuntimeError", "message": "researcher failed"}
    reducer.apply(_event("tasks", {"id": "bbb", "name": "tools", "result": {}, "error": error}))
    assert (b.status, b.error) == ("failed", "researcher failed")
    assert t.warnings == []


def test_namespaces_without_tasks_end_with_their_node_or_the_run() -> None:
    reducer = Reducer()
    t = reducer.transcript
    reducer.begin_run(0.0)
    reducer.apply(_event("updates|child:1|grand:2", {"leaf": {"messages": []}}))
    assert list(t.namespaces) == [("child:1",), ("child:1", "grand:2")]
    assert [n.label for n in t.namespaces.values()] == ["child", "grand"]
    reducer.apply(_event("updates|child:1", {"grand": {"messages": []}}))
    assert t.namespaces[("child:1", "grand:2")].status == "done"
    assert t.namespaces[("child:1",)].status == "running"
    reducer.apply(_event("updates", {"__interrupt__": [{"id": "i1", "value": "?"}]}))
    reducer.end_run(1.0)
    assert t.namespaces[("child:1",)].status == "interrupted"
    reducer.begin_run(2.0)
    assert t.namespaces == {}


def test_an_interrupted_task_interrupts_its_namespace() -> None:
    reducer = Reducer()
    reducer.apply(_event(f"tasks|{TOOLS_A}", {"id": "x", "name": "ask", "input": {}}))
    interrupts = [{"id": "i1", "value": {"question": "Which century?"}}]
    reducer.apply(
        _event("tasks", {"id": "aaa", "name": "tools", "result": {}, "interrupts": interrupts})
    )
    assert reducer.transcript.namespaces[(TOOLS_A,)].status == "interrupted"


def test_lifecycle_from_the_event_protocol() -> None:
    t = Transcript()
    activity = Activity(t)
    t.take_dirty()
    node = activity.namespace_started((TOOLS_A,), label="researcher", cause="call_h")
    assert node is not None and node.to_json() == {
        "path": [TOOLS_A],
        "label": "researcher",
        "status": "running",
        "cause": "call_h",
    }
    assert t.take_dirty()[1]
    activity.seen((TOOLS_A, "inner:1"))
    activity.namespace_ended((TOOLS_A,), "failed", "boom")
    assert node.status == "failed" and node.error == "boom"
    assert t.namespaces[(TOOLS_A, "inner:1")].status == "failed"
    assert t.namespaces[(TOOLS_A, "inner:1")].error is None
    activity.namespace_started((TOOLS_A,))  # resumed
    assert node.status == "running" and node.error is None and node.label == "researcher"
    assert activity.namespace_started(()) is None


def test_within_and_labels() -> None:
    assert within(("a:1", "b:2"), ("a:1",)) and within(("a:1",), ())
    assert not within(("a:2",), ("a:1",)) and not within((), ("a:1",))
    assert namespace_label("tools:3f") == "tools" and namespace_label("plain") == "plain"
