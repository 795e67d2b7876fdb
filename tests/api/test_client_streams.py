"""AgentClient streaming endpoints against the real local Agent Server, and the key header.

``runs.stream``/``runs.stream_stateless`` (run ids from the headers before any event, events
typed), ``runs.join_stream`` replaying a finished resumable run from ``Last-Event-ID: -1``,
``threads.stream`` (opened, a few events read, closed), and the ``bbot-api-key`` header on every
request, streams included (recorded by a transport that wraps the real one: the requests still
reach the server).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from bbot_tui.api.client import AgentClient
from bbot_tui.api.events import StreamEvent
from bbot_tui.api.models import RunCreate, RunCreateStateless

HI = {"messages": [{"role": "user", "content": "hi"}]}
ANSWER = "You said: hi. Here is a streamed answer."


@pytest.fixture
async def client(server_url: str) -> AsyncIterator[AgentClient]:
    async with AgentClient(server_url) as client:
        yield client


async def _collect(ctx: object) -> tuple[list[StreamEvent], str | None, str | None, str | None]:
    events: list[StreamEvent] = []
    async with ctx as response:  # type: ignore[attr-defined]
        thread_id, run_id = response.thread_id, response.run_id
        async for batch in response.batches():
            assert batch
            events += batch
        cursor = response.parser.last_event_id
    return events, thread_id, run_id, cursor


def _tuple_text(events: list[StreamEvent]) -> str:
    return "".join(e.data[0]["content"] for e in events if e.mode == "messages")


async def test_stream_run(client: AgentClient) -> None:
    thread = await client.threads.create()
    body = RunCreate(assistant_id="chat", input=HI, stream_mode=["messages-tuple", "updates"])
    events, thread_id, run_id, cursor = await _collect(client.runs.stream(thread.thread_id, body))
    assert thread_id == thread.thread_id and run_id
    assert events[0].mode == "metadata" and events[0].data["run_id"] == run_id
    assert _tuple_text(events) == ANSWER
    assert [e.mode for e in events].count("updates") == 1
    assert all(e.error is None and e.ns == () for e in events)
    assert cursor is None and all(e.id is None for e in events)  # not resumable: no ids
    assert (await client.runs.get(thread.thread_id, run_id)).status == "success"


async def test_stream_run_subgraphs_namespaces(client: AgentClient) -> None:
    thread = await client.threads.create()
    body = RunCreate(
        assistant_id="subgraph", input=HI, stream_mode=["updates"], stream_subgraphs=True
    )
    events, *_ = await _collect(client.runs.stream(thread.thread_id, body))
    child = [e for e in events if e.ns]
    assert child and all(e.mode == "updates" and e.ns[0].startswith("child:") for e in child)
    assert events[-1].ns == () and "__interrupt__" in events[-1].data


async def test_stream_stateless(client: AgentClient) -> None:
    body = RunCreateStateless(assistant_id="chat", input=HI, stream_mode="messages-tuple")
    events, thread_id, run_id, _ = await _collect(client.runs.stream_stateless(body))
    assert run_id and thread_id is None  # stateless answers /runs/{run_id}: no thread id
    assert events[0].data["run_id"] == run_id
    assert _tuple_text(events) == ANSWER


async def test_stream_graph_error_event(client: AgentClient) -> None:
    thread = await client.threads.create()
    body = RunCreate(assistant_id="fail", input=HI, stream_mode=["updates"])
    events, *_ = await _collect(client.runs.stream(thread.thread_id, body))
    assert events[-1].mode == "error"
    assert events[-1].data == {"error": "ValueError", "message": "kaboom from node"}


async def test_join_stream_replays_a_finished_resumable_run(client: AgentClient) -> None:
    thread = await client.threads.create()
    body = RunCreate(
        assistant_id="chat",
        input=HI,
        stream_mode=["messages-tuple", "updates"],
        stream_resumable=True,
    )
    live, _, run_id, cursor = await _collect(client.runs.stream(thread.thread_id, body))
    assert run_id and cursor and all(e.id for e in live)
    assert cursor == live[-1].id

    replay, *_ = await _collect(
        client.runs.join_stream(thread.thread_id, run_id, last_event_id="-1")
    )
    key = [(e.id, e.event, e.data) for e in live]
    assert [(e.id, e.event, e.data) for e in replay] == key

    # after the last id there is nothing more; after the first, all but the first
    tail, *_ = await _collect(
        client.runs.join_stream(thread.thread_id, run_id, last_event_id=cursor)
    )
    assert tail == []
    rest, *_ = await _collect(
        client.runs.join_stream(thread.thread_id, run_id, last_event_id=live[0].id)
    )
    assert [e.event for e in rest] == [e.event for e in live[1:]]

    only_updates, *_ = await _collect(
        client.runs.join_stream(
            thread.thread_id, run_id, last_event_id="-1", stream_mode=["updates"]
        )
    )
    assert {e.mode for e in only_updates} <= {"updates", "metadata"}
    assert any(e.mode == "updates" for e in only_updates)


async def test_thread_stream_reads_events_then_closes(client: AgentClient) -> None:
    # The thread stream carries a run's own stream modes (a run without ``stream_mode``
    # streams only ``values``), and replays from ``Last-Event-ID`` only the events of a
    # resumable run: a non-resumable run that finished before the GET leaves nothing to read.
    # The stream never closes by itself; the run's end is the ``run_done`` metadata event.
    thread = await client.threads.create()
    run = await client.runs.create(
        thread.thread_id,
        RunCreate(
            assistant_id="writer",
            input=HI,
            stream_mode=["custom", "updates"],
            stream_resumable=True,
            config={"configurable": {"delay": 0.0}},
        ),
    )
    got: list[StreamEvent] = []
    async with client.threads.stream(thread.thread_id, last_event_id="0") as response:
        async for batch in response.batches():
            got += batch
            if any(e.mode == "metadata" and e.data.get("status") == "run_done" for e in batch):
                break
    assert got[0].mode == "metadata" and got[0].data["run_id"] == run.run_id
    assert got[-1].data == {"status": "run_done", "run_id": run.run_id}
    customs = [e.data for e in got if e.mode == "custom"]
    assert customs == [{"i": i, "tok": f"t{i}"} for i in range(20)]
    assert [e.mode for e in got].count("updates") == 1
    assert all(e.id for e in got)  # the thread stream always carries ids
    joined = await client.runs.join(thread.thread_id, run.run_id)
    assert joined.values["messages"][-1]["content"] == "done"


class RecordingTransport(httpx.AsyncHTTPTransport):
    """The real transport, recording each request's method, path and key header."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[str, str, str | None]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.seen.append((request.method, request.url.path, request.headers.get("bbot-api-key")))
        return await super().handle_async_request(request)


