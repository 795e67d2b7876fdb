"""AgentClient run endpoints (wait, background, join, list, get, cancel, delete) on the real server.

Long runs use the ``writer`` graph with ``delay`` (20 custom writes, ``delay`` seconds apart), so
a run is reliably still going when it is cancelled; tests wait for the ``running`` status by
polling the run (a condition), never for a fixed time.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from bbot_tui.api import errors
from bbot_tui.api.client import AgentClient
from bbot_tui.api.models import Run, RunCreate, RunCreateStateless

HI = {"messages": [{"role": "user", "content": "hi"}]}
LONG = {"configurable": {"delay": 1.0}}  # 20 s if nobody stops it


@pytest.fixture
async def client(server_url: str) -> AsyncIterator[AgentClient]:
    async with AgentClient(server_url) as client:
        yield client


async def _running(client: AgentClient, thread_id: str, run_id: str) -> Run:
    for _ in range(300):
        run = await client.runs.get(thread_id, run_id)
        if run.status != "pending":
            return run
        await asyncio.sleep(0.05)
    pytest.fail("the run never started")


async def _long_run(client: AgentClient) -> tuple[str, Run]:
    thread = await client.threads.create()
    run = await client.runs.create(
        thread.thread_id, RunCreate(assistant_id="writer", input=HI, config=LONG)
    )
    assert (await _running(client, thread.thread_id, run.run_id)).status == "running"
    return thread.thread_id, run


async def test_wait_run_on_a_thread(client: AgentClient) -> None:
    thread = await client.threads.create()
    result = await client.runs.wait(thread.thread_id, RunCreate(assistant_id="chat", input=HI))
    assert result.error is None and result.interrupts == []
    assert (result.thread_id, bool(result.run_id)) == (thread.thread_id, True)
    contents = [m["content"] for m in result.values["messages"]]
    assert contents == ["hi", "You said: hi. Here is a streamed answer."]
    run = await client.runs.get(thread.thread_id, result.run_id)
    assert run.status == "success"


async def test_wait_run_graph_error(client: AgentClient) -> None:
    thread = await client.threads.create()
    result = await client.runs.wait(thread.thread_id, RunCreate(assistant_id="fail", input=HI))
    assert isinstance(result.error, errors.GraphError)
    assert (result.error.error, result.error.detail) == ("ValueError", "kaboom from node")
    assert result.values is None
    assert (await client.threads.get(thread.thread_id)).status == "error"


async def test_wait_run_interrupt(client: AgentClient) -> None:
    thread = await client.threads.create()
    result = await client.runs.wait(thread.thread_id, RunCreate(assistant_id="approval", input=HI))
    assert result.error is None
    (pending,) = result.interrupts
    assert pending["value"]["question"] == "approve?" and pending["id"]
    assert "__interrupt__" not in result.values
    state = await client.threads.get_state(thread.thread_id)
    assert state.interrupts[0].id == pending["id"]
    # resume by the map form
    resumed = await client.runs.wait(
        thread.thread_id,
        RunCreate(assistant_id="approval", command={"resume": {pending["id"]: "yes"}}),
    )
    assert resumed.interrupts == []
    assert resumed.values["messages"][-1]["content"] == "you said yes"


async def test_wait_stateless(client: AgentClient) -> None:
    result = await client.runs.wait(None, RunCreateStateless(assistant_id="steps", input=HI))
    assert [m["content"] for m in result.values["messages"]][-1] == "step3"
    assert result.run_id and result.thread_id
    with pytest.raises(errors.NotFound):  # the temporary thread is deleted
        await client.threads.get(result.thread_id)

    kept = await client.runs.wait(
        None, RunCreateStateless(assistant_id="steps", input=HI, on_completion="keep")
    )
    assert kept.thread_id and (await client.threads.get(kept.thread_id)).status == "idle"

    failed = await client.runs.wait(None, RunCreateStateless(assistant_id="fail", input=HI))
    assert failed.error is not None and failed.error.error == "ValueError"


async def test_create_run_and_join(client: AgentClient) -> None:
    thread = await client.threads.create()
    run = await client.runs.create(thread.thread_id, RunCreate(assistant_id="steps", input=HI))
    assert run.thread_id == thread.thread_id
    assert run.status in ("pending", "running")
    assert run.kwargs is not None
    joined = await client.runs.join(thread.thread_id, run.run_id)
    assert (joined.thread_id, joined.run_id) == (thread.thread_id, run.run_id)
    assert [m["content"] for m in joined.values["messages"]] == ["hi", "step1", "step2", "step3"]
    assert (await client.runs.get(thread.thread_id, run.run_id)).status == "success"


async def test_join_unknown_run_is_a_graph_error(client: AgentClient) -> None:
    thread = await client.threads.create()
    joined = await client.runs.join(thread.thread_id, str(uuid.uuid4()))
    assert joined.error is not None and "404" in joined.error.detail


async def test_list_and_get_runs(client: AgentClient) -> None:
    thread = await client.threads.create()
    first = await client.runs.wait(thread.thread_id, RunCreate(assistant_id="steps", input=HI))
    second = await client.runs.wait(
        thread.thread_id,
        RunCreate(assistant_id="steps", input=HI, metadata={"client_request_id": "abc"}),
    )
    runs = await client.runs.list(thread.thread_id)
    assert [r.run_id for r in runs] == [second.run_id, first.run_id]  # newest first
    assert all(r.status == "success" for r in runs)
    assert [r.run_id for r in await client.runs.list(thread.thread_id, limit=1)] == [second.run_id]
    assert [r.run_id for r in await client.runs.list(thread.thread_id, offset=1)] == [first.run_id]
    assert await client.runs.list(thread.thread_id, status="error") == []
    run = await client.runs.get(thread.thread_id, second.run_id)
    assert run.run_id == second.run_id and run.thread_id == thread.thread_id
    assert (run.metadata or {}).get("client_request_id") == "abc"
    assert not run.active
    with pytest.raises(errors.NotFound):
        await client.runs.get(thread.thread_id, str(uuid.uuid4()))


async def test_cancel_interrupt(client: AgentClient) -> None:
    thread_id, run = await _long_run(client)
    assert await client.runs.cancel(thread_id, run.run_id, wait=True, action="interrupt") is True
    assert (await client.runs.get(thread_id, run.run_id)).status == "interrupted"
    thread = await client.threads.get(thread_id)
    assert thread.status == "interrupted" and thread.cancelled
    assert thread.pending_interrupts() == []
    state = await client.threads.get_state(thread_id)
    assert state.next == ["work"] and state.interrupts == []
    # the run has stopped: a second cancel is not an error
    assert await client.runs.cancel(thread_id, run.run_id, wait=True) is False
    assert await client.runs.cancel(thread_id, run.run_id, wait=False) is False


async def test_cancel_without_waiting(client: AgentClient) -> None:
    thread_id, run = await _long_run(client)
    assert await client.runs.cancel(thread_id, run.run_id) is True
    joined = await client.runs.join(thread_id, run.run_id)
    assert joined.error is None
    assert (await client.runs.get(thread_id, run.run_id)).status == "interrupted"


async def test_cancel_rollback(client: AgentClient) -> None:
    thread_id, run = await _long_run(client)
    assert await client.runs.cancel(thread_id, run.run_id, wait=True, action="rollback") is True
    with pytest.raises(errors.NotFound):
        await client.runs.get(thread_id, run.run_id)
    thread = await client.threads.get(thread_id)
    assert thread.status == "idle" and thread.values is None


async def test_cancel_many(client: AgentClient) -> None:
    thread_id, run = await _long_run(client)
    await client.runs.cancel_many(thread_id=thread_id, run_ids=[run.run_id])
    joined = await client.runs.join(thread_id, run.run_id)
    assert joined.error is None
    assert (await client.runs.get(thread_id, run.run_id)).status == "interrupted"


async def test_delete_run(client: AgentClient) -> None:
    thread = await client.threads.create()
    result = await client.runs.wait(thread.thread_id, RunCreate(assistant_id="steps", input=HI))
    assert result.run_id
    await client.runs.delete(thread.thread_id, result.run_id)
    with pytest.raises(errors.NotFound):
        await client.runs.get(thread.thread_id, result.run_id)
    assert await client.runs.list(thread.thread_id) == []


async def test_busy_thread_with_reject_is_conflict(client: AgentClient) -> None:
    thread_id, run = await _long_run(client)
    try:
        with pytest.raises(errors.Conflict):
            await client.runs.create(
                thread_id,
                RunCreate(assistant_id="writer", input=HI, multitask_strategy="reject"),
            )
    finally:
        await client.runs.cancel(thread_id, run.run_id, wait=True)


async def test_unknown_assistant_in_a_run(client: AgentClient) -> None:
    thread = await client.threads.create()
    with pytest.raises(errors.Unprocessable):
        await client.runs.wait(thread.thread_id, RunCreate(assistant_id="nope", input=HI))
    with pytest.raises(errors.NotFound):
        await client.runs.wait(
            thread.thread_id, RunCreate(assistant_id=str(uuid.uuid4()), input=HI)
        )


async def test_wait_and_join_after_newline_padding(client: AgentClient, server_url: str) -> None:
    """A run over 5 s: /wait and /join pad their 200 answer with newlines (docs/PROTOCOL.md, "Wait,
    join")."""
    slow = {"configurable": {"delay": 5.5}}
    threads = [(await client.threads.create()).thread_id for _ in range(3)]
    background = await client.runs.create(
        threads[2],
        RunCreate(assistant_id="writer", input=HI, config={"configurable": {"delay": 0.3}}),
    )

    async def raw_wait() -> bytes:
        async with httpx.AsyncClient(base_url=server_url, timeout=60) as http:
            body = {"assistant_id": "fail", "input": HI, "config": slow}
            response = await http.post(f"/threads/{threads[0]}/runs/wait", json=body)
            return response.content

    raw, failed, joined = await asyncio.gather(
        raw_wait(),
        client.runs.wait(threads[1], RunCreate(assistant_id="fail", input=HI, config=slow)),
        client.runs.join(threads[2], background.run_id),
    )
    assert raw.startswith(b"\n") and b'"__error__"' in raw  # what the client has to handle
    assert isinstance(failed.error, errors.GraphError) and failed.error.detail == "kaboom from node"
    assert joined.error is None and joined.values["messages"][-1]["content"] == "done"
