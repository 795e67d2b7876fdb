"""Reasoning, streamed tool output and the namespace tree over the runs API (issue 16 §3).

The ``reasoning`` and ``subagent`` test graphs run on the real local server through
:class:`~bbot_tui.session.run.RunSession`; the transcript shows what the runs API carries of
them, the same model the thread event protocol fills.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bbot_tui.api.client import AgentClient
from bbot_tui.api.models import RunCreate
from bbot_tui.session.run import RunSession
from bbot_tui.stream.transcript import Transcript, user_message

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "graphs"))
from reasoning import (
    ANSWER_PREFIX,
    FORECAST_LINES,
    SAY_FIRST,
    THINK_AFTER,
    THINK_FIRST,
)


@pytest.fixture
async def client(server_url: str) -> AsyncIterator[AgentClient]:
    async with AgentClient(server_url) as client:
        yield client


async def _run(
    client: AgentClient, graph: str, text: str, modes: list[str], **fields: Any
) -> tuple[RunSession, list[tuple[str, str, int]], dict[tuple[str, ...], str]]:
    """Run ``graph`` once; returns the session, per update what the transcript held (each
    tool's output length, per call), and the text of the namespaced messages streamed (the
    thread state keeps none: the reconcile at the end drops them)."""
    thread = await client.threads.create()
    user = user_message(text)
    session = RunSession(client)
    session.reducer.transcript.add_user_message(text, user["id"])
    body = RunCreate(assistant_id=graph, input={"messages": [user]}, stream_mode=modes, **fields)
    seen: list[tuple[str, str, int]] = []
    by_ns: dict[tuple[str, ...], str] = {}
    async for _update in session.run(body, thread_id=thread.thread_id):
        for execution in session.transcript.tools.values():
            seen.append((execution.call_id, execution.status, len(execution.output)))
        by_ns.update((m.ns, m.text) for m in session.transcript.messages if m.ns)
    return session, seen, by_ns


def _reasoning(t: Transcript) -> list[tuple[str, str]]:
    return [(m.reasoning, m.text) for m in t.messages if m.role == "ai"]


async def test_reasoning_and_streamed_tool_output(client: AgentClient) -> None:
    session, seen, _ = await _run(
        client, "reasoning", "weather?", ["messages-tuple", "updates", "custom"]
    )
    t = session.transcript
    assert session.outcome.status == "success"
    output = "".join(FORECAST_LINES)
    # reasoning apart from the answer, in both AI messages (after the reconcile too)
    assert _reasoning(t) == [(THINK_FIRST, SAY_FIRST), (THINK_AFTER, ANSWER_PREFIX + output)]
    # the tool's output was seen growing while it ran, then the ToolMessage ended it
    (call_id,) = t.tools
    lengths = [n for cid, status, n in seen if cid == call_id and status == "running"]
    assert 0 < min(lengths) < len(output) and len(set(lengths)) == len(FORECAST_LINES)
    assert t.tools[call_id].output == output and t.tools[call_id].status == "done"
    assert t.namespaces == {} and t.warnings == []


async def test_reasoning_over_the_messages_mode(client: AgentClient) -> None:
    session, _, _ = await _run(client, "reasoning", "weather?", ["messages", "updates"])
    assert _reasoning(session.transcript)[0] == (THINK_FIRST, SAY_FIRST)


async def test_subagents_make_a_namespace_tree(client: AgentClient) -> None:
    modes = ["messages-tuple", "updates", "tasks"]
    session, _, by_ns = await _run(client, "subagent", "hi", modes, stream_subgraphs=True)
    t = session.transcript
    assert session.outcome.status == "success"
    nodes = list(t.namespaces.values())
    assert len(nodes) == 2 and all(len(n.path) == 1 for n in nodes)
    assert {n.label for n in nodes} == {"researcher"}
    assert {n.cause for n in nodes} == {"call_research_history_1", "call_research_geography_1"}
    assert {n.status for n in nodes} == {"done"}
    # each researcher's message streamed in its namespace
    for node in nodes:
        topic = "history" if node.cause == "call_research_history_1" else "geography"
        assert by_ns[node.path] == f"Notes on {topic}: three facts found."


async def test_a_subagent_question_and_failure_show_in_the_tree(client: AgentClient) -> None:
    modes = ["messages-tuple", "updates", "tasks"]
    asked, _, _ = await _run(client, "subagent", "please ask", modes, stream_subgraphs=True)
    status = {n.cause: n.status for n in asked.transcript.namespaces.values()}
    assert status == {"call_research_history_1": "interrupted", "call_research_geography_1": "done"}
    (pending,) = asked.transcript.interrupts
    assert pending.value == {"question": "Which century?"}
    assert pending.ns and pending.ns[0] in {n[0] for n in asked.transcript.namespaces}
    failed, _, _ = await _run(client, "subagent", "fail", modes, stream_subgraphs=True)
    nodes = {n.cause: n for n in failed.transcript.namespaces.values()}
    assert nodes["call_research_geography_1"].status == "failed"
    assert nodes["call_research_geography_1"].error == "researcher failed"
    assert failed.outcome.status == "error"


async def test_namespaces_without_tasks_end_with_the_run(client: AgentClient) -> None:
    session, _, _ = await _run(
        client, "subagent", "hi", ["messages-tuple", "updates"], stream_subgraphs=True
    )
    nodes = list(session.transcript.namespaces.values())
    assert len(nodes) == 2 and {n.status for n in nodes} == {"done"}
    assert {n.label for n in nodes} == {"tools"}
