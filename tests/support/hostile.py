"""A hostile HTTP/1.1 server on loopback that answers with scripted raw bytes.

For what a real LangGraph server never sends (docs/PROTOCOL.md, "Hostile cases"): HTML error pages,
a 401 without
a body, a 429 with ``Retry-After``, a JSON body on a stream endpoint, cross-origin redirects,
broken SSE (invalid JSON, invalid UTF-8, a 10 MB event, a line that never ends, heartbeats
only, one byte every 0.5 s, a BOM, an unterminated last event, phantom heartbeats, parser
bombs, an ``error`` event with 200, a clean EOF mid-run, a reset mid-event)::

    server = HostileServer()
    server.route("POST", r"/threads/[^/]+/runs/stream", html_502(), sse_response(events))
    port = await server.start()        # each request to a route takes its next script;
    ...                                # the last one repeats
    server.requests                    # what arrived (method, path, headers, body, time)
    await server.stop()

A script is a list of actions: ``bytes`` are written, :class:`Sleep` waits, :class:`Close`
sends FIN, :class:`Reset` sends RST, :class:`Hang` keeps the socket open and silent,
:class:`Drip` writes bytes one at a time, :class:`Flood` repeats a block. Everything is
bounded: scripts end, ``Hang``, ``Drip`` and ``Flood`` have limits, and
:meth:`HostileServer.stop` ends every connection. Standard library only.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import socket
import struct
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Close",
    "Drip",
    "Flood",
    "Hang",
    "HostileServer",
    "Recorded",
    "Reset",
    "Sleep",
    "agent_routes",
    "chunk",
    "cross_origin_redirect",
    "html_502",
    "json_response",
    "rate_limited",
    "raw_response",
    "replaying",
    "sse_event",
    "sse_head",
    "sse_response",
    "unauthorized_no_body",
    "wrong_content_type",
]

THREAD = "11111111-1111-4111-8111-111111111111"
RUN = "22222222-2222-4222-8222-222222222222"


@dataclass(frozen=True)
class Sleep:
    """Wait ``seconds`` before the next action."""

    seconds: float


@dataclass(frozen=True)
class Close:
    """Close the connection with a FIN (what was written is delivered)."""


@dataclass(frozen=True)
class Reset:
    """Close the connection with a RST (``SO_LINGER 0``)."""


@dataclass(frozen=True)
class Hang:
    """Keep the connection open and silent for at most ``seconds``."""

    seconds: float = 30.0


@dataclass(frozen=True)
class Drip:
    """Write ``data`` one byte every ``every`` seconds, for at most ``limit`` seconds."""

    data: bytes
    every: float = 0.5
    limit: float = 30.0


@dataclass(frozen=True)
class Flood:
    """Write ``block`` again and again, ``total`` bytes in all (as one chunked body chunk per
    block when ``chunked``), as fast as the client reads."""

    block: bytes
    total: int
    chunked: bool = True


Action = bytes | Sleep | Close | Reset | Hang | Drip | Flood
Script = Sequence[Action]


@dataclass
class Recorded:
    """A request as the server saw it."""

    method: str
    path: str
    headers: dict[str, str]
    raw_headers: list[tuple[str, str]]
    body: bytes
    received_at: float = field(default_factory=time.monotonic)


# --- building raw responses ------------------------------------------------------------


def raw_response(
    status: int,
    reason: str,
    body: bytes = b"",
    headers: Iterable[tuple[str, str]] = (),
    *,
    content_length: bool = True,
) -> bytes:
    """A complete HTTP/1.1 response (headers exactly as given, no others)."""
    lines = [f"HTTP/1.1 {status} {reason}"]
    lines += [f"{name}: {value}" for name, value in headers]
    if content_length:
        lines.append(f"content-length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def json_response(status: int, value: Any, headers: Iterable[tuple[str, str]] = ()) -> bytes:
    """A JSON response."""
    body = json.dumps(value).encode()
    reasons = {200: "OK", 201: "Created", 202: "Accepted", 404: "Not Found", 409: "Conflict"}
    return raw_response(
        status,
        reasons.get(status, "Status"),
        body,
        [("content-type", "application/json"), *headers],
    )


def sse_head(headers: Iterable[tuple[str, str]] = (), *, chunked: bool = True) -> bytes:
    """The head of a 200 event stream (chunked, like the real server)."""
    lines = ["HTTP/1.1 200 OK", "content-type: text/event-stream; charset=utf-8"]
    if chunked:
        lines.append("transfer-encoding: chunked")
    else:
        lines.append("connection: close")
    lines += [f"{name}: {value}" for name, value in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def chunk(data: bytes) -> bytes:
    """One chunk of a chunked body."""
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


LAST_CHUNK = b"0\r\n\r\n"
"""The end of a chunked body (a clean end of the stream)."""


def sse_event(event: str | None, data: Any, event_id: str | None = None) -> bytes:
    """One SSE event with CRLF line ends, as the server writes them (``data`` as JSON unless
    it is already ``bytes``/``str``)."""
    if isinstance(data, bytes):
        payload = data
    elif isinstance(data, str):
        payload = data.encode()
    else:
        payload = json.dumps(data).encode()
    out = b""
    if event is not None:
        out += b"event: " + event.encode() + b"\r\n"
    out += b"data: " + payload + b"\r\n"
    if event_id is not None:
        out += b"id: " + event_id.encode() + b"\r\n"
    return out + b"\r\n"


def run_location(thread: str = THREAD, run: str = RUN) -> list[tuple[str, str]]:
    """The ``Location``/``Content-Location`` headers of a run's stream."""
    return [
        ("location", f"/threads/{thread}/runs/{run}/stream"),
        ("content-location", f"/threads/{thread}/runs/{run}"),
    ]


