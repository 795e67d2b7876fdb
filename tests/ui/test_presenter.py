"""Presenter mode against the real local server, driven with Pilot.

A script over the ``hitl_v1`` test graph (two questions, answered edit and reject) is played a
turn per key press: the prompt is typed into the composer and then sent, the answer shows in
the interrupt card's controls and is then sent, the chrome is gone (no status bar, ids, URL,
event log or footer), ← scrolls back and → comes forward. On a server of the test's own that
is stopped halfway, a tape replays the remaining steps with the ``↻ replay`` marker and a toast;
without a tape the error is shown and Space tries the same step again, which goes through once
the server is back.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from app_pilot import Recorder, screen_text, settings_for, wait_for
from textual.pilot import Pilot
from textual.widgets import TextArea

from bbot_tui.api.client import AgentClient
from bbot_tui.demo.server import LocalServer, free_port
from bbot_tui.session.script import load_script
from bbot_tui.session.script_runner import ScriptRunner
from bbot_tui.session.tape import Tape, TapeWriter
from bbot_tui.tui.app import BbotApp, make_app
from bbot_tui.tui.screens.presentation import Presentation
from bbot_tui.tui.screens.presenter import Beats, PresenterScreen
from bbot_tui.tui.themes import PRESENTER_THEME

TESTS_GRAPHS = Path(__file__).resolve().parents[1] / "graphs" / "langgraph.json"
SCRIPT = """
assistant: hitl_v1
title: An email that waits for a decision
steps:
  - note: we ask for an email
  - say: email bob
  - expect: {interrupt: true}
  - note: the graph asks before it sends
  - pause: 5
  - answer:
      decisions:
        - type: edit
          edited_action: {name: send_email, args: {to: ann@example.com}}
  - expect: {contains: 'decision: edit send_email {"to": "ann@example.com"}'}
  - say: once more
  - expect: {interrupt: true}
  - answer: {decisions: [{type: reject, message: not now}]}
  - expect: {contains: "decision: reject not now", status: success}
  - note: that is all
