"""Golden transcripts over the thread-centric event protocol, against the runs API and the SDK.

Every test graph runs the same conversation twice on the real local server, once per protocol
(:class:`~bbot_tui.session.run.RunSession` with ``protocol="runs"`` and ``"events"``, each on a
thread of its own): a first run, then, while it stops at questions, every pending question
answered by its id (and namespace) in one resume. After each run:

- each protocol's transcript equals the thread's stored messages (ids, types, text, tool calls,
  tool call ids) and its pending questions equal the stored interrupts;
- both protocols end the same way (outcome, thread status, questions) with the same
  transcript (ids aside: the model's messages get ids of their own run);
- over the event protocol, a second reducer fed only the events the session yielded (no
  thread state) has the stored messages too, the first run at least.

The shapes covered: straight answers, tool calls, questions of each shape (``interrupt()``,
agent-inbox, HITL middleware), parallel questions answered by id, a question from a nested
namespace (a subgraph; a subagent called from a tool), a breakpoint (continued over the event
protocol), an error. The Python SDK's ``AsyncThreadStream`` (the reference client) assembles
the same messages as this client on the same graphs. Detection and the refused options are
here too.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from golden_support import check_stream_transcript, dumps, state_view, transcript_view
from langgraph_sdk import get_client

from bbot_tui.api.client import AgentClient
from bbot_tui.api.models import RunCreate
from bbot_tui.api.thread_events import PROBE_THREAD
from bbot_tui.session.event_run import UnsupportedOption, run_start_params
from bbot_tui.session.run import RunSession, build_command
from bbot_tui.stream.event_protocol import EventReducer, from_log
from bbot_tui.stream.reducer import Reducer
from bbot_tui.stream.transcript import Transcript, user_message

GRAPHS = tuple(
    json.loads((Path(__file__).parents[1] / "graphs" / "langgraph.json").read_text())["graphs"]
)
"""Every test graph the server serves: a graph added there is covered here without an edit."""
FAST = {"configurable": {"tokens": 30, "delay": 0.0}}
ANSWERS: dict[str, Any] = {
    "legacy_hitl": [{"type": "accept", "args": None}],
    "hitl_v1": {"decisions": [{"type": "approve"}]},
}
"""The answer to a graph's questions (``"yes"`` when not listed)."""
QUESTIONS = {"subagent": ("hi", "ask me", "fail now")}
"""The first question of each conversation (``hi`` when not listed): a subagent that answers,
one whose subagent asks (a nested question), one whose subagent fails."""
THREAD_STATUS = {"interrupted": "interrupted", "error": "error", "success": "idle"}


@pytest.fixture
async def client(server_url: str) -> AsyncIterator[AgentClient]:
    async with AgentClient(server_url) as client:
        yield client


def _without_ids(view: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in item.items() if k != "id"} for item in view]


async def _conversation(
    client: AgentClient, graph: str, question: str, protocol: str
) -> list[dict[str, Any]]:
    """A conversation over one protocol: the first run, then answers while questions wait."""
    thread_id = (await client.threads.create()).thread_id
    session = RunSession(client, protocol=protocol)  # type: ignore[arg-type]
    user = user_message(question)
    session.transcript.add_user_message(question, user["id"])
    body = RunCreate(assistant_id=graph, input={"messages": [user]}, config=FAST)
    steps = []
    for step in range(4):
        stream_only = EventReducer(Reducer())
        stream_only.reducer.transcript.add_user_message(question, user["id"])
        stream_only.reducer.begin_run()
        notices = []
        async for update in session.run(body, thread_id=thread_id):
            if protocol == "events":
                for event in update.events:
                    stream_only.apply(from_log(event))
            if update.notice:
                notices.append(update.notice)
        stream_only.reducer.end_run(0.0)
        steps.append(
            {
                "outcome": session.outcome,
                "view": transcript_view(session.transcript.messages),
                "interrupts": {(p.id, dumps(p.value)) for p in session.transcript.interrupts},
                "stop": session.transcript.stop,
                "warnings": list(session.transcript.warnings),
                "state": await client.threads.get_state(thread_id, subgraphs=True),
                "state_again": await client.threads.get_state(thread_id, subgraphs=True),
                "thread": await client.threads.get(thread_id),
                "stream": stream_only.reducer.transcript,
                "step": step,
            }
        )
        if session.outcome.status != "interrupted" or not session.transcript.interrupts:
            break
        answer = ANSWERS.get(graph, "yes")
        resume = {p.id: answer for p in session.transcript.interrupts if p.id}
        body = RunCreate(assistant_id=graph, command=build_command(resume_map=resume))
    return steps


