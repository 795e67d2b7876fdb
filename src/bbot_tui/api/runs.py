"""Run endpoints that answer with JSON: create, list, cancel, and wait or join for the result.

Streamed runs are in :mod:`.streaming`. :class:`WaitResult` splits a waited run's answer into
values, pending interrupts and a graph failure, which the server all sends as a 200.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import httpx

from bbot_tui.api import errors
from bbot_tui.api.base import BaseClient
from bbot_tui.api.models import Run, RunCreate, RunCreateStateless
from bbot_tui.api.transport import ids_from_location

__all__ = ["RunsMixin", "WaitResult"]


@dataclass(slots=True)
class WaitResult:
    """What ``/runs/wait`` or ``/join`` returned.

    Attributes:
        values: the final state values (``__interrupt__`` removed into ``interrupts``).
        interrupts: pending interrupts, if the run stopped at one.
        error: the graph's failure, when the answer carried ``__error__``.
        thread_id, run_id: from the ``Content-Location`` header.
    """

    values: Any
    interrupts: list[dict[str, Any]] = field(default_factory=list)
    error: errors.GraphError | None = None
    thread_id: str | None = None
    run_id: str | None = None


class RunsMixin(BaseClient):
    """``/threads/{id}/runs`` and ``/runs``: background, waited and cancelled runs."""

    async def create_run(self, thread_id: str, body: RunCreate) -> Run:
        """Start a background run."""
        data, _ = await self.request("POST", f"/threads/{thread_id}/runs", json_body=body.to_body())
        return self._parse(Run, data)

    async def list_runs(
        self, thread_id: str, *, limit: int = 10, offset: int = 0, status: str | None = None
    ) -> list[Run]:
        """The thread's runs, newest first."""
        params: dict[str, Any] = {"limit": limit, "offset": offset}
        if status:
            params["status"] = status
        data, _ = await self.request("GET", f"/threads/{thread_id}/runs", params=params)
        return self._parse_list(Run, data)

    async def get_run(self, thread_id: str, run_id: str) -> Run:
        """One run: its status tells how a stream that closed really ended."""
        data, _ = await self.request("GET", f"/threads/{thread_id}/runs/{run_id}")
        return self._parse(Run, data)

    async def delete_run(self, thread_id: str, run_id: str) -> None:
        """Delete a finished run."""
        await self.request("DELETE", f"/threads/{thread_id}/runs/{run_id}")

    async def cancel_run(
        self,
        thread_id: str,
        run_id: str,
        *,
        wait: bool = False,
        action: Literal["interrupt", "rollback"] = "interrupt",
    ) -> bool:
        """Stop a run on the server.

        Returns:
            True if it was cancelled now, False if it had already stopped (a 404 from the
            server means "no matching run to cancel", which is not an error here).
        """
        params = {"wait": "1" if wait else "0", "action": action}
        try:
            await self.request("POST", f"/threads/{thread_id}/runs/{run_id}/cancel", params=params)
        except errors.NotFound:
            return False
        return True

    async def cancel_runs(
        self,
        *,
        thread_id: str | None = None,
        run_ids: list[str] | None = None,
        status: str | None = None,
        action: Literal["interrupt", "rollback"] = "interrupt",
    ) -> None:
        """Bulk cancel: the given runs of a thread, or all runs with ``status``."""
        body: dict[str, Any] = {}
        if thread_id:
            body["thread_id"] = thread_id
        if run_ids:
            body["run_ids"] = run_ids
        if status:
            body["status"] = status
        await self.request("POST", "/runs/cancel", json_body=body, params={"action": action})

    def _wait_result(self, data: Any, headers: httpx.Headers) -> WaitResult:
        thread_id, run_id = ids_from_location(
            headers.get("content-location") or headers.get("location")
        )
        result = WaitResult(values=data, thread_id=thread_id, run_id=run_id)
        if isinstance(data, dict):
            err = data.get("__error__")
            if isinstance(err, dict):
                result.error = errors.GraphError(
                    str(err.get("error") or "Error"), str(err.get("message") or "")
                )
                result.values = None
                return result
            if "__interrupt__" in data:
                values = dict(data)
                pending = values.pop("__interrupt__")
                result.interrupts = (
                    [i for i in pending if isinstance(i, dict)] if isinstance(pending, list) else []
                )
                result.values = values
        return result

    async def wait_run(
        self, thread_id: str | None, body: RunCreate | RunCreateStateless
    ) -> WaitResult:
        """Run and wait for the final state (``/threads/{id}/runs/wait`` or ``/runs/wait``).

        A graph failure comes back as ``WaitResult.error`` (the server answers 200 with
        ``__error__``); the server's newline keep-alives before the JSON are tolerated.
        """
        path = f"/threads/{thread_id}/runs/wait" if thread_id else "/runs/wait"
        data, headers = await self.request("POST", path, json_body=body.to_body())
        return self._wait_result(data, headers)

    async def join_run(self, thread_id: str, run_id: str) -> WaitResult:
        """Wait for a run that is already going and return its final state."""
        data, headers = await self.request("GET", f"/threads/{thread_id}/runs/{run_id}/join")
        result = self._wait_result(data, headers)
        result.thread_id, result.run_id = thread_id, run_id
        return result
