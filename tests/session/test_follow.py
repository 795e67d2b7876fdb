"""``ThreadFollower``: runs that other clients start on a thread, followed live.

Against the real local server, each run is started with a plain HTTP request (another client)
while the follower watches: its start (id, assistant), its events through the same reducer as
the client's own runs, its end reconciled with the thread state (answer, question, cancel,
failure). A follower never cancels a run; a dropped thread stream is reopened with
``Last-Event-ID`` through the fault proxy; a server without the thread stream (the hostile
loopback server) is polled with a back-off.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx
import pytest
from faultproxy import FaultProxy
from hostile import THREAD, HostileServer, json_response, run_json, state_json

from bbot_tui.api import errors
from bbot_tui.api.client import AgentClient
from bbot_tui.session.follow import (
    FollowNotice,
    FollowUpdate,
    RunEnded,
    RunEvents,
    RunStarted,
    ThreadFollower,
)

U = TypeVar("U")

MESSAGE_MODES = ["messages-tuple", "updates"]
ECHO = "You said: {}. Here is a streamed answer."
"""The ``chat`` node's answer (tests/graphs/basic.py)."""


class Collector:
    """Runs ``follower.updates()`` in a task and waits for the updates a test expects."""

    def __init__(self, follower: ThreadFollower) -> None:
        self.follower = follower
        self.updates: list[FollowUpdate] = []
        self._changed = asyncio.Event()
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        async for update in self.follower.updates():
            self.updates.append(update)
            self._changed.set()

    def of(self, kind: type[U]) -> list[U]:
        """The updates of one type, in order."""
        return [u for u in self.updates if isinstance(u, kind)]

    async def wait(self, kind: type[U], test: Callable[[U], bool] = bool, n: int = 1) -> U:
        """The ``n``-th update of ``kind`` that passes ``test`` (30 s at most)."""
        deadline = time.monotonic() + 30
        while True:
            self._changed.clear()
            found = [u for u in self.of(kind) if test(u)]
            if len(found) >= n:
                return found[n - 1]
            if self.task.done():
                self.task.result()
                raise AssertionError(f"the follow ended: {self.brief()}")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no {kind.__name__} ({n}) in {self.brief()}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)

    def brief(self) -> list[str]:
        """The updates in a word each (assertion messages)."""
        out = []
        for u in self.updates:
            if isinstance(u, RunEvents):
                out.append("events:" + ",".join(e.mode for e in u.events))
            elif isinstance(u, RunEnded):
                out.append(f"ended:{u.outcome.status}")
            elif isinstance(u, RunStarted):
                out.append(f"started:{u.run_id}")
            else:
                out.append(f"notice:{u.text}")
        return out

    async def stop(self) -> None:
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task


@contextlib.asynccontextmanager
async def following(client: AgentClient, thread_id: str, **kwargs: Any) -> AsyncIterator[Collector]:
    """A started follow of ``thread_id`` (its stream open), stopped afterwards."""
    collector = Collector(ThreadFollower(client, thread_id, **kwargs))
    try:
        await collector.wait(FollowNotice, lambda n: n.phase in ("following", "polling"))
        yield collector
    finally:
        await collector.stop()


def _texts(messages: list[dict[str, Any]]) -> list[tuple[str | None, str]]:
    return [(m.get("id"), str(m.get("content"))) for m in messages]


async def _start_run(http: httpx.AsyncClient, thread_id: str, body: dict[str, Any]) -> str:
    response = await http.post(f"/threads/{thread_id}/runs", json=body)
    response.raise_for_status()
    return str(response.json()["run_id"])


async def _state(http: httpx.AsyncClient, thread_id: str) -> dict[str, Any]:
    response = await http.get(f"/threads/{thread_id}/state")
    response.raise_for_status()
    return response.json()  # type: ignore[no-any-return]


def _user(text: str) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": text}]}


