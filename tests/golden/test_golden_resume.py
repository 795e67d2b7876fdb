"""Golden transcripts across runs: an interrupt answered, a breakpoint continued.

A chat is several runs on one transcript. Each human-in-the-loop graph stops at its interrupt
and is resumed (``command.resume``, by value or by interrupt id); ``steps`` stops at a
breakpoint (``interrupt_before``) and continues with no input. After the second run the
transcript built from the two runs' stream events alone must equal the thread state, and the
session's outcome must say how each run ended.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from golden_support import check_stream_transcript, state_view, transcript_view

from bbot_tui.api.client import AgentClient
from bbot_tui.api.models import RunCreate
from bbot_tui.session.run import RunSession, build_command
from bbot_tui.stream.reducer import Reducer
from bbot_tui.stream.transcript import PendingInterrupt, user_message

RESUME: dict[str, tuple[Any, str]] = {
    "approval": ("yes", "you said yes"),
    "subgraph": ("ok", "outer post"),
    "parallel": (None, "a=A b=B"),  # answered by id: see _command
    "legacy_hitl": ([{"type": "accept", "args": None}], "decision: accept"),
    "hitl_v1": ({"decisions": [{"type": "approve"}]}, "decision: approve"),
}
"""Graph → (resume value, text of the last message after the resume)."""
MODE_SETS = {
    "tuple+updates": (["messages-tuple", "updates"], False),
    "messages+updates": (["messages", "updates"], False),
    "values": (["values"], False),
    "updates+subgraphs": (["updates"], True),
}


@pytest.fixture
async def client(server_url: str) -> AsyncIterator[AgentClient]:
    async with AgentClient(server_url) as client:
        yield client


class Chat:
    """A session and a stream-only reducer fed the same events, over several runs."""

    def __init__(self, client: AgentClient, thread_id: str) -> None:
        self.client = client
        self.thread_id = thread_id
        self.session = RunSession(client)
        self.stream = Reducer()

    async def run(self, body: RunCreate) -> str:
        self.stream.begin_run()
        async for update in self.session.run(body, thread_id=self.thread_id):
            self.stream.apply_batch(update.events)
        return self.session.outcome.status

    def ask(self, text: str) -> dict[str, Any]:
        user = user_message(text)
        for reducer in (self.session.reducer, self.stream):
            reducer.transcript.add_user_message(text, user["id"])
        return {"messages": [user]}


def _command(graph: str, pending: list[PendingInterrupt]) -> Any:
    if graph == "parallel":
        answers = {p.id: "A" if p.value["question"] == "a?" else "B" for p in pending}
        return build_command(resume_map=answers)
    return build_command(resume=RESUME[graph][0], has_resume=True)


async def _resume_variant(
    client: AgentClient, graph: str, modes: list[str], subgraphs: bool
) -> None:
    thread = await client.threads.create()
    chat = Chat(client, thread.thread_id)
    common: dict[str, Any] = {
        "assistant_id": graph,
        "stream_mode": modes,
        "stream_subgraphs": subgraphs,
    }
    first = await chat.run(RunCreate(input=chat.ask("hi"), **common))
    assert first == "interrupted"
    pending = list(chat.stream.transcript.interrupts)
    assert pending and chat.stream.transcript.stop == "question"
    second = await chat.run(RunCreate(command=_command(graph, pending), **common))
    assert second == "success", chat.session.outcome
    state = await client.threads.get_state(thread.thread_id, subgraphs=True)
    assert state.messages[-1]["content"] == RESUME[graph][1]
    check_stream_transcript(chat.stream.transcript, state, ids_from_stream=not subgraphs)
    assert chat.stream.transcript.stop is None and chat.stream.transcript.interrupts == []
    assert transcript_view(chat.session.transcript.messages) == state_view(state.messages)


@pytest.mark.parametrize("graph", sorted(RESUME))
async def test_resumed_transcript_equals_thread_state(client: AgentClient, graph: str) -> None:
    results = await asyncio.gather(
        *(_resume_variant(client, graph, m, s) for m, s in MODE_SETS.values()),
        return_exceptions=True,
    )
    failures = [
        f"{graph} [{name}]: {result!r}"
        for name, result in zip(MODE_SETS, results, strict=True)
        if result is not None
    ]
    assert not failures, "\n\n".join(failures)


@pytest.mark.parametrize("modes", [["messages-tuple", "updates"], ["values"], ["updates"]])
async def test_breakpoint_then_continue(client: AgentClient, modes: list[str]) -> None:
    thread = await client.threads.create()
    chat = Chat(client, thread.thread_id)
    body = RunCreate(
        assistant_id="steps",
        input=chat.ask("hi"),
        stream_mode=modes,
        interrupt_before=["step2"],
    )
    assert await chat.run(body) == "interrupted"
    stream = chat.stream.transcript
    assert chat.session.transcript.stop == "breakpoint"
    # a breakpoint streams ``updates`` {"__interrupt__": []}; a ``values`` stream does not show
    # it at all (the session learns it from the state's ``next``)
    assert stream.stop == ("breakpoint" if "updates" in modes else None)
    assert stream.interrupts == []
    assert chat.session.transcript.next_nodes == ["step2"]
    state = await client.threads.get_state(thread.thread_id)
    assert state.next == ["step2"]
    check_stream_transcript(stream, state, ids_from_stream=True)
    assert [m.text for m in stream.messages] == ["hi", "step1"]

    assert await chat.run(RunCreate(assistant_id="steps", stream_mode=modes)) == "success"
    state = await client.threads.get_state(thread.thread_id)
    check_stream_transcript(chat.stream.transcript, state, ids_from_stream=True)
    assert [m.text for m in chat.stream.transcript.messages] == ["hi", "step1", "step2", "step3"]
    assert chat.stream.transcript.stop is None
