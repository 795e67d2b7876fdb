"""What every headless command shares: exit codes, output, the connection, error mapping.

The connection is resolved by :func:`bbot_tui.session.connect.resolve_connection`, the same
function the TUI uses: per field, ``--url``/``--api-key`` over ``BBOT_URL``/``BBOT_API_KEY``
over ``--profile`` (or the active profile); a profile's key only ever goes to the profile's own
origin (a note on stderr says when it was left out), and a key given by flag or environment goes
with the URL of the same launch. LangSmith/LangChain/LangGraph keys in the environment are never
read. A key is never printed: only :func:`mask_key` previews.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

from bbot_tui.api import errors
from bbot_tui.api.client import AgentClient, Page
from bbot_tui.api.models import Assistant
from bbot_tui.config.security import install_log_redaction
from bbot_tui.config.settings import load_settings
from bbot_tui.session.assistants import UUID_RE, list_assistants
from bbot_tui.session.connect import ConnectError, Connection, Overrides, env_overrides
from bbot_tui.session.connect import resolve_connection as resolve
from bbot_tui.text import one_line, sanitize

__all__ = [
    "EXIT_ERROR",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_STOPPED",
    "EXIT_USAGE",
    "UUID_RE",
    "Connection",
    "Output",
    "UsageError",
    "json_line",
    "make_client",
    "resolve_connection",
    "run_async",
    "search_assistants",
]

EXIT_OK = 0
"""The run finished (or the command did what it was asked)."""
EXIT_ERROR = 1
"""The run failed, or the server answered with an error."""
EXIT_USAGE = 2
"""Bad usage: a wrong flag value; nothing was sent."""
EXIT_STOPPED = 3
"""The run stopped at an interrupt or a breakpoint and waits to be continued."""
EXIT_INTERRUPTED = 130
"""Ctrl+C."""

# Characters json.dumps(ensure_ascii=False) leaves raw that a terminal or a UTF-8 pipe must
# not get: DEL, C1 controls, bidi controls, line/paragraph separators, lone surrogates.
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029\ud800-\udfff]")


class UsageError(Exception):
    """Bad usage (exit 2): the message says which flag and what is allowed."""


def json_line(obj: Any) -> str:
    """One compact JSON line, readable (non-ASCII kept) but terminal-safe."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), default=str)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


@dataclass
class Output:
    """Where a command writes: people's text and JSON lines to ``out``, notes to ``err``."""

    out: TextIO = field(default_factory=lambda: sys.stdout)
    err: TextIO = field(default_factory=lambda: sys.stderr)

    def write(self, text: str) -> None:
        """Write text to stdout as is (the caller sanitized it) and flush."""
        self.out.write(text)
        self.out.flush()

    def line(self, text: str = "") -> None:
        """Write one line to stdout."""
        self.write(text + "\n")

    def json(self, obj: Any) -> None:
        """Write one JSON line to stdout."""
        self.write(json_line(obj) + "\n")

    def note(self, text: str) -> None:
        """Write a line to stderr (notices, hints, errors)."""
        self.err.write(text + "\n")
        self.err.flush()


def resolve_connection(
    url: str | None, api_key: str | None, profile: str | None, output: Output
) -> Connection:
    """The connection of a command: flags over environment over profile, field by field.

    Settings warnings and the resolver's notices (a profile's key left out, and the rule
    why) go to stderr.

    Raises:
        UsageError: no server is known, the profile does not exist, or the URL or key is
            malformed (the message names the flag or variable it came from).
    """
    install_log_redaction()
    loaded = load_settings()
    for warning in loaded.warnings:
        output.note(f"settings: {one_line(warning, 300)}")
    try:
        conn = resolve(
            loaded.settings,
            flags=Overrides(url, api_key),
            env=env_overrides(),
            profile=profile,
        )
    except ConnectError as exc:
        raise UsageError(str(exc)) from None
    for notice in conn.notices:
        output.note(f"bbot-tui: {notice}")
    return conn


def make_client(conn: Connection) -> AgentClient:
    """The :class:`AgentClient` of a connection (``auto`` starts with the name its URL suggests)."""
    return conn.client()


async def search_assistants(
    client: AgentClient, auto: bool = True, **kwargs: Any
) -> Page[Assistant]:
    """Search assistants; with ``auto``, a missing ``/assistants`` retries B-Bot's name.

    The same search the TUI and ``--assistant`` use
    (:func:`bbot_tui.session.assistants.list_assistants`).
    """
    return await list_assistants(client, auto=auto, **kwargs)


def describe_error(exc: errors.ApiError) -> str:
    """A sanitized one-paragraph description of an API error, with its hint."""
    text = sanitize(exc.message)
    if exc.hint:
        text += f"\n  hint: {sanitize(exc.hint)}"
    return text


def run_async(main: Callable[[], Awaitable[int]], output: Output) -> int:
    """Run a command's coroutine and map failures to exit codes.

    ``UsageError`` and ``ConfigError`` give 2, any other ``ApiError`` 1, Ctrl+C 130. A command
    that must clean up on Ctrl+C (``run`` cancels its run) catches ``CancelledError`` itself.
    """

    async def guarded() -> int:
        try:
            return await main()
        except UsageError as exc:
            output.note(f"bbot-tui: {exc}")
            return EXIT_USAGE
        except errors.ConfigError as exc:
            output.note(f"bbot-tui: {describe_error(exc)}")
            return EXIT_USAGE
        except errors.ApiError as exc:
            output.note(f"error: {describe_error(exc)}")
            return EXIT_ERROR

    try:
        return asyncio.run(guarded())
    except KeyboardInterrupt:
        output.note("interrupted")
        return EXIT_INTERRUPTED
