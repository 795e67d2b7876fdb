"""How fast bbot-tui ingests a stream: bytes → events → transcript, against the ceiling and the SDK.

A loopback server (plain asyncio) serves a recorded ``messages-tuple`` stream: the template is a
real event of the local LangGraph server (``tests/golden/recordings/chat-tuple.jsonl``), padded
to about 1 KB and repeated with a new token each time, one HTTP chunk per event as the real
server sends. Every figure is the median of ``--runs`` (3) runs with min–max, all in one process:

- ``raw httpx``: ``aiter_bytes`` only, no parsing (the ceiling);
- ``bbot parse+reduce``: :class:`AgentClient` stream batches → :class:`Reducer` (a transcript
  built, checked at the end);
- ``langgraph_sdk parse``: ``client.runs.stream`` on the same stream (parse only);
- bbot at 10k and 100k events: the cost per token must not grow with the transcript's length;
- ``bbot event protocol``: the same answer over the thread-centric event protocol (one
  ``messages`` ``content-block-delta`` envelope per token, as langgraph-api 0.16 sends them,
  unpadded) through the session's :class:`EventStreamReader` and :class:`EventReducer`; printed
  as a ratio to the runs API's figure.

Usage: ``.venv/bin/python bench/ingest.py [--events 100000] [--runs 3] [--profile]``.
Three runs (the default, as ``make bench`` runs it) take ~1-2 minutes on a loaded 2-core
machine (one run ~40 s: 310,000 events through four clients); ``--runs 5`` for the note.
The machine may be shared: figures vary with its load; compare them within one run.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import multiprocessing
import pstats
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from bbot_tui.api.client import AgentClient  # noqa: E402
from bbot_tui.session.event_run import EventStreamReader  # noqa: E402
from bbot_tui.stream.event_protocol import EventReducer  # noqa: E402
from bbot_tui.stream.reducer import Reducer  # noqa: E402

RECORDING = ROOT / "tests" / "golden" / "recordings" / "chat-tuple.jsonl"
TARGET_SIZE = 1000


def _template() -> tuple[list, str]:
    """A real ``messages`` event of the recording: ``[chunk, metadata]`` and its event name."""
    for line in RECORDING.read_text(encoding="utf-8").splitlines():
        obj = json.loads(line)
        if obj.get("type") == "event" and obj["event"] == "messages":
            data = json.loads(obj["data"])
            if data[0].get("chunk_position") != "last":
                return data, obj["event"]
    raise SystemExit(f"no messages event in {RECORDING}")


def build_stream(n: int) -> tuple[list[bytes], str]:
    """``n`` SSE frames of about 1 KB (one per event) and the text they stream."""
    data, name = _template()
    chunk, meta = data
    meta = dict(meta, padding="")
    base = len(json.dumps([dict(chunk, content="tok000000 "), meta], separators=(",", ":")))
    meta["padding"] = "x" * max(0, TARGET_SIZE - base - 40)
    frames = [b'event: metadata\r\ndata: {"run_id":"bench-run","attempt":1}\r\n\r\n']
    parts = []
    for i in range(n):
        token = f"tok{i:06d} "
        parts.append(token)
        payload = json.dumps([dict(chunk, content=token), meta], separators=(",", ":"))
        frames.append(f"event: {name}\r\ndata: {payload}\r\n\r\n".encode())
    return frames, "".join(parts)


def build_event_stream(n: int) -> tuple[list[bytes], str]:
    """The same answer as ``n`` event-protocol envelopes (one per token), with the run's
    lifecycle and the message's start and end around them."""
    seq = 0

    def frame(method: str, data: object, event_id: str | None = None) -> bytes:
        nonlocal seq
        seq += 1
        envelope = {
            "type": "event",
            "event_id": event_id or f"1796259133385-{seq}",
            "seq": seq,
            "method": method,
            "params": {"namespace": [], "timestamp": 1796259133385, "data": data},
        }
        payload = json.dumps(envelope, separators=(",", ":"))
        return f"event: {method}\r\ndata: {payload}\r\nid: {seq}\r\n\r\n".encode()

    lc = "synth:bench-run:lc||"
    frames = [frame("lifecycle", {"event": "running", "graph_name": "chat"}, lc + "running")]
    frames.append(frame("messages", {"event": "message-start", "role": "ai", "id": "m1"}))
    block = {"type": "text", "text": ""}
    frames.append(frame("messages", {"event": "content-block-start", "index": 0, "content": block}))
    parts = []
    for i in range(n):
        token = f"tok{i:06d} "
        parts.append(token)
        delta = {"type": "text-delta", "text": token}
        frames.append(
            frame("messages", {"event": "content-block-delta", "index": 0, "delta": delta})
        )
    frames.append(frame("messages", {"event": "message-finish", "usage": {"output_tokens": n}}))
    frames.append(
        frame("lifecycle", {"event": "completed", "graph_name": "chat"}, lc + "completed")
    )
    return frames, "".join(parts)


