"""A new conversation on a server that does not create threads with runs (fallback).

The session starts a new conversation with one request, ``if_not_exists: "create"`` on the run
(``bbot_tui.session.starter``). A server that ignores the flag answers 404 (or 422 for a field
it does not know): the session then creates the thread itself, sends the run again without the
flag, and remembers for that client that threads come first. A run refused even on the thread
made for it leaves no thread behind. The server here is the scripted hostile one, which answers
exactly what a server without the feature answers.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from hostile import (
    RUN,
    THREAD,
    HostileServer,
    agent_routes,
    json_response,
    sse_event,
    sse_response,
)

from bbot_tui.api import errors
from bbot_tui.api.client import AgentClient
from bbot_tui.api.models import RunCreate
from bbot_tui.session.run import RunSession

TIMEOUT = httpx.Timeout(connect=2.0, read=3.0, write=5.0, pool=2.0)
NOT_FOUND = [json_response(404, {"detail": "Thread or assistant not found."})]
STREAM = sse_response(
    [
        sse_event("metadata", {"run_id": RUN, "attempt": 1}, "1500-0"),
        sse_event("updates", {"chat": {"messages": [{"type": "ai", "id": "a1", "content": "ok"}]}}),
    ]
)
FINAL = [
    {"type": "human", "content": "hi", "id": "h1"},
    {"type": "ai", "content": "ok", "id": "a1"},
]


def _body() -> RunCreate:
    return RunCreate.model_validate(
        {
            "assistant_id": "chat",
            "input": {"messages": [{"role": "user", "content": "hi", "id": "h1"}]},
            "stream_mode": ["updates"],
        }
    )


def _requests(server: HostileServer) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (r.method, r.path.split("?")[0], json.loads(r.body) if r.body else {})
        for r in server.requests
    ]


async def _run(client: AgentClient) -> RunSession:
    session = RunSession(client)
    async for _ in session.run(_body(), thread_id=THREAD, new_thread={"title": "hi"}):
        pass
    return session


async def test_a_server_without_the_flag_gets_the_thread_first(hostile: HostileServer) -> None:
    agent_routes(hostile, [NOT_FOUND, STREAM], messages=FINAL)
    hostile.route("POST", r"/threads", [json_response(200, {"thread_id": THREAD})])
    async with AgentClient(hostile.url, timeout=TIMEOUT) as client:
        session = await _run(client)
        assert session.outcome.status == "success" and session.thread_id == THREAD
        sent = _requests(hostile)
        assert [(m, p) for m, p, _ in sent[:3]] == [
            ("POST", f"/threads/{THREAD}/runs/stream"),
            ("POST", "/threads"),
            ("POST", f"/threads/{THREAD}/runs/stream"),
        ]
        first, create, again = (body for _, _, body in sent[:3])
        assert first["if_not_exists"] == "create" and first["metadata"]["title"] == "hi"
        assert create == {
            "thread_id": THREAD,
            "metadata": {"title": "hi"},
            "if_exists": "do_nothing",
        }
        assert "if_not_exists" not in again
        # the client remembers: the next conversation makes its thread first, no failed POST
        before = len(hostile.requests)
        await _run(client)
        assert [(m, p) for m, p, _ in _requests(hostile)[before : before + 2]] == [
            ("POST", "/threads"),
            ("POST", f"/threads/{THREAD}/runs/stream"),
        ]


async def test_a_run_refused_on_its_own_thread_leaves_no_thread(hostile: HostileServer) -> None:
    agent_routes(hostile, [NOT_FOUND], messages=FINAL)
    hostile.route("POST", r"/threads", [json_response(200, {"thread_id": THREAD})])
    hostile.route("DELETE", rf"/threads/{THREAD}", [json_response(204, None)])
    async with AgentClient(hostile.url, timeout=TIMEOUT) as client:
        with pytest.raises(errors.NotFound):
            await _run(client)
        assert [(m, p) for m, p, _ in _requests(hostile)] == [
            ("POST", f"/threads/{THREAD}/runs/stream"),
            ("POST", "/threads"),
            ("POST", f"/threads/{THREAD}/runs/stream"),
            ("DELETE", f"/threads/{THREAD}"),
        ]
        # the refusal was not about the flag: the next conversation asks the run again
        before = len(hostile.requests)
        with pytest.raises(errors.NotFound):
            await _run(client)
        assert _requests(hostile)[before][2].get("if_not_exists") == "create"
