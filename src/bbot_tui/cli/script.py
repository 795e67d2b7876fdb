"""``bbot-tui script run FILE`` and ``bbot-tui script from-thread THREAD -o FILE``.

``script run`` plays a demo script (:mod:`bbot_tui.session.script`) on a new thread through
the run session ``bbot-tui run`` uses, and prints the conversation with the same printer:
user turns as ``› text``, answers to interrupts as ``↪ answer …``, the assistant's text as it
streams. Checks, notes and replays go to stderr, so stdout is the conversation alone.

Exit codes: 0 the script played (with ``--check``: and every ``expect`` held), 1 a check failed
under ``--check`` (naming the step, what was expected and what came), or the server failed with
no tape step to stand in; 2 a bad script (naming line, step and field), a bad tape or a bad
flag; 130 Ctrl+C.

``--record TAPE`` writes every request and event per step (:mod:`bbot_tui.session.tape`; no key
ever reaches it); ``--tape TAPE`` replays a step from that tape when the server fails or cannot
be reached at that step, and every run step after it (stderr says so; the ``--json`` summary
lists them under ``"replayed"``).

``script from-thread`` writes a script from a thread that happened: its human messages and
interrupt answers in order (from the runs' ``kwargs``: the server keeps no resume value in the
checkpoints), each followed by an ``expect`` of what the run did.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

from bbot_tui.api import errors
from bbot_tui.api.client import AgentClient
from bbot_tui.api.models import Run, ThreadState
from bbot_tui.cli.common import (
    EXIT_ERROR,
    EXIT_OK,
    Output,
    UsageError,
    make_client,
    resolve_connection,
)
from bbot_tui.cli.printer import TextPrinter
from bbot_tui.session.assistants import AssistantLookupError, resolve_assistant
from bbot_tui.session.core import RETRYABLE
from bbot_tui.session.script import Script, ScriptError, Step, dump_script, read_script
from bbot_tui.session.script import script_from_thread as build_from_thread
from bbot_tui.session.script_runner import (
    Checked,
    Noted,
    Paused,
    Progress,
    Replaying,
    RunFinished,
    RunProgress,
    ScriptRunner,
    StepStarted,
)
from bbot_tui.session.tape import Tape, TapeError, TapeWriter
from bbot_tui.text import one_line, sanitize

__all__ = ["from_thread_command", "script_command", "script_run_command"]

RUNS_PAGE = 100
"""Runs read per request by ``from-thread``."""
HISTORY_PAGE = 200
"""Checkpoints read per request by ``from-thread``."""
MAX_PAGES = 20
"""Pages read at most (a thread of thousands of runs is not a demo)."""


async def script_command(args: argparse.Namespace, output: Output) -> int:
    """``bbot-tui script ACTION``: dispatch to ``run`` or ``from-thread``."""
    if args.script_command == "from-thread":
        return await from_thread_command(args, output)
    return await script_run_command(args, output)


# --- script run ---------------------------------------------------------------------------------


def _shown(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return one_line(sanitize(text), 300)


class _Player:
    """Prints a runner's progress: the conversation on stdout, the rest on stderr."""

    def __init__(self, output: Output, runner: ScriptRunner, *, json_mode: bool) -> None:
        self.output = output
        self.runner = runner
        self.json_mode = json_mode
        self.printer = None if json_mode else TextPrinter(output, runner.transcript)

    def show(self, item: Progress) -> None:
        """Print one progress item."""
        if self.json_mode:
            self._json(item)
            return
        printer = self.printer
        assert printer is not None
        if isinstance(item, StepStarted):
            self._turn(printer, item.step)
        elif isinstance(item, RunProgress):
            if item.update.events:
                printer.update()
        elif isinstance(item, RunFinished):
            printer.update(final=True)
            result = item.result
            if result.stop == "question":
                printer.interrupts()
            elif result.stop == "breakpoint":
                nodes = ", ".join(self.runner.transcript.next_nodes) or "(unknown)"
                self.output.line(f"⏸ stopped at a breakpoint; next: {one_line(nodes, 200)}")
        elif isinstance(item, Checked):
            check = item.check
            self.output.note(("✓ " if check.ok else "✗ ") + sanitize(check.describe()))
        elif isinstance(item, Noted):
            self.output.note(f"📝 {sanitize(item.text)}")
        elif isinstance(item, Paused):
            if self.runner.pauses:
                self.output.note(f"… pause {item.seconds:g} s")
        elif isinstance(item, Replaying):
            self.output.note(
                f"↻ step {item.number}: replayed from the tape: {sanitize(item.reason)}"
            )

    def _turn(self, printer: TextPrinter, step: Step) -> None:
        """A user's turn: what the script sends, before the answer streams."""
        line: str | None = None
        if step.say is not None:
            printer.skip_texts.add(step.say)
            lines = sanitize(step.say).split("\n")
            line = "› " + "\n  ".join(lines)
        elif "input" in step.model_fields_set:
            line = f"› input {_shown(step.input)}"
        elif step.kind == "command":
            parts = []
            if "answer" in step.model_fields_set:
                parts.append(f"answer {_shown(step.answer)}")
            if step.answers is not None:
                parts.append(f"answers {_shown(step.answers)}")
            if step.update is not None:
                parts.append(f"update {_shown(step.update)}")
            if step.goto is not None:
                parts.append(f"goto {_shown(step.goto)}")
            line = "↪ " + " · ".join(parts)
        if line is not None:
            printer.newline()
            self.output.line(line)

    def _json(self, item: Progress) -> None:
        out = self.output
        if isinstance(item, StepStarted):
            out.json({"type": "step", "step": item.number, **item.step.spec()})
        elif isinstance(item, RunProgress):
            for event in item.update.events:
                out.json({**event.to_json(), "step": item.number})
        elif isinstance(item, RunFinished):
            out.json({"type": "result", "step": item.number, **item.result.to_json()})
        elif isinstance(item, Checked):
            out.json({"type": "check", **item.check.to_json()})
        elif isinstance(item, Noted):
            out.json({"type": "note", "step": item.number, "text": item.text})
        elif isinstance(item, Paused):
            out.json({"type": "pause", "step": item.number, "seconds": item.seconds})
        elif isinstance(item, Replaying):
            out.json({"type": "replaying", "step": item.number, "reason": item.reason})


