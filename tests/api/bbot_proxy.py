"""A loopback proxy that makes the real local server look like a B-Bot deployment.

B-Bot's docs show two generations of paths: ``…/v2`` with ``/assistants`` and ``…/api/v2``
with ``/distribution-channels`` (objects carrying ``channel_id``). The local LangGraph server has
neither prefix nor that name, so this proxy serves one generation on a free loopback port and
forwards to the real server: the prefix is stripped, ``/distribution-channels`` becomes
``/assistants`` (and ``assistant_id`` in answers becomes ``channel_id``), the other name answers
404 like a server that does not have it, and streams are passed through chunk by chunk. Only
the names change; every answer comes from the real server.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

_HOP = {"content-length", "transfer-encoding", "connection", "keep-alive", "content-encoding"}


def _rename_ids(value: Any) -> Any:
    """``assistant_id`` → ``channel_id`` in an assistant object or a list of them."""
    if isinstance(value, list):
        return [_rename_ids(v) for v in value]
    if isinstance(value, dict) and "assistant_id" in value and "graph_id" in value:
        value = dict(value)
        value["channel_id"] = value.pop("assistant_id")
    return value


class BBotProxy:
    """Serve ``prefix`` + ``name`` in front of ``upstream``.

    Args:
        upstream: the real server's base URL.
        prefix: ``/v2`` or ``/api/v2``.
        name: ``assistants`` or ``distribution-channels``.
        api_key: when set, a request to a known path without this ``bbot-api-key`` answers
            401 (an unknown path still answers 404: routing comes before auth).
    """

    def __init__(self, upstream: str, prefix: str, name: str, api_key: str | None = None) -> None:
        self.upstream = upstream
        self.prefix = prefix
        self.name = name
        self.api_key = api_key
        self.seen: list[str] = []
        self._http = httpx.AsyncClient(base_url=upstream, timeout=60, trust_env=False)
        methods = ["GET", "POST", "PATCH", "DELETE", "PUT"]
        app = Starlette(routes=[Route("/{path:path}", self._forward, methods=methods)])
        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
        self._server = uvicorn.Server(config)
        self._task: asyncio.Task[None] | None = None
        self.url = ""

    async def __aenter__(self) -> BBotProxy:
        self._task = asyncio.create_task(self._server.serve())
        while not self._server.started:
            if self._task.done():
                self._task.result()
            await asyncio.sleep(0.01)
        port = self._server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}{self.prefix}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._server.should_exit = True
        if self._task is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._task, 10)
        await self._http.aclose()

    def _upstream_path(self, path: str) -> str | None:
        """The real server's path for ``path``, or None for a 404."""
        if not path.startswith(self.prefix + "/"):
            return None
        rest = path[len(self.prefix) :]
        other = "/distribution-channels" if self.name == "assistants" else "/assistants"
        if rest.startswith(other + "/") or rest == other:
            return None
        if rest.startswith("/distribution-channels"):
            rest = "/assistants" + rest[len("/distribution-channels") :]
        return rest

    async def _forward(self, request: Request) -> Response:
        self.seen.append(f"{request.method} {request.url.path}")
        path = self._upstream_path(request.url.path)
        if path is None:
            return JSONResponse({"detail": "Not Found"}, status_code=404)
        if self.api_key is not None and request.headers.get("bbot-api-key") != self.api_key:
            return JSONResponse({"detail": "Invalid or missing API key"}, status_code=401)
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP | {"host"}}
        upstream = self._http.build_request(
            request.method,
            path,
            params=request.query_params.multi_items(),
            headers=headers,
            content=await request.body(),
        )
        response = await self._http.send(upstream, stream=True)
        out_headers = {k: v for k, v in response.headers.items() if k.lower() not in _HOP}
        renaming = path.startswith("/assistants") and self.name == "distribution-channels"
        if renaming and response.headers.get("content-type", "").startswith("application/json"):
            body = await response.aread()
            await response.aclose()
            data = _rename_ids(json.loads(body)) if body.strip() else None
            return Response(json.dumps(data).encode(), response.status_code, headers=out_headers)

        async def chunks() -> AsyncIterator[bytes]:
            async for chunk in response.aiter_raw():
                yield chunk

        return StreamingResponse(
            chunks(),
            status_code=response.status_code,
            headers=out_headers,
            background=BackgroundTask(response.aclose),
        )


GENERATIONS = [("/v2", "assistants"), ("/api/v2", "distribution-channels")]
"""The two B-Bot API generations seen in its docs: base path and assistants name."""


def twin(url: str) -> str:
    """The other base-path generation of ``url`` (``/v2`` <-> ``/api/v2``), written out by hand."""
    if url.endswith("/api/v2"):
        return url[: -len("/api/v2")] + "/v2"
    return url[: -len("/v2")] + "/api/v2"
