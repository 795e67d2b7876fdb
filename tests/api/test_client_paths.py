"""Both B-Bot path generations, against the real server behind a loopback renaming proxy.

B-Bot's older docs use ``…/v2`` + ``/assistants``; newer ones ``…/api/v2`` +
``/distribution-channels`` (objects with ``channel_id``). :mod:`bbot_proxy` serves one
generation in front of the real local server. How the client finds which one answers:

- ``bbot-tui doctor`` (:func:`bbot_tui.session.doctor.run_checks`, through
  :func:`bbot_tui.api.discovery.discover`) tries the URL as given and its
  ``/v2`` ↔ ``/api/v2`` twin, each with ``/assistants`` then ``/distribution-channels``, and
  reports the pair that answers (the profile then stores both);
- a profile whose assistants path is ``auto`` starts with ``/assistants`` and switches to
  ``/distribution-channels`` on a 404 (:meth:`AssistantsClient.discover`, used by
  :func:`bbot_tui.cli.common.search_assistants` and the TUI).

Then every assistant endpoint, a thread, a streamed run, a rejoin and a wait go through it.
"""

from __future__ import annotations

from bbot_proxy import BBotProxy, twin

from bbot_tui.api.client import AgentClient
from bbot_tui.api.models import RunCreate
from bbot_tui.cli.common import search_assistants
from bbot_tui.session.doctor import run_checks

HI = {"messages": [{"role": "user", "content": "hi"}]}


async def test_doctor_finds_the_base_path_and_the_assistants_name(proxy: BBotProxy) -> None:
    checks = await run_checks(proxy.url, None)
    assert checks.ok, [(c.name, c.detail) for c in checks]
    assert (checks.base_url, checks.assistants_path) == (proxy.url, proxy.name)

    # given the other generation's URL, it finds the one that answers and says so
    checks = await run_checks(twin(proxy.url), None)
    assert (checks.base_url, checks.assistants_path) == (proxy.url, proxy.name)
    base = next(c for c in checks if c.name == "base path")
    assert base.ok is None and proxy.url in base.fix


async def test_auto_assistants_path_falls_back_on_404(proxy: BBotProxy) -> None:
    async with AgentClient(proxy.url) as client:  # starts with /assistants
        page = await search_assistants(client, auto=True, limit=100)
        assert client.assistants_path == proxy.name
    assert {a.graph_id for a in page.items} >= {"chat", "agent", "subgraph"}
    tried = [line for line in proxy.seen if line.endswith("/search")]
    expected = [f"POST {proxy.prefix}/assistants/search"]
    if proxy.name != "assistants":
        expected.append(f"POST {proxy.prefix}/distribution-channels/search")
    assert tried == expected


async def test_every_endpoint_through_the_generation(
    proxy: BBotProxy, assistant_ids: dict[str, str]
) -> None:
    async with AgentClient(proxy.url, assistants_path=proxy.name) as client:  # type: ignore[arg-type]
        page = await client.assistants.search(limit=2)
        assert len(page.items) == 2 and page.next_offset == 2
        subgraph_id = assistant_ids["subgraph"]
        assistant = await client.assistants.get(subgraph_id)
        assert (assistant.assistant_id, assistant.graph_id) == (subgraph_id, "subgraph")
        assert "input_schema" in await client.assistants.schemas(subgraph_id)
        assert "inner_a" in " ".join(
            (await client.assistants.graph(subgraph_id, xray=True)).node_names()
        )
        assert (await client.assistants.versions(subgraph_id))[0]["version"] == 1
        assert await client.assistants.count() >= 12

        thread = await client.threads.create()
        body = RunCreate(
            assistant_id="chat",
            input=HI,
            stream_mode=["messages-tuple", "updates"],
            stream_resumable=True,
        )
        async with client.runs.stream(thread.thread_id, body) as response:
            live = [e async for e in response.events()]
            run_id = response.run_id
        assert run_id and live[0].mode == "metadata"
        text = "".join(e.data[0]["content"] for e in live if e.mode == "messages")
        assert text == "You said: hi. Here is a streamed answer."
        async with client.runs.join_stream(
            thread.thread_id, run_id, last_event_id="-1"
        ) as response:
            replay = [e async for e in response.events()]
        assert [(e.id, e.event) for e in replay] == [(e.id, e.event) for e in live]
        result = await client.runs.wait(thread.thread_id, RunCreate(assistant_id="chat", input=HI))
        assert len(result.values["messages"]) == 4
    prefix = proxy.prefix + "/" + proxy.name
    assert f"GET {prefix}/{subgraph_id}/graph" in proxy.seen
    assert f"POST {proxy.prefix}/threads/{thread.thread_id}/runs/stream" in proxy.seen