def _check_step(graph: str, protocol: str, got: dict[str, Any]) -> None:
    state = got["state"]
    label = f"{graph} over {protocol}, run {got['step'] + 1}"
    want = state_view(state.messages)
    # a message written without an id by a task of a superstep that stopped at a question
    # gets a new id each time the state is read (the server applies the pending write
    # again): only such ids are left out of the comparison
    again = {m["id"] for m in state_view(got["state_again"].messages)}
    unstable = {w["id"] for w in want} - again
    if unstable:
        want = [dict(w, id=None) if w["id"] in unstable else w for w in want]
        got = dict(got, view=[dict(v, id=None) if v["id"] not in again else v for v in got["view"]])
    assert got["view"] == want, f"{label}:\n{dumps(got['view'])}\nstate:\n{dumps(want)}"
    assert got["interrupts"] == {(i.id, dumps(i.value)) for i in state.interrupts}, label
    assert got["thread"].status == THREAD_STATUS[got["outcome"].status], label
    assert got["warnings"] == [], f"{label}: {got['warnings']}"
    assert got["outcome"].protocol == protocol, label


@pytest.mark.parametrize("graph", GRAPHS)
async def test_both_protocols_give_the_stored_transcript(client: AgentClient, graph: str) -> None:
    questions = QUESTIONS.get(graph, ("hi",))
    runs = await asyncio.gather(
        *(
            _conversation(client, graph, question, protocol)
            for question in questions
            for protocol in ("runs", "events")
        )
    )
    failures = []
    for index, question in enumerate(questions):
        by_runs, by_events = runs[2 * index], runs[2 * index + 1]
        try:
            for protocol, steps in (("runs", by_runs), ("events", by_events)):
                for got in steps:
                    _check_step(graph, protocol, got)
            assert len(by_runs) == len(by_events), f"{graph} {question!r}: runs differ"
            for a, b in zip(by_runs, by_events, strict=True):
                assert a["outcome"].status == b["outcome"].status, (a["outcome"], b["outcome"])
                assert a["stop"] == b["stop"]
                assert len(a["interrupts"]) == len(b["interrupts"])
                theirs, ours = _without_ids(a["view"]), _without_ids(b["view"])
                if a["outcome"].status == "error":
                    # parallel tasks of the step that failed race the failure: which of their
                    # results were saved differs from run to run (each equals its own state)
                    theirs = [m for m in theirs if m["type"] != "tool"]
                    ours = [m for m in ours if m["type"] != "tool"]
                assert theirs == ours, (
                    f"{graph} {question!r}:\nruns:\n{dumps(a['view'])}\nevents:\n{dumps(b['view'])}"
                )
            first = by_events[0]
            stable = {m["id"] for m in state_view(first["state"].messages)} == {
                m["id"] for m in state_view(first["state_again"].messages)
            }
            if first["outcome"].status != "error" and stable:
                check_stream_transcript(first["stream"], first["state"], ids_from_stream=True)
        except AssertionError as exc:
            failures.append(f"{graph} {question!r}: {exc}")
    assert not failures, "\n\n".join(failures)


