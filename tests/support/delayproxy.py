"""An HTTP/1.1 loopback proxy that adds network latency and logs every exchange (stdlib only).

It sits between a client and a real server and makes the loopback look like a remote server:
every request reaches the server half a round trip after the client sent it, every response
byte reaches the client half a round trip after the server sent it, and a new connection costs
``connect_rtts`` round trips before its first request (the TCP handshake; add one for TLS).
Bytes keep their order and streams keep their pace, only shifted::

    proxy = DelayProxy("127.0.0.1", server_port, rtt=0.2)
    await proxy.start()
    ...                              # point the client at proxy.url
    proxy.exchanges                  # one Exchange per request: method, path, times
    await proxy.stop()

It understands just enough HTTP/1.1 to know where each message ends (``Content-Length``,
chunked bodies, keep-alive), so it can also **cut a stream's tail cleanly**: with
``cut=Cut("/runs/stream", after_events=5)`` the first matching response is ended with a proper
last chunk after its fifth SSE event, as a proxy's timeout or a buggy gateway would, and the
client sees a clean end of stream (no transport error). ``wait_for_end`` holds that end back
until the server's own response ended (the run is over by then; what came after the fifth
event is dropped), else the server connection is closed at once (the run goes on).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass

__all__ = ["Cut", "DelayProxy", "Exchange"]

_TERMINATORS = (b"\r\n\r\n", b"\n\n")
_TOKEN = b"event: messages"


@dataclass
class Cut:
    """End the first response whose request line contains ``match`` after ``after_events``.

    Attributes:
        match: a substring of the request line (``POST /threads/…/runs/stream HTTP/1.1``).
        after_events: SSE events (blank-line-terminated frames with a field) let through.
        wait_for_end: end the response only once the server's own response ended.
        fired: whether the cut happened.
    """

    match: str
    after_events: int
    wait_for_end: bool = False
    fired: bool = False


@dataclass
class Exchange:
    """One request and its response, as the proxy saw them (``time.monotonic()`` seconds).

    Attributes:
        conn: the client connection's number (accept order).
        method, path: the request line's.
        sent_at: when the client had sent the whole request.
        status: the response status.
        first_byte_at: when the response's first byte reached the client.
        done_at: when its last byte reached the client.
        new_connection: whether this was the connection's first request (it paid the
            connection set-up).
        cut: whether the proxy cut this response's tail.
        first_token_at, last_token_at: when the first and the last chunk carrying a token
            event (``messages``, ``messages/partial``) reached the client, for streams.
    """

    conn: int
    method: str
    path: str
    sent_at: float
    status: int = 0
    first_byte_at: float | None = None
    done_at: float | None = None
    new_connection: bool = False
    cut: bool = False
    first_token_at: float | None = None
    last_token_at: float | None = None

    def saw(self, data: bytes, due: float) -> None:
        """Note when a chunk of a stream that carries a token event reaches the client."""
        if _TOKEN in data:
            if self.first_token_at is None:
                self.first_token_at = due
            self.last_token_at = due


class _DelayedWriter:
    """Writes bytes to the client ``delay`` seconds after they were queued, in order."""

    def __init__(self, writer: asyncio.StreamWriter, delay: float) -> None:
        self._writer = writer
        self._delay = delay
        self._queue: asyncio.Queue[tuple[float, bytes | None]] = asyncio.Queue()
        self._task = asyncio.create_task(self._run())
        self.last_written = 0.0
        self.first_written: float | None = None

    def put(self, data: bytes) -> float:
        """Queue ``data``; returns when it will reach the client."""
        due = time.monotonic() + self._delay
        self._queue.put_nowait((due, data))
        return due

    async def _run(self) -> None:
        while True:
            due, data = await self._queue.get()
            try:
                wait = due - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                if data is not None and not self._writer.is_closing():
                    self._writer.write(data)
                    with contextlib.suppress(ConnectionError):
                        await self._writer.drain()
                    now = time.monotonic()
                    if self.first_written is None:
                        self.first_written = now
                    self.last_written = now
            finally:
                self._queue.task_done()

    async def flush(self) -> None:
        """Wait until everything queued was written."""
        await self._queue.join()

    def mark(self) -> None:
        """Start timing a new response."""
        self.first_written = None

    async def close(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


def _headers(head: bytes) -> tuple[str, dict[str, str]]:
    lines = head.decode("latin-1").split("\r\n")
    fields: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            fields[name.strip().lower()] = value.strip()
    return lines[0], fields


def _frame_ends(data: bytes) -> list[int]:
    """Offsets just after each blank line that ends an SSE frame in ``data``."""
    ends: list[int] = []
    position = 0
    while True:
        found = [(data.find(t, position), t) for t in _TERMINATORS]
        found = [(i, t) for i, t in found if i >= 0]
        if not found:
            return ends
        index, terminator = min(found)
        position = index + len(terminator)
        ends.append(position)


class DelayProxy:
    """A latency-adding, exchange-logging HTTP/1.1 proxy in front of one server.

    Args:
        target_host, target_port: the real server.
        rtt: the round trip time to simulate, in seconds.
        connect_rtts: round trips a new connection costs before its first request.
        cut: a stream whose tail to cut (see :class:`Cut`), or None.
    """

    def __init__(
        self,
        target_host: str,
        target_port: int,
        *,
        rtt: float = 0.0,
        connect_rtts: float = 1.0,
        cut: Cut | None = None,
    ) -> None:
        self.target_host = target_host
        self.target_port = target_port
        self.rtt = rtt
        self.connect_rtts = connect_rtts
        self.cut = cut
        self.exchanges: list[Exchange] = []
        self.connections = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.port = 0

    @property
    def url(self) -> str:
        """The proxy's base URL."""
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> int:
        """Listen on a free loopback port; returns it."""
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def stop(self) -> None:
        """Stop listening and end every connection."""
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._server is not None:
            with contextlib.suppress(Exception):
                await self._server.wait_closed()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        index = self.connections
        self.connections += 1
        out = _DelayedWriter(writer, self.rtt / 2)
        upstream: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        first = True
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                line, fields = _headers(head)
                body = b""
                if fields.get("content-length"):
                    body = await reader.readexactly(int(fields["content-length"]))
                method, path = [*line.split(" "), "", ""][:2]
                exchange = Exchange(index, method, path, time.monotonic(), new_connection=first)
                self.exchanges.append(exchange)
                delay = self.rtt / 2 + (self.rtt * self.connect_rtts if first else 0.0)
                first = False
                if delay > 0:
                    await asyncio.sleep(delay)
                if upstream is None:
                    upstream = await asyncio.open_connection(self.target_host, self.target_port)
                up_reader, up_writer = upstream
                up_writer.write(head + body)
                await up_writer.drain()
                out.mark()
                keep = await self._relay(line, method, up_reader, out, exchange)
                await out.flush()
                exchange.first_byte_at = out.first_written
                exchange.done_at = out.last_written
                if not keep:
                    up_writer.close()
                    upstream = None
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            return  # the client left, or the proxy stops (a handler must not end cancelled)
        finally:
            await out.close()
            if upstream is not None:
                upstream[1].close()
            writer.close()
            self._tasks.discard(task)

    async def _relay(
        self,
        request_line: str,
        method: str,
        up: asyncio.StreamReader,
        out: _DelayedWriter,
        exchange: Exchange,
    ) -> bool:
        """Relay one response; returns whether the server connection can be used again."""
        head = await up.readuntil(b"\r\n\r\n")
        status_line, fields = _headers(head)
        exchange.status = int(status_line.split(" ")[1])
        out.put(head)
        if method == "HEAD" or exchange.status in (204, 304) or exchange.status < 200:
            return True
        if fields.get("transfer-encoding", "").lower() == "chunked":
            cut = self.cut
            if cut is not None and not cut.fired and cut.match in request_line:
                return await self._relay_cut(up, out, exchange, cut)
            while True:
                size_line = await up.readuntil(b"\r\n")
                size = int(size_line.split(b";")[0], 16)
                data = await up.readexactly(size + 2)
                if size == 0:
                    out.put(size_line + data)  # the last chunk (no trailers from these servers)
                    return True
                exchange.saw(data, out.put(size_line + data))
        if fields.get("content-length") is not None:
            remaining = int(fields["content-length"])
            while remaining:
                data = await up.read(min(remaining, 65536))
                if not data:
                    return False
                remaining -= len(data)
                out.put(data)
            return fields.get("connection", "").lower() != "close"
        while data := await up.read(65536):  # delimited by the server closing
            out.put(data)
        return False

    async def _relay_cut(
        self, up: asyncio.StreamReader, out: _DelayedWriter, exchange: Exchange, cut: Cut
    ) -> bool:
        """Relay a chunked SSE body up to ``cut.after_events`` events, then end it cleanly."""
        events = 0
        pending = b""  # bytes of a frame not yet ended
        while True:
            size_line = await up.readuntil(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            data = (await up.readexactly(size + 2))[:-2]
            if size == 0:
                out.put(b"0\r\n\r\n")
                return True  # the stream ended before the cut
            buffer = pending + data
            start = 0
            send_upto = 0
            for end in _frame_ends(buffer):
                frame = buffer[start:end]
                start = end
                send_upto = end
                if b"event:" in frame or b"data:" in frame:
                    events += 1
                    if events >= cut.after_events:
                        break
            pending = buffer[send_upto:]
            sent = buffer[:send_upto]
            if sent:
                exchange.saw(sent, out.put(f"{len(sent):x}\r\n".encode() + sent + b"\r\n"))
            if events >= cut.after_events:
                cut.fired = exchange.cut = True
                if not cut.wait_for_end:
                    out.put(b"0\r\n\r\n")
                    return False  # the server connection is dropped: the run goes on
                while True:  # wait for the server's end, dropping the rest
                    size_line = await up.readuntil(b"\r\n")
                    size = int(size_line.split(b";")[0], 16)
                    await up.readexactly(size + 2)
                    if size == 0:
                        out.put(b"0\r\n\r\n")
                        return True
