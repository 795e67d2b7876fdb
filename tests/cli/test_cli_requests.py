"""Issue 19: ``bbot-tui run`` costs the fewest requests a remote server can answer.

Against a server across the internet every request is a round trip, so ``bbot-tui run`` must
make at most 3 requests on a new thread (the assistant lookup, the run's stream that creates
the thread, the state read that reconciles it) and at most 2 on an existing one (the stream
and the state read; the assistant resolved by an earlier run is remembered). The requests are
counted by a loopback proxy in front of the real local server (``tests/support/delayproxy.py``,
as ``bench/latency.py`` counts them), and through the strict B-Bot proxy of
``tests/api/bbot_proxy.py`` for both of its API generations. Fewer requests never means a
wrong transcript: each run's ``--json`` transcript equals the server's state, and a run on an
existing thread prints only its own messages.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from cli_helpers import CliResult, get, post, run_cli

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "api"))
from bbot_proxy import GENERATIONS, BBotProxy
from delayproxy import DelayProxy

from bbot_tui.api.client import AgentClient
from bbot_tui.api.discovery import likely_assistants_path
from bbot_tui.api.models import Assistant
from bbot_tui.cli.common import EXIT_OK, EXIT_USAGE
from bbot_tui.session.assistants import (
    REMEMBER_SECONDS,
    AmbiguousAssistant,
    KnownAssistants,
    resolve_assistant,
)

_IDS = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
STREAM = "POST /threads/<id>/runs/stream"
STATE = "GET /threads/<id>/state"


class CountingProxy:
    """A :class:`DelayProxy` served from a thread of its own: the CLI runs ``asyncio.run``."""

    def __init__(self, server_url: str, *, rtt: float = 0.0) -> None:
        target = urlsplit(server_url)
        self.proxy = DelayProxy(target.hostname or "127.0.0.1", target.port or 80, rtt=rtt)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    def __enter__(self) -> CountingProxy:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.proxy.start(), self._loop).result(10)
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self.proxy.stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    @property
    def url(self) -> str:
        """The proxy's base URL."""
        return self.proxy.url

    def mark(self) -> int:
        """The number of requests seen so far (to count one command's)."""
        return len(self.proxy.exchanges)

    def requests(self, since: int) -> list[str]:
        """The requests seen since ``since``, ids masked, without the query."""
        return [
            _IDS.sub("<id>", f"{x.method} {x.path.split('?')[0]}")
            for x in self.proxy.exchanges[since:]
        ]

    def connections(self, since: int) -> int:
        """The connections opened since ``since`` (1: the keep-alive pool served the rest)."""
        return sum(x.new_connection for x in self.proxy.exchanges[since:])


@pytest.fixture
def proxy(server_url: str) -> Iterator[CountingProxy]:
    """A request-counting proxy in front of the real server."""
    with CountingProxy(server_url) as counting:
        yield counting


@pytest.fixture
def named(server_url: str) -> Iterator[Callable[[str], tuple[str, str]]]:
    """Create an assistant with a unique name on the real server (deleted after the test: the
    server is shared, other tests count its assistants)."""
    made: list[str] = []

    def create(graph_id: str) -> tuple[str, str]:
        name = f"req-{graph_id}-{uuid.uuid4().hex[:8]}"
        assistant_id = post(server_url, "/assistants", {"graph_id": graph_id, "name": name})[
            "assistant_id"
        ]
        made.append(assistant_id)
        return assistant_id, name

    yield create
    for assistant_id in made:  # a test may have deleted it already
        httpx.delete(f"{server_url}/assistants/{assistant_id}", timeout=30)


def same_as_state(server_url: str, result: CliResult) -> dict[str, Any]:
    """Assert the ``--json`` transcript equals the thread's stored messages; return the state."""
    state = get(server_url, f"/threads/{result.summary['thread_id']}/state")

    def key(m: dict[str, Any]) -> tuple[Any, ...]:
        return (m.get("id"), m.get("type"), m.get("content"))

    assert [key(m) for m in result.summary["messages"]] == [
        key(m) for m in state["values"]["messages"]
    ]
    return state


def counted(
    capsys: pytest.CaptureFixture[str], proxy: CountingProxy, *args: str
) -> tuple[CliResult, list[str]]:
    """Run ``bbot-tui run --url <proxy> *args``; its result and the requests it made."""
    start = proxy.mark()
    result = run_cli(capsys, "run", "--url", proxy.url, *args)
    return result, proxy.requests(start)


