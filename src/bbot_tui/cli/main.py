"""The ``bbot-tui`` command: the TUI by default, headless subcommands for scripts.

This module only parses arguments and dispatches; the work lives in
:mod:`bbot_tui.cli` (and :mod:`bbot_tui.tui.app` for the TUI, imported lazily so that the
headless commands never load Textual).
"""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, get_args

from bbot_tui import __version__
from bbot_tui.api.literals import (
    Durability,
    IfNotExists,
    MultitaskStrategy,
    OnCompletion,
    OnDisconnect,
    RunProtocol,
    ThreadStatus,
)
from bbot_tui.cli.compare_args import add_compare_parser
from bbot_tui.cli.script_args import add_script_parser

if TYPE_CHECKING:
    from bbot_tui.cli.common import Output
__all__ = ["build_parser", "main", "tui_only_args"]

_RUN_EXAMPLES = """\
examples:
  bbot-tui run --url http://127.0.0.1:2024 --assistant agent --message "weather in Paris?"
  bbot-tui run --thread T --assistant approval --resume '"yes"'
  bbot-tui run --thread T --assistant parallel --resume-id ID1='"a"' --resume-id ID2='"b"'
  bbot-tui run --assistant steps --message hi --interrupt-before step2 --json

exit codes: 0 finished, 1 run or server error, 2 bad usage (nothing sent),
            3 stopped at an interrupt or breakpoint, 130 Ctrl+C (the run is cancelled)
"""


def _connection(p: argparse.ArgumentParser, prefix: str = "") -> None:
    p.add_argument("--url", dest=prefix + "url", help="server base URL (or env BBOT_URL)")
    p.add_argument(
        "--api-key",
        dest=prefix + "api_key",
        metavar="KEY",
        help="API key, sent as bbot-api-key (or env BBOT_API_KEY); never printed",
    )
    p.add_argument("--profile", dest=prefix + "profile", help="a saved profile (default: active)")


def _one_of(values: Any) -> str:
    """``a|b|c``: the values of a ``Literal``, for a flag's metavar (checked by the model)."""
    return "|".join(get_args(values))


def _run_flags(p: argparse.ArgumentParser) -> None:
    _connection(p)
    p.add_argument("--assistant", metavar="ID|GRAPH|NAME", help="assistant id, graph id or name")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--thread", metavar="ID", help="run on this thread")
    where.add_argument("--new-thread", action="store_true", help="create a thread (default)")
    where.add_argument("--stateless", action="store_true", help="stateless run (/runs/stream)")
    what = p.add_mutually_exclusive_group()
    what.add_argument("--message", metavar="TEXT", help="a user message as input")
    what.add_argument("--input", metavar="JSON", help="the graph input as JSON")
    p.add_argument("--resume", metavar="JSON", help="answer the pending interrupt (JSON)")
    p.add_argument("--resume-text", metavar="TEXT", help="answer the pending interrupt (text)")
    p.add_argument(
        "--resume-id", action="append", metavar="ID=JSON", help="answer one interrupt by id"
    )
    p.add_argument("--update", metavar="JSON", help="command.update: a state update")
    p.add_argument("--goto", metavar="NODE", help="command.goto: node name (or Send JSON)")
    p.add_argument(
        "--stream-mode",
        action="append",
        metavar="M",
        help="stream mode (repeatable; default messages-tuple + updates)",
    )
    p.add_argument("--subgraphs", action="store_true", help="stream subgraph events too")
    p.add_argument(
        "--resumable",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="stream_resumable (default: on for thread runs)",
    )
    p.add_argument("--interrupt-before", action="append", metavar="N|*", help="breakpoint")
    p.add_argument("--interrupt-after", action="append", metavar="N|*", help="breakpoint")
    p.add_argument("--durability", metavar=_one_of(Durability))
    p.add_argument("--multitask-strategy", metavar=_one_of(MultitaskStrategy))
    p.add_argument("--if-not-exists", metavar=_one_of(IfNotExists))
    p.add_argument("--on-disconnect", metavar=_one_of(OnDisconnect))
    p.add_argument(
        "--protocol",
        metavar=_one_of(RunProtocol),
        help="runs API, thread-centric event protocol, or the latter where offered "
        "(default: the profile's, else runs)",
    )
    p.add_argument("--on-completion", metavar=_one_of(OnCompletion), help="stateless runs only")
    p.add_argument("--after-seconds", metavar="S")
    p.add_argument("--checkpoint-id", metavar="ID", help="re-run from this checkpoint")
    p.add_argument("--config", metavar="JSON", help='{"configurable": {...}, "tags": [...]}')
    p.add_argument("--context", metavar="JSON")
    p.add_argument("--metadata", metavar="JSON")
    p.add_argument("--webhook", metavar="URL")
    p.add_argument("--feedback-key", action="append", metavar="KEY")
    p.add_argument("--recursion-limit", metavar="N")
    p.add_argument("--tag", action="append", metavar="TAG")
    p.add_argument("--wait", action="store_true", help="use the wait endpoint (no streaming)")
    p.add_argument("--json", action="store_true", help="one JSON object per event + summary")
    p.add_argument(
        "--detach", action="store_true", help="start the run, leave it going, print how to join"
    )
    p.add_argument("--record", metavar="FILE", help="record the request and events (JSON lines)")
    p.add_argument("--timing", action="store_true", help="at the end, where the time went (stderr)")
    p.add_argument(
        "--as",
        dest="as_code",
        metavar="LANG",
        help="print the request as curl, python or js code instead of sending it",
    )