def sse_response(
    events: Iterable[bytes],
    *,
    headers: Iterable[tuple[str, str]] | None = None,
    end: str = "eof",
    each_chunk: bool = True,
) -> list[Action]:
    """A 200 event stream of raw SSE ``events``.

    Args:
        events: raw SSE bytes (see :func:`sse_event`); may be partial events.
        headers: extra headers (default: the run's Location and Content-Location).
        end: ``eof`` (clean end), ``reset`` (RST), ``cut`` (FIN without the last chunk),
            ``hang`` (stay open and silent).
        each_chunk: one chunk per item (else all items in one chunk).
    """
    items = list(events)
    body = [chunk(item) for item in items] if each_chunk else [chunk(b"".join(items))]
    script: list[Action] = [sse_head(run_location() if headers is None else headers), *body]
    if end == "eof":
        script += [LAST_CHUNK, Close()]
    elif end == "reset":
        script.append(Reset())
    elif end == "cut":
        script.append(Close())
    elif end == "hang":
        script.append(Hang())
    else:
        raise ValueError(end)
    return script


# --- scripted hostile answers (docs/PROTOCOL.md, "Hostile cases") ---------------------------


def html_502() -> list[Action]:
    """S1: a proxy's HTML 502 page."""
    page = b"<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1>"
    page += b"<script>alert(1)</script><hr>nginx</body></html>"
    return [raw_response(502, "Bad Gateway", page, [("content-type", "text/html")]), Close()]


def unauthorized_no_body(status: int = 401) -> list[Action]:
    """S2: 401 (or 403) with no body and no content type."""
    reason = "Unauthorized" if status == 401 else "Forbidden"
    return [raw_response(status, reason), Close()]


def rate_limited(retry_after: str) -> list[Action]:
    """S3: 429 with ``Retry-After``."""
    return [
        json_response(429, {"detail": "Too many requests"}, [("retry-after", retry_after)]),
        Close(),
    ]


def wrong_content_type() -> list[Action]:
    """S4: 200 with a JSON body on a stream endpoint."""
    return [json_response(200, {"detail": "streaming is disabled here"}), Close()]


def cross_origin_redirect(location: str, status: int = 307) -> list[Action]:
    """S5: a redirect to another origin."""
    return [
        raw_response(status, "Temporary Redirect", b"", [("location", location)]),
        Close(),
    ]


