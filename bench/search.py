"""Benchmark: search in a 2,000-message thread (ctrl+f in the real message view).

The thread of ``bench/thread.py`` (2,000 messages of Markdown with code) is shown in the real
``MessageView`` under the real ``SearchBar`` in a 120x40 app whose frames are rendered as for a
terminal. Measures:

* time to first highlight: from typing the last key of a query whose first match is far above
  the viewport, until a frame shows that match (the pause, search the text, jump, draw);
* key-to-paint p50/p95 while searching: a query typed a key every 50 ms (the bar searches once
  the keys pause for ``SearchBar``'s ``SETTLE``; each search reads the whole thread's text),
  then ``enter`` / ``shift+enter`` through the matches, with a probe key right behind each;
* how many messages were drawn (the search reads text; it draws only what is shown).

Usage: ``.venv/bin/python bench/search.py [--quick] [--runs N] [--count N]``.
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
from textual import events, on
from textual.app import ComposeResult
from thread import thread_state

from bbot_tui.api.events import decode_data
from bbot_tui.stream.reducer import Reducer
from bbot_tui.stream.transcript import Transcript
from bbot_tui.tui.widgets.message_view import MessageView
from bbot_tui.tui.widgets.search_bar import SearchBar


class SearchApp(BenchApp):
    """The bench app with the search bar above the view, routed as the main screen does."""

    def compose(self) -> ComposeResult:
        yield SearchBar(id="search-bar")
        yield from super().compose()

    @on(SearchBar.QueryChanged)
    def _query(self, message: SearchBar.QueryChanged) -> None:
        bar = self.query_one(SearchBar)
        bar.count = self.query_one(MessageView).search(message.query)

    @on(SearchBar.StepRequested)
    def _step(self, message: SearchBar.StepRequested) -> None:
        self.query_one(MessageView).action_search_step(message.delta)

    def on_message_view_search_moved(self, message: MessageView.SearchMoved) -> None:
        self.query_one(SearchBar).count = (message.current, message.total)


def _key(key: str, character: str | None = None) -> None:
    driver = FrameDriver.instance
    assert driver is not None
    driver.process_message(events.Key(key, character))


def _type(text: str) -> None:
    for char in text:
        _key(char if char.isalnum() else {"_": "underscore", " ": "space"}[char], char)


def child(count: int) -> dict[str, Any]:
    """One run: open the thread, search far up, then type and step while probing keys."""
    app = SearchApp()
    body = thread_state(count)
    result: dict[str, Any] = {}

    async def scenario(pilot: Any) -> None:
        await pilot.pause(0.3)
        view = app.query_one(MessageView)
        state, _ = decode_data(body)
        transcript = Transcript()
        Reducer(transcript).load_messages(state["values"]["messages"])
        view.transcript = transcript
        last = watch_for(f"MSG{count - 1:05d}")
        while last() is None:
            await asyncio.sleep(0.005)
        await pilot.pause(0.5)
        bar = app.query_one(SearchBar)
        bar.open()
        await pilot.pause(0.2)

        # "helper 21" is only in messages 21 and 201-219, far above the bottom: the current
        # match is the last one above the viewport, message 219
        target = "MSG00219"
        _type("helper 2")
        await pilot.pause(0.3)
        shown = watch_for(target)
        began = time.monotonic()
        _type("1")
        while shown() is None and time.monotonic() - began < 10:
            await asyncio.sleep(0.001)
        result["first"] = (shown() or float("nan")) - began
        result["matches"] = bar.count[1]
        await pilot.pause(0.3)
        for _ in range(3):  # back to "helper"
            _key("backspace")
        await pilot.pause(0.3)

        probe = app.probe
        sent_before = probe.count
        for char in "_199":  # typing: each key searches the whole thread again
            _type(char)
            probe.press()
            await asyncio.sleep(KEY_INTERVAL)
        for step in ["enter"] * 10 + ["shift+enter"] * 5:  # through the matches
            _key(step)
            probe.press()
            await asyncio.sleep(KEY_INTERVAL)
        await pilot.pause(0.3)
        keys = [
            (probe.painted[n] - probe.sent[n]) * 1000
            for n in range(sent_before + 1, probe.count + 1)
            if n in probe.painted
        ]
        result.update(
            key_p50=pct(keys, 0.5),
            key_p95=pct(keys, 0.95),
            keys=len(keys),
            all_keys=[round(k) for k in keys],
            final_matches=bar.count[1],
            drawn=sum(entry.blocks is not None for entry in view.strip_layout.entries),
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
    parser.add_argument("--child", nargs=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(int(args.child[0]))))
        return
    runs = 1 if args.quick else args.runs
    script = Path(__file__).resolve()
    results = [run_child(script, [str(args.count)]) for _ in range(runs)]
    print(f"  {json.dumps(results)}", file=sys.stderr)
    col = lambda key: [r[key] for r in results]  # noqa: E731
    print(f"\nSearching a {args.count:,}-message thread, {SIZE[0]}x{SIZE[1]};")
    print(f"median (min–max) of {runs} run(s)\n")
    rows = [
        ["time to first highlight", summary([v * 1000 for v in col("first")]) + " ms", "< 200 ms"],
        [
            "key painted p50 / p95 while searching",
            summary(col("key_p50")) + " / " + summary(col("key_p95")) + " ms",
            "p95 < 50 ms",
        ],
        [
            "matches of 'helper 21' / 'helper_19'",
            f"{col('matches')[0]} / {col('final_matches')[0]}",
            "",
        ],
        ["messages drawn (of the thread)", summary(col("drawn")), ""],
        ["peak RSS", summary(col("rss")) + " MB", ""],
    ]
    print(table(["measure", "result", "target"], rows))


if __name__ == "__main__":
    main()