def _summary(runner: ScriptRunner, status: str, error: str | None) -> dict[str, Any]:
    failure = runner.failure
    line: dict[str, Any] = {
        "type": "summary",
        "status": status,
        "thread_id": runner.thread_id,
        "assistant_id": runner.assistant_id,
        "steps": len(runner.script.steps),
        "checks": {
            "passed": sum(1 for c in runner.checks if c.ok),
            "failed": sum(1 for c in runner.checks if not c.ok),
        },
        "failed": failure.to_json() if failure is not None else None,
        "replayed": list(runner.replayed),
        "messages": runner.transcript.to_json(),
    }
    if error:
        line["error"] = error
    return line


def _read_inputs(args: argparse.Namespace) -> tuple[Script, Tape | None]:
    try:
        script = read_script(args.file)
    except ScriptError as exc:
        raise UsageError(f"bad script\n{exc}") from None
    tape: Tape | None = None
    if args.tape:
        try:
            tape = Tape.read(args.tape)
        except TapeError as exc:
            raise UsageError(f"--tape: {exc}") from None
    if args.record and args.tape and os.path.abspath(args.record) == os.path.abspath(args.tape):
        raise UsageError("--record and --tape: use two files (the tape is read as the run goes)")
    return script, tape


async def _assistant(
    client: AgentClient, name: str, *, auto: bool, tape: Tape | None, output: Output
) -> tuple[str, str | None]:
    """The assistant's id and entity id (the tape's id when the server cannot be reached)."""
    try:
        assistant = await resolve_assistant(client, name, auto=auto)
    except AssistantLookupError as exc:
        raise UsageError(f"assistant: {exc}") from None
    except RETRYABLE as exc:
        if tape is None or tape.assistant_id is None:
            raise
        output.note(f"bbot-tui: {exc.message}; the steps replay from the tape")
        return tape.assistant_id, None
    return assistant.assistant_id, assistant.entity_id


