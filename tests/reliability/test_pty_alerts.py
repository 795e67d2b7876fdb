"""Alerts through a real terminal: the bell and the desktop notification bytes (issue 13).

The real app runs in a pseudo-terminal (``alerts_app.py``: ``make_app`` plus a remote control
that posts ``AttentionNeeded`` as the live follow and the inbox do), with a thread of the real
local server open. The test plays the terminal: it sends the focus reports of mode 1004
(``ESC [ O`` when the window loses focus, ``ESC [ I`` when it gets it back) and reads every
byte the app writes. One alert writes the bell and its notification together (``BEL`` then
``ESC ] 777 ; notify ; … BEL`` or ``ESC ] 9 ; … BEL``), so each is found by its own text.
One test posts nothing: a real run of the ``approval`` graph asks a question on another thread,
and the app's inbox watcher finds it, rings and shows the badge.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from ptyapp import PtyApp, plain

from bbot_tui.config.settings import AlertSettings, Profile, Settings, save_settings

SCRIPT = Path(__file__).with_name("alerts_app.py")
OSC = re.compile(rb"\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)")
"""Any OSC sequence (Textual's own, and the notifications)."""
NOTIFICATION = re.compile(rb"\x1b\](?:9|777;notify);bbot-tui[^\x07\x1b]*\x07")
"""A desktop notification of the alerter."""
TERMINAL_IDS = ("TERM_PROGRAM", "VTE_VERSION", "WT_SESSION", "KITTY_WINDOW_ID", "TMUX")
FOCUS_OUT, FOCUS_IN = b"\x1b[O", b"\x1b[I"
QUIET = 0.6
"""Seconds given to the terminal writer after an alert that must write nothing."""


def _bells(output: bytes) -> int:
    """Bells outside OSC sequences (an OSC may end with BEL too)."""
    return OSC.sub(b"", output).count(b"\x07")


def _thread(url: str, assistant_id: str) -> str:
    """A thread of the chat assistant, with one finished run (so that it is listed)."""
    response = httpx.post(f"{url}/threads", json={"metadata": {"title": "alerts"}}, timeout=30)
    response.raise_for_status()
    thread_id = str(response.json()["thread_id"])
    body = {
        "assistant_id": assistant_id,
        "input": {"messages": [{"role": "user", "content": "hi"}]},
    }
    httpx.post(f"{url}/threads/{thread_id}/runs/wait", json=body, timeout=60).raise_for_status()
    return thread_id


def _save(url: str, assistant_id: str, thread_id: str, alerts: AlertSettings) -> None:
    profile = Profile(
        name="local", base_url=url, last_assistant_id=assistant_id, last_thread_id=thread_id
    )
    save_settings(Settings(profiles={"local": profile}, active_profile="local", alerts=alerts))


def _env(**terminal: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in TERMINAL_IDS}
    env.update(TERM="xterm-256color", COLORTERM="truecolor", **terminal)
    return env


class Remote:
    """Drives ``alerts_app.py`` through its control folder."""

    def __init__(self, app: PtyApp, folder: Path) -> None:
        self.app = app
        self.folder = folder
        self.count = 0

    def state(self) -> dict[str, Any]:
        path = self.folder / "state.json"
        return json.loads(path.read_text()) if path.exists() else {}

    def wait_state(
        self,
        what: str,
        timeout: float = 60,
        check: Callable[[dict[str, Any]], bool] | None = None,
        **expected: Any,
    ) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = self.state()
            if all(state.get(k) == v for k, v in expected.items()) and (
                check is None or check(state)
            ):
                return
            assert self.app.process is not None and self.app.process.poll() is None
            time.sleep(0.05)
        raise AssertionError(f"gave up waiting for {what}: state {self.state()}")

    def focus(self, focused: bool) -> None:
        self.app.write(FOCUS_IN if focused else FOCUS_OUT)
        self.wait_state("the focus report", focus=focused)

    def post(self, **fields: Any) -> int:
        """Post one AttentionNeeded; wait until the app handled it. Returns the output mark."""
        mark = len(self.app.output)
        self.count += 1
        name = str(self.count)
        temp = self.folder / f"post-{name}.tmp"
        temp.write_text(json.dumps(fields))
        os.replace(temp, self.folder / f"post-{name}.json")
        deadline = time.monotonic() + 30
        while not (self.folder / f"done-{name}").exists():
            assert time.monotonic() < deadline, "the app did not handle the alert"
            time.sleep(0.05)
        return mark


def _start(folder: Path, **terminal: str) -> PtyApp:
    folder.mkdir()
    return PtyApp([sys.executable, str(SCRIPT), str(folder)], env=_env(**terminal), limit=150)


def _ready(remote: Remote, thread_id: str) -> None:
    remote.app.wait_for(lambda out: b"\x1b[?1004h" in out, "focus reporting (mode 1004)")
    remote.wait_state("the thread in front", focus=True, thread=thread_id)


def _notifications(output: bytes) -> list[bytes]:
    return NOTIFICATION.findall(output)


def _quit(app: PtyApp) -> None:
    app.write(b"\x11")  # ctrl+q
    assert app.wait_exit(20) is not None, "the app did not quit"


def test_bell_and_notification_when_blurred_never_for_the_thread_in_front(
    server_url: str, assistant_ids: dict[str, str], tmp_path: Path
) -> None:
    assistant = assistant_ids["chat"]
    thread = _thread(server_url, assistant)
    _save(server_url, assistant, thread, AlertSettings(bell=True, desktop=True))
    with _start(tmp_path / "control", TERM_PROGRAM="WezTerm") as app:
        remote = Remote(app, tmp_path / "control")
        _ready(remote, thread)

        # focused on that very thread: nothing at all
        mark = remote.post(kind="interrupt", thread_id=thread, title="Deploy", detail="first?")
        time.sleep(QUIET)
        assert b"first?" not in app.output[mark:]  # no notification, no toast
        assert _bells(app.output[mark:]) == len(_notifications(app.output[mark:]))

        # the window loses focus: the bell and an OSC 777 notification (WezTerm)
        remote.focus(False)
        mark = remote.post(kind="interrupt", thread_id=thread, title="Deploy", detail="second?")
        expected = b"\x07\x1b]777;notify;bbot-tui: waiting for you;Deploy: second?\x07"
        app.wait_for(lambda out: expected in out[mark:], "the bell and the notification")

        # a long run that ended on the same thread, still blurred
        mark = remote.post(
            kind="run_ended", thread_id=thread, title="Deploy", detail="finished", duration=95
        )
        expected = b"\x07\x1b]777;notify;bbot-tui: run ended after 1 min 35 s;Deploy: finished\x07"
        app.wait_for(lambda out: expected in out[mark:], "the run's end")
        # a short one: nothing
        mark = remote.post(
            kind="run_ended", thread_id=thread, title="Deploy", detail="short one", duration=2
        )
        time.sleep(QUIET)
        assert b"short one" not in app.output[mark:]

        # server text cannot write its own sequences, nor add notification fields
        mark = remote.post(
            kind="interrupt",
            thread_id=thread,
            title="T\x1b]0;PWNED\x07;x\x1b[2J",
            detail="q\x07\x07;fake;fields\x9d0;C1\x9c end",
        )
        expected = b"\x07\x1b]777;notify;bbot-tui: waiting for you;T,x: q,fake,fields end\x07"
        app.wait_for(lambda out: expected in out[mark:], "the sanitized notification")
        assert b"PWNED" not in app.output and b"\x1b[2J" not in app.output[mark:]

        # focus comes back: that thread is in front again, nothing rings for it
        remote.focus(True)
        mark = remote.post(kind="interrupt", thread_id=thread, title="Deploy", detail="third?")
        time.sleep(QUIET)
        assert b"third?" not in app.output[mark:]
        assert _bells(app.output[mark:]) == len(_notifications(app.output[mark:]))

        # focused, but another thread asks: it rings (it is not the one in front)
        mark = remote.post(kind="interrupt", thread_id="other-thread", title="Other", detail="q?")
        expected = b"\x07\x1b]777;notify;bbot-tui: waiting for you;Other: q?\x07"
        app.wait_for(lambda out: expected in out[mark:], "the other thread's alert")
        _quit(app)


def test_a_real_question_on_another_thread_rings_and_shows_in_the_badge(
    server_url: str, assistant_ids: dict[str, str], tmp_path: Path
) -> None:
    """End to end: the inbox watcher sees a new interrupt on the server; nothing is posted."""
    assistant = assistant_ids["chat"]
    thread = _thread(server_url, assistant)
    _save(server_url, assistant, thread, AlertSettings(bell=True, desktop=True))
    with _start(tmp_path / "control", TERM_PROGRAM="WezTerm") as app:
        remote = Remote(app, tmp_path / "control")
        _ready(remote, thread)
        # the first poll knows what waited already: questions from now on are new
        remote.wait_state("the inbox's first poll", check=lambda state: state["polls"] >= 1)
        remote.focus(False)
        title = f"deploy-{uuid.uuid4().hex[:8]}"
        response = httpx.post(
            f"{server_url}/threads", json={"metadata": {"title": title}}, timeout=30
        )
        other = response.json()["thread_id"]
        body = {
            "assistant_id": assistant_ids["approval"],
            "input": {"messages": [{"role": "user", "content": "deploy"}]},
        }
        httpx.post(f"{server_url}/threads/{other}/runs/wait", json=body, timeout=60)
        state = httpx.get(f"{server_url}/threads/{other}", timeout=30).json()
        assert state["status"] == "interrupted"
        start = b"\x07\x1b]777;notify;bbot-tui: waiting for you;" + title.encode()
        app.wait_for(lambda out: start in out, "the bell and the notification", timeout=90)
        app.wait_for(
            lambda out: re.search(r"\d+ waiting", plain(out)) is not None, "the badge", timeout=30
        )
        _quit(app)


def test_osc9_without_the_bell_when_only_desktop_notifications_are_on(
    server_url: str, assistant_ids: dict[str, str], tmp_path: Path
) -> None:
    assistant = assistant_ids["chat"]
    thread = _thread(server_url, assistant)
    _save(server_url, assistant, thread, AlertSettings(bell=False, desktop=True))
    with _start(tmp_path / "control", TERM_PROGRAM="iTerm.app") as app:
        remote = Remote(app, tmp_path / "control")
        _ready(remote, thread)
        remote.focus(False)
        bells = _bells(app.output)
        mark = remote.post(kind="interrupt", thread_id=thread, title="Deploy", detail="approve?")
        expected = b"\x1b]9;bbot-tui: waiting for you: Deploy: approve?\x07"
        app.wait_for(lambda out: expected in out[mark:], "the OSC 9 notification")
        time.sleep(QUIET)
        assert _bells(app.output) == bells  # the bell is off
        assert b"\x1b]777;" not in app.output
        _quit(app)


def test_nothing_is_written_when_the_settings_turn_it_off(
    server_url: str, assistant_ids: dict[str, str], tmp_path: Path
) -> None:
    assistant = assistant_ids["chat"]
    thread = _thread(server_url, assistant)
    _save(server_url, assistant, thread, AlertSettings(bell=False, desktop=False, toast=False))
    with _start(tmp_path / "control", TERM_PROGRAM="WezTerm") as app:
        remote = Remote(app, tmp_path / "control")
        _ready(remote, thread)
        remote.focus(False)
        bells = _bells(app.output)
        mark = remote.post(kind="interrupt", thread_id=thread, title="Deploy", detail="approve?")
        remote.post(kind="interrupt", thread_id="other", title="Other", detail="and this?")
        remote.post(kind="run_ended", thread_id=thread, title="Deploy", detail="done", duration=600)
        time.sleep(QUIET)
        output = app.output
        assert _bells(output) == bells
        assert _notifications(output) == []
        assert b"approve?" not in output[mark:] and b"and this?" not in output[mark:]  # no toast
        _quit(app)
