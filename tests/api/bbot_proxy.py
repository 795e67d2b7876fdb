"""A loopback proxy that makes the real local server look like a B-Bot deployment.

B-Bot's docs show two generations of paths: ``…/v2`` with ``/assistants`` and ``…/api/v2``
with ``/distribution-channels`` (objects carrying ``channel_id``). The local LangGraph server has
neither prefix nor that name, so this proxy serves one generation on a free loopback port and
forwards to the real server: the prefix is stripped, ``/distribution-channels`` becomes
``/assistants`` (and ``assistant_id`` in answers becomes ``channel_id``), the other name answers
404 like a server that does not have it, and streams are passed through chunk by chunk. Only
the names change; every answer comes from the real server.

With ``strict=True`` it also *enforces* what B-Bot documents, so a client that works against
it works against B-Bot:

- the key travels only in ``bbot-api-key``: a request without it answers 401, and a request
  that carries the key in any other header or in the URL answers 401 and is recorded in
  :attr:`BBotProxy.violations` (a test then fails: :meth:`BBotProxy.assert_clean`);
- every assistant (channel) carries ``config.configurable.entity_id`` (one is made up for the
  server's assistants that have none), and every run creation (``POST …/runs``,
  ``…/runs/stream``, ``…/runs/wait``, ``/runs/batch``) must send it in
  ``config.configurable.entity_id``: 422 without it, or with another channel's.

Every request is kept in :attr:`BBotProxy.requests` (method, path, headers), so a test can see
which headers reached this origin. :meth:`BBotProxy.__enter__` serves it from a thread of its
own, for tests whose code under test runs ``asyncio.run`` itself (the CLI).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

_HOP = {"content-length", "transfer-encoding", "connection", "keep-alive", "content-encoding"}


_RUN_CREATION = re.compile(r"^(/threads/[^/]+)?/runs(/stream|/wait|/batch)?$")
"""Upstream paths that create a run when POSTed (not join, cancel or a run's own stream)."""
ENTITY_REQUIRED = "entity_id is required: send the channel's config.configurable.entity_id"
"""The 422 detail for a run without an entity id (as B-Bot answers)."""


@dataclass(frozen=True)
class Seen:
    """One request as it reached the proxy."""

    method: str
    path: str
    query: str
    headers: dict[str, str]


def made_up_entity(assistant_id: str) -> str:
    """The entity id the strict proxy gives an assistant that has none."""
    return "ent_" + assistant_id.replace("-", "")[:16]


def _configurable(body: Any) -> dict[str, Any]:
    config = body.get("config") if isinstance(body, dict) else None
    configurable = config.get("configurable") if isinstance(config, dict) else None
    return configurable if isinstance(configurable, dict) else {}


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
        strict: enforce B-Bot's documented rules (see the module docstring).
    """

    def __init__(
        self,
        upstream: str,
        prefix: str,
        name: str,
        api_key: str | None = None,
        *,
        strict: bool = False,
    ) -> None:
        self.upstream = upstream
        self.prefix = prefix
        self.name = name
        self.api_key = api_key
        self.strict = strict
        self.seen: list[str] = []
        self.requests: list[Seen] = []
        """Every request, with its headers."""
        self.violations: list[str] = []
        """Requests that carried the key somewhere else than ``bbot-api-key``."""
        self.refused_runs: list[str] = []
        """Run creations refused with 422 (no or a wrong entity id)."""
        self.entities: dict[str, str] = {}
        """Entity id of each assistant (channel) id served so far."""
        self.created_threads: list[str] = []
        """Ids of the threads created through the proxy (``POST …/threads``)."""
        self._http = httpx.AsyncClient(base_url=upstream, timeout=60, trust_env=False)
        methods = ["GET", "POST", "PATCH", "DELETE", "PUT"]
        app = Starlette(routes=[Route("/{path:path}", self._forward, methods=methods)])
        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
        self._server = uvicorn.Server(config)
        self._task: asyncio.Task[None] | None = None
        self._thread: tuple[asyncio.AbstractEventLoop, threading.Thread] | None = None
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

    def __enter__(self) -> BBotProxy:
        """Serve from a thread with its own event loop (for code that runs ``asyncio.run``)."""
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, name="bbot-proxy", daemon=True)
        thread.start()
        self._thread = (loop, thread)
        asyncio.run_coroutine_threadsafe(self.__aenter__(), loop).result(30)
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._thread is not None, "not started with `with`"
        loop, thread = self._thread
        try:
            asyncio.run_coroutine_threadsafe(self.__aexit__(), loop).result(30)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(10)
            loop.close()

    def carrying(self, secret: str) -> list[str]:
        """``METHOD path header`` for every header (or URL) of a request that held ``secret``."""
        found = []
        for seen in self.requests:
            if secret in seen.path or secret in seen.query:
                found.append(f"{seen.method} {seen.path} (URL)")
            found += [
                f"{seen.method} {seen.path} {name}"
                for name, value in seen.headers.items()
                if secret in value
            ]
        return found

    def assert_clean(self) -> None:
        """Fail when the key travelled anywhere but in ``bbot-api-key``."""
        assert not self.violations, self.violations

    def _check_key(self, request: Request) -> Response | None:
        """B-Bot's key rules: the key in ``bbot-api-key`` only (401 otherwise)."""
        key = self.api_key
        if key is None:
            return None
        if self.strict:
            where = [n for n, v in request.headers.items() if n != "bbot-api-key" and key in v]
            if key in str(request.url):
                where.append("the URL")
            if where:
                self.violations.append(f"{request.method} {request.url.path}: key in {where}")
                return JSONResponse(
                    {"detail": "the API key goes in the bbot-api-key header only"}, 401
                )
        if request.headers.get("bbot-api-key") != key:
            return JSONResponse({"detail": "Invalid or missing API key"}, status_code=401)
        return None

    def _check_entity(self, method: str, path: str, raw: bytes) -> Response | None:
        """B-Bot's run rule: every run creation sends the channel's entity id (422 without)."""
        if not self.strict or method != "POST" or not _RUN_CREATION.match(path):
            return None
        try:
            body = json.loads(raw) if raw.strip() else {}
        except ValueError:
            return None  # the server answers malformed JSON itself
        for run in body if isinstance(body, list) else [body]:
            entity = _configurable(run).get("entity_id")
            assistant_id = run.get("assistant_id") if isinstance(run, dict) else None
            expected = self.entities.get(str(assistant_id))
            if not entity:
                detail = ENTITY_REQUIRED
            elif expected is not None and entity != expected:
                detail = f"entity_id {entity!r} does not belong to channel {assistant_id}"
            else:
                continue
            self.refused_runs.append(f"{method} {path}")
            return JSONResponse({"detail": detail}, status_code=422)
        return None

    def _with_entity(self, value: Any) -> Any:
        """Give every assistant object an entity id (its own, else a made-up one)."""
        if isinstance(value, list):
            return [self._with_entity(v) for v in value]
        if isinstance(value, dict) and "assistant_id" in value and "graph_id" in value:
            config = dict(value.get("config") or {})
            configurable = dict(config.get("configurable") or {})
            assistant_id = str(value["assistant_id"])
            configurable.setdefault("entity_id", made_up_entity(assistant_id))
            self.entities[assistant_id] = str(configurable["entity_id"])
            value = {**value, "config": {**config, "configurable": configurable}}
        return value

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
        self.requests.append(
            Seen(request.method, request.url.path, request.url.query, dict(request.headers))
        )
        path = self._upstream_path(request.url.path)
        if path is None:
            return JSONResponse({"detail": "Not Found"}, status_code=404)
        refused = self._check_key(request)
        if refused is not None:
            return refused
        content = await request.body()
        refused = self._check_entity(request.method, path, content)
        if refused is not None:
            return refused
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP | {"host"}}
        upstream = self._http.build_request(
            request.method,
            path,
            params=request.query_params.multi_items(),
            headers=headers,
            content=content,
        )
        response = await self._http.send(upstream, stream=True)
        out_headers = {k: v for k, v in response.headers.items() if k.lower() not in _HOP}
        is_json = response.headers.get("content-type", "").startswith("application/json")
        if request.method == "POST" and path == "/threads" and is_json:
            body = await response.aread()
            await response.aclose()
            with contextlib.suppress(ValueError, KeyError, TypeError):
                self.created_threads.append(json.loads(body)["thread_id"])
            return Response(body, response.status_code, headers=out_headers)
        renaming = self.name == "distribution-channels"
        if path.startswith("/assistants") and (renaming or self.strict) and is_json:
            body = await response.aread()
            await response.aclose()
            data = json.loads(body) if body.strip() else None
            if self.strict:
                data = self._with_entity(data)
            if renaming:
                data = _rename_ids(data)
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
