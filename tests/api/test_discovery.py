"""Path discovery (:mod:`bbot_tui.api.discovery`, ``client.assistants.discover``).

The one implementation that ``bbot-tui doctor``, the TUI's ``auto`` profiles and the headless
CLI share, against the real local server behind :mod:`bbot_proxy` (both B-Bot generations). A
stub transport is used only for what no real server here sends: a web page where the
assistants endpoint should be.
"""

from __future__ import annotations

import json

import httpx
import pytest
from bbot_proxy import BBotProxy, twin

from bbot_tui.api import errors
from bbot_tui.api.assistants import path_is_absent
from bbot_tui.api.client import AgentClient
from bbot_tui.api.discovery import base_url_variants, discover

KEY = "bbot-test-key-0123456789"


def test_base_url_variants() -> None:
    assert base_url_variants("https://h/api/v2") == ["https://h/api/v2", "https://h/v2"]
    assert base_url_variants("https://h/v2") == ["https://h/v2", "https://h/api/v2"]
    assert base_url_variants("http://127.0.0.1:2024") == ["http://127.0.0.1:2024"]


async def test_discover_finds_the_pair_from_either_url(proxy: BBotProxy) -> None:
    found = await discover(proxy.url)
    assert (found.base_url, found.assistants_path, found.error) == (proxy.url, proxy.name, None)
    assert found.tried == [proxy.url]
    async with AgentClient(proxy.url, assistants_path=proxy.name) as client:  # type: ignore[arg-type]
        direct = await client.assistants.search(limit=10)
    assert len(direct.items) == 10  # the default first page, as a direct search gives it
    assert [a.assistant_id for a in found.assistants] == [a.assistant_id for a in direct.items]

    found = await discover(twin(proxy.url), limit=3)
    assert (found.base_url, found.assistants_path) == (proxy.url, proxy.name)
    assert found.tried == [twin(proxy.url), proxy.url] and len(found.assistants) == 3


async def test_discover_reports_nothing_when_no_candidate_answers(proxy: BBotProxy) -> None:
    nowhere = proxy.url.replace(proxy.prefix, "/nowhere" + proxy.prefix)
    found = await discover(nowhere)
    assert (found.base_url, found.assistants_path, found.assistants) == (None, None, [])
    assert isinstance(found.error, errors.NotFound)
    assert found.tried == [nowhere, twin(nowhere)]


async def test_a_refusal_means_the_name_exists(server_url: str) -> None:
    """A 401 stops the search at the name that answered it: the key, not the path, is wrong."""
    async with BBotProxy(server_url, "/api/v2", "distribution-channels", api_key=KEY) as proxy:
        found = await discover(proxy.url)
        assert (found.base_url, found.assistants_path) == (proxy.url, "distribution-channels")
        assert isinstance(found.error, errors.AuthError) and found.assistants == []

        found = await discover(proxy.url, api_key=KEY)
        assert found.error is None and found.assistants


async def test_discover_assistants_tries_the_current_name_first(proxy: BBotProxy) -> None:
    other = "assistants" if proxy.name == "distribution-channels" else "distribution-channels"
    async with AgentClient(proxy.url, assistants_path=other) as client:  # type: ignore[arg-type]
        page = await client.assistants.discover(limit=5)
        assert client.assistants_path == proxy.name and len(page.items) == 5
        # the name is kept: the next search goes straight to it
        await client.assistants.discover(limit=1)
    searches = [line for line in proxy.seen if line.endswith("/search")]
    assert searches == [
        f"POST {proxy.prefix}/{other}/search",
        f"POST {proxy.prefix}/{proxy.name}/search",
        f"POST {proxy.prefix}/{proxy.name}/search",
    ]


async def test_discover_assistants_raises_and_keeps_the_path_when_none_answers(
    proxy: BBotProxy,
) -> None:
    nowhere = proxy.url.replace(proxy.prefix, "/nowhere" + proxy.prefix)
    async with AgentClient(nowhere) as client:
        with pytest.raises(errors.NotFound):
            await client.assistants.discover(limit=1)
        assert client.assistants_path == "assistants"


async def test_a_web_page_instead_of_json_means_try_the_other_name() -> None:
    """A site that answers HTML for an unknown path (a frontend) hides ``/assistants``."""
    assistant = {"assistant_id": "a1", "graph_id": "chat", "name": "Chat"}
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        if request.url.path == "/v2/distribution-channels/search":
            return httpx.Response(200, content=json.dumps([assistant]).encode())
        return httpx.Response(200, text="<html>B-Bot</html>", headers={"content-type": "text/html"})

    async with AgentClient("https://example.test/v2", transport=httpx.MockTransport(answer)) as c:
        page = await c.assistants.discover()
        assert c.assistants_path == "distribution-channels"
    assert [a.assistant_id for a in page.items] == ["a1"]
    assert seen == ["/v2/assistants/search", "/v2/distribution-channels/search"]


def test_path_is_absent() -> None:
    assert path_is_absent(errors.http_error_from_response(404, b"", httpx.Headers()))
    assert path_is_absent(errors.http_error_from_response(405, b"", httpx.Headers()))
    assert path_is_absent(errors.ProtocolError("not JSON"))
    assert not path_is_absent(errors.http_error_from_response(401, b"", httpx.Headers()))
    assert not path_is_absent(errors.http_error_from_response(500, b"", httpx.Headers()))
    assert not path_is_absent(errors.ConnectFailed("refused"))
