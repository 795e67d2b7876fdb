"""AgentClient health and assistant endpoints against the real local Agent Server.

One test at the end uses an ``httpx.MockTransport``: the real server has no
``/distribution-channels`` path (B-Bot's newer name for ``/assistants``), so only the path
construction and the ``channel_id`` alias are checked there.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from bbot_tui.api import errors
from bbot_tui.api.client import AgentClient
from bbot_tui.api.models import Assistant


@pytest.fixture
async def client(server_url: str) -> AsyncIterator[AgentClient]:
    async with AgentClient(server_url) as client:
        yield client


async def test_ok(client: AgentClient) -> None:
    assert (await client.ok())["ok"] is True


async def test_info(client: AgentClient) -> None:
    info = await client.info()
    assert isinstance(info, dict)
    assert info["version"]  # e.g. "0.16.7"
    assert "flags" in info


async def test_search_assistants_pagination(
    client: AgentClient, assistant_ids: dict[str, str]
) -> None:
    first = await client.assistants.search(limit=2)
    assert len(first.items) == 2
    assert first.next_offset == 2
    assert all(isinstance(a, Assistant) for a in first.items)
    second = await client.assistants.search(limit=2, offset=first.next_offset)
    assert len(second.items) == 2
    assert second.next_offset == 4
    seen = {a.assistant_id for a in first.items} | {a.assistant_id for a in second.items}
    assert len(seen) == 4
    # walk every page: all system assistants appear exactly once, the last page has no next
    collected: list[str] = []
    offset: int | None = 0
    while offset is not None:
        page = await client.assistants.search(limit=5, offset=offset)
        collected += [a.assistant_id for a in page.items]
        offset = page.next_offset
    assert len(collected) == len(set(collected))
    assert set(assistant_ids.values()) <= set(collected)


async def test_search_assistants_by_graph(
    client: AgentClient, assistant_ids: dict[str, str]
) -> None:
    page = await client.assistants.search(graph_id="approval")
    assert [a.assistant_id for a in page.items] == [assistant_ids["approval"]]
    assert page.items[0].graph_id == "approval"
    assert page.items[0].label == "approval"
    assert page.next_offset is None


async def test_count_assistants(client: AgentClient, assistant_ids: dict[str, str]) -> None:
    total = await client.assistants.count()
    assert total >= len(assistant_ids)
    assert await client.assistants.count(graph_id="chat") == 1


async def test_get_assistant(client: AgentClient, assistant_ids: dict[str, str]) -> None:
    assistant = await client.assistants.get(assistant_ids["agent"])
    assert assistant.assistant_id == assistant_ids["agent"]
    assert assistant.graph_id == "agent"
    assert (assistant.metadata or {}).get("created_by") == "system"
    assert assistant.entity_id is None


async def test_get_assistant_by_graph_name_is_unprocessable(client: AgentClient) -> None:
    with pytest.raises(errors.Unprocessable) as info:
        await client.assistants.get("agent")
    assert info.value.status == 422
    assert "UUID" in info.value.detail


async def test_get_unknown_assistant_is_not_found(client: AgentClient) -> None:
    with pytest.raises(errors.NotFound) as info:
        await client.assistants.get(str(uuid.uuid4()))
    assert info.value.status == 404


async def test_get_schemas(client: AgentClient, assistant_ids: dict[str, str]) -> None:
    schemas = await client.assistants.schemas(assistant_ids["chat"])
    assert schemas["graph_id"] == "chat"
    for key in ("input_schema", "output_schema", "state_schema", "config_schema"):
        assert key in schemas
    assert "messages" in json.dumps(schemas["input_schema"])


async def test_get_graph_and_xray(client: AgentClient, assistant_ids: dict[str, str]) -> None:
    plain = await client.assistants.graph(assistant_ids["subgraph"])
    assert plain.node_names() == ["outer_pre", "child", "outer_post"]
    assert {"source": "__start__", "target": "outer_pre"}.items() <= plain.edges[0].items()
    xray = await client.assistants.graph(assistant_ids["subgraph"], xray=True)
    names = xray.node_names()
    assert "child:inner_a" in names and "child:inner_ask" in names
    assert "child" not in names


async def test_get_versions(client: AgentClient, assistant_ids: dict[str, str]) -> None:
    versions = await client.assistants.versions(assistant_ids["steps"])
    assert versions and versions[0]["version"] == 1
    assert versions[0]["assistant_id"] == assistant_ids["steps"]


async def test_distribution_channels_path_and_channel_id() -> None:
    """Path construction only, over ``httpx.MockTransport``.

    The real local server has no ``/distribution-channels`` routes (they are B-Bot's); this checks
    that every assistant call uses that prefix under a ``/api/v2`` base path, and that answers
    carrying ``channel_id`` instead of ``assistant_id`` parse.
    """
    seen: list[tuple[str, str]] = []
    channel = {"channel_id": "c-1", "graph_id": "bbot", "name": "Support", "config": {}}

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.method, request.url.path))
        path = request.url.path
        if path.endswith("/search"):
            return httpx.Response(200, json=[channel], headers={"x-pagination-next": "1"})
        if path.endswith("/count"):
            return httpx.Response(200, json=1)
        if path.endswith("/schemas"):
            return httpx.Response(200, json={"graph_id": "bbot"})
        if path.endswith("/graph"):
            return httpx.Response(200, json={"nodes": [{"id": "agent"}], "edges": []})
        if path.endswith("/versions"):
            return httpx.Response(200, json=[{"channel_id": "c-1", "version": 1}])
        return httpx.Response(200, json=channel)

    client = AgentClient(
        "https://bbot.example/api/v2",
        assistants_path="distribution-channels",
        transport=httpx.MockTransport(handler),
    )
    async with client:
        page = await client.assistants.search(limit=1)
        assert page.items[0].assistant_id == "c-1" and page.next_offset == 1
        assert (await client.assistants.get("c-1")).label == "Support"
        assert await client.assistants.count() == 1
        assert (await client.assistants.schemas("c-1"))["graph_id"] == "bbot"
        assert (await client.assistants.graph("c-1")).node_names() == ["agent"]
        assert (await client.assistants.versions("c-1"))[0]["version"] == 1
    prefix = "/api/v2/distribution-channels"
    assert seen == [
        ("POST", f"{prefix}/search"),
        ("GET", f"{prefix}/c-1"),
        ("POST", f"{prefix}/count"),
        ("GET", f"{prefix}/c-1/schemas"),
        ("GET", f"{prefix}/c-1/graph"),
        ("POST", f"{prefix}/c-1/versions"),
    ]
