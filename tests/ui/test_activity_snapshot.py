"""Snapshot: reasoning (collapsed, and expanded with R), a running tool's streamed output and
the namespace tree with its lifecycle marks (issue 16 §3).

The app runs on the fixed server of ``snapshot_data`` (the greeting thread open); the run's
events are then applied by hand to the open transcript, in the shapes the runs API sends them
(the flows against the real server are in ``test_app_activity.py``), so every run draws the
same screen.
"""

from __future__ import annotations

import json
from typing import Any

from app_pilot import wait_for
from snapshot_data import fixed_app
from textual.pilot import Pilot

from bbot_tui.api.events import StreamEvent
from bbot_tui.stream.reducer import Reducer
from bbot_tui.tui.widgets.message_view import MessageView
from bbot_tui.tui.widgets.namespace_tree import NamespaceTree

META = {"langgraph_node": "model", "langgraph_step": 1}


def _event(name: str, data: Any) -> StreamEvent:
    return StreamEvent.from_sse(name, json.dumps(data), None, 1.0)


def _chunk(message_id: str, content: Any, **extra: Any) -> StreamEvent:
    chunk = {"type": "AIMessageChunk", "id": message_id, "content": content, **extra}
    return _event("messages", [chunk, META])


def _run(reducer: Reducer) -> None:
    """The thread's answer made short (a ``values`` event), a finished answer with reasoning,
    then one that thinks and calls a tool streaming its output, and subagents that run,
    finish, fail and wait."""
    thought = "The user asks for Paris. The forecast tool knows; two researchers can help."
    reducer.apply(
        _event(
            "values",
            {
                "messages": [
                    {"type": "human", "id": "m-1", "content": "how do I greet someone in Python?"},
                    {"type": "ai", "id": "m-2", "content": "(greeting answer)"},
                ]
            },
        )
    )
    reducer.apply_batch(
        [
            _chunk("a-0", [{"type": "reasoning", "reasoning": "Short thought.", "index": 0}]),
            _chunk("a-0", [{"type": "text", "text": "It is sunny.", "index": 1}]),
            _chunk("a-0", [], chunk_position="last"),
            _chunk("a-1", [{"type": "reasoning", "reasoning": thought, "index": 0}]),
            _chunk("a-1", [{"type": "text", "text": "Let me check the forecast.", "index": 1}]),
            _chunk(
                "a-1",
                [],
                tool_call_chunks=[
                    {"name": "forecast", "args": '{"city": "Paris"}', "id": "call-1", "index": 0}
                ],
            ),
            _event("custom", {"tool_call_id": "call-1", "delta": "Morning: fog, 12 °C.\n"}),
            _event("custom", {"tool_call_id": "call-1", "delta": "Afternoon: sun, 21 °C.\n"}),
        ]
    )
    activity = reducer.activity
    activity.namespace_started(("tools:1",), label="researcher", cause="call-1")
    activity.namespace_started(("tools:2",), label="researcher")
    activity.seen(("tools:2", "summarise:3"))
    activity.namespace_started(("tools:4",), label="reviewer")
    activity.namespace_ended(("tools:1",), "done")
    activity.namespace_ended(("tools:2", "summarise:3"), "failed", "quota exceeded")
    activity.namespace_ended(("tools:4",), "interrupted")


def test_snapshot_reasoning_tool_output_and_namespace_tree(snap_compare: Any) -> None:
    async def activity(pilot: Pilot[Any]) -> None:
        app: Any = pilot.app
        await app.ready.wait()
        screen = app.main_screen
        await wait_for(pilot, lambda: len(screen.transcript.messages) == 2, "the thread")
        await wait_for(pilot, lambda: len(screen.thread_pane.threads) == 3, "the thread list")
        await app.workers.wait_for_complete()
        _run(Reducer(screen.transcript))
        tree = screen.query_one(NamespaceTree)
        await wait_for(pilot, lambda: len(tree.drawn) == 4, "the namespace tree")
        view = screen.query_one(MessageView)
        view.focus()
        await pilot.press("R")  # the last reasoning, expanded
        await pilot.pause()
        view.sync(force=True)
        screen.composer.cursor_blink = False
        await pilot.pause()

    app, _server = fixed_app()
    assert snap_compare(app, terminal_size=(130, 48), run_before=activity)
