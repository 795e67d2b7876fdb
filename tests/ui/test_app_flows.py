"""The rest of the main flows against the real local server: answering an interrupt from the
composer, stopping a slow run with Escape, a wrong JSON in the run-options form sending nothing.

Every test picks an assistant of its own (``own_assistant``) so that its thread list holds only
its own threads.
"""

from __future__ import annotations

import httpx
from app_pilot import (
    Recorder,
    own_assistant,
    pick,
    run_started,
    screen_text,
    send,
    settings_for,
    settle,
    thread_rows,
    view_text,
    wait_for,
)
from textual.widgets import Static, TextArea

from bbot_tui.tui.app import make_app
from bbot_tui.tui.screens.run_options import RunOptionsScreen


def _thread_status(url: str, thread_id: str) -> str:
    return str(httpx.get(f"{url}/threads/{thread_id}", timeout=30).json()["status"])


def _runs(url: str, thread_id: str) -> list[dict[str, object]]:
    response = httpx.get(f"{url}/threads/{thread_id}/runs", timeout=30)
    response.raise_for_status()
    return list(response.json())


async def test_an_interrupt_is_answered_from_the_composer(server_url: str) -> None:
    name = own_assistant(server_url, "approval")
    app = make_app(settings_for(server_url))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await pick(pilot, "approval", name)
        await send(pilot, "ship it")
        await wait_for(pilot, lambda: run_started(screen), "the run to start")
        await settle(pilot, screen)

        # the question is shown and the composer says Enter resumes it
        assert screen.transcript.stop == "question"
        composer = screen.composer
        assert composer.mode == "answer" and composer.has_class("-answer")
        assert "resume" in composer.placeholder and composer.border_subtitle.startswith(
            "Enter resume"
        )
        card = screen.query_one("#interrupt-card")
        assert card.display
        assert "approve?" in screen_text(app)
        assert screen.status_bar.status == "question"
        pane = screen.thread_pane
        thread_id = screen.thread_id
        assert thread_id is not None
        await wait_for(
            pilot, lambda: pane.get(thread_id).status == "interrupted", "interrupted badge"
        )

        # typing an answer resumes the same thread (no new run of a new message)
        await send(pilot, "yes")
        await wait_for(pilot, lambda: screen.running, "the resume to start")
        await settle(pilot, screen)
        assert screen.thread_id == thread_id and len(pane.threads) == 1
        assert screen.transcript.messages[-1].text == "you said yes"
        # the answer reads between the question and what came of it (a note, issue 11)
        assert [m.role for m in screen.transcript.messages] == ["human", "ai", "note", "ai"]
        assert screen.transcript.messages[2].text == "you answered: yes"
        assert "you said yes" in view_text(screen)
        assert composer.mode == "chat" and not card.display
        await wait_for(pilot, lambda: pane.get(thread_id).status == "idle", "idle badge")
        assert len(_runs(server_url, thread_id)) == 2


async def test_escape_stops_a_slow_run(server_url: str) -> None:
    name = own_assistant(server_url, "slow", configurable={"tokens": 3000, "delay": 0.05})
    app = make_app(settings_for(server_url))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await pick(pilot, "slow", name)
        await send(pilot, "talk")
        await wait_for(pilot, lambda: "tok3 " in view_text(screen), "the first tokens on screen")
        assert screen.composer.busy and "Esc stops" in screen.composer.placeholder
        await pilot.press("escape")
        await settle(pilot, screen)

        assert screen.status_bar.status == "stopped"  # one word: bar, card and list
        assert screen.status_bar.notice == "the run was stopped"
        thread_id = screen.thread_id
        assert thread_id is not None
        [run] = _runs(server_url, thread_id)
        assert run["status"] == "interrupted"  # cancelled on the server, not just unfollowed
        assert _thread_status(server_url, thread_id) == "interrupted"
        pane = screen.thread_pane
        await wait_for(
            pilot, lambda: pane.get(thread_id).status == "interrupted", "the interrupted badge"
        )
        assert "stopped" in thread_rows(screen)[0] and "interrupted" not in thread_rows(screen)[0]
        card = screen.query_one("#interrupt-card")
        assert str(card.query_one("#interrupt-title").render()).startswith("run stopped")
        # the server never saved the partial answer: it stays on screen, flagged as not saved
        assert [(m.role, m.unsaved) for m in screen.transcript.messages] == [
            ("human", False),
            ("ai", True),
        ]
        assert "tok3 " in view_text(screen)
        assert "stopped — not saved on the server" in view_text(screen)
        assert screen.status_bar.status == "stopped"
        assert not screen.composer.busy


async def test_wrong_json_in_the_run_options_shows_its_error_and_sends_nothing(
    server_url: str,
) -> None:
    name = own_assistant(server_url, "chat")
    app = make_app(settings_for(server_url))
    notes = Recorder()
    async with app.run_test(size=(120, 40), message_hook=notes) as pilot:
        screen = await pick(pilot, "chat", name)
        assistant_id = screen.assistant.assistant_id  # type: ignore[union-attr]
        await pilot.press("ctrl+o")
        await wait_for(pilot, lambda: isinstance(app.screen, RunOptionsScreen), "the form")
        await pilot.pause()
        editor = app.screen.query_one("#opt-context", TextArea)
        editor.load_text('{"delay": 0,,}')
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, RunOptionsScreen)  # not saved, still open
        error = str(app.screen.query_one("#error-context", Static).render())
        assert "line 1, column 13" in error
        assert app.screen.query_one("#field-context").has_class("-invalid")
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen, "the main screen")
        assert app.settings is not None and assistant_id not in app.settings.run_options
        assert screen.thread_id is None
        found = httpx.post(
            f"{server_url}/threads/search",
            json={"metadata": {"assistant_id": assistant_id}},
            timeout=30,
        ).json()
        assert found == []  # nothing reached the server
        assert not notes.saw("Run options saved")
