"""The flags of ``bbot-tui compare``.

Apart from :mod:`bbot_tui.cli.compare` because the main parser is built before the TUI's first
frame: this module imports nothing but :mod:`argparse`.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

__all__ = ["add_compare_parser"]

_EXAMPLES = """\
examples:
  bbot-tui compare --assistant agent --assistant chat --message "weather in Paris?"
  bbot-tui compare --assistant agent --options-a '{"recursion_limit": 5}' \\
      --options-b '{"configurable": {"model": "big"}}' --message hi --json

exit codes: 0 both finished, 1 a side failed, 2 bad usage (nothing sent),
            3 a side stopped at an interrupt, 130 Ctrl+C (both runs are cancelled)
"""


def add_compare_parser(sub: Any, connection: Callable[[argparse.ArgumentParser], None]) -> None:
    """Add ``compare`` to the ``bbot-tui`` subcommands.

    Args:
        sub: the subparsers action of the main parser (``add_subparsers()``).
        connection: adds ``--url``, ``--api-key`` and ``--profile`` to a parser.
    """
    p = sub.add_parser(
        "compare",
        help="the same message to two assistants at once, then the diff",
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    connection(p)
    p.add_argument(
        "--assistant",
        action="append",
        metavar="ID|GRAPH|NAME",
        help="twice: the two assistants; once: one assistant with --options-a/--options-b",
    )
    p.add_argument("--message", metavar="TEXT", help="the message both sides are sent")
    p.add_argument("--options-a", metavar="JSON|NAME", help="side A's run options")
    p.add_argument("--options-b", metavar="JSON|NAME", help="side B's run options")
    p.add_argument("--json", action="store_true", help="one JSON object: both sides and the diff")
