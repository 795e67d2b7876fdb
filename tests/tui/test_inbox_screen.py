"""The inbox in the REAL app against the local server: the screen (``ctrl+g``), Enter, the
background watcher's messages, and the requests it costs.

* A thread of ANOTHER assistant stopped at a question (its run started by plain HTTP) shows in
  the inbox screen with the assistant's name, the thread's title, what is asked and how long it
  has waited; Enter switches to that assistant and opens the thread with its interrupt card;
  answering there removes the row when the screen is shown again.
* The app's watcher posts ``WaitingCount`` when the count changes and ``AttentionNeeded`` for a
  question that appears after it started, not for those already waiting (recorded with
  ``run_test(message_hook=…)``).
* The requests are counted at the client's transport (as the session's inbox test does): thread
  searches only, one per page of waiting threads, nothing per thread; opening the screen makes
  none of its own beyond one wake-up poll.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import uuid
from collections.abc import Callable
from typing import Any

import httpx
from textual.pilot import Pilot

from bbot_tui.api.client import AgentClient
from bbot_tui.config.settings import Profile, Settings
from bbot_tui.tui.app import BbotApp, make_app
from bbot_tui.tui.inbox_watch import InboxWatch
from bbot_tui.tui.messages import AttentionNeeded, WaitingCount
from bbot_tui.tui.screens.inbox import EMPTY_TEXT, InboxScreen
from bbot_tui.tui.widgets.interrupt_card import InterruptCard
from bbot_tui.tui.widgets.interrupt_item import InterruptItem

LIMIT = 60.0
"""Seconds after which a wait gives up (a hang guard, not a speed check)."""
EMAIL = 'send_email(to="a@b.c", body="hi")'
"""What the ``hitl_v1`` test graph asks (tests/graphs/hitl.py)."""


async def wait_for(pilot: Pilot[Any], condition: Callable[[], Any], what: str) -> None:
    """Let the app run until ``condition()`` is true."""
    for _ in range(int(LIMIT / 0.05)):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError(f"gave up waiting for {what}")


def own_assistant(url: str, graph_id: str) -> tuple[str, str]:
    """A new assistant of ``graph_id`` with a unique name: (id, name)."""
    name = f"{graph_id}-{uuid.uuid4().hex[:10]}"
    response = httpx.post(
        f"{url}/assistants", json={"graph_id": graph_id, "name": name}, timeout=30
    )
    response.raise_for_status()
    return str(response.json()["assistant_id"]), name


def ask(url: str, assistant_id: str, text: str) -> str:
    """A thread whose run, started by plain HTTP, stopped at the assistant's question."""
    with httpx.Client(base_url=url, timeout=30) as http:
        thread_id = str(http.post("/threads", json={}).json()["thread_id"])
        body = {
            "assistant_id": assistant_id,
            "input": {"messages": [{"role": "user", "content": text}]},
        }
        http.post(f"/threads/{thread_id}/runs/wait", json=body).raise_for_status()
        assert http.get(f"/threads/{thread_id}").json()["status"] == "interrupted"
    return thread_id


def _app(url: str, assistant_id: str, **kwargs: Any) -> BbotApp:
    profile = Profile(name="local", base_url=url, last_assistant_id=assistant_id)
    settings = Settings(profiles={"local": profile}, active_profile="local")
    return make_app(settings, persist=False, **kwargs)


async def _started(pilot: Pilot[Any], assistant_id: str) -> BbotApp:
    app: BbotApp = pilot.app  # type: ignore[assignment]
    await app.ready.wait()
    screen = app.main_screen
    await wait_for(
        pilot,
        lambda: screen.assistant is not None and screen.assistant.assistant_id == assistant_id,
        "the profile's assistant",
    )
    await wait_for(pilot, lambda: app.inbox_watch.polls > 0, "the first inbox poll")
    return app


def _row(screen: InboxScreen, thread_id: str) -> list[str]:
    table = screen.table
    return [str(cell) for cell in table.get_row(thread_id)]