# --- a minimal fake Agent Server around a scripted stream -------------------------------


def run_json(status: str, thread: str = THREAD, run: str = RUN) -> dict[str, Any]:
    """A run as ``GET /threads/{t}/runs/{r}`` returns it."""
    return {"run_id": run, "thread_id": thread, "status": status, "metadata": {}}


def state_json(messages: list[dict[str, Any]], next_nodes: Sequence[str] = ()) -> dict[str, Any]:
    """A thread state with ``messages``."""
    return {"values": {"messages": messages}, "next": list(next_nodes), "tasks": []}


def agent_routes(
    server: HostileServer,
    stream: Sequence[Script] | Script,
    *,
    rejoin: Sequence[Script | Handler] | Script | None = None,
    run_statuses: Sequence[str] = ("success",),
    messages: list[dict[str, Any]] | None = None,
    thread: str = THREAD,
    run: str = RUN,
) -> None:
    """Routes of a fake server for one run on ``thread``: the POST stream, the rejoin stream,
    the run's status (one per request, the last repeats), its list of runs and the state."""
    server.route("POST", rf"/threads/{thread}/runs/stream", *_scripts(stream))
    empty = sse_response([])
    server.route("GET", rf"/threads/{thread}/runs/{run}/stream", *_scripts(rejoin or empty))
    server.route(
        "GET",
        rf"/threads/{thread}/runs/{run}",
        *[[json_response(200, run_json(s, thread, run))] for s in run_statuses],
    )
    server.route("GET", rf"/threads/{thread}/runs", [json_response(200, [])])
    final = messages if messages is not None else []
    server.route("GET", rf"/threads/{thread}/state", [json_response(200, state_json(final))])


_ID_LINE = re.compile(rb"^id: ?(\S*)\r?$", re.MULTILINE)


def replaying(*events: bytes, end: str = "eof") -> Callable[[Recorded], Script]:
    """A rejoin handler that replays, like the in-memory server, the ``events`` whose id is
    greater (as a string) than the request's ``Last-Event-ID`` (all of them for ``-1``; none
    without the header: only live events, and there are none)."""

    def handler(request: Recorded) -> Script:
        cursor = request.headers.get("last-event-id")
        kept = []
        for event in events:
            match = _ID_LINE.search(event)
            event_id = match[1].decode() if match else ""
            if cursor is not None and event_id > cursor:
                kept.append(event)
        return sse_response(kept, end=end)

    return handler


def _scripts(value: Sequence[Script] | Script) -> list[Script]:
    if value and isinstance(value[0], bytes | Sleep | Close | Reset | Hang | Drip | Flood):
        return [value]  # type: ignore[list-item]
    return list(value)  # type: ignore[arg-type]


# --- the server ---------------------------------------------------------------------------

Handler = Callable[[Recorded], Script]


class _Route:
    def __init__(self, method: str, pattern: str, scripts: Sequence[Script | Handler]) -> None:
        self.method = method
        self.pattern = re.compile(pattern)
        self.scripts = list(scripts)
        self.hits = 0

    def next(self, request: Recorded) -> Script:
        item = self.scripts[min(self.hits, len(self.scripts) - 1)]
        self.hits += 1
        return item(request) if callable(item) else item


