"""The main flows of the app against the real local server: chat, tool calls, errors, safety."""

from __future__ import annotations

import httpx
from app_pilot import (
    Recorder,
    own_assistant,
    pick,
    run_started,
    send,
    settings_for,
    settle,
    thread_rows,
    view_text,
    wait_for,
)

from bbot_tui.tui.app import make_app
from bbot_tui.tui.widgets.composer import Composer
from bbot_tui.tui.widgets.thread_pane import ThreadPane


async def test_chat_creates_a_thread_and_streams_the_answer(server_url: str) -> None:
    name = own_assistant(server_url, "chat")
    app = make_app(settings_for(server_url))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await pick(pilot, "chat", name)
        assert isinstance(app.focused, Composer)  # Enter sends at once
        await send(pilot, "hello there")
        await wait_for(pilot, lambda: run_started(screen), "the run to start")
        await settle(pilot, screen)

        texts = [(m.role, m.text) for m in screen.transcript.messages]
        assert texts == [
            ("human", "hello there"),
            ("ai", "You said: hello there. Here is a streamed answer."),
        ]
        assert "You said: hello there. Here is a streamed answer." in view_text(screen)
        assert screen.thread_id is not None
        pane = screen.query_one(ThreadPane)
        row = pane.get(screen.thread_id)
        assert row is not None and row.title == "hello there"
        await wait_for(pilot, lambda: pane.get(screen.thread_id).status == "idle", "idle badge")
        assert thread_rows(screen)[0].startswith("● hello there\n  idle")
        assert screen.status_bar.status == "done"
        assert screen.status_bar.ttft is not None
        assert screen.composer.text == ""
        assert screen.composer.input_history[-1] == "hello there"
        # the event log recorded every raw event (it is hidden: buffered only)
        assert screen.event_log.count > 3

        # a second message goes to the same thread
        thread_id = screen.thread_id
        await send(pilot, "again")
        await wait_for(pilot, lambda: screen.running, "the second run")
        await settle(pilot, screen)
        assert screen.thread_id == thread_id
        assert [m.role for m in screen.transcript.messages] == ["human", "ai", "human", "ai"]
        assert len(pane.threads) == 1


async def test_agent_run_shows_a_tool_call_block(server_url: str) -> None:
    name = own_assistant(server_url, "agent")
    app = make_app(settings_for(server_url))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await pick(pilot, "agent", name)
        await send(pilot, "weather?")
        await wait_for(pilot, lambda: run_started(screen), "the run to start")
        await settle(pilot, screen)

        messages = screen.transcript.messages
        calls = [c for m in messages for c in m.tool_calls]
        assert [c.name for c in calls] == ["get_weather"]
        assert calls[0].args == {"city": "Paris"}
        tool = next(m for m in messages if m.role == "tool")
        assert tool.text == "Sunny, 21 °C in Paris."
        assert messages[-1].text.startswith("The weather tool says: Sunny, 21 °C in Paris.")
        shown = view_text(screen)
        assert "get_weather" in shown
        assert "The weather tool says" in shown


async def test_a_failing_graph_shows_the_error(server_url: str) -> None:
    name = own_assistant(server_url, "fail")
    app = make_app(settings_for(server_url))
    notes = Recorder()
    async with app.run_test(size=(120, 40), message_hook=notes) as pilot:
        screen = await pick(pilot, "fail", name)
        await send(pilot, "go")
        await wait_for(pilot, lambda: run_started(screen), "the run to start")
        await settle(pilot, screen)
        assert screen.transcript.stop == "error"
        assert screen.status_bar.status == "error"
        assert notes.saw("kaboom from node")
        assert "kaboom from node" in view_text(screen)
        pane = screen.query_one(ThreadPane)
        await wait_for(pilot, lambda: pane.get(screen.thread_id).status == "error", "error badge")


async def test_markup_and_escape_sequences_are_shown_literally(server_url: str) -> None:
    hostile = "[bold]x[/] [@click=app.quit]quit[/] \x1b]0;PWNED\x07\x1b[2J[/bold] end"
    name = own_assistant(server_url, "chat")
    app = make_app(settings_for(server_url))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await pick(pilot, "chat", name)
        await send(pilot, hostile)
        await wait_for(pilot, lambda: run_started(screen), "the run to start")
        await settle(pilot, screen)
        assert app.is_running  # no MarkupError, no quit action
        shown = view_text(screen)
        assert "[bold]x[/] [@click=app.quit]quit[/]" in shown
        assert "\x1b" not in shown and "PWNED" not in shown
        row = thread_rows(screen)[0]
        assert "[bold]x[/] [@click=app.quit]quit[/]" in row
        assert "\x1b" not in row and "\x07" not in row
        assert "\x1b" not in screen.status_bar.thread

        # a thread made elsewhere with a hostile title is listed safely too (the server keeps
        # no assistant_id given at creation: a run of the assistant on the thread sets it)
        made = httpx.post(
            f"{server_url}/threads",
            json={"metadata": {"title": "[red on red]hidden[/] \x1b[31mred"}},
        )
        made.raise_for_status()
        httpx.post(
            f"{server_url}/threads/{made.json()['thread_id']}/runs/wait",
            json={
                "assistant_id": screen.assistant.assistant_id,
                "input": {"messages": [{"role": "user", "content": "hi"}]},
            },
            timeout=60,
        ).raise_for_status()
        screen.load_threads()
        await wait_for(
            pilot,
            lambda: len(screen.thread_pane.threads) == 2,
            f"the new thread {screen.thread_pane.threads}",
        )
        assert any("[red on red]hidden[/] red" in r for r in thread_rows(screen)), thread_rows(
            screen
        )
