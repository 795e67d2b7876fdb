"""A snapshot of the inbox screen: three threads of three assistants waiting for a human (a HITL
question, an agent-inbox HumanInterrupt, a plain value), from fixed search answers and a fixed
clock, so the waiting times and "updated … ago" are the same on every run. The flows against
the real server are in ``tests/tui/test_inbox.py``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
from textual.app import App
from textual.pilot import Pilot

from bbot_tui.api.client import AgentClient
from bbot_tui.tui.inbox_watch import InboxWatch
from bbot_tui.tui.screens.inbox import InboxScreen

NOW = datetime(2026, 3, 3, 12, 0, 0, tzinfo=UTC)
"""The fixed clock."""
MAIL = {"to": "team@example.com", "subject": "Release 1.4", "body": "It ships today."}


def _thread(n: int, graph: str, title: str, since: str, value: Any) -> dict[str, Any]:
    return {
        "thread_id": f"00000000-0000-4000-9000-00000000000{n}",
        "status": "interrupted",
        "created_at": "2026-03-03T09:00:00+00:00",
        "updated_at": since,
        "state_updated_at": since,
        "metadata": {
            "assistant_id": f"00000000-0000-4000-8000-00000000000{n}",
            "graph_id": graph,
            "title": title,
        },
        "interrupts": {f"task-{n}": [{"id": f"interrupt-{n}", "value": value}]},
    }


THREADS = [
    _thread(
        1,
        "mailer",
        "Announce the release",
        "2026-03-03T11:59:15+00:00",
        {
            "action_requests": [{"name": "send_email", "args": MAIL}],
            "review_configs": [{"action_name": "send_email", "allowed_decisions": ["approve"]}],
        },
    ),
    _thread(
        2,
        "deployer",
        "Deploy to production",
        "2026-03-03T11:48:00+00:00",
        [
            {
                "action_request": {"action": "deploy", "args": {"env": "prod", "version": "1.4"}},
                "config": {"allow_accept": True},
                "description": "Deploy?",
            }
        ],
    ),
    _thread(
        3, "writer", "Blog post draft", "2026-03-03T08:55:00+00:00", "Which title do you prefer?"
    ),
]
NAMES = {
    "00000000-0000-4000-8000-000000000001": "Mail assistant",
    "00000000-0000-4000-8000-000000000002": "Release bot",
}
"""The assistants the main screen lists (the third is known by its graph only)."""


class InboxApp(App[None]):
    """The inbox screen over a watcher whose client answers the search with :data:`THREADS`."""

    def on_mount(self) -> None:
        def answer(request: httpx.Request) -> httpx.Response:
            assert (request.method, request.url.path) == ("POST", "/threads/search")
            return httpx.Response(200, json=THREADS)

        client = AgentClient("http://127.0.0.1:2024", transport=httpx.MockTransport(answer))
        self.inbox_watch = InboxWatch(self, min_delay=600, max_delay=600, now=lambda: NOW)
        self.inbox_watch.start(client)


async def _shown(pilot: Pilot[None]) -> None:
    app: Any = pilot.app
    watch: InboxWatch = app.inbox_watch
    for _ in range(400):
        if watch.polls >= 1:
            break
        await pilot.pause(0.05)
    app.push_screen(InboxScreen(watch, NAMES))
    for _ in range(400):  # the screen wakes the watcher when shown
        if watch.polls >= 2 and not watch.polling:
            break
        await pilot.pause(0.05)
    await app.workers.wait_for_complete()
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, InboxScreen) and len(screen.items) == 3


def test_snapshot_inbox(snap_compare: Any) -> None:
    assert snap_compare(InboxApp(), terminal_size=(120, 16), run_before=_shown)