async def script_run_command(args: argparse.Namespace, output: Output) -> int:
    """``bbot-tui script run FILE``: play the script, print it, exit with its outcome."""
    script, tape = _read_inputs(args)
    name = args.assistant or script.assistant
    conn = resolve_connection(args.url, args.api_key, args.profile, output)
    writer: TapeWriter | None = None
    async with make_client(conn) as client:
        assistant_id, entity_id = await _assistant(
            client, name, auto=conn.assistants_path == "auto", tape=tape, output=output
        )
        if args.record:
            try:
                writer = TapeWriter(
                    args.record, [conn.api_key.get_secret_value() if conn.api_key else None]
                )
            except OSError as exc:
                raise UsageError(f"--record: cannot write {args.record} ({exc.strerror})") from None
        runner = ScriptRunner(
            client,
            script,
            assistant_id=assistant_id,
            entity_id=entity_id,
            source=args.file,
            tape=tape,
            writer=writer,
            pauses=not (args.check or args.no_pause or args.json),
            stop_at_failure=args.check,
        )
        player = _Player(output, runner, json_mode=args.json)
        failure = None
        summary: dict[str, Any] | None = None
        try:
            async for item in runner.play():
                player.show(item)
        except errors.ApiError as exc:
            if player.printer is not None:
                player.printer.newline()
            summary = _summary(runner, "error", str(exc))
            if args.json:
                output.json(summary)
            raise
        finally:
            if summary is None:
                failure = runner.failure if args.check else None
                status = "failed" if failure else ("passed" if args.check else "played")
                summary = _summary(runner, status, None)
            if writer is not None:
                writer.write(summary)
                writer.close()
    if args.json:
        output.json(summary)
    else:
        if runner.replayed:
            steps = ", ".join(str(n) for n in runner.replayed)
            output.note(f"replayed from the tape: step {steps}")
        if failure is not None:
            output.note(f"bbot-tui: check failed at {sanitize(failure.describe())}")
        elif args.check:
            passed = sum(1 for c in runner.checks if c.ok)
            output.note(f"✓ all {passed} checks held ({len(script.steps)} steps)")
    return EXIT_ERROR if failure is not None else EXIT_OK


# --- script from-thread ---------------------------------------------------------------------------


async def _all_runs(client: AgentClient, thread_id: str) -> list[Run]:
    runs: list[Run] = []
    for page in range(MAX_PAGES):
        batch = await client.runs.list(thread_id, limit=RUNS_PAGE, offset=page * RUNS_PAGE)
        runs.extend(batch)
        if len(batch) < RUNS_PAGE:
            break
    return runs


async def _all_history(client: AgentClient, thread_id: str) -> list[ThreadState]:
    states: list[ThreadState] = []
    before: str | None = None
    for _ in range(MAX_PAGES):
        batch = await client.threads.get_history(thread_id, limit=HISTORY_PAGE, before=before)
        states.extend(batch)
        if len(batch) < HISTORY_PAGE:
            break
        last = batch[-1]
        before = last.checkpoint_id or (last.checkpoint.checkpoint_id if last.checkpoint else None)
        if not before:
            break
    return states


async def _portable_assistant(client: AgentClient, runs: list[Run], fallback: str | None) -> str:
    """A graph id when the runs used the graph's default assistant (it exists on any server
    serving the graph), else the assistant's id."""
    assistant_id = next((r.assistant_id for r in runs if r.assistant_id), None)
    if assistant_id is None:
        if fallback:
            return fallback
        raise UsageError("from-thread: the thread's runs name no assistant")
    try:
        assistant = await client.assistants.get(assistant_id)
    except (errors.HttpError, errors.ProtocolError):
        return assistant_id
    if (assistant.metadata or {}).get("created_by") == "system" and assistant.graph_id:
        return assistant.graph_id
    return assistant_id


async def from_thread_command(args: argparse.Namespace, output: Output) -> int:
    """``bbot-tui script from-thread THREAD -o FILE``: write a script that replays a thread."""
    conn = resolve_connection(args.url, args.api_key, args.profile, output)
    async with make_client(conn) as client:
        thread = await client.threads.get(args.thread)
        runs = await _all_runs(client, args.thread)
        history = await _all_history(client, args.thread)
        graph = (thread.metadata or {}).get("graph_id")
        assistant = await _portable_assistant(
            client, runs, graph if isinstance(graph, str) else None
        )
    warnings: list[str] = []
    try:
        script = build_from_thread(
            assistant=assistant,
            runs=runs,
            history=history,
            title=args.title or f"from thread {args.thread}",
            warnings=warnings,
        )
    except ValueError as exc:
        output.note(f"bbot-tui: thread {args.thread}: {exc}")
        return EXIT_ERROR
    for warning in warnings:
        output.note(f"bbot-tui: {warning}")
    text = dump_script(script)
    if args.output == "-":
        output.write(text)
        return EXIT_OK
    try:
        Path(args.output).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"-o: cannot write {args.output} ({exc.strerror})") from None
    runs_used = len(script.run_steps())
    output.note(
        f"wrote {args.output}: {len(script.steps)} steps, {runs_used} runs, "
        f"assistant {one_line(assistant, 80)}"
    )
    return EXIT_OK
