"""Edit and resend, regenerate and moving between branches, against the real local server: every
branch is a fork the server keeps (its checkpoints say so), and the view shows the messages of
the branch the server's checkpoints hold."""

from __future__ import annotations

from typing import Any

import httpx
from app_pilot import own_assistant, pick, send, settings_for, settle, wait_for

from bbot_tui.tui.app import make_app
from bbot_tui.tui.screens.history import HistoryScreen
from bbot_tui.tui.screens.main import MainScreen


def _state(url: str, thread_id: str) -> list[str]:
    state = httpx.get(f"{url}/threads/{thread_id}/state", timeout=30).json()
    return [m["content"] for m in state["values"]["messages"]]


def _history(url: str, thread_id: str) -> list[dict[str, Any]]:
    response = httpx.post(f"{url}/threads/{thread_id}/history", json={"limit": 100}, timeout=30)
    response.raise_for_status()
    return response.json()


def _branch_points(url: str, thread_id: str) -> int:
    parents = [
        (h.get("parent_checkpoint") or {}).get("checkpoint_id") for h in _history(url, thread_id)
    ]
    return sum(1 for p in set(parents) if p and parents.count(p) > 1)


def _texts(screen: MainScreen) -> list[str]:
    return [m.text for m in screen.transcript.messages]


def _labels(screen: MainScreen) -> dict[str, str]:
    view: Any = screen.query_one("#message-view")
    by_key = {m.key: m.text for m in screen.transcript.messages}
    return {by_key.get(k, k): v.split(" ·")[0] for k, v in view.branch_labels.items()}


async def _chat(pilot: Any, screen: MainScreen, text: str) -> None:
    await send(pilot, text)
    await wait_for(pilot, lambda: screen.running or len(screen.transcript.messages) > 1, "run")
    await settle(pilot, screen)


def echo(text: str) -> str:
    return f"You said: {text}. Here is a streamed answer."


async def test_edit_regenerate_and_move_between_branches(server_url: str) -> None:
    name = own_assistant(server_url, "chat")
    app = make_app(settings_for(server_url))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await pick(pilot, "chat", name)
        await _chat(pilot, screen, "one")
        await _chat(pilot, screen, "two")
        thread_id = screen.thread_id
        assert thread_id is not None
        await wait_for(pilot, lambda: screen.branches.tree is not None, "the tree")
        assert _labels(screen) == {}  # no branch yet
        view: Any = screen.query_one("#message-view")

        # edit and resend "two": select it ([ twice from the end), e, change it, Enter
        view.focus()
        await pilot.press("left_square_bracket", "left_square_bracket", "e")
        await wait_for(pilot, lambda: screen.composer.editing, "the edit")
        assert screen.composer.text == "two"
        screen.composer.load_text("two, edited")
        await pilot.press("enter")
        await wait_for(pilot, lambda: not screen.composer.editing, "the edit sent")
        await wait_for(pilot, lambda: "two, edited" in _texts(screen), "the new branch")
        await settle(pilot, screen)
        expected = ["one", echo("one"), "two, edited", echo("two, edited")]
        assert _state(server_url, thread_id) == expected
        assert _texts(screen) == expected
        assert _branch_points(server_url, thread_id) == 1  # the old branch is kept
        await wait_for(pilot, lambda: _labels(screen) == {"two, edited": "branch 2/2"}, "labels")

        # < at the edited message shows the old branch, read from the server's checkpoints
        view.focus()
        await pilot.press("less_than_sign")
        await wait_for(pilot, lambda: "two" in _texts(screen), "the old branch")
        assert _texts(screen) == ["one", echo("one"), "two", echo("two")]
        await wait_for(pilot, lambda: _labels(screen) == {"two": "branch 1/2"}, "its label")
        assert screen.branches.head is not None
        await pilot.press("greater_than_sign")
        await wait_for(pilot, lambda: _texts(screen) == expected, "the new branch again")
        assert screen.branches.head is None  # the newest again

        # regenerate the last answer: a run with no input from the checkpoint before it
        answer = screen.transcript.messages[-1]
        view.focus()
        await pilot.press("end", "r")
        await wait_for(
            pilot,
            lambda: (
                screen.transcript.messages[-1].id not in (None, answer.id) and not screen.running
            ),
            "the regenerated answer",
        )
        await settle(pilot, screen)
        assert _state(server_url, thread_id) == expected  # same text, a new message
        assert screen.transcript.messages[-1].id != answer.id
        assert _branch_points(server_url, thread_id) == 2
        await wait_for(
            pilot,
            lambda: (
                _labels(screen) == {"two, edited": "branch 2/2", echo("two, edited"): "branch 2/2"}
            ),
            "both labels",
        )

        # the history lists the tree with the branch shown marked
        await pilot.press("ctrl+t")
        await wait_for(pilot, lambda: isinstance(app.screen, HistoryScreen), "the history")
        history: Any = app.screen
        await wait_for(pilot, lambda: history.states, "the checkpoints")
        table = history.query_one("#history-table")
        marks = [str(table.rows[key].label) for key in table.rows]
        assert marks[0].strip() == "◆"  # the newest branch first, its head on top
        assert any(m.strip().startswith("○") for m in marks)  # the other branches
        assert sum("┬" in m for m in marks) == 2  # where the thread branched
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen, "back")

        # on the old branch, a new message continues that branch (the server forks there)
        view.focus()
        await pilot.press("left_square_bracket", "left_square_bracket", "less_than_sign")
        await wait_for(pilot, lambda: "two" in _texts(screen), "the old branch")
        await _chat(pilot, screen, "three")
        await wait_for(pilot, lambda: "three" in _texts(screen), "the run on the old branch")
        assert _state(server_url, thread_id) == [
            "one",
            echo("one"),
            "two",
            echo("two"),
            "three",
            echo("three"),
        ]
        assert _branch_points(server_url, thread_id) == 2  # continued, not forked again


async def test_escape_cancels_an_edit(server_url: str) -> None:
    name = own_assistant(server_url, "chat")
    app = make_app(settings_for(server_url))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await pick(pilot, "chat", name)
        await _chat(pilot, screen, "one")
        view: Any = screen.query_one("#message-view")
        view.focus()
        await pilot.press("e")  # the last message of yours
        await wait_for(pilot, lambda: screen.composer.editing, "the edit")
        await pilot.press("escape")
        await wait_for(pilot, lambda: not screen.composer.editing, "cancelled")
        assert screen.branches.editing is None and screen.composer.text == ""
        await _chat(pilot, screen, "plain")  # a plain message again, on the same branch
        assert screen.thread_id is not None
        assert _branch_points(server_url, screen.thread_id) == 0