def stream_text(n: int) -> str:
    """The text :func:`build_stream` streams, without building the frames again."""
    return "".join(f"tok{i:06d} " for i in range(n))


class StreamServer:
    """Serves the frames to every request, chunked, one chunk per frame."""

    def __init__(self, frames: list[bytes]) -> None:
        self.frames = [b"%x\r\n%s\r\n" % (len(f), f) for f in frames]
        self.server: asyncio.Server | None = None
        self.url = ""

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    async def stop(self) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            for line in head.split(b"\r\n"):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length" and int(value):
                    await reader.readexactly(int(value))
            writer.write(
                b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream; charset=utf-8\r\n"
                b"content-location: /threads/t/runs/bench-run\r\n"
                b"transfer-encoding: chunked\r\nconnection: close\r\n\r\n"
            )
            for i, frame in enumerate(self.frames):
                writer.write(frame)
                if i % 64 == 63:
                    await writer.drain()
            writer.write(b"0\r\n\r\n")
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()


def _serve(n: int, ports: multiprocessing.Queue, events: bool = False) -> None:  # type: ignore[type-arg]
    """The child process: build the stream, serve it, report the port."""

    async def run() -> None:
        frames, _ = build_event_stream(n) if events else build_stream(n)
        server = StreamServer(frames)
        await server.start()
        ports.put(server.url)
        await asyncio.Event().wait()

    asyncio.run(run())


def serve_in_child(n: int, events: bool = False) -> tuple[str, multiprocessing.Process]:
    """Serve from another process, so the server's work does not count as the client's."""
    ctx = multiprocessing.get_context("fork")
    ports: multiprocessing.Queue = ctx.Queue()  # type: ignore[type-arg]
    process = ctx.Process(target=_serve, args=(n, ports, events), daemon=True)
    process.start()
    return ports.get(timeout=120), process


async def raw_httpx(url: str, n: int, text: str) -> None:
    total = 0
    async with (
        httpx.AsyncClient(timeout=60, trust_env=False) as http,
        http.stream("GET", url + "/stream") as response,
    ):
        async for chunk in response.aiter_bytes():
            total += len(chunk)
    assert total > n * 900, total


async def bbot(url: str, n: int, text: str) -> None:
    reducer = Reducer()
    async with (
        AgentClient(url) as client,
        client.http.open_stream("GET", "/threads/t/runs/r/stream") as response,
    ):
        async for batch in response.batches():
            reducer.apply_batch(batch)
    (message,) = reducer.transcript.messages
    assert message.text == text and reducer.transcript.timing.tokens == n


async def bbot_events(url: str, n: int, text: str) -> None:
    reducer = Reducer()
    async with AgentClient(url) as client:
        reader = EventStreamReader(client, EventReducer(reducer))
        async for _ in reader.follow("t", "bench-run"):
            pass
    (message,) = reducer.transcript.messages
    assert message.text == text and reducer.transcript.timing.tokens == n


async def sdk(url: str, n: int, text: str) -> None:
    from langgraph_sdk import get_client

    client = get_client(url=url, api_key=None)
    count = 0
    async for part in client.runs.stream("t", "a", stream_mode="messages-tuple"):
        if part.event == "messages":
            count += 1
    assert count == n, count


async def measure(
    fn: Callable[[str, int, str], Awaitable[None]], url: str, n: int, text: str, runs: int
) -> tuple[list[float], list[float]]:
    """Events per wall second and per CPU second of this process (the server is another)."""
    rates, cpu_rates = [], []
    for _ in range(runs):
        started, cpu = time.perf_counter(), time.process_time()
        await fn(url, n, text)
        rates.append(n / (time.perf_counter() - started))
        cpu_rates.append(n / max(1e-9, time.process_time() - cpu))
    return rates, cpu_rates