"""
FAST = Beats(typing=0.04, send=0.2, answer=0.6)
SIZE = (110, 40)


def _app(url: str, presentation: Presentation) -> BbotApp:
    return make_app(
        settings_for(url),
        persist=False,
        default_screen=lambda: PresenterScreen(presentation, beats=FAST, id="presenter"),
    )


def _screen(pilot: Pilot[Any]) -> PresenterScreen:
    screen = pilot.app.screen_stack[0]
    assert isinstance(screen, PresenterScreen)
    return screen


def _line(screen: PresenterScreen) -> str:
    return str(screen.line.render())


async def _turn(pilot: Pilot[Any], presentation: Presentation, done: int) -> None:
    """Press Space and wait until turn ``done`` has played."""
    await pilot.press("space")
    screen = _screen(pilot)
    await wait_for(
        pilot,
        lambda: (len(presentation.turns) >= done or presentation.error) and not screen.busy,
        f"turn {done}",
    )
    await pilot.pause()


def _rows(presentation: Presentation) -> list[tuple[str, str]]:
    return [(m.role, m.text) for m in presentation.transcript.messages]


async def test_the_steps_advance_by_key_typed_answered_and_without_chrome(
    server_url: str,
) -> None:
    presentation = Presentation(load_script(SCRIPT), source="demo.yaml")
    recorder = Recorder()
    app = _app(server_url, presentation)
    # a short terminal, so that the conversation is longer than the view and ← must scroll
    async with app.run_test(size=(100, 14), message_hook=recorder) as pilot:
        await app.ready.wait()
        screen = _screen(pilot)
        await pilot.pause()
        assert app.theme == PRESENTER_THEME.name
        assert "0/4" in _line(screen) and "we ask for an email" in _line(screen)
        # the conversation alone: no status bar, panes, event log or key hints
        for chrome in ("StatusBar", "EventLog", "Footer", "AssistantPane", "ThreadPane"):
            assert not app.query(chrome), chrome
        composer = screen.composer

        await pilot.press("space")
        # the prompt is typed a character at a time, then sent (the composer empties)
        await wait_for(pilot, lambda: 0 < len(composer.text) < len("email bob"), "typing")
        assert "email bob".startswith(composer.text)
        await wait_for(pilot, lambda: composer.text == "email bob", "the whole prompt")
        await wait_for(pilot, lambda: presentation.turns and not screen.busy, "turn 1")
        assert composer.text == ""
        assert _rows(presentation)[0] == ("human", "email bob")
        assert screen.card.display
        line = _line(screen)
        assert "1/4" in line and "the graph asks before it sends" in line

        # the answer appears in the card's controls before it is sent
        await pilot.press("space")

        def shown_in_card() -> bool:
            editors = screen.card.query("#q0-args-0").results(TextArea)
            return any("ann@example.com" in e.text and e.display for e in editors)

        await wait_for(pilot, shown_in_card, "the edited args in the card")
        assert screen.busy  # shown first, then sent
        await wait_for(pilot, lambda: len(presentation.turns) == 2 and not screen.busy, "turn 2")
        assert 'decision: edit send_email {"to": "ann@example.com"}' in _rows(presentation)[-1][1]
        assert not screen.card.display

        await _turn(pilot, presentation, 3)
        await _turn(pilot, presentation, 4)
        runner = presentation.runner
        assert runner is not None and runner.failure is None, runner and runner.failure
        assert [c.ok for c in runner.checks] == [True] * 5
        assert presentation.finished
        line = _line(screen)
        assert "4/4" in line and "the end" in line and "that is all" in line

        text = screen_text(app)
        assert "decision: reject not now" in text
        assert runner.thread_id is not None and runner.thread_id not in text
        assert "127.0.0.1" not in text and server_url not in text
        assert "Enter send" not in text and "ctrl+" not in text

        # ← scrolls back to the turn before, → comes forward again; nothing is sent
        view = screen.view
        await pilot.press("left")
        await pilot.pause()
        assert presentation.viewing == 2
        first = presentation.turns[2].first_key
        assert first is not None
        start, _ = view.strip_layout.span(view.strip_layout.position(first) or 0)
        assert view.max_scroll_y > 0
        assert not view.follow
        top = view.scroll_offset.y
        assert top == min(start, view.max_scroll_y)
        assert top <= start < top + view.scrollable_content_region.height  # turn 3 in view
        assert "3/4" in _line(screen) and "looking back" in _line(screen)
        await pilot.press("left", "left", "left")
        await pilot.pause()
        assert presentation.viewing == 0
        assert view.scroll_offset.y == 0  # the first turn, at the top
        assert "1/4" in _line(screen)
        await pilot.press("right", "right", "right")
        await pilot.pause()
        assert presentation.viewing is None and view.follow
        await pilot.press("space")  # the script is over: nothing more is sent
        await pilot.pause()
        assert len(presentation.turns) == 4
        assert recorder.saw("That was the last step")


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[LocalServer]:
    """A server of the test's own (fixed port and state folder, so it can come back)."""
    server = LocalServer(
        TESTS_GRAPHS,
        port=free_port(),
        state_dir=tmp_path / "state",
        log_path=tmp_path / "own-server.log",
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


async def _record_tape(url: str, path: Path) -> list[tuple[str, str]]:
    script = load_script(SCRIPT)
    async with AgentClient(url) as client:
        assistant = (await client.assistants.search(graph_id="hitl_v1", limit=1)).items[0]
        writer = TapeWriter(path)
        runner = ScriptRunner(
            client, script, assistant_id=assistant.assistant_id, writer=writer, pauses=False
        )
        async for _ in runner.play():
            pass
        writer.close()
    assert runner.failure is None
    return [(m.role, m.text) for m in runner.transcript.messages]


async def test_a_server_stopped_halfway_is_replaced_by_the_tape_with_a_marker(
    own_server: LocalServer, tmp_path: Path
) -> None:
    assert own_server.url is not None
    tape_path = tmp_path / "demo.tape"
    recorded = await _record_tape(own_server.url, tape_path)
    presentation = Presentation(load_script(SCRIPT), source="demo.yaml", tape=Tape.read(tape_path))
    recorder = Recorder()
    app = _app(own_server.url, presentation)
    async with app.run_test(size=SIZE, message_hook=recorder) as pilot:
        await app.ready.wait()
        screen = _screen(pilot)
        await _turn(pilot, presentation, 1)
        await _turn(pilot, presentation, 2)
        assert [t.replayed for t in presentation.turns] == [False, False]
        assert "replay" not in _line(screen)

        own_server.stop()
        await _turn(pilot, presentation, 3)
        assert presentation.error is None
        assert [t.replayed for t in presentation.turns] == [False, False, True]
        assert "↻ replay" in _line(screen) and "3/4" in _line(screen)
        assert screen.has_class("-replay")
        assert recorder.saw("Step 8 replays from the tape")
        assert screen.card.display  # the replayed question waits for its answer
        await _turn(pilot, presentation, 4)
        assert [t.replayed for t in presentation.turns] == [False, False, True, True]
        assert "↻ replay" in _line(screen) and "4/4" in _line(screen)
        runner = presentation.runner
        assert runner is not None and runner.replayed == [8, 10]
        assert runner.failure is None
        await pilot.press("left")
        assert "↻ replay" in _line(screen)  # turn 3 came from the tape too
        await pilot.press("left")
        assert "replay" not in _line(screen)  # turn 2 was live
    assert _rows(presentation) == recorded


async def test_without_a_tape_the_error_is_shown_and_space_tries_the_step_again(
    own_server: LocalServer, tmp_path: Path
) -> None:
    assert own_server.url is not None
    presentation = Presentation(load_script(SCRIPT), source="demo.yaml")
    recorder = Recorder()
    app = _app(own_server.url, presentation)
    async with app.run_test(size=SIZE, message_hook=recorder) as pilot:
        await app.ready.wait()
        screen = _screen(pilot)
        await _turn(pilot, presentation, 1)
        shown = _rows(presentation)
        position = presentation.position

        own_server.stop()
        await _turn(pilot, presentation, 2)
        assert presentation.error is not None
        line = _line(screen)
        assert "✗" in line and "Space tries again" in line and "1/4" in line
        assert screen.has_class("-error")
        assert recorder.saw("Connection")
        # nothing of the failed attempt is left; the question still waits
        assert _rows(presentation) == shown
        assert presentation.position == position
        assert screen.card.display
        assert len(presentation.turns) == 1
        error = presentation.error

        # Space tries the same step again (the server is still down: the same error)
        await _turn(pilot, presentation, 2)
        assert presentation.error == error
        assert sum("Connection" in note for note in recorder.notes) == 2
        assert _rows(presentation) == shown and presentation.position == position

        # the server comes back on the same port with the same state: the thread is there
        port = int(own_server.url.rsplit(":", 1)[1])
        again = LocalServer(
            TESTS_GRAPHS,
            port=port,
            state_dir=own_server.state_dir,
            log_path=tmp_path / "again.log",
        )
        try:
            again.start()
            assert again.url == own_server.url
            await _turn(pilot, presentation, 2)
        finally:
            again.stop()
        assert presentation.error is None, presentation.error
        assert len(presentation.turns) == 2
        assert not screen.has_class("-error")
        assert 'decision: edit send_email {"to": "ann@example.com"}' in _rows(presentation)[-1][1]
        assert "2/4" in _line(screen)
