"""Runs that were streaming: remembered so that the next start can offer to rejoin them.

The file (:func:`bbot_tui.config.paths.run_state_path`) holds
``{"runs": [{base_url, thread_id, run_id,
assistant_id}, …]}``, one entry per thread, written atomically (0600). A damaged file is treated
as empty. The functions block (file I/O): call them with ``asyncio.to_thread``.

Nothing here imports Textual.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from bbot_tui.config import paths

__all__ = ["ActiveRun", "forget_run", "load_runs", "remember_run"]

MAX_RUNS = 20
"""At most this many runs are remembered (the oldest are dropped)."""

_lock = threading.Lock()

ActiveRun = dict[str, str]
"""One entry: ``base_url``, ``thread_id``, ``run_id`` and (optionally) ``assistant_id``."""


def _read(path: Path) -> list[ActiveRun]:
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return []
    runs = data.get("runs") if isinstance(data, dict) else None
    if not isinstance(runs, list):
        return []
    return [
        {k: v for k, v in item.items() if isinstance(k, str) and isinstance(v, str)}
        for item in runs
        if isinstance(item, dict)
        and isinstance(item.get("thread_id"), str)
        and isinstance(item.get("run_id"), str)
        and isinstance(item.get("base_url"), str)
    ]


def _write(path: Path, runs: list[ActiveRun]) -> None:
    payload: dict[str, Any] = {"runs": runs[-MAX_RUNS:]}
    paths.atomic_write(path, (json.dumps(payload, indent=1) + "\n").encode())


def load_runs(base_url: str, path: Path | None = None) -> list[ActiveRun]:
    """The remembered runs of one server.

    Args:
        base_url: The server's base URL.
        path: The file (default: :func:`bbot_tui.config.paths.run_state_path`).

    Returns:
        The entries, oldest first.
    """
    target = path or paths.run_state_path()
    with _lock:
        return [r for r in _read(target) if r["base_url"] == base_url]


def remember_run(entry: ActiveRun, path: Path | None = None) -> None:
    """Remember a streaming run (replacing any entry for the same thread).

    Args:
        entry: ``base_url``, ``thread_id``, ``run_id`` and optionally ``assistant_id``.
        path: The file (default: :func:`bbot_tui.config.paths.run_state_path`).
    """
    target = path or paths.run_state_path()
    with _lock:
        runs = [
            r
            for r in _read(target)
            if (r["base_url"], r["thread_id"]) != (entry["base_url"], entry["thread_id"])
        ]
        runs.append(dict(entry))
        _write(target, runs)


def forget_run(base_url: str, thread_id: str, path: Path | None = None) -> None:
    """Forget the run of a thread (it ended, or the user declined to rejoin it).

    Args:
        base_url: The server's base URL.
        thread_id: The thread.
        path: The file (default: :func:`bbot_tui.config.paths.run_state_path`).
    """
    target = path or paths.run_state_path()
    with _lock:
        runs = _read(target)
        kept = [r for r in runs if (r["base_url"], r["thread_id"]) != (base_url, thread_id)]
        if len(kept) != len(runs):
            _write(target, kept)
