"""Benchmark: open a 2,000-message thread in the real message view.

The thread state (2,000 messages of a few hundred characters of Markdown, with code blocks) is
decoded from JSON, loaded by the real ``Reducer`` into a ``Transcript`` and handed to the real
``MessageView`` in a 120x40 app whose frames are rendered as for a terminal. Reports the time
until the last page is on screen, key-to-paint p50/p95 after the load (a key every 50 ms, idle
and while paging up: a page every 50 ms, and every 0.3 s as a reader would), the time to jump
to the top (Home until the first message is painted) and peak RSS. ``--no-prefetch`` turns off
the view's drawing ahead while idle, to compare.

Usage: ``.venv/bin/python bench/thread.py [--quick] [--runs N] [--no-prefetch]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    KEY_INTERVAL,
    SIZE,
    BenchApp,
    FrameDriver,
    pct,
    peak_rss_mb,
    run_child,
    summary,
    table,
    watch_for,
)
from textual import events

from bbot_tui.api.events import decode_data
from bbot_tui.stream.reducer import Reducer
from bbot_tui.stream.transcript import Transcript
from bbot_tui.tui.widgets.message_view import MessageView

SLOW_PAGES = 12
SLOW_INTERVAL = 0.3
"""Paging at a reading pace: a page every 0.3 s (the fast probe pages every 50 ms)."""


def thread_state(count: int) -> str:
    """The JSON of a thread state with ``count`` messages (human and AI alternating)."""
    messages: list[dict[str, Any]] = []
    for i in range(count):
        if i % 2 == 0:
            content = f"MSG{i:05d} How would I write helper number {i} in Python, with a test?"
            messages.append({"type": "human", "id": f"h{i}", "content": content})
            continue
        content = (
            f"MSG{i:05d} **Helper {i}** takes a value and returns it scaled; the `scale` "
            f"argument defaults to {i % 7 + 1}.\n\n"
            f"```python\ndef helper_{i}(value, scale={i % 7 + 1}):\n"
            f'    """Scale a value."""\n    return value * scale\n```\n\n'
            f"- it is pure\n- it has a test: `assert helper_{i}(2) == {2 * (i % 7 + 1)}`\n\n"
            "Ask if you want it typed."
        )
        messages.append({"type": "ai", "id": f"a{i}", "content": content})
    return json.dumps({"values": {"messages": messages}})


def _press(key: str) -> None:
    driver = FrameDriver.instance
    assert driver is not None
    driver.process_message(events.Key(key, None))


def child(count: int, prefetch: bool = True) -> dict[str, Any]:
    """One run: open the thread, probe keys, jump to the top."""
    app = BenchApp()
    body = thread_state(count)
    result: dict[str, Any] = {}

    async def scenario(pilot: Any) -> None:
        await pilot.pause(0.3)
        view = app.query_one(MessageView)
        if not prefetch:  # for comparison: no drawing ahead while idle
            view.prefetch_pages = 0
        view.focus()
        await pilot.pause(0.1)
        last = watch_for(f"MSG{count - 1:05d}")
        start = time.monotonic()
        state, _ = decode_data(body)
        transcript = Transcript()
        Reducer(transcript).load_messages(state["values"]["messages"])
        view.transcript = transcript
        while last() is None and time.monotonic() - start < 120:
            await asyncio.sleep(0.001)
        result["open"] = (last() or float("nan")) - start
        result["expanded"] = sum(entry.blocks is not None for entry in view.strip_layout.entries)
        await pilot.pause(0.2)

        probe = app.probe
        sent_before = probe.count
        stop_at = time.monotonic() + 2.0
        await probe.run(lambda: time.monotonic() > stop_at)
        idle = [
            (probe.painted[n] - probe.sent[n]) * 1000
            for n in range(sent_before + 1, probe.count + 1)
            if n in probe.painted
        ]
        sent_before = probe.count
        for _ in range(30):  # page up, and probe right behind it
            _press("pageup")
            probe.press()
            await asyncio.sleep(KEY_INTERVAL)
        await pilot.pause(0.3)
        paging = [
            (probe.painted[n] - probe.sent[n]) * 1000
            for n in range(sent_before + 1, probe.count + 1)
            if n in probe.painted
        ]
        _press("end")
        await pilot.pause(0.5)
        sent_before = probe.count
        for _ in range(SLOW_PAGES):  # page up at a reading pace: drawing ahead has time
            _press("pageup")
            probe.press()
            await asyncio.sleep(SLOW_INTERVAL)
        await pilot.pause(0.3)
        slow = [
            (probe.painted[n] - probe.sent[n]) * 1000
            for n in range(sent_before + 1, probe.count + 1)
            if n in probe.painted
        ]
        result.update(
            idle_p50=pct(idle, 0.5),
            idle_p95=pct(idle, 0.95),
            paging_p50=pct(paging, 0.5),
            paging_p95=pct(paging, 0.95),
            slow_p50=pct(slow, 0.5),
            slow_p95=pct(slow, 0.95),
        )

        first = watch_for("MSG00000")
        began = time.monotonic()
        _press("end")  # from the bottom, like a user who just opened the thread
        await pilot.pause(0.3)
        began = time.monotonic()
        _press("home")
        while first() is None and time.monotonic() - began < 30:
            await asyncio.sleep(0.001)
        result["top"] = (first() or float("nan")) - began
        result["expanded_after"] = sum(
            entry.blocks is not None for entry in view.strip_layout.entries
        )
        app.exit()

    asyncio.run(app.run_async(size=SIZE, auto_pilot=scenario))
    result["rss"] = peak_rss_mb()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="one run")
    parser.add_argument("--runs", type=int, default=5, help="runs (default 5)")
    parser.add_argument("--count", type=int, default=2000, help="messages (default 2,000)")
    parser.add_argument(
        "--no-prefetch", action="store_true", help="compare: no drawing ahead while idle"
    )
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(int(args.child[0]), prefetch=args.child[1:] != ["off"])))
        return
    runs = 1 if args.quick else args.runs
    script = Path(__file__).resolve()
    results = [
        run_child(script, [str(args.count), "off" if args.no_prefetch else "on"])
        for _ in range(runs)
    ]
    print(f"  {json.dumps(results)}", file=sys.stderr)
    col = lambda key: [r[key] for r in results]  # noqa: E731
    ahead = "no drawing ahead" if args.no_prefetch else "drawing ahead while idle"
    print(f"\nOpening a {args.count:,}-message thread, {SIZE[0]}x{SIZE[1]}, {ahead};")
    print(f"median (min–max) of {runs} run(s)\n")
    rows = [
        ["last page on screen", summary([v * 1000 for v in col("open")]) + " ms", "< 500 ms"],
        ["peak RSS", summary(col("rss")) + " MB", "< 150 MB"],
        [
            "key painted p50 / p95, idle",
            summary(col("idle_p50")) + " / " + summary(col("idle_p95")) + " ms",
            "p95 < 50 ms",
        ],
        [
            "key painted p50 / p95, paging up",
            summary(col("paging_p50")) + " / " + summary(col("paging_p95")) + " ms",
            "p95 < 50 ms",
        ],
        [
            f"key painted p50 / p95, a page up every {SLOW_INTERVAL:g} s",
            summary(col("slow_p50")) + " / " + summary(col("slow_p95")) + " ms",
            "p95 < 50 ms",
        ],
        ["jump to top (Home)", summary([v * 1000 for v in col("top")]) + " ms", "< 300 ms"],
        ["messages drawn after opening", summary(col("expanded")), ""],
    ]
    print(table(["measure", "result", "target"], rows))


if __name__ == "__main__":
    main()