@pytest.fixture
async def http(server_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """Another client: plain HTTP requests to the real server."""
    async with httpx.AsyncClient(base_url=server_url, timeout=30) as client:
        yield client


async def _new_thread(http: httpx.AsyncClient) -> str:
    response = await http.post("/threads", json={})
    response.raise_for_status()
    return str(response.json()["thread_id"])


async def test_runs_started_elsewhere_are_followed_and_reconciled(
    server_url: str, http: httpx.AsyncClient, assistant_ids: dict[str, str]
) -> None:
    thread_id = await _new_thread(http)
    async with AgentClient(server_url) as client, following(client, thread_id) as follow:
        # an answer: started, streamed through the reducer, reconciled with the state
        body = {"assistant_id": "chat", "input": _user("hi"), "stream_mode": MESSAGE_MODES}
        run_id = await _start_run(http, thread_id, body)
        ended = await follow.wait(RunEnded)
        started = follow.of(RunStarted)[0]
        assert (started.run_id, started.assistant_id, started.late) == (
            run_id,
            assistant_ids["chat"],
            False,
        )
        modes = {e.mode for u in follow.of(RunEvents) for e in u.events}
        assert {"metadata", "messages", "updates"} <= modes
        assert "run_done" not in str([e.data for u in follow.of(RunEvents) for e in u.events])
        assert (ended.outcome.status, ended.run_status, ended.run_id) == (
            "success",
            "success",
            run_id,
        )
        state = await _state(http, thread_id)
        transcript = follow.follower.transcript
        assert [(m.id, m.text) for m in transcript.messages] == _texts(state["values"]["messages"])
        assert not any(m.streaming for m in transcript.messages)

        # a question: the run ends interrupted with the state's pending interrupt
        run_id = await _start_run(
            http, thread_id, {"assistant_id": "approval", "input": _user("draft it")}
        )
        asked = await follow.wait(RunEnded, n=2)
        state = await _state(http, thread_id)
        assert asked.outcome.status == "interrupted" and asked.run_id == run_id
        assert [p.id for p in asked.outcome.interrupts] == [i["id"] for i in state["interrupts"]]
        assert transcript.stop == "question"
        # answered by someone else: the next run ends the question
        await _start_run(http, thread_id, {"assistant_id": "approval", "command": {"resume": "ok"}})
        answered = await follow.wait(RunEnded, n=3)
        assert answered.outcome.status == "success" and answered.outcome.interrupts == []
        assert transcript.messages[-1].text == "you said ok"

        # cancelled elsewhere: the follower reports it, it does not cancel anything itself
        slow = {"tokens": 200, "delay": 0.02}
        body = {"assistant_id": "slow", "input": _user("x"), "context": slow}
        body["stream_mode"] = MESSAGE_MODES
        run_id = await _start_run(http, thread_id, body)
        await follow.wait(
            RunEvents,
            lambda u: u.run_id == run_id and any(e.mode == "messages" for e in u.events),
            n=3,
        )
        cancel = await http.post(f"/threads/{thread_id}/runs/{run_id}/cancel?wait=1")
        assert cancel.status_code < 300
        cancelled = await follow.wait(RunEnded, n=4)
        assert (cancelled.outcome.status, cancelled.run_status) == ("cancelled", "interrupted")
        # as for the client's own runs: the answer the cancel cut stays, flagged unsaved
        cut = transcript.messages[-1]
        assert cut.unsaved and cut.text.startswith("tok0 tok1 tok2")
        assert transcript.stop == "cancelled"

        # a failure
        await _start_run(http, thread_id, {"assistant_id": "fail", "input": _user("boom")})
        failed = await follow.wait(RunEnded, n=5)
        assert failed.outcome.status == "error" and "kaboom" in (failed.outcome.error or "")
        assert [s.run_id for s in follow.of(RunStarted)] == [e.run_id for e in follow.of(RunEnded)]
        assert follow.follower.mode == "stream" and follow.follower.stats.connections == 1


async def test_a_run_going_when_the_follow_starts_is_joined_late_and_never_cancelled(
    server_url: str, http: httpx.AsyncClient
) -> None:
    thread_id = await _new_thread(http)
    body = {
        "assistant_id": "slow",
        "input": _user("x"),
        "context": {"tokens": 60, "delay": 0.03},
        "stream_mode": MESSAGE_MODES,
    }
    run_id = await _start_run(http, thread_id, body)
    while (await http.get(f"/threads/{thread_id}/runs/{run_id}")).json()["status"] != "running":
        await asyncio.sleep(0.02)
    async with AgentClient(server_url) as client:
        follow = Collector(ThreadFollower(client, thread_id))
        started = await follow.wait(RunStarted)
        assert started.run_id == run_id and started.late
        await follow.wait(RunEvents)
        await follow.stop()  # the follower goes away mid-run: the run is left going
    run = (await http.get(f"/threads/{thread_id}/runs/{run_id}/join")).json()
    assert run["messages"][-1]["content"] == " ".join(f"tok{i}" for i in range(60))
    status = (await http.get(f"/threads/{thread_id}/runs/{run_id}")).json()["status"]
    assert status == "success"


async def test_skipped_runs_are_neither_reported_nor_applied(
    server_url: str, http: httpx.AsyncClient
) -> None:
    """The TUI skips its own runs (its RunSession shows them): only the others are reported."""
    thread_id = await _new_thread(http)
    own = {"assistant_id": "chat", "input": _user("mine"), "metadata": {"by": "me"}}
    other = {"assistant_id": "chat", "input": _user("theirs"), "stream_mode": MESSAGE_MODES}
    async with (
        AgentClient(server_url) as client,
        following(
            client, thread_id, skip=lambda run: (run.metadata or {}).get("by") == "me"
        ) as follow,
    ):
        await _start_run(http, thread_id, {**own, "stream_mode": MESSAGE_MODES})
        run_id = await _start_run(http, thread_id, other)
        ended = await follow.wait(RunEnded)
        assert [s.run_id for s in follow.of(RunStarted)] == [run_id] == [ended.run_id]
        assert {u.run_id for u in follow.of(RunEvents)} == {run_id}
        texts = [m.text for m in follow.follower.transcript.messages]
        assert texts == ["mine", ECHO.format("mine"), "theirs", ECHO.format("theirs")]


async def test_a_missing_thread_is_not_found(server_url: str) -> None:
    async with AgentClient(server_url) as client:
        follower = ThreadFollower(client, "00000000-0000-4000-8000-000000000000")
        with pytest.raises(errors.NotFound):
            async for _update in follower.updates():
                pass


@pytest.mark.parametrize("resumable", [True, False], ids=["resumable", "plain"])
async def test_a_dropped_thread_stream_is_healed(
    server_url: str, http: httpx.AsyncClient, resumable: bool
) -> None:
    thread_id = await _new_thread(http)
    port = urlsplit(server_url).port
    assert port is not None
    proxy = FaultProxy(
        "127.0.0.1",
        port,
        modes=("cut", "rst"),
        cut_after=(1500, 4000),
        arm_on="text/event-stream",
        max_faults=2,
        seed=f"follow-{resumable}",
    )
    await proxy.start()
    try:
        async with (
            AgentClient(proxy.url) as client,
            following(client, thread_id, reconnect_max=0.3) as follow,
        ):
            body = {
                "assistant_id": "slow",
                "input": _user("go"),
                "context": {"tokens": 80, "delay": 0.02},
                "stream_mode": MESSAGE_MODES,
                "stream_resumable": resumable,
            }
            run_id = await _start_run(http, thread_id, body)
            ended = await follow.wait(RunEnded)
            follower = follow.follower
            assert ended.run_id == run_id and ended.outcome.status == "success"
            assert proxy.faults_fired >= 1 and follower.stats.reconnects >= 1
            assert follow.of(FollowNotice)[-1].text == "reconnected to the thread stream"
            state = await _state(http, thread_id)
            assert [(m.id, m.text) for m in follower.transcript.messages] == _texts(
                state["values"]["messages"]
            )
            # no token was applied twice (a replay's duplicates are dropped)
            tokens = [
                e.data[0]["content"].strip()
                for u in follow.of(RunEvents)
                for e in u.events
                if e.mode == "messages"
            ]
            assert len(tokens) == len(set(tokens))
            if resumable:  # the replay brings what the drop lost (the seam may lose one)
                assert len(tokens) >= 78
            # the next run is followed on the healed connection
            body["context"] = {"tokens": 3, "delay": 0.0}
            await _start_run(http, thread_id, body)
            assert (await follow.wait(RunEnded, n=2)).outcome.status == "success"
    finally:
        await proxy.stop()


async def test_without_a_thread_stream_the_runs_are_polled_with_back_off() -> None:
    """The hostile server has no ``/threads/{id}/stream`` (404) nor run stream: polling."""
    run = "33333333-3333-4333-8333-333333333333"
    answer = {"type": "ai", "id": "ai-1", "content": "done elsewhere"}
    question = {"type": "human", "id": "h-1", "content": "hi"}
    listed = {"calls": 0, "since": 0.0}

    def status_now() -> str:
        """The run goes for half a second after it was first listed, then succeeds."""
        return "running" if time.monotonic() - listed["since"] < 0.5 else "success"

    def runs(_request: Any) -> list[Any]:
        listed["calls"] += 1
        if listed["calls"] == 1:
            return [json_response(200, [])]  # when the follow begins: no run yet
        if listed["calls"] == 2:
            listed["since"] = time.monotonic()
        return [json_response(200, [{**run_json(status_now(), run=run), "assistant_id": "a-1"}])]

    def run_status(_request: Any) -> list[Any]:
        return [json_response(200, run_json(status_now(), run=run))]

    def state(_request: Any) -> list[Any]:
        done = listed["calls"] >= 2 and status_now() == "success"
        return [json_response(200, state_json([question, answer] if done else [question]))]

    server = HostileServer(max_seconds=60)
    server.route("GET", rf"/threads/{THREAD}", [json_response(200, {"thread_id": THREAD})])
    server.route("GET", rf"/threads/{THREAD}/runs", runs)
    server.route("GET", rf"/threads/{THREAD}/runs/{run}", run_status)
    server.route("GET", rf"/threads/{THREAD}/state", state)
    await server.start()
    try:
        async with AgentClient(server.url) as client:
            follow = Collector(ThreadFollower(client, THREAD, poll_min=0.05, poll_max=0.4))
            try:
                notice = await follow.wait(FollowNotice, lambda n: n.phase == "polling")
                assert "no thread stream" in notice.text
                started = await follow.wait(RunStarted)
                assert (started.run_id, started.assistant_id, started.late) == (run, "a-1", True)
                ended = await follow.wait(RunEnded)
                assert (ended.outcome.status, ended.run_status) == ("success", "success")
                texts = [m.text for m in follow.follower.transcript.messages]
                assert texts == ["hi", "done elsewhere"]
                # nothing changes any more: the polls back off to poll_max
                polls = follow.follower.stats.polls
                await asyncio.sleep(1.5)
                idle_polls = follow.follower.stats.polls - polls
                assert 2 <= idle_polls <= 7, idle_polls
                assert follow.follower.next_delay == 0.4
                assert follow.follower.mode == "poll"
            finally:
                await follow.stop()
        assert server.hits("GET", rf"/threads/{THREAD}/stream")  # tried once, then polled
        assert len(server.hits("GET", rf"/threads/{THREAD}/stream")) == 1
        assert not [r for r in server.requests if r.method != "GET"]  # never cancels
    finally:
        await server.stop()
