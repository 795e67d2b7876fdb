"""What the server keeps on one thread, read in one go: the input of an export and a bundle.

:func:`read_thread` reads the thread, its state, every checkpoint of its history (paged with
``before``, oldest first once read), its runs (paged, newest first) and its assistant into a
:class:`ThreadRecord`. The thread and its state must be readable; the rest is read when the
server offers it, and what is missing is said in :attr:`ThreadRecord.notes`.

:func:`scrub` masks secrets (and, for documents, sanitizes) every string of JSON-like data;
:func:`public_url` is a server URL that is safe to show. Nothing here imports Textual.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from bbot_tui.api import errors
from bbot_tui.api.client import AgentClient
from bbot_tui.api.models import Assistant, Run, Thread, ThreadState
from bbot_tui.text import one_line, sanitize

__all__ = [
    "HISTORY_PAGE",
    "MAX_CHECKPOINTS",
    "MAX_RUNS",
    "RUNS_PAGE",
    "ThreadRecord",
    "assistant_id_of",
    "public_url",
    "read_thread",
    "scrub",
]

HISTORY_PAGE = 100
"""Checkpoints asked for per history request."""
MAX_CHECKPOINTS = 2000
"""At most this many checkpoints are read (the newest)."""
RUNS_PAGE = 100
"""Runs asked for per request."""
MAX_RUNS = 1000
"""At most this many runs are read (the newest)."""

_REDACTED = "***"


@dataclass
class ThreadRecord:
    """What the server keeps on one thread, as read for an export.

    Attributes:
        server: the server's URL (no credentials, query or fragment).
        thread: ``GET /threads/{id}``.
        state: ``GET /threads/{id}/state``.
        history: every checkpoint read, oldest first.
        runs: the thread's runs, newest first (empty when the server lists none).
        assistant: the assistant of the last run, when the server knows it.
        notes: what could not be read, one sentence each.
    """

    server: str
    thread: Thread
    state: ThreadState
    history: list[ThreadState] = field(default_factory=list)
    runs: list[Run] = field(default_factory=list)
    assistant: Assistant | None = None
    notes: list[str] = field(default_factory=list)


def public_url(url: str) -> str:
    """``url`` without user name, password, query or fragment (safe to print or share)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = f"{host}:{port}" if port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


async def _history(client: AgentClient, thread_id: str) -> list[ThreadState]:
    """Every checkpoint (at most :data:`MAX_CHECKPOINTS`), oldest first."""
    found: list[ThreadState] = []
    before: str | None = None
    while len(found) < MAX_CHECKPOINTS:
        page = await client.threads.get_history(thread_id, limit=HISTORY_PAGE, before=before)
        fresh = [s for s in page if s.checkpoint_id != before]
        found.extend(fresh)
        last = page[-1].checkpoint_id if page else None
        if len(page) < HISTORY_PAGE or not fresh or last is None:
            break
        before = last
    return list(reversed(found[:MAX_CHECKPOINTS]))


async def _runs(client: AgentClient, thread_id: str) -> list[Run]:
    """The thread's runs, newest first (at most :data:`MAX_RUNS`)."""
    runs: list[Run] = []
    while len(runs) < MAX_RUNS:
        page = await client.runs.list(thread_id, limit=RUNS_PAGE, offset=len(runs))
        runs.extend(page)
        if len(page) < RUNS_PAGE:
            break
    return runs


async def read_thread(client: AgentClient, thread_id: str) -> ThreadRecord:
    """Read a thread, its state, its history, its runs and its assistant.

    The thread and its state must be readable; the history, the runs and the assistant are
    read when the server offers them (what is missing is said in :attr:`ThreadRecord.notes`).

    Args:
        client: the profile's client.
        thread_id: the thread.

    Raises:
        ApiError: the thread or its state cannot be read (``NotFound`` for an unknown id).
    """
    thread = await client.threads.get(thread_id)
    state = await client.threads.get_state(thread_id)
    record = ThreadRecord(public_url(client.base_url), thread, state)
    try:
        record.history = await _history(client, thread_id)
    except (errors.HttpError, errors.ProtocolError) as exc:
        record.notes.append(f"the history could not be read ({one_line(exc.message, 200)})")
    try:
        record.runs = await _runs(client, thread_id)
    except (errors.HttpError, errors.ProtocolError) as exc:
        record.notes.append(f"the runs could not be read ({one_line(exc.message, 200)})")
    assistant_id = assistant_id_of(record)
    if assistant_id:
        with contextlib.suppress(errors.HttpError, errors.ProtocolError):
            record.assistant = await client.assistants.get(assistant_id)
    return record


def assistant_id_of(record: ThreadRecord) -> str | None:
    """The thread's assistant: its state's, else its metadata's, else its last run's."""
    for source in (record.state.metadata, record.thread.metadata):
        value = (source or {}).get("assistant_id")
        if isinstance(value, str) and value:
            return value
    for run in record.runs:
        if run.assistant_id:
            return run.assistant_id
    return None


# --------------------------------------------------------------------------- scrubbing


def scrub(value: Any, secrets: Iterable[str] = (), *, neutralise: bool = True) -> Any:
    """A copy of a JSON-like value with every string sanitized and every secret masked.

    Strings (dict keys included) go through :func:`bbot_tui.text.sanitize`; each secret found
    in one is replaced by ``***``. The walk is iterative (deep server payloads cannot exhaust
    the stack); tuples become lists.

    Args:
        value: a str, number, bool, None, or dicts/lists/tuples of those.
        secrets: exact values to mask (secrets shorter than 4 characters are ignored).
        neutralise: sanitize the strings too (False: only mask, for a debug bundle that must
            show what the server sent; JSON escapes its control characters anyway).
    """
    masks = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def clean(text: str) -> str:
        if neutralise:
            text = sanitize(text)
        for secret in masks:
            if secret in text:
                text = text.replace(secret, _REDACTED)
        return text

    def child(item: Any, stack: list[tuple[Any, Any]]) -> Any:
        if isinstance(item, str):
            return clean(item)
        if isinstance(item, dict):
            copy: dict[Any, Any] | list[Any] = {}
        elif isinstance(item, list | tuple):
            copy = []
        else:
            return item
        stack.append((item, copy))
        return copy

    stack: list[tuple[Any, Any]] = []
    root = child(value, stack)
    while stack:
        source, target = stack.pop()
        if isinstance(source, dict):
            for key, item in source.items():
                target[clean(key) if isinstance(key, str) else key] = child(item, stack)
        else:
            target.extend(child(item, stack) for item in source)
    return root
