"""A fault-injecting loopback TCP proxy (standard library only, asyncio).

It sits between a client and a real server and breaks some connections on purpose, the way
networks, proxies and restarts do (docs/PROTOCOL.md, "Transport failures"). Use it in-process from
tests::

    proxy = FaultProxy("127.0.0.1", server_port, modes=("cut", "rst", "stall-close"),
                       fault_rate=0.5, cut_after=(100, 12000), arm_on="text/event-stream",
                       seed=7)
    port = await proxy.start()
    ...                                   # point the client at http://127.0.0.1:{port}
    await proxy.stop()
    proxy.logs                            # one ConnLog per connection

or from a shell: ``python tests/support/faultproxy.py --target 127.0.0.1:2024 --modes cut,rst
--fault-rate 0.5 --cut-after 100:12000 --arm-on text/event-stream --seed 42``.

**Modes** (one is drawn per faulty connection): ``cut`` (FIN), ``rst`` (RST through
``SO_LINGER 0``), ``stall`` (pause ``stall`` s, then go on), ``stall-close`` (pause, then FIN),
``hang`` (forward nothing more, keep the socket open), ``refuse`` (close the client's connection
without forwarding the armed request: the server never sees it), ``corrupt`` (flip one byte, go
on), ``pass`` (no fault).

**Arming:** a request arms its connection when its bytes contain ``arm_on`` (e.g.
``text/event-stream`` for SSE requests, ``/runs/stream`` for run POSTs); the next request on the
keep-alive connection that does not contain it disarms it again, so a status call reusing the
connection is left alone. Without ``arm_on`` every request arms. ``cut_after`` counts the
server→client bytes sent while armed; the fault fires at that byte.

**Reproducible:** every decision of connection *n* (0-based, in accept order) is drawn from
``random.Random(f"{seed}:{n}")`` when it is accepted: faulty or not, the mode, the cut point.

**Bounded:** ``max_conns`` stops accepting after N connections; ``max_seconds`` (always on,
600 s by default) stops the proxy whatever happens; ``hang`` and ``stall`` end when it stops.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import re
import socket
import struct
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["MODES", "ConnLog", "FaultProxy"]

MODES = ("cut", "rst", "stall", "stall-close", "hang", "refuse", "corrupt", "pass")
_REQUEST_LINE = re.compile(rb"(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) (\S+) HTTP/1\.[01]\r\n")
_READ = 65536


@dataclass
class ConnLog:
    """What happened on one connection (times are ``time.monotonic()``).

    Attributes:
        index: accept order, 0-based (the seed's second part).
        faulty: whether the plan drawn for it has a fault.
        mode: the fault mode drawn (``pass`` when not faulty).
        cut_after: server→client bytes after arming at which the fault fires.
        armed: whether ``arm_on`` was seen.
        fired: whether the fault fired.
        accepted_at, armed_at, fired_at, closed_at: times.
        up, down: bytes forwarded client→server and server→client.
        requests: ``(time, "METHOD /path")`` for each request line seen.
        note: a word on how it ended.
    """

    index: int
    faulty: bool
    mode: str
    cut_after: int
    armed: bool = False
    fired: bool = False
    accepted_at: float = 0.0
    armed_at: float | None = None
    fired_at: float | None = None
    closed_at: float | None = None
    up: int = 0
    down: int = 0
    requests: list[tuple[float, str]] = field(default_factory=list)
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        """One JSON-able line for a log."""
        return asdict(self)


class _Conn:
    """One proxied connection: two pumps and the fault plan."""

    def __init__(
        self,
        proxy: FaultProxy,
        log: ConnLog,
        client: tuple[asyncio.StreamReader, asyncio.StreamWriter],
    ) -> None:
        self.proxy = proxy
        self.log = log
        self.c_reader, self.c_writer = client
        self.u_reader: asyncio.StreamReader | None = None
        self.u_writer: asyncio.StreamWriter | None = None
        self.active = False  # the current request is armed
        self.armed_bytes = 0  # bytes sent down while armed
        self.window = b""  # the tail of the upstream bytes, to spot arm_on across reads
        self.done = asyncio.Event()
        self.frozen = False  # hang: forward nothing any more

    async def run(self) -> None:
        try:
            self.u_reader, self.u_writer = await asyncio.open_connection(
                self.proxy.target_host, self.proxy.target_port
            )
        except OSError as exc:
            self.log.note = f"upstream connect failed: {exc}"
            self._close_client(reset=False)
            return
        up = asyncio.create_task(self._pump_up())
        down = asyncio.create_task(self._pump_down())
        await self.done.wait()
        for task in (up, down):
            task.cancel()
        for task in (up, down):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._close_upstream()
        if not self.c_writer.is_closing():
            self._close_client(reset=False)
        self.log.closed_at = time.monotonic()

    def stop(self, note: str) -> None:
        """End the connection (both sides closed)."""
        self._finish(note)

    def _finish(self, note: str) -> None:
        if not self.log.note:
            self.log.note = note
        self.done.set()

    async def _pump_up(self) -> None:
        assert self.u_writer is not None
        try:
            while True:
                data = await self.c_reader.read(_READ)
                if not data:
                    self._finish("client closed")
                    return
                now = time.monotonic()
                new_request = False
                for match in _REQUEST_LINE.finditer(data):
                    self.log.requests.append((now, f"{match[1].decode()} {match[2].decode()}"))
                    new_request = True
                if new_request:  # a new request on the connection: armed only if it matches
                    self.active, self.window = False, b""
                if not self.active and self._arms(data):
                    self.active = True
                    if not self.log.armed:
                        self.log.armed = True
                        self.log.armed_at = now
                        if self.proxy.skip_armed():
                            self.log.faulty, self.log.mode = False, "pass"
                    if self._fault_due() and self.log.mode == "refuse":
                        self._fire()
                        self._close_client(reset=False)
                        self._finish("refused")
                        return
                if self.frozen:
                    continue
                self.u_writer.write(data)
                self.log.up += len(data)
                await self.u_writer.drain()
        except (ConnectionError, OSError):
            self._finish("client error")

    def _arms(self, data: bytes) -> bool:
        needle = self.proxy.arm_on
        if needle is None:
            return True
        haystack = self.window + data
        self.window = haystack[-(len(needle) - 1) :] if len(needle) > 1 else b""
        return needle in haystack

    def _fault_due(self) -> bool:
        return self.log.faulty and not self.log.fired and self.proxy.may_fault()

    def _fire(self) -> None:
        self.log.fired = True
        self.log.fired_at = time.monotonic()
        self.proxy.faults_fired += 1

    async def _pump_down(self) -> None:
        assert self.u_reader is not None
        try:
            while True:
                data = await self.u_reader.read(_READ)
                if not data:
                    await self._send(b"")
                    self._finish("server closed")
                    return
                if self.frozen:
                    continue
                if self.active and self.log.mode != "refuse" and self._fault_due():
                    remaining = self.log.cut_after - self.armed_bytes
                    if remaining < len(data):
                        self.armed_bytes += len(data)
                        if await self._fault(data, max(0, remaining)):
                            return
                        continue
                if self.active:
                    self.armed_bytes += len(data)
                await self._send(data)
        except (ConnectionError, OSError):
            self._finish("server error")

    async def _fault(self, data: bytes, at: int) -> bool:
        """Apply the connection's fault at byte ``at`` of ``data``; True when it is over."""
        mode = self.log.mode
        self._fire()
        if mode == "corrupt":
            await self._send(data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1 :])
            return False
        if mode == "pass":
            await self._send(data)
            return False
        await self._send(data[:at])
        if mode == "stall":
            await asyncio.sleep(self.proxy.stall)
            await self._send(data[at:])
            return False
        if mode == "hang":
            self.frozen = True  # read and drop everything; the sockets stay open
            return False
        if mode == "stall-close":
            await asyncio.sleep(self.proxy.stall)
        self._close_client(reset=mode == "rst")
        self._finish(mode)
        return True

    async def _send(self, data: bytes) -> None:
        if not data:
            return
        step = self.proxy.chunk_max or len(data)
        for i in range(0, len(data), step):
            if self.proxy.latency:
                await asyncio.sleep(self.proxy.latency)
            self.c_writer.write(data[i : i + step])
            self.log.down += len(data[i : i + step])
            await self.c_writer.drain()

    def _close_client(self, *, reset: bool) -> None:
        transport = self.c_writer.transport
        if reset:
            sock = transport.get_extra_info("socket")
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            transport.abort()
        else:
            transport.close()

    def _close_upstream(self) -> None:
        if self.u_writer is not None:
            self.u_writer.transport.abort()


