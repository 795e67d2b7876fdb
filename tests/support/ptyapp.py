"""Run a real program in a pseudo-terminal and capture every byte it writes to the terminal.

What a Textual app writes to a real terminal is the only proof that no escape sequence from
untrusted text reaches it (docs/PROTOCOL.md, case U1): ``run_test`` never renders to a terminal.
Used as::

    with PtyApp([sys.executable, "-m", "bbot_tui"], env=env) as app:
        app.wait_for(lambda out: b"ready" in out, "the first frame")
        app.paste("text")                  # bracketed paste, as a terminal sends it
        app.write(b"\\r")                  # Enter
        app.output                         # every byte so far

The child is stopped by its own process id (SIGTERM, then SIGKILL) when the block ends.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import signal
import struct
import subprocess
import termios
import threading
import time
from collections.abc import Callable, Mapping, Sequence

__all__ = ["ANSI", "PtyApp", "plain"]

ANSI = re.compile(rb"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|P[^\x1b]*\x1b\\|.)")
"""Escape sequences as a terminal program writes them (CSI, OSC, DCS, two-byte ESC)."""


def plain(output: bytes) -> str:
    """The text of terminal output without its escape sequences (for "is it shown" checks)."""
    return ANSI.sub(b"", output).decode("utf-8", "replace")


class PtyApp:
    """A child process on a pseudo-terminal of ``columns`` x ``lines``.

    Args:
        argv: the command.
        env: its environment (``TERM`` defaults to ``xterm-256color``).
        columns, lines: the terminal size.
        limit: seconds after which the child is killed whatever happens.
    """

    def __init__(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        columns: int = 120,
        lines: int = 40,
        limit: float = 120.0,
    ) -> None:
        self.argv = list(argv)
        self.env = {"TERM": "xterm-256color", "COLORTERM": "truecolor", **(env or os.environ)}
        self.columns = columns
        self.lines = lines
        self.limit = limit
        self._chunks: list[bytes] = []
        self._lock = threading.Lock()
        self._master = -1
        self.process: subprocess.Popen[bytes] | None = None
        self._reader: threading.Thread | None = None
        self._killer: threading.Timer | None = None

    @property
    def output(self) -> bytes:
        """Everything the child wrote so far."""
        with self._lock:
            return b"".join(self._chunks)

    def start(self) -> PtyApp:
        """Start the child on a new pseudo-terminal."""
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", self.lines, self.columns, 0, 0))
        self.process = subprocess.Popen(
            self.argv,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=dict(self.env),
            start_new_session=True,
            close_fds=True,
        )
        os.close(slave)
        self._master = master
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self._killer = threading.Timer(self.limit, self.kill)
        self._killer.daemon = True
        self._killer.start()
        return self

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self._master, 65536)
            except OSError:
                return
            if not data:
                return
            with self._lock:
                self._chunks.append(data)

    def write(self, data: bytes) -> None:
        """Send bytes as if typed."""
        os.write(self._master, data)

    def paste(self, text: str) -> None:
        """Send ``text`` as a bracketed paste (what a terminal sends on paste)."""
        self.write(b"\x1b[200~" + text.encode() + b"\x1b[201~")

    def wait_for(self, condition: Callable[[bytes], bool], what: str, timeout: float = 60) -> None:
        """Wait until ``condition(output)`` holds; fail with ``what`` (and the screen text)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition(self.output):
                return
            if self.process is not None and self.process.poll() is not None:
                break
            time.sleep(0.05)
        if condition(self.output):
            return
        raise AssertionError(
            f"gave up waiting for {what}; screen text: {plain(self.output)[-3000:]}"
        )

    def wait_exit(self, timeout: float = 30) -> int | None:
        """Wait for the child to exit; its return code (None if it did not)."""
        assert self.process is not None
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def kill(self) -> None:
        """Stop the child by its process id: SIGTERM, then SIGKILL."""
        process = self.process
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            process.wait(5)

    def close(self) -> None:
        """Kill the child if it still runs, and release the terminal."""
        self.kill()
        if self._killer is not None:
            self._killer.cancel()
        if self._reader is not None:
            self._reader.join(5)
        if self._master >= 0:
            with contextlib.suppress(OSError):
                os.close(self._master)
            self._master = -1

    def __enter__(self) -> PtyApp:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
