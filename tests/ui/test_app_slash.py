"""Slash commands in the composer, against the real local server: the completion popup, every
command, unknown commands (nothing sent, text kept) and ``//`` for a message starting with ``/``.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import httpx
import pytest
from app_pilot import Recorder, own_assistant, pick, send, settings_for, settle, wait_for
from textual.app import App, ComposeResult

from bbot_tui.session.slash import SLASH_COMMANDS
from bbot_tui.tui.app import make_app
from bbot_tui.tui.screens.breakpoints import BreakpointsScreen
from bbot_tui.tui.screens.history import HistoryScreen
from bbot_tui.tui.screens.run_options import RunOptionsScreen
from bbot_tui.tui.screens.thread_picker import ThreadPickerScreen
from bbot_tui.tui.widgets.composer import Composer


async def _chat(pilot: Any, screen: Any, text: str) -> None:
    await send(pilot, text)
    await wait_for(pilot, lambda: screen.running or screen.transcript.messages, "the run")
    await settle(pilot, screen)


async def test_the_popup_offers_commands_as_soon_as_slash_is_typed(server_url: str) -> None:
    name = own_assistant(server_url, "chat")
    app = make_app(settings_for(server_url))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await pick(pilot, "chat", name)
        popup = screen.completion_list
        screen.composer.focus()
        await pilot.press("/")
        await wait_for(pilot, lambda: popup.display, "the popup")
        assert popup.option_count == len(SLASH_COMMANDS)
        await pilot.press("t", "h")
        await wait_for(pilot, lambda: popup.option_count == 2, "two commands left")
        assert screen.composer.suggestion == "read "  # Textual's own inline suggestion
        await pilot.press("down", "tab")  # /theme, taken without running it
        assert screen.composer.text == "/theme "
        await wait_for(pilot, lambda: not popup.display, "the popup to hide")
        screen.composer.clear()
        await pilot.press("/", "h", "e", "l", "enter")  # a command without argument runs
        await wait_for(pilot, lambda: screen.composer.text == "", "the command to run")
        await pilot.press("/", "x", "escape")
        await wait_for(pilot, lambda: not popup.display, "Esc hides the popup")
        assert screen.composer.text == "/x"


async def test_unknown_commands_send_nothing_and_double_slash_sends_a_slash(
    server_url: str,
) -> None:
    name = own_assistant(server_url, "chat")
    notes = Recorder()
    app = make_app(settings_for(server_url))
    async with app.run_test(size=(120, 40), message_hook=notes) as pilot:
        screen = await pick(pilot, "chat", name)
        await send(pilot, "/etc/hosts is empty")
        await wait_for(pilot, lambda: notes.saw("Unknown command /etc/hosts"), "the refusal")
        assert screen.composer.text == "/etc/hosts is empty"  # kept
        assert screen.thread_id is None and not screen.transcript.messages  # nothing sent
        await send(pilot, "/search")
        await wait_for(pilot, lambda: notes.saw("It needs TEXT"), "the missing argument")
        await _chat(pilot, screen, "//etc/hosts is empty")
        assert [m.text for m in screen.transcript.messages if m.role == "human"] == [
            "/etc/hosts is empty"
        ]


async def test_new_thread_resume_and_title(server_url: str) -> None:
    name = own_assistant(server_url, "chat")
    app = make_app(settings_for(server_url))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await pick(pilot, "chat", name)
        await _chat(pilot, screen, "first thread")
        first = screen.thread_id
        assert first is not None

        await send(pilot, "/new")
        await wait_for(pilot, lambda: screen.thread_id is None, "a new conversation")
        assert not screen.transcript.messages

        # /thread on a new conversation creates the thread with that title, on the server
        await send(pilot, "/thread Trip to Lyon")
        await wait_for(pilot, lambda: screen.thread_id is not None, "the titled thread")
        second = screen.thread_id
        thread = httpx.get(f"{server_url}/threads/{second}", timeout=30).json()
        assert thread["metadata"]["title"] == "Trip to Lyon"
        await send(pilot, "/thread Trip to Nice")  # and renames an open one
        await wait_for(
            pilot,
            lambda: (
                httpx.get(f"{server_url}/threads/{second}", timeout=30).json()["metadata"]["title"]
                == "Trip to Nice"
            ),
            "the new title",
        )

        await send(pilot, "/resume first")
        await wait_for(pilot, lambda: isinstance(app.screen, ThreadPickerScreen), "the picker")
        picker = app.screen
        assert isinstance(picker, ThreadPickerScreen)
        assert [t.thread_id for t in picker.matching("first")] == [first]
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.thread_id == first, "the first thread again")
        await settle(pilot, screen)
        assert screen.transcript.messages[0].text == "first thread"


async def test_assistant_options_history_breakpoints_theme_and_help(server_url: str) -> None:
    chat = own_assistant(server_url, "chat")
    other = own_assistant(server_url, "steps")
    notes = Recorder()
    app = make_app(settings_for(server_url))
    async with app.run_test(size=(120, 40), message_hook=notes) as pilot:
        screen = await pick(pilot, "chat", chat)
        await wait_for(
            pilot,
            lambda: any(a.name == other for a in screen.assistant_pane.assistants),
            "both assistants listed",
        )
        await send(pilot, f"/assistant {other}")
        await wait_for(
            pilot, lambda: screen.assistant and screen.assistant.name == other, "the switch"
        )
        await send(pilot, "/assistant nobody-by-that-name")
        await wait_for(pilot, lambda: notes.saw("No assistant is called"), "the refusal")

        await send(pilot, "/options")
        await wait_for(pilot, lambda: isinstance(app.screen, RunOptionsScreen), "run options")
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen, "back")

        await send(pilot, "/breakpoints")
        await wait_for(pilot, lambda: isinstance(app.screen, BreakpointsScreen), "breakpoints")
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen, "back")

        await send(pilot, "/history")
        await wait_for(pilot, lambda: notes.saw("Open a thread first"), "no thread yet")
        await _chat(pilot, screen, "hello")
        await send(pilot, "/history")
        await wait_for(pilot, lambda: isinstance(app.screen, HistoryScreen), "the history")
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen, "back")

        await send(pilot, "/theme nord")
        await wait_for(pilot, lambda: app.theme == "nord", "the theme")
        await send(pilot, "/theme nrod")
        await wait_for(pilot, lambda: notes.saw("Did you mean nord"), "the suggestion")
        assert app.theme == "nord"

        await send(pilot, "/help")
        await wait_for(pilot, lambda: notes.saw("/export [FILE]"), "the help")


async def test_export_writes_the_open_thread(server_url: str, tmp_path: Path) -> None:
    name = own_assistant(server_url, "chat")
    notes = Recorder()
    app = make_app(settings_for(server_url))
    async with app.run_test(size=(120, 40), message_hook=notes) as pilot:
        screen = await pick(pilot, "chat", name)
        screen.chat.export_folder = tmp_path
        await send(pilot, "/export")
        await wait_for(pilot, lambda: notes.saw("Nothing to export yet"), "nothing yet")
        await _chat(pilot, screen, "export me")
        await send(pilot, "/export talk.html")
        target = tmp_path / "talk.html"
        await wait_for(pilot, lambda: notes.saw("Exported 2 messages (html)"), "the export")
        page = target.read_text()
        assert page.startswith("<!DOCTYPE html>") and "export me" in page
        assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
        await send(pilot, "/export")  # the default name, Markdown
        assert screen.thread_id is not None
        default = tmp_path / f"thread-{screen.thread_id[:8]}.md"
        await wait_for(pilot, default.exists, "the Markdown export")
        assert "You said: export me" in default.read_text()


async def test_search_command_opens_the_search_with_its_count(server_url: str) -> None:
    name = own_assistant(server_url, "chat")
    app = make_app(settings_for(server_url))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await pick(pilot, "chat", name)
        await _chat(pilot, screen, "apples and more apples")
        await send(pilot, "/search apples")
        await wait_for(pilot, lambda: screen.search_bar.is_open, "the search bar")
        # the human message twice, the echoed answer twice
        await wait_for(pilot, lambda: screen.search_bar.count[1] == 4, "four matches")
        first = screen.search_bar.count[0]
        await pilot.press("enter")  # the next match
        await wait_for(
            pilot, lambda: screen.search_bar.count == (first % 4 + 1, 4), "the next match"
        )
        await pilot.press("shift+enter")
        await wait_for(pilot, lambda: screen.search_bar.count == (first, 4), "back")
        await pilot.press("escape")
        await wait_for(pilot, lambda: not screen.search_bar.is_open, "the bar to close")
        assert screen.composer.has_focus
        view: Any = screen.query_one("#message-view")
        assert view.search_status == ("", 0, 0)

        await pilot.press("ctrl+f")  # the key opens the same search
        await wait_for(pilot, lambda: screen.search_bar.is_open, "the search bar again")
        await pilot.press(*"streamed")
        await wait_for(pilot, lambda: screen.search_bar.count == (1, 1), "one match")
        field = screen.query_one("#search-input")
        assert field.size.height == 1 and "streamed" in field.render_line(0).text  # typed, seen


async def test_textual_autocomplete_cannot_target_the_composer() -> None:
    """Why the completion list is Textual's own: textual-autocomplete 4 drives an ``Input``
    only (it reads ``value``/``cursor_position`` and asserts its target is an ``Input``), and
    the composer is a multi-line ``TextArea``. If a release learns TextArea, this fails: then
    switch to it."""
    from textual_autocomplete import AutoComplete

    class Probe(App[None]):
        def compose(self) -> ComposeResult:
            yield Composer(id="composer")
            yield AutoComplete(target="#composer", candidates=["/new"])

    with pytest.raises(AssertionError):
        async with Probe().run_test() as pilot:
            await pilot.press("/")
