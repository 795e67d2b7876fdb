"""The History screen (ctrl+t) and ``bbot-tui history`` say the same "ran" for each checkpoint
(issue 11 §13): one function makes the column for both. Real server, the CLI as a subprocess."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import httpx
from app_pilot import own_assistant, pick, send, settings_for, wait_for
from debug_pilot import after_run
from textual.widgets import DataTable

from bbot_tui.tui.app import make_app
from bbot_tui.tui.screens.history import HistoryScreen


def _cli_ran(url: str, thread_id: str) -> dict[str, str]:
    """Checkpoint id → the RAN column of ``bbot-tui history THREAD``."""
    done = subprocess.run(
        [sys.executable, "-m", "bbot_tui", "history", "--url", url, thread_id, "--limit", "50"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    header, *lines = [line for line in done.stdout.splitlines() if line.strip()]
    start, end = header.index("RAN"), header.index("NEXT")
    return {line.split()[0]: line[start:end].strip() for line in lines}


async def test_the_history_screen_and_the_cli_say_the_same_ran(server_url: str) -> None:
    app = make_app(settings_for(server_url), persist=False)
    async with app.run_test(size=(140, 42)) as pilot:
        screen = await pick(pilot, "steps", own_assistant(server_url, "steps"))
        await after_run(pilot, screen, lambda: send(pilot, "hello"))
        thread_id = screen.thread_id or ""
        # a state edit: a checkpoint no node made
        edit = {"values": {"messages": [{"role": "user", "content": "edited"}]}}
        httpx.post(f"{server_url}/threads/{thread_id}/state", json=edit, timeout=30)
        cli = _cli_ran(server_url, thread_id)

        await pilot.press("ctrl+t")
        await wait_for(pilot, lambda: isinstance(app.screen, HistoryScreen), "the history")
        history: Any = app.screen
        table = history.query_one("#history-table", DataTable)
        await wait_for(pilot, lambda: table.row_count == len(cli), "every checkpoint")
        await pilot.pause()
        shown = {
            str(key.value): str(table.get_row(key)[2])
            for key in (
                table.coordinate_to_cell_key((i, 0)).row_key for i in range(table.row_count)
            )
        }
        assert shown == cli
        assert "(state edit)" in cli.values()  # the edit is named the same way in both
        assert any(ran and not ran.startswith("(") for ran in cli.values())  # nodes that ran
