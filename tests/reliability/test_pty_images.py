"""Images through a real terminal: the message view in a pseudo-terminal, as each terminal
identifies itself (``TERM``), every byte it writes captured.

A Kitty terminal gets the picture (the image sent with Kitty's graphics protocol, then drawn
as placeholder cells), a Sixel one gets Sixel data, any other terminal only the label; none is
ever asked anything (textual-image's probes write a Device Attributes query, a Kitty graphics
query and a cell size query: none of them may be written, since the app's input thread would
eat the answers), and keys still arrive afterwards (``q`` quits).
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import pytest
from ptyapp import PtyApp, plain

SCRIPT = Path(__file__).with_name("images_app.py")
PROBES = (b"\x1b[c", b"a=q", b"\x1b[16t", b"\x1b[14t")
"""What textual-image writes to ask the terminal (Sixel in DA1, TGP support, cell size)."""
KITTY_CELL = "\U0010eeee".encode()
SIXEL = re.compile(rb"\x1bP0;[01];0q")
"""The start of Sixel data (DCS ... q)."""
IDENTITIES = ("TERM_PROGRAM", "KITTY_WINDOW_ID", "KONSOLE_VERSION", "WT_SESSION", "TMUX")


@pytest.mark.parametrize(
    ("term", "mode"),
    [("xterm-kitty", "kitty"), ("foot", "sixel"), ("xterm-256color", None)],
)
def test_the_terminal_gets_the_picture_it_draws_and_is_never_asked(
    tmp_path: Path, term: str, mode: str | None
) -> None:
    env = {k: v for k, v in os.environ.items() if k not in IDENTITIES}
    env.pop("BBOT_TUI_IMAGES", None)
    env["TERM"] = term
    report = tmp_path / "report.json"
    with PtyApp([sys.executable, str(SCRIPT), str(report)], env=env, columns=100, lines=30) as app:
        app.wait_for(lambda out: "drawn" in plain(out), "the transcript")
        app.wait_for(lambda out: "red.png · image/png" in plain(out), "the image's label")
        if mode == "kitty":
            app.wait_for(lambda out: out.count(KITTY_CELL) >= 100, "the picture's cells")
        elif mode == "sixel":
            app.wait_for(lambda out: SIXEL.search(out) is not None, "the Sixel data")
        app.write(b"q")
        assert app.wait_exit(30) == 0
        output = app.output
    for probe in PROBES:
        assert probe not in output
    result = json.loads(report.read_text())
    assert result["mode"] == mode
    if mode == "kitty":
        assert b"\x1b_Gi=" in output and b"a=p" in output  # sent once, placed by placeholders
        assert SIXEL.search(output) is None
    elif mode == "sixel":
        assert b"\x1b_G" not in output and KITTY_CELL not in output
    else:
        assert b"\x1b_G" not in output and SIXEL.search(output) is None
        assert result["loaded"] == []  # nothing drawn: textual-image and Pillow never loaded
    assert "Traceback" not in plain(output)
