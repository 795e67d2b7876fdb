"""Benchmark: two answers streaming at once into the compare screen, a key pressed meanwhile.

The real :class:`~bbot_tui.tui.screens.compare.CompareScreen` (two panes, each a real
``MessageView`` and ``InterruptCard``) runs in an app whose frames are rendered as for a terminal
(``_common.FrameDriver``). Its two sides are real :class:`~bbot_tui.session.compare.CompareSide`
sessions talking HTTP to a loopback fake Agent Server in another process
(``tests/support/hostile.py``), which creates the two threads and streams each run's answer (a
Markdown answer of ``--tokens`` tokens, ``_common.make_answer``) as messages-tuple events at
``--rate`` tokens/s per side (ten tokens every 20 ms), then answers the run's status, the
drain and the thread state as the real server does.

Measured while both stream (from the first token until both answers' last tokens are on
screen): key-to-handled and key-to-paint p50/p95 of a key pressed every 50 ms (``_common.KeyProbe``:
a label on the screen shows the key's number; it is painted when a frame with it is written),
each side's tokens/s as received and on screen, frames written, peak RSS. The floor is the same
screen with both answers already shown and nothing streaming. Figures only: nothing is asserted.

With ``--src DIR`` another source tree (e.g. a ``git worktree`` of an older commit) is measured
in the same run by its own ``DIR/bench/compare.py``: the two take turns run by run, so that a
load on a shared machine hits both alike; compare the two rows, not figures of two runs.

Usage: ``.venv/bin/python bench/compare.py [--quick] [--runs N] [--tokens N] [--rate R]
[--src DIR]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "support"))

from _common import (
    SIZE,
    FrameDriver,
    KeyProbe,
    _mark,
    make_answer,
    pct,
    peak_rss_mb,
    run_child,
    summary,
    table,
    watch_for,
)
from textual.app import App
from textual.binding import Binding
from textual.widget import Widget
from textual.widgets import Input

from bbot_tui.api.client import AgentClient
from bbot_tui.api.models import Assistant
from bbot_tui.tui.resources import stylesheet
from bbot_tui.tui.screens.compare import CompareScreen

SIDES = {
    "A": ("11111111-1111-4111-8111-11111111111a", "22222222-2222-4222-8222-22222222222a"),
    "B": ("11111111-1111-4111-8111-11111111111b", "22222222-2222-4222-8222-22222222222b"),
}
"""Each side's thread and run ids on the fake server."""
BATCH = 10
"""Tokens the fake server writes per write (every ``BATCH / rate`` s)."""


def _end_mark(label: str) -> str:
    return f"ENDOFANSWER{label}"


# --- the fake server (its own process) -----------------------------------------------------


def _stream_script(label: str, tokens: int, rate: float) -> tuple[list[Any], dict[str, Any]]:
    """The SSE script of one side's run, paced, and the stored final message."""
    from hostile import Sleep, chunk, run_location, sse_event, sse_head

    thread_id, run_id = SIDES[label]
    message_id = f"answer-{label}"
    words = make_answer(tokens, seed=ord(label), end_mark=_end_mark(label))
    meta = {"langgraph_node": "agent", "langgraph_step": 1, "run_id": run_id}
    script: list[Any] = [
        sse_head(run_location(thread_id, run_id)),
        chunk(sse_event("metadata", {"run_id": run_id, "attempt": 1})),
    ]
    for start in range(0, len(words), BATCH):
        events = b"".join(
            sse_event(
                "messages", [{"type": "AIMessageChunk", "id": message_id, "content": w}, meta]
            )
            for w in words[start : start + BATCH]
        )
        script += [chunk(events), Sleep(BATCH / rate)]
    final = {"type": "ai", "id": message_id, "content": "".join(words)}
    last = {"type": "AIMessageChunk", "id": message_id, "content": "", "chunk_position": "last"}
    script.append(chunk(sse_event("messages", [last, meta])))
    script.append(chunk(sse_event("updates", {"agent": {"messages": [final]}})))
    script += [b"0\r\n\r\n"]
    return script, final


