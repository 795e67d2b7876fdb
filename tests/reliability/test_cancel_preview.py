"""Stopping a run keeps the text the user was reading, flagged as not saved (real server).

The server never saves the answer a cancelled run was streaming (docs/PROTOCOL.md, "Cancel, stop
and the unsaved preview"): the
thread state after a cancel holds the input, not the partial answer. The session reconciles
with that state, but keeps the streamed preview the state lacks, flagged ``unsaved``; opening
the thread again shows the state only. Runs the ``slow`` graph (configurable tokens and delay)
on the real local server and cancels it through :meth:`RunSession.cancel` mid-stream.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from bbot_tui.api.client import AgentClient
from bbot_tui.api.models import RunCreate
from bbot_tui.session.run import RunSession


@pytest.fixture
async def client(server_url: str) -> AsyncIterator[AgentClient]:
    async with AgentClient(server_url) as client:
        yield client


def _body(text: str) -> RunCreate:
    return RunCreate(
        assistant_id="slow",
        input={"messages": [{"role": "user", "content": text}]},
        stream_mode=["messages-tuple", "updates"],
        context={"tokens": 3000, "delay": 0.02},
    )


async def _cancelled_run(client: AgentClient, thread_id: str, text: str) -> RunSession:
    """Stream a slow run on ``thread_id`` and cancel it once a few tokens were shown."""
    session = RunSession(client)
    cancelled = False
    async for update in session.run(_body(text), thread_id=thread_id, user_text=text):
        ai = [m for m in session.transcript.messages if m.role == "ai"]
        if not cancelled and ai and "tok5 " in ai[0].text:
            assert ai[0].streaming and update.phase == "streaming"
            assert await session.cancel()
            cancelled = True
    assert cancelled, "the run ended before it could be cancelled"
    return session


async def test_a_cancelled_preview_stays_flagged_and_reopening_shows_the_state(
    client: AgentClient,
) -> None:
    thread = await client.threads.create()
    text = f"talk {uuid.uuid4().hex[:6]}"
    session = await _cancelled_run(client, thread.thread_id, text)

    assert session.outcome.status == "cancelled"
    run = await client.runs.get(thread.thread_id, session.outcome.run_id or "")
    assert run.status == "interrupted"
    state = await client.threads.get_state(thread.thread_id)
    stored = [(m.get("type"), m.get("id")) for m in state.messages]
    assert all(kind != "ai" for kind, _ in stored)  # the server saved no part of the answer

    t = session.transcript
    human, preview = t.messages  # the input (saved), then the partial answer (not saved)
    assert (human.role, human.text, human.unsaved) == ("human", text, False)
    assert ("human", human.id) in stored  # replaced by the stored message
    assert preview.role == "ai" and preview.unsaved and not preview.streaming
    assert preview.text.startswith("tok0 tok1 tok2 tok3 tok4 tok5 ")
    assert "tok2999" not in preview.text
    assert [m.get("unsaved") for m in t.to_json()] == [None, True]
    assert t.stop == "cancelled"

    # reopening the thread (a new session, as the TUI does) shows only the saved messages
    reopened = RunSession(client)
    await reopened.load_thread(thread.thread_id)
    assert [(m.role, m.text, m.unsaved) for m in reopened.transcript.messages] == [
        ("human", text, False)
    ]
    # and loading it into the same transcript drops the unsaved preview too
    await session.load_thread(thread.thread_id)
    assert [(m.role, m.unsaved) for m in t.messages] == [("human", False)]


async def test_the_next_run_replaces_the_unsaved_preview_with_the_state(
    client: AgentClient,
) -> None:
    thread = await client.threads.create()
    session = await _cancelled_run(client, thread.thread_id, "first")
    assert [m.unsaved for m in session.transcript.messages] == [False, True]

    # the next run on the same transcript ends normally: only saved messages remain
    body = RunCreate(
        assistant_id="slow",
        input={"messages": [{"role": "user", "content": "second"}]},
        stream_mode=["messages-tuple", "updates"],
        context={"tokens": 3, "delay": 0.0},
    )
    async for _ in session.run(body, thread_id=thread.thread_id, user_text="second"):
        pass
    assert session.outcome.status == "success"
    state = await client.threads.get_state(thread.thread_id)
    t = session.transcript
    assert [(m.id, m.text) for m in t.messages] == [(m["id"], m["content"]) for m in state.messages]
    assert [m.role for m in t.messages] == ["human", "human", "ai"]
    assert not any(m.unsaved for m in t.messages)
    assert t.messages[-1].text == "tok0 tok1 tok2"
