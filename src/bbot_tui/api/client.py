"""One async client per server profile, over one ``httpx.AsyncClient``.

Every endpoint of the Agent Server API that bbot-tui uses, with B-Bot's variations: the
``bbot-api-key`` header (set by :class:`KeyAuth`, only ever for the configured origin), the
two base paths seen in B-Bot's docs, and ``/distribution-channels`` as the name of
``/assistants``. Every failure is raised as an :class:`~bbot_tui.api.errors.ApiError`.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import AsyncIterator, Generator, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypeVar

import httpx
from pydantic import BaseModel, SecretStr, ValidationError

from ..security import cleartext_risk, normalize_api_key, normalize_base_url
from ..stream.events import StreamEvent
from ..stream.sse import DEFAULT_MAX_EVENT, DEFAULT_MAX_LINE, SSEParser
from . import errors
from .models import (
    Assistant,
    GraphInfo,
    Run,
    RunCreate,
    RunCreateStateless,
    Thread,
    ThreadState,
)

__all__ = [
    "DEFAULT_TIMEOUT",
    "AgentClient",
    "KeyAuth",
    "Page",
    "StreamResponse",
    "WaitResult",
    "ids_from_location",
]

DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=20.0, write=30.0, pool=5.0)
"""Read timeout 20 s: above the server's 5 s heartbeat, low enough to notice a dead link."""
API_KEY_HEADER = "bbot-api-key"
AssistantsPath = Literal["assistants", "distribution-channels"]
T = TypeVar("T")
_ID_SEGMENT = re.compile(r"[A-Za-z0-9_\-:]+(?:\.[A-Za-z0-9_\-:]+)*")
"""What a thread or run id taken from a response header may look like (no dots-only, no
slashes, no percent escapes): ids from a server are put back into request paths."""


class KeyAuth(httpx.Auth):
    """Adds ``bbot-api-key`` to requests for the configured origin, and to nothing else."""

    def __init__(self, key: SecretStr, origin: tuple[str, str, int | None]) -> None:
        self._key = key
        self._origin = origin

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        url = request.url
        if (url.scheme, url.host, url.port) == self._origin:
            request.headers[API_KEY_HEADER] = self._key.get_secret_value()
        yield request

    def __repr__(self) -> str:
        return "KeyAuth(***)"


@dataclass(slots=True)
class Page(Generic[T]):
    """One page of a search: the items and the next offset (None when there is no more)."""

    items: list[T]
    next_offset: int | None = None


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


def ids_from_location(location: str | None) -> tuple[str | None, str | None]:
    """``(thread_id, run_id)`` from a ``Content-Location`` such as ``/threads/t/runs/r``.

    Stateless runs answer ``/runs/r``, which gives ``(None, r)``.
    """
    if not location:
        return None, None
    try:
        parts = [p for p in httpx.URL(location).path.split("/") if p]
    except (httpx.InvalidURL, TypeError, ValueError):
        return None, None
    thread_id = run_id = None
    for i, part in enumerate(parts[:-1]):
        if part == "threads" and thread_id is None:
            thread_id = parts[i + 1]
        elif part == "runs":
            run_id = parts[i + 1]
    if run_id in ("stream", "wait", "join"):
        run_id = None
    if thread_id is not None and not _ID_SEGMENT.fullmatch(thread_id):
        thread_id = None
    if run_id is not None and not _ID_SEGMENT.fullmatch(run_id):
        run_id = None
    return thread_id, run_id


def _transport_error(exc: Exception, base_url: str) -> errors.ApiError:
    """Translate an httpx (or encoding) exception into our error family."""
    name = type(exc).__name__
    if isinstance(exc, httpx.ConnectTimeout):
        return errors.ConnectFailed(
            f"connecting to {base_url} timed out", hint="is the server reachable from here?"
        )
    if isinstance(exc, httpx.ConnectError):
        return errors.ConnectFailed(
            f"could not connect to {base_url}",
            hint="is the server running, and is the URL right?",
        )
    if isinstance(exc, httpx.TimeoutException):
        return errors.RequestTimeout(
            f"the server did not answer in time ({name})", hint="try again"
        )
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError):
        return errors.ConnectionDropped(
            f"the connection was interrupted ({name})", hint="the answer may be incomplete"
        )
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return errors.ConfigError(f"the server URL is not usable ({name})", hint=base_url)
    if isinstance(exc, httpx.LocalProtocolError | UnicodeEncodeError):
        return errors.ConfigError(
            "a header value is not valid (check the API key and extra headers)"
        )
    return errors.TransportError(f"network error ({name})")