@pytest.mark.parametrize("graph", ["chat", "agent", "reasoning", "markdown", "subagent"])
async def test_the_sdk_assembles_the_same_messages(
    client: AgentClient, server_url: str, graph: str
) -> None:
    """The reference client (``AsyncThreadStream``) on the same graph: the same root messages
    (type, text, tool calls) as this client's stream over the event protocol."""
    user = {"type": "human", "content": "hi", "id": str(uuid.uuid4())}
    sdk = get_client(url=server_url)
    async with sdk.threads.stream(str(uuid.uuid4()), assistant_id=graph) as thread:
        streams: list[Any] = []

        async def collect() -> None:
            async for stream in thread.messages:
                streams.append(stream)

        task = asyncio.create_task(collect())
        await thread.run.start(input={"messages": [user]}, config=FAST)
        await thread.output.with_timeout(60)
        await asyncio.sleep(0.5)  # the last message events reach the projection
        theirs = []
        for stream in streams:
            message = await asyncio.wait_for(stream, 10)
            calls = [{"name": c["name"], "args": c["args"]} for c in message.tool_calls]
            theirs.append({"type": message.type, "content": message.text, "tool_calls": calls})
        task.cancel()

    session = RunSession(client, protocol="events")
    stream_only = EventReducer(Reducer())
    stream_only.reducer.begin_run()
    body = RunCreate(assistant_id=graph, input={"messages": [user]}, config=FAST)
    async for update in session.run(body, thread_id=str(uuid.uuid4())):
        for event in update.events:
            stream_only.apply(from_log(event))
    ours = [
        {
            "type": m.role,
            "content": m.text,
            "tool_calls": [{"name": c.name, "args": c.args} for c in m.tool_calls],
        }
        for m in stream_only.reducer.transcript.messages
        if m.role == "ai" and not m.ns
    ]
    assert theirs and ours == theirs, f"ours:\n{dumps(ours)}\nSDK:\n{dumps(theirs)}"


async def test_a_breakpoint_set_over_the_runs_api_continues_over_the_event_protocol(
    client: AgentClient,
) -> None:
    thread_id = (await client.threads.create()).thread_id
    session = RunSession(client)
    user = user_message("hi")
    session.transcript.add_user_message("hi", user["id"])
    body = RunCreate(
        assistant_id="approval", input={"messages": [user]}, interrupt_before=["approve"]
    )
    async for _ in session.run(body, thread_id=thread_id):
        pass
    assert (session.outcome.status, session.transcript.stop) == ("interrupted", "breakpoint")
    # continue from the breakpoint (no input): run.start over the event protocol
    session.protocol = "events"
    async for _ in session.run(RunCreate(assistant_id="approval"), thread_id=thread_id):
        pass
    state = await client.threads.get_state(thread_id, subgraphs=True)
    assert session.outcome.protocol == "events"
    assert (session.outcome.status, session.transcript.stop) == ("interrupted", "question")
    assert transcript_view(session.transcript.messages) == state_view(state.messages)
    assert [p.id for p in session.transcript.interrupts] == [i.id for i in state.interrupts]


async def test_options_the_protocol_cannot_carry_are_refused_by_name(client: AgentClient) -> None:
    session = RunSession(client, protocol="events")
    thread_id = str(uuid.uuid4())
    for fields, named in (
        ({"interrupt_before": ["approve"]}, "interrupt_before"),
        ({"context": {"a": 1}}, "context"),
        ({"webhook": "http://127.0.0.1:9/hook"}, "webhook"),
        ({"durability": "exit"}, "durability"),
        ({"stream_mode": ["debug", "values"]}, "stream_mode debug"),
        ({"on_disconnect": "cancel"}, "on_disconnect=cancel"),
        ({"after_seconds": 5}, "after_seconds"),
    ):
        body = RunCreate(assistant_id="chat", input={"messages": []}, **fields)
        with pytest.raises(UnsupportedOption) as caught:
            async for _ in session.run(body, thread_id=thread_id):
                pass
        assert named in caught.value.message, caught.value.message
    # nothing was started: the thread does not exist
    with pytest.raises(Exception, match="404"):
        await client.threads.get(thread_id)
    carried = RunCreate(
        assistant_id="chat",
        input={"messages": []},
        metadata={"k": "v"},
        config={"configurable": {"x": 1}},
        checkpoint_id="c1",
        multitask_strategy="reject",
        stream_mode=["messages-tuple", "updates"],
        stream_subgraphs=True,
    )
    assert run_start_params(carried) == {
        "assistant_id": "chat",
        "input": {"messages": []},
        "config": {"configurable": {"x": 1, "checkpoint_id": "c1"}},
        "metadata": {"k": "v"},
        "multitaskStrategy": "reject",
    }


