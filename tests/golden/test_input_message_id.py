"""The human input message has the id the server will store from the start of a run.

``updates`` and ``messages`` streams never echo the input, so a transcript that shows the
user's text at once would otherwise hold it without an id until the run ends and the session
reconciles with the thread state. The session gives the input message an id (or keeps the one
the caller chose with ``user_message``) and shows the message with that id: checked here on the
real server at the first streamed update, for the stream-mode sets that carry no echo, and for
the headless ``--message`` input and its replay.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from golden_support import state_view, transcript_view

from bbot_tui.api.client import AgentClient
from bbot_tui.api.models import RunCreate
from bbot_tui.cli.main import build_parser
from bbot_tui.cli.options import build_run_request
from bbot_tui.cli.record import replay_transcript
from bbot_tui.session.run import RunSession
from bbot_tui.stream.inputs import input_message_id, with_input_message_id
from bbot_tui.stream.transcript import user_message

MODE_SETS = {
    "tuple+updates": ["messages-tuple", "updates"],
    "messages+updates": ["messages", "updates"],
    "updates": ["updates"],
}


@pytest.fixture
async def client(server_url: str) -> AsyncIterator[AgentClient]:
    async with AgentClient(server_url) as client:
        yield client


@pytest.mark.parametrize("modes", MODE_SETS.values(), ids=MODE_SETS.keys())
async def test_input_id_is_known_at_the_first_update(client: AgentClient, modes: list[str]) -> None:
    thread = await client.threads.create()
    text = f"hello {uuid.uuid4().hex[:6]}"
    session = RunSession(client)
    # a plain input without an id, as a caller may build it: the session gives it one
    body = RunCreate(
        assistant_id="chat",
        input={"messages": [{"role": "user", "content": text}]},
        stream_mode=modes,
    )
    seen: list[str | None] = []
    phases = []
    async for update in session.run(body, thread_id=thread.thread_id, user_text=text):
        human = [m for m in session.transcript.messages if m.role == "human"]
        assert [m.text for m in human] == [text]
        seen.append(human[0].id)
        phases.append(update.phase)
    assert phases[0] != "done" and len(seen) > 1
    first = seen[0]
    assert first is not None and uuid.UUID(first)
    assert set(seen) == {first}  # never renamed while the run went on
    state = await client.threads.get_state(thread.thread_id)
    stored = [m for m in state_view(state.messages) if m["type"] == "human"]
    assert [(m["id"], m["content"]) for m in stored] == [(first, text)]
    assert transcript_view(session.transcript.messages) == state_view(state.messages)


async def test_a_chosen_id_is_kept(client: AgentClient) -> None:
    thread = await client.threads.create()
    user = user_message("keep my id")
    session = RunSession(client)
    body = RunCreate(assistant_id="chat", input={"messages": [user]}, stream_mode=["updates"])
    updates = session.run(body, thread_id=thread.thread_id, user_text="keep my id")
    first = await anext(updates)
    assert first.phase != "done"
    assert [m.id for m in session.transcript.messages if m.role == "human"] == [user["id"]]
    async for _ in updates:
        pass
    state = await client.threads.get_state(thread.thread_id)
    assert [m["id"] for m in state.messages if m.get("type") == "human"] == [user["id"]]


def test_with_input_message_id_shapes() -> None:
    plain = RunCreate(assistant_id="a", input={"messages": [{"role": "user", "content": "x"}]})
    body, message_id = with_input_message_id(plain, "x")
    assert message_id and input_message_id(body.input, "x") == message_id
    assert plain.input == {"messages": [{"role": "user", "content": "x"}]}  # not changed
    assert "input" in body.model_fields_set
    # another shape of input, or a text that is not in it: left alone, no id
    other = RunCreate(assistant_id="a", input={"question": "x"})
    assert with_input_message_id(other, "x") == (other, None)
    assert with_input_message_id(plain, "y") == (plain, None)


def test_headless_message_input_carries_the_id_to_the_transcript_and_replay() -> None:
    args = build_parser().parse_args(["run", "--assistant", "chat", "--message", "hi there"])
    req = build_run_request(args)
    (message,) = req.body.input["messages"]  # type: ignore[index]
    assert message["content"] == "hi there" and uuid.UUID(message["id"])
    # the session keeps that id rather than choosing another
    assert with_input_message_id(req.body, "hi there") == (req.body, message["id"])
    # a recording's request line holds the body: the replay shows the same id
    request = {"type": "request", "body": req.body.to_body(), "user_text": "hi there"}
    transcript, _ = replay_transcript([request])
    assert [(m.id, m.text) for m in transcript.messages] == [(message["id"], "hi there")]
