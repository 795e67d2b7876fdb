"""Time travel through the real app (ctrl+t) against the real local server (graph ``steps``).

The history pane lists the server's checkpoints (paged with the ``before`` cursor), shows the
selected checkpoint's state and its diff against the parent; re-running from a checkpoint and
editing its state then forking are checked against the states the server reports.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from app_pilot import own_assistant, pick, send, settings_for, settle, wait_for
from debug_pilot import after_run
from textual.pilot import Pilot
from textual.widgets import DataTable, Select, TextArea

from bbot_tui.tui.app import make_app
from bbot_tui.tui.screens import history
from bbot_tui.tui.screens.history import HistoryScreen
from bbot_tui.tui.screens.main import MainScreen
from bbot_tui.tui.widgets.interrupt_card import InterruptCard
from bbot_tui.tui.widgets.json_view import JsonView


def _server_history(url: str, thread_id: str) -> list[dict[str, Any]]:
    response = httpx.post(f"{url}/threads/{thread_id}/history", json={"limit": 100}, timeout=30)
    response.raise_for_status()
    return response.json()


def _server_state(url: str, thread_id: str) -> dict[str, Any]:
    response = httpx.get(f"{url}/threads/{thread_id}/state", timeout=30)
    response.raise_for_status()
    return response.json()


def _contents(values: dict[str, Any]) -> list[str]:
    return [m["content"] for m in values["messages"]]


def _rows(screen: HistoryScreen) -> list[list[str]]:
    table = screen.query_one("#history-table", DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def _steps_thread(pilot: Pilot[Any], url: str) -> MainScreen:
    screen = await pick(pilot, "steps", own_assistant(url, "steps"))
    await after_run(pilot, screen, lambda: send(pilot, "hello"))
    return screen


async def _open_history(pilot: Pilot[Any], rows: int) -> HistoryScreen:
    await pilot.press("ctrl+t")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, HistoryScreen), "the history")
    screen: HistoryScreen = pilot.app.screen  # type: ignore[assignment]
    await wait_for(pilot, lambda: len(_rows(screen)) == rows, f"{rows} history rows")
    await pilot.pause()
    return screen


async def _select(pilot: Pilot[Any], screen: HistoryScreen, checkpoint_id: str) -> None:
    table = screen.query_one("#history-table", DataTable)
    table.focus()
    table.move_cursor(row=table.get_row_index(checkpoint_id))
    await wait_for(pilot, lambda: screen._selected == checkpoint_id, "the selection")
    await pilot.pause()


async def test_history_pages_and_shows_state_and_diff(
    server_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(history, "PAGE_SIZE", 3)
    app = make_app(settings_for(server_url))
    async with app.run_test(size=(140, 44)) as pilot:
        main = await _steps_thread(pilot, server_url)
        server = _server_history(server_url, main.thread_id or "")
        assert [h["metadata"]["step"] for h in server] == [3, 2, 1, 0, -1]

        pane = await _open_history(pilot, 3)  # one page of 3
        assert not pane.query_one("#history-more").disabled
        await pilot.press("m")  # the next page, with the before cursor
        await wait_for(pilot, lambda: len(_rows(pane)) == 5, "the second page")
        assert pane.query_one("#history-more").disabled  # nothing older
        rows = _rows(pane)
        # step, source, node(s) that ran, next (time is shown too, not compared)
        assert [r[:4] for r in rows] == [
            ["3", "loop", "step3", "—"],
            ["2", "loop", "step2", "step3"],
            ["1", "loop", "step1", "step2"],
            ["0", "loop", "__start__", "step1"],
            ["-1", "input", "", "__start__"],
        ]
        assert [r[:2] for r in rows] == [
            [str(h["metadata"]["step"]), h["metadata"]["source"]] for h in server
        ]
        assert [pane.states[i].checkpoint_id for i in range(5)] == [
            h["checkpoint_id"] for h in server
        ]

        chosen = server[1]  # step 2: step2 ran, step3 next
        await _select(pilot, pane, chosen["checkpoint_id"])
        summary = str(pane.query_one("#history-summary").render())
        assert "next: step3" in summary and "step 2" in summary
        assert pane.query_one("#history-values", JsonView).value == chosen["values"]
        diff = str(pane.query_one("#history-diff").render())
        assert "+ messages[2]  ai: step2" in diff
        assert "messages[1]" not in diff  # unchanged messages are not listed
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is main, "the main screen")


async def test_rerun_from_a_checkpoint_and_the_history_updates(server_url: str) -> None:
    app = make_app(settings_for(server_url))
    async with app.run_test(size=(140, 44)) as pilot:
        main = await _steps_thread(pilot, server_url)
        thread_id = main.thread_id or ""
        server = _server_history(server_url, thread_id)
        pane = await _open_history(pilot, len(server))
        at_step1 = next(h for h in server if h["metadata"]["step"] == 1)
        await _select(pilot, pane, at_step1["checkpoint_id"])
        await after_run(pilot, main, lambda: pilot.press("r"))  # re-run from here
        assert app.screen is main

        after = _server_history(server_url, thread_id)
        newest = after[0]
        # the re-run forked from the chosen checkpoint: its new steps descend from it
        chain = {h["checkpoint_id"]: h["parent_checkpoint"] for h in after}
        node, ancestors = newest["checkpoint_id"], []
        while chain.get(node):
            node = chain[node]["checkpoint_id"]
            ancestors.append(node)
        assert at_step1["checkpoint_id"] in ancestors
        # the server wrote a fork of the chosen checkpoint, then step2 and step3 ran again
        new = [(h["metadata"]["source"], h["next"]) for h in after[: len(after) - len(server)]]
        assert new == [("loop", []), ("loop", ["step3"]), ("fork", ["step2"])]
        state = _server_state(server_url, thread_id)
        assert _contents(state["values"]) == ["hello", "step1", "step2", "step3"]
        assert [m.text for m in main.transcript.messages] == _contents(state["values"])

        pane = await _open_history(pilot, len(after))  # the history view shows the new run
        assert pane.states[0].checkpoint_id == newest["checkpoint_id"]
        assert [r[:4] for r in _rows(pane)[:3]] == [
            ["4", "loop", "step3", "—"],
            ["3", "loop", "step2", "step3"],
            ["2", "fork", "(fork)", "step2"],
        ]
        await pilot.press("escape")


async def test_edit_state_as_node_then_fork_and_continue(server_url: str) -> None:
    app = make_app(settings_for(server_url))
    async with app.run_test(size=(140, 44)) as pilot:
        main = await _steps_thread(pilot, server_url)
        thread_id = main.thread_id or ""
        server = _server_history(server_url, thread_id)
        pane = await _open_history(pilot, len(server))
        at_step1 = next(h for h in server if h["metadata"]["step"] == 1)
        await _select(pilot, pane, at_step1["checkpoint_id"])
        await pilot.press("e")
        editor = pane.query_one("#history-editor", TextArea)
        assert json.loads(editor.text) == at_step1["values"]
        edited = json.loads(editor.text)
        edited["messages"][1]["content"] = "edited by hand"  # same message id: replaced
        editor.load_text(json.dumps(edited, indent=2))
        pane.query_one("#history-as-node", Select).value = "step1"
        await pilot.pause()
        await pilot.click("#history-fork")
        await wait_for(pilot, lambda: app.screen is main, "the main screen")
        await settle(pilot, main)

        state = _server_state(server_url, thread_id)
        assert _contents(state["values"]) == ["hello", "edited by hand"]
        assert state["next"] == ["step2"]  # written as step1: step2 runs next
        assert state["parent_checkpoint"]["checkpoint_id"] == at_step1["checkpoint_id"]
        assert [m.text for m in main.transcript.messages] == ["hello", "edited by hand"]
        card = main.query_one(InterruptCard)
        await wait_for(pilot, lambda: card.display, "the stop card")
        assert str(card.query_one("#interrupt-title").render()) == "stopped before step2"

        await after_run(pilot, main, lambda: pilot.click("#interrupt-continue"))  # go on
        state = _server_state(server_url, thread_id)
        assert _contents(state["values"]) == ["hello", "edited by hand", "step2", "step3"]
        assert [m.text for m in main.transcript.messages] == _contents(state["values"])
