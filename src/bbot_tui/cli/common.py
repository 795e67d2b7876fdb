"""What every headless command shares: exit codes, output, the connection, error mapping.

The connection comes from, in order: ``--url``/``--api-key``; ``BBOT_URL``/``BBOT_API_KEY``;
``--profile`` or the active profile of the saved settings. LangSmith/LangChain/LangGraph keys
in the environment are never read. A key is never printed: only :func:`mask_key` previews.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

from pydantic import SecretStr

from bbot_tui.api import errors
from bbot_tui.api.client import AgentClient, Page
from bbot_tui.api.models import Assistant
from bbot_tui.config.security import install_log_redaction, register_secret
from bbot_tui.config.settings import apply_env_overrides, load_settings, read_env_overrides
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

UUID_RE = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)
"""An assistant or thread id (graph names are not UUIDs)."""

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


@dataclass
class Connection:
    """The server a command talks to.

    Attributes:
        base_url: the normalized API root.
        api_key: the key, or None.
        extra_headers: more headers from the profile.
        assistants_path: ``assistants``, ``distribution-channels`` or ``auto``.
        allow_insecure: the profile's consent to send a key over plain http.
        source: where it came from (``command line``, ``environment`` or a profile name).
        explicit_url: the URL came from ``--url`` or ``BBOT_URL`` (printed in hints).
    """

    base_url: str
    api_key: SecretStr | None = None
    extra_headers: dict[str, str] = field(default_factory=dict)
    assistants_path: str = "auto"
    allow_insecure: bool = False
    source: str = "command line"
    explicit_url: bool = True


def resolve_connection(
    url: str | None, api_key: str | None, profile: str | None, output: Output
) -> Connection:
    """Find the server to use (flags, then environment, then the saved profile).

    Raises:
        UsageError: no server is known, or the URL or key is malformed.
    """
    install_log_redaction()
    loaded = load_settings()
    for warning in loaded.warnings:
        output.note(f"settings: {one_line(warning, 300)}")
    settings = loaded.settings
    if profile is not None:
        if profile not in settings.profiles:
            names = ", ".join(sorted(settings.profiles)) or "none saved"
            raise UsageError(f"--profile: no profile named {one_line(profile, 60)!r} ({names})")
        settings = settings.model_copy(update={"active_profile": profile})
    env_url, env_key = read_env_overrides()
    try:
        settings = apply_env_overrides(settings, env_url, env_key, source="environment")
    except ValueError as exc:
        raise UsageError(f"BBOT_URL/BBOT_API_KEY: {exc}") from None
    try:
        settings = apply_env_overrides(settings, url, api_key, source="command line")
    except ValueError as exc:
        raise UsageError(f"--url/--api-key: {exc}") from None
    active = settings.active()
    if active is None:
        raise UsageError(
            "no server: pass --url URL (or set BBOT_URL), or save a profile in the TUI"
        )
    if active.api_key is not None:
        register_secret(active.api_key.get_secret_value())
    explicit = url is not None or env_url is not None
    source = active.name.strip("()")
    return Connection(
        base_url=active.base_url,
        api_key=active.api_key,
        extra_headers=dict(active.extra_headers),
        assistants_path=active.assistants_path,
        allow_insecure=active.allow_insecure_http,
        source=source,
        explicit_url=explicit,
    )


def make_client(conn: Connection) -> AgentClient:
    """An :class:`AgentClient` for the connection (``auto`` starts with ``/assistants``)."""
    path = (
        "distribution-channels" if conn.assistants_path == "distribution-channels" else "assistants"
    )
    return AgentClient(
        conn.base_url,
        api_key=conn.api_key,
        extra_headers=conn.extra_headers,
        assistants_path=path,  # type: ignore[arg-type]
        allow_insecure=conn.allow_insecure,
    )


async def search_assistants(
    client: AgentClient, auto: bool = True, **kwargs: Any
) -> Page[Assistant]:
    """Search assistants; with ``auto``, a missing ``/assistants`` retries B-Bot's name.

    The fallback is :meth:`AgentClient.discover_assistants`, shared with the TUI and doctor.
    """
    if auto:
        return await client.discover_assistants(**kwargs)
    return await client.search_assistants(**kwargs)


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