# --------------------------------------------------------------------------- LangGraph


@pytest.mark.parametrize("named_by", ["graph", "id", "name"])
def test_a_run_on_a_new_thread_makes_at_most_three_requests(
    capsys: pytest.CaptureFixture[str],
    server_url: str,
    proxy: CountingProxy,
    assistant_ids: dict[str, str],
    named: Callable[[str], tuple[str, str]],
    named_by: str,
) -> None:
    made_id, name = named("chat")
    target = {"graph": "chat", "id": assistant_ids["chat"], "name": name}[named_by]
    expected = made_id if named_by == "name" else assistant_ids["chat"]
    r, requests = counted(capsys, proxy, "--assistant", target, "--message", "hi", "--json")
    assert r.code == EXIT_OK, r.err
    assert len(requests) <= 3, requests
    assert requests[-2:] == [STREAM, STATE], requests
    same_as_state(server_url, r)
    run = get(server_url, f"/threads/{r.summary['thread_id']}/runs/{r.summary['run_id']}")
    assert run["assistant_id"] == expected


@pytest.mark.parametrize("named_by", ["graph", "id"])
def test_a_run_on_an_existing_thread_makes_at_most_two_requests(
    capsys: pytest.CaptureFixture[str],
    server_url: str,
    proxy: CountingProxy,
    assistant_ids: dict[str, str],
    named_by: str,
) -> None:
    target = {"graph": "chat", "id": assistant_ids["chat"]}[named_by]
    r, _ = counted(capsys, proxy, "--assistant", target, "--message", "first", "--json")
    assert r.code == EXIT_OK, r.err
    thread_id = r.summary["thread_id"]
    # text mode: only the run's own answer is printed, not what the thread had before
    r, requests = counted(
        capsys, proxy, "--assistant", target, "--thread", thread_id, "--message", "second"
    )
    assert r.code == EXIT_OK, r.err
    assert len(requests) <= 2, requests
    assert requests == [STREAM, STATE], requests
    assert r.out == "── chat ──\nYou said: second. Here is a streamed answer.\n"
    # --json: the transcript is the whole thread, as stored
    r, requests = counted(
        capsys, proxy, "--assistant", target, "--thread", thread_id, "--message", "third",
        "--json",
    )  # fmt: skip
    assert r.code == EXIT_OK, r.err
    assert len(requests) <= 2, requests
    contents = [m["content"] for m in same_as_state(server_url, r)["values"]["messages"]]
    assert contents[0::2] == ["first", "second", "third"]


def test_an_existing_thread_without_a_remembered_assistant_makes_three(
    capsys: pytest.CaptureFixture[str], server_url: str, proxy: CountingProxy
) -> None:
    thread_id = post(server_url, "/threads", {})["thread_id"]
    args = ["--assistant", "chat", "--thread", thread_id]
    r, requests = counted(capsys, proxy, *args, "--message", "one")
    assert r.code == EXIT_OK, r.err
    assert requests == ["POST /assistants/search", STREAM, STATE], requests
    assert r.out == "── chat ──\nYou said: one. Here is a streamed answer.\n"
    r, requests = counted(capsys, proxy, *args, "--message", "two")
    assert r.code == EXIT_OK, r.err
    assert requests == [STREAM, STATE], requests
    assert r.out == "── chat ──\nYou said: two. Here is a streamed answer.\n"
    # a values stream starts with the thread's earlier messages: above the input, not printed
    r, requests = counted(capsys, proxy, *args, "--message", "three", "--stream-mode", "values")
    assert r.code == EXIT_OK, r.err
    assert requests == [STREAM, STATE], requests
    assert r.out == "You said: three. Here is a streamed answer.\n"


def test_a_remembered_assistant_that_is_gone_is_looked_up_again(
    capsys: pytest.CaptureFixture[str],
    server_url: str,
    proxy: CountingProxy,
    named: Callable[[str], tuple[str, str]],
) -> None:
    first_id, _ = named("chat")
    r, _ = counted(capsys, proxy, "--assistant", first_id, "--message", "a", "--json")
    assert r.code == EXIT_OK, r.err
    thread_id = r.summary["thread_id"]
    httpx.delete(f"{server_url}/assistants/{first_id}", timeout=30).raise_for_status()
    r, requests = counted(
        capsys, proxy, "--assistant", first_id, "--thread", thread_id, "--message", "b"
    )
    # the server refused the remembered id; the lookup then says what the user named is gone
    assert r.code == EXIT_USAGE, r.err
    assert f"--assistant: no assistant has the id {first_id!r}" in r.err
    assert requests[0] == STREAM and STREAM not in requests[1:], requests
    messages = get(server_url, f"/threads/{thread_id}/state")["values"]["messages"]
    assert [m["content"] for m in messages][0::2] == ["a"]


