"""The run session's collaborators on their own, against a scripted fake client.

:class:`~bbot_tui.session.run.RunSession` owns a stream reader, a run finder, a rejoiner per
run's tail and a reconciler; the golden, CLI and reliability tests drive them together against
the real server and hostile ones. Here each is driven through its public surface, with a fake
client whose answers are scripted, so every branch is reached on purpose and fast.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from bbot_tui.api import errors
from bbot_tui.api.events import StreamEvent
from bbot_tui.api.models import Run, RunCreate, ThreadState
from bbot_tui.session.core import RunOutcome, SessionUpdate
from bbot_tui.session.finder import RunFinder
from bbot_tui.session.reader import StreamReader, is_phantom
from bbot_tui.session.reconciler import Reconciler, at_rest, end_notice
from bbot_tui.session.rejoiner import Rejoiner
from bbot_tui.session.starter import FLAG, ThreadStarter, refuses_flag
from bbot_tui.stream.reducer import Reducer
from bbot_tui.stream.rejoin import Deduplicator

THREAD, RUN = "t-1", "r-1"


def _custom(i: int, event_id: str | None = None) -> StreamEvent:
    return StreamEvent.from_sse("custom", json.dumps({"i": i}), event_id or f"{1000 + i}-0", 0.0)


def _run(status: str, **extra: Any) -> Run:
    return Run.model_validate({"run_id": RUN, "thread_id": THREAD, "status": status, **extra})


def _state(messages: list[dict[str, Any]], **extra: Any) -> ThreadState:
    return ThreadState.model_validate({"values": {"messages": messages}, **extra})


@dataclass
class FakeResponse:
    """An open stream: its batches, then (optionally) a failure or silence."""

    batches_: list[list[StreamEvent]]
    run_id: str | None = RUN
    thread_id: str | None = THREAD
    error: errors.ApiError | None = None
    hang: bool = False

    async def batches(self) -> AsyncIterator[list[StreamEvent]]:
        for batch in self.batches_:
            yield batch
        if self.error is not None:
            raise self.error
        if self.hang:
            await asyncio.sleep(3600)


def _ctx(response: FakeResponse) -> contextlib.AbstractAsyncContextManager[FakeResponse]:
    @contextlib.asynccontextmanager
    async def opened() -> AsyncIterator[FakeResponse]:
        yield response

    return opened()


@dataclass
class FakeClient:
    """Scripted answers: each call takes the next one (the last one repeats)."""

    run_lists: list[Any] = field(default_factory=list)
    statuses: list[Any] = field(default_factory=list)
    joins: list[FakeResponse] = field(default_factory=list)
    states: list[Any] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)

    @property
    def runs(self) -> FakeClient:
        """``client.runs``: the same fake (its method names do not clash)."""
        return self

    @property
    def threads(self) -> FakeClient:
        """``client.threads``: the same fake."""
        return self

    @staticmethod
    def _next(script: list[Any]) -> Any:
        answer = script.pop(0) if len(script) > 1 else script[0]
        if isinstance(answer, BaseException):
            raise answer
        return answer

    async def list(self, thread_id: str, *, limit: int = 10) -> list[Run]:
        self.calls.append("list")
        return list(self._next(self.run_lists))

    async def get(self, thread_id: str, run_id: str) -> Run:
        self.calls.append("get")
        return _run(self._next(self.statuses))

    def join_stream(
        self, thread_id: str, run_id: str, *, last_event_id: str | None = None
    ) -> contextlib.AbstractAsyncContextManager[FakeResponse]:
        self.calls.append(f"join {last_event_id}")
        return _ctx(self._next(self.joins))

    async def get_state(self, thread_id: str, *, subgraphs: bool = False) -> ThreadState:
        self.calls.append("get_state")
        return self._next(self.states)  # type: ignore[no-any-return]


async def _collect(updates: AsyncIterator[SessionUpdate]) -> list[SessionUpdate]:
    return [update async for update in updates]


# --- RunFinder ---------------------------------------------------------------------------


async def test_the_finder_finds_the_run_by_request_id() -> None:
    mine = _run("running", metadata={"client_request_id": "req-1"})
    other = Run.model_validate({"run_id": "r-0", "status": "success", "metadata": {}})
    client = FakeClient(run_lists=[errors.TransportError("reset"), [other], [other, mine]])
    finder = RunFinder(client, delays=(0.0, 0.0, 0.0))  # type: ignore[arg-type]
    found = await finder.find(THREAD, {"client_request_id": "req-1"})
    assert found is not None and found.run_id == RUN
    assert client.calls == ["list"] * 3


async def test_the_finder_gives_up_quietly() -> None:
    client = FakeClient(run_lists=[[]])
    finder = RunFinder(client, delays=(0.0, 0.0))  # type: ignore[arg-type]
    assert await finder.find(THREAD, {"client_request_id": "req-1"}) is None
    assert await finder.find(THREAD, {}) is None  # no request id: nothing to look for
    assert client.calls == ["list"] * 2


# --- StreamReader ---------------------------------------------------------------------------


async def _no_poll() -> tuple[str | None, str]:
    raise AssertionError("the watchdog should not fire")


async def test_the_reader_delivers_each_batch_once_without_phantoms() -> None:
    phantom = StreamEvent.from_sse("message", "", None, 0.0)
    assert is_phantom(phantom)
    response = FakeResponse([[_custom(0), phantom], [phantom], [_custom(1)]])
    opened: list[Any] = []
    got: list[list[StreamEvent]] = []
    reader = StreamReader(_no_poll, watchdog=5.0)
    updates = await _collect(
        reader.read(
            _ctx(response),  # type: ignore[arg-type]
            Deduplicator(),
            rejoin=False,
            on_events=got.append,
            on_open=opened.append,
        )
    )
    assert opened == [response]
    assert [[e.data["i"] for e in batch] for batch in got] == [[0], [1]]
    assert [u.phase for u in updates] == ["streaming"] * 3  # the open, then two batches


async def test_the_reader_drops_what_a_rejoin_replays() -> None:
    dedup = Deduplicator()
    reader = StreamReader(_no_poll, watchdog=5.0)
    first: list[StreamEvent] = []
    await _collect(
        reader.read(
            _ctx(FakeResponse([[_custom(0), _custom(1)]])),  # type: ignore[arg-type]
            dedup,
            rejoin=False,
            on_events=first.extend,
        )
    )
    dedup.new_connection(rejoin=True)
    again: list[StreamEvent] = []
    await _collect(
        reader.read(
            # the cursor steps back one millisecond: the server replays from the last event
            _ctx(FakeResponse([[_custom(1), _custom(2)]])),  # type: ignore[arg-type]
            dedup,
            rejoin=True,
            on_events=again.extend,
        )
    )
    assert [e.data["i"] for e in again] == [2] and dedup.dropped == 1


async def test_the_reader_raises_the_connection_failure() -> None:
    reader = StreamReader(_no_poll, watchdog=5.0)
    response = FakeResponse([[_custom(0)]], error=errors.TransportError("reset"))
    with pytest.raises(errors.TransportError):
        await _collect(
            reader.read(_ctx(response), Deduplicator(), rejoin=False, on_events=list)  # type: ignore[arg-type]
        )


async def test_the_watchdog_stops_reading_a_run_that_is_over() -> None:
    polls: list[int] = []

    async def poll() -> tuple[str | None, str]:
        polls.append(1)
        return ("running", "still running") if len(polls) == 1 else ("success", "over")

    reader = StreamReader(poll, watchdog=0.05)
    response = FakeResponse([[_custom(0)]], hang=True)
    updates = await _collect(
        reader.read(_ctx(response), Deduplicator(), rejoin=False, on_events=list)  # type: ignore[arg-type]
    )
    assert len(polls) == 2
    assert [(u.phase, u.notice) for u in updates if u.phase == "waiting"] == [
        ("waiting", "still running"),
        ("waiting", "over"),
    ]


async def test_a_stalled_connection_is_given_up() -> None:
    async def poll() -> tuple[str | None, str]:
        return None, "unknown"

    reader = StreamReader(poll, watchdog=0.05, stall_limit=0.12)
    response = FakeResponse([], hang=True)
    with pytest.raises(errors.RequestTimeout):
        await _collect(
            reader.read(_ctx(response), Deduplicator(), rejoin=False, on_events=list)  # type: ignore[arg-type]
        )


# --- Rejoiner -------------------------------------------------------------------------------


def _rejoiner(client: FakeClient, dedup: Deduplicator, **kwargs: Any) -> Rejoiner:
    options: dict[str, Any] = {"resumable": True, "preview": True, "budget": 5.0}
    options.update(kwargs)
    reducer = Reducer()
    return Rejoiner(
        client,  # type: ignore[arg-type]
        StreamReader(_no_poll, watchdog=5.0),
        reducer,
        thread_id=THREAD,
        run_id=RUN,
        dedup=dedup,
        outcome=RunOutcome(),
        **options,
    )


async def test_a_finished_run_is_drained_once() -> None:
    dedup = Deduplicator()
    dedup.new_connection(rejoin=False)
    dedup.filter([_custom(0)])
    client = FakeClient(statuses=["success"], joins=[FakeResponse([[_custom(0), _custom(1)]])])
    tail = _rejoiner(client, dedup)
    await _collect(tail.follow())
    assert client.calls == ["get", "join 999-0", "get"]
    assert tail.run_status == "success" and dedup.dropped == 1
    assert [data for _, data in tail._reducer.transcript.custom] == [{"i": 1}]


async def test_a_running_run_is_rejoined_until_it_ends() -> None:
    client = FakeClient(
        statuses=["running", "success"],
        joins=[FakeResponse([[_custom(0)]]), FakeResponse([])],
    )
    dedup = Deduplicator()
    dedup.new_connection(rejoin=False)
    updates = await _collect(_rejoiner(client, dedup).follow())
    assert client.calls == ["get", "join -1", "get", "join 999-0", "get"]
    assert "rejoining the stream (#1)…" in [u.notice for u in updates]


async def test_a_rolled_back_run_is_not_rejoined() -> None:
    client = FakeClient(statuses=[errors.NotFound(404, "gone")])
    tail = _rejoiner(client, Deduplicator())
    await _collect(tail.follow())
    assert client.calls == ["get"] and tail.run_status == "rolled_back"


async def test_without_a_preview_the_run_is_only_waited_for() -> None:
    client = FakeClient(statuses=["running", "success"])
    tail = _rejoiner(client, Deduplicator(), preview=False)
    updates = await _collect(tail.follow())
    assert client.calls == ["get", "get"] and tail.run_status == "success"
    assert [u.phase for u in updates] == ["waiting"]


async def test_a_stream_that_keeps_closing_gives_up_after_the_budget() -> None:
    client = FakeClient(statuses=["running"], joins=[FakeResponse([])])
    tail = _rejoiner(client, Deduplicator(), budget=0.0)
    with pytest.raises(errors.ConnectionDropped):
        await _collect(tail.follow())


# --- Reconciler ---------------------------------------------------------------------------


def _reconciler(client: FakeClient) -> tuple[Reducer, Reconciler]:
    reducer = Reducer()
    return reducer, Reconciler(client, reducer)  # type: ignore[arg-type]


async def test_reconcile_replaces_the_preview_with_the_state() -> None:
    stored = [
        {"type": "human", "id": "h1", "content": "hi"},
        {"type": "ai", "id": "a1", "content": "yes"},
    ]
    client = FakeClient(states=[_state(stored)])
    reducer, reconciler = _reconciler(client)
    reducer.transcript.add_user_message("hi", "h1")
    reducer.transcript.new_message(None, "ai").set_text("ye")  # a preview cut short
    state = await reconciler.reconcile(THREAD, run_status="success")
    assert [m.text for m in reducer.transcript.messages] == ["hi", "yes"]
    assert reconciler.last_state is state and reducer.transcript.stop is None


@pytest.mark.parametrize(
    ("state", "run_status", "cancel", "stop"),
    [
        ({"interrupts": [{"id": "i1", "value": "ok?"}]}, "success", None, "question"),
        ({"next": ["tools"]}, "success", None, "breakpoint"),
        ({"next": ["tools"]}, "success", "interrupt", "cancelled"),
        ({}, "interrupted", None, "cancelled"),
        ({}, "rolled_back", None, "cancelled"),
        ({}, "error", None, "error"),
        ({}, "success", None, None),
    ],
)
def test_classify_reads_the_stop(
    state: dict[str, Any], run_status: str, cancel: str | None, stop: str | None
) -> None:
    reducer, reconciler = _reconciler(FakeClient())
    reconciler.classify(_state([], **state), run_status=run_status, cancel=cancel)
    assert reducer.transcript.stop == stop


async def test_an_unreadable_state_keeps_the_preview_with_a_warning() -> None:
    client = FakeClient(states=[errors.PermissionDenied(403, "no")])
    reducer, reconciler = _reconciler(client)
    reducer.transcript.new_message(None, "ai").set_text("partial")
    await reconciler.settle(THREAD, run_status="interrupted", cancel=None, deadline=0.0)
    t = reducer.transcript
    assert [m.text for m in t.messages] == ["partial"] and t.stop == "cancelled"
    assert t.warnings == ["could not read the final state (HTTP 403: no)"]


def test_end_notice_says_why_a_run_stopped() -> None:
    assert end_notice(None, "success", None) is None
    assert end_notice("cancelled", "rolled_back", None) is not None
    assert end_notice("cancelled", "interrupted", "interrupt") == "the run was cancelled"
    assert "stopped on the server" in (end_notice("cancelled", "interrupted", None) or "")


# --- judging the end of a run from the state ---------------------------------------------------


@pytest.mark.parametrize(
    ("state", "stop", "whole"),
    [
        ({"metadata": {"run_id": RUN}}, None, True),
        ({"metadata": {"run_id": "another"}}, None, False),  # not this run's state (yet)
        ({}, None, False),
        ({"metadata": {"run_id": RUN}, "next": ["talk"]}, None, False),  # mid-way
        ({"metadata": {"run_id": RUN}, "next": ["talk"]}, "breakpoint", True),
        ({"metadata": {"run_id": RUN}, "interrupts": [{"id": "i"}]}, "question", True),
        ({"metadata": {"run_id": RUN}, "interrupts": [{"id": "i"}]}, None, False),
        (
            {"metadata": {"run_id": RUN}, "next": ["b"], "tasks": [{"name": "b", "error": "E"}]},
            "error",
            True,
        ),
        (
            {"metadata": {"run_id": RUN}, "next": ["b"], "tasks": [{"name": "b", "error": "E"}]},
            None,
            False,  # it failed and the stream never said so
        ),
    ],
)
def test_at_rest_reads_whether_the_run_is_over(
    state: dict[str, Any], stop: str | None, whole: bool
) -> None:
    assert at_rest(_state([], **state), RUN, stop) is whole


def _streamed_run(reducer: Reducer) -> None:
    """A transcript with an older message, this run's input and its streamed answer."""
    reducer.load_messages([{"type": "ai", "id": "old", "content": "before"}])
    reducer.begin_run(0.0)
    reducer.transcript.add_user_message("hi", "h1")
    chunk = {"type": "AIMessageChunk", "id": "a1", "content": "all of it"}
    reducer.apply(StreamEvent.from_sse("messages", json.dumps([chunk, {}]), None, 0.0))


