"""Golden transcripts: what the stream builds equals what the server stored, for every graph.

Each test graph runs on the real local server through :class:`bbot_tui.session.run.RunSession`,
once per stream-mode set (``[messages-tuple, updates]``, ``[messages, updates]``, ``[values]``,
``[updates]``), each with and without ``stream_subgraphs``: eight runs per graph, started
concurrently (the server runs four at a time).

Two transcripts are checked per run:

- the **stream-only** one: a separate :class:`Reducer` fed exactly the events the session
  yielded, never the thread state. Its root messages must equal the final thread state's
  messages (ids, types, text, tool calls, tool call ids), its pending interrupts the state's
  interrupts, with nothing left "streaming" and no warning;
- the **session's** one, which the session reconciles with the thread state at the end, and
  its outcome (success, interrupted, error).

One server fact the stream-only check must allow: with ``stream_subgraphs`` and ``updates`` as
the only message-carrying mode, the server streams node writes *before* ``add_messages`` gives
them ids (``"id": null``), so those ids are unknowable from the stream alone; the text, type and
order must still match, and the session's reconciled transcript has the ids.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from golden_support import check_stream_transcript, state_view, transcript_view

from bbot_tui.api.client import AgentClient
from bbot_tui.api.models import RunCreate
from bbot_tui.session.run import RunSession
from bbot_tui.stream.reducer import Reducer
from bbot_tui.stream.transcript import user_message

GRAPHS = tuple(
    json.loads((Path(__file__).parents[1] / "graphs" / "langgraph.json").read_text())["graphs"]
)
"""Every test graph the server serves: a graph added there is covered here without an edit."""

MODE_SETS = {
    "tuple+updates": ["messages-tuple", "updates"],
    "messages+updates": ["messages", "updates"],
    "values": ["values"],
    "updates": ["updates"],
}
OUTCOME = {
    "approval": "interrupted",
    "subgraph": "interrupted",
    "parallel": "interrupted",
    "legacy_hitl": "interrupted",
    "hitl_v1": "interrupted",
    "fail": "error",
}
"""Expected outcome per graph (``success`` when not listed)."""
THREAD_STATUS = {"interrupted": "interrupted", "error": "error", "success": "idle"}
FAST = {"configurable": {"tokens": 30, "delay": 0.0}}
"""``slow`` streams 30 tokens without delay; other graphs ignore it."""


@pytest.fixture
async def client(server_url: str) -> AsyncIterator[AgentClient]:
    async with AgentClient(server_url) as client:
        yield client


async def _run_variant(
    client: AgentClient, graph: str, modes: list[str], subgraphs: bool
) -> dict[str, Any]:
    """One run: returns both transcripts, the session outcome and the server's view."""
    thread = await client.threads.create()
    user = user_message("hi")
    session = RunSession(client)
    stream_only = Reducer()
    for reducer in (session.reducer, stream_only):
        reducer.transcript.add_user_message("hi", user["id"])
    body = RunCreate(
        assistant_id=graph,
        input={"messages": [user]},
        stream_mode=modes,
        stream_subgraphs=subgraphs,
        config=FAST,
    )
    stream_only.begin_run()
    async for update in session.run(body, thread_id=thread.thread_id):
        stream_only.apply_batch(update.events)
    return {
        "session": session,
        "stream": stream_only.transcript,
        "state": await client.threads.get_state(thread.thread_id, subgraphs=True),
        "thread": await client.threads.get(thread.thread_id),
    }


def _check(graph: str, modes: list[str], subgraphs: bool, got: dict[str, Any]) -> None:
    session: RunSession = got["session"]
    stream = got["stream"]
    state = got["state"]
    expected = OUTCOME.get(graph, "success")

    # the stream-only transcript: its messages and interrupts equal the stored ones
    # a tool task started with ``Send`` (the subagent's) writes its ToolMessage before
    # ``add_messages`` gives it an id, like a subgraph's node writes
    no_ids = modes == ["updates"] and (subgraphs or graph == "subagent")
    check_stream_transcript(stream, state, ids_from_stream=not no_ids)
    # only the subgraph and the subagents, streamed with their subgraphs, have messages of
    # their own: namespaced ones
    child = {m.text for m in stream.messages if m.ns}
    if graph == "subgraph" and subgraphs and modes != ["values"]:
        assert child == {"Inner subgraph streaming an answer."}
    elif graph == "subagent" and subgraphs and modes != ["values"]:
        assert child == {
            f"Notes on {topic}: three facts found." for topic in ("history", "geography")
        }
    else:
        assert child == set()
    # interrupts and why the run stopped
    assert stream.stop == {"interrupted": "question", "error": "error"}.get(expected)
    if expected == "error":
        assert stream.error == {"error": "ValueError", "message": "kaboom from node"}

    # the session: its outcome, and its reconciled transcript equal to the state (ids too)
    outcome = session.outcome
    assert outcome.status == expected, outcome
    assert {p.id for p in outcome.interrupts} == {i.id for i in state.interrupts}
    assert transcript_view(session.transcript.messages) == state_view(state.messages)
    assert got["thread"].status == THREAD_STATUS[expected]


@pytest.mark.parametrize("graph", GRAPHS)
async def test_transcript_equals_thread_state(client: AgentClient, graph: str) -> None:
    variants = [(name, modes, sub) for name, modes in MODE_SETS.items() for sub in (False, True)]
    results = await asyncio.gather(
        *(_run_variant(client, graph, modes, sub) for _, modes, sub in variants),
        return_exceptions=True,
    )
    failures = []
    for (name, modes, sub), result in zip(variants, results, strict=True):
        label = f"{graph} [{name}{' +subgraphs' if sub else ''}]"
        try:
            if isinstance(result, BaseException):
                raise result
            _check(graph, modes, sub, result)
        except AssertionError as exc:
            failures.append(f"{label}: {exc}")
    assert not failures, "\n\n".join(failures)
