"""``bbot-tui compare``: the same message to two assistants at once, then what differs.

Two ways to name the sides::

    bbot-tui compare --assistant agent --assistant chat --message "weather?"
    bbot-tui compare --assistant agent --options-a '{"stream_mode": ["values"]}' \\
        --options-b '{"configurable": {"model": "big"}}' --message "weather?"

``--options-a`` / ``--options-b`` take a JSON object of run options (the fields of the TUI's run
options form) or the name of run options the TUI saved (an assistant's id, graph or name: the
TUI saves them per assistant). Each side runs on a new thread; both stream at once
(:mod:`bbot_tui.session.compare`). The text output ends with each side's answer, the unified
diff of the answers, the tool calls that differ and the timings; ``--json`` prints one object
with both sides' summaries and the diff. Exit codes: 0 both finished, 3 a side stopped at an
interrupt, 1 a side failed, 2 bad usage (nothing sent), 130 Ctrl+C.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shlex
from collections.abc import Sequence
from typing import Any

from bbot_tui.api import errors
from bbot_tui.api.client import AgentClient
from bbot_tui.api.models import Assistant
from bbot_tui.cli.common import (
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_STOPPED,
    Output,
    UsageError,
    make_client,
    resolve_connection,
)
from bbot_tui.cli.runner import find_assistant
from bbot_tui.config.settings import load_settings
from bbot_tui.session.assistants import AssistantLookupError, resolve_assistant
from bbot_tui.session.compare import (
    CompareDiff,
    CompareSide,
    Comparison,
    options_from_json,
    saved_options,
)
from bbot_tui.session.core import SessionUpdate
from bbot_tui.session.run_options import RunOptions
from bbot_tui.text import one_line, sanitize

__all__ = ["compare_command", "format_comparison"]


async def _options(
    client: AgentClient, flag: str, value: str | None, assistant: Assistant, auto: bool
) -> RunOptions:
    """A side's run options: a JSON object, saved options by name, or the assistant's saved."""
    saved = load_settings().settings.run_options
    if value is None:
        return saved_options(saved, assistant.assistant_id) or RunOptions()
    if value.lstrip().startswith("{"):
        try:
            return options_from_json(value)
        except ValueError as exc:
            raise UsageError(f"{flag}: {exc}") from None
    found = saved_options(saved, value)
    if found is not None:
        return found
    try:
        named = await resolve_assistant(client, value, auto=auto)
    except AssistantLookupError:
        named = None
    found = saved_options(saved, named.assistant_id) if named is not None else None
    if found is None:
        names = ", ".join(sorted(one_line(k, 60) for k in saved)) or "none"
        raise UsageError(
            f"{flag}: no run options saved for {one_line(value, 60)!r} "
            f"(saved for: {names}); or give a JSON object of options"
        )
    return found


async def compare_command(args: argparse.Namespace, output: Output) -> int:
    """``bbot-tui compare``: validate both sides, run them at once, print what differs."""
    names: list[str] = args.assistant or []
    if not args.message:
        raise UsageError("--message TEXT is required: both sides are sent the same message")
    if len(names) not in (1, 2):
        raise UsageError("--assistant: give two assistants, or one with --options-a/--options-b")
    if len(names) == 1 and args.options_a is None and args.options_b is None:
        raise UsageError(
            "one assistant compares two run options: add --options-a and/or --options-b"
        )
    conn = resolve_connection(args.url, args.api_key, args.profile, output)
    async with make_client(conn) as client:
        auto = conn.assistants_path == "auto"
        assistants = [await find_assistant(client, n, auto=auto) for n in names]
        if len(assistants) == 1:
            assistants.append(assistants[0])
        options = [
            await _options(client, "--options-a", args.options_a, assistants[0], auto),
            await _options(client, "--options-b", args.options_b, assistants[1], auto),
        ]
        comparison = Comparison(
            CompareSide("A", client, assistants[0], options[0]),
            CompareSide("B", client, assistants[1], options[1]),
        )

        def progress(side: CompareSide, update: SessionUpdate) -> None:
            if update.phase == "done" and not side.running and not args.json:
                output.note(f"■ {side.label} {side.name}: {side.status}")

        for side in comparison.sides:
            if not args.json:
                output.note(f"▶ {side.label}: {side.name} · {one_line(side.options.mode, 20)}")
        try:
            diff = await comparison.run(args.message, progress)
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if task is not None:
                task.uncancel()
            for side in comparison.sides:
                try:
                    await asyncio.wait_for(side.session.cancel(), 10)
                except (errors.ApiError, TimeoutError) as exc:
                    output.note(f"{side.label}: could not cancel the run ({exc})")
            output.note("interrupted: both runs were cancelled")
            return EXIT_INTERRUPTED
        if args.json:
            output.json(comparison.to_json())
        else:
            flags = ["--url", conn.base_url] if conn.explicit_url else []
            if not flags and conn.profile is not None:
                flags = ["--profile", conn.profile.name]
            for line in format_comparison(comparison, diff, flags):
                output.line(line)
    statuses = {side.status for side in comparison.sides}
    if statuses & {"failed", "error", "cancelled"}:
        return EXIT_ERROR
    return EXIT_STOPPED if "interrupted" in statuses else EXIT_OK


def _json(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)


def _seconds(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f} s"


def format_comparison(
    comparison: Comparison, diff: CompareDiff, connection: Sequence[str] = ()
) -> list[str]:
    """The text output: each side's answer and tool calls, the answer diff, the calls that
    differ and the timings (server text sanitized).

    Args:
        comparison: the sides, after their runs.
        diff: what differs.
        connection: the connection flags of a printed command (``--url U``).
    """
    lines: list[str] = []
    for side in comparison.sides:
        timing = side.timing()
        head = f"── {side.label}: {side.name} · {side.status} · {_seconds(timing.total)}"
        lines.append(head + " ──")
        if side.error:
            lines.append(f"✗ {sanitize(side.error)}")
        for call in side.summary()["tool_calls"]:
            lines.append(f"⚙ {one_line(call['name'], 80)}({one_line(_json(call['args']), 300)})")
        answer = side.summary()["answer"]
        lines.append(sanitize(answer) if answer else "(no answer)")
        for pending in side.transcript.interrupts:
            lines.append(f"⏸ interrupt {one_line(str(pending.id), 60)}")
        if side.transcript.interrupts and side.thread_id:
            where = ["--thread", side.thread_id, "--assistant", side.assistant.assistant_id]
            command = shlex.join(["bbot-tui", "run", *connection, *where, "--resume", "<JSON>"])
            lines.append(f"to answer: {command}")
    lines.append("── answers ──")
    if diff.answers_equal:
        lines.append("the same answer")
    else:
        lines.extend(sanitize(line) for line in diff.unified)
    lines.append("── tool calls that differ ──")
    if not diff.tool_calls:
        lines.append("none")
    for call in diff.tool_calls:
        a = "—" if call.a is None else one_line(_json(call.a.args), 120)
        b = "—" if call.b is None else one_line(_json(call.b.args), 120)
        lines.append(f"{one_line(call.name, 60)}: A {a} · B {b}")
    lines.append("── timings (A · B · B−A) ──")
    for key, title in (
        ("total", "total"),
        ("first_event", "server started the run"),
        ("ttft", "first token"),
        ("tokens_per_second", "tokens/s"),
        ("total_tokens", "token usage"),
    ):
        row = diff.timing[key]
        values = [row["a"], row["b"], row["delta"]]
        if key == "tokens_per_second":
            text = " · ".join("—" if v is None else f"{v:.0f}" for v in values)
        elif key == "total_tokens":
            text = " · ".join("—" if v is None else str(v) for v in values)
        else:
            text = " · ".join(_seconds(v) for v in values)
        lines.append(f"{title}: {text}")
    nodes = diff.timing["nodes"]
    lines.append(
        "nodes: A "
        + (" → ".join(one_line(n, 40) for n in nodes["a"]) or "—")
        + " · B "
        + (" → ".join(one_line(n, 40) for n in nodes["b"]) or "—")
    )
    return lines
