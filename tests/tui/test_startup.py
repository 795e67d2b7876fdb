"""Start-up: the garbage collector waits for the first frame, and runs again once it is drawn.

The launcher (``bbot-tui``) pauses the collector before it imports Textual and the app; the app
resumes it right after its first frame. A collector that somebody else disabled stays disabled,
and an app started without the pause leaves the collector alone.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from bbot_tui.config.settings import Settings
from bbot_tui.tui.app import make_app
from bbot_tui.tui.startup import pause_collector, resume_collector


@pytest.fixture(autouse=True)
def _collector_restored() -> Iterator[None]:
    """Every test leaves the collector as it found it (and resumes a pause it left behind)."""
    enabled = gc.isenabled()
    yield
    resume_collector()
    if enabled:
        gc.enable()
    else:
        gc.disable()


def test_pause_disables_the_collector_until_resumed() -> None:
    gc.enable()
    pause_collector()
    assert not gc.isenabled()
    pause_collector()  # a second pause changes nothing
    assert not gc.isenabled()
    resume_collector()
    assert gc.isenabled()
    resume_collector()  # nothing paused: nothing to do
    assert gc.isenabled()


def test_a_collector_disabled_by_somebody_else_stays_disabled() -> None:
    gc.disable()
    pause_collector()
    resume_collector()
    assert not gc.isenabled()


async def test_the_app_resumes_the_collector_after_its_first_frame() -> None:
    gc.enable()
    pause_collector()
    app = make_app(Settings(), persist=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert gc.isenabled()


async def test_an_app_started_without_a_pause_leaves_the_collector_alone() -> None:
    gc.disable()
    app = make_app(Settings(), persist=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert not gc.isenabled()
