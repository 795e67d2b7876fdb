"""Profile bbot-tui (or the bare Textual app) from process start to its first frame.

Runs the app in this process under :mod:`cProfile`, in a real terminal, and stops the profiler
when the first frame has been written: once ``--rows`` distinct rows have been addressed by
``ESC[row;colH`` after the alternate screen was entered (the test of ``bench/startup.py``). The
driver's ``write`` is wrapped to see the output; the app is then told to exit.

It needs a terminal, so run it in a pseudo-terminal of the benchmark's size::

    stty cols 120 rows 40; script -qc ".venv/bin/python bench/startup_profile.py -o /tmp/ff.prof" \\
        /dev/null
    .venv/bin/python -c "import pstats; pstats.Stats('/tmp/ff.prof').sort_stats('cumtime')\\
        .print_stats(40)"

With ``--bare`` it profiles the bare Textual app of ``bench/startup.py`` instead; with
``--wall`` it only measures the time to the first frame (no profiler); ``--log FILE`` appends
that time (ms, from the start of this script) to ``FILE``.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import re
import time

_START = time.perf_counter()
_MOVE = re.compile(r"\x1b\[(\d+);\d+H")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-o", "--output", default="/tmp/bbot-first-frame.prof")
    parser.add_argument("--rows", type=int, default=30, help="distinct rows for a frame (30)")
    parser.add_argument("--bare", action="store_true", help="the bare Textual app instead")
    parser.add_argument("--wall", action="store_true", help="no profiler: print the time only")
    parser.add_argument("--log", help="append the time to the first frame (ms) to this file")
    args = parser.parse_args()

    if not args.bare:  # as the launcher does, before Textual is imported
        from bbot_tui.tui.startup import pause_collector

        pause_collector()
    profiler = cProfile.Profile()
    if not args.wall:
        profiler.enable()

    from textual.drivers.linux_driver import LinuxDriver

    rows: set[int] = set()
    state = {"alt": False, "done": False}
    original = LinuxDriver.write

    def write(self: LinuxDriver, data: str) -> None:
        original(self, data)
        if state["done"]:
            return
        if "\x1b[?1049h" in data:
            state["alt"] = True
        if state["alt"]:
            rows.update(int(m) for m in _MOVE.findall(data))
            if len(rows) >= args.rows:
                state["done"] = True
                profiler.disable()
                elapsed = time.perf_counter() - _START
                if not args.wall:
                    profiler.dump_stats(args.output)
                if args.log:
                    with open(args.log, "a") as log:
                        print(f"{elapsed * 1000:.0f}", file=log)
                os.environ["BBOT_FIRST_FRAME_MS"] = f"{elapsed * 1000:.0f}"
                app = self._app
                app.call_later(app.exit)

    LinuxDriver.write = write  # type: ignore[method-assign]

    if args.bare:
        from textual.app import App, ComposeResult
        from textual.widgets import Footer, Header, Input

        class Bare(App[None]):
            def compose(self) -> ComposeResult:
                yield Header()
                yield Input(placeholder="type here")
                yield Footer()

        Bare().run()
    else:
        from bbot_tui.cli.main import main as cli_main

        cli_main(["--url", "http://127.0.0.1:9"])
    print(f"first frame: {os.environ.get('BBOT_FIRST_FRAME_MS', '?')} ms")


if __name__ == "__main__":
    main()
