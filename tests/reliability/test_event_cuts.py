"""Seeded cuts during runs over the thread-centric event protocol, and a forced ``resume_gap``.

The trials of ``test_cuts.py`` again, with the session on the event protocol
(``RunSession(protocol="events")``): every trial streams one run of the real local server
through a :class:`FaultProxy` seeded with the trial's number, whose faults hit the event
stream's connections (``POST /threads/{id}/stream/events``); the session reconnects from the
last sequence id it saw (a little before it: the overlap is dropped by ``event_id``). Compared
with an uncut run of the same graph over the same protocol:

- the final transcript (after reconcile with the thread state) is identical;
- the events delivered (ids masked) are identical, in order: nothing lost, nothing doubled.

50 trials cut every stream connection (up to four times a run) at a random byte; 20 more mix
cuts, resets, stalls and hangs. Then a reconnect is answered with a stream that starts past
the cursor (the server's replay lost what came between): the session must say so, and end
reconciled with the thread state.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from trials import TrialResult, describe, record, run_trial, summarize, write_figures

from bbot_tui.api.client import AgentClient
from bbot_tui.api.models import RunCreate
from bbot_tui.session.run import RunSession
from bbot_tui.stream.transcript import content_text, user_message

BATCH = 10
EXACT_BATCHES = 5  # 50 trials: every event-stream connection cut or reset
MIXED_BATCHES = 2  # 20 trials: cuts, resets, stalls, stall-then-close, hangs
CONCURRENCY = 4
SESSION: dict[str, Any] = {"protocol": "events"}
CLIENT: dict[str, Any] = {"timeout": httpx.Timeout(connect=5.0, read=3.0, write=10.0, pool=5.0)}
EXACT_PROXY: dict[str, Any] = {
    "modes": ("cut", "rst"),
    "fault_rate": 1.0,
    "cut_after": (0, 9000),
    "arm_on": "text/event-stream",
    "max_faults": 4,
}
MIXED_PROXY: dict[str, Any] = {
    "modes": ("cut", "rst", "stall", "stall-close", "hang"),
    "fault_rate": 0.8,
    "cut_after": (100, 9000),
    "stall": 0.3,
    "arm_on": "text/event-stream",
    "max_faults": 4,
}

_references: dict[str, TrialResult] = {}
_EVENT_END = re.compile(rb"\r?\n\r?\n")


def _graph(seed: int) -> str:
    """Half the trials stream chat tokens (``slow``), half custom events (``writer``)."""
    return "slow" if seed % 2 else "writer"


async def _reference(server_url: str, assistant_ids: dict[str, str], graph: str) -> TrialResult:
    if graph not in _references:
        result = await run_trial(
            server_url, assistant_ids[graph], graph, seed=0, client=CLIENT, session=SESSION
        )
        assert result.status == "success" and not result.error, describe(result, result)
        assert result.tokens and result.final["messages"], "the uncut run streamed nothing"
        _references[graph] = result
    return _references[graph]


async def _batch(
    server_url: str, assistant_ids: dict[str, str], seeds: range, proxy: dict[str, Any]
) -> tuple[list[tuple[TrialResult, float]], dict[str, TrialResult]]:
    references = {g: await _reference(server_url, assistant_ids, g) for g in ("slow", "writer")}
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(seed: int) -> tuple[TrialResult, float]:
        graph = _graph(seed)
        async with gate:
            started = time.monotonic()
            result = await run_trial(
                server_url,
                assistant_ids[graph],
                graph,
                seed=seed,
                proxy=proxy,
                client=CLIENT,
                session=SESSION,
            )
            return result, time.monotonic() - started

    return list(await asyncio.gather(*(one(seed) for seed in seeds))), references


def _check(
    name: str,
    outcomes: list[tuple[TrialResult, float]],
    references: dict[str, TrialResult],
    figures_dir: Path,
) -> None:
    results = [r for r, _ in outcomes]
    write_figures(figures_dir, name, [record(r, references[r.graph], wall) for r, wall in outcomes])
    summarize(name, results, references)
    assert sum(bool(r.faults) for r in results) >= 3, "too few faults fired"
    for result in results:
        reference = references[result.graph]
        explain = describe(result, reference)
        assert result.error is None, explain
        assert result.runs_on_thread == 1, explain
        assert result.final == reference.final, explain
        assert result.tokens == reference.tokens, explain


@pytest.mark.parametrize("batch", range(EXACT_BATCHES))
async def test_cut_event_streams_deliver_each_event_once(
    server_url: str, assistant_ids: dict[str, str], figures_dir: Path, batch: int
) -> None:
    seeds = range(2001 + batch * BATCH, 2001 + (batch + 1) * BATCH)
    outcomes, references = await _batch(server_url, assistant_ids, seeds, EXACT_PROXY)
    assert any(r.rejoins for r, _ in outcomes), "no trial reconnected"
    _check(f"event-cuts-every-connection-{batch}", outcomes, references, figures_dir)


@pytest.mark.parametrize("batch", range(MIXED_BATCHES))
async def test_mixed_faults_on_event_streams_keep_the_transcript(
    server_url: str, assistant_ids: dict[str, str], figures_dir: Path, batch: int
) -> None:
    seeds = range(3001 + batch * BATCH, 3001 + (batch + 1) * BATCH)
    outcomes, references = await _batch(server_url, assistant_ids, seeds, MIXED_PROXY)
    _check(f"event-cuts-mixed-{batch}", outcomes, references, figures_dir)


class _GapTransport(httpx.AsyncBaseTransport):
    """Cuts the first event stream after ``cut_after`` events; answers the reconnect with a
    stream that skips ``lost`` events past its ``since`` (a replay that lost them)."""

    def __init__(self, cut_after: int = 8, lost: int = 12) -> None:
        self._inner = httpx.AsyncHTTPTransport()
        self.cut_after = cut_after
        self.lost = lost
        self.streams: list[dict[str, Any]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._inner.handle_async_request(request)
        if not request.url.path.endswith("/stream/events") or response.status_code != 200:
            return response  # commands, and the detection's probes
        body = json.loads(request.content or b"{}")
        self.streams.append(body)
        first = len(self.streams) == 1
        since = body.get("since")
        upstream = response.stream
        assert isinstance(upstream, httpx.AsyncByteStream)
        cut_after, lost = self.cut_after, self.lost

        async def events() -> AsyncIterator[bytes]:
            buffer = b""
            sent = 0
            try:
                async for chunk in upstream:
                    buffer += chunk
                    while (end := _EVENT_END.search(buffer)) is not None:
                        raw, buffer = buffer[: end.start()], buffer[end.end() :]
                        seq = next(
                            (int(line[3:]) for line in raw.splitlines() if line.startswith(b"id:")),
                            None,
                        )
                        skipped = not first and since is not None and seq is not None
                        if skipped and seq <= since + lost:
                            continue
                        yield raw + b"\r\n\r\n"
                        sent += seq is not None
                        if first and sent >= cut_after:
                            raise httpx.ReadError("cut by the test")
            finally:
                await upstream.aclose()

        return httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=_Stream(events()),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        await self._inner.aclose()


class _Stream(httpx.AsyncByteStream):
    def __init__(self, chunks: AsyncIterator[bytes]) -> None:
        self._chunks = chunks

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._chunks:
            yield chunk


async def test_a_resume_gap_ends_reconciled_and_says_so(server_url: str) -> None:
    transport = _GapTransport()
    async with AgentClient(server_url, transport=transport) as client:
        session = RunSession(client, protocol="events")
        thread_id = (await client.threads.create()).thread_id
        user = user_message("hello there")
        session.transcript.add_user_message("hello there", user["id"])
        body = RunCreate(
            assistant_id="slow",
            input={"messages": [user]},
            config={"configurable": {"tokens": 40, "delay": 0.02}},
        )
        notices = [u.notice async for u in session.run(body, thread_id=thread_id) if u.notice]
        state = await client.threads.get_state(thread_id)
    assert len(transport.streams) == 2 and "since" in transport.streams[1], transport.streams
    assert "resume gap" in notices[-1] and "reconciled" in notices[-1], notices
    assert session.transcript.warnings == [notices[-1]]
    assert session.outcome.status == "success" and session.outcome.rejoins == 1
    stored = [(m["id"], content_text(m["content"])) for m in state.messages]
    assert [(m.id, m.text) for m in session.transcript.messages] == stored
    assert session.transcript.messages[-1].text.count(" ") >= 30  # the whole answer, not a part
