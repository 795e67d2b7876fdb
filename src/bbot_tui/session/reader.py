"""Reading one connection of a run's stream, with the no-progress watchdog.

:class:`StreamReader` reads an SSE response through a pump task and hands its events on in
the batches the network delivered, once each (a
:class:`~bbot_tui.stream.rejoin.Deduplicator` drops what a rejoin replays). A pump task, not a
plain loop, so that silence can be noticed: after ``watchdog`` seconds without a real event the
reader asks its owner for the run's status (a run that is over while its stream stays open is
then no longer read), and after ``stall_limit`` seconds it gives the connection up so that it
is rejoined. Heartbeats, and the phantom events some parsers make of them, are no progress
(``docs/PROTOCOL.md``, "The connection state machine").

Nothing here imports Textual.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from bbot_tui.api import errors
from bbot_tui.api.client import StreamResponse
from bbot_tui.api.events import StreamEvent
from bbot_tui.session.core import ACTIVE, SessionUpdate
from bbot_tui.stream.rejoin import Deduplicator

__all__ = ["Poll", "StreamReader", "is_phantom"]

Poll = Callable[[], Awaitable[tuple[str | None, str]]]
"""Asked after a quiet watchdog period: the run's status (None if unknown) and a notice."""


def is_phantom(event: StreamEvent) -> bool:
    """An unnamed event without data: a heartbeat some parsers turn into an event (S12)."""
    return event.event == "message" and event.size == 0


class StreamReader:
    """Reads one stream connection at a time, and notices silence.

    Args:
        poll: asked for the run's status after each quiet ``watchdog`` period.
        watchdog: seconds without a real event before ``poll`` is asked.
        stall_limit: seconds without a real event after which the connection is given up
            (:class:`~bbot_tui.api.errors.RequestTimeout` is raised, the caller rejoins);
            None never gives up (a stream of heartbeats or dribbled bytes never trips the
            read timeout, so this is the only limit on such a connection).
    """

    def __init__(
        self, poll: Poll, *, watchdog: float = 60.0, stall_limit: float | None = None
    ) -> None:
        self._poll = poll
        self.watchdog = watchdog
        self.stall_limit = stall_limit

    async def read(
        self,
        stream_ctx: contextlib.AbstractAsyncContextManager[StreamResponse],
        dedup: Deduplicator,
        *,
        rejoin: bool,
        on_events: Callable[[list[StreamEvent]], None],
        on_open: Callable[[StreamResponse], None] | None = None,
    ) -> AsyncIterator[SessionUpdate]:
        """Read one connection until it ends; yield an update per open, batch and quiet spell.

        Args:
            stream_ctx: the request to open (``client.stream_run``, ``client.join_stream``…).
            dedup: the run's de-duplicator (a first connection starts it afresh; a rejoin has
                already been given its cursor by ``dedup.new_connection(rejoin=True)``).
            rejoin: whether this connection replays from a cursor.
            on_events: given each batch of new events, before its update is yielded.
            on_open: given the response once its headers arrived.

        Returns normally at the end of the stream, or when the watchdog learnt that the run is
        over while its stream stayed open.

        Raises:
            ApiError: the connection failed (the pump's error), or it stalled past
                ``stall_limit`` (``RequestTimeout``).
        """
        queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()

        async def pump() -> None:
            try:
                async with stream_ctx as response:
                    await queue.put(("open", response))
                    async for batch in response.batches():
                        real = [e for e in batch if not is_phantom(e)]
                        if real:  # phantoms are no progress: they never reach the queue
                            await queue.put(("batch", real))
                await queue.put(("eof", None))
            except errors.ApiError as exc:
                await queue.put(("error", exc))

        if not rejoin:
            dedup.new_connection(rejoin=False)
        task = asyncio.create_task(pump())
        last_real = time.monotonic()
        try:
            while True:
                try:
                    # not wait_for: on 3.11 it swallows a cancel (Ctrl+C, Escape) that lands
                    # as queue.get() completes, which a burst of events makes likely
                    async with asyncio.timeout(self.watchdog):
                        kind, item = await queue.get()
                except TimeoutError:
                    status, notice = await self._poll()
                    yield SessionUpdate([], notice, "waiting")
                    if status is not None and status not in ACTIVE:
                        return  # the run is over, yet its stream stays open: stop reading
                    idle = time.monotonic() - last_real
                    if self.stall_limit is not None and idle >= self.stall_limit:
                        raise errors.RequestTimeout(
                            f"no event for {idle:.0f} s", hint="the stream is rejoined"
                        ) from None
                    continue
                last_real = time.monotonic()
                if kind == "open":
                    if on_open is not None:
                        on_open(item)
                    yield SessionUpdate([], None, "streaming")
                elif kind == "batch":
                    events = dedup.filter(item)
                    if events:
                        on_events(events)
                        yield SessionUpdate(events, None, "streaming")
                elif kind == "eof":
                    return
                else:
                    raise item
        finally:
            if not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