class FaultProxy:
    """A loopback TCP proxy that injects seeded faults (see the module docstring).

    Args:
        target_host, target_port: the real server.
        modes: fault modes to draw from (see :data:`MODES`).
        fault_rate: the chance that a connection is faulty.
        cut_after: ``(min, max)`` server→client bytes after arming before the fault fires.
        stall: seconds of a ``stall``/``stall-close``.
        arm_on: text whose presence in a request arms the connection (None: every one).
        seed: the seed of every decision.
        skip_first: this many armed connections are left alone.
        max_faults: stop injecting after this many faults fired.
        max_conns: stop accepting after this many connections.
        max_seconds: hard lifetime (always on).
        chunk_max: re-chunk the server's bytes into writes of at most this many bytes.
        latency_ms: delay before each write to the client.
        listen_host, listen_port: where to listen (port 0: any free port).
    """

    def __init__(
        self,
        target_host: str,
        target_port: int,
        *,
        modes: Sequence[str] = ("cut",),
        fault_rate: float = 1.0,
        cut_after: tuple[int, int] = (0, 0),
        stall: float = 1.0,
        arm_on: str | None = None,
        seed: int | str = 0,
        skip_first: int = 0,
        max_faults: int | None = None,
        max_conns: int | None = None,
        max_seconds: float = 600.0,
        chunk_max: int | None = None,
        latency_ms: float = 0.0,
        listen_host: str = "127.0.0.1",
        listen_port: int = 0,
    ) -> None:
        unknown = set(modes) - set(MODES)
        if unknown or not modes:
            raise ValueError(f"unknown fault modes: {sorted(unknown)}")
        self.target_host = target_host
        self.target_port = target_port
        self.modes = tuple(modes)
        self.fault_rate = fault_rate
        self.cut_after = cut_after
        self.stall = stall
        self.arm_on = arm_on.encode() if arm_on else None
        self.seed = seed
        self.skip_first = skip_first
        self.max_faults = max_faults
        self.max_conns = max_conns
        self.max_seconds = max_seconds
        self.chunk_max = chunk_max
        self.latency = latency_ms / 1000.0
        self.listen_host = listen_host
        self.listen_port = listen_port
        self.port: int | None = None
        self.logs: list[ConnLog] = []
        self.faults_fired = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._conns: set[_Conn] = set()
        self._lifetime: asyncio.TimerHandle | None = None
        self._expiry: asyncio.Future[None] | None = None
        self._armed_seen = 0
        self.stopped = asyncio.Event()

    def plan(self, index: int) -> ConnLog:
        """The seeded plan of connection ``index`` (also usable to preview a seed)."""
        rng = random.Random(f"{self.seed}:{index}")
        faulty = rng.random() < self.fault_rate
        mode = rng.choice(self.modes)
        cut_after = rng.randint(*self.cut_after)
        return ConnLog(index, faulty, mode if faulty else "pass", cut_after)

    def skip_armed(self) -> bool:
        """Count an armed connection; True while it is one of the first ``skip_first``."""
        self._armed_seen += 1
        return self._armed_seen <= self.skip_first

    def may_fault(self) -> bool:
        """Whether the global limits still allow a fault."""
        return self.max_faults is None or self.faults_fired < self.max_faults

    @property
    def url(self) -> str:
        """``http://host:port`` of the proxy (after :meth:`start`)."""
        return f"http://{self.listen_host}:{self.port}"

    async def start(self) -> int:
        """Start listening; returns the bound port."""
        self._server = await asyncio.start_server(
            self._accept, self.listen_host, self.listen_port, limit=_READ
        )
        self.port = self._server.sockets[0].getsockname()[1]
        loop = asyncio.get_running_loop()
        self._lifetime = loop.call_later(self.max_seconds, self._expire)
        return self.port

    def _expire(self) -> None:
        self._expiry = asyncio.ensure_future(self.stop())

    async def stop(self) -> None:
        """Stop accepting and close every connection."""
        if self._lifetime is not None:
            self._lifetime.cancel()
            self._lifetime = None
        if self._server is not None:
            self._server.close()
            self._server = None
        for conn in list(self._conns):
            conn.stop("proxy stopped")
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=5)
        self.stopped.set()

    async def __aenter__(self) -> FaultProxy:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        index = len(self.logs)
        log = self.plan(index)
        log.accepted_at = time.monotonic()
        self.logs.append(log)
        if self.max_conns is not None and index + 1 >= self.max_conns and self._server:
            self._server.close()
        conn = _Conn(self, log, (reader, writer))
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self._conns.add(conn)
        try:
            await conn.run()  # ends when either side closes, a fault ends it, or stop()
        finally:
            self._conns.discard(conn)
            self._tasks.discard(task)

    def summary(self) -> dict[str, Any]:
        """Counts per mode of the faults that fired."""
        fired: dict[str, int] = {}
        for log in self.logs:
            if log.fired:
                fired[log.mode] = fired.get(log.mode, 0) + 1
        return {"connections": len(self.logs), "faults": self.faults_fired, "fired": fired}


