"""Waiting for runs in the debugging tests (interrupts, breakpoints, time travel).

The local server sometimes starts a short run at once, so a run can begin and end between two
looks at ``screen.running``: waiting for "running" to become true is racy. These helpers wait
for the run's outcome instead: a run id that was not there before, and the stream over.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from app_pilot import settle, wait_for
from textual.pilot import Pilot

from bbot_tui.tui.screens.main import MainScreen


def run_id(screen: MainScreen) -> str | None:
    """The id of the last run the main screen's session started or joined."""
    return screen.session.run_id if screen.session is not None else None


async def after_run(
    pilot: Pilot[Any], screen: MainScreen, start: Callable[[], Awaitable[Any]]
) -> None:
    """Do ``start`` (which starts a run), then wait until that run is over and all is idle."""
    before = run_id(screen)
    await start()
    await wait_for(
        pilot,
        lambda: run_id(screen) not in (None, before) and not screen.running,
        "the run to end",
    )
    await settle(pilot, screen)
