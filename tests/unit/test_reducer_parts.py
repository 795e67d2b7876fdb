"""The reducer's collaborators on their own: the message assembler, node steps, token modes.

:class:`~bbot_tui.stream.reducer.Reducer` dispatches events by mode and owns these; each is
driven here through its public surface with hand-made payloads (the golden tests drive the
whole reducer with recorded streams of the real server).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from bbot_tui.api.events import StreamEvent
from bbot_tui.stream.assembler import MessageAssembler
from bbot_tui.stream.message_mode import MessagesMode, TupleMode, count_token
from bbot_tui.stream.reducer import Reducer
from bbot_tui.stream.steps import NodeSteps
from bbot_tui.stream.transcript import Transcript


def _event(name: str, data: Any, at: float = 1.0) -> StreamEvent:
    return StreamEvent.from_sse(name, json.dumps(data), None, at)


def _chunk(message_id: str | None, text: str, **extra: Any) -> dict[str, Any]:
    return {"type": "AIMessageChunk", "id": message_id, "content": text, **extra}


def _meta(node: str = "model", step: int = 1) -> dict[str, Any]:
    return {"langgraph_node": node, "langgraph_step": step}


# --- MessageAssembler --------------------------------------------------------------------


def test_upsert_creates_a_block_then_updates_it_by_id() -> None:
    t = Transcript()
    assembler = MessageAssembler(t)
    first = assembler.upsert({"type": "ai", "id": "a1", "content": "Hel"}, final=False, node="n")
    again = assembler.upsert({"type": "ai", "id": "a1", "content": "Hello"}, final=True)
    assert first is again and [m.text for m in t.messages] == ["Hello"]
    assert again is not None and again.node == "n" and not again.streaming
    assert assembler.run_keys == {"a1"}


def test_upsert_adopts_the_id_less_input_with_the_same_text() -> None:
    t = Transcript()
    local = t.add_user_message("hi")
    assembler = MessageAssembler(t)
    stored = assembler.upsert({"type": "human", "id": "h1", "content": "hi"}, final=True)
    assert stored is local and local.id == "h1" and not local.local
    assert t.by_id("h1") is local and len(t.messages) == 1


def test_exclude_keeps_two_equal_messages_apart() -> None:
    t = Transcript()
    assembler = MessageAssembler(t)
    seen: set[int] = set()
    one = assembler.upsert({"type": "ai", "content": "same"}, final=True, exclude=seen)
    assert one is not None
    seen.add(id(one))
    two = assembler.upsert({"type": "ai", "content": "same"}, final=True, exclude=seen)
    assert two is not None and two is not one and len(t.messages) == 2


def test_a_remove_message_deletes_the_block() -> None:
    t = Transcript()
    assembler = MessageAssembler(t)
    assembler.upsert({"type": "ai", "id": "a1", "content": "x"}, final=True)
    assert assembler.upsert({"type": "remove", "id": "a1"}, final=True) is None
    assert t.messages == []


def test_a_tool_result_is_linked_to_its_call() -> None:
    t = Transcript()
    assembler = MessageAssembler(t)
    call = {"id": "c1", "name": "get_weather", "args": {"city": "Paris"}}
    ai = assembler.upsert(
        {"type": "ai", "id": "a1", "content": "", "tool_calls": [call]}, final=True
    )
    result = assembler.upsert(
        {"type": "tool", "id": "t1", "content": "sunny", "tool_call_id": "c1", "status": "success"},
        final=True,
    )
    assert ai is not None and result is not None
    assert ai.tool_calls[0].args == {"city": "Paris"} and ai.tool_calls[0].result_key == "t1"
    assert result.tool_call_id == "c1" and result.status == "success"


def test_a_preview_keeps_its_tool_calls_until_a_final_list() -> None:
    t = Transcript()
    assembler = MessageAssembler(t)
    call = {"id": "c1", "name": "f", "args": {}}
    assembler.upsert({"type": "ai", "id": "a1", "content": "", "tool_calls": [call]}, final=False)
    block = assembler.upsert(
        {"type": "ai", "id": "a1", "content": "", "tool_calls": []}, final=False
    )
    assert block is not None and [c.id for c in block.tool_calls] == ["c1"]
    assembler.upsert({"type": "ai", "id": "a1", "content": "", "tool_calls": []}, final=True)
    assert block.tool_calls == []


def test_begin_run_empties_the_run_keys_in_place() -> None:
    t = Transcript()
    assembler = MessageAssembler(t)
    keys = assembler.run_keys
    block = assembler.upsert({"type": "ai", "id": "a1", "content": "x"}, final=True)
    assert block is not None and assembler.from_this_run(block)
    assembler.begin_run()
    assert assembler.run_keys is keys and keys == set()
    assert not assembler.from_this_run(block)


# --- NodeSteps -----------------------------------------------------------------------------


def test_node_steps_open_once_and_close() -> None:
    t = Transcript()
    steps = NodeSteps(t)
    steps.seen("model", (), 1, 1.0)
    steps.seen("model", (), 1, 2.0)  # already open
    steps.seen("__start__", (), 0, 1.0)  # internal: ignored
    assert [(s.node, s.started_at, s.ended_at) for s in t.nodes] == [("model", 1.0, None)]
    steps.done("model", (), 3.0)
    assert t.nodes[0].ended_at == 3.0
    steps.done("tools", ("child:1",), 4.0, error="boom")  # never seen: a zero-length step
    assert (t.nodes[1].node, t.nodes[1].ns, t.nodes[1].error) == ("tools", ("child:1",), "boom")
    assert t.nodes[1].started_at == t.nodes[1].ended_at == 4.0


def test_entered_remembers_the_open_node_until_one_is_done() -> None:
    t = Transcript()
    steps = NodeSteps(t)
    steps.entered("model", (), 1, 1.0)
    assert steps.open == ("model", ())
    steps.done("model", (), 2.0)
    assert steps.open is None
    steps.entered("model", (), 3, 3.0)
    assert len(t.nodes) == 2  # a new step of the same node


def test_fail_open_closes_the_last_open_step() -> None:
    t = Transcript()
    steps = NodeSteps(t)
    steps.seen("a", (), 1, 1.0)
    steps.seen("b", (), 2, 2.0)
    assert steps.fail_open("ValueError", 5.0) == "b"
    assert (t.nodes[1].ended_at, t.nodes[1].error) == (5.0, "ValueError")
    assert t.nodes[0].ended_at is None
    assert NodeSteps(Transcript()).fail_open("x", 1.0) is None


# --- token modes --------------------------------------------------------------------------


def _tuple_mode() -> tuple[Transcript, MessageAssembler, TupleMode]:
    t = Transcript()
    assembler = MessageAssembler(t)
    return t, assembler, TupleMode(t, assembler, NodeSteps(t))


def test_tuple_deltas_are_appended_and_timed() -> None:
    t, _, mode = _tuple_mode()
    for i, text in enumerate(["Hel", "lo", "!"]):
        mode.apply(_event("messages", [_chunk("a1", text), _meta()], at=10.0 + i))
    (message,) = t.messages
    assert message.text == "Hello!" and message.streaming and message.node == "model"
    assert (t.timing.first_token_at, t.timing.last_token_at, t.timing.tokens) == (10.0, 12.0, 3)
    mode.apply(_event("messages", [_chunk("a1", "", chunk_position="last"), _meta()]))
    assert not message.streaming
    assert [s.node for s in t.nodes] == ["model"]


def test_tool_call_chunks_are_assembled_by_index() -> None:
    t, _, mode = _tuple_mode()
    pieces = [
        {"index": 0, "id": "c1", "name": "get_weather", "args": '{"ci'},
        {"index": 0, "args": 'ty": "Paris"}'},
    ]
    for piece in pieces:
        mode.apply(_event("messages", [_chunk("a1", "", tool_call_chunks=[piece]), _meta()]))
    mode.apply(_event("messages", [_chunk("a1", "", chunk_position="last"), _meta()]))
    (call,) = t.messages[0].tool_calls
    assert (call.id, call.name, call.args) == ("c1", "get_weather", {"city": "Paris"})


def test_an_id_of_an_earlier_run_starts_a_new_block() -> None:
    t, assembler, mode = _tuple_mode()
    mode.apply(_event("messages", [_chunk("same", "first"), _meta()]))
    assembler.begin_run()
    mode.apply(_event("messages", [_chunk("same", "second"), _meta()]))
    assert [m.text for m in t.messages] == ["first", "second"]


def test_a_whole_message_in_the_tuple_stream_is_final() -> None:
    t, _, mode = _tuple_mode()
    tool = {"type": "tool", "id": "t1", "content": "sunny", "tool_call_id": "c1"}
    mode.apply(_event("messages", [tool, _meta("tools")]))
    (message,) = t.messages
    assert message.role == "tool" and message.node == "tools" and not message.streaming


def test_tuple_data_of_another_shape_is_refused() -> None:
    _, _, mode = _tuple_mode()
    with pytest.raises(ValueError):
        mode.apply(_event("messages", {"not": "a pair"}))


def test_cumulative_partials_replace_the_text() -> None:
    t = Transcript()
    assembler = MessageAssembler(t)
    mode = MessagesMode(t, assembler, NodeSteps(t))
    mode.apply(_event("messages/metadata", {"a1": {"metadata": _meta("chat", 2)}}))
    for text in ["Hello", "Hello!", "Hello! How"]:
        mode.apply(_event("messages/partial", [{"type": "ai", "id": "a1", "content": text}]))
    (message,) = t.messages
    assert message.text == "Hello! How" and message.streaming
    assert (message.node, message.step, t.timing.tokens) == ("chat", 2, 3)
    mode.apply(_event("messages/complete", [{"type": "ai", "id": "a1", "content": "Hello! How"}]))
    assert not message.streaming and message.text == "Hello! How"
    with pytest.raises(ValueError):
        mode.apply(_event("messages/partial", {"a1": "not a list"}))


def test_count_token_times_the_first_and_last() -> None:
    t = Transcript()
    count_token(t, 1.0)
    count_token(t, 2.5)
    assert (t.timing.first_token_at, t.timing.last_token_at, t.timing.tokens) == (1.0, 2.5, 2)


# --- the reducer's public additions --------------------------------------------------------------


def test_warnings_are_capped() -> None:
    reducer = Reducer()
    for i in range(150):
        reducer.warn(f"w{i}")
    assert len(reducer.transcript.warnings) == 100


def test_add_interrupts_questions_and_breakpoints() -> None:
    reducer = Reducer()
    t = reducer.transcript
    reducer.add_interrupts([])
    assert t.stop == "breakpoint" and t.interrupts == []
    reducer.add_interrupts([{"id": "i1", "value": {"q": 1}}], ("child:1",))
    reducer.add_interrupts([{"id": "i1", "value": {"q": 1}, "ns": ["child:1", "grand:2"]}])
    assert t.stop == "question"
    (pending,) = t.interrupts
    assert (pending.id, pending.value, pending.ns) == ("i1", {"q": 1}, ("child:1", "grand:2"))
    reducer.add_interrupts("not a list")
    assert len(t.interrupts) == 1


def test_the_reducer_routes_each_mode_to_its_handler() -> None:
    reducer = Reducer()
    reducer.begin_run(0.0)
    reducer.apply_batch(
        [
            _event("metadata", {"run_id": "r1", "attempt": 1}),
            _event("messages", [_chunk("a1", "tok"), _meta()]),
            _event("messages/partial", [{"type": "ai", "id": "b1", "content": "cum"}]),
            _event(
                "updates", {"model": {"messages": [{"type": "ai", "id": "a1", "content": "tok"}]}}
            ),
            _event("custom", {"x": 1}),
            _event("debug", {"ignored": True}),
            _event("mystery", {}),
        ]
    )
    t = reducer.transcript
    assert t.run_id == "r1" and [m.text for m in t.messages] == ["tok", "cum"]
    assert t.custom == [((), {"x": 1})] and t.nodes[0].ended_at is not None
    assert t.warnings == ["unknown event 'mystery' ignored"]