def _host_port(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    return host or "127.0.0.1", int(port)


async def _main(args: argparse.Namespace) -> None:
    low, _, high = args.cut_after.partition(":")
    host, port = _host_port(args.target)
    listen_host, listen_port = _host_port(args.listen)
    proxy = FaultProxy(
        host,
        port,
        modes=args.modes.split(","),
        fault_rate=args.fault_rate,
        cut_after=(int(low), int(high or low)),
        stall=args.stall,
        arm_on=args.arm_on,
        seed=args.seed,
        skip_first=args.skip_first,
        max_faults=args.max_faults,
        max_conns=args.max_conns,
        max_seconds=args.max_seconds,
        chunk_max=args.chunk_max,
        latency_ms=args.latency_ms,
        listen_host=listen_host,
        listen_port=listen_port,
    )
    bound = await proxy.start()
    if args.ready_file:
        with open(args.ready_file, "w") as handle:
            handle.write(str(bound))
    print(f"listening on {listen_host}:{bound}", file=sys.stderr, flush=True)
    written = 0
    try:
        while not proxy.stopped.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(proxy.stopped.wait(), 0.5)
            for log in proxy.logs[written:]:
                if log.closed_at is None:
                    break
                print(json.dumps(log.to_json()), file=sys.stderr, flush=True)
                written += 1
            if (
                args.max_conns
                and len(proxy.logs) >= args.max_conns
                and all(log.closed_at is not None for log in proxy.logs)
            ):
                break
    finally:
        await proxy.stop()
        print(json.dumps({"summary": proxy.summary()}), file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--listen", default="127.0.0.1:0")
    parser.add_argument("--target", required=True)
    parser.add_argument("--modes", default="cut")
    parser.add_argument("--fault-rate", type=float, default=1.0)
    parser.add_argument("--cut-after", default="0:0")
    parser.add_argument("--stall", type=float, default=1.0)
    parser.add_argument("--arm-on", default=None)
    parser.add_argument("--seed", default="0")
    parser.add_argument("--skip-first", type=int, default=0)
    parser.add_argument("--max-faults", type=int, default=None)
    parser.add_argument("--max-conns", type=int, default=None)
    parser.add_argument("--max-seconds", type=float, default=600.0)
    parser.add_argument("--chunk-max", type=int, default=None)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--ready-file", default=None)
    asyncio.run(_main(parser.parse_args(argv)))


if __name__ == "__main__":
    main()
