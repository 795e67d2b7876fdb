"""Which runs are streaming, written down so that the next start can offer to rejoin them.

The run session reports a run as soon as its id is known and again when it ends; the
:class:`RunLedger` turns each report into a write of :mod:`bbot_tui.config.run_state` and keeps
the writes in order, one at a time, off the event loop. Its owner runs :meth:`RunLedger.drain`
in a worker whenever a report says a drain must start. Nothing here imports Textual.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from bbot_tui.config.run_state import ActiveRun

__all__ = ["RunLedger"]


class RunLedger:
    """The streaming runs of every server, kept in the run-state file.

    Args:
        path: The file (default: :func:`bbot_tui.config.paths.run_state_path`).
    """

    def __init__(self, path: Path | None = None) -> None:
        self._path = path
        self._writes: list[Callable[[], None]] = []
        self._draining = False

    @property
    def pending(self) -> int:
        """How many writes wait for the drain."""
        return len(self._writes)

    def started(
        self, base_url: str, thread_id: str, run_id: str, assistant_id: str | None = None
    ) -> bool:
        """Queue "this run is streaming" (replacing the thread's entry).

        Args:
            base_url: The server.
            thread_id: The run's thread.
            run_id: The run.
            assistant_id: The assistant that runs it, if known.

        Returns:
            True when nothing is draining yet: the caller starts :meth:`drain` in a worker.
        """
        from bbot_tui.config import run_state

        entry = {"base_url": base_url, "thread_id": thread_id, "run_id": run_id}
        if assistant_id is not None:
            entry["assistant_id"] = assistant_id
        return self._queue(partial(run_state.remember_run, entry, self._path))

    def ended(self, base_url: str, thread_id: str) -> bool:
        """Queue "the thread's run is over".

        Args:
            base_url: The server.
            thread_id: The thread.

        Returns:
            True when nothing is draining yet: the caller starts :meth:`drain` in a worker.
        """
        from bbot_tui.config import run_state

        return self._queue(partial(run_state.forget_run, base_url, thread_id, self._path))

    def _queue(self, write: Callable[[], None]) -> bool:
        self._writes.append(write)
        if self._draining:
            return False
        self._draining = True
        return True

    async def drain(self) -> None:
        """Do the queued writes in order, each in a thread, until none is left."""
        try:
            while self._writes:
                await asyncio.to_thread(self._writes.pop(0))
        finally:
            self._draining = False

    async def remembered(self, base_url: str) -> list[ActiveRun]:
        """The runs of a server that were streaming, oldest first (read in a thread).

        Args:
            base_url: The server.

        Returns:
            The entries (``base_url``, ``thread_id``, ``run_id``, maybe ``assistant_id``).
        """
        from bbot_tui.config import run_state

        return await asyncio.to_thread(run_state.load_runs, base_url, self._path)

    async def forget(self, base_url: str, thread_id: str) -> None:
        """Forget the run of a thread now (written in a thread).

        Args:
            base_url: The server.
            thread_id: The thread.
        """
        from bbot_tui.config import run_state

        await asyncio.to_thread(run_state.forget_run, base_url, thread_id, self._path)
