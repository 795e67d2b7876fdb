"""Where a run's time went, from hand-made events: each waterfall source, usage, bars.

The real server's runs are measured in ``tests/cli/test_cli_timing.py`` (the waterfall equals
the thread history's steps, the usage the stored messages' ``usage_metadata``); here each source
of :mod:`bbot_tui.stream.timing` is driven through the reducer with exact times.
"""

from __future__ import annotations

import json
from typing import Any

from bbot_tui.api.events import StreamEvent
from bbot_tui.stream.reducer import Reducer
from bbot_tui.stream.timing import NodeSpan, Usage, bar_extent, measure


def _event(name: str, data: Any, at: float) -> StreamEvent:
    return StreamEvent.from_sse(name, json.dumps(data), None, at)


def _ai(message_id: str, text: str, usage: dict[str, int] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "ai", "id": message_id, "content": text}
    if usage is not None:
        out["usage_metadata"] = usage
    return out


def _spans(reducer: Reducer) -> list[tuple[str, float, float | None]]:
    timing = measure(reducer.transcript, reducer.stopwatch)
    return [(s.node, round(s.start, 3), _round(s.duration)) for s in timing.spans]


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def test_tasks_events_pair_by_task_id_and_win_over_updates() -> None:
    reducer = Reducer()
    reducer.begin_run(10.0)
    reducer.apply_batch(
        [
            _event("tasks", {"id": "t1", "name": "model", "input": {}}, 10.1),
            _event("tasks", {"id": "t1", "name": "model", "result": {}, "error": None}, 10.5),
            _event("updates", {"model": {"messages": []}}, 10.5),
            _event("tasks", {"id": "t2", "name": "tools", "input": {}}, 10.5),
            _event("tasks", {"id": "t3", "name": "audit", "input": {}}, 10.5),
            _event("tasks", {"id": "t3", "name": "audit", "result": {}}, 10.6),
            _event("tasks", {"id": "t2", "name": "tools", "error": "ValueError"}, 10.9),
        ]
    )
    reducer.end_run(11.0)
    timing = measure(reducer.transcript, reducer.stopwatch)
    assert timing.source == "tasks"
    assert _spans(reducer) == [("model", 0.1, 0.4), ("tools", 0.5, 0.4), ("audit", 0.5, 0.1)]
    assert timing.spans[1].error == "ValueError" and timing.total == 1.0 and not timing.running


def test_debug_events_use_the_servers_clock_placed_at_the_first_arrival() -> None:
    reducer = Reducer()
    reducer.begin_run(0.0)

    def debug(kind: str, ts: str, at: float, step: int, **payload: Any) -> StreamEvent:
        return _event(
            "debug", {"type": kind, "timestamp": ts, "step": step, "payload": payload}, at
        )

    reducer.apply_batch(
        [
            debug("checkpoint", "2026-01-01T00:00:00.000+00:00", 0.2, -1, config={}),
            debug("task", "2026-01-01T00:00:00.100+00:00", 0.9, 1, id="a", name="model"),
            # arrived late in one batch: the server's timestamps still give 0.25 s
            debug("task_result", "2026-01-01T00:00:00.350+00:00", 0.9, 1, id="a", name="model"),
            debug("task", "2026-01-01T00:00:00.350+00:00", 0.9, 2, id="b", name="tools"),
        ]
    )
    timing = measure(reducer.transcript, reducer.stopwatch)
    assert timing.source == "debug"
    assert _spans(reducer) == [("model", 0.3, 0.25), ("tools", 0.55, None)]
    assert [s.step for s in timing.spans] == [1, 2]


def test_updates_alone_infer_each_start_from_the_previous_write() -> None:
    reducer = Reducer()
    reducer.begin_run(5.0)
    reducer.apply_batch(
        [
            _event("metadata", {"run_id": "r1"}, 5.1),  # the server started the run
            _event("updates", {"model": {"messages": [_ai("a1", "call")]}}, 5.4),
            _event("updates", {"tools": {"messages": []}}, 5.5),
            _event("updates|sub:1", {"inner": {}}, 5.7),
            _event("updates", {"__interrupt__": []}, 5.8),
            _event("updates", {"model": {"messages": [_ai("a2", "done")]}}, 6.0),
        ]
    )
    assert measure(reducer.transcript, reducer.stopwatch).source == "updates"
    # the subgraph's node starts where its parent namespace last wrote
    assert _spans(reducer) == [
        ("model", 0.1, 0.3),
        ("tools", 0.4, 0.1),
        ("inner", 0.5, 0.2),
        ("model", 0.5, 0.5),
    ]