OLD = {"type": "ai", "id": "old", "content": "before"}
HI = {"type": "human", "id": "h1", "content": "hi"}
ANSWER = {"type": "ai", "id": "a1", "content": "all of it"}


@pytest.mark.parametrize(
    ("stored", "gaps"),
    [
        ([OLD, HI, ANSWER], 0),
        ([HI, ANSWER], 0),  # a fresh transcript that never showed the older messages
        ([OLD, HI, {**ANSWER, "content": "all of it, and more"}], 1),  # the tail was lost
        ([OLD, HI, ANSWER, {"type": "tool", "id": "t9", "content": "late"}], 1),
        ([{"type": "ai", "id": "older", "content": "unseen"}, OLD, HI, ANSWER], 0),
    ],
)
def test_stream_gaps_counts_what_the_stream_missed(stored: list[Any], gaps: int) -> None:
    reducer = Reducer()
    _streamed_run(reducer)
    before = [(m.key, m.text) for m in reducer.transcript.messages]
    assert reducer.stream_gaps(stored) == gaps
    assert [(m.key, m.text) for m in reducer.transcript.messages] == before  # read-only


def test_shows_run_whole_needs_both_rest_and_no_gap() -> None:
    reducer, reconciler = _reconciler(FakeClient())
    _streamed_run(reducer)
    meta = {"metadata": {"run_id": RUN}}
    assert reconciler.shows_run_whole(_state([OLD, HI, ANSWER], **meta), RUN)
    assert not reconciler.shows_run_whole(_state([OLD, HI, ANSWER]), RUN)
    assert not reconciler.shows_run_whole(
        _state([OLD, HI, {**ANSWER, "content": "x"}], **meta), RUN
    )


