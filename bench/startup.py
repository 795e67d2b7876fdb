"""Benchmark: process start to first frame and to idle, in a real pseudo-terminal.

Each command runs in a fresh 120x40 pty (``TERM=xterm-256color``) and its output is read as a
terminal would. **First frame**: the first time the output has drawn most of the screen's rows
(at least 3/4 of them addressed by cursor moves after the alternate screen was entered).
**Idle**: from when on the process uses under 5 % of a core for a whole second (a blinking
cursor costs ~1 %), sampled from ``/proc`` every 50 ms. Median of
10 runs each, min–max beside it.

Measured: ``bbot-tui`` against no server (``--url`` pointing at a closed port, an empty home
folder), a bare Textual app (the floor) and another Textual client beside it when it is installed
in a separate venv (default: elia, ``python3 -m venv /tmp/bbot-bench-elia &&
/tmp/bbot-bench-elia/bin/pip install elia-chat``; ``posting`` 2.11 segfaulted here in
tree-sitter before its first frame). One untimed warm-up run each (file cache, first-run
files), then the commands take turns so that a load spike hits them alike.

With ``--src DIR`` another source tree's ``bbot-tui`` (``DIR/src``, e.g. a checkout of an older
commit) is measured beside, the same way, to compare two versions in one run.

The machine may be shared: compare ratios measured in the same run, never times from two runs.
Besides the ratio of the medians, the median of the per-round ratios is printed (each round runs
every command once, back to back, so a load that comes and goes hits both sides of one ratio).

Usage: ``.venv/bin/python bench/startup.py [--quick] [--runs N] [--reference PATH ...]
[--src DIR]``.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
import pty
import re
import select
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import ROOT, summary, table

COLS, ROWS = 120, 40
QUIET = 1.0
"""Idle: from then on, this long with CPU use under :data:`IDLE_CPU`."""
IDLE_CPU = 0.05
"""A blinking cursor costs ~1 % of a core; loading, connecting and drawing cost far more."""
SAMPLE = 0.05
_TICKS = os.sysconf("SC_CLK_TCK")
REFERENCE = "/tmp/bbot-bench-elia/bin/elia"
INSTALL_REFERENCE = (
    "python3 -m venv /tmp/bbot-bench-elia && /tmp/bbot-bench-elia/bin/pip install elia-chat"
)
_MOVE = re.compile(rb"\x1b\[(\d+);\d+H")

BARE_APP = """
from textual.app import App
from textual.widgets import Footer, Header, Input
class Bare(App):
    def compose(self):
        yield Header()
        yield Input(placeholder="type here")
        yield Footer()
Bare().run()
"""


def _cpu_seconds(pid: int) -> float:
    """CPU time (user + system) used so far by process ``pid`` and its waited-for children."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            fields = handle.read().rsplit(b")", 1)[1].split()
    except OSError:
        return float("nan")
    return sum(int(value) for value in fields[11:15]) / _TICKS


