"""AgentClient thread endpoints against the real local Agent Server.

Every test tags its threads with a fresh ``metadata.test`` marker, so searches and counts only
see that test's threads even though the server is shared by the whole session.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from bbot_tui.api import errors
from bbot_tui.api.client import AgentClient
from bbot_tui.api.models import RunCreate, Thread

HI = {"messages": [{"role": "user", "content": "hi"}]}


@pytest.fixture
async def client(server_url: str) -> AsyncIterator[AgentClient]:
    async with AgentClient(server_url) as client:
        yield client


@pytest.fixture
def marker() -> str:
    return uuid.uuid4().hex


async def _thread_with_run(client: AgentClient, graph: str = "steps", **meta: str) -> Thread:
    thread = await client.threads.create(metadata=meta or None)
    result = await client.runs.wait(thread.thread_id, RunCreate(assistant_id=graph, input=HI))
    assert result.error is None
    return thread


async def test_create_thread_with_metadata(client: AgentClient, marker: str) -> None:
    thread = await client.threads.create(metadata={"title": "hello", "test": marker})
    assert thread.status == "idle"
    assert thread.metadata == {"title": "hello", "test": marker}
    assert thread.title == "hello"
    assert thread.values is None
    assert thread.pending_interrupts() == []


async def test_create_thread_with_id_and_conflict(client: AgentClient) -> None:
    thread_id = str(uuid.uuid4())
    thread = await client.threads.create(thread_id=thread_id, if_exists="raise")
    assert thread.thread_id == thread_id
    with pytest.raises(errors.Conflict) as info:
        await client.threads.create(thread_id=thread_id, if_exists="raise")
    assert info.value.status == 409 and thread_id in info.value.detail
    again = await client.threads.create(thread_id=thread_id, if_exists="do_nothing")
    assert again.thread_id == thread_id


async def test_search_threads_filters(client: AgentClient, marker: str) -> None:
    idle = await _thread_with_run(client, "steps", test=marker)
    asking = await _thread_with_run(client, "approval", test=marker)
    await client.threads.create(metadata={"test": "someone-else"})

    found = await client.threads.search(metadata={"test": marker})
    assert {t.thread_id for t in found.items} == {idle.thread_id, asking.thread_id}
    assert found.next_offset is None

    interrupted = await client.threads.search(metadata={"test": marker}, status="interrupted")
    assert [t.thread_id for t in interrupted.items] == [asking.thread_id]
    assert interrupted.items[0].pending_interrupts()[0].value["question"] == "approve?"
    only_idle = await client.threads.search(metadata={"test": marker}, status="idle")
    assert [t.thread_id for t in only_idle.items] == [idle.thread_id]


async def test_search_threads_sort_select_and_pages(client: AgentClient, marker: str) -> None:
    created = [(await client.threads.create(metadata={"test": marker})).thread_id for _ in range(5)]
    asc = await client.threads.search(
        metadata={"test": marker}, sort_by="created_at", sort_order="asc"
    )
    assert [t.thread_id for t in asc.items] == created
    desc = await client.threads.search(
        metadata={"test": marker}, sort_by="created_at", sort_order="desc"
    )
    assert [t.thread_id for t in desc.items] == created[::-1]

    selected = await client.threads.search(
        metadata={"test": marker}, select=["thread_id", "status"], limit=1
    )
    raw = selected.items[0].model_dump(exclude_unset=True)
    assert set(raw) == {"thread_id", "status"}

    pages: list[list[str]] = []
    offset: int | None = 0
    while offset is not None:
        page = await client.threads.search(
            metadata={"test": marker},
            sort_by="created_at",
            sort_order="asc",
            limit=2,
            offset=offset,
        )
        pages.append([t.thread_id for t in page.items])
        offset = page.next_offset
    assert pages == [created[0:2], created[2:4], created[4:5]]


async def test_count_threads(client: AgentClient, marker: str) -> None:
    assert await client.threads.count(metadata={"test": marker}) == 0
    for _ in range(3):
        await client.threads.create(metadata={"test": marker})
    assert await client.threads.count(metadata={"test": marker}) == 3
    assert await client.threads.count(metadata={"test": marker}, status="busy") == 0


async def test_get_thread(client: AgentClient) -> None:
    thread = await _thread_with_run(client, "approval")
    got = await client.threads.get(thread.thread_id)
    assert got.status == "interrupted"
    assert got.metadata and got.metadata["graph_id"] == "approval"
    (pending,) = got.pending_interrupts()
    assert pending.value == {
        "question": "approve?",
        "draft": "You said: hi. Here is a streamed answer.",
    }
    assert isinstance(got.values, dict) and len(got.values["messages"]) == 2


async def test_update_thread_merges_metadata(client: AgentClient) -> None:
    thread = await client.threads.create(metadata={"title": "old", "keep": 1})
    patched = await client.threads.update(thread.thread_id, metadata={"title": "new"})
    assert patched.metadata == {"title": "new", "keep": 1}
    assert (await client.threads.get(thread.thread_id)).title == "new"


async def test_delete_thread(client: AgentClient) -> None:
    thread = await client.threads.create()
    await client.threads.delete(thread.thread_id)
    with pytest.raises(errors.NotFound):
        await client.threads.get(thread.thread_id)
    with pytest.raises(errors.NotFound):
        await client.threads.delete(thread.thread_id)


async def test_copy_thread(client: AgentClient) -> None:
    thread = await _thread_with_run(client, "steps", title="original")
    copy = await client.threads.copy(thread.thread_id)
    assert copy.thread_id != thread.thread_id
    assert copy.metadata and copy.metadata["title"] == "original"
    original = await client.threads.get_state(thread.thread_id)
    copied = await client.threads.get_state(copy.thread_id)
    assert [m["content"] for m in copied.messages] == [m["content"] for m in original.messages]
    assert len(await client.threads.get_history(copy.thread_id, limit=10)) == len(
        await client.threads.get_history(thread.thread_id, limit=10)
    )


async def test_get_state_latest_and_at_checkpoint(client: AgentClient) -> None:
    fresh = await client.threads.create()
    empty = await client.threads.get_state(fresh.thread_id)
    assert empty.messages == [] and empty.next == [] and empty.checkpoint_id is None

    thread = await _thread_with_run(client, "steps")
    latest = await client.threads.get_state(thread.thread_id)
    assert [m["content"] for m in latest.messages] == ["hi", "step1", "step2", "step3"]
    assert latest.next == [] and latest.checkpoint_id
    history = await client.threads.get_history(thread.thread_id, limit=10)
    after_step1 = next(s for s in history if (s.metadata or {}).get("step") == 1)
    past = await client.threads.get_state(thread.thread_id, checkpoint_id=after_step1.checkpoint_id)
    assert past.checkpoint_id == after_step1.checkpoint_id
    assert [m["content"] for m in past.messages] == ["hi", "step1"]
    assert past.next == ["step2"]


async def test_get_state_subgraphs(client: AgentClient) -> None:
    thread = await _thread_with_run(client, "subgraph")
    flat = await client.threads.get_state(thread.thread_id)
    assert flat.next == ["child"]
    assert flat.tasks[0].name == "child" and flat.tasks[0].state is None
    nested = await client.threads.get_state(thread.thread_id, subgraphs=True)
    child = nested.tasks[0].state
    assert isinstance(child, dict)
    assert child["next"] == ["inner_ask"]
    contents = [m["content"] for m in child["values"]["messages"]]
    assert contents[-1] == "Inner subgraph streaming an answer."
    assert nested.interrupts[0].value == {"question": "inner?"}
    assert nested.tasks[0].interrupts[0].id == nested.interrupts[0].id


async def test_update_state_as_node(client: AgentClient) -> None:
    thread = await _thread_with_run(client, "steps")
    answer = await client.threads.update_state(
        thread.thread_id,
        {"messages": [{"type": "ai", "content": "edited by hand", "id": "edit-1"}]},
        as_node="step3",
    )
    assert answer["checkpoint_id"]
    state = await client.threads.get_state(thread.thread_id)
    assert state.checkpoint_id == answer["checkpoint_id"]
    assert state.messages[-1]["content"] == "edited by hand"
    assert state.messages[-1]["id"] == "edit-1"
    assert state.next == []
    latest = (await client.threads.get_history(thread.thread_id, limit=1))[0]
    assert (latest.metadata or {}).get("source") == "update"


async def test_update_state_before_any_run_is_bad_request(client: AgentClient) -> None:
    thread = await client.threads.create()
    with pytest.raises(errors.BadRequest) as info:
        await client.threads.update_state(thread.thread_id, {"messages": []})
    assert info.value.status == 400 and "graph" in info.value.detail.lower()


async def test_update_state_with_graph_id_metadata(client: AgentClient) -> None:
    thread = await client.threads.create(metadata={"graph_id": "steps"})
    answer = await client.threads.update_state(
        thread.thread_id, {"messages": [{"role": "user", "content": "first"}]}
    )
    assert answer["checkpoint_id"]
    state = await client.threads.get_state(thread.thread_id)
    assert [m["content"] for m in state.messages] == ["first"]


async def test_get_history_limit_and_before(client: AgentClient) -> None:
    thread = await _thread_with_run(client, "steps")
    everything = await client.threads.get_history(thread.thread_id, limit=50)
    steps = [(s.metadata or {}).get("step") for s in everything]
    assert steps == sorted(steps, reverse=True)  # newest first
    assert len(everything) >= 5

    newest = await client.threads.get_history(thread.thread_id, limit=2)
    assert [s.checkpoint_id for s in newest] == [s.checkpoint_id for s in everything[:2]]
    older = await client.threads.get_history(
        thread.thread_id, limit=2, before=newest[-1].checkpoint_id
    )
    assert [s.checkpoint_id for s in older] == [s.checkpoint_id for s in everything[2:4]]
    assert all(len(o.messages) < len(newest[-1].messages) for o in older)


async def test_unknown_thread_is_not_found(client: AgentClient) -> None:
    missing = str(uuid.uuid4())
    for call in (
        client.threads.get(missing),
        client.threads.get_state(missing),
        client.threads.get_history(missing),
    ):
        with pytest.raises(errors.NotFound):
            await call
    with pytest.raises(errors.Unprocessable):
        await client.threads.get("not-a-uuid")
