"""Benchmark: the real app follows 20 threads while other clients stream a run on each of them.

A real local server (``langgraph dev`` with the test graphs, as many concurrent runs as threads)
holds ``--threads`` threads. The real app (:class:`~bbot_tui.tui.app.BbotApp`, frames rendered as
for a terminal: ``_common.FrameDriver``) starts with a profile that has the first thread open
and every thread marked followed, so it follows the open thread live (its runs shown in the
message view) and the others in the background (``FollowController``), one connection each.
Once every follow's stream is open, a plain httpx client (another client) starts a ``slow``
run of ``--tokens`` tokens at ``--delay`` seconds each on every thread, streamed as
``messages-tuple`` and ``updates``.

Measured while the runs stream (from the POSTs until every follow saw its run end, reconciled):
key-to-handled and key-to-painted p50/p95 of a key pressed every 50 ms (``_common.KeyProbe``: a
label on the main screen shows the key's number; it is painted when a frame with it is written),
the TCP connections the app's client used (distinct client ports seen by its transport) and its
requests, frames written, peak RSS. The floor is the same app following the same threads with
nothing streaming. Figures only: nothing is asserted. The machine may be shared: say so next to
the figures.

Usage: ``.venv/bin/python bench/follow_tui.py [--quick] [--runs N] [--threads 20] [--tokens 300]
[--delay 0.02]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    SIZE,
    FrameDriver,
    KeyProbe,
    _mark,
    pct,
    peak_rss_mb,
    run_child,
    summary,
    table,
)
from textual.binding import Binding
from textual.widgets import Static

from bbot_tui.api.client import AgentClient
from bbot_tui.config.settings import Profile, Settings
from bbot_tui.demo.server import LocalServer
from bbot_tui.tui.app import BbotApp

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "tests" / "graphs" / "langgraph.json"


class CountingTransport(httpx.AsyncBaseTransport):
    """The app client's transport, noting the client port of every response's connection."""

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


class FollowBenchApp(BbotApp):
    """The real app, frames rendered, with the probe key bound above every screen."""

    BINDINGS = [*BbotApp.BINDINGS, Binding("f9", "probe", priority=True)]

    def __init__(self, settings: Settings, transport: CountingTransport) -> None:
        def client(profile: Profile) -> AgentClient:
            return AgentClient(profile.base_url, transport=transport)

        super().__init__(settings, client_factory=client, persist=False)
        self.driver_class = FrameDriver
        self.probe = KeyProbe(self)
        self.frames = 0
        FrameDriver.watchers.append(self._count)

    def _count(self, data: str, now: float) -> None:
        self.frames += 1

    def action_probe(self) -> None:
        """Show the latest key number (its paint is what the probe waits for)."""
        probe = self.probe
        probe.handled_count += 1
        probe.handled[probe.handled_count] = time.monotonic()
        self.main_screen.query_one("#probe", Static).update(_mark(probe.handled_count))


def _assistant_id(url: str, graph_id: str) -> str:
    response = httpx.post(f"{url}/assistants/search", json={"limit": 100}, timeout=30)
    response.raise_for_status()
    for assistant in response.json():
        if (
            assistant["graph_id"] == graph_id
            and assistant["metadata"].get("created_by") == "system"
        ):
            return str(assistant["assistant_id"])
    raise RuntimeError(f"no {graph_id} assistant")


def child(kind: str, url: str, threads: int, tokens: int, delay: float) -> dict[str, Any]:
    """One measurement in this process: ``stream`` (every thread streams) or ``floor``."""
    assistant_id = _assistant_id(url, "slow")
    with httpx.Client(base_url=url, timeout=60) as other:
        ids = [other.post("/threads", json={}).json()["thread_id"] for _ in range(threads)]
    profile = Profile(
        name="bench",
        base_url=url,
        last_assistant_id=assistant_id,
        last_thread_id=ids[0],
        followed_threads=ids,
    )
    settings = Settings(profiles={"bench": profile}, active_profile="bench")
    transport = CountingTransport()
    app = FollowBenchApp(settings, transport)
    result: dict[str, Any] = {}

    async def scenario(pilot: Any) -> None:
        await app.ready.wait()
        screen = app.main_screen
        await screen.mount(Static(_mark(0), id="probe", markup=False))
        follows = screen.follows
        started = time.monotonic()

        def all_following() -> bool:
            going = follows.follows()
            return len(going) == threads and all(f.phase == "following" for f in going)

        while not all_following() and time.monotonic() - started < 120:
            await asyncio.sleep(0.05)
        result["following"] = len(follows.follows())
        await pilot.pause(0.5)
        if kind == "floor":
            stop_at = time.monotonic() + 4.0
            await app.probe.run(lambda: time.monotonic() > stop_at)
        else:
            body = {
                "assistant_id": assistant_id,
                "input": {"messages": [{"role": "user", "content": "go"}]},
                "context": {"tokens": tokens, "delay": delay},
                "stream_mode": ["messages-tuple", "updates"],
            }
            async with httpx.AsyncClient(base_url=url, timeout=60) as other:
                posted = time.monotonic()
                await asyncio.gather(*(other.post(f"/threads/{t}/runs", json=body) for t in ids))

            def all_ended() -> bool:
                going = follows.follows()
                return all(f.runs_seen >= 1 and f.live_run is None for f in going)

            await app.probe.run(lambda: all_ended() or time.monotonic() - posted > 600)
            result["window_s"] = time.monotonic() - posted
            shown = screen.transcript
            result["open_thread_messages"] = len(shown.messages)
        handled, painted = app.probe.latencies()
        going = follows.follows()
        result.update(
            handled_p50=pct(handled, 0.5),
            handled_p95=pct(handled, 0.95),
            painted_p50=pct(painted, 0.5),
            painted_p95=pct(painted, 0.95),
            keys=len(app.probe.sent),
            keys_painted=len(painted),
            frames=app.frames,
            tcp_connections=len(transport.ports),
            requests=transport.requests,
            streams=sum(f.follower.stats.connections for f in going if f.follower),
            reconnects=sum(f.follower.stats.reconnects for f in going if f.follower),
            events=sum(f.follower.stats.events for f in going if f.follower),
        )
        app.exit()

    asyncio.run(app.run_async(size=SIZE, auto_pilot=scenario))
    result["rss"] = peak_rss_mb()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="one run of each")
    parser.add_argument("--runs", type=int, default=3, help="runs per scenario (default 3)")
    parser.add_argument("--threads", type=int, default=20)
    parser.add_argument("--tokens", type=int, default=300, help="tokens per run")
    parser.add_argument("--delay", type=float, default=0.02, help="seconds between tokens")
    parser.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, url, threads, tokens, delay = args.child
        print(json.dumps(child(kind, url, int(threads), int(tokens), float(delay))))
        return
    runs = 1 if args.quick else args.runs
    script = Path(__file__).resolve()
    server = LocalServer(CONFIG, jobs=max(4, args.threads))
    server.start()
    rows = []
    try:
        assert server.url is not None
        for label, kind in (
            (f"{args.threads} runs streaming", "stream"),
            ("nothing streams (the floor)", "floor"),
        ):
            child_args = [kind, server.url, str(args.threads), str(args.tokens), str(args.delay)]
            results = [run_child(script, child_args, timeout=900) for _ in range(runs)]
            print(f"  {label}: {json.dumps(results)}", file=sys.stderr)

            def col(key: str, results: list[dict[str, Any]] = results) -> list[float]:
                return [r[key] for r in results if r.get(key) is not None]

            rows.append(
                [
                    label,
                    summary(col("following")),
                    summary(col("tcp_connections")) + " / " + summary(col("streams")),
                    summary(col("handled_p50")) + " / " + summary(col("handled_p95")),
                    summary(col("painted_p50")) + " / " + summary(col("painted_p95")),
                    summary(col("keys")),
                    summary(col("events")),
                    summary(col("rss")),
                    "p95 < 50" if kind == "stream" else "–",
                ]
            )
    finally:
        server.stop()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"\nThe real app, {SIZE[0]}x{SIZE[1]}, frames rendered, following {args.threads} threads "
        f"(the open one live, the others in the background); on each, another client streams "
        f"a run of {args.tokens} tokens at {args.delay * 1000:.0f} ms each; a key every 50 ms; "
        f"median (min–max) of {runs} run(s), a fresh process each; load average at the end "
        f"{load} on {os.cpu_count()} CPUs (other work on the machine shows in the figures)\n"
    )
    print(
        table(
            [
                "scenario",
                "follows",
                "TCP connections / streams opened",
                "key handled p50 / p95 ms",
                "key painted p50 / p95 ms",
                "keys",
                "events applied",
                "peak RSS MB",
                "target",
            ],
            rows,
        )
    )


if __name__ == "__main__":
    main()