def build_parser() -> argparse.ArgumentParser:
    """The ``bbot-tui`` argument parser."""
    parser = argparse.ArgumentParser(
        prog="bbot-tui",
        description="A terminal chat client for B-Bot and any LangGraph Agent Server.",
    )
    parser.add_argument("--version", action="version", version=f"bbot-tui {__version__}")
    _connection(parser, prefix="tui_")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    tui = sub.add_parser("tui", help="the terminal UI (the default)")
    _connection(tui, prefix="tui_")
    sub.add_parser("demo", help="the TUI against bundled demo graphs on a local server")
    present = sub.add_parser("present", help="the TUI in presenter mode: a script, step by step")
    present.add_argument("file", metavar="FILE", help="the demo script (YAML)")
    present.add_argument("--tape", metavar="TAPE", help="replay steps from it if the server fails")
    present.add_argument("--assistant", metavar="ID|GRAPH|NAME", help="instead of the script's")
    _connection(present, prefix="tui_")
    serve = sub.add_parser(
        "serve",
        help="the TUI as a web page (-- ARGS: the app's, e.g. -- present FILE)",
        description="Serve the TUI in a browser: a page behind a random token, on loopback.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    serve.add_argument("--port", type=int, default=0, metavar="N", help="default: a free one")
    serve.add_argument("app", nargs=argparse.REMAINDER, metavar="-- ARGS", help="the app's args")

    run = sub.add_parser(
        "run",
        help="start a run and stream it to stdout",
        epilog=_RUN_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _run_flags(run)

    join = sub.add_parser("join", help="follow a live run")
    _connection(join)
    join.add_argument("thread", metavar="THREAD")
    join.add_argument("run", metavar="RUN", nargs="?", help="default: the latest active run")
    join.add_argument("--last-event-id", metavar="ID", help="replay after this event id")
    join.add_argument(
        "--detach", action="store_true", help="on Ctrl+C stop following, leave the run going"
    )
    join.add_argument("--json", action="store_true")
    join.add_argument(
        "--timing", action="store_true", help="at the end, where the time went (stderr)"
    )

    assistants = sub.add_parser("assistants", help="list assistants")
    _connection(assistants)
    assistants.add_argument("--graph", metavar="G", help="only this graph's assistants")
    assistants.add_argument("--json", action="store_true")

    threads = sub.add_parser("threads", help="list threads, newest first")
    _connection(threads)
    threads.add_argument("--status", choices=get_args(ThreadStatus))
    threads.add_argument("--limit", type=int, metavar="N")
    threads.add_argument("--assistant", metavar="ID|GRAPH")
    threads.add_argument("--json", action="store_true")

    state = sub.add_parser("state", help="a thread's current state")
    _connection(state)
    state.add_argument("thread", metavar="THREAD")
    state.add_argument("--json", action="store_true")

    history = sub.add_parser("history", help="a thread's checkpoints, newest first")
    _connection(history)
    history.add_argument("thread", metavar="THREAD")
    history.add_argument("--limit", type=int, default=20, metavar="N")
    history.add_argument("--json", action="store_true")

    watch = sub.add_parser("watch", help="print every run on a thread, whoever starts it")
    _connection(watch)
    watch.add_argument("thread", metavar="THREAD")
    watch.add_argument("--json", action="store_true", help="event lines + a summary per run")

    inbox = sub.add_parser("inbox", help="the threads that wait for a human, all assistants")
    _connection(inbox)
    inbox.add_argument("--limit", type=int, metavar="N", help="at most N threads (100)")
    inbox.add_argument("--json", action="store_true", help="one JSON object per thread")

    doctor = sub.add_parser("doctor", help="check the connection to a server")
    _connection(doctor)
    doctor.add_argument("--json", action="store_true")

    replay = sub.add_parser("replay", help="play a recording (no server)")
    replay.add_argument("file", metavar="FILE")
    replay.add_argument("--speed", type=float, default=1.0, metavar="X", help="0 = no delays")
    replay.add_argument("--json", action="store_true")

    export = sub.add_parser("export", help="a thread as Markdown, JSON or an HTML page")
    _connection(export)
    export.add_argument("thread", metavar="THREAD")
    export.add_argument("--format", metavar="FORMAT", help="markdown, json or html")
    export.add_argument("-o", "--output", metavar="FILE", help="write to FILE (default: stdout)")

    bundle = sub.add_parser("bundle", help="a debug zip of a thread, without secrets")
    _connection(bundle)
    bundle.add_argument("thread", metavar="THREAD")
    bundle.add_argument("-o", "--output", metavar="FILE.zip", help="default: a dated name here")

    add_script_parser(sub, _connection)
    add_compare_parser(sub, _connection)
    return parser


def _launch_tui(args: argparse.Namespace) -> int:
    # headless.common (httpx, pydantic) is imported only on failure: the first frame waits
    # for every import made before it, and for the garbage collector's runs (paused here, the
    # app resumes it after its first frame)
    from bbot_tui.tui.startup import pause_collector, resume_collector

    pause_collector()
    try:
        from bbot_tui.tui.app import run_tui
    except ModuleNotFoundError as exc:
        resume_collector()
        if exc.name not in ("bbot_tui.tui.app", "textual"):
            raise
        from bbot_tui.cli.common import EXIT_ERROR, Output

        Output().note(f"bbot-tui: the terminal UI is not available ({exc.name} is missing)")
        return EXIT_ERROR
    return int(run_tui(url=args.tui_url, api_key=args.tui_api_key, profile=args.tui_profile) or 0)


def _launch_demo() -> int:
    from bbot_tui.cli.common import EXIT_ERROR, Output

    output = Output()
    try:
        from bbot_tui.demo.launcher import run_demo
    except ModuleNotFoundError as exc:
        if exc.name not in ("bbot_tui.demo.launcher", "textual"):
            raise
        output.note(f"bbot-tui: the demo is not available ({exc.name} is missing)")
        return EXIT_ERROR
    return int(run_demo() or 0)


def _headless(command: str) -> Callable[[argparse.Namespace, Output], Awaitable[int]]:
    if command in ("run", "join"):
        from bbot_tui.cli import runner

        return runner.run_command if command == "run" else runner.join_command
    if command == "watch":
        from bbot_tui.cli.watch import watch_command

        return watch_command
    if command == "inbox":
        from bbot_tui.cli.inbox import inbox_command

        return inbox_command
    if command == "doctor":
        from bbot_tui.cli.doctor import doctor_command

        return doctor_command
    if command == "run --as":
        from bbot_tui.cli.as_code import as_code_command

        return as_code_command
    if command == "bundle":
        from bbot_tui.cli.bundle import bundle_command

        return bundle_command
    if command == "export":
        from bbot_tui.cli.export import export_command

        return export_command
    if command == "serve":
        from bbot_tui.cli.serve import serve_command

        return serve_command
    if command == "script":
        from bbot_tui.cli.script import script_command

        return script_command
    if command == "compare":
        from bbot_tui.cli.compare import compare_command

        return compare_command
    if command == "replay":
        from bbot_tui.cli.record import replay_command

        def replay(args: argparse.Namespace, output: Output) -> Awaitable[int]:
            return replay_command(args.file, speed=args.speed, json_mode=args.json, output=output)

        return replay
    from bbot_tui.cli import tables

    handlers: dict[str, Any] = {
        "assistants": tables.assistants_command,
        "threads": tables.threads_command,
        "state": tables.state_command,
        "history": tables.history_command,
    }
    return handlers[command]  # type: ignore[no-any-return]


_TUI_FLAGS = {"--url": "tui_url", "--api-key": "tui_api_key", "--profile": "tui_profile"}
"""The options of a plain ``bbot-tui`` (the terminal UI), by the attribute each one sets."""


def tui_only_args(argv: Sequence[str]) -> argparse.Namespace | None:
    """The arguments of a plain ``bbot-tui [--url U] [--api-key K] [--profile P]``, read without
    building the parser (its subcommands cost the first frame ~15 ms).

    Args:
        argv: The command-line arguments (without the program name).

    Returns:
        What :func:`build_parser` would make of them, or None for anything else (a subcommand,
        help, an abbreviated or repeated option, a missing value…): the parser reads those.
    """
    values: dict[str, str | None] = dict.fromkeys(_TUI_FLAGS.values())
    seen: set[str] = set()
    tokens = iter(argv)
    for token in tokens:
        flag, equals, value = token.partition("=")
        dest = _TUI_FLAGS.get(flag)
        if dest is None or dest in seen:
            return None
        if not equals:
            value = next(tokens, "-")
            if value.startswith("-"):
                return None
        seen.add(dest)
        values[dest] = value
    return argparse.Namespace(**values, command=None)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``bbot-tui`` with ``argv`` (default: ``sys.argv[1:]``) and return the exit code."""
    if argv is None:
        import sys

        argv = sys.argv[1:]
    args = tui_only_args(argv)
    if args is None:
        parser = build_parser()
        try:
            args = parser.parse_args(argv)
        except SystemExit as exc:  # --help, --version, usage errors (2)
            return exc.code if isinstance(exc.code, int) else 0
    command = args.command or "tui"
    if command == "tui":
        return _launch_tui(args)
    if command == "demo":
        return _launch_demo()
    if command == "present":
        from bbot_tui.cli.present import present_command

        return present_command(args)
    from bbot_tui.cli.common import Output, run_async

    output = Output()
    if command == "run" and args.as_code is not None:
        command = "run --as"
    handler = _headless(command)
    return run_async(lambda: handler(args, output), output)
