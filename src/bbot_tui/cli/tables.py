"""``bbot-tui assistants``, ``threads``, ``state`` and ``history``: tables for people, JSON for
scripts.

Tables are plain aligned columns (no box drawing, no colour) so they read well in a pipe too;
every server string is made one-line and terminal-safe first. ``--json`` prints one JSON
document: an array for the lists, an object for ``state``.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from typing import Any

from bbot_tui.cli.common import (
    EXIT_OK,
    UUID_RE,
    Output,
    UsageError,
    make_client,
    resolve_connection,
    search_assistants,
)
from bbot_tui.cli.printer import format_interrupt
from bbot_tui.stream.statediff import checkpoint_id_of, checkpoint_rows, ran_label
from bbot_tui.stream.transcript import PendingInterrupt, content_text, role_of
from bbot_tui.text import one_line, sanitize_json_for_display

__all__ = [
    "assistants_command",
    "format_table",
    "history_command",
    "state_command",
    "threads_command",
]

_MAX_LIST = 1000


def format_table(
    headers: Sequence[str], rows: Sequence[Sequence[Any]], *, widths: Sequence[int] | None = None
) -> str:
    """Plain aligned columns; cells made one-line, safe, and cut to ``widths``."""
    limits = list(widths or [60] * len(headers))
    cells = [
        [one_line("" if c is None else str(c), limits[i]) for i, c in enumerate(row)]
        for row in rows
    ]
    sizes = [len(h) for h in headers]
    for row in cells:
        for i, cell in enumerate(row):
            sizes[i] = max(sizes[i], len(cell))
    lines = ["  ".join(h.ljust(sizes[i]) for i, h in enumerate(headers)).rstrip()]
    lines += ["  ".join(c.ljust(sizes[i]) for i, c in enumerate(row)).rstrip() for row in cells]
    return "\n".join(lines)


def _dump(output: Output, value: Any) -> None:
    output.json(value)


def _short_time(value: str | None) -> str:
    return (value or "")[:19].replace("T", " ")


async def assistants_command(args: argparse.Namespace, output: Output) -> int:
    """List the assistants (B-Bot: distribution channels)."""
    conn = resolve_connection(args.url, args.api_key, args.profile, output)
    async with make_client(conn) as client:
        items = []
        offset = 0
        while len(items) < _MAX_LIST:
            page = await search_assistants(
                client,
                auto=conn.assistants_path == "auto",
                graph_id=args.graph,
                limit=100,
                offset=offset,
            )
            items.extend(page.items)
            if page.next_offset is None or not page.items:
                break
            offset = page.next_offset
    if args.json:
        _dump(output, [a.model_dump(mode="json", exclude_none=True) for a in items])
        return EXIT_OK
    rows = [(a.assistant_id, a.graph_id, a.name, a.version, a.description) for a in items]
    output.line(
        format_table(
            ("ASSISTANT ID", "GRAPH", "NAME", "VERSION", "DESCRIPTION"),
            rows,
            widths=(40, 30, 30, 8, 50),
        )
    )
    if not items:
        output.note("no assistants")
    return EXIT_OK


async def threads_command(args: argparse.Namespace, output: Output) -> int:
    """List threads, newest first."""
    if args.limit is not None and not 1 <= args.limit <= _MAX_LIST:
        raise UsageError(f"--limit: must be from 1 to {_MAX_LIST}")
    conn = resolve_connection(args.url, args.api_key, args.profile, output)
    metadata = None
    if args.assistant:
        key = "assistant_id" if UUID_RE.match(args.assistant) else "graph_id"
        metadata = {key: args.assistant}
    async with make_client(conn) as client:
        page = await client.threads.search(
            limit=args.limit or 20,
            status=args.status,
            metadata=metadata,
            select=["thread_id", "status", "created_at", "updated_at", "metadata"],
        )
    if args.json:
        _dump(output, [t.model_dump(mode="json", exclude_none=True) for t in page.items])
        return EXIT_OK
    rows = []
    for t in page.items:
        meta = t.metadata or {}
        rows.append(
            (t.thread_id, t.status, _short_time(t.updated_at), meta.get("graph_id"), t.title)
        )
    output.line(
        format_table(
            ("THREAD ID", "STATUS", "UPDATED", "GRAPH", "TITLE"), rows, widths=(40, 12, 19, 30, 50)
        )
    )
    if page.next_offset is not None:
        output.note(f"more threads exist: pass --limit {min(_MAX_LIST, (args.limit or 20) * 2)}")
    return EXIT_OK


def _message_lines(messages: list[dict[str, Any]]) -> list[str]:
    lines = []
    for raw in messages:
        role = role_of(raw)
        text = one_line(content_text(raw.get("content")), 200)
        name = (
            f" {one_line(str(raw.get('name')), 40)}" if raw.get("name") and role == "tool" else ""
        )
        lines.append(f"  {role}{name}: {text}")
        for call in raw.get("tool_calls") or []:
            if isinstance(call, dict):
                args = one_line(json.dumps(call.get("args"), ensure_ascii=False), 200)
                lines.append(f"    ⚙ {one_line(str(call.get('name')), 60)}({args})")
    return lines


async def state_command(args: argparse.Namespace, output: Output) -> int:
    """Show a thread's current state: messages, next nodes, pending interrupts."""
    conn = resolve_connection(args.url, args.api_key, args.profile, output)
    async with make_client(conn) as client:
        thread = await client.threads.get(args.thread)
        state = await client.threads.get_state(args.thread, subgraphs=True)
    if args.json:
        _dump(
            output,
            {
                "thread": thread.model_dump(mode="json", exclude={"values"}, exclude_none=True),
                "state": state.model_dump(mode="json"),
            },
        )
        return EXIT_OK
    output.line(f"thread      {one_line(args.thread, 60)}")
    output.line(f"status      {one_line(str(thread.status), 30)}")
    output.line(f"checkpoint  {one_line(str(state.checkpoint_id or '-'), 60)}")
    output.line(f"next        {', '.join(one_line(n, 40) for n in state.next) or '-'}")
    msgs = state.messages
    output.line(f"messages    {len(msgs)}")
    for line in _message_lines(msgs):
        output.line(line)
    values = state.values if isinstance(state.values, dict) else {}
    other = {k: v for k, v in values.items() if k != "messages"}
    if other:
        output.line("values")
        for key, value in other.items():
            shown = json.dumps(sanitize_json_for_display(value), ensure_ascii=False, default=str)
            output.line(f"  {one_line(str(key), 40)}: {one_line(shown, 200)}")
    for item in state.interrupts:
        output.line(format_interrupt(PendingInterrupt(item.id, item.value, tuple(item.ns or ()))))
    return EXIT_OK