async def test_auto_uses_the_event_protocol_where_it_fits(client: AgentClient) -> None:
    session = RunSession(client, protocol="auto")
    user = user_message("hi")
    body = RunCreate(assistant_id="chat", input={"messages": [user]})
    async for _ in session.run(body, thread_id=str(uuid.uuid4())):
        pass
    assert (session.outcome.protocol, session.outcome.status) == ("events", "success")
    # an option only the runs API carries: auto runs it there
    body = RunCreate(assistant_id="chat", input={"messages": [user]}, stream_mode=["debug"])
    async for _ in session.run(body, thread_id=(await client.threads.create()).thread_id):
        pass
    assert (session.outcome.protocol, session.outcome.status) == ("runs", "success")


async def test_the_server_offers_the_protocol_over_sse_and_websocket(client: AgentClient) -> None:
    offer = await client.events.offers()
    assert (offer.sse, offer.websocket, offer.transports) == (True, True, ["SSE", "WebSocket"])
    # detection created nothing
    with pytest.raises(Exception, match="404"):
        await client.threads.get(PROBE_THREAD)


async def test_a_server_without_the_protocol_is_seen_as_such() -> None:
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.method} {request.url.path}")
        return httpx.Response(404, json={"detail": "Not Found"})

    async with AgentClient("http://127.0.0.1:9", transport=httpx.MockTransport(answer)) as client:
        offer = await client.events.offers()
        session = RunSession(client, protocol="auto")
        assert session.protocol == "auto"
    assert (offer.offered, offer.websocket) == (False, False)
    assert all(PROBE_THREAD in path for path in seen), seen


def test_the_transcript_has_what_the_protocol_adds() -> None:
    """Reasoning, a tool's streamed output and the namespace tree, from protocol events alone."""
    from bbot_tui.api.events import StreamEvent

    def envelope(seq: int, method: str, data: Any, ns: list[str] | None = None) -> StreamEvent:
        body = {
            "type": "event",
            "event_id": f"e{seq}",
            "seq": seq,
            "method": method,
            "params": {"namespace": ns or [], "timestamp": 0, "data": data},
        }
        return StreamEvent(method, method, (), body, str(seq))

    from bbot_tui.stream.event_protocol import protocol_event

    reducer = EventReducer(Reducer(Transcript()))
    reducer.reducer.begin_run()
    sub = ["tools:abc"]
    for i, (method, data, ns) in enumerate(
        [
            ("lifecycle", {"event": "running", "graph_name": "g"}, None),
            ("messages", {"event": "message-start", "role": "ai", "id": "m1"}, None),
            (
                "messages",
                {
                    "event": "content-block-start",
                    "index": 0,
                    "content": {"type": "reasoning", "reasoning": ""},
                },
                None,
            ),
            (
                "messages",
                {
                    "event": "content-block-delta",
                    "index": 0,
                    "delta": {"type": "reasoning-delta", "reasoning": "let me think"},
                },
                None,
            ),
            (
                "messages",
                {
                    "event": "content-block-delta",
                    "index": 1,
                    "delta": {"type": "text-delta", "text": "Hello"},
                },
                None,
            ),
            (
                "messages",
                {
                    "event": "content-block-start",
                    "index": 2,
                    "content": {"type": "tool_call_chunk", "id": "c1", "name": "f", "args": ""},
                },
                None,
            ),
            (
                "messages",
                {
                    "event": "content-block-delta",
                    "index": 2,
                    "delta": {"type": "tool-call-delta", "args": '{"a": 1}'},
                },
                None,
            ),
            ("messages", {"event": "message-finish"}, None),
            ("tools", {"event": "tool-started", "tool_call_id": "c1", "tool_name": "f"}, None),
            (
                "tools",
                {"event": "tool-output-delta", "tool_call_id": "c1", "delta": "line 1\n"},
                None,
            ),
            (
                "lifecycle",
                {
                    "event": "started",
                    "graph_name": "researcher",
                    "cause": {"type": "toolCall", "tool_call_id": "c1"},
                },
                sub,
            ),
            ("input.requested", {"interrupt_id": "i1", "payload": {"q": "?"}}, sub),
            ("lifecycle", {"event": "interrupted", "graph_name": "researcher"}, sub),
            ("tools", {"event": "tool-finished", "tool_call_id": "c1", "output": "done"}, None),
            ("lifecycle", {"event": "interrupted", "graph_name": "g"}, None),
        ]
    ):
        event = protocol_event(envelope(i + 1, method, data, ns))
        assert event is not None
        reducer.apply(event)
    t = reducer.reducer.transcript
    (message,) = t.messages
    assert (message.id, message.text, message.reasoning) == ("m1", "Hello", "let me think")
    assert [(c.id, c.name, c.args) for c in message.tool_calls] == [("c1", "f", {"a": 1})]
    assert not message.streaming
    assert t.tools["c1"].output == "line 1\n" and t.tools["c1"].status == "done"
    node = t.namespaces[("tools:abc",)]
    assert (node.label, node.status, node.cause) == ("researcher", "interrupted", "c1")
    assert [(p.id, p.ns) for p in t.interrupts] == [("i1", ("tools:abc",))]
    assert (t.stop, reducer.status, t.warnings) == ("question", "interrupted", [])