class HostileServer:
    """A loopback HTTP/1.1 server that answers each route with scripted raw bytes.

    Args:
        host: where to listen.
        max_seconds: hard lifetime; every connection is closed after it.
        max_body: the largest request body read (bigger requests are answered 413).
    """

    def __init__(
        self, host: str = "127.0.0.1", *, max_seconds: float = 120.0, max_body: int = 1 << 20
    ) -> None:
        self.host = host
        self.port: int | None = None
        self.max_seconds = max_seconds
        self.max_body = max_body
        self.requests: list[Recorded] = []
        self.connections = 0
        self._routes: list[_Route] = []
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._lifetime: asyncio.TimerHandle | None = None
        self._stopping = asyncio.Event()

    @property
    def url(self) -> str:
        """``http://host:port``."""
        return f"http://{self.host}:{self.port}"

    def route(self, method: str, path_regex: str, *scripts: Script | Handler) -> None:
        """Answer ``method`` requests whose path (without query) fully matches ``path_regex``.

        Each request takes the next script (or calls the next handler with the request); the
        last one repeats. Routes added later win over earlier ones.
        """
        self._routes.insert(0, _Route(method, path_regex, scripts))

    def hits(self, method: str, path_regex: str) -> list[Recorded]:
        """The recorded requests matching ``method`` and ``path_regex``."""
        pattern = re.compile(path_regex)
        return [
            r
            for r in self.requests
            if r.method == method and pattern.fullmatch(r.path.split("?", 1)[0])
        ]

    async def start(self) -> int:
        """Start listening on a free port; returns it."""
        self._server = await asyncio.start_server(self._serve, self.host, 0)
        self.port = self._server.sockets[0].getsockname()[1]
        self._lifetime = asyncio.get_running_loop().call_later(self.max_seconds, self._expire)
        return self.port

    def _expire(self) -> None:
        self._stopping.set()
        for writer in list(self._writers):
            writer.transport.abort()

    async def stop(self) -> None:
        """Stop listening and close every connection."""
        if self._lifetime is not None:
            self._lifetime.cancel()
        self._stopping.set()
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._writers):
            writer.transport.abort()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=5)

    async def __aenter__(self) -> HostileServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self._writers.add(writer)
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            while not self._stopping.is_set():
                request = await self._read_request(reader)
                if request is None:
                    break
                self.requests.append(request)
                script = self._script_for(request)
                if not await self._play(script, writer):
                    break
        except (ConnectionError, OSError, asyncio.IncompleteReadError, ValueError):
            pass
        finally:
            self._writers.discard(writer)
            self._tasks.discard(task)
            if not writer.transport.is_closing():
                writer.transport.close()

    async def _read_request(self, reader: asyncio.StreamReader) -> Recorded | None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            return None
        lines = head.decode("latin-1").split("\r\n")
        method, path, _version = lines[0].split(" ", 2)
        raw_headers: list[tuple[str, str]] = []
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(":")
                raw_headers.append((name.strip(), value.strip()))
        headers = {name.lower(): value for name, value in raw_headers}
        length = int(headers.get("content-length", "0") or 0)
        body = await reader.readexactly(min(length, self.max_body)) if length else b""
        return Recorded(method, path, headers, raw_headers, body)

    def _script_for(self, request: Recorded) -> Script:
        path = request.path.split("?", 1)[0]
        for route in self._routes:
            if route.method == request.method and route.pattern.fullmatch(path):
                return route.next(request)
        return [json_response(404, {"detail": "Not Found"})]

    async def _play(self, script: Script, writer: asyncio.StreamWriter) -> bool:
        """Play a script; False when the connection was closed by it."""
        for action in script:
            if self._stopping.is_set():
                return False
            if isinstance(action, bytes):
                writer.write(action)
                await writer.drain()
            elif isinstance(action, Sleep):
                await self._wait(action.seconds)
            elif isinstance(action, Close):
                writer.transport.close()
                return False
            elif isinstance(action, Reset):
                sock = writer.transport.get_extra_info("socket")
                if sock is not None:
                    with contextlib.suppress(OSError):
                        sock.setsockopt(
                            socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                        )
                writer.transport.abort()
                return False
            elif isinstance(action, Hang):
                await self._wait(action.seconds)
                writer.transport.abort()
                return False
            elif isinstance(action, Flood):
                piece = chunk(action.block) if action.chunked else action.block
                sent = 0
                while sent < action.total and not self._stopping.is_set():
                    writer.write(piece)
                    await writer.drain()
                    sent += len(action.block)
            elif isinstance(action, Drip):
                deadline = time.monotonic() + action.limit
                for i in range(len(action.data)):
                    if time.monotonic() > deadline or self._stopping.is_set():
                        break
                    writer.write(action.data[i : i + 1])
                    await writer.drain()
                    await self._wait(action.every)
        return True

    async def _wait(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)
