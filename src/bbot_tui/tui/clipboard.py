"""The system clipboard, next to the terminal's OSC 52 that Textual writes.

OSC 52 reaches the clipboard only where the terminal allows it (not macOS Terminal, not tmux
without ``set-clipboard on``, not every SSH session), so a copy also goes to the platform's
own clipboard tool when one is there: ``pbcopy`` on macOS, ``clip.exe`` on Windows and WSL,
``wl-copy`` on Wayland, ``xclip`` or ``xsel`` on X11. The tool runs as an asyncio subprocess
with a timeout, so the event loop never waits for it; none found (a headless Linux, an SSH
session without X forwarding) means OSC 52 alone, silently.

No Textual here: :class:`SystemClipboard` is plain asyncio, tested with a fake tool on PATH.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import sys
from collections.abc import Callable, Mapping

__all__ = ["COPY_TIMEOUT", "SystemClipboard", "clipboard_command", "copy_to_system"]

COPY_TIMEOUT = 2.0
"""Seconds a clipboard tool may take before it is killed (a copy never hangs the app)."""


def clipboard_command(
    *,
    environ: Mapping[str, str] | None = None,
    platform: str | None = None,
    which: Callable[[str], str | None] = shutil.which,
) -> list[str] | None:
    """The command that puts its standard input on the system clipboard here, or None.

    Args:
        environ: the environment (default ``os.environ``): ``WAYLAND_DISPLAY``, ``DISPLAY``.
        platform: ``sys.platform`` by default.
        which: finds a program on PATH (``shutil.which``).
    """
    env = os.environ if environ is None else environ
    system = sys.platform if platform is None else platform
    if system == "darwin":
        return ["pbcopy"] if which("pbcopy") else None
    if system == "win32":
        return ["clip.exe"] if which("clip.exe") else None
    if env.get("WAYLAND_DISPLAY") and which("wl-copy"):
        return ["wl-copy"]
    if env.get("DISPLAY"):
        if which("xclip"):
            return ["xclip", "-selection", "clipboard"]
        if which("xsel"):
            return ["xsel", "--clipboard", "--input"]
    if which("clip.exe"):  # WSL: Windows' clipboard, reachable from Linux
        return ["clip.exe"]
    return None


def _encode(command: list[str], text: str) -> bytes:
    # clip.exe reads the console code page unless the input is UTF-16 with its BOM
    return text.encode("utf-16") if command[0] == "clip.exe" else text.encode("utf-8")


async def copy_to_system(
    text: str, command: list[str] | None = None, *, timeout: float = COPY_TIMEOUT
) -> bool:
    """Put ``text`` on the system clipboard.

    Args:
        text: what to copy.
        command: the tool (default: :func:`clipboard_command`).
        timeout: seconds before the tool is killed.

    Returns:
        True when the tool took it; False when there is no tool, it failed or it hung.
    """
    argv = command if command is not None else clipboard_command()
    if argv is None:
        return False
    env = {**os.environ, "LC_CTYPE": "UTF-8"} if argv[0] == "pbcopy" else None
    try:
        process = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
            env=env,
            start_new_session=True,  # never the terminal's job control, never its signals
        )
    except OSError:
        return False
    try:
        await asyncio.wait_for(process.communicate(_encode(argv, text)), timeout)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()
        return False
    return process.returncode == 0


class SystemClipboard:
    """Copies in the background, one task per copy; the tool is looked up once.

    Args:
        command: the tool (default: :func:`clipboard_command`, found on first use).
        timeout: seconds before the tool is killed.

    Attributes:
        results: how each finished copy went (True: the tool took it), newest last.
    """

    def __init__(self, command: list[str] | None = None, *, timeout: float = COPY_TIMEOUT) -> None:
        self._command = command
        self._looked_up = command is not None
        self._timeout = timeout
        self._tasks: set[asyncio.Task[bool]] = set()
        self.results: list[bool] = []

    @property
    def command(self) -> list[str] | None:
        """The tool copies go to (None: there is none here, OSC 52 only)."""
        if not self._looked_up:
            self._command = clipboard_command()
            self._looked_up = True
        return self._command

    def copy(self, text: str) -> None:
        """Start copying ``text`` (returns at once; needs a running event loop)."""
        command = self.command
        if command is None:
            return
        task = asyncio.get_running_loop().create_task(
            copy_to_system(text, command, timeout=self._timeout)
        )
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[bool]) -> None:
        self._tasks.discard(task)
        if not task.cancelled():
            self.results.append(bool(task.result()) if task.exception() is None else False)

    async def drain(self) -> None:
        """Wait for the copies under way (tests; the app's exit)."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
