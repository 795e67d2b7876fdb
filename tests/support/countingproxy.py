"""A forwarding HTTP proxy on loopback that counts and records what passes through it.

Enough of a proxy for the client's proxy tests (stdlib asyncio only): absolute-URI requests
(``GET http://host:port/path HTTP/1.1``, what a client sends a proxy for plain http) are
forwarded to the origin with the path only, and ``CONNECT host:port`` (https) opens a tunnel
whose bytes are relayed unread. Each request is recorded with its method, target and headers,
so a test can assert that requests went through it, and what the proxy could see::

    with CountingProxy() as proxy:          # its own thread and event loop
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        ...
        assert proxy.count and proxy.seen[0].method == "POST"

One request per connection for plain http (``Connection: close`` is forced), which keeps the
relay simple; a tunnel lasts until either side closes it.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from dataclasses import dataclass, field
from typing import Self

__all__ = ["CountingProxy", "Seen"]


@dataclass(slots=True)
class Seen:
    """One request the proxy handled.

    Attributes:
        method: ``GET``, ``POST``, ``CONNECT``…
        target: the absolute URI, or ``host:port`` for CONNECT.
        headers: the request headers as the proxy received them (lower-case names).
    """

    method: str
    target: str
    headers: dict[str, str] = field(default_factory=dict)


class CountingProxy:
    """The proxy, served from a thread with its own event loop.

    Attributes:
        url: ``http://127.0.0.1:PORT``.
        seen: every request handled, in order.
    """

    def __init__(self) -> None:
        self.seen: list[Seen] = []
        self.url = ""
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def count(self) -> int:
        """How many requests went through."""
        return len(self.seen)

    def __enter__(self) -> Self:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the proxy did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        future = asyncio.run_coroutine_threadsafe(self._close(), self._loop)
        with contextlib.suppress(Exception):
            future.result(timeout=5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._start())
        self._ready.set()
        self._loop.run_forever()

    async def _start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"

    async def _close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.ensure_future(self._serve(reader, writer))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            writer.close()
            return
        lines = head.decode("latin-1").split("\r\n")
        method, target, _version = lines[0].split(" ", 2)
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        self.seen.append(Seen(method, target, headers))
        try:
            if method == "CONNECT":
                await self._tunnel(target, reader, writer)
            else:
                await self._forward(method, target, headers, reader, writer)
        except (ConnectionError, OSError, asyncio.IncompleteReadError):
            pass
        finally:
            with contextlib.suppress(Exception):
                writer.close()

    async def _tunnel(
        self, target: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        host, _, port = target.rpartition(":")
        up_reader, up_writer = await asyncio.open_connection(host.strip("[]"), int(port))
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        await writer.drain()
        await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))

    async def _forward(
        self,
        method: str,
        target: str,
        headers: dict[str, str],
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        rest = target.split("://", 1)[1]
        authority, slash, path = rest.partition("/")
        host, _, port = authority.rpartition(":")
        length = int(headers.get("content-length", "0") or 0)
        body = await reader.readexactly(length) if length else b""
        up_reader, up_writer = await asyncio.open_connection(host, int(port or 80))
        out = {k: v for k, v in headers.items() if not k.startswith("proxy-")}
        out["connection"] = "close"
        request = f"{method} {slash}{path} HTTP/1.1\r\n" + "".join(
            f"{k}: {v}\r\n" for k, v in out.items()
        )
        up_writer.write(request.encode("latin-1") + b"\r\n" + body)
        await up_writer.drain()
        await _pipe(up_reader, writer)
        up_writer.close()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copy bytes until the reader ends, then half-close the writer."""
    try:
        while chunk := await reader.read(65536):
            writer.write(chunk)
            await writer.drain()
    finally:
        with contextlib.suppress(Exception):
            if writer.can_write_eof():
                writer.write_eof()