def test_the_setting_takes_the_values_of_the_flag() -> None:
    from typing import get_args

    from bbot_tui.api.literals import RunProtocol
    from bbot_tui.config.settings import Profile

    assert get_args(Profile.model_fields["protocol"].annotation) == get_args(RunProtocol)
    assert Profile(name="p", base_url="http://127.0.0.1:1").protocol == "runs"


def test_bbot_tui_run_takes_the_protocol_flag(
    capsys: pytest.CaptureFixture[str], server_url: str
) -> None:
    from bbot_tui.cli.main import main

    run = ["run", "--url", server_url, "--assistant", "chat", "--message", "hi"]
    code = main([*run, "--protocol", "events", "--json"])
    out = capsys.readouterr().out.splitlines()
    assert code == 0, out
    summary = json.loads(out[-1])
    assert summary["status"] == "success"
    assert summary["messages"][-1]["content"] == "You said: hi. Here is a streamed answer."
    modes = [json.loads(line).get("mode") for line in out[:-1]]
    assert modes[0] == "lifecycle" and "messages" in modes  # the protocol's events, not /runs
    runs = httpx.get(f"{server_url}/threads/{summary['thread_id']}/runs", timeout=30).json()
    assert [r["kwargs"]["config"]["configurable"].get("__event_streaming_v2") for r in runs] == [
        True
    ]
    assert main([*run, "--protocol", "x"])
    assert "--protocol: 'x' is not one of auto, runs, events" in capsys.readouterr().err


async def test_the_status_bar_says_a_run_used_the_event_protocol() -> None:
    from textual.app import App, ComposeResult

    from bbot_tui.tui.widgets.status_bar import StatusBar

    class Bar(App[None]):
        def compose(self) -> ComposeResult:
            yield StatusBar()

    app = Bar()
    async with app.run_test(size=(100, 3)) as pilot:
        bar = app.query_one(StatusBar)
        bar.status = "idle"
        await pilot.pause()
        assert "event protocol" not in bar.render().plain
        bar.protocol = "events"
        await pilot.pause()
        assert "event protocol" in bar.render().plain
        bar.protocol = "runs"
        await pilot.pause()
        assert "event protocol" not in bar.render().plain