async def test_a_question_of_another_assistant_opens_with_its_card_and_leaves_once_answered(
    server_url: str,
) -> None:
    chat_id, _chat = own_assistant(server_url, "chat")
    hitl_id, hitl_name = own_assistant(server_url, "hitl_v1")
    thread_id = ask(server_url, hitl_id, "mail the team")
    app = _app(server_url, chat_id)
    async with app.run_test(size=(140, 40)) as pilot:
        await _started(pilot, chat_id)
        main = app.main_screen
        await pilot.press("ctrl+g")
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen), "the inbox")
        inbox = app.screen
        assert isinstance(inbox, InboxScreen)
        await wait_for(pilot, lambda: thread_id in [i.thread_id for i in inbox.items], "the row")
        assistant, title, asks, waiting = _row(inbox, thread_id)
        assert (assistant, title, asks) == (hitl_name, "mail the team", EMAIL)
        assert waiting.endswith("s") or waiting.endswith("m")
        assert "waiting" in str(inbox.query_one("#inbox-status").render())

        inbox.table.move_cursor(row=[i.thread_id for i in inbox.items].index(thread_id))
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is main, "the main screen")
        card = main.query_one(InterruptCard)
        await wait_for(
            pilot,
            lambda: (
                main.thread_id == thread_id
                and main.transcript.stop == "question"
                and card.display
                and card.query(InterruptItem)
            ),
            "the thread with its card",
        )
        assert main.assistant is not None and main.assistant.assistant_id == hitl_id
        assert card.query_one(InterruptItem).shape == "hitl_v1"

        run_before = main.session.run_id if main.session else None
        await pilot.click("#interrupt-send")
        await wait_for(
            pilot,
            lambda: (
                main.session is not None
                and main.session.run_id not in (None, run_before)
                and not main.running
            ),
            "the answer's run",
        )
        state = httpx.get(f"{server_url}/threads/{thread_id}/state", timeout=30).json()
        assert state["values"]["decision"] == {"decisions": [{"type": "approve"}]}

        await pilot.press("ctrl+g")
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen), "the inbox again")
        again = app.screen
        assert isinstance(again, InboxScreen)
        # shown again: the watcher polls at once and the answered thread leaves
        await wait_for(
            pilot,
            lambda: thread_id not in [i.thread_id for i in again.items],
            "the answered row to leave",
        )
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is main, "escape to close the inbox")


