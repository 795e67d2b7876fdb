"""A session's run measured: :func:`run_timing`.

It adds what only the session knows (rejoins, replayed events) to what the reducer's
:class:`~bbot_tui.stream.timing.Stopwatch` recorded, giving the
:class:`~bbot_tui.stream.timing.RunTiming` that ``bbot-tui run --json`` prints and the TUI's run
details show (which keep each ended run in a :class:`~bbot_tui.stream.timing.TimingLog`).

Nothing here imports Textual.
"""

from __future__ import annotations

from collections.abc import Iterable

from bbot_tui.session.run import RunSession
from bbot_tui.stream.timing import RunTiming, measure

__all__ = ["run_timing"]


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
