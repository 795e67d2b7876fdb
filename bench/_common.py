"""Shared helpers of the benchmarks: a driver that renders real frames, probes, statistics.

The benchmarks run the real :class:`~bbot_tui.tui.widgets.message_view.MessageView` in a Textual app
whose driver behaves like a terminal's: every frame is rendered to escape sequences (Textual
skips that for its headless test driver) and handed to :meth:`FrameDriver.write`, where the
time of each write is taken. A key is "painted" when a frame containing its visible effect has
been written; a token is "on screen" when a frame containing it has been written.

Every measurement runs in a fresh child process (peak RSS is per process); the parent takes
medians and min-max over several runs.
"""

from __future__ import annotations

import json
import os
import random
import re
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from textual import events
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.drivers.headless_driver import HeadlessDriver
from textual.widgets import Static

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from bbot_tui.api.events import StreamEvent  # noqa: E402
from bbot_tui.tui.resources import stylesheet  # noqa: E402
from bbot_tui.tui.widgets.message_view import MessageView  # noqa: E402

SIZE = (120, 40)
KEY_INTERVAL = 0.05


# --- the driver ----------------------------------------------------------------------------


class FrameDriver(HeadlessDriver):
    """A headless driver that is *not* headless to the app: frames are rendered and written.

    Writes go to the registered watchers (with the monotonic time of the write) and are then
    dropped.
    """

    watchers: list[Callable[[str, float], None]] = []
    instance: FrameDriver | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        FrameDriver.instance = self

    @property
    def is_headless(self) -> bool:
        """False: the app renders every frame to escape sequences as for a terminal."""
        return False

    def write(self, data: str) -> None:
        """Hand the frame to the watchers."""
        now = time.monotonic()
        for watcher in FrameDriver.watchers:
            watcher(data, now)


class KeyProbe:
    """Presses a key every :data:`KEY_INTERVAL` seconds and times it until painted.

    The app binds the key to :meth:`BenchApp.action_probe`, which updates a label with a
    counter; the key is painted when a frame containing the new counter text is written.
    """

    def __init__(self, app: App[Any]) -> None:
        self.app = app
        self.sent: dict[int, float] = {}
        self.handled: dict[int, float] = {}
        self.painted: dict[int, float] = {}
        self.count = 0
        self.handled_count = 0
        self.last_painted = 0
        self.running = False
        FrameDriver.watchers.append(self._on_write)

    def _on_write(self, data: str, now: float) -> None:
        marks = _MARK.findall(data)
        if not marks:
            return
        shown = max(int(mark) for mark in marks)
        for number in range(self.last_painted + 1, shown + 1):
            self.painted[number] = now
        self.last_painted = max(self.last_painted, shown)

    def press(self) -> None:
        """Inject one key through the driver (as the input thread of a terminal would)."""
        self.count += 1
        self.sent[self.count] = time.monotonic()
        driver = FrameDriver.instance
        assert driver is not None
        driver.process_message(events.Key("f9", None))

    async def run(self, stop: Callable[[], bool]) -> None:
        """Press keys until ``stop()`` says so."""
        import asyncio

        self.running = True
        next_at = time.monotonic()
        while not stop():
            next_at += KEY_INTERVAL
            self.press()
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
        self.running = False

    def latencies(self) -> tuple[list[float], list[float]]:
        """Key-to-handled and key-to-painted times in milliseconds."""
        handled = [(self.handled[n] - t) * 1000 for n, t in self.sent.items() if n in self.handled]
        painted = [(self.painted[n] - t) * 1000 for n, t in self.sent.items() if n in self.painted]
        return handled, painted


_MARK = re.compile(r"K(\d{6})")


def _mark(number: int) -> str:
    return f"K{number:06d}"


class BenchApp(App[None]):
    """A bare app around the real message view and a probe label."""

    CSS_PATH = [stylesheet("message_view.tcss")]
    CSS = "#probe { height: 1; dock: bottom; }"
    BINDINGS = [Binding("f9", "probe", priority=True)]

    def __init__(self) -> None:
        super().__init__(driver_class=FrameDriver)
        self.probe = KeyProbe(self)
        self.frames = 0
        FrameDriver.watchers.append(self._count)

    def _count(self, data: str, now: float) -> None:
        self.frames += 1

    def compose(self) -> ComposeResult:
        yield MessageView(id="message-view")
        yield Static(_mark(0), id="probe", markup=False)

    def action_probe(self) -> None:
        """Show the latest key number (its paint is what the probe waits for)."""
        probe = self.probe
        probe.handled_count += 1
        probe.handled[probe.handled_count] = time.monotonic()
        self.query_one("#probe", Static).update(_mark(probe.handled_count))


