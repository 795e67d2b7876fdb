"""``Inbox``: the threads waiting for a human, read from the thread search alone.

On the session's real server: questions of three shapes (a plain value, HITL v1, agent-inbox
HumanInterrupt) from three assistants show with what they ask; a cancelled thread (interrupted
without a question) and an idle one do not; an answered thread leaves; an unchanged refresh
backs off. On a server of its own holding 2,000 threads, the requests are counted at the
transport and through a loopback proxy (the CLI): one search page per ``page_size`` waiting
threads, nothing per thread.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from faultproxy import FaultProxy

from bbot_tui.api.client import AgentClient
from bbot_tui.api.models import Thread
from bbot_tui.demo.server import LocalServer
from bbot_tui.session.inbox import Inbox, InboxItem, summarize_interrupt

TESTS = Path(__file__).resolve().parents[1]
EMAIL = 'send_email(to="a@b.c", body="hi")'
"""What the ``hitl_v1`` and ``legacy_hitl`` test graphs ask (tests/graphs/hitl.py)."""


def _user(text: str) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": text}]}


def _ask(http: httpx.Client, graph: str, text: str, *, wait: bool = True) -> str:
    """A thread whose run (started by plain HTTP) stops at the graph's question."""
    thread_id = str(http.post("/threads", json={}).json()["thread_id"])
    body = {"assistant_id": graph, "input": _user(text)}
    if wait:
        http.post(f"/threads/{thread_id}/runs/wait", json=body).raise_for_status()
    else:
        http.post(f"/threads/{thread_id}/runs", json=body).raise_for_status()
    return thread_id


def _cancelled(http: httpx.Client) -> str:
    """A thread whose run was cancelled while it ran: interrupted, with no question."""
    thread_id = str(http.post("/threads", json={}).json()["thread_id"])
    body = {
        "assistant_id": "slow",
        "input": _user("x"),
        "context": {"tokens": 500},
        "stream_mode": ["messages-tuple"],  # the tokens are paced only when streamed
    }
    run_id = http.post(f"/threads/{thread_id}/runs", json=body).json()["run_id"]
    deadline = time.monotonic() + 30
    while http.get(f"/threads/{thread_id}/runs/{run_id}").json()["status"] == "pending":
        assert time.monotonic() < deadline
        time.sleep(0.02)
    http.post(f"/threads/{thread_id}/runs/{run_id}/cancel?wait=1").raise_for_status()
    return thread_id


def _wait_status(http: httpx.Client, thread_ids: list[str], status: str) -> None:
    deadline = time.monotonic() + 30
    pending = set(thread_ids)
    while pending:
        assert time.monotonic() < deadline, f"{len(pending)} threads never became {status}"
        found = http.post(
            "/threads/search",
            json={"ids": sorted(pending), "status": status, "select": ["thread_id"], "limit": 1000},
        ).json()
        pending -= {t["thread_id"] for t in found}
        if pending:
            time.sleep(0.1)


