"""Fixed server answers for the app's snapshots (imported by ``tests/ui/test_snapshots_app.py``).

A snapshot must be the same on every run, and the real test server's answers are not: its port,
thread ids, timestamps and the assistants other tests create all change. So the snapshots give
the app's real :class:`~bbot_tui.api.client.AgentClient` an ``httpx.MockTransport`` that answers
with fixed JSON in the shapes the real server sends (see ``docs/PROTOCOL.md``). The
flows themselves are tested against the real server in ``test_app_*.py``; these only pin what
the screen looks like.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx

from bbot_tui.api.client import AgentClient
from bbot_tui.config.settings import Profile, Settings
from bbot_tui.tui.app import BbotApp, make_app

URL = "http://127.0.0.1:2024"
STAMP = "2024-03-03T12:00:00+00:00"
"""A fixed time: drawn as a date (``2024-03-03``) whatever today is."""

ASSISTANTS: list[dict[str, Any]] = [
    {
        "assistant_id": f"00000000-0000-4000-8000-00000000000{n}",
        "graph_id": graph,
        "name": name,
        "description": description,
        "version": 1,
        "config": {},
        "metadata": {"created_by": "system"},
        "created_at": STAMP,
        "updated_at": STAMP,
    }
    for n, (graph, name, description) in enumerate(
        [
            ("demo_chat", "demo_chat", "Friendly demo chat: streams a Markdown answer."),
            ("demo_tools", "demo_tools", "Tool-using agent: weather and arithmetic."),
            ("demo_approval", "demo_approval", "Drafts a post and asks for your approval."),
            ("demo_subgraph", "demo_subgraph", "A research subgraph streams nested steps."),
            ("demo_fail", "demo_fail", "Starts answering, then fails on purpose."),
        ],
        start=1,
    )
]
CHAT = ASSISTANTS[0]["assistant_id"]
THREAD = "00000000-0000-4000-9000-000000000001"

ANSWER = """## Hello from the bbot-tui demo

You asked: *how do I greet someone in Python?*

- answers arrive token by token and are rendered as Markdown,
- each conversation is a server-side *thread* you can reopen later.

```python
def greet(name: str) -> str:
    return f"Hello, {name}!"
```

Connect to your own B-Bot or LangGraph server to talk to a real model."""

MESSAGES: list[dict[str, Any]] = [
    {
        "type": "human",
        "id": "m-1",
        "content": "how do I greet someone in Python?",
        "additional_kwargs": {},
        "response_metadata": {},
    },
    {
        "type": "ai",
        "id": "m-2",
        "content": ANSWER,
        "tool_calls": [],
        "invalid_tool_calls": [],
        "additional_kwargs": {},
        "response_metadata": {"finish_reason": "stop"},
    },
]


def _thread(thread_id: str, title: str, status: str = "idle") -> dict[str, Any]:
    return {
        "thread_id": thread_id,
        "status": status,
        "created_at": STAMP,
        "updated_at": STAMP,
        "metadata": {"assistant_id": CHAT, "graph_id": "demo_chat", "title": title},
        "interrupts": {},
    }


THREADS = [
    _thread(THREAD, "how do I greet someone in Python?"),
    _thread("00000000-0000-4000-9000-000000000002", "draft a release note", "interrupted"),
    _thread("00000000-0000-4000-9000-000000000003", "what breaks?", "error"),
]


class FixedServer:
    """The ``MockTransport`` handler: fixed answers, and a list of requests it did not know."""

    def __init__(self) -> None:
        self.unknown: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path, method = request.url.path, request.method
        if (method, path) == ("POST", "/assistants/search"):
            return self._json(ASSISTANTS)
        if (method, path) == ("POST", "/threads/search"):
            body = json.loads(request.content or b"{}")
            wanted = (body.get("metadata") or {}).get("assistant_id")
            return self._json([t for t in THREADS if wanted in (None, CHAT)])
        if method == "GET" and path == f"/threads/{THREAD}":
            return self._json({**THREADS[0], "values": {"messages": MESSAGES}})
        state = {
            "values": {"messages": MESSAGES},
            "next": [],
            "tasks": [],
            "metadata": {},
            "created_at": STAMP,
            "checkpoint": {"thread_id": THREAD, "checkpoint_ns": "", "checkpoint_id": "c1"},
            "interrupts": [],
        }
        if method == "GET" and path == f"/threads/{THREAD}/state":
            return self._json(state)
        if (method, path) == ("POST", f"/threads/{THREAD}/history"):
            return self._json([state])  # one checkpoint: no branches
        # the open thread's live follow: no run, and a thread stream where nothing happens
        if method == "GET" and path == f"/threads/{THREAD}/runs":
            return self._json([])
        if method == "GET" and path == f"/threads/{THREAD}/stream":
            headers = {"content-type": "text/event-stream"}
            return httpx.Response(200, headers=headers, stream=_QuietStream())
        self.unknown.append(f"{method} {path}")
        return httpx.Response(404, json={"detail": "Not Found"})

    @staticmethod
    def _json(data: Any) -> httpx.Response:
        return httpx.Response(200, json=data)


class _QuietStream(httpx.AsyncByteStream):
    """An event stream that stays open and says nothing (until the follow is cancelled)."""

    async def __aiter__(self) -> AsyncIterator[bytes]:
        await asyncio.Event().wait()
        yield b""


def fixed_app(*, open_thread: bool = True) -> tuple[BbotApp, FixedServer]:
    """The app on the fixed server, the demo chat selected and (optionally) its thread open."""
    server = FixedServer()
    profile = Profile(
        name="demo",
        base_url=URL,
        last_assistant_id=CHAT,
        last_thread_id=THREAD if open_thread else None,
    )
    settings = Settings(profiles={"demo": profile}, active_profile="demo")

    def client(p: Profile) -> AgentClient:
        return AgentClient(p.base_url, transport=httpx.MockTransport(server))

    return make_app(settings, client_factory=client, persist=False), server
