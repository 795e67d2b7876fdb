"""``bbot-tui bundle THREAD [-o FILE.zip]``: one zip to attach to a bug report.

What goes in, and what cannot, is decided by :mod:`bbot_tui.session.bundle`; this module
resolves the connection, writes the zip (readable by its owner only) and says where it is.
A thread that cannot be read still gives a bundle (the server's ``/info``, the client's versions
and the error), and the command then exits 1.
"""

from __future__ import annotations

import argparse
import asyncio

from bbot_tui.cli.common import (
    EXIT_ERROR,
    EXIT_OK,
    Output,
    make_client,
    resolve_connection,
)
from bbot_tui.cli.export import write_private
from bbot_tui.config.security import registered_secrets
from bbot_tui.config.settings import load_settings
from bbot_tui.session.bundle import collect_bundle, default_name
from bbot_tui.text import one_line

__all__ = ["bundle_command"]


async def bundle_command(args: argparse.Namespace, output: Output) -> int:
    """Collect the bundle of a thread and write it to ``-o`` (default: a dated name here)."""
    conn = resolve_connection(args.url, args.api_key, args.profile, output)
    settings = (await asyncio.to_thread(load_settings)).settings
    async with make_client(conn) as client:
        bundle = await collect_bundle(
            client,
            args.thread,
            connection=conn,
            settings=settings,
            secrets=registered_secrets(),
        )
    target = write_private(args.output or default_name(args.thread), bundle.to_zip())
    for problem in bundle.problems:
        output.note(f"note: {one_line(problem, 300)}")
    output.line(f"bundle written to {one_line(str(target), 300)} ({len(bundle.members)} files)")
    return EXIT_OK if bundle.thread_read else EXIT_ERROR
