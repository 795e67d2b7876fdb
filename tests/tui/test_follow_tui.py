"""Live follow in the real app against the real local server.

Runs are started elsewhere with plain HTTP requests (httpx against the fixture server, not the
app's client) while the app has the thread open: they show live ("run started by another
client", streamed text) and end reconciled with the thread's state; a question from such a run
opens the interrupt card and is answered (with that run's assistant); the app's own runs never
show twice; switching threads stops the old follow; a thread followed in the background (``f``)
posts ``AttentionNeeded`` when its runs stop on a question or end.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from textual.widgets import Input

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ui"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))

from app_pilot import (
    own_assistant,
    pick,
    send,
    settings_for,
    settle,
    thread_rows,
    view_text,
    wait_for,
)
from faultproxy import FaultProxy
from textual.pilot import Pilot

from bbot_tui.stream.transcript import NOTE
from bbot_tui.tui.app import BbotApp, make_app
from bbot_tui.tui.messages import AttentionNeeded
from bbot_tui.tui.screens.main import MainScreen
from bbot_tui.tui.screens.thread_follow import FOREIGN_NOTE
from bbot_tui.tui.widgets.interrupt_card import InterruptCard
from bbot_tui.tui.widgets.interrupt_item import InterruptItem

MODES = ["messages-tuple", "updates"]


def _app(url: str, seen: list[Any]) -> tuple[BbotApp, dict[str, Any]]:
    app = make_app(settings_for(url))
    return app, {"message_hook": seen.append, "size": (140, 48)}


def _state(url: str, thread_id: str) -> dict[str, Any]:
    response = httpx.get(f"{url}/threads/{thread_id}/state", timeout=30)
    response.raise_for_status()
    return response.json()  # type: ignore[no-any-return]


def _start_elsewhere(url: str, thread_id: str, body: dict[str, Any]) -> str:
    """Start a run as another client would: a plain POST, not through the app's client."""
    response = httpx.post(f"{url}/threads/{thread_id}/runs", json=body, timeout=30)
    response.raise_for_status()
    return str(response.json()["run_id"])


def _new_thread(url: str, assistant_id: str) -> str:
    response = httpx.post(
        f"{url}/threads", json={"metadata": {"assistant_id": assistant_id}}, timeout=30
    )
    response.raise_for_status()
    return str(response.json()["thread_id"])


def _user(text: str) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": text}]}


def _stored(screen: MainScreen) -> list[tuple[str | None, str]]:
    """The transcript's messages without the client's own notes."""
    return [(m.id, m.text) for m in screen.transcript.messages if m.role != NOTE]


def _notes(screen: MainScreen, text: str = FOREIGN_NOTE) -> list[str]:
    return [m.text for m in screen.transcript.messages if m.role == NOTE and text in m.text]


async def _following(pilot: Pilot[Any], screen: MainScreen, thread_id: str) -> None:
    """Wait until the open thread's follow has its stream open."""

    def ready() -> bool:
        follow = screen.follows.open_follow
        return (
            follow is not None
            and follow.thread_id == thread_id
            and follow.active
            and follow.phase == "following"
        )

    await wait_for(pilot, ready, f"the follow of {thread_id}")


def _attention(seen: list[Any], kind: str, thread_id: str) -> list[AttentionNeeded]:
    return [
        m
        for m in seen
        if isinstance(m, AttentionNeeded) and m.kind == kind and m.thread_id == thread_id
    ]


async def test_a_run_started_elsewhere_shows_live_and_ends_reconciled(server_url: str) -> None:
    seen: list[Any] = []
    app, options = _app(server_url, seen)
    async with app.run_test(**options) as pilot:
        screen = await pick(pilot, "slow", own_assistant(server_url, "slow"))
        assistant = screen.assistant
        assert assistant is not None
        screen.runs.store_options(
            screen.runs.options().model_copy(update={"context": '{"tokens": 5}'})
        )
        # an own run first: it makes the thread; the follow starts once the thread exists
        await send(pilot, "mine")
        await wait_for(pilot, lambda: screen.thread_id is not None, "the thread")
        thread_id = screen.thread_id
        assert thread_id is not None
        await settle(pilot, screen)
        await _following(pilot, screen, thread_id)
        assert _notes(screen) == []  # the own run is not shown a second time
        mine = _stored(screen)
        assert mine == [
            (m["id"], m["content"]) for m in _state(server_url, thread_id)["values"]["messages"]
        ]

        # another client starts a slow run: it shows while it streams
        body = {
            "assistant_id": assistant.assistant_id,
            "input": _user("from elsewhere"),
            "stream_mode": MODES,
            "context": {"tokens": 60, "delay": 0.05},
        }
        run_id = _start_elsewhere(server_url, thread_id, body)
        await wait_for(pilot, lambda: screen.follows.live, "the run started elsewhere")
        assert _notes(screen) == [f"{FOREIGN_NOTE} · assistant {assistant.label}"]
        assert screen.status_bar.status == "streaming" and not screen.running
        await wait_for(
            pilot,
            lambda: screen.follows.live and "tok3" in view_text(screen),
            "tokens on screen while the run streams",
        )
        # the composer does not send while it streams (the server would refuse a second run)
        await send(pilot, "too early")
        await pilot.pause()
        assert "too early" not in [m.text for m in screen.transcript.messages]

        # its end: reconciled with the state, exactly as an own run
        await wait_for(pilot, lambda: not screen.follows.live, "the end of the run")
        state = _state(server_url, thread_id)
        assert _stored(screen) == [(m["id"], m["content"]) for m in state["values"]["messages"]]
        assert not any(m.streaming for m in screen.transcript.messages)
        assert screen.status_bar.status == "done"
        ended = _attention(seen, "run_ended", thread_id)
        assert len(ended) == 1 and ended[0].duration is not None and ended[0].duration > 0
        run = httpx.get(f"{server_url}/threads/{thread_id}/runs/{run_id}", timeout=30).json()
        assert run["status"] == "success"  # never cancelled by the follower

        # an own run again: shown once, by the run controller only
        before = len(_notes(screen))
        await send(pilot, "mine again")
        await wait_for(
            pilot,
            lambda: not screen.running and screen.transcript.messages[-1].text.startswith("tok"),
            "the own run",
        )
        await settle(pilot, screen)
        await pilot.pause(0.5)  # the thread stream carried that run too: it must stay unshown
        assert len(_notes(screen)) == before
        state = _state(server_url, thread_id)
        assert _stored(screen) == [(m["id"], m["content"]) for m in state["values"]["messages"]]
        assert [m.text for m in screen.transcript.messages].count("mine again") == 1