async def test_stop_cancels_a_run_over_the_event_protocol(client: AgentClient) -> None:
    """Stop is the runs API's cancel (the protocol has none): the run ends cancelled, the
    streamed part of the answer kept as unsaved, as over the runs API."""
    session = RunSession(client, protocol="events")
    user = user_message("hi")
    session.transcript.add_user_message("hi", user["id"])
    body = RunCreate(
        assistant_id="slow",
        input={"messages": [user]},
        config={"configurable": {"tokens": 400, "delay": 0.02}},
    )
    cancelled = False
    async for _ in session.run(body, thread_id=(await client.threads.create()).thread_id):
        streamed = [m for m in session.transcript.messages if m.role == "ai" and m.text]
        if streamed and not cancelled:
            cancelled = await session.cancel()
    assert cancelled
    assert (session.outcome.protocol, session.outcome.status) == ("events", "cancelled")
    (answer,) = [m for m in session.transcript.messages if m.role == "ai"]
    assert answer.unsaved and not answer.streaming and answer.text


async def test_a_waited_run_is_refused_over_the_event_protocol(client: AgentClient) -> None:
    session = RunSession(client, protocol="events")
    body = RunCreate(assistant_id="chat", input={"messages": [user_message("hi")]})
    with pytest.raises(UnsupportedOption, match="a waited run"):
        await session.wait(body, thread_id=None)


async def test_events_on_a_server_without_the_protocol_says_so() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, json={"detail": "Not Found"})

    async with AgentClient("http://127.0.0.1:9", transport=httpx.MockTransport(answer)) as client:
        session = RunSession(client, protocol="events")
        body = RunCreate(assistant_id="chat", input={"messages": [user_message("hi")]})
        with pytest.raises(Exception, match="does not offer the thread-centric event protocol"):
            async for _ in session.run(body, thread_id=str(uuid.uuid4())):
                pass


def test_bbot_tui_run_detached_over_the_event_protocol(
    capsys: pytest.CaptureFixture[str], server_url: str, tmp_path: Path
) -> None:
    from bbot_tui.cli.main import main

    run = ["run", "--url", server_url, "--assistant", "chat", "--message", "hi"]
    assert main([*run, "--protocol", "events", "--detach", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out.splitlines()[-1])
    runs = httpx.get(f"{server_url}/threads/{summary['thread_id']}/runs", timeout=30).json()
    assert [r["run_id"] for r in runs] == [summary["run_id"]]
    assert runs[0]["kwargs"]["config"]["configurable"].get("__event_streaming_v2") is True
    # a recording is of the runs API: refused over the event protocol, nothing sent
    record = str(tmp_path / "tape.jsonl")
    assert main([*run, "--protocol", "events", "--record", record]) != 0
    assert "--record: a recording is of the runs API" in capsys.readouterr().err
    assert not Path(record).exists()


async def test_joining_a_run_of_the_event_protocol_over_the_runs_api(client: AgentClient) -> None:
    """``bbot-tui join``, the rejoin offer and the follow read a run over the runs API; for a run
    started over the event protocol its join stream replays protocol envelopes: they build the
    same transcript, without a warning."""
    thread_id = str(uuid.uuid4())
    user = user_message("hi")
    params = {
        "assistant_id": "reasoning",
        "input": {"messages": [user]},
        "config": {"configurable": {"delay": 0.0}},
    }
    run_id = await client.events.start_run(thread_id, params)
    session = RunSession(client)
    session.transcript.add_user_message("hi", user["id"])
    async for _ in session.join(thread_id, run_id):
        pass
    state = await client.threads.get_state(thread_id, subgraphs=True)
    assert session.outcome.status == "success"
    assert transcript_view(session.transcript.messages) == state_view(state.messages)
    assert session.transcript.warnings == []
    (execution,) = session.transcript.tools.values()  # from the tools events
    assert execution.status == "done" and "Morning" in execution.output
    assert any(m.reasoning for m in session.transcript.messages)
