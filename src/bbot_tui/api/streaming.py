"""Streamed responses: opening an SSE request and reading its events in network-read batches.

:class:`StreamResponse` wraps one open response; :class:`StreamsMixin` opens the four kinds of
stream (a thread run, a stateless run, a join or rejoin, a whole thread). Errors before the
first byte (an HTTP error, a page that is not an event stream) are raised as ApiError there,
so a caller never reads a half-open stream.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Mapping
from typing import Any

import httpx

from bbot_tui.api import errors
from bbot_tui.api.base import BaseClient
from bbot_tui.api.events import StreamEvent
from bbot_tui.api.models import RunCreate, RunCreateStateless
from bbot_tui.api.sse import SSEParser
from bbot_tui.api.transport import ids_from_location, transport_error

__all__ = ["StreamResponse", "StreamsMixin"]


class StreamResponse:
    """An open SSE response: the run ids from its headers and its events, in batches.

    The ids are only ever used to build request paths under the configured base URL: a
    ``Location`` header is never followed (docs/PROTOCOL.md, case S5).

    Attributes:
        thread_id, run_id: from ``Content-Location`` (known before any event arrives).
        parser: the SSE parser; ``parser.last_event_id`` is the resume cursor.
    """

    def __init__(
        self, response: httpx.Response, base_url: str, parser: SSEParser | None = None
    ) -> None:
        self._response = response
        self._base_url = base_url
        self.thread_id, self.run_id = ids_from_location(
            response.headers.get("content-location") or response.headers.get("location")
        )
        self.parser = parser if parser is not None else SSEParser()

    @property
    def headers(self) -> httpx.Headers:
        """The response headers."""
        return self._response.headers

    async def batches(self) -> AsyncIterator[list[StreamEvent]]:
        """Yield the events of each network read (never an empty list).

        Raises:
            ApiError: a transport error mid-stream, or a line/event over the size caps.
        """
        parser = self.parser
        encoded = self._response.headers.get("content-encoding", "identity") != "identity"
        try:
            # aiter_bytes undoes a content encoding a proxy may apply despite our
            # "accept-encoding: identity" (aiter_raw would hand gzip bytes to the parser);
            # without one, aiter_raw skips two layers of per-chunk work (bench/ingest.py)
            chunks = self._response.aiter_bytes() if encoded else self._response.aiter_raw()
            async for chunk in chunks:
                batch = parser.feed(chunk)
                if batch:
                    yield batch
        except httpx.HTTPError as exc:
            raise transport_error(exc, self._base_url) from None
        tail = parser.close()
        if tail:
            yield tail

    async def events(self) -> AsyncIterator[StreamEvent]:
        """Yield the events one by one."""
        async for batch in self.batches():
            for event in batch:
                yield event


class StreamsMixin(BaseClient):
    """Run streams, joins, rejoins (``Last-Event-ID``) and the thread stream."""

    @contextlib.asynccontextmanager
    async def open_stream(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        params: Mapping[str, Any] | None = None,
        last_event_id: str | None = None,
    ) -> AsyncIterator[StreamResponse]:
        """Open an SSE response; errors before the first byte are raised as ApiError.

        Args:
            method, path: e.g. ``POST /threads/{t}/runs/stream``.
            json_body: the run body.
            params: query parameters.
            last_event_id: sent as ``Last-Event-ID`` (a rejoin cursor).
        """
        headers = {
            "accept": "text/event-stream",
            "cache-control": "no-store",
            "accept-encoding": "identity",
        }
        if last_event_id is not None:
            if any(c in last_event_id for c in "\r\n\0"):
                raise errors.ConfigError("the Last-Event-ID cursor contains a line break")
            headers["last-event-id"] = last_event_id
        content = None
        if json_body is not None:
            content = json.dumps(json_body).encode()
            headers["content-type"] = "application/json"
        request = self._http.build_request(
            method, path.lstrip("/"), content=content, params=params, headers=headers
        )
        try:
            response = await self._http.send(request, stream=True)
        except httpx.HTTPError as exc:
            raise transport_error(exc, self.base_url) from None
        except UnicodeEncodeError as exc:
            raise transport_error(exc, self.base_url) from None
        try:
            if response.status_code >= 300:
                try:
                    body = await response.aread()
                except httpx.HTTPError:
                    body = b""
                raise self._http_error(response, body, method, path)
            ctype = response.headers.get("content-type", "")
            if "text/event-stream" not in ctype:
                try:
                    body = await response.aread()
                except httpx.HTTPError:
                    body = b""
                detail, _ = errors._detail_from_body(body, ctype)
                raise errors.WrongContentType(
                    f"expected an event stream, got {ctype or 'no content type'}"
                    + (f": {detail}" if detail else ""),
                    hint="is the URL the API root?",
                )
            parser = SSEParser(max_line=self.max_line, max_event=self.max_event)
            yield StreamResponse(response, self.base_url, parser)
        finally:
            await response.aclose()

    def stream_run(
        self, thread_id: str, body: RunCreate
    ) -> contextlib.AbstractAsyncContextManager[StreamResponse]:
        """``POST /threads/{id}/runs/stream``."""
        return self.open_stream(
            "POST", f"/threads/{thread_id}/runs/stream", json_body=body.to_body()
        )

    def stream_stateless(
        self, body: RunCreateStateless
    ) -> contextlib.AbstractAsyncContextManager[StreamResponse]:
        """``POST /runs/stream`` (cannot be rejoined)."""
        return self.open_stream("POST", "/runs/stream", json_body=body.to_body())

    def join_stream(
        self,
        thread_id: str,
        run_id: str,
        *,
        last_event_id: str | None = None,
        stream_mode: list[str] | None = None,
    ) -> contextlib.AbstractAsyncContextManager[StreamResponse]:
        """``GET /threads/{t}/runs/{r}/stream``: follow or rejoin a run.

        Args:
            last_event_id: replay what came after this id (``-1``: from the start). Only
                resumable runs keep their events; without it only live events arrive.
            stream_mode: filter the modes.
        """
        params = {"stream_mode": stream_mode} if stream_mode else None
        return self.open_stream(
            "GET",
            f"/threads/{thread_id}/runs/{run_id}/stream",
            params=params,
            last_event_id=last_event_id,
        )

    def thread_stream(
        self, thread_id: str, *, last_event_id: str | None = None, stream_mode: str | None = None
    ) -> contextlib.AbstractAsyncContextManager[StreamResponse]:
        """``GET /threads/{id}/stream``: every run on the thread (never ends by itself)."""
        params = {"stream_mode": stream_mode} if stream_mode else None
        return self.open_stream(
            "GET", f"/threads/{thread_id}/stream", params=params, last_event_id=last_event_id
        )