# --- ThreadStarter -----------------------------------------------------------------------------


@dataclass
class FakeThreads:
    """``client.threads`` for the starter: records creations and deletions."""

    calls: list[tuple[str, Any]] = field(default_factory=list)

    async def create(self, **kwargs: Any) -> None:
        self.calls.append(("create", kwargs))

    async def delete(self, thread_id: str) -> None:
        self.calls.append(("delete", thread_id))


@dataclass
class StarterClient:
    threads: FakeThreads = field(default_factory=FakeThreads)

    def __hash__(self) -> int:  # kept in a WeakSet, like the real client
        return id(self)


def _first_run() -> RunCreate:
    return RunCreate.model_validate(
        {"assistant_id": "a", "input": None, "metadata": {"client_request_id": "r"}}
    )


async def test_the_first_run_asks_for_the_thread() -> None:
    client = StarterClient()
    starter = ThreadStarter(client, THREAD, {"title": "T", "client_request_id": "no"})  # type: ignore[arg-type]
    assert starter.with_run
    body = starter.body(_first_run()).to_body()
    assert body["if_not_exists"] == "create"
    assert body["metadata"] == {"title": "T", "client_request_id": "r"}  # the run's own wins
    assert "if_not_exists" not in starter.plain(_first_run()).to_body()