def watch_for(text: str) -> Callable[[], float | None]:
    """Start watching frames for ``text``; the returned function gives when it was painted."""
    seen: list[float] = []

    def watcher(data: str, now: float) -> None:
        if not seen and text in data:
            seen.append(now)

    FrameDriver.watchers.append(watcher)
    return lambda: seen[0] if seen else None


# --- inputs ----------------------------------------------------------------------------------

_TEXT = (
    "the stream view renders markdown blocks quickly while tokens arrive from the agent server"
    " and every finished block is frozen so only the growing tail is drawn again per frame"
)
_WORDS = _TEXT.split()


def make_answer(tokens: int, seed: int = 7, end_mark: str = "ENDOFANSWER") -> list[str]:
    """A Markdown answer of ``tokens`` tokens (headings, lists, tables, code), tokenized.

    Tokens are word pieces of 1-6 characters with their leading space, ~5 characters each,
    like a model's. The last token is ``end_mark``.
    """
    rng = random.Random(seed)
    out: list[str] = []

    def words(n: int) -> None:
        for i in range(n):
            word = rng.choice(_WORDS)
            if rng.random() < 0.08:
                word = f"**{word}**"
            elif rng.random() < 0.05:
                word = f"`{word}`"
            out.append((" " if i else "") + word)

    section = 0
    while len(out) < tokens - 1:
        section += 1
        out.append(f"## Section {section}\n\n")
        words(rng.randint(40, 90))
        out.append("\n\n")
        for item in range(rng.randint(2, 5)):
            out.append(f"- item {item} ")
            words(rng.randint(4, 12))
            out.append("\n")
        out.append("\n")
        if section % 2:
            out.append("```python\n")
            for line in range(rng.randint(6, 16)):
                out.extend(
                    ["def", f" f{line}", "(x", "):", " return", " x", " *", f" {line}", "\n"]
                )
            out.append("```\n\n")
        if section % 3 == 0:
            out.append("| name | value | note |\n|---|---|---|\n")
            for row in range(rng.randint(3, 6)):
                out.extend(["| ", f"row{row}", " | ", str(rng.randint(1, 999)), " | "])
                words(3)
                out.append(" |\n")
            out.append("\n")
        words(rng.randint(20, 50))
        out.append("\n\n")
    out = out[: tokens - 1]
    out.append(f"\n\n{end_mark}\n")
    return out


def tuple_events(tokens: Sequence[str], message_id: str = "run-msg-1") -> list[tuple[str, str]]:
    """The ``messages``-mode (messages-tuple) SSE events of a streamed answer, undecoded."""
    meta = {"langgraph_node": "agent", "langgraph_step": 1, "run_id": "run-1"}
    out = [("metadata", json.dumps({"run_id": "run-1", "attempt": 1}))]
    for token in tokens:
        chunk = {"type": "AIMessageChunk", "id": message_id, "content": token}
        out.append(("messages", json.dumps([chunk, meta])))
    last = {"type": "AIMessageChunk", "id": message_id, "content": "", "chunk_position": "last"}
    out.append(("messages", json.dumps([last, meta])))
    return out


def decode(raw: tuple[str, str]) -> StreamEvent:
    """Decode one recorded event as the SSE parser would."""
    return StreamEvent.from_sse(raw[0], raw[1], None)


# --- statistics and processes --------------------------------------------------------------


def peak_rss_mb() -> float:
    """Peak resident set size of this process in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def pct(values: Sequence[float], q: float) -> float:
    """The ``q`` quantile (0-1) of ``values`` (nearest rank); NaN when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def run_child(script: Path, args: Sequence[str], timeout: float = 300) -> dict[str, Any]:
    """Run ``script --child ARGS`` in a fresh interpreter; return the JSON it prints last."""
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    proc = subprocess.run(
        [sys.executable, str(script), "--child", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"child failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def summary(values: Sequence[float], fmt: str = "{:.0f}") -> str:
    """``median (min–max)`` of a list of numbers."""
    clean = [v for v in values if v == v]  # drop NaN
    if not clean:
        return "n/a"
    median = statistics.median(clean)
    if len(clean) == 1:
        return fmt.format(median)
    return f"{fmt.format(median)} ({fmt.format(min(clean))}–{fmt.format(max(clean))})"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A Markdown table."""
    out = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    out += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(out)
