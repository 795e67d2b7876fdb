"""Following a run once its first connection ended: status checks, rejoins, one last drain.

A stream that ends is not proof that the run ended (``docs/PROTOCOL.md``, "Resumable runs,
rejoin and seams"): a proxy's idle timeout or a cut looks the same. :class:`Rejoiner` is the
part of the connection state machine that follows: it reads the run's status, rejoins the
stream while the run goes on (the cursor stepped back, duplicates dropped by the run's
:class:`~bbot_tui.stream.rejoin.Deduplicator`), backs off while rejoins bring nothing, gives up
after ``budget`` seconds without progress, and once the run is over rejoins one last time to
pick up events lost at the tail. It never reads the thread state: that is the reconciler's.

Nothing here imports Textual.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

from bbot_tui.api import errors
from bbot_tui.api.client import AgentClient
from bbot_tui.session.core import ACTIVE, RETRYABLE, RunOutcome, SessionUpdate, backoff, retry_delay
from bbot_tui.session.reader import StreamReader
from bbot_tui.stream.reducer import Reducer
from bbot_tui.stream.rejoin import Deduplicator

__all__ = ["Rejoiner", "preview_stopped"]


def preview_stopped(reducer: Reducer, exc: errors.ApiError) -> None:
    """Say that a size cap stopped the live preview (the final state is read at the end)."""
    reducer.warn(f"{exc.message}; the live preview stopped, the final state follows")


class Rejoiner:
    """Follows one run until it is over (one object per run's tail).

    Args:
        client: the profile's client.
        reader: reads each rejoined connection.
        reducer: receives the events (and the warnings).
        thread_id, run_id: the run.
        dedup: the run's de-duplicator (what was delivered so far).
        outcome: the run's outcome; each rejoin is counted in ``outcome.rejoins``.
        resumable: whether the server keeps the run's events (a rejoin replays them).
        preview: False when a size cap stopped the live preview: the run is only waited for.
        budget: seconds to keep trying while rejoins bring no progress.

    Attributes:
        run_status: the run's last known status once :meth:`follow` ended (``rolled_back``
            when the run no longer exists), or None if it ended on a failed stream.
        deadline: when the budget runs out (what is left bounds the final state read).
        preview: as given, False once a size cap was hit during a rejoin.
    """

    def __init__(
        self,
        client: AgentClient,
        reader: StreamReader,
        reducer: Reducer,
        *,
        thread_id: str,
        run_id: str,
        dedup: Deduplicator,
        outcome: RunOutcome,
        resumable: bool,
        preview: bool,
        budget: float,
    ) -> None:
        self._client = client
        self._reader = reader
        self._reducer = reducer
        self._thread_id = thread_id
        self._run_id = run_id
        self._dedup = dedup
        self._outcome = outcome
        self._resumable = resumable
        self._budget = budget
        self.preview = preview
        self.run_status: str | None = None
        self.deadline = time.monotonic() + budget

    def stop_preview(self, exc: errors.ApiError) -> None:
        """A size cap was hit: stop streaming; the final state is read when the run ends."""
        self.preview = False
        preview_stopped(self._reducer, exc)

    async def follow(self) -> AsyncIterator[SessionUpdate]:
        """Rejoin while the run goes on, drain once when it is over; yield what happens.

        Raises:
            ApiError: the run's status or stream kept failing past the budget
                (``ConnectionDropped`` when the stream kept closing without news).
        """
        thread_id, run_id, dedup = self._thread_id, self._run_id, self._dedup
        self.deadline = time.monotonic() + self._budget
        attempt = 0
        drained = False
        while self._reducer.transcript.stop != "error":
            try:
                run = await self._client.runs.get(thread_id, run_id)
                self.run_status = run.status
            except errors.NotFound:
                self.run_status = "rolled_back"
            except RETRYABLE as exc:
                if time.monotonic() > self.deadline:
                    raise
                attempt += 1
                yield SessionUpdate([], f"{exc.message}; retrying…", "checking")
                await asyncio.sleep(retry_delay(exc, attempt))
                continue
            status = self.run_status
            if status not in ACTIVE:
                if drained or not self._resumable or not self.preview or status == "rolled_back":
                    break
                drained = True  # one last rejoin picks up events lost at the tail
            elif not self.preview:
                yield SessionUpdate([], f"the run is {status}; waiting for its end…", "waiting")
                await asyncio.sleep(min(2.0, backoff(attempt)))
                attempt += 1
                continue
            elif not self._resumable:
                yield SessionUpdate(
                    [],
                    "connection lost; this run was not resumable, events may be lost",
                    "rejoining",
                )
            self._outcome.rejoins += 1
            cursor = dedup.new_connection(rejoin=self._resumable)
            ctx = self._client.runs.join_stream(thread_id, run_id, last_event_id=cursor)
            if not drained:
                yield SessionUpdate(
                    [], f"rejoining the stream (#{self._outcome.rejoins})…", "rejoining"
                )
            before = len(dedup.delivered)
            seen = before + dedup.dropped  # progress: events delivered or aligned (replayed)
            try:
                async for update in self._reader.read(
                    ctx, dedup, rejoin=True, on_events=self._reducer.apply_batch
                ):
                    yield update
            except errors.StreamTooLarge as exc:
                self.stop_preview(exc)
            except errors.NotFound:
                self.run_status = "rolled_back"
                break
            except RETRYABLE as exc:
                if time.monotonic() > self.deadline:
                    raise
                attempt = 0 if len(dedup.delivered) + dedup.dropped > seen else attempt + 1
                yield SessionUpdate([], f"{exc.message}; rejoining…", "rejoining")
                await asyncio.sleep(retry_delay(exc, attempt))
                drained = False
            else:
                if len(dedup.delivered) > before:
                    self.deadline = time.monotonic() + self._budget
                    attempt = 0
                elif not drained:  # closed at once without news: don't spin
                    if time.monotonic() > self.deadline:
                        raise errors.ConnectionDropped(
                            f"the stream kept closing for {self._budget:.0f} s",
                            hint="the run may still be going; open the thread later",
                        )
                    attempt += 1
                    await asyncio.sleep(backoff(attempt))