class StreamResponse:
    """An open SSE response: the run ids from its headers and its events, in batches.

    The ids are only ever used to build request paths under the configured base URL: a
    ``Location`` header is never followed (RELIABILITY S5).

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
            raise _transport_error(exc, self._base_url) from None
        tail = parser.close()
        if tail:
            yield tail

    async def events(self) -> AsyncIterator[StreamEvent]:
        """Yield the events one by one."""
        async for batch in self.batches():
            for event in batch:
                yield event


class AgentClient:
    """An async client for one server profile.

    Args:
        base_url: the API root, e.g. ``http://127.0.0.1:8123`` or
            ``https://api.b-bot.space/api/v2``.
        api_key: sent as ``bbot-api-key`` to that origin only.
        extra_headers: more headers for every request (not for the key).
        assistants_path: ``assistants`` (LangGraph) or ``distribution-channels`` (new B-Bot).
        timeout: httpx timeouts.
        transport: an httpx transport (tests pass a fault-injecting one).
        allow_insecure: allow sending a key over plain http to a non-loopback host.
        max_line: the longest SSE line accepted (bytes); a longer one aborts the stream.
        max_event: the largest SSE event accepted (bytes of data).

    Raises:
        ConfigError: a malformed URL or key, or a key over plain http without consent.
    """

    def __init__(
        self,
        base_url: str,
        *,
        api_key: SecretStr | str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        assistants_path: AssistantsPath = "assistants",
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
        allow_insecure: bool = False,
        max_line: int = DEFAULT_MAX_LINE,
        max_event: int = DEFAULT_MAX_EVENT,
    ) -> None:
        try:
            self.base_url = normalize_base_url(base_url)
        except ValueError as exc:
            raise errors.ConfigError(f"bad server URL: {exc}") from None
        key: SecretStr | None = None
        if api_key is not None:
            raw = api_key.get_secret_value() if isinstance(api_key, SecretStr) else api_key
            if raw.strip():
                try:
                    key = SecretStr(normalize_api_key(raw))
                except ValueError as exc:
                    raise errors.ConfigError(f"bad API key: {exc}") from None
        if key is not None and cleartext_risk(self.base_url, True) and not allow_insecure:
            raise errors.ConfigError(
                "refusing to send the API key over plain http to a remote host",
                hint="use https, or allow insecure http in the profile",
            )
        self.assistants_path: AssistantsPath = assistants_path
        self.has_key = key is not None
        self.max_line = max_line
        self.max_event = max_event
        url = httpx.URL(self.base_url)
        auth = KeyAuth(key, (url.scheme, url.host, url.port)) if key is not None else None
        headers = {"user-agent": "bbot-tui", "accept": "application/json"}
        for name, value in (extra_headers or {}).items():
            if name.lower() in ("bbot-api-key", "x-api-key", "authorization"):
                raise errors.ConfigError(f"header {name!r} cannot be set as an extra header")
            headers[name] = value
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            auth=auth,
            headers=headers,
            timeout=timeout,
            transport=transport,
            follow_redirects=False,
            trust_env=False,
        )

    def __repr__(self) -> str:
        return f"AgentClient({self.base_url!r}, key={'set' if self.has_key else 'none'})"

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    async def __aenter__(self) -> AgentClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # --- plumbing --------------------------------------------------------------------

    async def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        ok_404: bool = False,
    ) -> tuple[Any, httpx.Headers]:
        """Send a request and decode its JSON answer.

        Args:
            method, path: the HTTP method and the path below the base URL.
            json_body: the JSON body (``None`` sends none).
            params: query parameters.
            headers: extra headers for this request.
            ok_404: return ``(None, headers)`` for a 404 instead of raising.

        Returns:
            The decoded body (``None`` for an empty one) and the response headers.
        """
        content = None if json_body is None else json.dumps(json_body).encode()
        req_headers = dict(headers or {})
        if content is not None:
            req_headers["content-type"] = "application/json"
        try:
            response = await self._http.request(
                method, path.lstrip("/"), content=content, params=params, headers=req_headers
            )
        except httpx.HTTPError as exc:
            raise _transport_error(exc, self.base_url) from None
        except UnicodeEncodeError as exc:
            raise _transport_error(exc, self.base_url) from None
        if response.status_code == 404 and ok_404:
            return None, response.headers
        if response.status_code >= 300:
            raise self._http_error(response, response.content, method, path)
        return self._decode(response), response.headers

    def _http_error(
        self, response: httpx.Response, body: bytes, method: str, path: str
    ) -> errors.HttpError:
        err = errors.http_error_from_response(
            response.status_code, body, response.headers, method=method, path="/" + path.lstrip("/")
        )
        if isinstance(err, errors.AuthError | errors.PermissionDenied):
            host = httpx.URL(self.base_url).host
            if isinstance(err, errors.PermissionDenied):
                err.hint = f"{host} accepted the API key, but it may not do this"
            elif self.has_key:
                err.hint = f"{host} rejected the API key; check it in the profile"
            else:
                err.hint = f"{host} needs an API key; add one to the profile"
        return err

    def _decode(self, response: httpx.Response) -> Any:
        body = response.content
        if not body.strip():
            return None
        try:
            return json.loads(body)
        except (ValueError, RecursionError):
            ctype = response.headers.get("content-type", "?")
            raise errors.ProtocolError(
                f"the server answered with something that is not JSON ({ctype})",
                hint="is the URL the API root (a proxy or web page answered)?",
            ) from None

    @staticmethod
    def _parse(model: type[BaseModel], data: Any) -> Any:
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            loc = ".".join(str(p) for p in exc.errors()[0]["loc"])
            raise errors.ProtocolError(
                f"unexpected {model.__name__} from the server (field {loc or '?'})"
            ) from None

    def _parse_list(self, model: type[BaseModel], data: Any) -> list[Any]:
        if not isinstance(data, list):
            raise errors.ProtocolError(f"expected a list of {model.__name__}")
        return [self._parse(model, item) for item in data]

    @staticmethod
    def _next_offset(headers: httpx.Headers) -> int | None:
        value = headers.get("x-pagination-next")
        try:
            return int(value) if value not in (None, "") else None
        except ValueError:
            return None

    # --- health -------------------------------------------------------------------------

    async def ok(self) -> Any:
        """``GET /ok`` (stock servers; B-Bot may not have it)."""
        return (await self.request("GET", "/ok"))[0]

    async def info(self) -> Any:
        """``GET /info``: server version and flags."""
        return (await self.request("GET", "/info"))[0]

    # --- assistants --------------------------------------------------------------------

    @property
    def _a(self) -> str:
        return "/" + self.assistants_path

    async def search_assistants(
        self,
        *,
        limit: int = 50,
        offset: int = 0,
        graph_id: str | None = None,
        name: str | None = None,
        metadata: dict[str, Any] | None = None,
        sort_by: str | None = None,
        sort_order: str | None = None,
    ) -> Page[Assistant]:
        """Search assistants (B-Bot: distribution channels), one page."""
        body: dict[str, Any] = {"limit": limit, "offset": offset}
        for key, value in (
            ("graph_id", graph_id),
            ("name", name),
            ("metadata", metadata),
            ("sort_by", sort_by),
            ("sort_order", sort_order),
        ):
            if value is not None:
                body[key] = value
        data, headers = await self.request("POST", f"{self._a}/search", json_body=body)
        return Page(self._parse_list(Assistant, data), self._next_offset(headers))

    async def count_assistants(self, **filters: Any) -> int:
        """``POST /assistants/count``."""
        data, _ = await self.request("POST", f"{self._a}/count", json_body=filters)
        return int(data)

    async def get_assistant(self, assistant_id: str) -> Assistant:
        """One assistant by id."""
        data, _ = await self.request("GET", f"{self._a}/{assistant_id}")
        return self._parse(Assistant, data)  # type: ignore[no-any-return]

    async def get_schemas(self, assistant_id: str) -> dict[str, Any]:
        """Input, output, state, config and context JSON schemas."""
        data, _ = await self.request("GET", f"{self._a}/{assistant_id}/schemas")
        return data if isinstance(data, dict) else {}

    async def get_graph(self, assistant_id: str, *, xray: bool | int = False) -> GraphInfo:
        """Nodes and edges (``xray`` includes subgraph nodes)."""
        params = {"xray": str(xray).lower() if isinstance(xray, bool) else str(xray)}
        data, _ = await self.request("GET", f"{self._a}/{assistant_id}/graph", params=params)
        return self._parse(GraphInfo, data)  # type: ignore[no-any-return]

    async def get_versions(self, assistant_id: str, *, limit: int = 10) -> list[dict[str, Any]]:
        """The assistant's versions, newest first."""
        data, _ = await self.request(
            "POST", f"{self._a}/{assistant_id}/versions", json_body={"limit": limit}
        )
        return [v for v in data if isinstance(v, dict)] if isinstance(data, list) else []

    # --- threads ------------------------------------------------------------------------

    async def create_thread(
        self,
        *,
        thread_id: str | None = None,
        metadata: dict[str, Any] | None = None,
        if_exists: Literal["raise", "do_nothing"] | None = None,
    ) -> Thread:
        """``POST /threads``."""
        body: dict[str, Any] = {}
        if thread_id:
            body["thread_id"] = thread_id
        if metadata is not None:
            body["metadata"] = metadata
        if if_exists:
            body["if_exists"] = if_exists
        data, _ = await self.request("POST", "/threads", json_body=body)
        return self._parse(Thread, data)  # type: ignore[no-any-return]

    async def search_threads(
        self,
        *,
        limit: int = 20,
        offset: int = 0,
        ids: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        values: dict[str, Any] | None = None,
        status: str | None = None,
        sort_by: str | None = "updated_at",
        sort_order: str | None = "desc",
        select: list[str] | None = None,
    ) -> Page[Thread]:
        """One page of threads; ``select`` keeps the answer small (no full values)."""
        body: dict[str, Any] = {"limit": limit, "offset": offset}
        for key, value in (
            ("ids", ids),
            ("metadata", metadata),
            ("values", values),
            ("status", status),
            ("sort_by", sort_by),
            ("sort_order", sort_order),
            ("select", select),
        ):
            if value is not None:
                body[key] = value
        data, headers = await self.request("POST", "/threads/search", json_body=body)
        return Page(self._parse_list(Thread, data), self._next_offset(headers))

    async def count_threads(self, **filters: Any) -> int:
        """``POST /threads/count`` (filters: metadata, values, status)."""
        data, _ = await self.request("POST", "/threads/count", json_body=filters)
        return int(data)

    async def get_thread(self, thread_id: str) -> Thread:
        """One thread with status, values, interrupts and error."""
        data, _ = await self.request("GET", f"/threads/{thread_id}")
        return self._parse(Thread, data)  # type: ignore[no-any-return]

    async def patch_thread(self, thread_id: str, *, metadata: dict[str, Any]) -> Thread:
        """Merge ``metadata`` into the thread's (e.g. a title)."""
        data, _ = await self.request(
            "PATCH", f"/threads/{thread_id}", json_body={"metadata": metadata}
        )
        return self._parse(Thread, data)  # type: ignore[no-any-return]

    async def delete_thread(self, thread_id: str) -> None:
        """Delete a thread (204)."""
        await self.request("DELETE", f"/threads/{thread_id}")

    async def copy_thread(self, thread_id: str) -> Thread:
        """Fork a thread with its whole history."""
        data, _ = await self.request("POST", f"/threads/{thread_id}/copy", json_body={})
        return self._parse(Thread, data)  # type: ignore[no-any-return]

    async def get_state(
        self, thread_id: str, *, checkpoint_id: str | None = None, subgraphs: bool = False
    ) -> ThreadState:
        """The latest state, or the state at ``checkpoint_id``."""
        path = f"/threads/{thread_id}/state"
        if checkpoint_id:
            path += f"/{checkpoint_id}"
        params = {"subgraphs": "true"} if subgraphs else None
        data, _ = await self.request("GET", path, params=params)
        return self._parse(ThreadState, data)  # type: ignore[no-any-return]

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
        data, _ = await self.request("POST", f"/threads/{thread_id}/state", json_body=body)
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
        data, _ = await self.request("POST", f"/threads/{thread_id}/history", json_body=body)
        return self._parse_list(ThreadState, data)

    # --- runs ---------------------------------------------------------------------------

    async def create_run(self, thread_id: str, body: RunCreate) -> Run:
        """Start a background run."""
        data, _ = await self.request("POST", f"/threads/{thread_id}/runs", json_body=body.to_body())
        return self._parse(Run, data)  # type: ignore[no-any-return]

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
        return self._parse(Run, data)  # type: ignore[no-any-return]

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

    # --- streams ------------------------------------------------------------------------

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
            raise _transport_error(exc, self.base_url) from None
        except UnicodeEncodeError as exc:
            raise _transport_error(exc, self.base_url) from None
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