def test_an_unknown_assistant_is_found_unknown_with_one_search(
    capsys: pytest.CaptureFixture[str], proxy: CountingProxy
) -> None:
    r, requests = counted(capsys, proxy, "--assistant", "no-such-graph", "--message", "x")
    assert r.code == EXIT_USAGE
    assert "--assistant: no assistant has the id, graph or name 'no-such-graph'" in r.err
    assert requests == ["POST /assistants/search", "GET /assistants/no-such-graph"], requests


def test_the_run_reuses_one_connection_at_400_ms(
    capsys: pytest.CaptureFixture[str], server_url: str
) -> None:
    with CountingProxy(server_url, rtt=0.4) as slow:
        start = slow.mark()
        r = run_cli(capsys, "run", "--url", slow.url, "--assistant", "chat", "--message", "k")
        assert r.code == EXIT_OK, r.err
        assert len(slow.requests(start)) <= 3
        assert slow.connections(start) == 1, slow.requests(start)


# --------------------------------------------------------------------------- B-Bot


@pytest.fixture(params=GENERATIONS, ids=["v2-assistants", "api-v2-distribution-channels"])
def bbot(request: pytest.FixtureRequest, server_url: str) -> Iterator[BBotProxy]:
    """A strict B-Bot in front of the real server (key only in ``bbot-api-key``, entity id
    required on every run)."""
    prefix, name = request.param
    with BBotProxy(server_url, prefix, name, api_key="bbot_requests_key", strict=True) as b:
        yield b
    b.assert_clean()


@pytest.mark.parametrize("named_by", ["graph", "id"])
def test_bbot_new_thread_three_requests_existing_two(
    capsys: pytest.CaptureFixture[str],
    server_url: str,
    bbot: BBotProxy,
    assistant_ids: dict[str, str],
    named_by: str,
) -> None:
    target = {"graph": "chat", "id": assistant_ids["chat"]}[named_by]
    conn = ["--url", bbot.url, "--api-key", "bbot_requests_key", "--assistant", target]
    start = len(bbot.seen)
    r = run_cli(capsys, "run", *conn, "--message", "hello", "--json")
    assert r.code == EXIT_OK, r.err
    new = bbot.seen[start:]
    assert len(new) <= 3, new
    assert f"{bbot.prefix}/{bbot.name}/search" in new[0], new
    same_as_state(server_url, r)
    thread_id = r.summary["thread_id"]
    start = len(bbot.seen)
    r = run_cli(capsys, "run", *conn, "--thread", thread_id, "--message", "again", "--json")
    assert r.code == EXIT_OK, r.err
    existing = bbot.seen[start:]
    assert len(existing) <= 2, existing
    same_as_state(server_url, r)
    assert bbot.refused_runs == []


# --------------------------------------------------------------------------- the parts, offline


def _assistant(assistant_id: str, graph_id: str, name: str, *, system: bool = False) -> Any:
    metadata = {"created_by": "system"} if system else {}
    return {"assistant_id": assistant_id, "graph_id": graph_id, "name": name, "metadata": metadata}


def _server(
    collection: list[dict[str, Any]], *, page: int = 100
) -> tuple[httpx.MockTransport, list[str]]:
    """A LangGraph-like assistants endpoint answering ``page`` items at most per search."""
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.method} {request.url.path}")
        if request.url.path == "/assistants/search":
            body = json.loads(request.content)
            items = [
                a
                for a in collection
                if all(a.get(k) == body[k] for k in ("graph_id", "name") if k in body)
            ]
            if "graph_id" in body and not items:
                return httpx.Response(404, json={"detail": "graph not found"})
            limit = min(body.get("limit", 10), page)
            headers = {"x-pagination-next": str(limit)} if len(items) > limit else {}
            return httpx.Response(200, json=items[:limit], headers=headers)
        wanted = request.url.path.rsplit("/", 1)[-1]
        found = [a for a in collection if a["assistant_id"] == wanted]
        return httpx.Response(200, json=found[0]) if found else httpx.Response(404, json={})

    return httpx.MockTransport(answer), seen


