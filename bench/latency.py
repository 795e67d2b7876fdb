"""How many round trips each action costs, and how long it waits, against a distant server.

The real local LangGraph server (the test graphs) sits behind ``tests/support/delayproxy.py``, a
loopback HTTP proxy that delays every byte by half a round trip each way and charges a new
connection one round trip (its TCP handshake). Each action runs once per RTT (0, 100, 200 and
400 ms by default), all in one process, and prints one table with the RTTs side by side:

- ``start``: the real app (headless) opening with a profile whose last assistant and thread
  are on the server, until its assistants, the thread list and the last thread are shown;
- ``first message``: a new conversation in that app (``n``, type, Enter);
- ``next message``: a second message in it;
- ``run new``: ``bbot-tui run --assistant chat --message …`` in a subprocess (a new thread);
- ``run existing``: the same with ``--thread`` of an existing thread, after ``run new`` (the
  assistant it resolved is remembered, as for a user's second command);
- ``run existing cold``: the same with nothing remembered (a fresh ``BBOT_TUI_HOME``).

Per action: **req** (requests in all), **rt** (round trips on the critical path: the longest
chain of requests each sent after the previous one's answer ended), **new** (connections
opened: 0 when the keep-alive pool served every request), **ttft** (time to the first
token reaching the client, from the action's first request; the app's: from Enter), **ready**
(from the last token reaching the client until the app accepts the next message; for the CLI,
until its last request ended; for ``start``, from its first request until all is shown) and,
beside the ttft, the **floor**: one round trip plus the
server's own time to first token (measured at RTT 0 on a warm connection).

Usage: ``.venv/bin/python bench/latency.py [--rtts 0,100,200,400] [--src PATH]``. ``--src``
runs another checkout's ``src`` (e.g. a ``git worktree`` of an older commit in /tmp) with this
bench, to print its table "before". About 1-2 minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
GRAPHS = ROOT / "tests" / "graphs" / "langgraph.json"
MESSAGE = "hello there"


def _args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rtts", default="0,100,200,400", help="milliseconds, comma-separated")
    parser.add_argument("--src", default=str(ROOT / "src"), help="the bbot_tui source to run")
    parser.add_argument("--label", default="", help="a title for the table")
    return parser.parse_args()


ARGS = _args()
sys.path.insert(0, str(ROOT / "tests" / "support"))
sys.path.insert(0, ARGS.src)

import httpx  # noqa: E402
from delayproxy import DelayProxy, Exchange  # noqa: E402

from bbot_tui.config.settings import Profile, Settings  # noqa: E402
from bbot_tui.demo.server import LocalServer  # noqa: E402


@dataclass
class Figures:
    """One action at one RTT."""

    requests: int = 0
    round_trips: int = 0
    connections: int = 0
    ttft: float | None = None
    ready: float | None = None
    lines: list[str] = field(default_factory=list)


LIMIT = 60.0
"""Seconds a wait may take before the bench stops (a broken build fails, it does not hang)."""


async def until(condition: Any, what: str) -> None:
    """Poll ``condition()`` every 2 ms until true (the times measured are that fine)."""
    deadline = time.monotonic() + LIMIT
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"bench/latency.py: gave up waiting for {what}")
        await asyncio.sleep(0.002)


REPEAT = 3
"""Each message action runs this many times per RTT (the server's own time to first token
varies by about a tenth of a second); the table shows the medians."""


def median(runs: list[Figures]) -> Figures:
    """The median time of each kind over runs (requests and round trips: the largest)."""

    def mid(values: list[float | None]) -> float | None:
        known = sorted(v for v in values if v is not None)
        return known[len(known) // 2] if known else None

    last = max(runs, key=lambda f: (f.requests, f.round_trips))
    return Figures(
        requests=last.requests,
        round_trips=last.round_trips,
        connections=last.connections,
        ttft=mid([f.ttft for f in runs]),
        ready=mid([f.ready for f in runs]),
        lines=last.lines,
    )


def critical_path(exchanges: list[Exchange]) -> int:
    """The longest chain of exchanges where each was sent after the previous one ended."""
    done = [x for x in exchanges if x.done_at is not None]
    done.sort(key=lambda x: x.sent_at)
    longest: list[int] = []
    for i, x in enumerate(done):
        before = [longest[j] for j in range(i) if (done[j].done_at or 0) <= x.sent_at + 1e-4]
        longest.append(1 + max(before, default=0))
    return max(longest, default=0)


def _tokens(exchanges: list[Exchange]) -> tuple[float | None, float | None]:
    firsts = [x.first_token_at for x in exchanges if x.first_token_at is not None]
    lasts = [x.last_token_at for x in exchanges if x.last_token_at is not None]
    return (min(firsts) if firsts else None), (max(lasts) if lasts else None)


def _figures(exchanges: list[Exchange], started: float, ready_at: float | None) -> Figures:
    first, last = _tokens(exchanges)
    return Figures(
        requests=len(exchanges),
        round_trips=critical_path(exchanges),
        connections=sum(x.new_connection for x in exchanges),
        ttft=None if first is None else first - started,
        ready=None if (ready_at is None or last is None) else max(0.0, ready_at - last),
        lines=[f"{x.method} {x.path.split('?')[0]}" for x in exchanges],
    )


# --- the app -------------------------------------------------------------------------------


async def app_actions(proxy: DelayProxy, assistant_id: str, thread_id: str) -> dict[str, Figures]:
    """Start the real app headless, then a new conversation and a second message in it."""
    from bbot_tui.tui.app import make_app

    settings = Settings(
        profiles={
            "bench": Profile(
                name="bench",
                base_url=proxy.url,
                last_assistant_id=assistant_id,
                last_thread_id=thread_id,
            )
        },
        active_profile="bench",
    )
    app = make_app(settings, persist=False)
    out: dict[str, Figures] = {}
    async with app.run_test(headless=True, size=(120, 40)) as pilot:
        await app.ready.wait()
        screen: Any = app.main_screen

        def shown() -> bool:
            return bool(
                screen.query_one("#assistant-pane").assistants
                and screen.query_one("#thread-pane").threads
                and screen.transcript.messages
                and not screen.running
                and not any(w.is_running for w in app.workers if w.group != "run-state")
            )

        await until(shown, "the start to show the assistants, threads and last thread")
        ended = time.monotonic()
        start = proxy.exchanges[:]
        figures = _figures(start, 0.0, None)
        figures.ready = ended - min(x.sent_at for x in start)  # first request -> all shown
        out["start"] = figures
        await pilot.pause(0.2)

        runs: dict[str, list[Figures]] = {"first message": [], "next message": []}
        for name in ("first message", "next message") * REPEAT:
            if name == "first message":
                screen.new_thread()  # what the thread pane's "n" does
                await pilot.pause(0.1)
            before = len(proxy.exchanges)
            composer = screen.composer
            composer.focus()
            composer.load_text(MESSAGE)
            pressed = time.monotonic()
            await pilot.press("enter")
            await until(lambda: screen.running, "the run to start")
            await until(lambda: not screen.running, "the app to take the next message")
            ready_at = time.monotonic()
            await app.workers.wait_for_complete()
            await pilot.pause(0.3)  # requests behind the answer (reconcile, thread list)
            exchanges = proxy.exchanges[before:]
            runs[name].append(_figures(exchanges, pressed, ready_at))
    out.update({name: median(figures) for name, figures in runs.items()})
    return out


# --- the CLI -------------------------------------------------------------------------------


async def cli_action(proxy: DelayProxy, home: str, *extra: str) -> Figures:
    """``bbot-tui run`` in a subprocess; its requests seen by the proxy."""
    before = len(proxy.exchanges)
    env = {**os.environ, "PYTHONPATH": ARGS.src, "BBOT_TUI_HOME": home}
    env.pop("BBOT_URL", None)
    env.pop("BBOT_API_KEY", None)
    argv = [sys.executable, "-m", "bbot_tui", "run", "--url", proxy.url, "--assistant", "chat"]
    process = await asyncio.create_subprocess_exec(
        *argv,
        "--message",
        MESSAGE,
        *extra,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await process.communicate()
    if process.returncode != 0:
        raise SystemExit(f"bbot-tui run failed ({process.returncode}): {err.decode()[-500:]}")
    exchanges = proxy.exchanges[before:]
    first_sent = min(x.sent_at for x in exchanges)
    return _figures(exchanges, first_sent, max(x.done_at or 0 for x in exchanges))


# --- the whole bench -----------------------------------------------------------------------


async def server_ttft(url: str, assistant_id: str) -> float:
    """The server's own time to first token (RTT 0, a warm connection), median of 5."""
    host, port = url.rsplit(":", 1)
    proxy = DelayProxy(host.split("//")[1], int(port), rtt=0.0, connect_rtts=0)
    await proxy.start()
    times = []
    try:
        async with httpx.AsyncClient(base_url=proxy.url, timeout=30) as client:
            for _ in range(6):
                thread = (await client.post("/threads", json={})).json()["thread_id"]
                body = {
                    "assistant_id": assistant_id,
                    "input": {"messages": [{"role": "user", "content": MESSAGE}]},
                    "stream_mode": ["messages-tuple", "updates"],
                }
                await client.post(f"/threads/{thread}/runs/stream", json=body)
                x = proxy.exchanges[-1]
                if x.first_token_at is not None:
                    times.append(x.first_token_at - x.sent_at)
    finally:
        await proxy.stop()
    times.sort()
    return times[len(times) // 2]


async def main() -> None:
    rtts = [int(v) for v in ARGS.rtts.split(",")]
    log = Path(tempfile.mkdtemp(prefix="bbot-latency-")) / "server.log"
    server = LocalServer(GRAPHS, log_path=log)
    server.start()
    results: dict[int, dict[str, Figures]] = {}
    try:
        assert server.url is not None
        url = server.url
        host, port = url.split("//")[1].rsplit(":", 1)
        assistants = httpx.post(f"{url}/assistants/search", json={"limit": 100}).json()
        chat = next(
            a["assistant_id"]
            for a in assistants
            if a["graph_id"] == "chat" and a["metadata"].get("created_by") == "system"
        )
        floor_server = await server_ttft(url, chat)
        for rtt in rtts:
            home = tempfile.mkdtemp(prefix="bbot-latency-home-")
            thread = httpx.post(
                f"{url}/threads", json={"metadata": {"assistant_id": chat, "graph_id": "chat"}}
            ).json()["thread_id"]
            httpx.post(
                f"{url}/threads/{thread}/runs/wait",
                json={
                    "assistant_id": chat,
                    "input": {"messages": [{"role": "user", "content": "earlier"}]},
                },
                timeout=30,
            )
            per: dict[str, Figures] = {}
            proxy = DelayProxy(host, int(port), rtt=rtt / 1000)
            await proxy.start()
            try:
                per.update(await app_actions(proxy, chat, thread))
            finally:
                await proxy.stop()
            cli_runs: tuple[tuple[str, tuple[str, ...], bool], ...] = (
                ("run new", (), False),
                ("run existing", ("--thread", thread), False),
                ("run existing cold", ("--thread", thread), True),
            )
            # one proxy (one URL, as a user's server has) for every command at this RTT:
            # what a command remembers of the server is found by the next
            proxy = DelayProxy(host, int(port), rtt=rtt / 1000)
            await proxy.start()
            try:
                for name, extra, cold in cli_runs:
                    runs = []
                    for _ in range(REPEAT):
                        where = tempfile.mkdtemp(prefix="bbot-latency-home-") if cold else home
                        runs.append(await cli_action(proxy, where, *extra))
                    per[name] = median(runs)
            finally:
                await proxy.stop()
            results[rtt] = per
    finally:
        server.stop()
    _print(results, floor_server)


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value * 1000:.0f}"


