"""Snapshots of the history pane: fixed checkpoints (the shape the server sends for the ``steps``
graph, with fixed ids and times) so the pictures are deterministic. The flows against the real
server are in ``test_history_flows.py``.
"""

from __future__ import annotations

from typing import Any

from textual.app import App
from textual.pilot import Pilot
from textual.widgets import DataTable, TabbedContent

from bbot_tui.api.models import ThreadState
from bbot_tui.tui.resources import stylesheet
from bbot_tui.tui.screens.history import HistoryScreen

_TEXTS = ["hello", "step1", "step2", "step3"]


def _checkpoint(step: int) -> ThreadState:
    """The ``steps`` graph's checkpoint at ``step`` (-1 is the input)."""
    done = max(0, step + 1)
    messages = [
        {"type": "human" if i == 0 else "ai", "content": _TEXTS[i], "id": f"m{i}"}
        for i in range(min(done, 4))
    ]
    nxt = ["__start__"] if step < 0 else ([f"step{step + 1}"] if step < 3 else [])
    return ThreadState.model_validate(
        {
            "values": {"messages": messages} if step >= 0 else {},
            "next": nxt,
            "tasks": [{"id": f"t{step}", "name": n, "result": {"ok": 1}} for n in nxt],
            "metadata": {"step": step, "source": "input" if step < 0 else "loop"},
            "created_at": f"2026-11-23T09:14:{10 + step:02d}.000000+00:00",
            "checkpoint_id": f"cp{step}",
            "parent_checkpoint_id": f"cp{step - 1}" if step > -1 else None,
        }
    )


class FixedThreads:
    """The two ``client.threads`` calls the history screen makes, from fixed checkpoints."""

    def __init__(self) -> None:
        self.states = [_checkpoint(s) for s in (3, 2, 1, 0, -1)]

    async def get_history(
        self, thread_id: str, *, limit: int = 20, before: str | None = None
    ) -> list[ThreadState]:
        ids = [s.checkpoint_id for s in self.states]
        start = ids.index(before) + 1 if before else 0
        return self.states[start : start + limit]

    async def get_state(self, thread_id: str, *, checkpoint_id: str | None = None) -> ThreadState:
        return next(s for s in self.states if s.checkpoint_id == checkpoint_id)


class FixedHistory:
    """A client whose ``threads`` answer from fixed checkpoints."""

    def __init__(self) -> None:
        self.threads = FixedThreads()


class HistoryApp(App[None]):
    CSS_PATH = [stylesheet("history.tcss")]

    def on_mount(self) -> None:
        self.push_screen(HistoryScreen(FixedHistory(), "thread-1"))


async def _loaded(pilot: Pilot[None]) -> HistoryScreen:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    screen = pilot.app.screen
    assert isinstance(screen, HistoryScreen)
    await screen.workers.wait_for_complete()
    await pilot.pause()
    return screen


async def _select_step2(pilot: Pilot[None]) -> HistoryScreen:
    screen = await _loaded(pilot)
    table = screen.query_one("#history-table", DataTable)
    table.focus()
    await pilot.press("down")
    await pilot.pause()
    return screen


def test_snapshot_history_state(snap_compare: Any) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await _select_step2(pilot)

    assert snap_compare(HistoryApp(), terminal_size=(120, 24), run_before=run_before)


def test_snapshot_history_diff(snap_compare: Any) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        screen = await _select_step2(pilot)
        screen.query_one("#history-detail", TabbedContent).active = "tab-diff"
        await pilot.pause()

    assert snap_compare(HistoryApp(), terminal_size=(120, 24), run_before=run_before)


async def test_the_selected_row_drives_the_state_and_diff() -> None:
    app = HistoryApp()
    async with app.run_test(size=(120, 24)) as pilot:
        screen = await _select_step2(pilot)
        assert screen.selected_state() is not None
        assert screen.selected_state().checkpoint_id == "cp2"  # type: ignore[union-attr]
        diff = str(screen.query_one("#history-diff").render())
        assert diff.strip() == "+ messages[2]  ai: step2"
        await pilot.press("down", "down", "down")  # the input checkpoint: no parent
        await pilot.pause()
        assert "first checkpoint" in str(screen.query_one("#history-diff").render())
