"""``bbot-tui watch THREAD``: print every run on a thread, whoever started it, until Ctrl+C.

Each run prints as ``bbot-tui run`` prints its own (:mod:`bbot_tui.cli.printer`): its text as it
streams, tool calls, node headers, the pending interrupts at a question. ``--json`` prints the
same event lines as ``run --json`` and one summary line per finished run (with its
``assistant_id``). Notices (which run started, reconnects, polling) go to stderr.

Ctrl+C stops following and exits 130: the runs on the server are left going (the follower
never cancels a run).
"""

from __future__ import annotations

import argparse
import asyncio

from bbot_tui.cli.common import (
    EXIT_INTERRUPTED,
    Output,
    make_client,
    resolve_connection,
)
from bbot_tui.cli.printer import TextPrinter, summary
from bbot_tui.session.follow import (
    FollowNotice,
    RunEnded,
    RunEvents,
    RunStarted,
    ThreadFollower,
)
from bbot_tui.text import one_line, sanitize

__all__ = ["watch_command"]


class _WatchPrinter:
    """Prints a follower's updates: one :class:`TextPrinter` per run, or JSON lines."""

    def __init__(self, output: Output, follower: ThreadFollower, *, json_mode: bool) -> None:
        self.output = output
        self.follower = follower
        self.json_mode = json_mode
        self.printer: TextPrinter | None = None
        self.assistants: dict[str, str | None] = {}

    def started(self, update: RunStarted) -> None:
        self.assistants[update.run_id] = update.assistant_id
        transcript = self.follower.transcript
        if not self.json_mode:
            baseline = {m.id for m in transcript.messages if m.id}
            self.printer = TextPrinter(self.output, transcript, baseline_ids=baseline)
            late = " (already going)" if update.late else ""
            graph = (update.run.metadata or {}).get("graph_id")
            name = f"{graph} ({update.assistant_id})" if graph else update.assistant_id
            who = f" · assistant {one_line(str(name or '?'), 80)}"
            self.output.note(f"▶ thread {self.follower.thread_id} · run {update.run_id}{who}{late}")

    def events(self, update: RunEvents) -> None:
        if self.json_mode:
            for event in update.events:
                self.output.json(event.to_json())
        elif self.printer is not None:
            self.printer.update()

    def ended(self, update: RunEnded) -> None:
        outcome = update.outcome
        transcript = self.follower.transcript
        if self.json_mode:
            line = summary(
                transcript,
                outcome.status,
                thread_id=outcome.thread_id,
                run_id=outcome.run_id,
                error=outcome.error if outcome.status == "error" else None,
            )
            line["assistant_id"] = self.assistants.pop(outcome.run_id or "", None)
            line["run_status"] = update.run_status
            self.output.json(line)
            return
        printer = self.printer or TextPrinter(self.output, transcript)
        printer.update(final=True)
        if transcript.stop == "question":
            printer.interrupts()
        elif transcript.stop == "breakpoint":
            nodes = ", ".join(one_line(n, 60) for n in transcript.next_nodes) or "(unknown)"
            self.output.line(f"⏸ stopped at a breakpoint; next: {nodes}")
        if outcome.status == "error":
            self.output.note(f"✗ run {outcome.run_id} failed: {sanitize(outcome.error or '')}")
        else:
            self.output.note(f"■ run {outcome.run_id}: {outcome.status}")
        self.printer = None

    def notice(self, update: FollowNotice) -> None:
        if self.printer is not None:
            self.printer.newline()
        self.output.note(f"… {sanitize(update.text)}")


async def watch_command(args: argparse.Namespace, output: Output) -> int:
    """``bbot-tui watch THREAD``: follow a thread until Ctrl+C (exit 130, runs left going)."""
    conn = resolve_connection(args.url, args.api_key, args.profile, output)
    async with make_client(conn) as client:
        follower = ThreadFollower(client, args.thread)
        printer = _WatchPrinter(output, follower, json_mode=args.json)
        try:
            async for update in follower.updates():
                if isinstance(update, RunStarted):
                    printer.started(update)
                elif isinstance(update, RunEvents):
                    printer.events(update)
                elif isinstance(update, RunEnded):
                    printer.ended(update)
                else:
                    printer.notice(update)
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if task is not None:
                task.uncancel()
            if printer.printer is not None:
                printer.printer.newline()
            going = follower.current_run_id
            left = f"; run {going} goes on" if going else ""
            output.note(f"stopped following thread {args.thread}{left}")
            return EXIT_INTERRUPTED
    raise AssertionError("the follower never ends by itself")  # pragma: no cover