def row(name: str, rates: list[float], ceiling: float | None) -> str:
    median = statistics.median(rates)
    ratio = f"{median / ceiling:5.2f}×" if ceiling else "     "
    return (
        f"| {name:<28} | {median:>10,.0f} | {min(rates):>10,.0f} – {max(rates):<10,.0f} | {ratio} |"
    )


async def main(args: argparse.Namespace) -> None:
    small = max(1, args.events // 10)
    streams = {}
    children = []
    for n in sorted({small, args.events}):
        url, child = serve_in_child(n)
        children.append(child)
        streams[n] = (url, stream_text(n))
    big_url, big_text = streams[args.events]
    events_url, child = serve_in_child(args.events, events=True)
    children.append(child)
    streams[-1] = (events_url, big_text)
    size = len(build_stream(1)[0][1])
    print(f"stream: {args.events:,} messages-tuple events of ~{size} bytes, one chunk each")
    print(f"runs: {args.runs} each (median, min–max); orjson: {_has_orjson()}")
    try:
        await _report(args, streams, small, big_url, big_text)
    finally:
        for child in children:
            child.terminate()
            child.join(5)


async def _report(
    args: argparse.Namespace,
    streams: dict[int, tuple[str, str]],
    small: int,
    big_url: str,
    big_text: str,
) -> None:
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        await bbot(big_url, args.events, big_text)
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
        return
    n = args.events
    small_url, small_text = streams[small]
    names = ["raw httpx aiter_bytes", "bbot parse+reduce", "langgraph_sdk runs.stream"]
    names += [f"bbot parse+reduce, {small:,}", f"bbot parse+reduce, {n:,}"]
    names += ["bbot event protocol"]
    wall: dict[str, list[float]] = {name: [] for name in names}
    cpu: dict[str, list[float]] = {name: [] for name in names}
    plan = [
        (names[0], raw_httpx, big_url, n, big_text),
        (names[1], bbot, big_url, n, big_text),
        (names[2], sdk, big_url, n, big_text),
        (names[3], bbot, small_url, small, small_text),
        (names[5], bbot_events, streams[-1][0], n, big_text),
    ]
    for _ in range(args.runs):  # interleaved: a load change on a shared machine hits all alike
        for name, fn, url, count, text in plan:
            w, c = await measure(fn, url, count, text, 1)
            wall[name] += w
            cpu[name] += c
    wall[names[4]], cpu[names[4]] = wall[names[1]], cpu[names[1]]
    for title, table in (("events per wall second", wall), ("events per CPU second", cpu)):
        ceiling = statistics.median(table[names[0]])
        print()
        print(f"| {title:<28} | {'median':>10} | {'min – max':^23} | raw   |")
        print(f"|{'-' * 30}|{'-' * 12}|{'-' * 25}|-------|")
        for name in names:
            print(row(name, table[name], ceiling))
    ours, theirs, ours_small = wall[names[1]], wall[names[2]], wall[names[3]]
    ours_cpu, theirs_cpu = cpu[names[1]], cpu[names[2]]
    print()
    print(f"bbot / sdk (CPU): {statistics.median(ours_cpu) / statistics.median(theirs_cpu):.2f}×")
    print()
    print(f"bbot / sdk: {statistics.median(ours) / statistics.median(theirs):.2f}×")
    ratio = statistics.median(ours) / statistics.median(ours_small)
    print(f"bbot {n:,} / {small:,} events: {ratio:.2f}× the rate (1.0 = no growth per token)")
    for title, table in (("wall", wall), ("CPU", cpu)):
        ratio = statistics.median(table[names[5]]) / statistics.median(table[names[1]])
        print(f"event protocol / runs API, the same {n:,}-token answer ({title}): {ratio:.2f}×")


def _has_orjson() -> str:
    try:
        import orjson
    except ImportError:
        return "not installed (json)"
    return f"yes ({orjson.__version__})"


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3, help="runs of each (default 3)")
    parser.add_argument("--profile", action="store_true", help="cProfile one bbot run")
    asyncio.run(main(parser.parse_args()))