async def test_a_whole_page_answers_a_name_or_an_ambiguity_in_one_request() -> None:
    collection = [
        _assistant("a-default", "chat", "chat", system=True),
        _assistant("a-mine", "chat", "mine"),
        _assistant("a-twin1", "agent", "twin"),
        _assistant("a-twin2", "agent", "twin"),
    ]
    transport, seen = _server(collection)
    async with AgentClient("http://example.test", transport=transport) as client:
        assert (await resolve_assistant(client, "chat")).assistant_id == "a-default"
        assert (await resolve_assistant(client, "mine")).assistant_id == "a-mine"
        with pytest.raises(AmbiguousAssistant, match="'twin' is the name of 2 assistants"):
            await resolve_assistant(client, "twin")
        with pytest.raises(AmbiguousAssistant, match="'agent' is the graph of 2 assistants"):
            await resolve_assistant(client, "agent")
    assert seen == ["POST /assistants/search"] * 4


async def test_a_partial_page_leaves_what_it_cannot_see_to_the_filtered_searches() -> None:
    # the server answers 2 assistants a page: the name's twin is beyond the first page
    collection = [
        _assistant("a-default", "chat", "chat", system=True),
        _assistant("a-one", "solo", "twin"),
        _assistant("a-two", "other", "twin"),
    ]
    transport, seen = _server(collection, page=2)
    async with AgentClient("http://example.test", transport=transport) as client:
        assert (await resolve_assistant(client, "chat")).assistant_id == "a-default"
        assert seen == ["POST /assistants/search"]
        with pytest.raises(AmbiguousAssistant, match="'twin' is the name of 2 assistants"):
            await resolve_assistant(client, "twin")
        # the graph's only assistant on a partial page: confirmed by the graph's own search
        seen.clear()
        assert (await resolve_assistant(client, "solo")).assistant_id == "a-one"
    assert seen == ["POST /assistants/search", "POST /assistants/search"]


def test_known_assistants_keep_only_what_keeps_its_meaning(tmp_path: Path) -> None:
    known = KnownAssistants(tmp_path / "assistants.json")
    url = "https://bbot.example/api/v2"
    default = Assistant.model_validate(
        {
            **_assistant("a-default", "chat", "chat", system=True),
            "config": {"configurable": {"entity_id": "ent_1", "secret": "not kept"}},
        }
    )
    mine = Assistant.model_validate(_assistant("a-mine", "chat", "mine"))
    assert known.remember(url, "chat", default, "distribution-channels")  # a graph's default
    assert known.remember(url, " a-mine ", mine, "assistants")  # an id
    assert not known.remember(url, "mine", mine, "assistants")  # a name: given away later?
    recalled = known.recall(url, "chat")
    assert recalled is not None and recalled.assistants_path == "distribution-channels"
    assert (recalled.assistant.assistant_id, recalled.assistant.entity_id) == ("a-default", "ent_1")
    assert "not kept" not in known.path.read_text()
    assert known.recall(url, "a-mine") is not None
    assert known.recall(url, "mine") is None
    assert known.recall("https://elsewhere.example", "chat") is None
    assert oct(known.path.stat().st_mode & 0o777) == "0o600"
    known.forget(url, "chat")
    assert known.recall(url, "chat") is None and known.recall(url, "a-mine") is not None
    # an old answer is looked up again; a damaged file is an empty one
    data = json.loads(known.path.read_text())
    data["assistants"][0]["saved_at"] -= REMEMBER_SECONDS + 1
    known.path.write_text(json.dumps(data))
    assert known.recall(url, "a-mine") is None
    known.path.write_text("{not json")
    assert known.recall(url, "a-mine") is None
    assert known.remember(url, "a-mine", mine, "assistants")
    assert known.recall(url, "a-mine") is not None


def test_the_first_assistants_name_comes_from_the_url() -> None:
    assert likely_assistants_path("https://api.b-bot.example/api/v2") == "distribution-channels"
    assert likely_assistants_path("https://api.b-bot.example/api/v2/") == "distribution-channels"
    assert likely_assistants_path("https://api.b-bot.example/v2") == "assistants"
    assert likely_assistants_path("http://127.0.0.1:2024") == "assistants"
