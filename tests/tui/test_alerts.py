"""The alerter: the sanitizing and the OSC choice (unit), the badge and the toast (Pilot).

What reaches a real terminal (the bell and the OSC bytes, blurred and focused) is proven in a
pseudo-terminal by ``tests/reliability/test_pty_alerts.py``.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from textual.pilot import Pilot

from bbot_tui.config.settings import AlertSettings, Profile, Settings, load_settings
from bbot_tui.tui.alerts import (
    BODY_LIMIT,
    SILENT,
    THRESHOLD_STEPS,
    TITLE_LIMIT,
    AlertDecision,
    Alerter,
    desktop_notification,
    duration_text,
    notification_protocol,
    notification_text,
)
from bbot_tui.tui.app import BbotApp, make_app
from bbot_tui.tui.messages import AttentionNeeded, WaitingCount
from bbot_tui.tui.screens.main import MainScreen
from bbot_tui.tui.widgets.status_bar import StatusBar

HOSTILE = (
    "approve\x1b]0;PWNED\x07 rm -rf;\x1b[2J\x9d9;C1\x9c title\x07\x07"
    "\x1b]777;notify;fake;body\x1b\\ \u202eevil\u202c\r\nnext line\x00\x7f"
)
"""A server-made title or question full of escape sequences and OSC field separators."""

CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


# --- sanitizing -------------------------------------------------------------------------------


def test_notification_text_has_no_control_escape_bell_or_semicolon() -> None:
    text = notification_text(HOSTILE, 500)
    assert CONTROLS.search(text) is None
    assert ";" not in text
    assert "\x1b" not in text and "\x07" not in text
    assert "approve" in text and "title" in text and "next line" in text
    assert "PWNED" not in text  # the OSC went with its payload
    assert "rm -rf," in text  # a semicolon becomes a comma


def test_notification_text_is_capped() -> None:
    text = notification_text("word " * 500, 50)
    assert len(text) <= 50 and text.endswith("…")
    assert notification_text(";" * 500, 10) == ",,,,,,,,,…"


@pytest.mark.parametrize("protocol", ["osc9", "osc777"])
def test_a_hostile_notification_is_one_sequence_with_its_own_fields(protocol: Any) -> None:
    sequence = desktop_notification(protocol, HOSTILE, HOSTILE)
    # one escape, one terminator: the content cannot end it early or start another
    assert sequence.count("\x1b") == 1 and sequence.count("\x07") == 1
    assert sequence.endswith("\x07")
    assert CONTROLS.search(sequence[:-1].replace("\x1b", "", 1)) is None
    inner = sequence[2:-1]
    if protocol == "osc777":
        assert sequence.startswith("\x1b]777;notify;bbot-tui: ")
        parts = inner.split(";")
        assert len(parts) == 4  # 777, notify, title, body: no field from the content
        assert len(parts[2]) <= TITLE_LIMIT and len(parts[3]) <= BODY_LIMIT
    else:
        assert sequence.startswith("\x1b]9;bbot-tui: ")
        assert inner.count(";") == 1  # "9;" only: no ConEmu-style sub-command
        assert len(inner) <= 2 + TITLE_LIMIT + 2 + BODY_LIMIT


def test_plain_notifications() -> None:
    assert desktop_notification("osc9", "waiting for you", "Deploy: approve?") == (
        "\x1b]9;bbot-tui: waiting for you: Deploy: approve?\x07"
    )
    assert desktop_notification("osc777", "waiting for you", "Deploy: approve?") == (
        "\x1b]777;notify;bbot-tui: waiting for you;Deploy: approve?\x07"
    )
    assert desktop_notification("osc9", "", "") == "\x1b]9;bbot-tui\x07"


def test_inside_tmux_the_notification_is_wrapped_for_passthrough() -> None:
    sequence = desktop_notification("osc9", "t", "b\x1b[2J", tmux=True)
    assert sequence == "\x1bPtmux;\x1b\x1b]9;bbot-tui: t: b\x07\x1b\\"


# --- the OSC choice -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"TERM_PROGRAM": "iTerm.app", "TERM": "xterm-256color"}, "osc9"),
        ({"TERM_PROGRAM": "WezTerm", "TERM": "xterm-256color"}, "osc777"),
        ({"TERM_PROGRAM": "ghostty", "TERM": "xterm-ghostty"}, "osc777"),
        ({"TERM": "xterm-ghostty"}, "osc777"),
        ({"TERM": "xterm-kitty", "KITTY_WINDOW_ID": "1"}, "osc9"),
        ({"TERM": "foot"}, "osc777"),
        ({"TERM": "foot-extra"}, "osc777"),
        ({"TERM": "rxvt-unicode-256color"}, "osc777"),
        ({"TERM": "xterm-256color", "VTE_VERSION": "7600"}, "osc777"),  # GNOME Terminal
        ({"TERM": "xterm-256color", "WT_SESSION": "abc"}, "osc9"),  # Windows Terminal
        ({"TERM": "xterm-256color"}, "osc9"),  # cannot be told: OSC 9
        ({}, "osc9"),
        # the most specific signal wins over what a terminal inherits from its parent
        ({"TERM": "xterm-kitty", "VTE_VERSION": "7600"}, "osc9"),
        ({"TERM_PROGRAM": "iTerm.app", "VTE_VERSION": "7600"}, "osc9"),
        ({"TERM_PROGRAM": "WezTerm", "WT_SESSION": "abc"}, "osc777"),
    ],
)
def test_notification_protocol_by_terminal(environ: dict[str, str], expected: str) -> None:
    assert notification_protocol(environ) == expected


def test_durations_and_thresholds() -> None:
    assert duration_text(4.4) == "4 s"
    assert duration_text(65) == "1 min 5 s"
    assert duration_text(120) == "2 min"
    assert duration_text(2 * 3600 + 600) == "2 h 10 min"
    assert Alerter.next_threshold(30) == 60
    assert Alerter.next_threshold(THRESHOLD_STEPS[-1]) == THRESHOLD_STEPS[0]
    assert Alerter.next_threshold(45) == 60


def test_alert_settings_defaults_and_a_bad_value(tmp_path: Any) -> None:
    assert AlertSettings() == AlertSettings(
        bell=False, desktop=True, toast=True, long_run_seconds=30.0
    )
    path = tmp_path / "settings.json"
    path.write_text('{"alerts": {"bell": true, "toast": "loud", "long_run_seconds": -3}}')
    result = load_settings(path)
    assert result.settings.alerts == AlertSettings(bell=True)  # only the bad values reset
    assert any("alerts.toast" in w for w in result.warnings)
    assert any("alerts.long_run_seconds" in w for w in result.warnings)


# --- in the app -------------------------------------------------------------------------------


class InboxMain(MainScreen):
    """The main screen with an inbox action that records its calls."""

    def __init__(self) -> None:
        super().__init__(id="main")
        self.inbox_opened = 0

    def action_inbox(self) -> None:
        self.inbox_opened += 1


class NoInboxMain(MainScreen):
    """The main screen without an inbox action (as before the inbox existed)."""

    action_inbox = None

    def __init__(self) -> None:
        super().__init__(id="main")


def _app(*, with_inbox: bool | None = False, **alerts: Any) -> BbotApp:
    # a server that is not there: the main screen shows "offline", nothing else is reached
    profile = Profile(name="nowhere", base_url="http://127.0.0.1:9")
    settings = Settings(
        profiles={"nowhere": profile},
        active_profile="nowhere",
        alerts=AlertSettings(**alerts),
    )
    screen = {True: InboxMain, None: NoInboxMain}.get(with_inbox)
    return make_app(settings, persist=False, default_screen=screen)


def _bar(app: BbotApp) -> StatusBar:
    return app.main_screen.query_one(StatusBar)


async def _until(pilot: Pilot[Any], condition: Any, what: str) -> None:
    for _ in range(400):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError(f"gave up waiting for {what}")


async def test_the_badge_follows_waiting_count() -> None:
    app = _app()
    async with app.run_test(size=(120, 30)) as pilot:
        await app.ready.wait()
        bar = _bar(app)
        assert bar.waiting == 0 and "waiting" not in bar.render().plain
        app.post_message(WaitingCount(2))
        await _until(pilot, lambda: bar.waiting == 2, "the badge")
        await pilot.pause()
        assert bar.render().plain.startswith(" 2 waiting ")
        assert app.alerts.waiting == 2
        app.post_message(WaitingCount(1))
        await _until(pilot, lambda: bar.waiting == 1, "one waiting")
        assert bar.render().plain.startswith(" 1 waiting ")
        app.post_message(WaitingCount(0))
        await _until(pilot, lambda: bar.waiting == 0, "none waiting")
        assert "waiting" not in bar.render().plain


async def test_the_badge_stays_when_the_bar_is_narrow() -> None:
    app = _app()
    async with app.run_test(size=(30, 20)) as pilot:
        await app.ready.wait()
        bar = _bar(app)
        bar.thread = "a thread with a rather long title indeed"
        bar.notice = "a notice that takes the whole line and more"
        app.post_message(WaitingCount(12))
        await _until(pilot, lambda: bar.waiting == 12, "the badge")
        await pilot.pause()
        assert bar.render().plain.startswith(" 12 waiting ")


async def test_a_click_on_the_badge_opens_the_inbox() -> None:
    app = _app(with_inbox=True)
    async with app.run_test(size=(120, 30)) as pilot:
        await app.ready.wait()
        main = app.main_screen
        assert isinstance(main, InboxMain)
        app.post_message(WaitingCount(3))
        bar = _bar(app)
        await _until(pilot, lambda: bar.waiting == 3, "the badge")
        await pilot.pause()
        await pilot.click(StatusBar, offset=(60, 0))  # beside the badge: nothing
        await pilot.pause()
        assert main.inbox_opened == 0
        await pilot.click(StatusBar, offset=(3, 0))  # on " 3 waiting "
        await _until(pilot, lambda: main.inbox_opened == 1, "the inbox action")


async def test_a_click_on_the_badge_without_an_inbox_does_nothing() -> None:
    app = _app(with_inbox=None)
    async with app.run_test(size=(120, 30)) as pilot:
        await app.ready.wait()
        app.post_message(WaitingCount(1))
        bar = _bar(app)
        await _until(pilot, lambda: bar.waiting == 1, "the badge")
        await pilot.pause()
        assert await app.alerts.open_inbox() is False
        await pilot.click(StatusBar, offset=(3, 0))
        await pilot.pause()
        assert app.return_code is None  # the app still runs


async def test_a_toast_for_another_thread_also_when_focused() -> None:
    app = _app()
    async with app.run_test(size=(120, 30)) as pilot:
        await app.ready.wait()
        assert app.app_focus and app.alerts.viewed_thread() == ""  # a new conversation
        app.post_message(
            AttentionNeeded("interrupt", "thread-b", title="Deploy", detail="approve? \x1b[2J")
        )
        await _until(
            pilot,
            lambda: any("Deploy: approve?" in n.message for n in app._notifications),
            "the toast",
        )
        note = next(n for n in app._notifications if "Deploy" in n.message)
        assert note.title == "waiting for you" and note.severity == "warning"
        assert "\x1b" not in note.message


async def test_no_toast_and_no_ring_for_the_thread_in_front() -> None:
    app = _app(bell=True)
    async with app.run_test(size=(120, 30)) as pilot:
        await app.ready.wait()
        alerts = app.alerts
        looked_at = AttentionNeeded("interrupt", "", title="here", detail="asked here")
        assert alerts.decide(looked_at) == SILENT
        app.post_message(looked_at)
        await pilot.pause(0.2)
        assert not [n for n in app._notifications if "asked here" in n.message]
        # the same thread while the terminal is not focused: everything that is on
        app.app_focus = False
        assert alerts.decide(looked_at) == AlertDecision(bell=True, desktop=True, toast=True)
        app.app_focus = True
        assert alerts.decide(looked_at) == SILENT


async def test_what_each_setting_allows() -> None:
    app = _app()
    async with app.run_test(size=(120, 30)):
        await app.ready.wait()
        alerts = app.alerts
        other = AttentionNeeded("interrupt", "thread-b", title="t", detail="d")
        assert alerts.decide(other) == AlertDecision(bell=False, desktop=True, toast=True)
        assert app.settings is not None
        app.settings.alerts.bell = True
        app.settings.alerts.desktop = False
        app.settings.alerts.toast = False
        assert alerts.decide(other) == AlertDecision(bell=True, desktop=False, toast=False)
        app.settings.alerts.bell = False
        assert alerts.decide(other) == SILENT
        # a run that ended: only a long one
        app.settings.alerts.toast = True
        short = AttentionNeeded("run_ended", "thread-b", detail="finished", duration=29.0)
        long = AttentionNeeded("run_ended", "thread-b", detail="finished", duration=30.0)
        assert alerts.decide(short) == SILENT
        assert alerts.decide(long) == AlertDecision(toast=True)
        app.settings.alerts.long_run_seconds = 10
        assert alerts.decide(short) == AlertDecision(toast=True)


async def test_the_same_alert_is_told_once() -> None:
    app = _app()
    async with app.run_test(size=(120, 30)):
        await app.ready.wait()
        message = AttentionNeeded("interrupt", "thread-b", title="t", detail="approve?")
        assert app.alerts.attention(message).toast
        assert app.alerts.attention(message) == SILENT
        other = AttentionNeeded("interrupt", "thread-c", title="t", detail="approve?")
        assert app.alerts.attention(other).toast


async def test_alerts_at_once_are_one_toast_and_one_ring() -> None:
    app = _app(bell=True)
    rings: list[None] = []
    async with app.run_test(size=(120, 30)) as pilot:
        await app.ready.wait()
        app.bell = lambda: rings.append(None)  # type: ignore[method-assign]
        asked = "approve the deploy? " * 20
        for i in range(20):
            app.post_message(AttentionNeeded("interrupt", f"thread-{i}", f"T{i}", asked))
        app.post_message(AttentionNeeded("run_ended", "thread-x", title="Report", duration=99.0))
        # the follow and the inbox both saw thread-0's question, one of them cut it shorter
        app.post_message(AttentionNeeded("interrupt", "thread-0", title="T0", detail=asked[:150]))

        def told() -> list[Any]:
            return [n for n in app._notifications if n.title != "Connection"]

        await _until(pilot, lambda: bool(told()), "the toast")
        await pilot.pause(0.5)
        notes = told()
        assert len(notes) == 1, [n.message for n in notes]
        assert notes[0].title == "20 waiting for you, 1 run ended"
        assert notes[0].message == "T0, T1, T2 and 18 more"
        assert notes[0].severity == "warning"
        assert len(rings) == 1
        app.post_message(AttentionNeeded("interrupt", "thread-late", title="Late"))
        await _until(pilot, lambda: len(told()) == 2, "a later alert's own toast")
        assert told()[-1].title == "waiting for you"


async def test_the_palette_turns_each_alert_off_and_on() -> None:
    app = _app()
    async with app.run_test(size=(120, 30)):
        await app.ready.wait()
        assert app.settings is not None
        alerts = app.settings.alerts
        titles = {c.title: c for c in app.get_system_commands(app.screen)}
        assert "Alerts: turn the bell on" in titles
        assert "Alerts: turn desktop notifications off" in titles
        assert "Alerts: turn toasts off" in titles
        assert "Alerts: long runs from 1 min" in titles
        titles["Alerts: turn desktop notifications off"].callback()
        titles["Alerts: turn the bell on"].callback()
        titles["Alerts: long runs from 1 min"].callback()
        assert (alerts.bell, alerts.desktop, alerts.toast) == (True, False, True)
        assert alerts.long_run_seconds == 60
        titles = {c.title for c in app.get_system_commands(app.screen)}
        assert "Alerts: turn the bell off" in titles
        assert "Alerts: turn desktop notifications on" in titles
        assert "Alerts: long runs from 2 min" in titles


async def test_a_click_on_the_badge_opens_the_real_inbox_screen() -> None:
    from bbot_tui.tui.screens.inbox import InboxScreen

    app = _app()
    async with app.run_test(size=(120, 30)) as pilot:
        await app.ready.wait()
        app.post_message(WaitingCount(2))
        bar = _bar(app)
        await _until(pilot, lambda: bar.waiting == 2, "the badge")
        await pilot.pause()
        await pilot.click(StatusBar, offset=(3, 0))
        await _until(pilot, lambda: isinstance(app.screen, InboxScreen), "the inbox screen")
        # the inbox shows no thread: an alert for any thread is told there
        assert app.alerts.viewed_thread() is None
        message = AttentionNeeded("interrupt", "", title="t", detail="d")
        assert app.alerts.decide(message) == AlertDecision(desktop=True, toast=True)
