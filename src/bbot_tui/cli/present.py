"""``bbot-tui present FILE [--tape TAPE]``: the TUI in presenter mode.

The script and the tape are read (and refused with their line and field, exit 2) before the
terminal UI starts; then the app opens straight into the presenter screen
(:mod:`bbot_tui.tui.screens.presenter`). The connection is resolved as for ``bbot-tui``: flags
over ``BBOT_URL``/``BBOT_API_KEY`` over the active profile. Nothing a presentation changes is
saved (it is a one-off launch: its theme, a profile typed in on the connection screen).

Textual is imported only here, inside :func:`present_command`, so the headless commands never
load it.
"""

from __future__ import annotations

import argparse

from bbot_tui.cli.common import EXIT_ERROR, EXIT_USAGE, Output
from bbot_tui.session.script import ScriptError, read_script
from bbot_tui.session.tape import Tape, TapeError

__all__ = ["present_command"]


def present_command(args: argparse.Namespace, output: Output | None = None) -> int:
    """Run the presenter until the user quits.

    Args:
        args: ``file``, ``tape``, ``assistant`` and the TUI's connection flags.
        output: where usage errors go (stderr by default).

    Returns:
        The exit code: 2 for a bad script or tape, else the app's.
    """
    output = output or Output()
    try:
        script = read_script(args.file)
    except ScriptError as exc:
        output.note(f"bbot-tui: bad script\n{exc}")
        return EXIT_USAGE
    tape: Tape | None = None
    if args.tape:
        try:
            tape = Tape.read(args.tape)
        except TapeError as exc:
            output.note(f"bbot-tui: --tape: {exc}")
            return EXIT_USAGE
    try:
        from bbot_tui.tui.app import make_app
        from bbot_tui.tui.screens.presentation import Presentation
        from bbot_tui.tui.screens.presenter import PresenterScreen
    except ModuleNotFoundError as exc:
        if exc.name != "textual":
            raise
        output.note("bbot-tui: the terminal UI is not available (textual is missing)")
        return EXIT_ERROR
    presentation = Presentation(script, source=args.file, tape=tape, assistant=args.assistant)
    app = make_app(
        None,
        url=args.tui_url,
        api_key=args.tui_api_key,
        profile=args.tui_profile,
        read_env=True,
        persist=False,
        default_screen=lambda: PresenterScreen(presentation, id="presenter"),
    )
    app.run()
    return int(app.return_code or 0)
