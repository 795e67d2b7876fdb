"""The run details view against the real local server: ``t`` on a message shows its run.

Two runs of the ``agent`` graph (``model`` → ``tools`` → ``model``, a fake model that reports
usage) on one thread: ``t`` on the last message opens :class:`RunDetailsScreen` on the second
run, with the waterfall drawn as bars in the server's order and the usage its messages reported;
selecting a message of the first run (``[``) and ``t`` shows the first run. A message loaded
with the thread has no timing and says so.
"""

from __future__ import annotations

from typing import Any

import httpx
from app_pilot import (
    own_assistant,
    pick,
    run_started,
    screen_text,
    send,
    settings_for,
    settle,
    wait_for,
)

from bbot_tui.tui.app import make_app
from bbot_tui.tui.screens.run_controller import RunPlan
from bbot_tui.tui.screens.run_details import RunDetailsScreen
from bbot_tui.tui.widgets.message_view import MessageView
from bbot_tui.tui.widgets.waterfall import Waterfall


def _history_nodes(server_url: str, thread_id: str, run_id: str) -> list[str]:
    response = httpx.post(
        f"{server_url}/threads/{thread_id}/history",
        json={"limit": 50, "metadata": {"run_id": run_id}},
    )
    response.raise_for_status()
    checkpoints = sorted(response.json(), key=lambda c: c["metadata"]["step"])
    return [t["name"] for c in checkpoints for t in c["tasks"] if not t["name"].startswith("__")]


def _stored_usage(server_url: str, thread_id: str, keys: frozenset[str]) -> tuple[int, int, int]:
    state = httpx.get(f"{server_url}/threads/{thread_id}/state").json()
    usages = [
        m["usage_metadata"]
        for m in state["values"]["messages"]
        if m["id"] in keys and m.get("usage_metadata")
    ]
    return tuple(
        sum(u[k] for u in usages) for k in ("input_tokens", "output_tokens", "total_tokens")
    )  # type: ignore[return-value]


async def test_t_opens_the_run_details_of_the_selected_messages_run(server_url: str) -> None:
    name = own_assistant(server_url, "agent")
    app = make_app(settings_for(server_url))
    posted: list[Any] = []
    copied: list[str] = []
    asked: list[str | None] = []

    def hook(message: Any) -> None:
        if isinstance(message, MessageView.CopyRequested) and message not in posted:
            copied.append(message.text)
        elif isinstance(message, MessageView.RunDetailsRequested) and message not in posted:
            asked.append(message.key)
        posted.append(message)

    async with app.run_test(size=(130, 45), message_hook=hook) as pilot:
        screen = await pick(pilot, "agent", name)
        for text in ("weather?", "and again?"):
            await send(pilot, text)
            await wait_for(pilot, lambda: run_started(screen), "the run to start")
            await settle(pilot, screen)
        assert len(screen.runs.timings) == 2
        first, second = (screen.runs.timings.for_message(m.key) for m in _ai(screen)[::3])
        assert first is not None and second is not None and first is not second

        view = screen.query_one(MessageView)
        view.focus()
        await pilot.press("t")
        await wait_for(pilot, lambda: isinstance(app.screen, RunDetailsScreen), "run details")
        details: Any = app.screen
        await pilot.pause()
        timing = details.timing
        assert timing is not None and timing.run_id == second.run_id
        thread_id = screen.thread_id
        assert thread_id is not None
        expected = _history_nodes(server_url, thread_id, timing.run_id)
        assert timing.node_names() == expected == ["model", "tools", "model"]
        u = timing.usage
        assert (u.input_tokens, u.output_tokens, u.total_tokens) == _stored_usage(
            server_url, thread_id, timing.message_keys
        )
        assert u.messages == 2
        # the bars, as drawn: one row per node, in order, each with a bar
        rows = [row.plain for row in details.query_one(Waterfall).rows(100)]
        assert [row.split()[0] for row in rows] == expected
        assert all("█" in row and "│" in row for row in rows)
        shown = screen_text(app)  # what the user sees
        assert "first token after" in shown and f"{u.total_tokens} total" in shown
        assert f"nodes from the run's {timing.source} events" in shown
        assert sum(line.count("█") > 0 and "│" in line for line in shown.splitlines()) >= 3
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen, "the details to close")

        # a message of the first run: select the first question ([ until c copies it), ], t
        for _ in range(len(screen.transcript.messages)):
            await pilot.press("left_square_bracket", "c")
            if copied and copied[-1] == "weather?":
                break
        assert copied[-1] == "weather?"
        await pilot.press("right_square_bracket", "t")
        await wait_for(pilot, lambda: isinstance(app.screen, RunDetailsScreen), "run details")
        assert asked[-1] == _ai(screen)[0].key
        assert app.screen.timing is not None  # type: ignore[attr-defined]
        assert app.screen.timing.run_id == first.run_id  # type: ignore[attr-defined]
        await pilot.press("t")
        await wait_for(pilot, lambda: app.screen is screen, "t closes it too")

        # reopen the thread: its messages were loaded, not streamed here
        screen.run_flow(RunPlan("open", thread_id=thread_id))
        await wait_for(pilot, lambda: len(screen.runs.timings) == 0, "a fresh transcript")
        await wait_for(pilot, lambda: len(screen.transcript.messages) == 8, "the thread")
        await settle(pilot, screen)
        screen.query_one(MessageView).focus()
        await pilot.press("t")
        await wait_for(pilot, lambda: isinstance(app.screen, RunDetailsScreen), "run details")
        await pilot.pause()
        assert app.screen.timing is None  # type: ignore[attr-defined]
        assert "No timing for this message" in screen_text(app)


def _ai(screen: Any) -> list[Any]:
    return [m for m in screen.transcript.messages if m.role == "ai"]