class CountingTransport(httpx.AsyncBaseTransport):
    """An httpx transport that records ``METHOD /path`` of every request it sends."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.requests: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(f"{request.method} {request.url.path}")
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def test_summaries_of_the_three_shapes() -> None:
    legacy = [
        {
            "action_request": {"action": "send_email", "args": {"to": "a@b.c", "body": "hi"}},
            "config": {"allow_accept": True},
            "description": "Send this email?",
        }
    ]
    v1 = {
        "action_requests": [{"name": "send_email", "args": {"to": "a@b.c", "body": "hi"}}],
        "review_configs": [{"action_name": "send_email", "allowed_decisions": ["approve"]}],
    }
    assert summarize_interrupt(legacy) == EMAIL
    assert summarize_interrupt(v1) == EMAIL
    assert summarize_interrupt("your name?") == "your name?"
    assert summarize_interrupt({"question": "approve?"}) == '{"question": "approve?"}'


async def test_waiting_threads_of_every_assistant_show_and_leave_once_answered(
    server_url: str, assistant_ids: dict[str, str]
) -> None:
    with httpx.Client(base_url=server_url, timeout=30) as http:
        plain = _ask(http, "approval", "draft it")
        v1 = _ask(http, "hitl_v1", "mail them")
        legacy = _ask(http, "legacy_hitl", "mail them too")
        http.patch(f"/threads/{legacy}", json={"metadata": {"title": "the mail"}})
        idle = str(http.post("/threads", json={}).json()["thread_id"])
        cancelled = _cancelled(http)
        _wait_status(http, [cancelled], "interrupted")
        states = {t: http.get(f"/threads/{t}/state").json() for t in (plain, v1, legacy)}

    async with AgentClient(server_url) as client:
        inbox = Inbox(client, limit=1000, min_delay=1.0, max_delay=4.0)
        assert await inbox.refresh()
        mine = {item.thread_id: item for item in inbox.items}
        assert plain in mine and v1 in mine and legacy in mine
        assert idle not in mine and cancelled not in mine  # no question: nobody to ask
        for thread_id, graph in ((plain, "approval"), (v1, "hitl_v1"), (legacy, "legacy_hitl")):
            item = mine[thread_id]
            assert (item.assistant_id, item.graph_id) == (assistant_ids[graph], graph)
            pending = states[thread_id]["interrupts"]
            assert [(p.id, p.value) for p in item.interrupts] == [
                (p["id"], p["value"]) for p in pending
            ]
            assert item.waiting_since is not None
            assert 0 <= (item.waited() or 0) < 120
        assert (mine[plain].title, mine[v1].title, mine[legacy].title) == (
            "draft it",
            "mail them",
            "the mail",  # metadata.title wins over the first message
        )
        assert mine[v1].asks == (EMAIL,) and mine[legacy].asks == (EMAIL,)
        assert json.loads(mine[plain].asks[0])["question"] == "approve?"
        line = mine[v1].to_json()
        assert set(line) >= {"thread_id", "assistant_id", "interrupts", "waiting_since"}
        assert line["interrupts"][0]["id"] == states[v1]["interrupts"][0]["id"]

        # nothing changed: the next refresh is later
        assert not await inbox.refresh()
        assert inbox.next_delay == 2.0
        assert not await inbox.refresh()
        assert inbox.next_delay == 4.0

        # answered elsewhere: the thread leaves the inbox
        async with httpx.AsyncClient(base_url=server_url, timeout=30) as http2:
            resume = {"assistant_id": "approval", "command": {"resume": "fine"}}
            answered = await http2.post(f"/threads/{plain}/runs/wait", json=resume)
            assert answered.status_code == 200
        assert await inbox.refresh()
        assert inbox.next_delay == 1.0
        ids = {item.thread_id for item in inbox.items}
        assert plain not in ids and v1 in ids


@pytest.fixture(scope="module")
def crowded_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, list[str]]]:
    """A server of its own with 2,000 threads, 25 of them waiting for a human.

    Returns the URL and the waiting threads' ids.
    """
    log = tmp_path_factory.mktemp("crowded") / "langgraph-dev.log"
    server = LocalServer(TESTS / "graphs" / "langgraph.json", log_path=log)
    server.start()
    try:
        assert server.url is not None
        with httpx.Client(base_url=server.url, timeout=30) as http:
            for i in range(1970):
                http.post("/threads", json={"metadata": {"n": i}}).raise_for_status()
            waiting = [_ask(http, "hitl_v1", f"q{i}", wait=False) for i in range(25)]
            cancelled = [_cancelled(http) for _ in range(5)]  # interrupted, no question
            _wait_status(http, waiting + cancelled, "interrupted")
            total = http.post("/threads/count", json={}).json()
            assert total == 2000
        yield server.url, waiting
    finally:
        server.stop()


@pytest.mark.xdist_group("crowded-server")  # its 2,000 threads are made once
async def test_two_thousand_threads_are_three_search_requests(
    crowded_server: tuple[str, list[str]],
) -> None:
    url, waiting = crowded_server
    transport = CountingTransport()
    async with AgentClient(url, transport=transport) as client:
        inbox = Inbox(client, limit=100, page_size=10)
        await inbox.refresh()
        assert sorted(item.thread_id for item in inbox.items) == sorted(waiting)
        assert all(item.asks == (EMAIL,) for item in inbox.items)
        assert not inbox.has_more
        # 30 interrupted threads (25 waiting, 5 cancelled) in pages of 10; no thread read alone
        assert transport.requests == ["POST /threads/search"] * 3
        assert inbox.requests == 3

        # a window smaller than the waiting threads, and "more": the newest page holds the
        # 5 cancelled threads and 5 waiting ones, so 10 waiting threads take two pages
        small = Inbox(client, limit=10, page_size=10)
        await small.refresh()
        assert len(small.items) == 10 and small.has_more
        assert small.requests == 2
        await small.load_more()  # 20: 5 + 10 + 10 (cut to 20)
        assert len(small.items) == 20 and small.has_more
        assert small.requests == 2 + 3
        assert transport.requests == ["POST /threads/search"] * 8


@pytest.mark.xdist_group("crowded-server")  # its 2,000 threads are made once
async def test_the_cli_inbox_is_one_request_through_a_counting_proxy(
    crowded_server: tuple[str, list[str]],
) -> None:
    url, waiting = crowded_server
    port = urlsplit(url).port
    assert port is not None
    async with FaultProxy("127.0.0.1", port, modes=("pass",), fault_rate=0.0) as proxy:
        for args in (["--json"], []):
            child = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bbot_tui",
                "inbox",
                "--url",
                proxy.url,
                *args,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            out, err = await asyncio.wait_for(child.communicate(), 60)
            assert child.returncode == 0, err.decode()
            text = out.decode()
            if args:
                lines = [json.loads(line) for line in text.splitlines()]
                assert sorted(line["thread_id"] for line in lines) == sorted(waiting)
                first = lines[0]
                assert first["interrupts"][0]["value"]["action_requests"][0]["name"] == (
                    "send_email"
                )
                assert first["graph_id"] == "hitl_v1" and first["waiting_since"]
            else:
                rows = text.splitlines()
                assert rows[0].split() == ["THREAD", "ID", "ASSISTANT", "TITLE", "ASKS", "WAITING"]
                assert len(rows) == 26 and all(EMAIL in row for row in rows[1:])
                assert {row.split()[0] for row in rows[1:]} == set(waiting)
        requests = [request for log in proxy.logs for _at, request in log.requests]
    assert requests == ["POST /threads/search", "POST /threads/search"]  # one per command


def test_an_item_without_a_question_is_none() -> None:
    thread = Thread.model_validate({"thread_id": "t", "status": "interrupted", "interrupts": {}})
    assert InboxItem.from_thread(thread) is None