def measure(command: list[str], env: dict[str, str], limit: float = 15.0) -> tuple[float, float]:
    """Run ``command`` in a pty; return (seconds to first frame, seconds to idle)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
    start = time.monotonic()
    proc = subprocess.Popen(
        command,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        start_new_session=True,
        cwd=env.get("HOME", "/tmp"),
    )
    os.close(slave)
    rows: set[int] = set()
    seen_alt = False
    first = idle = float("nan")
    samples: list[tuple[float, float]] = []  # (time, CPU seconds)
    try:
        while time.monotonic() - start < limit:
            ready, _, _ = select.select([master], [], [], SAMPLE)
            now = time.monotonic()
            if not samples or now - samples[-1][0] >= SAMPLE:
                samples.append((now, _cpu_seconds(proc.pid)))
                idle = _idle_since(samples, first + start)
                if idle == idle:
                    break
            if not ready:
                continue
            try:
                data = os.read(master, 65536)
            except OSError:
                break
            if not data:
                break
            if b"\x1b[6n" in data or b"\x1b[c" in data:  # answer terminal queries
                os.write(master, b"\x1b[1;1R")
            if not seen_alt and b"\x1b[?1049h" in data:
                seen_alt = True
            if seen_alt and first != first:
                rows.update(int(m) for m in _MOVE.findall(data))
                if len(rows) >= ROWS * 3 // 4:
                    first = now - start
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        os.close(master)
    return first, idle - start


def _idle_since(samples: list[tuple[float, float]], first_frame: float) -> float:
    """The first sample after the first frame that begins :data:`QUIET` s of near-zero CPU use.

    NaN while there is none yet (or before the first frame).
    """
    if first_frame != first_frame:
        return float("nan")
    end_time = samples[-1][0]
    for at, cpu in samples:
        if at < first_frame - SAMPLE:
            continue
        if end_time - at < QUIET:
            break
        # CPU used between this sample and the one QUIET s later
        later = next(c for t, c in samples if t >= at + QUIET)
        if later - cpu <= QUIET * IDLE_CPU:
            return max(at, first_frame)
    return float("nan")


_OTHER_TREE = "import sys; from bbot_tui.cli.main import main; sys.exit(main(sys.argv[1:]))"
"""Runs the ``bbot-tui`` of the source tree on ``PYTHONPATH`` (``--src``)."""


def _round_ratio(ours: list[float], bare: list[float]) -> float:
    """The median of the ratios of the rounds (one run of each command, back to back)."""
    return statistics.median(a / b for a, b in zip(ours, bare, strict=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="3 runs each")
    parser.add_argument("--runs", type=int, default=10, help="runs per command (default 10)")
    parser.add_argument(
        "--reference",
        nargs="*",
        default=[REFERENCE],
        help=f"other Textual clients to measure beside (default: {REFERENCE}; install with: "
        f"{INSTALL_REFERENCE})",
    )
    parser.add_argument(
        "--src",
        metavar="DIR",
        help="also measure the bbot-tui of another source tree (DIR/src), e.g. an older commit",
    )
    args = parser.parse_args()
    runs = 3 if args.quick else args.runs
    python = sys.executable
    with tempfile.TemporaryDirectory() as home:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": home,
            "TERM": "xterm-256color",
            "COLORTERM": "truecolor",
            "LANG": "C.UTF-8",
            "BBOT_TUI_HOME": str(Path(home) / "bbot"),
            "XDG_CONFIG_HOME": str(Path(home) / "config"),
            "XDG_DATA_HOME": str(Path(home) / "data"),
        }
        bare = Path(home) / "bare.py"
        bare.write_text(BARE_APP)
        commands = [
            (
                "bbot-tui (no server)",
                [str(ROOT / ".venv/bin/bbot-tui"), "--url", "http://127.0.0.1:9"],
            ),
            ("bare Textual app (Header, Input, Footer)", [python, str(bare)]),
        ]
        envs: dict[str, dict[str, str]] = {}
        if args.src:
            label = f"bbot-tui of {args.src}"
            commands.append((label, [python, "-c", _OTHER_TREE, "--url", "http://127.0.0.1:9"]))
            envs[label] = {"PYTHONPATH": str(Path(args.src).resolve() / "src")}
        missing = []
        for reference in args.reference:
            if Path(reference).exists():
                commands.append((f"{Path(reference).name} (another Textual client)", [reference]))
            else:
                missing.append(reference)
        for label, command in commands:
            measure(command, {**env, **envs.get(label, {})})  # warm-up, not counted
        firsts: dict[str, list[float]] = {label: [] for label, _ in commands}
        idles: dict[str, list[float]] = {label: [] for label, _ in commands}
        for _ in range(runs):
            for label, command in commands:
                first, idle = measure(command, {**env, **envs.get(label, {})})
                firsts[label].append(first * 1000)
                idles[label].append(idle * 1000)
        rows = []
        for index, (label, _) in enumerate(commands):
            print(f"  {label}: first {firsts[label]} idle {idles[label]}", file=sys.stderr)
            target = "<= 1.3x the bare app" if index == 0 else ""
            rows.append(
                [label, summary(firsts[label]) + " ms", target, summary(idles[label]) + " ms"]
            )
    print(f"\nStart to first frame and to idle, {COLS}x{ROWS} pty; median (min–max) of {runs}\n")
    print(table(["command", "first frame", "target", "idle"], rows))
    ours, bare_label = commands[0][0], commands[1][0]
    ratio = statistics.median(firsts[ours]) / statistics.median(firsts[bare_label])
    print(f"\nfirst-frame ratio, bbot-tui / bare Textual app (medians, same run): {ratio:.2f}x")
    print(f"median of the per-round ratios: {_round_ratio(firsts[ours], firsts[bare_label]):.2f}x")
    print("target: at most 1.30x")
    for other in envs:
        median = statistics.median(firsts[other]) / statistics.median(firsts[bare_label])
        per_round = _round_ratio(firsts[other], firsts[bare_label])
        print(f"{other} / bare: {median:.2f}x (per round {per_round:.2f}x)")
    for reference in missing:
        print(f"\n{reference} is not installed, so only the bare Textual app is measured beside.")
        if reference == REFERENCE:
            print(f"To measure elia beside bbot-tui: {INSTALL_REFERENCE}")


if __name__ == "__main__":
    main()
