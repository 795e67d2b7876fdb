"""A session's runs measured: the current run's timing, and a log of the runs that ended.

:func:`run_timing` adds what only the session knows (rejoins, replayed events) to what the
reducer's :class:`~bbot_tui.stream.timing.Stopwatch` recorded, giving the
:class:`~bbot_tui.stream.timing.RunTiming` that ``bbot-tui run --json`` prints and the TUI's run
details show. :class:`TimingLog` keeps each ended run's timing so that a message of an earlier
run still opens its own run's details.

Nothing here imports Textual.
"""

from __future__ import annotations

from collections.abc import Iterable

from bbot_tui.session.run import RunSession
from bbot_tui.stream.timing import RunTiming, measure

__all__ = ["TimingLog", "run_timing"]


def run_timing(session: RunSession, *, exclude_ids: Iterable[str] = ()) -> RunTiming:
    """The timing of the session's current (or last) run.

    Args:
        session: the session.
        exclude_ids: ids of messages that predate the run (a CLI run on an existing thread:
            its stream may show them again, e.g. in ``values`` mode).
    """
    outcome = session.outcome
    return measure(
        session.transcript,
        session.reducer.stopwatch,
        rejoins=outcome.rejoins,
        replayed=outcome.duplicates_dropped,
        exclude_ids=exclude_ids,
    )


class TimingLog:
    """The timings of a conversation's runs, newest last, to find a message's run.

    Args:
        limit: how many runs are kept (the oldest go first).
    """

    def __init__(self, limit: int = 100) -> None:
        self._limit = limit
        self._runs: list[RunTiming] = []

    def __len__(self) -> int:
        return len(self._runs)

    def add(self, timing: RunTiming) -> None:
        """Keep an ended run's timing (a run measured again replaces its older entry)."""
        if timing.run_id is not None:
            self._runs = [t for t in self._runs if t.run_id != timing.run_id]
        self._runs.append(timing)
        del self._runs[: max(0, len(self._runs) - self._limit)]

    def clear(self) -> None:
        """Forget every run (another thread is shown)."""
        self._runs.clear()

    def last(self) -> RunTiming | None:
        """The newest run's timing, if any."""
        return self._runs[-1] if self._runs else None

    def for_message(self, key: str) -> RunTiming | None:
        """The timing of the run that made the message with transcript key ``key``."""
        for timing in reversed(self._runs):
            if key in timing.message_keys:
                return timing
        return None