def _print(results: dict[int, dict[str, Figures]], floor_server: float) -> None:
    rtts = sorted(results)
    actions = [
        "start",
        "first message",
        "next message",
        "run new",
        "run existing",
        "run existing cold",
    ]
    title = ARGS.label or f"bbot_tui from {ARGS.src}"
    print(f"\n{title}; server time to first token {floor_server * 1000:.0f} ms")
    head = "| action            |" + "|".join(
        f" RTT {r:>3} ms: req rt new ttft(floor) ready " for r in rtts
    )
    print(head + "|")
    print("|" + "-------------------|" + "|".join("-" * 43 for _ in rtts) + "|")
    for action in actions:
        cells = []
        for rtt in rtts:
            f = results[rtt][action]
            floor = rtt / 1000 + floor_server
            ttft = f"{_ms(f.ttft)}({_ms(floor)})" if f.ttft is not None else "-"
            cells.append(
                f" {f.requests:>3} {f.round_trips:>2} {f.connections:>3}"
                f" {ttft:>14} {_ms(f.ready):>6}  "
            )
        print(f"| {action:<17} |" + "|".join(f"{c:<43}" for c in cells) + "|")
    print("\nrequests at the largest RTT:")
    for action in actions:
        print(f"  {action}: " + ", ".join(results[rtts[-1]][action].lines))


if __name__ == "__main__":
    asyncio.run(main())
