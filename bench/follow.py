"""Benchmark: follow 20 threads at once while other clients stream on them.

A real local server (``langgraph dev`` with the test graphs, as many concurrent runs as
threads) holds ``--threads`` threads. One :class:`~bbot_tui.api.client.AgentClient` (one
connection pool) runs a :class:`~bbot_tui.session.follow.ThreadFollower` per thread; once every
follower's stream is open, a second, plain httpx client (another client) starts on every thread a
``slow`` run of ``--tokens`` tokens at ``--delay`` seconds each, streamed as ``messages-tuple``
and ``updates``. Every follower applies its events to its own transcript through the real
reducer and reconciles each run with the thread state at its end.

Reports:

- **connections**: TCP connections the followers' client opened (distinct client ports seen
  by its transport), next to the streams the followers opened and their reconnects: the
  thread stream carries a thread's every run on one connection;
- **events/s**: events applied by all followers together while the runs streamed (first
  event to last event), and the tokens received against those sent;
- **lag**: from a run's POST to its ``RunStarted``, and from its last event to its
  ``RunEnded`` (the reconcile), median and p95;
- the follower process's CPU time over the streaming window.

Usage: ``.venv/bin/python bench/follow.py [--threads 20] [--tokens 200] [--delay 0.01]``.
The TUI's key latency while following comes with the TUI part.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from bbot_tui.api.client import AgentClient  # noqa: E402
from bbot_tui.demo.server import LocalServer  # noqa: E402
from bbot_tui.session.follow import (  # noqa: E402
    FollowNotice,
    RunEnded,
    RunEvents,
    RunStarted,
    ThreadFollower,
)

CONFIG = ROOT / "tests" / "graphs" / "langgraph.json"


class CountingTransport(httpx.AsyncBaseTransport):
    """The client's transport, noting the client port of every response's connection."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport(
            limits=httpx.Limits(max_connections=200, max_keepalive_connections=50)
        )
        self.ports: set[Any] = set()
        self.requests = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        self.requests += 1
        stream = response.extensions.get("network_stream")
        if stream is not None:
            self.ports.add(stream.get_extra_info("client_addr"))
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


@dataclass
class Watched:
    """One thread's follower and what it saw."""

    follower: ThreadFollower
    open: asyncio.Event = field(default_factory=asyncio.Event)
    posted: float = 0.0
    started: float | None = None
    first_event: float | None = None
    last_event: float | None = None
    ended: float | None = None
    tokens: int = 0
    status: str | None = None
    done: asyncio.Event = field(default_factory=asyncio.Event)


async def _follow(watched: Watched) -> None:
    async for update in watched.follower.updates():
        now = time.monotonic()
        if isinstance(update, FollowNotice) and update.phase == "following":
            watched.open.set()
        elif isinstance(update, RunStarted):
            watched.started = now
        elif isinstance(update, RunEvents):
            watched.first_event = watched.first_event or now
            watched.last_event = now
            watched.tokens += sum(1 for e in update.events if e.mode == "messages")
        elif isinstance(update, RunEnded):
            watched.ended = now
            watched.status = update.outcome.status
            watched.done.set()


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def bench(url: str, args: argparse.Namespace) -> dict[str, Any]:
    transport = CountingTransport()
    async with (
        AgentClient(url, transport=transport) as client,
        httpx.AsyncClient(base_url=url, timeout=60) as other,
    ):
        thread_ids = [
            (await other.post("/threads", json={})).json()["thread_id"] for _ in range(args.threads)
        ]
        watched = [Watched(ThreadFollower(client, t)) for t in thread_ids]
        tasks = [asyncio.create_task(_follow(w)) for w in watched]
        await asyncio.wait_for(asyncio.gather(*(w.open.wait() for w in watched)), 60)
        body = {
            "assistant_id": "slow",
            "input": {"messages": [{"role": "user", "content": "go"}]},
            "context": {"tokens": args.tokens, "delay": args.delay},
            "stream_mode": ["messages-tuple", "updates"],
        }
        cpu0 = time.process_time()

        async def post(w: Watched) -> None:
            w.posted = time.monotonic()
            response = await other.post(f"/threads/{w.follower.thread_id}/runs", json=body)
            response.raise_for_status()

        await asyncio.gather(*(post(w) for w in watched))
        await asyncio.wait_for(asyncio.gather(*(w.done.wait() for w in watched)), 300)
        cpu = time.process_time() - cpu0
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    first = min(w.first_event for w in watched if w.first_event)
    last = max(w.last_event for w in watched if w.last_event)
    events = sum(w.follower.stats.events for w in watched)
    starts = [w.started - w.posted for w in watched if w.started]
    ends = [w.ended - w.last_event for w in watched if w.ended and w.last_event]
    return {
        "threads": args.threads,
        "tcp_connections": len(transport.ports),
        "requests": transport.requests,
        "streams_opened": sum(w.follower.stats.connections for w in watched),
        "reconnects": sum(w.follower.stats.reconnects for w in watched),
        "events": events,
        "events_per_s": events / max(1e-9, last - first),
        "window_s": last - first,
        "tokens": (sum(w.tokens for w in watched), args.threads * args.tokens),
        "statuses": sorted({w.status or "?" for w in watched}),
        "start_lag_ms": (statistics.median(starts) * 1000, _pct(starts, 0.95) * 1000),
        "end_lag_ms": (statistics.median(ends) * 1000, _pct(ends, 0.95) * 1000),
        "cpu_s": cpu,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=20)
    parser.add_argument("--tokens", type=int, default=200)
    parser.add_argument("--delay", type=float, default=0.01)
    args = parser.parse_args()
    server = LocalServer(CONFIG, jobs=max(4, args.threads))
    server.start()
    try:
        assert server.url is not None
        r = asyncio.run(bench(server.url, args))
    finally:
        server.stop()
    start, end = r["start_lag_ms"], r["end_lag_ms"]
    share = 100 * r["cpu_s"] / max(1e-9, r["window_s"])
    print(f"followed threads      {r['threads']} (runs: {', '.join(r['statuses'])})")
    print(
        f"connections used      {r['tcp_connections']} TCP ({r['streams_opened']} streams "
        f"opened, {r['reconnects']} reconnects, {r['requests']} requests in all)"
    )
    print(
        f"events applied        {r['events']} in {r['window_s']:.2f} s = "
        f"{r['events_per_s']:.0f} events/s; tokens {r['tokens'][0]}/{r['tokens'][1]}"
    )
    print(f"run start -> seen     median {start[0]:.0f} ms, p95 {start[1]:.0f} ms")
    print(f"last event -> ended   median {end[0]:.0f} ms, p95 {end[1]:.0f} ms")
    print(f"follower CPU          {r['cpu_s']:.2f} s ({share:.0f}% of the streaming window)")


if __name__ == "__main__":
    main()