def serve(tokens: int, rate: float) -> None:
    """Run the fake server until stdin closes; print its port first."""
    from hostile import Close, HostileServer, agent_routes, json_response

    async def main() -> None:
        server = HostileServer(max_seconds=600)
        threads = []
        for label, (thread_id, run_id) in SIDES.items():
            script, final = _stream_script(label, tokens, rate)
            human = {"type": "human", "id": f"q-{label}", "content": "Write a long answer."}
            agent_routes(
                server,
                [[*script, Close()]],
                messages=[human, final],
                thread=thread_id,
                run=run_id,
            )
            threads.append([json_response(200, {"thread_id": thread_id, "metadata": {}})])
        server.route("POST", r"/threads", *threads)
        port = await server.start()
        print(port, flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
        await server.stop()

    asyncio.run(main())


# --- the app ----------------------------------------------------------------------------------


class Probe(Widget):
    """The probe label: redrawn in place (a ``Static.update`` would lay the screen out again
    for every key, a cost of the bench rather than of the screen)."""

    DEFAULT_CSS = "Probe { height: 1; dock: bottom; }"

    def __init__(self) -> None:
        super().__init__(id="probe")
        self.text = _mark(0)

    def render(self) -> str:
        """The last key's mark."""
        return self.text

    def show(self, text: str) -> None:
        """Show ``text`` (a repaint of this one line)."""
        self.text = text
        self.refresh()


class CompareBenchApp(App[None]):
    """The compare screen over a bare app, frames rendered, a probe label on the screen."""

    CSS_PATH = [stylesheet("message_view.tcss"), stylesheet("interrupt_card.tcss")]
    BINDINGS = [Binding("f9", "probe", priority=True)]

    def __init__(self, url: str) -> None:
        super().__init__(driver_class=FrameDriver)
        self.url = url
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
        self.screen.query_one(Probe).show(_mark(probe.handled_count))


def _assistants() -> list[Assistant]:
    return [
        Assistant.model_validate({"assistant_id": f"assistant-{x}", "graph_id": "fake", "name": x})
        for x in ("alpha", "beta")
    ]


def child(kind: str, tokens: int, rate: float) -> dict[str, Any]:
    """One measurement in this process: ``stream`` (both sides streaming) or ``floor``."""
    server = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "--serve", str(tokens), str(rate)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    result: dict[str, Any] = {}
    try:
        assert server.stdout is not None
        url = f"http://127.0.0.1:{int(server.stdout.readline())}"
        app = CompareBenchApp(url)

        async def scenario(pilot: Any) -> None:
            client = AgentClient(url)
            a, b = _assistants()
            screen = CompareScreen(client, [a, b], a=a, b=b)
            await app.push_screen(screen)
            await pilot.pause(0.3)
            await screen.mount(Probe())
            painted = {label: watch_for(_end_mark(label)) for label in SIDES}
            box = screen.query_one("#compare-message", Input)
            box.value = "Write a long answer."
            started = time.monotonic()
            screen.action_send()
            comparison = screen.comparison
            assert comparison is not None

            def first_tokens() -> bool:
                return all(s.transcript.timing.first_token_at for s in comparison.sides)

            while not first_tokens() and time.monotonic() - started < 60:
                await asyncio.sleep(0.005)
            if kind == "floor":
                while screen.running and time.monotonic() - started < 600:
                    await asyncio.sleep(0.05)
                await pilot.pause(0.5)
                stop_at = time.monotonic() + 3.0
                await app.probe.run(lambda: time.monotonic() > stop_at)
            else:
                await app.probe.run(
                    lambda: (
                        all(p() is not None for p in painted.values())
                        or time.monotonic() - started > 600
                    )
                )
            while screen.running and time.monotonic() - started < 600:
                await asyncio.sleep(0.05)
            await pilot.pause(0.2)
            handled, keys_painted = app.probe.latencies()
            result.update(
                handled_p50=pct(handled, 0.5),
                handled_p95=pct(handled, 0.95),
                painted_p50=pct(keys_painted, 0.5),
                painted_p95=pct(keys_painted, 0.95),
                keys=len(app.probe.sent),
                keys_painted=len(keys_painted),
                frames=app.frames,
                statuses=[s.status for s in comparison.sides],
            )
            if kind == "stream":
                for side in comparison.sides:
                    timing = side.transcript.timing
                    first = timing.first_token_at
                    served = next(k for k, (t, _) in SIDES.items() if t == side.thread_id)
                    mark = painted[served]()  # the end mark of the thread the side got
                    result[f"received_tps_{side.label}"] = timing.tokens_per_second
                    if first is not None and mark is not None:
                        result[f"screen_tps_{side.label}"] = timing.tokens / (mark - first)
            await client.aclose()
            app.exit()

        asyncio.run(app.run_async(size=SIZE, auto_pilot=scenario))
    finally:
        if server.stdin is not None:
            server.stdin.close()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
    result["rss"] = peak_rss_mb()
    return result


def _row(label: str, kind: str, results: list[dict[str, Any]]) -> list[str]:
    """One row of the table: medians (min–max) of a scenario's runs."""

    def col(key: str) -> list[float]:
        return [r[key] for r in results if r.get(key) is not None]

    received = col("received_tps_A") + col("received_tps_B")
    shown = col("screen_tps_A") + col("screen_tps_B")
    return [
        label,
        summary(received) if received else "–",
        summary(shown) if shown else "–",
        summary(col("handled_p50")) + " / " + summary(col("handled_p95")),
        summary(col("painted_p50")) + " / " + summary(col("painted_p95")),
        summary(col("keys")),
        summary(col("rss")),
        "p95 < 50" if kind == "stream" else "–",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="1,500 tokens a side, one run")
    parser.add_argument("--runs", type=int, default=3, help="runs per scenario (default 3)")
    parser.add_argument("--tokens", type=int, default=5_000, help="tokens per side")
    parser.add_argument("--rate", type=float, default=500.0, help="tokens/s per side")
    parser.add_argument(
        "--src", help="also measure another source tree (DIR/bench/compare.py), runs alternating"
    )
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--serve", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(int(args.serve[0]), float(args.serve[1]))
        return
    if args.child:
        kind, tokens, rate = args.child
        print(json.dumps(child(kind, int(tokens), float(rate))))
        return
    tokens = 1_500 if args.quick else args.tokens
    runs = 1 if args.quick else args.runs
    trees = {"": Path(__file__).resolve()}
    if args.src:
        trees[f" ({args.src})"] = Path(args.src).resolve() / "bench" / "compare.py"
    rows = []
    for scenario, kind in (
        (f"two sides at {args.rate:.0f} tokens/s each", "stream"),
        ("nothing streams (the floor)", "floor"),
    ):
        by_tree: dict[str, list[dict[str, Any]]] = {tree: [] for tree in trees}
        for _ in range(runs):
            for tree, script in trees.items():
                child_args = [kind, str(tokens), str(args.rate)]
                by_tree[tree].append(run_child(script, child_args, timeout=900))
        for tree, results in by_tree.items():
            label = scenario + tree
            print(f"  {label}: {json.dumps(results)}", file=sys.stderr)
            rows.append(_row(label, kind, results))
    print(
        f"\nThe compare screen, {SIZE[0]}x{SIZE[1]}, frames rendered: two real sessions each "
        f"streaming a {tokens:,}-token Markdown answer from a loopback fake server, a key "
        f"every 50 ms; median (min–max) of {runs} run(s), a fresh process each\n"
    )
    print(
        table(
            [
                "input",
                "tokens/s received (per side)",
                "tokens/s on screen (per side)",
                "key handled p50 / p95 ms",
                "key painted p50 / p95 ms",
                "keys",
                "peak RSS MB",
                "target",
            ],
            rows,
        )
    )


if __name__ == "__main__":
    main()
