"""The first hour on small and wide terminals (issue 11 §10, §14): what must stay on screen.

At 60×20 the interrupt card keeps its command preview and its Send button visible (the
questions scroll between its title and its footer), and focus never lands on a control drawn
outside it; the status bar drops its least useful fields first and the run state last, and at
140 columns a long notice is not cut. Real server; each test failed before its fix.
"""

from __future__ import annotations

from typing import Any

from app_pilot import own_assistant, pick, screen_text, send, settings_for, wait_for
from debug_pilot import after_run
from textual.pilot import Pilot

from bbot_tui.tui.app import make_app
from bbot_tui.tui.screens.main import MainScreen
from bbot_tui.tui.widgets.interrupt_card import InterruptCard
from bbot_tui.tui.widgets.interrupt_item import InterruptItem


async def _question(pilot: Pilot[Any], url: str) -> MainScreen:
    screen = await pick(pilot, "hitl_v1", own_assistant(url, "hitl_v1"))
    await after_run(pilot, screen, lambda: send(pilot, "hello"))
    card = screen.query_one(InterruptCard)
    await wait_for(pilot, lambda: card.display and card.query(InterruptItem), "the question")
    await pilot.pause(0.3)
    return screen


def _bar_line(app: Any) -> str:
    """The status bar as drawn: its content, cut where its width ends."""
    bar = app.main_screen.status_bar
    return str(bar.render().truncate(bar.content_size.width).plain)


def _shown_in(outer: Any, inner: Any) -> bool:
    """Whether ``inner`` is drawn, whole, inside ``outer``'s visible region."""
    region = inner.region
    return region.height > 0 and outer.region.contains_region(region)


async def test_at_60x20_the_card_keeps_its_preview_and_send_button(server_url: str) -> None:
    app = make_app(settings_for(server_url), persist=False)
    async with app.run_test(size=(60, 20)) as pilot:
        screen = await _question(pilot, server_url)
        card = screen.query_one(InterruptCard)
        for selector in ("#interrupt-send", "#interrupt-preview", "#interrupt-title"):
            assert _shown_in(card, card.query_one(selector)), selector
        assert "command" in screen_text(app) and "Send" in screen_text(app)
        # the keyboard reaches every control, and each one focused is brought into view
        for selector in ("#q0-kind-0", "#interrupt-send"):
            widget = card.query_one(selector)
            widget.focus()
            await pilot.pause(0.2)
            assert _shown_in(card, widget), selector
        # the status bar keeps the run state
        assert screen.status_bar.status == "question"
        assert "question" in _bar_line(app)


async def test_the_run_state_is_the_last_field_to_drop_and_wide_bars_are_not_cut(
    server_url: str,
) -> None:
    notice = "could not reach http://127.0.0.1:9 in time: the server may be restarting (F5)"
    app = make_app(settings_for(server_url), persist=False)
    async with app.run_test(size=(60, 20)) as pilot:
        screen = await pick(pilot, "chat", own_assistant(server_url, "chat"))
        bar = screen.status_bar
        # the fields of this test only: no inbox badge for other tests' questions on the server
        app.inbox_watch.stop()
        await pilot.pause()  # a count it posted before it stopped arrives first
        bar.waiting = 0
        bar.status, bar.notice = "rejoining", notice
        await pilot.pause()
        line = _bar_line(app)
        assert "rejoining" in line, line

        await pilot.resize_terminal(140, 42)
        await pilot.pause(0.3)
        line = _bar_line(app)
        assert notice in line and "rejoining" in line, line
        assert bar.assistant in line  # what still fits stays


async def test_boxes_show_a_mark_and_dialogs_show_their_own_keys(server_url: str) -> None:
    from textual.widgets import Checkbox, SelectionList

    from bbot_tui.tui.screens.connection import ConnectionScreen
    from bbot_tui.tui.screens.run_options import RunOptionsScreen

    app = make_app(settings_for(server_url), persist=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pick(pilot, "chat", own_assistant(server_url, "chat"))
        # the main screen's keys, on the main screen
        await wait_for(pilot, lambda: "New thread" in _footer_line(app), "the main footer")

        await pilot.press("f3")
        await wait_for(pilot, lambda: isinstance(app.screen, ConnectionScreen), "the form")
        await wait_for(pilot, lambda: "Save" in _footer_line(app), "the dialog's footer")
        footer = _footer_line(app)
        assert "New thread" not in footer, footer
        box = app.screen.query_one("#allow-insecure", Checkbox)
        assert not box.value
        assert "✓" not in box.render().plain and "X" not in box.render().plain
        box.value = True
        await pilot.pause()
        assert "✓" in box.render().plain  # checked reads differently without colour
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, ConnectionScreen), "closed")

        await pilot.press("ctrl+o")
        await wait_for(pilot, lambda: isinstance(app.screen, RunOptionsScreen), "run options")
        await wait_for(pilot, lambda: "Save" in _footer_line(app), "the dialog's footer")
        footer = _footer_line(app)
        assert "New thread" not in footer, footer
        modes: Any = app.screen.query_one("#opt-stream-mode", SelectionList)
        lines = {
            str(modes.get_option_at_index(i).value): modes.render_line(i).text
            for i in range(min(modes.option_count, modes.size.height))
        }
        for value, line in lines.items():
            assert ("✓" in line) == (value in modes.selected), (value, line)
        assert any("✓" in line for line in lines.values())
        assert any("✓" not in line for line in lines.values())


def _footer_line(app: Any) -> str:
    """The last line drawn (the footer of whatever screen is on top)."""
    return [line for line in screen_text(app).splitlines() if line.strip()][-1]


async def test_run_option_labels_sit_beside_their_controls_after_the_connection_form(
    server_url: str,
) -> None:
    from textual.widgets import Label

    from bbot_tui.tui.screens.connection import ConnectionScreen
    from bbot_tui.tui.screens.run_options import RunOptionsScreen

    app = make_app(settings_for(server_url), persist=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pick(pilot, "chat", own_assistant(server_url, "chat"))
        await pilot.press("f3")  # its stylesheet is loaded now, for the whole app
        await wait_for(pilot, lambda: isinstance(app.screen, ConnectionScreen), "the form")
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, ConnectionScreen), "closed")
        await pilot.press("ctrl+o")
        await wait_for(pilot, lambda: isinstance(app.screen, RunOptionsScreen), "run options")
        await pilot.pause(0.3)
        mode = app.screen.query_one("#opt-mode")
        row: Any = mode.parent
        label = row.query_one(Label)
        assert str(label.render()).strip() == "mode"
        assert label.region.y == mode.region.y, (label.region, mode.region)  # not a row below
