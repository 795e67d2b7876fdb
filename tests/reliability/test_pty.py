"""U1 and U2 through a real terminal: the real app, in a pseudo-terminal, against the real server.

The ``chat`` graph echoes the user's message ("You said: …"), so a hostile message sent from
the composer comes back as the streamed answer. The message is recalled from the input
history (↑) rather than pasted: Textual's input parser turns ESC inside a bracketed paste into
visible ``^`` keys, so a paste would never bring a raw escape sequence into the app. Every
byte the app writes to the terminal is captured; none of the escape sequences of the message
may be in it (not in the echo of the
user's message, not in the streamed answer, not in the thread's title, not in the composer
that shows the recalled message: it draws control characters as symbols), and markup-looking
text must be drawn literally (``[@click=app.quit]`` is no button: the app is still running).
"""

from __future__ import annotations

import sys
from pathlib import Path

from ptyapp import PtyApp, plain

from bbot_tui.config.settings import Profile, Settings, save_settings

MARKUP = "[bold]x[/] [@click=app.quit]quit[/] [red on red]hidden[/] [/bold]"
ESCAPES = (
    "\x1b]0;PWNED\x07"  # OSC: window title
    "\x1b]52;c;Y2xpcA==\x07"  # OSC 52: write the clipboard
    "\x1b[2J\x1b[3J"  # clear screen and scrollback
    "\x1b[?1049l"  # leave the alternate screen
    "\x1b[38;5;201mPINK"  # CSI colour
    "\x9b31mCSI8"  # C1 CSI
    "\x1bP1$qDCSPAYLOAD\x1b\\"  # DCS
    "\x1b_APCPAYLOAD\x1b\\"  # APC
    "\x9d0;C1TITLE\x9c"  # C1 OSC
    "\x07\x07BELL"
    "\x1bc"  # full reset
    "\u202eevil\u202c"  # bidi override
)
HOSTILE = f"start {MARKUP} {ESCAPES} end"

FORBIDDEN = (
    b"\x1b]0;PWNED",
    b"\x1b]52;",
    b"\x1b[3J",
    b"\x1b[38;5;201m",
    b"\xc2\x9b",  # U+009B, C1 CSI
    b"\xc2\x9d",  # U+009D, C1 OSC
    b"\xc2\x9c",  # U+009C, C1 ST
    b"\x1bP1$q",
    b"\x1b_APC",
    b"\x1bc",
    b"\xe2\x80\xae",  # U+202E, right-to-left override
)
"""Sequences that can only come from the message (Textual itself never writes them)."""
COUNTED = (b"\x1b[2J", b"\x1b[?1049l", b"\x07")
"""Sequences the app may write itself (at start and exit): their count must not grow."""


def _answered(output: bytes) -> bool:
    text = plain(output)
    return text.rfind("streamed answer.") > text.rfind("streaming…")


def _count(output: bytes) -> dict[bytes, int]:
    return {seq: output.count(seq) for seq in COUNTED}


def test_escape_sequences_and_markup_from_content_never_reach_the_terminal(
    server_url: str, assistant_ids: dict[str, str], tmp_path: Path
) -> None:
    profile = Profile(name="local", base_url=server_url, last_assistant_id=assistant_ids["chat"])
    settings = Settings(profiles={"local": profile}, active_profile="local")
    settings.input_history = [HOSTILE]
    save_settings(settings)
    with PtyApp([sys.executable, "-m", "bbot_tui"], limit=120) as app:
        # bracketed paste on, and the composer of a new thread of `chat` is ready
        app.wait_for(lambda out: b"\x1b[?2004h" in out, "bracketed paste mode")
        app.wait_for(
            lambda out: "New thread" in plain(out) or "new thread" in plain(out), "a thread"
        )
        before = _count(app.output)
        assert not [seq for seq in FORBIDDEN if seq in app.output]
        app.write(b"\x1b[A")  # ↑: the hostile message from the input history
        app.wait_for(lambda out: "[@click=app.quit]quit[/]" in plain(out), "the recalled message")
        app.write(b"\r")
        app.wait_for(lambda out: "streamed answer." in plain(out), "the echoed answer")
        app.wait_for(_answered, "the end of the run")
        output = app.output
        assert app.process is not None and app.process.poll() is None  # nothing quit the app
        leaked = [seq for seq in FORBIDDEN if seq in output]
        assert leaked == [], f"content escape sequences reached the terminal: {leaked}"
        assert _count(output) == before
        shown = plain(output)
        assert "[@click=app.quit]quit[/]" in shown  # markup drawn literally
        assert "[red on red]hidden[/]" in shown
        assert "PINK" in shown and "CSI8" in shown and "BELL" in shown  # only the codes went
        app.write(b"\x11")  # ctrl+q
        assert app.wait_exit(20) is not None, "the app did not quit"
