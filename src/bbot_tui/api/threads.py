"""``client.threads``: create, search, read, fork, the state and its history, the thread stream."""

from __future__ import annotations

import contextlib
from typing import Any

from bbot_tui.api.literals import IfExists, ThreadStatus, ThreadStreamMode
from bbot_tui.api.models import Thread, ThreadState
from bbot_tui.api.transport import (
    HttpTransport,
    Page,
    StreamResponse,
    next_offset,
    parse,
    parse_list,
)

__all__ = ["ThreadsClient"]


class ThreadsClient:
    """``/threads``: the conversation list, one thread, its state and checkpoints.

    Args:
        http: the client's transport.
    """

    def __init__(self, http: HttpTransport) -> None:
        self._http = http

    async def create(
        self,
        *,
        thread_id: str | None = None,
        metadata: dict[str, Any] | None = None,
        if_exists: IfExists | None = None,
    ) -> Thread:
        """``POST /threads``."""
        body: dict[str, Any] = {}
        if thread_id:
            body["thread_id"] = thread_id
        if metadata is not None:
            body["metadata"] = metadata
        if if_exists:
            body["if_exists"] = if_exists
        data, _ = await self._http.request("POST", "/threads", json_body=body)
        return parse(Thread, data)

    async def search(
        self,
        *,
        limit: int = 20,
        offset: int = 0,
        ids: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        values: dict[str, Any] | None = None,
        status: ThreadStatus | None = None,
        sort_by: str | None = "updated_at",
        sort_order: str | None = "desc",
        select: list[str] | None = None,
        extract: dict[str, str] | None = None,
    ) -> Page[Thread]:
        """One page of threads; ``select`` keeps the answer small (no full values).

        ``extract`` (``{alias: "values.messages[0].content"}``) asks newer servers for a few
        values by path, returned under ``extracted`` (``Thread.model_extra``); older servers
        ignore it.
        """
        body: dict[str, Any] = {"limit": limit, "offset": offset}
        for key, value in (
            ("ids", ids),
            ("metadata", metadata),
            ("values", values),
            ("status", status),
            ("sort_by", sort_by),
            ("sort_order", sort_order),
            ("select", select),
            ("extract", extract),
        ):
            if value is not None:
                body[key] = value
        data, headers = await self._http.request("POST", "/threads/search", json_body=body)
        return Page(parse_list(Thread, data), next_offset(headers))

    async def count(self, **filters: Any) -> int:
        """``POST /threads/count`` (filters: metadata, values, status)."""
        data, _ = await self._http.request("POST", "/threads/count", json_body=filters)
        return int(data)

    async def get(self, thread_id: str) -> Thread:
        """One thread with status, values, interrupts and error."""
        data, _ = await self._http.request("GET", f"/threads/{thread_id}")
        return parse(Thread, data)

    async def update(self, thread_id: str, *, metadata: dict[str, Any]) -> Thread:
        """Merge ``metadata`` into the thread's (e.g. a title): ``PATCH /threads/{id}``."""
        data, _ = await self._http.request(
            "PATCH", f"/threads/{thread_id}", json_body={"metadata": metadata}
        )
        return parse(Thread, data)

    async def delete(self, thread_id: str) -> None:
        """Delete a thread (204)."""
        await self._http.request("DELETE", f"/threads/{thread_id}")

    async def copy(self, thread_id: str) -> Thread:
        """Fork a thread with its whole history."""
        data, _ = await self._http.request("POST", f"/threads/{thread_id}/copy", json_body={})
        return parse(Thread, data)

    async def get_state(
        self, thread_id: str, *, checkpoint_id: str | None = None, subgraphs: bool = False
    ) -> ThreadState:
        """The latest state, or the state at ``checkpoint_id``."""
        path = f"/threads/{thread_id}/state"
        if checkpoint_id:
            path += f"/{checkpoint_id}"
        params = {"subgraphs": "true"} if subgraphs else None
        data, _ = await self._http.request("GET", path, params=params)
        return parse(ThreadState, data)

    async def update_state(
        self,
        thread_id: str,
        values: Any,
        *,
        as_node: str | None = None,
        checkpoint_id: str | None = None,
    ) -> dict[str, Any]:
        """Write ``values`` as if ``as_node`` returned them (a fork when at a checkpoint).

        Returns:
            The server's answer: ``{"checkpoint": {...}, "checkpoint_id": ...}``.
        """
        body: dict[str, Any] = {"values": values}
        if as_node:
            body["as_node"] = as_node
        if checkpoint_id:
            body["checkpoint_id"] = checkpoint_id
        data, _ = await self._http.request("POST", f"/threads/{thread_id}/state", json_body=body)
        return data if isinstance(data, dict) else {}

    async def get_history(
        self,
        thread_id: str,
        *,
        limit: int = 20,
        before: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> list[ThreadState]:
        """Past states, newest first.

        Args:
            limit: how many (always sent: the server's default is 1).
            before: a checkpoint id; only states older than it are returned. Sent in the
                shape the server accepts (``{"configurable": {"checkpoint_id": …}}``); the
                documented ``{"checkpoint_id": …}`` answers 500.
            metadata: filter on checkpoint metadata.
        """
        body: dict[str, Any] = {"limit": limit}
        if before:
            body["before"] = {"configurable": {"checkpoint_id": before}}
        if metadata:
            body["metadata"] = metadata
        path = f"/threads/{thread_id}/history"
        data, _ = await self._http.request("POST", path, json_body=body)
        return parse_list(ThreadState, data)

    def stream(
        self,
        thread_id: str,
        *,
        last_event_id: str | None = None,
        stream_mode: ThreadStreamMode | None = None,
    ) -> contextlib.AbstractAsyncContextManager[StreamResponse]:
        """``GET /threads/{id}/stream``: every run on the thread (never ends by itself).

        ``stream_mode="lifecycle"`` asks for the runs' start and end markers only. The SDK
        names the query parameter ``stream_mode``, langgraph-api reads ``stream_modes``: both
        are sent.
        """
        params = {"stream_mode": stream_mode, "stream_modes": stream_mode} if stream_mode else None
        return self._http.open_stream(
            "GET", f"/threads/{thread_id}/stream", params=params, last_event_id=last_event_id
        )