async def test_a_question_from_elsewhere_opens_the_card_and_is_answered(
    server_url: str, assistant_ids: dict[str, str]
) -> None:
    seen: list[Any] = []
    app, options = _app(server_url, seen)
    async with app.run_test(**options) as pilot:
        # the selected assistant is a chat one; the run elsewhere is the approval graph's
        screen = await pick(pilot, "chat", own_assistant(server_url, "chat"))
        assert screen.assistant is not None
        thread_id = _new_thread(server_url, screen.assistant.assistant_id)
        screen.open_thread(thread_id)
        await _following(pilot, screen, thread_id)

        _start_elsewhere(
            server_url,
            thread_id,
            {"assistant_id": assistant_ids["approval"], "input": _user("draft it")},
        )
        card = screen.query_one(InterruptCard)
        await wait_for(pilot, lambda: card.display and card.query(InterruptItem), "the card")
        await wait_for(pilot, lambda: not screen.follows.live, "the end of the asking run")
        assert screen.transcript.stop == "question" and screen.composer.mode == "answer"
        asked = _attention(seen, "interrupt", thread_id)  # the inbox watcher may post too
        assert asked and all("approve?" in m.detail for m in asked)
        assert screen.follows.answer_assistant() == assistant_ids["approval"]

        app.query_one("#q0-answer", Input).focus()
        await pilot.press(*"ship it")
        await pilot.press("enter")
        await wait_for(
            pilot,
            lambda: _state(server_url, thread_id)["next"] == [] and not screen.running,
            "the answer's run",
        )
        await settle(pilot, screen)
        state = _state(server_url, thread_id)
        assert state["values"]["messages"][-1]["content"] == "you said ship it"
        assert screen.transcript.messages[-1].text == "you said ship it"
        assert not card.display
        # the answer was this client's own run, with the asking run's assistant
        runs = httpx.get(f"{server_url}/threads/{thread_id}/runs", timeout=30).json()
        assert {r["assistant_id"] for r in runs} == {assistant_ids["approval"]}
        assert len(_notes(screen)) == 1  # the question's run only, not the answer's


async def test_switching_threads_stops_the_old_follow(server_url: str) -> None:
    seen: list[Any] = []
    app, options = _app(server_url, seen)
    async with app.run_test(**options) as pilot:
        screen = await pick(pilot, "chat", own_assistant(server_url, "chat"))
        assert screen.assistant is not None
        first = _new_thread(server_url, screen.assistant.assistant_id)
        second = _new_thread(server_url, screen.assistant.assistant_id)
        screen.open_thread(first)
        await _following(pilot, screen, first)
        old = screen.follows.open_follow
        assert old is not None and old.task is not None

        screen.open_thread(second)
        await _following(pilot, screen, second)
        await wait_for(pilot, lambda: old.task.done(), "the old follow's end")  # type: ignore[union-attr]
        assert old.task.cancelled() and old.phase == "stopped"
        assert [f.thread_id for f in screen.follows.follows()] == [second]
        follows = [t for t in asyncio.all_tasks() if t.get_name().startswith("follow ")]
        assert [t.get_name() for t in follows if not t.done()] == [f"follow {second}"]

        # a run on the old thread is not shown in the new one
        _start_elsewhere(
            server_url,
            first,
            {"assistant_id": screen.assistant.assistant_id, "input": _user("elsewhere")},
        )
        await pilot.pause(1.0)
        assert _notes(screen) == [] and not screen.follows.live

        # a new conversation follows nothing
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: not screen.follows.follows(), "no follow")