async def test_key_header_on_every_request_including_streams(server_url: str) -> None:
    transport = RecordingTransport()
    key = "bbot_test_key_0123456789"
    async with AgentClient(server_url, api_key=key, transport=transport) as client:
        thread = await client.threads.create()
        body = RunCreate(assistant_id="chat", input=HI, stream_resumable=True)
        _, _, run_id, _ = await _collect(client.runs.stream(thread.thread_id, body))
        assert run_id
        await _collect(client.runs.join_stream(thread.thread_id, run_id, last_event_id="-1"))
        await _collect(
            client.runs.stream_stateless(RunCreateStateless(assistant_id="chat", input=HI))
        )
        await client.runs.get(thread.thread_id, run_id)
        await client.threads.search(limit=1)
        await client.runs.cancel(thread.thread_id, run_id)
        async with client.threads.stream(thread.thread_id) as response:
            assert response.headers["content-type"].startswith("text/event-stream")
    paths = [path for _, path, _ in transport.seen]
    assert f"/threads/{thread.thread_id}/runs/stream" in paths
    assert f"/threads/{thread.thread_id}/runs/{run_id}/stream" in paths
    assert "/runs/stream" in paths and f"/threads/{thread.thread_id}/stream" in paths
    assert len(transport.seen) == 8
    assert all(value == key for _, _, value in transport.seen), transport.seen


async def test_no_key_header_without_a_key(server_url: str) -> None:
    transport = RecordingTransport()
    async with AgentClient(server_url, transport=transport) as client:
        await client.ok()
        body = RunCreateStateless(assistant_id="chat", input=HI)
        await _collect(client.runs.stream_stateless(body))
    assert [value for *_, value in transport.seen] == [None, None]


async def test_concurrent_streams_on_one_client(client: AgentClient) -> None:
    threads = [await client.threads.create() for _ in range(3)]
    body = RunCreate(assistant_id="chat", input=HI, stream_mode="messages-tuple")
    results = await asyncio.gather(
        *(_collect(client.runs.stream(t.thread_id, body)) for t in threads)
    )
    assert [_tuple_text(events) for events, *_ in results] == [ANSWER] * 3
    assert [tid for _, tid, _, _ in results] == [t.thread_id for t in threads]
