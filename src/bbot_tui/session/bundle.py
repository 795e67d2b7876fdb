"""A debug bundle: one zip with what a maintainer needs to understand a problem on a thread.

The headless core behind ``bbot-tui bundle THREAD`` (and, later, a palette action).
:func:`collect_bundle` reads what the server says (``/info``, the thread, its state, its
history, its runs) and what this client knows (its version and platform, the connection and
profile without secrets, the run options saved for the thread's assistant, the runs it was
following on the thread, its log files); :meth:`Bundle.to_zip` writes the zip with a
``README.txt`` that says what each file is and what is missing, and why.

Secrets never enter a bundle: the key is described as set or not, the profile's extra header
values are replaced by ``***``, and every file (README, errors and file names included) passes
through :func:`bbot_tui.config.security.redact` with the connection's key and the registered
secrets, which also masks anything shaped like a B-Bot or LangSmith key. The server's data is
kept as the server sent it otherwise (JSON escapes its control characters).

What is not stored, and so not bundled (said in the README): the events of past runs
(``run --record FILE`` and script tapes write them only to the file the user names), and a log
(this version of the client writes none; files found in the log folder are included).
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import io
import json
import os
import platform
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bbot_tui import __version__
from bbot_tui.api import errors
from bbot_tui.api.client import AgentClient
from bbot_tui.config import paths
from bbot_tui.config.run_state import load_runs
from bbot_tui.config.security import redact
from bbot_tui.config.settings import Settings
from bbot_tui.session.connect import Connection
from bbot_tui.session.thread_record import (
    ThreadRecord,
    assistant_id_of,
    public_url,
    read_thread,
    scrub,
)
from bbot_tui.text import one_line

__all__ = ["LOG_LIMIT", "PACKAGES", "Bundle", "collect_bundle", "default_name"]

PACKAGES = (
    "bbot-tui",
    "textual",
    "rich",
    "httpx",
    "httpx-sse",
    "pydantic",
    "platformdirs",
    "markdown-it-py",
)
"""The distributions whose versions a bundle names."""
LOG_LIMIT = 2_000_000
"""At most this many bytes of each log file (its end) go into a bundle."""
_TERMINAL_ENV = ("TERM", "COLORTERM", "TERM_PROGRAM", "TERM_PROGRAM_VERSION", "LANG", "LC_ALL")


def default_name(thread_id: str, now: datetime | None = None) -> str:
    """``bbot-tui-bundle-<thread>-<UTC time>.zip`` (the thread id cut to 8 characters)."""
    moment = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    short = "".join(c for c in thread_id if c.isalnum() or c == "-")[:8] or "thread"
    return f"bbot-tui-bundle-{short}-{moment}.zip"


@dataclass
class Bundle:
    """The files of a debug bundle, already free of secrets.

    Attributes:
        members: file name → content, in the order they are written.
        problems: what could not be read, one sentence each (also in ``errors.json``).
        thread_read: the thread and its state were read.
    """

    members: dict[str, bytes] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    thread_read: bool = False

    def to_zip(self) -> bytes:
        """The bundle as zip bytes (deflated, ``README.txt`` first)."""
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, data in self.members.items():
                archive.writestr(name, data)
        return buffer.getvalue()


class _Writer:
    """Adds members, every one passed through the redaction of the bundle's secrets."""

    def __init__(self, secrets: Iterable[str]) -> None:
        self.secrets = tuple(s for s in secrets if s)
        self.files: dict[str, bytes] = {}
        self.described: list[tuple[str, str]] = []

    def text(self, name: str, text: str, what: str | None = None) -> None:
        clean_name = redact(name, self.secrets)
        self.files[clean_name] = redact(text, self.secrets).encode("utf-8")
        if what is not None:
            self.described.append((clean_name, what))

    def json(self, name: str, value: Any, what: str) -> None:
        masked = scrub(value, self.secrets, neutralise=False)
        self.text(name, json.dumps(masked, ensure_ascii=False, indent=2, default=str) + "\n", what)


