"""Benchmark: process start to first frame and to idle, in a real pseudo-terminal.

Each command runs in a fresh 120x40 pty (``TERM=xterm-256color``) and its output is read as a
terminal would. **First frame**: the first time the output has drawn most of the screen's rows
(at least 3/4 of them addressed by cursor moves after the alternate screen was entered).
**Idle**: the end of the last write of more than 256 bytes (a cursor blink writes less) before
1.5 s without one. Median of 10 runs each, min–max beside it.

Measured: ``bbot-tui`` against no server (``--url`` pointing at a closed port, an empty home
folder), a bare Textual app (the floor) and, when it can be installed into a temporary venv,
another Textual client (``posting``) beside it.

Usage: ``.venv/bin/python bench/startup.py [--quick] [--runs N] [--reference PATH]``.
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
QUIET = 1.5
BIG_WRITE = 256
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
    first = float("nan")
    last_big = start
    try:
        while time.monotonic() - start < limit:
            ready, _, _ = select.select([master], [], [], 0.05)
            now = time.monotonic()
            if not ready:
                if first == first and now - last_big > QUIET:
                    break
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
            if len(data) > BIG_WRITE:
                last_big = now
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        os.close(master)
    return first, last_big - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="3 runs each")
    parser.add_argument("--runs", type=int, default=10, help="runs per command (default 10)")
    parser.add_argument(
        "--reference",
        default="/tmp/bbot-bench-ref/bin/posting",
        help="another Textual client to measure beside (default: posting in /tmp/bbot-bench-ref;"
        " install with: python3 -m venv /tmp/bbot-bench-ref && "
        "/tmp/bbot-bench-ref/bin/pip install posting)",
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
        if Path(args.reference).exists():
            commands.append((f"{Path(args.reference).name} (reference client)", [args.reference]))
        else:
            print(f"(no reference client at {args.reference}; see --help)", file=sys.stderr)
        rows = []
        for label, command in commands:
            firsts, idles = [], []
            for _ in range(runs):
                first, idle = measure(command, env)
                firsts.append(first * 1000)
                idles.append(idle * 1000)
            print(f"  {label}: first {firsts} idle {idles}", file=sys.stderr)
            rows.append([label, summary(firsts) + " ms", summary(idles) + " ms"])
    print(f"\nStart to first frame and to idle, {COLS}x{ROWS} pty; median (min–max) of {runs}\n")
    print(table(["command", "first frame", "idle"], rows))
    print("\ntarget: bbot-tui first frame < 400 ms")


if __name__ == "__main__":
    main()
