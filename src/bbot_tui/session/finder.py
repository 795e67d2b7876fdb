"""Finding the run a POST created although its answer never arrived.

A POST cut before its response headers may still have created the run (``docs/PROTOCOL.md``,
"Resumable runs, rejoin and seams"). Every run the session starts on a thread carries
``metadata.client_request_id``; before any second POST, :class:`RunFinder` lists the thread's
newest runs and looks for that id, so a run is never made twice. The server may register the
run a moment after the cut, so the list is read up to three times over 1.5 s.

Nothing here imports Textual.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from bbot_tui.api import errors
from bbot_tui.api.client import AgentClient
from bbot_tui.api.models import Run

__all__ = ["REQUEST_ID", "RunFinder"]

REQUEST_ID = "client_request_id"
"""The run metadata key that names the request which created the run."""


class RunFinder:
    """Looks a run up by the ``client_request_id`` of the POST that created it.

    Args:
        client: the profile's client.
        delays: seconds to wait before each look (the default reads at once, then after
            0.5 s and 1 s more).
        limit: how many of the thread's newest runs each look reads.
    """

    def __init__(
        self, client: AgentClient, *, delays: Sequence[float] = (0.0, 0.5, 1.0), limit: int = 20
    ) -> None:
        self._client = client
        self._delays = tuple(delays)
        self._limit = limit

    async def find(self, thread_id: str, metadata: dict[str, Any]) -> Run | None:
        """The run of ``thread_id`` whose metadata has the request id of ``metadata``.

        Returns:
            The run, or None when it was not found (or ``metadata`` has no request id).
            A failed look is not an error: the next one is tried.
        """
        request_id = metadata.get(REQUEST_ID)
        if not request_id:
            return None
        for delay in self._delays:
            await asyncio.sleep(delay)
            try:
                runs = await self._client.runs.list(thread_id, limit=self._limit)
            except errors.ApiError:
                continue
            for run in runs:
                if (run.metadata or {}).get(REQUEST_ID) == request_id:
                    return run
        return None