async def history_command(args: argparse.Namespace, output: Output) -> int:
    """List a thread's checkpoints, newest first."""
    if not 1 <= args.limit <= _MAX_LIST:
        raise UsageError(f"--limit: must be from 1 to {_MAX_LIST}")
    conn = resolve_connection(args.url, args.api_key, args.profile, output)
    async with make_client(conn) as client:
        states = await client.threads.get_history(args.thread, limit=args.limit)
    if args.json:
        _dump(output, [s.model_dump(mode="json") for s in states])
        return EXIT_OK
    rows = []
    # the "ran" column of the history screen, from the same function
    known = {checkpoint_id_of(s) for s in states}
    for s, row in zip(states, checkpoint_rows(states), strict=True):
        meta = s.metadata or {}
        rows.append(
            (
                s.checkpoint_id or (s.checkpoint.checkpoint_id if s.checkpoint else ""),
                meta.get("step"),
                meta.get("source"),
                ran_label(row, known),
                ", ".join(s.next),
                len(s.messages),
                _short_time(s.created_at),
            )
        )
    headers = ("CHECKPOINT ID", "STEP", "SOURCE", "RAN", "NEXT", "MESSAGES", "CREATED")
    output.line(format_table(headers, rows, widths=(40, 6, 8, 30, 30, 8, 19)))
    return EXIT_OK
