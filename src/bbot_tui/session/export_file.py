"""Export the open thread to a file from the TUI (``/export [FILE]`` and the palette).

:func:`export_thread` reads the thread from the server (:func:`~.thread_record.read_thread`),
renders it with :func:`~.export.render` in the format the file's extension names (Markdown when
it names none) and writes it readable by its owner only: an export holds a private
conversation. Without a file name it writes ``thread-<id>.md`` in the given folder. Nothing here
knows a widget.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from bbot_tui.api.client import AgentClient
from bbot_tui.session.export import EXTENSIONS, ExportFormat, render
from bbot_tui.session.thread_record import read_thread

__all__ = ["ExportResult", "default_name", "export_thread", "format_for", "write_private"]


@dataclass(frozen=True)
class ExportResult:
    """What was written.

    Attributes:
        path: The file.
        format: Its format.
        messages: How many messages the thread's state holds.
        notes: What could not be read from the server, one sentence each.
    """

    path: Path
    format: ExportFormat
    messages: int
    notes: list[str] = field(default_factory=list)


def format_for(path: str | os.PathLike[str]) -> ExportFormat:
    """The format a file name's extension names (``.json``, ``.html``…), else Markdown."""
    return EXTENSIONS.get(Path(path).suffix.lower(), "markdown")


def default_name(thread_id: str) -> str:
    """The file written when none is named: ``thread-<first 8 characters of the id>.md``."""
    return f"thread-{thread_id[:8]}.md"


def write_private(path: Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path``, replacing it, readable by its owner only.

    Raises:
        OSError: the file cannot be written.
    """
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(text.encode("utf-8"))
    return path


async def export_thread(
    client: AgentClient,
    thread_id: str,
    file: str | None,
    *,
    folder: Path,
    secrets: Iterable[str] = (),
) -> ExportResult:
    """Read a thread and write it to ``file`` (relative to ``folder``).

    Args:
        client: The profile's client.
        thread_id: The thread.
        file: The file name (``~`` expands); None writes :func:`default_name` in ``folder``.
        folder: Where relative names start.
        secrets: Strings masked in the document (the profile's key).

    Returns:
        What was written.

    Raises:
        ApiError: the thread could not be read.
        OSError: the file could not be written.
    """
    target = Path(os.path.expanduser(file)) if file else Path(default_name(thread_id))
    if not target.is_absolute():
        target = folder / target
    fmt = format_for(target)
    record = await read_thread(client, thread_id)
    document = render(record, fmt, secrets)
    await asyncio.to_thread(write_private, target, document)
    return ExportResult(target, fmt, len(record.state.messages), list(record.notes))