async def test_a_refusal_makes_the_thread_first_from_then_on() -> None:
    client = StarterClient()
    starter = ThreadStarter(client, THREAD, {"title": "T"})  # type: ignore[arg-type]
    starter.body(_first_run())
    assert not starter.refused(errors.ServerError(500, "x"))  # not a refusal of the flag
    assert starter.refused(errors.NotFound(404, "Thread or assistant not found."))
    await starter.create()
    assert client.threads.calls == [
        ("create", {"thread_id": THREAD, "metadata": {"title": "T"}, "if_exists": "do_nothing"})
    ]
    assert not ThreadStarter(client, "t-2", {}).with_run  # type: ignore[arg-type]
    # refused again on the thread made for it: the refusal was about something else
    await starter.take_back()
    assert client.threads.calls[-1] == ("delete", THREAD)
    assert ThreadStarter(client, "t-3", {}).with_run  # type: ignore[arg-type]


def test_only_a_refusal_of_the_flag_makes_the_thread_first() -> None:
    assert refuses_flag(errors.NotFound(404, "Thread or assistant not found."))
    unknown = errors.Unprocessable(422, "extra field not permitted", body={"loc": [FLAG]})
    assert refuses_flag(unknown)
    assert not refuses_flag(errors.Unprocessable(422, "entity ent_x does not belong to channel"))
    assert not refuses_flag(errors.ServerError(500, "boom"))