def _versions() -> dict[str, Any]:
    packages: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            packages[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            packages[name] = None
    return {
        "bbot_tui": __version__,
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "packages": packages,
        "terminal": {k: os.environ[k] for k in _TERMINAL_ENV if k in os.environ},
    }


def _connection(conn: Connection) -> dict[str, Any]:
    """The connection and its profile, with no secret: keys as set or not, header values masked."""
    profile = conn.profile
    described: dict[str, Any] = {
        "base_url": public_url(conn.base_url),
        "url_source": conn.url_source,
        "api_key": "set" if conn.api_key is not None else "none",
        "key_source": conn.key_source,
        "extra_headers": {name: "***" for name in conn.extra_headers},
        "assistants_path": conn.assistants_path,
        "allow_insecure": conn.allow_insecure,
        "profile_applies": conn.profile_applies,
        "notices": list(conn.notices),
        "profile": None,
    }
    if profile is not None:
        described["profile"] = {
            "name": profile.name,
            "base_url": public_url(profile.base_url),
            "api_key": "set" if profile.api_key is not None else "none",
            "extra_headers": {name: "***" for name in profile.extra_headers},
            "assistants_path": profile.assistants_path,
            "allow_insecure_http": profile.allow_insecure_http,
            "last_assistant_id": profile.last_assistant_id,
            "last_thread_id": profile.last_thread_id,
        }
    return described


def _log_files() -> list[Path]:
    try:
        folder = paths.log_dir()
        return sorted(p for p in folder.iterdir() if p.is_file())
    except OSError:
        return []


def _tail(path: Path) -> str:
    with path.open("rb") as handle:
        size = handle.seek(0, os.SEEK_END)
        handle.seek(max(0, size - LOG_LIMIT))
        data = handle.read()
    cut = f"[… the first {size - LOG_LIMIT} bytes are left out]\n" if size > LOG_LIMIT else ""
    return cut + data.decode("utf-8", errors="replace")


def _record_files(out: _Writer, record: ThreadRecord) -> None:
    out.json(
        "thread/thread.json",
        record.thread.model_dump(mode="json"),
        "GET /threads/{id}: status, metadata, values, pending interrupts, last error",
    )
    out.json(
        "thread/state.json",
        record.state.model_dump(mode="json"),
        "GET /threads/{id}/state: the current values, next nodes, tasks and interrupts",
    )
    out.json(
        "thread/history.json",
        [s.model_dump(mode="json") for s in record.history],
        f"POST /threads/{{id}}/history: every checkpoint, oldest first ({len(record.history)})",
    )
    out.json(
        "thread/runs.json",
        [r.model_dump(mode="json") for r in record.runs],
        f"GET /threads/{{id}}/runs: every run, newest first, with its kwargs ({len(record.runs)})",
    )
    if record.assistant is not None:
        out.json(
            "thread/assistant.json",
            record.assistant.model_dump(mode="json"),
            "GET /assistants/{id}: the assistant of the thread's last run",
        )


def _readme(out: _Writer, thread_id: str, absent: list[str], problems: list[str]) -> str:
    lines = [
        "bbot-tui debug bundle",
        "=====================",
        "",
        f"Thread:  {thread_id}",
        f"Made:    {datetime.now(UTC).strftime('%Y-%m-%d %H:%M:%S UTC')}",
        f"Client:  bbot-tui {__version__}",
        "",
        "No key or secret is in this bundle: the key is shown as 'set' or 'none', header values",
        "of the profile as ***, and anything shaped like a key is masked in every file.",
        "",
        "Files",
        "-----",
    ]
    width = max((len(name) for name, _ in out.described), default=10)
    lines += [f"{name.ljust(width)}  {what}" for name, what in out.described]
    lines += ["", "Not included", "------------"]
    lines += [f"- {item}" for item in absent] or ["- nothing"]
    if problems:
        title = "Problems while collecting (also in errors.json)"
        lines += ["", title, "-" * len(title)]
        lines += [f"- {one_line(p, 500)}" for p in problems]
    return "\n".join(lines) + "\n"


async def collect_bundle(
    client: AgentClient,
    thread_id: str,
    *,
    connection: Connection,
    settings: Settings,
    secrets: Iterable[str] = (),
    active_runs: list[Mapping[str, str]] | None = None,
) -> Bundle:
    """Read everything a bundle holds; what fails is noted, never raised.

    Args:
        client: the connection's client.
        thread_id: the thread.
        connection: how the client connects (described without secrets).
        settings: the saved settings (for the run options of the thread's assistant).
        secrets: values to mask (the key; the registered secrets).
        active_runs: the runs this client remembers as streaming (default: read from the
            state folder for this server).
    """
    masks = list(secrets)
    if connection.api_key is not None:
        masks.append(connection.api_key.get_secret_value())
    out = _Writer(masks)
    problems: list[str] = []
    absent: list[str] = []
    bundle = Bundle()

    try:
        info = await client.info()
        out.json("server/info.json", info, "GET /info: the server's version and flags")
    except errors.ApiError as exc:
        problems.append(f"GET /info failed: {exc.message}")
    out.json("client/versions.json", _versions(), "this client, Python, platform, packages")
    out.json(
        "client/connection.json",
        _connection(connection),
        "the connection and its profile, without secrets",
    )

    record: ThreadRecord | None = None
    try:
        record = await read_thread(client, thread_id)
        bundle.thread_read = True
    except errors.ApiError as exc:
        problems.append(f"the thread could not be read: {exc.message}")
        absent.append("the thread, its state, history and runs (see the problems below)")
    if record is not None:
        problems += record.notes
        _record_files(out, record)
        assistant_id = assistant_id_of(record)
        saved = settings.run_options.get(assistant_id) if assistant_id else None
        if saved is not None:
            out.json(
                "client/run-options.json",
                {"assistant_id": assistant_id, "options": saved},
                "the run options saved in this client for the thread's assistant",
            )
        else:
            absent.append(
                "run options: none are saved in this client for the thread's assistant"
                + (f" ({assistant_id})" if assistant_id else "")
            )

    if active_runs is None:
        active_runs = []
        with contextlib.suppress(OSError):
            active_runs = list(load_runs(connection.base_url))
    mine = [dict(r) for r in active_runs if r.get("thread_id") == thread_id]
    if mine:
        out.json(
            "client/active-runs.json",
            mine,
            "runs this client was streaming on the thread when it last stopped (to rejoin)",
        )
    absent.append(
        "recorded events: this client keeps no events of past runs (run --record FILE and "
        "script tapes write them only to the file you name; add such a file yourself)"
    )
    logs = _log_files()
    for log in logs:
        try:
            out.text(f"client/log/{log.name}", _tail(log), "a log file of this client")
        except OSError as exc:
            problems.append(f"the log {log.name} could not be read: {exc.strerror or exc}")
    if not logs:
        absent.append("a client log: this version of bbot-tui writes no log file")
    if problems:
        out.json("errors.json", problems, "what could not be collected, and why")
    readme = _readme(out, thread_id, absent, problems)
    out.text("README.txt", readme)
    bundle.members = {"README.txt": out.files.pop("README.txt"), **out.files}
    bundle.problems = [redact(p, out.secrets) for p in problems]
    return bundle
