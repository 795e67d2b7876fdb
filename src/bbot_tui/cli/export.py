"""``bbot-tui export THREAD``: a thread as Markdown, JSON or a self-contained HTML page.

The document is built by :mod:`bbot_tui.session.export`; this module picks the format (the
``--format`` flag, else the ``-o`` file's extension, else Markdown), reads the thread and writes
the document to stdout or to a new file readable by its owner only (an export holds a private
conversation). The connection's key is masked wherever it would appear.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from bbot_tui.cli.common import EXIT_OK, Output, UsageError, make_client, resolve_connection
from bbot_tui.config.security import registered_secrets
from bbot_tui.session.export import EXPORT_FORMATS, EXTENSIONS, ExportFormat, render
from bbot_tui.session.thread_record import read_thread
from bbot_tui.text import one_line

__all__ = ["export_command", "write_private"]


def write_private(path: str | os.PathLike[str], data: bytes, *, flag: str = "-o") -> Path:
    """Write ``data`` to ``path`` (replacing it), readable and writable by its owner only.

    Raises:
        UsageError: the file cannot be written (the message names ``flag``).
    """
    target = Path(path)
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
    except OSError as exc:
        shown = one_line(str(target), 200)
        raise UsageError(f"{flag}: cannot write {shown} ({exc.strerror or exc})") from None
    return target


def pick_format(fmt: str | None, output_path: str | None) -> ExportFormat:
    """The format asked for, else the one the output file's extension names, else Markdown.

    Raises:
        UsageError: an unknown ``--format``, or ``-o`` names a file of another format.
    """
    implied = EXTENSIONS.get(Path(output_path).suffix.lower()) if output_path else None
    if fmt is not None:
        chosen = next((f for f in EXPORT_FORMATS if f == fmt.strip().lower()), None)
        if chosen is None:
            allowed = ", ".join(EXPORT_FORMATS)
            raise UsageError(f"--format: {one_line(fmt, 40)!r} is not one of {allowed}")
        if implied is not None and implied != chosen:
            raise UsageError(
                f"--format {chosen} but -o {one_line(str(output_path), 100)} looks like {implied}"
            )
        return chosen
    return implied or "markdown"


async def export_command(args: argparse.Namespace, output: Output) -> int:
    """``bbot-tui export THREAD [--format F] [-o FILE]``."""
    fmt = pick_format(args.format, args.output)
    conn = resolve_connection(args.url, args.api_key, args.profile, output)
    async with make_client(conn) as client:
        record = await read_thread(client, args.thread)
    secrets = list(registered_secrets())
    if conn.api_key is not None:
        secrets.append(conn.api_key.get_secret_value())
    document = render(record, fmt, secrets)
    for note in record.notes:
        output.note(f"note: {one_line(note, 300)}")
    if args.output is None:
        output.write(document)
        return EXIT_OK
    target = write_private(args.output, document.encode("utf-8"))
    messages = len(record.state.messages)
    output.note(
        f"exported thread {one_line(record.thread.thread_id, 80)} ({messages} messages, {fmt}) "
        f"to {one_line(str(target), 200)}"
    )
    return EXIT_OK
