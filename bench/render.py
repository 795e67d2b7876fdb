"""Benchmark: stream a 20,000-token Markdown answer into the real message view.

Drives the real ``MessageView`` + ``Transcript`` + ``Reducer`` in a Textual app at 120x40 whose
driver renders every frame to escape sequences (see ``_common.FrameDriver``). The answer is a
recorded messages-tuple event stream (``_common.make_answer``/``tuple_events``), decoded and
applied as the session would, at 1,000 tokens/s and at full speed, while a key is pressed every
50 ms. Reports tokens/s on screen (until a frame showing the answer's last token is written),
total time, key-to-handled and key-to-painted p50/p95, frames written and peak RSS; and the
peak RSS after streaming ten answers into one thread.

With ``--src DIR`` another source tree (e.g. a ``git worktree`` of an older commit) is measured
in the same run by its own ``DIR/bench/render.py`` (the streaming scenarios and the floor; the
ten answers only here): the two take turns run by run, so that a load on a shared machine hits
both alike.

Usage: ``.venv/bin/python bench/render.py [--quick] [--runs N] [--src DIR]``.
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
    SIZE,
    BenchApp,
    decode,
    make_answer,
    pct,
    peak_rss_mb,
    run_child,
    summary,
    table,
    tuple_events,
    watch_for,
)

from bbot_tui.stream.reducer import Reducer
from bbot_tui.stream.transcript import Transcript
from bbot_tui.tui.widgets.message_view import MessageView

FULL_BATCH = 256
"""Events applied between two yields to the event loop at full speed."""


async def _stream(
    app: BenchApp, reducer: Reducer, raw: list[tuple[str, str]], rate: float | None, mark: str
) -> tuple[float, float]:
    """Apply the events (paced at ``rate`` per second, or as fast as possible).

    Returns:
        The start time and when the frame showing ``mark`` was written.
    """
    painted = watch_for(mark)
    reducer.begin_run()
    start = time.monotonic()
    position, total = 0, len(raw)
    while position < total:
        if rate is None:
            target = min(total, position + FULL_BATCH)
        else:
            target = min(total, int((time.monotonic() - start) * rate) + 1)
        while position < target:
            reducer.apply(decode(raw[position]))
            position += 1
        await asyncio.sleep(0 if rate is None else 0.005)
    reducer.end_run(time.monotonic())
    while painted() is None and time.monotonic() - start < 600:
        await asyncio.sleep(0.002)
    end = painted()
    return start, end if end is not None else float("nan")


def child_stream(rate: float | None, tokens: int) -> dict[str, Any]:
    """One streaming run (in this process)."""
    app = BenchApp()
    mark = "ENDOFANSWER"
    raw = tuple_events(make_answer(tokens, end_mark=mark))
    result: dict[str, Any] = {}

    async def scenario(pilot: Any) -> None:
        await pilot.pause(0.3)
        view = app.query_one(MessageView)
        view.focus()
        transcript = Transcript()
        transcript.add_user_message("Please write a long answer.")
        view.transcript = transcript
        await pilot.pause(0.2)
        done = False
        probe = asyncio.create_task(app.probe.run(lambda: done))
        start, end = await _stream(app, Reducer(transcript), raw, rate, mark)
        done = True
        await probe
        await pilot.pause(0.2)
        handled, painted = app.probe.latencies()
        result.update(
            tokens=tokens,
            total=end - start,
            tps=tokens / (end - start),
            handled_p50=pct(handled, 0.5),
            handled_p95=pct(handled, 0.95),
            painted_p50=pct(painted, 0.5),
            painted_p95=pct(painted, 0.95),
            keys=len(app.probe.sent),
            keys_painted=len(painted),
            frames=app.frames,
        )
        app.exit()

    asyncio.run(app.run_async(size=SIZE, auto_pilot=scenario))
    result["rss"] = peak_rss_mb()
    return result


def child_floor(tokens: int, seconds: float = 3.0) -> dict[str, Any]:
    """The floor: the same answer already shown (nothing streams), keys for ``seconds``."""
    app = BenchApp()
    raw = tuple_events(make_answer(tokens))
    result: dict[str, Any] = {}

    async def scenario(pilot: Any) -> None:
        await pilot.pause(0.3)
        view = app.query_one(MessageView)
        view.focus()
        transcript = Transcript()
        transcript.add_user_message("Please write a long answer.")
        reducer = Reducer(transcript)
        reducer.begin_run()
        for event in raw:
            reducer.apply(decode(event))
        reducer.end_run(time.monotonic())
        view.transcript = transcript
        await pilot.pause(0.5)
        stop_at = time.monotonic() + seconds
        await app.probe.run(lambda: time.monotonic() > stop_at)
        await pilot.pause(0.2)
        handled, painted = app.probe.latencies()
        result.update(
            handled_p50=pct(handled, 0.5),
            handled_p95=pct(handled, 0.95),
            painted_p50=pct(painted, 0.5),
            painted_p95=pct(painted, 0.95),
            keys=len(app.probe.sent),
            frames=app.frames,
        )
        app.exit()

    asyncio.run(app.run_async(size=SIZE, auto_pilot=scenario))
    result["rss"] = peak_rss_mb()
    return result


def child_ten(tokens: int, answers: int) -> dict[str, Any]:
    """Stream ``answers`` answers at full speed into one thread; report peak RSS."""
    app = BenchApp()
    result: dict[str, Any] = {}

    async def scenario(pilot: Any) -> None:
        await pilot.pause(0.3)
        view = app.query_one(MessageView)
        transcript = Transcript()
        view.transcript = transcript
        reducer = Reducer(transcript)
        began = time.monotonic()
        for number in range(answers):
            transcript.add_user_message(f"Question {number}")
            mark = f"ENDOFANSWER{number:02d}"
            raw = tuple_events(make_answer(tokens, seed=number, end_mark=mark), f"msg-{number}")
            await _stream(app, reducer, raw, None, mark)
        result.update(answers=answers, tokens=tokens, total=time.monotonic() - began)
        result["lines"] = view.virtual_size.height
        app.exit()

    asyncio.run(app.run_async(size=SIZE, auto_pilot=scenario))
    result["rss"] = peak_rss_mb()
    return result


def _row(label: str, target: str, results: list[dict[str, Any]]) -> list[str]:
    """One row of the table: medians (min–max) of a scenario's runs."""

    def col(key: str) -> list[float]:
        return [r[key] for r in results if key in r]

    return [
        label,
        summary(col("tps")) if col("tps") else "–",
        summary(col("total"), "{:.2f}") if col("total") else "–",
        summary(col("handled_p50")) + " / " + summary(col("handled_p95")),
        summary(col("painted_p50")) + " / " + summary(col("painted_p95")),
        summary(col("rss")),
        target,
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="5,000 tokens, one run each")
    parser.add_argument("--runs", type=int, default=3, help="runs per scenario (default 3)")
    parser.add_argument(
        "--src", help="also measure another source tree (DIR/bench/render.py), runs alternating"
    )
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        if kind == "stream":
            rate = None if rest[0] == "full" else float(rest[0])
            print(json.dumps(child_stream(rate, int(rest[1]))))
        elif kind == "floor":
            print(json.dumps(child_floor(int(rest[0]))))
        else:
            print(json.dumps(child_ten(int(rest[0]), int(rest[1]))))
        return
    tokens = 5_000 if args.quick else 20_000
    runs = 1 if args.quick else args.runs
    script = Path(__file__).resolve()
    rows = []
    scenarios = (
        (
            "1,000 tokens/s",
            ["stream", "1000", str(tokens)],
            f"done ≤ {tokens / 1000 * 1.1:.1f} s, p95 < 50",
        ),
        ("full speed", ["stream", "full", str(tokens)], "≥ 10,000 tok/s"),
        ("nothing streams (the floor)", ["floor", str(tokens)], "–"),
    )
    trees = {"": script}
    if args.src:
        trees[f" ({args.src})"] = Path(args.src).resolve() / "bench" / "render.py"
    for scenario, child_args, target in scenarios:
        by_tree: dict[str, list[dict[str, Any]]] = {tree: [] for tree in trees}
        for _ in range(runs):
            for tree, tree_script in trees.items():
                by_tree[tree].append(run_child(tree_script, child_args))
        for tree, results in by_tree.items():
            label = scenario + tree
            rows.append(_row(label, target, results))
            print(f"  {label}: {json.dumps(results)}", file=sys.stderr)
    print(
        f"\nStreaming a {tokens:,}-token Markdown answer into the real MessageView, "
        f"{SIZE[0]}x{SIZE[1]}, frames rendered, a key every 50 ms;"
    )
    print(f"median (min–max) of {runs} run(s) (a fresh process each)\n")
    print(
        table(
            [
                "input",
                "tokens/s on screen",
                "total s",
                "key handled p50 / p95 ms",
                "key painted p50 / p95 ms",
                "peak RSS MB",
                "target",
            ],
            rows,
        )
    )
    answers = 3 if args.quick else 10
    ten = [run_child(script, ["ten", str(tokens), str(answers)]) for _ in range(runs)]
    print(f"  ten: {json.dumps(ten)}", file=sys.stderr)
    one = next(row for row in rows if row[0] == "full speed")[5]
    print(
        f"\n{answers} answers of {tokens:,} tokens streamed (full speed) into one thread: "
        f"peak RSS {summary([r['rss'] for r in ten])} MB (one answer: {one} MB), "
        f"{summary([r['total'] for r in ten], '{:.1f}')} s in all"
    )


if __name__ == "__main__":
    main()