async def test_followed_threads_announce_questions_and_ends(
    server_url: str, assistant_ids: dict[str, str]
) -> None:
    seen: list[Any] = []
    app, options = _app(server_url, seen)
    async with app.run_test(**options) as pilot:
        screen = await pick(pilot, "chat", own_assistant(server_url, "chat"))
        assistant = screen.assistant
        assert assistant is not None
        watched = _new_thread(server_url, assistant.assistant_id)
        # the server lists a thread under an assistant once the assistant ran on it
        waited = httpx.post(
            f"{server_url}/threads/{watched}/runs/wait",
            json={"assistant_id": assistant.assistant_id, "input": _user("watched")},
            timeout=60,
        )
        waited.raise_for_status()
        screen.load_threads()
        pane = screen.thread_pane
        await wait_for(pilot, lambda: pane.get(watched) is not None, "the thread in the list")

        # f on the row: followed in the background, marked, remembered in the profile
        screen.query_one("#thread-list").focus()
        await pilot.pause()
        await pilot.press("f")
        await wait_for(pilot, lambda: watched in screen.follows.background, "the follow")
        assert any("◉ followed" in row for row in thread_rows(screen))
        profile = app.settings.active() if app.settings is not None else None
        assert profile is not None and profile.followed_threads == [watched]
        follow = screen.follows.background[watched]
        await wait_for(pilot, lambda: follow.phase == "following", "its stream")

        # a run elsewhere stops on a question: "interrupt", with what is asked
        _start_elsewhere(
            server_url,
            watched,
            {"assistant_id": assistant_ids["approval"], "input": _user("draft it")},
        )
        await wait_for(pilot, lambda: _attention(seen, "interrupt", watched), "the question")
        asked = _attention(seen, "interrupt", watched)[0]
        assert "approve?" in asked.detail and asked.title
        # answered elsewhere: the run ends, "run_ended" with its length
        _start_elsewhere(
            server_url,
            watched,
            {"assistant_id": assistant_ids["approval"], "command": {"resume": "ok"}},
        )
        await wait_for(pilot, lambda: _attention(seen, "run_ended", watched), "the end")
        ended = _attention(seen, "run_ended", watched)[0]
        assert ended.duration is not None and ended.duration >= 0
        # in the background only the runs' starts and ends are read (no tokens)
        follower = follow.follower
        assert follower is not None and follower.stream_mode == "lifecycle"
        assert follower.stats.events <= 2 and follower.stats.runs == 2
        assert screen.transcript.messages == []  # the open conversation is untouched

        # opened, the thread is followed once (in the foreground), not twice
        screen.open_thread(watched)
        await _following(pilot, screen, watched)
        await wait_for(pilot, lambda: follow.task.done(), "the background follow's end")  # type: ignore[union-attr]
        assert [f.thread_id for f in screen.follows.follows()] == [watched]
        # f again: no longer followed (the open thread still is, live)
        screen.query_one("#thread-list").focus()
        await pilot.pause()
        await pilot.press("f")
        await wait_for(pilot, lambda: not screen.follows.followed, "unfollowed")
        assert profile.followed_threads == []
        assert not any("◉ followed" in row for row in thread_rows(screen))


async def test_a_dropped_follow_is_healed_and_said_in_the_status_bar(server_url: str) -> None:
    port = urlsplit(server_url).port
    assert port is not None
    proxy = FaultProxy(
        "127.0.0.1",
        port,
        modes=("cut",),
        cut_after=(1500, 4000),
        arm_on="text/event-stream",
        max_faults=1,
        seed="tui-follow",
    )
    await proxy.start()
    seen: list[Any] = []
    try:
        app, options = _app(proxy.url, seen)
        async with app.run_test(**options) as pilot:
            screen = await pick(pilot, "slow", own_assistant(server_url, "slow"))
            assert screen.assistant is not None
            notices: list[str] = []
            screen.watch(screen.status_bar, "notice", lambda text: notices.append(text), init=False)
            thread_id = _new_thread(server_url, screen.assistant.assistant_id)
            screen.open_thread(thread_id)
            await _following(pilot, screen, thread_id)
            follow = screen.follows.open_follow
            assert follow is not None and follow.follower is not None

            body = {
                "assistant_id": screen.assistant.assistant_id,
                "input": _user("go"),
                "context": {"tokens": 80, "delay": 0.02},
                "stream_mode": MODES,
                "stream_resumable": True,
            }
            _start_elsewhere(server_url, thread_id, body)  # not through the proxy
            await wait_for(pilot, lambda: follow.runs_seen == 1, "the run")
            await wait_for(pilot, lambda: follow.runs_seen == 1 and not follow.live_run, "its end")
            assert proxy.faults_fired == 1 and follow.follower.stats.reconnects >= 1
            assert any(n.startswith("following: ") and "reconnecting" in n for n in notices)
            assert screen.status_bar.notice == "" and screen.status_bar.status == "done"
            state = _state(server_url, thread_id)
            assert _stored(screen) == [(m["id"], m["content"]) for m in state["values"]["messages"]]
    finally:
        await proxy.stop()
