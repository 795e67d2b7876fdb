"""The flags of ``bbot-tui script run`` and ``bbot-tui script from-thread``.

Apart from :mod:`bbot_tui.cli.script` because the main parser is built before the TUI's first
frame: this module imports nothing but :mod:`argparse`.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

__all__ = ["add_script_parser"]


def add_script_parser(sub: Any, connection: Callable[[argparse.ArgumentParser], None]) -> None:
    """Add ``script run`` and ``script from-thread`` to the ``bbot-tui`` subcommands.

    Args:
        sub: the subparsers action of the main parser (``add_subparsers()``).
        connection: adds ``--url``, ``--api-key`` and ``--profile`` to a parser.
    """
    script = sub.add_parser("script", help="play a demo script, or write one from a thread")
    actions = script.add_subparsers(dest="script_command", metavar="ACTION", required=True)
    run = actions.add_parser(
        "run",
        help="play a script on a new thread (--check: exit 1 when an expect fails)",
        description="Play a demo script headless on a new thread and print the conversation.",
        epilog=(
            "exit codes: 0 played (and, with --check, every expect held), 1 a check failed or "
            "the server failed, 2 bad script, tape or flag"
        ),
    )
    run.add_argument("file", metavar="FILE", help="the script (YAML)")
    connection(run)
    run.add_argument("--assistant", metavar="ID|GRAPH|NAME", help="instead of the script's")
    run.add_argument(
        "--check", action="store_true", help="stop at the first failed expect and exit 1"
    )
    run.add_argument("--record", metavar="TAPE", help="save every request and event per step")
    run.add_argument(
        "--tape", metavar="TAPE", help="replay steps from this tape when the server fails"
    )
    run.add_argument(
        "--no-pause",
        action="store_true",
        help="skip pause steps (--check and --json skip them too)",
    )
    run.add_argument("--json", action="store_true", help="one JSON object per line + summary")
    export = actions.add_parser("from-thread", help="write a script from an existing thread")
    export.add_argument("thread", metavar="THREAD")
    export.add_argument("-o", "--output", metavar="FILE", required=True, help="'-' for stdout")
    export.add_argument("--title", metavar="TEXT", help="the script's title")
    connection(export)
