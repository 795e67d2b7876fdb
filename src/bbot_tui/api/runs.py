"""``client.runs``: create, list, cancel, wait or join for the result, and the run streams.

:class:`WaitResult` splits a waited run's answer into values, pending interrupts and a graph
failure, which the server all sends as a 200. The streams (a run on a thread, a stateless run,
a join or rejoin) open through the transport, which raises errors before the first byte.
"""

from __future__ import annotations

import builtins
import contextlib
from dataclasses import dataclass, field
from typing import Any

import httpx

from bbot_tui.api import errors
from bbot_tui.api.literals import CancelAction, StreamMode
from bbot_tui.api.models import Run, RunCreate, RunCreateStateless
from bbot_tui.api.transport import (
    HttpTransport,
    StreamResponse,
    ids_from_location,
    parse,
    parse_list,
)

__all__ = ["RunsClient", "WaitResult"]


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


def _wait_result(data: Any, headers: httpx.Headers) -> WaitResult:
    """Split a ``/wait`` or ``/join`` answer into values, interrupts and a graph failure."""
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


class RunsClient:
    """``/threads/{id}/runs`` and ``/runs``: background, waited, streamed and cancelled runs.

    Args:
        http: the client's transport.
    """

    def __init__(self, http: HttpTransport) -> None:
        self._http = http

    async def create(self, thread_id: str, body: RunCreate) -> Run:
        """Start a background run."""
        path = f"/threads/{thread_id}/runs"
        data, _ = await self._http.request("POST", path, json_body=body.to_body())
        return parse(Run, data)

    async def list(
        self, thread_id: str, *, limit: int = 10, offset: int = 0, status: str | None = None
    ) -> builtins.list[Run]:
        """The thread's runs, newest first."""
        params: dict[str, Any] = {"limit": limit, "offset": offset}
        if status:
            params["status"] = status
        data, _ = await self._http.request("GET", f"/threads/{thread_id}/runs", params=params)
        return parse_list(Run, data)

    async def get(self, thread_id: str, run_id: str) -> Run:
        """One run: its status tells how a stream that closed really ended."""
        data, _ = await self._http.request("GET", f"/threads/{thread_id}/runs/{run_id}")
        return parse(Run, data)

    async def delete(self, thread_id: str, run_id: str) -> None:
        """Delete a finished run."""
        await self._http.request("DELETE", f"/threads/{thread_id}/runs/{run_id}")

    async def cancel(
        self,
        thread_id: str,
        run_id: str,
        *,
        wait: bool = False,
        action: CancelAction = "interrupt",
    ) -> bool:
        """Stop a run on the server.

        Returns:
            True if it was cancelled now, False if it had already stopped (a 404 from the
            server means "no matching run to cancel", which is not an error here).
        """
        params = {"wait": "1" if wait else "0", "action": action}
        path = f"/threads/{thread_id}/runs/{run_id}/cancel"
        try:
            await self._http.request("POST", path, params=params)
        except errors.NotFound:
            return False
        return True

    async def cancel_many(
        self,
        *,
        thread_id: str | None = None,
        run_ids: builtins.list[str] | None = None,
        status: str | None = None,
        action: CancelAction = "interrupt",
    ) -> None:
        """Bulk cancel: the given runs of a thread, or all runs with ``status``."""
        body: dict[str, Any] = {}
        if thread_id:
            body["thread_id"] = thread_id
        if run_ids:
            body["run_ids"] = run_ids
        if status:
            body["status"] = status
        await self._http.request("POST", "/runs/cancel", json_body=body, params={"action": action})

    async def wait(self, thread_id: str | None, body: RunCreate | RunCreateStateless) -> WaitResult:
        """Run and wait for the final state (``/threads/{id}/runs/wait`` or ``/runs/wait``).

        A graph failure comes back as ``WaitResult.error`` (the server answers 200 with
        ``__error__``); the server's newline keep-alives before the JSON are tolerated.
        """
        path = f"/threads/{thread_id}/runs/wait" if thread_id else "/runs/wait"
        data, headers = await self._http.request("POST", path, json_body=body.to_body())
        return _wait_result(data, headers)

    async def join(self, thread_id: str, run_id: str) -> WaitResult:
        """Wait for a run that is already going and return its final state."""
        path = f"/threads/{thread_id}/runs/{run_id}/join"
        data, headers = await self._http.request("GET", path)
        result = _wait_result(data, headers)
        result.thread_id, result.run_id = thread_id, run_id
        return result

    def stream(
        self, thread_id: str, body: RunCreate
    ) -> contextlib.AbstractAsyncContextManager[StreamResponse]:
        """``POST /threads/{id}/runs/stream``."""
        return self._http.open_stream(
            "POST", f"/threads/{thread_id}/runs/stream", json_body=body.to_body()
        )

    def stream_stateless(
        self, body: RunCreateStateless
    ) -> contextlib.AbstractAsyncContextManager[StreamResponse]:
        """``POST /runs/stream`` (cannot be rejoined)."""
        return self._http.open_stream("POST", "/runs/stream", json_body=body.to_body())

    def join_stream(
        self,
        thread_id: str,
        run_id: str,
        *,
        last_event_id: str | None = None,
        stream_mode: builtins.list[StreamMode] | None = None,
    ) -> contextlib.AbstractAsyncContextManager[StreamResponse]:
        """``GET /threads/{t}/runs/{r}/stream``: follow or rejoin a run.

        Args:
            last_event_id: replay what came after this id (``-1``: from the start). Only
                resumable runs keep their events; without it only live events arrive.
            stream_mode: filter the modes.
        """
        params = {"stream_mode": stream_mode} if stream_mode else None
        return self._http.open_stream(
            "GET",
            f"/threads/{thread_id}/runs/{run_id}/stream",
            params=params,
            last_event_id=last_event_id,
        )