def test_token_metadata_is_the_fallback_source() -> None:
    reducer = Reducer()
    reducer.begin_run(0.0)
    chunk = {"type": "AIMessageChunk", "id": "a1", "content": "hi"}
    reducer.apply(_event("messages", [chunk, {"langgraph_node": "chat"}], 0.3))
    timing = measure(reducer.transcript, reducer.stopwatch)
    assert timing.source == "tokens" and timing.node_names() == ["chat"]
    assert timing.spans[0].duration is None  # no write ended it yet
    assert measure(Reducer().transcript, Reducer().stopwatch).source is None


def test_usage_sums_this_runs_messages_only() -> None:
    reducer = Reducer()
    t = reducer.transcript
    reducer.load_messages([_ai("old", "before", {"input_tokens": 100, "output_tokens": 100})])
    reducer.begin_run(0.0)
    first = {"input_tokens": 3, "output_tokens": 4, "total_tokens": 7}
    second = {"input_tokens": 10, "output_tokens": 2}  # no total: in + out
    reducer.apply(_event("updates", {"model": {"messages": [_ai("a1", "x", first)]}}, 0.1))
    reducer.apply(_event("updates", {"model": {"messages": [_ai("a2", "y", second)]}}, 0.2))
    reducer.apply(_event("updates", {"tools": {"messages": [_ai("a3", "no usage")]}}, 0.3))
    timing = measure(t, reducer.stopwatch)
    assert timing.usage == Usage(13, 6, 19, 2)
    assert timing.message_keys == {"a1", "a2", "a3"}
    # a CLI run on an older thread names the messages that predate it
    assert measure(t, reducer.stopwatch, exclude_ids={"a1"}).usage == Usage(10, 2, 12, 1)


def test_streamed_chunks_add_their_usage_until_the_final_message_replaces_it() -> None:
    reducer = Reducer()
    reducer.begin_run(0.0)
    meta = {"langgraph_node": "model"}
    head = {"type": "AIMessageChunk", "id": "a1", "content": "a", "usage_metadata": None}
    tail = {
        "type": "AIMessageChunk",
        "id": "a1",
        "content": "b",
        "chunk_position": "last",
        "usage_metadata": {"input_tokens": 2, "output_tokens": 1, "total_tokens": 3},
    }
    split = {**tail, "chunk_position": None, "usage_metadata": {"input_tokens": 5}}
    reducer.apply_batch([_event("messages", [c, meta], 0.1) for c in (head, split, tail)])
    message = reducer.transcript.messages[0]
    assert message.usage == {"input_tokens": 7, "output_tokens": 1, "total_tokens": 3}
    final = _ai("a1", "ab", {"input_tokens": 7, "output_tokens": 2, "total_tokens": 9})
    reducer.apply(_event("updates", {"model": {"messages": [final]}}, 0.2))
    assert measure(reducer.transcript, reducer.stopwatch).usage == Usage(7, 2, 9, 1)


def test_json_and_headline() -> None:
    reducer = Reducer()
    reducer.begin_run(0.0)
    reducer.apply(_event("metadata", {"run_id": "r1"}, 0.0))
    reducer.apply(_event("tasks", {"id": "t", "name": "chat"}, 0.0))
    reducer.apply(_event("tasks", {"id": "t", "name": "chat", "result": {}}, 0.5))
    reducer.end_run(1.0)
    timing = measure(reducer.transcript, reducer.stopwatch, rejoins=2, replayed=7)
    data = timing.to_json()
    assert data["waterfall"] == [{"node": "chat", "start": 0.0, "duration": 0.5}]
    assert (data["source"], data["rejoins"], data["replayed"], data["total"]) == (
        "tasks",
        2,
        7,
        1.0,
    )
    assert {"ttft", "tokens", "tokens_per_second", "usage"} <= set(data)
    assert data["first_event"] == 0.0 and data["restarts"] == 0
    line = timing.headline()
    assert (
        "1.00 s total" in line
        and "2 rejoins, 7 replayed events dropped, 0 restarts" in line
        and "from tasks" in line
    )


def test_bar_extent_keeps_every_bar_visible_and_inside_the_row() -> None:
    assert bar_extent(NodeSpan("a", start=0.0, duration=1.0), 2.0, 20) == (0, 10)
    assert bar_extent(NodeSpan("b", start=1.0, duration=0.0), 2.0, 20) == (10, 1)
    assert bar_extent(NodeSpan("c", start=2.0, duration=5.0), 2.0, 20) == (19, 1)
    assert bar_extent(NodeSpan("d", start=0.5, duration=None), 2.0, 4) == (1, 3)
    assert bar_extent(NodeSpan("e"), 0.0, 10) == (0, 1)
