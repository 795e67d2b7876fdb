"""``bbot-tui inbox``: every thread on the server that waits for a human, across assistants.

A table for people (thread, assistant, title, what is asked, how long it has waited), or with
``--json`` one JSON object per line and thread: ``thread_id``, ``assistant_id``, ``graph_id``,
``title``, ``interrupts`` (ids, values, namespaces), ``asks`` and ``waiting_since``. The threads
are read page by page with the thread search (:class:`bbot_tui.session.inbox.Inbox`), never one
by one.
"""

from __future__ import annotations

import argparse

from bbot_tui.cli.common import EXIT_OK, Output, UsageError, make_client, resolve_connection
from bbot_tui.cli.tables import format_table
from bbot_tui.session.inbox import Inbox, format_waited

__all__ = ["format_waited", "inbox_command"]

MAX_LIMIT = 10_000
"""The most threads ``--limit`` may ask for."""


async def inbox_command(args: argparse.Namespace, output: Output) -> int:
    """List the threads that wait for a human, newest first."""
    limit = args.limit if args.limit is not None else 100
    if not 1 <= limit <= MAX_LIMIT:
        raise UsageError(f"--limit: must be from 1 to {MAX_LIMIT}")
    conn = resolve_connection(args.url, args.api_key, args.profile, output)
    async with make_client(conn) as client:
        inbox = Inbox(client, limit=limit, page_size=min(limit, 100), max_pages=100)
        await inbox.refresh()
    if args.json:
        for item in inbox.items:
            output.json(item.to_json())
    else:
        rows = [
            (
                item.thread_id,
                item.graph_id or item.assistant_id,
                item.title,
                " | ".join(item.asks),
                format_waited(item.waited()),
            )
            for item in inbox.items
        ]
        if rows:
            output.line(
                format_table(
                    ("THREAD ID", "ASSISTANT", "TITLE", "ASKS", "WAITING"),
                    rows,
                    widths=(40, 30, 40, 80, 8),
                )
            )
        else:
            output.note("no thread waits for a human")
    if inbox.has_more:
        output.note(f"more threads wait: pass --limit {min(MAX_LIMIT, limit * 2)}")
    return EXIT_OK
