"""``bbot-tui demo``: start the bundled demo server, open the TUI on it, stop it on exit.

The server is a real local LangGraph Agent Server (``langgraph dev``, the ``demo`` extra)
serving the offline graphs of :mod:`bbot_tui.demo.graphs`. Starting it takes a few seconds, so
the terminal shows a line with the elapsed time meanwhile (the TUI only opens on a healthy
server: an app that opens and then fails to connect would be a worse first impression).

The TUI runs with a one-launch profile, ``(demo)``, that is never written to disk, and saves
only what the user does to their own profiles: a server profile added or edited with F3 (and
which one is active) is kept for the next ``bbot-tui``; the demo's theme, history and run options
are not written.
The server is stopped when the app exits, when it crashes, on Ctrl-C, by an ``atexit`` hook,
and by the server's own watchdog if this process is killed.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, TextIO

from bbot_tui.demo.server import LocalServer, ServerStartError, check_installed, start_demo_server

if TYPE_CHECKING:
    from bbot_tui.tui.app import BbotApp
__all__ = ["INSTALL_HINT", "demo_server", "first_assistant_id", "make_demo_app", "run_demo"]

INSTALL_HINT = (
    "The demo runs a local LangGraph server, which needs the 'demo' extra:\n"
    "    pip install 'bbot-tui[demo]'\n"
    "(from a clone of the repository, `make demo` installs it and starts the demo)"
)
"""Printed when the ``demo`` extra is missing."""

EXIT_ERROR = 1
"""Exit code when the demo cannot start."""

FIRST_GRAPH = "demo_chat"
"""The demo assistant selected at start."""


class Progress:
    """A one-line 'starting…' indicator with the elapsed time, drawn from a thread.

    On a terminal the line is redrawn in place every 0.1 s; elsewhere (a pipe, a log) it is
    printed once, so logs do not fill up with carriage returns.

    Args:
        label: What is happening, e.g. ``starting the local demo server…``.
        stream: Where to draw (default: ``sys.stderr``).
    """

    FRAMES = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"

    def __init__(self, label: str, stream: TextIO | None = None) -> None:
        self.label = label
        self.stream = stream or sys.stderr
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._began = time.monotonic()

    @property
    def elapsed(self) -> float:
        """Seconds since :meth:`start`."""
        return time.monotonic() - self._began

    def start(self) -> Progress:
        """Begin drawing."""
        self._began = time.monotonic()
        if self._interactive():
            self._thread = threading.Thread(target=self._draw, name="demo-progress", daemon=True)
            self._thread.start()
        else:
            self._write(f"bbot-tui: {self.label}\n")
        return self

    def stop(self, final: str) -> None:
        """Stop drawing and leave ``final`` on the line."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._write(f"\r\x1b[2Kbbot-tui: {final}\n")
        else:
            self._write(f"bbot-tui: {final}\n")

    def _interactive(self) -> bool:
        isatty = getattr(self.stream, "isatty", None)
        return bool(isatty and isatty())

    def _draw(self) -> None:
        frame = 0
        while not self._stop.wait(0.1):
            spinner = self.FRAMES[frame % len(self.FRAMES)]
            self._write(f"\r\x1b[2K{spinner} bbot-tui: {self.label} {self.elapsed:.1f} s")
            frame += 1

    def _write(self, text: str) -> None:
        with contextlib.suppress(OSError, ValueError):
            self.stream.write(text)
            self.stream.flush()


@contextlib.contextmanager
def demo_server(stream: TextIO | None = None) -> Iterator[LocalServer]:
    """Start the demo server with a progress line; stop it when the block ends, however it ends.

    Args:
        stream: Where the progress goes (default: ``sys.stderr``).

    Yields:
        The running server (``url`` is set).

    Raises:
        RuntimeError: The ``demo`` extra is not installed.
        ServerStartError: The server did not become healthy (the message quotes its log).
    """
    check_installed()
    progress = Progress("starting the local demo server…", stream).start()
    try:
        server = start_demo_server()
    except BaseException:
        progress.stop("the demo server did not start")
        raise
    progress.stop(f"demo server ready at {server.url} ({progress.elapsed:.1f} s)")
    try:
        yield server
    finally:
        server.stop()


def first_assistant_id(url: str, graph_id: str = FIRST_GRAPH) -> str | None:
    """The id of the demo server's assistant of ``graph_id`` (None if it cannot be found).

    The server lists its assistants newest first, which puts the failing demo on top; the demo
    opens on the chat instead, so a first message gets a friendly answer.
    """
    import httpx

    try:
        response = httpx.post(  # loopback: no proxy from the environment
            f"{url}/assistants/search",
            json={"graph_id": graph_id, "limit": 1},
            timeout=10,
            trust_env=False,
        )
        response.raise_for_status()
        found = response.json()
        return str(found[0]["assistant_id"]) if found else None
    except (httpx.HTTPError, ValueError, KeyError, IndexError, TypeError):
        return None


def make_demo_app(url: str) -> BbotApp:
    """The TUI on a demo server: a one-launch ``(demo)`` profile; only the user's profiles saved.

    Args:
        url: The demo server's base URL.

    Returns:
        The app, not yet running, opening on the demo chat.
    """
    from bbot_tui.config.settings import Profile
    from bbot_tui.tui.app import DEMO_PROFILE, make_app

    profile = Profile(name=DEMO_PROFILE, base_url=url, last_assistant_id=first_assistant_id(url))
    return make_app(None, launch_profile=profile, profiles_only=True)


def run_demo(stream: TextIO | None = None) -> int:
    """Run ``bbot-tui demo``: server up, TUI until the user quits, server down.

    Args:
        stream: Where progress and errors go (default: ``sys.stderr``).

    Returns:
        The process exit code (1 when the demo cannot start).
    """
    out = stream or sys.stderr
    try:
        check_installed()
    except RuntimeError:
        print(f"bbot-tui: the demo is not available.\n{INSTALL_HINT}", file=out)
        return EXIT_ERROR
    try:
        with demo_server(out) as server:
            assert server.url is not None
            app = make_demo_app(server.url)
            app.run()
            code = app.return_code or 0
    except ServerStartError as exc:
        print(f"bbot-tui: the demo server failed to start.\n{exc}", file=out)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("bbot-tui: interrupted; the demo server was stopped.", file=out)
        return 130
    print("bbot-tui: the demo server was stopped.", file=out)
    return code
