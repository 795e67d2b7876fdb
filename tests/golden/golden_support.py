"""Shared helpers of the golden transcript tests: how a transcript is compared with a state.

The comparison keeps what a person and a resume need: id, type, text, tool calls (id, name,
arguments) and the tool call a tool message answers. Everything else a serialised message
carries (``response_metadata``, ``usage_metadata``…) is the server's business.
"""

from __future__ import annotations

import json
from typing import Any

from bbot_tui.api.models import ThreadState
from bbot_tui.stream.transcript import Message, Transcript, content_text, role_of


def state_view(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The compared fields of the server's serialised messages."""
    out = []
    for raw in messages:
        item: dict[str, Any] = {
            "id": raw.get("id"),
            "type": role_of(raw),
            "content": content_text(raw.get("content")),
        }
        calls = raw.get("tool_calls") or []
        if calls:
            item["tool_calls"] = [
                {"id": c.get("id"), "name": c.get("name"), "args": c.get("args")} for c in calls
            ]
        if raw.get("tool_call_id"):
            item["tool_call_id"] = raw["tool_call_id"]
        out.append(item)
    return out


def transcript_view(messages: list[Message]) -> list[dict[str, Any]]:
    """The same fields of transcript messages (error blocks are not messages of the state)."""
    out = []
    for message in messages:
        if message.role == "error":
            continue
        item: dict[str, Any] = {"id": message.id, "type": message.role, "content": message.text}
        if message.tool_calls:
            item["tool_calls"] = [
                {"id": c.id, "name": c.name, "args": c.args} for c in message.tool_calls
            ]
        if message.tool_call_id:
            item["tool_call_id"] = message.tool_call_id
        out.append(item)
    return out


def root_messages(transcript: Transcript, state_ids: set[str]) -> list[Message]:
    """The messages of the root graph: not namespaced, or returned by a subgraph to it.

    A subgraph's message keeps its namespace in the transcript (it came from the subgraph)
    even once the subgraph returned it to the root state.
    """
    return [m for m in transcript.messages if not m.ns or m.id in state_ids]


def subgraph_messages(task_states: list[Any]) -> list[dict[str, Any]]:
    """The messages held by the subgraph states of a state read with ``subgraphs=true``."""
    out: list[dict[str, Any]] = []
    for task_state in task_states:
        if not isinstance(task_state, dict):
            continue
        values = task_state.get("values") or {}
        messages = values.get("messages") if isinstance(values, dict) else None
        out += [m for m in messages or [] if isinstance(m, dict)]
    return out


def check_tool_pairs(transcript: Transcript) -> None:
    """Every tool message is paired with the tool call it answers."""
    for message in transcript.messages:
        if message.role != "tool":
            continue
        call = transcript.tool_call(message.tool_call_id or "")
        assert call is not None, f"tool message {message.id} answers no known call"
        assert call.result_key == message.key, f"tool call {call.id} not paired with its result"


def dumps(value: Any) -> str:
    """Compact JSON for failure messages."""
    return json.dumps(value, ensure_ascii=False, default=str)[:2000]


def check_stream_transcript(
    stream: Transcript, state: ThreadState, *, ids_from_stream: bool
) -> None:
    """A transcript built from stream events alone equals the thread state read after the run.

    Args:
        stream: the transcript, fed only stream events (and the user's input).
        state: the thread state, read with ``subgraphs=true``.
        ids_from_stream: False when the stream cannot carry every id: with
            ``stream_subgraphs`` and ``updates`` as the only message-carrying mode the server
            streams node writes before ``add_messages`` gives them ids (``"id": null``); the
            text, type and order must match all the same.
    """
    want = state_view(state.messages)
    state_ids = {m["id"] for m in want}
    root = transcript_view(root_messages(stream, state_ids))
    if not ids_from_stream and len(root) == len(want):
        want = [dict(w, id=None) if r["id"] is None else w for r, w in zip(root, want, strict=True)]
    assert root == want, f"stream:\n{dumps(root)}\nstate:\n{dumps(want)}"
    assert not any(m.streaming for m in stream.messages), "a message was left streaming"
    assert stream.warnings == []
    check_tool_pairs(stream)
    # subgraph messages (namespaced) not returned to the root are in a subgraph's state, or,
    # for a subagent run from a tool (whose state is gone once the tool returned), in the
    # result of that tool
    child = [m for m in stream.messages if m.ns and m.id not in state_ids]
    stored = subgraph_messages([task.state for task in state.tasks])
    known = {(role_of(m), content_text(m.get("content"))) for m in stored}
    results = [w["content"] for w in want if w["type"] == "tool"]
    unknown = {(m.role, m.text) for m in child} - known
    assert all(any(text in r for r in results) for _, text in unknown), dumps(sorted(unknown))
    pending = {(p.id, dumps(p.value)) for p in stream.interrupts}
    assert pending == {(i.id, dumps(i.value)) for i in state.interrupts}
