"""Snapshots of the app: the main screen with a finished conversation (wide, 120x40 and 80x24),
the side panes opened over the conversation at 80x24, and the first-start connection screen.

The server answers are fixed (``snapshot_data``) so every run draws the same screen; the layout
checks at the end need no snapshot and say what each size must show.
"""

from __future__ import annotations

from typing import Any

from app_pilot import wait_for
from snapshot_data import FixedServer, fixed_app
from textual.pilot import Pilot

from bbot_tui.config.settings import Settings
from bbot_tui.tui.app import make_app
from bbot_tui.tui.screens.connection import ConnectionScreen


async def _conversation_loaded(pilot: Pilot[Any]) -> None:
    app: Any = pilot.app
    await app.ready.wait()
    screen = app.main_screen
    await wait_for(pilot, lambda: len(screen.transcript.messages) == 2, "the thread")
    await wait_for(pilot, lambda: len(screen.thread_pane.threads) == 3, "the thread list")
    await app.workers.wait_for_complete()
    screen.composer.cursor_blink = False  # a blinking cursor is drawn or not by timing
    await pilot.pause()


def _check(server: FixedServer) -> None:
    assert server.unknown == []


def test_snapshot_main_screen(snap_compare: Any) -> None:
    app, server = fixed_app()
    assert snap_compare(app, terminal_size=(120, 40), run_before=_conversation_loaded)
    _check(server)


def test_snapshot_main_screen_80x24(snap_compare: Any) -> None:
    app, server = fixed_app()
    assert snap_compare(app, terminal_size=(80, 24), run_before=_conversation_loaded)
    _check(server)


def test_snapshot_side_panes_over_the_conversation_80x24(snap_compare: Any) -> None:
    async def open_panes(pilot: Pilot[Any]) -> None:
        await _conversation_loaded(pilot)
        await pilot.press("ctrl+b")
        await pilot.pause()
        pilot.app.screen.query_one("#assistant-search").cursor_blink = False
        await pilot.pause()

    app, server = fixed_app()
    assert snap_compare(app, terminal_size=(80, 24), run_before=open_panes)
    _check(server)


def test_snapshot_main_screen_wide(snap_compare: Any) -> None:
    async def with_events(pilot: Pilot[Any]) -> None:
        await _conversation_loaded(pilot)
        await pilot.press("ctrl+l")
        pilot.app.main_screen.composer.cursor_blink = False
        await pilot.pause()

    app, server = fixed_app()
    assert snap_compare(app, terminal_size=(200, 45), run_before=with_events)
    _check(server)


def test_snapshot_new_thread_80x24(snap_compare: Any) -> None:
    async def blank(pilot: Pilot[Any]) -> None:
        app: Any = pilot.app
        await app.ready.wait()
        screen = app.main_screen
        await wait_for(pilot, lambda: len(screen.thread_pane.threads) == 3, "the thread list")
        await app.workers.wait_for_complete()
        screen.composer.cursor_blink = False
        await pilot.pause()

    app, server = fixed_app(open_thread=False)
    assert snap_compare(app, terminal_size=(80, 24), run_before=blank)
    _check(server)


def test_snapshot_connection_screen(snap_compare: Any) -> None:
    async def first_start(pilot: Pilot[Any]) -> None:
        app: Any = pilot.app
        await app.ready.wait()
        await wait_for(pilot, lambda: isinstance(app.screen, ConnectionScreen), "the screen")
        await wait_for(pilot, lambda: app.screen.query("#name"), "the form")
        app.screen.query_one("#name").cursor_blink = False
        await pilot.pause()

    app = make_app(Settings(), persist=False)
    assert snap_compare(app, terminal_size=(100, 34), run_before=first_start)


async def test_layout_adapts_to_the_terminal_width() -> None:
    app, _ = fixed_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await _conversation_loaded(pilot)
        screen = app.main_screen
        side = screen.query_one("#side")
        assert screen.has_class("-narrow") and not side.display
        assert screen.composer.size.width > 70  # the conversation gets the whole width
        await pilot.press("ctrl+b")
        await pilot.pause()
        assert screen.has_class("-side-open") and side.size.width > 70
        assert app.focused is screen.query_one("#assistant-list")
        await pilot.press("escape")  # back to the composer, panes hidden again
        await pilot.pause()
        assert app.focused is screen.composer and not screen.has_class("-side-open")
        await pilot.resize_terminal(200, 45)
        await pilot.pause()
        assert not screen.has_class("-narrow") and screen.has_class("-wide")
        assert side.size.width > 36  # more room for names on a wide terminal