class CountingTransport(httpx.AsyncBaseTransport):
    """Records ``METHOD /path`` (and the search's status) of every request the app sends."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.requests: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        line = f"{request.method} {request.url.path}"
        if request.url.path == "/threads/search":
            body = json.loads(request.content or b"{}")
            line += f" status={body.get('status')}"
        self.requests.append(line)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()

    def inbox_searches(self) -> list[str]:
        return [r for r in self.requests if r.endswith("status=interrupted")]


async def test_the_watcher_posts_the_count_and_an_alert_for_a_new_question_only(
    server_url: str,
) -> None:
    chat_id, _chat = own_assistant(server_url, "chat")
    hitl_id, _hitl = own_assistant(server_url, "hitl_v1")
    old = ask(server_url, hitl_id, "already waiting")
    seen: list[Any] = []
    app = _app(server_url, chat_id)
    async with app.run_test(size=(120, 36), message_hook=seen.append) as pilot:
        await _started(pilot, chat_id)
        watch = app.inbox_watch
        counts = [m.count for m in seen if isinstance(m, WaitingCount)]
        assert counts and counts[-1] == len(watch.items) and watch.count == counts[-1]
        assert old in {item.thread_id for item in watch.items}
        assert not [m for m in seen if isinstance(m, AttentionNeeded)]  # waited at start

        new = await asyncio.to_thread(ask, server_url, hitl_id, "a new question")
        watch.wake()
        await wait_for(
            pilot,
            lambda: any(isinstance(m, AttentionNeeded) for m in seen),
            "the alert for the new question",
        )
        alerts = [m for m in seen if isinstance(m, AttentionNeeded)]
        assert [(a.kind, a.thread_id, a.title, a.detail) for a in alerts] == [
            ("interrupt", new, "a new question", EMAIL)
        ]
        counts = [m.count for m in seen if isinstance(m, WaitingCount)]
        assert counts[-1] == len(watch.items) and new in {i.thread_id for i in watch.items}
        assert all(a != b for a, b in itertools.pairwise(counts))  # only on change

        # nothing new: another poll alerts nobody and posts no count
        posted = len(seen)
        polls = watch.polls
        watch.wake()
        await wait_for(pilot, lambda: watch.polls > polls, "another poll")
        later = seen[posted:]
        assert not [m for m in later if isinstance(m, AttentionNeeded | WaitingCount)]


async def test_the_inbox_costs_one_search_per_page_and_the_screen_adds_none(
    server_url: str,
) -> None:
    chat_id, _chat = own_assistant(server_url, "chat")
    hitl_id, _hitl = own_assistant(server_url, "hitl_v1")
    mine = [await asyncio.to_thread(ask, server_url, hitl_id, f"q{i}") for i in range(3)]
    transport = CountingTransport()

    def client(profile: Profile) -> AgentClient:
        return AgentClient(profile.base_url, transport=transport)

    app = _app(server_url, chat_id, client_factory=client)
    # small pages, so that the few waiting threads of this server take several
    app.inbox_watch = InboxWatch(app, limit=100, page_size=2, min_delay=30.0, max_delay=60.0)
    async with app.run_test(size=(120, 36)) as pilot:
        app = await _started(pilot, chat_id)
        watch = app.inbox_watch
        inbox = watch.inbox
        assert inbox is not None
        assert set(mine) <= {item.thread_id for item in watch.items}
        first = transport.inbox_searches()
        # one poll: a page of 2 threads per request, at most max_pages; no thread read alone
        assert len(first) == inbox.requests <= inbox.max_pages
        assert len(first) >= -(-len(watch.items) // 2)
        assert not [r for r in transport.requests if r.startswith("GET /threads/")]

        before = inbox.requests
        polls = watch.polls
        await pilot.press("ctrl+g")
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen), "the inbox")
        await wait_for(pilot, lambda: watch.polls > polls, "the screen's wake-up poll")
        await pilot.pause(0.3)
        per_poll = inbox.requests - before
        # showing the screen is one poll of the shared inbox (no second inbox, no extra reads)
        assert 1 <= per_poll <= inbox.max_pages and watch.polls == polls + 1
        assert len(transport.inbox_searches()) == inbox.requests
        await pilot.press("escape")


async def test_an_empty_inbox_says_so_plainly_and_a_failure_keeps_the_list() -> None:
    from bbot_tui.session.inbox import InboxItem

    class Answers:
        """``/threads/search`` answers: first one waiting thread, then a 503."""

        def __init__(self) -> None:
            self.fail = False
            self.threads: list[dict[str, Any]] = []

        def __call__(self, request: httpx.Request) -> httpx.Response:
            if self.fail:
                return httpx.Response(503, json={"detail": "down for a moment"})
            return httpx.Response(200, json=self.threads)

    answers = Answers()
    http = AgentClient("http://127.0.0.1:9", transport=httpx.MockTransport(answers))

    from textual.app import App

    class Host(App[None]):
        def on_mount(self) -> None:
            self.inbox_watch = InboxWatch(self, min_delay=600, max_delay=600)
            self.inbox_watch.start(http)

    host = Host()
    async with host.run_test(size=(100, 20)) as pilot:
        watch = host.inbox_watch
        await wait_for(pilot, lambda: watch.polls == 1, "the first poll")
        screen = InboxScreen(watch)
        host.push_screen(screen)
        await wait_for(pilot, lambda: watch.polls == 2, "the wake-up poll")
        await pilot.pause()
        assert screen.empty and EMPTY_TEXT in str(screen.query_one("#inbox-empty").render())
        assert screen.query_one("#inbox-empty").display and not screen.table.display

        answers.threads = [
            {
                "thread_id": "t1",
                "status": "interrupted",
                "metadata": {"graph_id": "g", "title": "please approve"},
                "updated_at": "2026-01-01T00:00:00+00:00",
                "interrupts": {"task": [{"id": "i1", "value": "ok?"}]},
            }
        ]
        screen.action_refresh()
        await wait_for(pilot, lambda: len(screen.items) == 1, "the row")
        assert not screen.empty and screen.table.display
        assert isinstance(screen.items[0], InboxItem) and screen.items[0].asks == ("ok?",)

        answers.fail = True
        screen.action_refresh()
        await wait_for(pilot, lambda: screen.failed, "the failure")
        status = str(screen.query_one("#inbox-status").render())
        assert "could not refresh" in status and "down for a moment" in status
        assert [i.thread_id for i in screen.items] == ["t1"]  # the list stays
        await pilot.press("escape")
    await http.aclose()


def test_the_columns_fit_the_width_and_keep_their_minimums() -> None:
    from bbot_tui.tui.screens.inbox import column_widths

    for width in (80, 120, 200):
        widths = column_widths(width)
        assert sum(widths.values()) + 4 * 2 + 2 == width  # padding and a scroll bar
        assert widths["asks"] > widths["thread"]
    narrow = column_widths(30)
    assert narrow["thread"] >= 12 and narrow["asks"] >= 20


async def test_the_watcher_restarts_with_the_profile_and_stops_on_exit(server_url: str) -> None:
    chat_id, _chat = own_assistant(server_url, "chat")
    hitl_id, _hitl = own_assistant(server_url, "hitl_v1")
    ask(server_url, hitl_id, "waiting before the switch")
    profiles = {
        name: Profile(name=name, base_url=server_url, last_assistant_id=chat_id)
        for name in ("local", "other")
    }
    settings = Settings(profiles=profiles, active_profile="local")
    seen: list[Any] = []
    app = make_app(settings, persist=False)
    async with app.run_test(size=(120, 36), message_hook=seen.append) as pilot:
        await _started(pilot, chat_id)
        watch = app.inbox_watch
        first = watch.inbox
        assert first is not None and first.client is app.client
        counted = len([m for m in seen if isinstance(m, WaitingCount)])

        await app.activate_profile("other")
        assert watch.inbox is not None and watch.inbox is not first  # a new inbox, new client
        assert watch.inbox.client is app.client and watch.count is None
        await wait_for(pilot, lambda: watch.polls > 0, "the new profile's first poll")
        counts = [m for m in seen if isinstance(m, WaitingCount)]
        assert len(counts) == counted + 1  # told again, for the new server
        assert not [m for m in seen if isinstance(m, AttentionNeeded)]  # all waited already
    assert watch.inbox is None and not watch.polling
