"""The stream machinery of a :class:`~bbot_tui.session.run.RunSession`: reading, watchdog, rejoin.

Split from ``session.py`` by concern. :meth:`StreamMachine._consume` reads one connection
through a pump task, with the no-progress watchdog (a stream of heartbeats is no progress);
:meth:`StreamMachine._after_stream` is the part of the connection state machine (docs/PROTOCOL.md)
that
follows a run once its first connection ended: rejoin while it goes on (cursor stepped back,
duplicates dropped), drain once when it is over, then reconcile with the thread state.

Nothing here imports Textual.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any

from bbot_tui.api import errors
from bbot_tui.api.client import StreamResponse
from bbot_tui.api.events import StreamEvent
from bbot_tui.session.core import (
    ACTIVE,
    RETRYABLE,
    SessionCore,
    SessionUpdate,
    backoff,
    retry_delay,
)
from bbot_tui.stream.rejoin import Deduplicator

__all__ = ["StreamMachine"]


def _phantom(event: StreamEvent) -> bool:
    """An unnamed event without data: a heartbeat some parsers turn into an event (S12)."""
    return event.event == "message" and event.size == 0


class StreamMachine(SessionCore):
    """Reads a run's stream, rejoins it when it drops, and ends with the thread state.

    The attributes are set by :class:`~bbot_tui.session.run.RunSession`, which documents them.
    """

    watchdog: float
    stall_limit: float | None
    _preview: bool

    def _stop_preview(self, exc: errors.ApiError) -> None:
        """A size cap was hit: stop streaming, the final state is fetched when the run ends."""
        self._preview = False
        self.reducer._warn(f"{exc.message}; the live preview stopped, the final state follows")

    async def _after_stream(
        self, thread_id: str, dedup: Deduplicator, resumable: bool
    ) -> AsyncIterator[SessionUpdate]:
        """Rejoin while the run goes on, drain once, then reconcile with the thread state."""
        assert self.run_id is not None
        deadline = time.monotonic() + self.rejoin_budget
        attempt = 0
        drained = False
        run_status: str | None = None
        while self.transcript.stop != "error":
            try:
                run = await self.client.get_run(thread_id, self.run_id)
                run_status = run.status
            except errors.NotFound:
                run_status = "rolled_back"
            except RETRYABLE as exc:
                if time.monotonic() > deadline:
                    raise
                attempt += 1
                yield SessionUpdate([], f"{exc.message}; retrying…", "checking")
                await asyncio.sleep(retry_delay(exc, attempt))
                continue
            if run_status not in ACTIVE:
                if drained or not resumable or not self._preview or run_status == "rolled_back":
                    break
                drained = True  # one last rejoin picks up events lost at the tail
            elif not self._preview:
                yield SessionUpdate([], f"the run is {run_status}; waiting for its end…", "waiting")
                await asyncio.sleep(min(2.0, backoff(attempt)))
                attempt += 1
                continue
            elif not resumable:
                yield SessionUpdate(
                    [],
                    "connection lost; this run was not resumable, events may be lost",
                    "rejoining",
                )
            self.outcome.rejoins += 1
            cursor = dedup.new_connection(rejoin=resumable)
            ctx = self.client.join_stream(thread_id, self.run_id, last_event_id=cursor)
            if not drained:
                yield SessionUpdate(
                    [], f"rejoining the stream (#{self.outcome.rejoins})…", "rejoining"
                )
            before = len(dedup.delivered)
            seen = before + dedup.dropped  # progress: events delivered or aligned (replayed)
            try:
                async for update in self._consume(ctx, dedup, rejoin=True):
                    yield update
            except errors.StreamTooLarge as exc:
                self._stop_preview(exc)
            except errors.NotFound:
                run_status = "rolled_back"
                break
            except RETRYABLE as exc:
                if time.monotonic() > deadline:
                    raise
                attempt = 0 if len(dedup.delivered) + dedup.dropped > seen else attempt + 1
                yield SessionUpdate([], f"{exc.message}; rejoining…", "rejoining")
                await asyncio.sleep(retry_delay(exc, attempt))
                drained = False
            else:
                if len(dedup.delivered) > before:
                    deadline = time.monotonic() + self.rejoin_budget
                    attempt = 0
                elif not drained:  # closed at once without news: don't spin
                    if time.monotonic() > deadline:
                        raise errors.ConnectionDropped(
                            f"the stream kept closing for {self.rejoin_budget:.0f} s",
                            hint="the run may still be going; open the thread later",
                        )
                    attempt += 1
                    await asyncio.sleep(backoff(attempt))
        yield SessionUpdate([], "fetching the final state…", "reconciling")
        await self._final_state(thread_id, run_status, deadline)
        self.reducer.end_run(time.monotonic())
        self.outcome.duplicates_dropped = dedup.dropped
        self._finish()
        if self.on_run:
            self.on_run(thread_id, None)
        yield SessionUpdate([], self._end_notice(run_status), "done")

    async def _consume(
        self, stream_ctx: Any, dedup: Deduplicator, *, rejoin: bool
    ) -> AsyncIterator[SessionUpdate]:
        """Read one connection through a pump task, with the no-progress watchdog."""
        queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()

        async def pump() -> None:
            try:
                async with stream_ctx as response:
                    await queue.put(("open", response))
                    async for batch in response.batches():
                        real = [e for e in batch if not _phantom(e)]
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
                    status, notice = await self._watchdog_check()
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
                    response: StreamResponse = item
                    if response.run_id and self.run_id is None:
                        self._set_run(self.thread_id or response.thread_id, response.run_id)
                    yield SessionUpdate([], None, "streaming")
                elif kind == "batch":
                    events = dedup.filter(item)
                    if events:
                        self.reducer.apply_batch(events)
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

    async def _watchdog_check(self) -> tuple[str | None, str]:
        """Poll the run after ``watchdog`` quiet seconds: its status and a notice."""
        quiet = f"no event for {self.watchdog:.0f} s"
        if not (self.thread_id and self.run_id):
            return None, f"{quiet}; still waiting…"
        try:
            run = await self.client.get_run(self.thread_id, self.run_id)
        except errors.NotFound:
            return "rolled_back", f"{quiet}; the run no longer exists"
        except errors.ApiError as exc:
            return None, f"{quiet} ({exc.message})"
        return run.status, f"{quiet}; the run is {run.status}, waiting…"
