"""Getting around by keyboard in the first hour (issue 11): the quick switcher (command palette
entries for every assistant and the recent threads, ``ctrl+a`` / ``ctrl+r``), the narrow
overlay closing on a choice, a search filter that would hide the choice, the assistant a new
profile starts on, and the hint the dismissed welcome leaves. Real server, driven with Pilot.
"""

from __future__ import annotations

from typing import Any

import httpx
from app_pilot import Recorder, own_assistant, pick, ready, settings_for, wait_for
from textual.command import CommandPalette
from textual.pilot import Pilot

from bbot_tui.config.settings import Profile, Settings
from bbot_tui.tui.app import make_app
from bbot_tui.tui.screens.main import MainScreen


def _thread_of(url: str, name: str, title: str) -> str:
    """A thread of the named assistant, made outside the app (one run)."""
    found = httpx.post(f"{url}/assistants/search", json={"name": name}, timeout=30).json()
    assistant_id = next(a["assistant_id"] for a in found if a["name"] == name)
    thread = httpx.post(f"{url}/threads", json={"metadata": {"title": title}}, timeout=30).json()
    body = {"assistant_id": assistant_id, "input": {"messages": [{"role": "user", "content": "x"}]}}
    httpx.post(f"{url}/threads/{thread['thread_id']}/runs/wait", json=body, timeout=60)
    return str(thread["thread_id"])


async def _palette(pilot: Pilot[Any], key: str) -> CommandPalette:
    await pilot.press(key)
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, CommandPalette), "the palette")
    await pilot.pause(0.2)
    return pilot.app.screen  # type: ignore[return-value]


async def _shown(pilot: Pilot[Any], palette: CommandPalette) -> list[str]:
    """The entries the palette lists now (after its search settled)."""
    await pilot.pause(0.6)
    options: Any = palette.query_one("CommandList")
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]


async def test_the_palette_lists_every_assistant_and_the_recent_threads(server_url: str) -> None:
    name = own_assistant(server_url, "chat")
    other = own_assistant(server_url, "chat")
    _thread_of(server_url, name, "groceries for the week")
    app = make_app(settings_for(server_url), persist=False)
    async with app.run_test(size=(140, 42)) as pilot:
        screen = await pick(pilot, "chat", name)
        await wait_for(pilot, lambda: screen.thread_pane.threads, "the thread list")
        palette = await _palette(pilot, "ctrl+p")
        await pilot.press(*"groc week")  # fuzzy: not one run of letters
        entries = await _shown(pilot, palette)
        assert any("thread: groceries for the week" in e for e in entries), entries
        await pilot.press("ctrl+u", *other[-6:])
        entries = await _shown(pilot, palette)
        assert any(f"assistant: {other}" in e for e in entries), entries
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.assistant and screen.assistant.name == other, "it")
        assert app.focused is screen.composer


async def test_ctrl_a_switches_assistant_and_clears_a_search_that_hid_it(server_url: str) -> None:
    name = own_assistant(server_url, "chat")
    other = own_assistant(server_url, "chat")
    app = make_app(settings_for(server_url), persist=False)
    async with app.run_test(size=(140, 42)) as pilot:
        screen = await pick(pilot, "chat", name)  # the search box still says its name
        search: Any = screen.query_one("#assistant-search")
        assert search.value == name
        screen.composer.focus()
        palette = await _palette(pilot, "ctrl+a")  # from the composer: ctrl+a is not home
        await pilot.press(*other)
        entries = await _shown(pilot, palette)
        assert entries and all(e.startswith("assistant: ") for e in entries), entries
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.assistant and screen.assistant.name == other, "it")
        assert search.value == ""  # the search that would hide it is gone
        listed = screen.query_one("#assistant-list")
        highlighted: Any = listed.highlighted_option  # type: ignore[attr-defined]
        assert highlighted is not None and highlighted.id == screen.assistant.assistant_id


async def test_ctrl_r_opens_a_recent_thread_and_closes_the_narrow_overlay(
    server_url: str,
) -> None:
    name = own_assistant(server_url, "chat")
    older = _thread_of(server_url, name, "the tax return")
    _thread_of(server_url, name, "holiday plans")
    app = make_app(settings_for(server_url), persist=False)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await pick(pilot, "chat", name)
        await wait_for(pilot, lambda: len(screen.thread_pane.threads) == 2, "the threads")
        palette = await _palette(pilot, "ctrl+r")
        entries = await _shown(pilot, palette)
        assert [e.split("\n")[0] for e in entries] == [
            "thread: holiday plans",
            "thread: the tax return",
        ]
        await pilot.press(*"tax", "enter")
        await wait_for(pilot, lambda: screen.thread_id == older, "the thread to open")

        # the narrow overlay (ctrl+b): Enter on a thread opens it and goes back to the conversation
        await pilot.press("ctrl+b")
        assert screen.has_class("-side-open")
        screen.query_one("#thread-list").focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: not screen.has_class("-side-open"), "the overlay to close")
        assert screen.query_one("#center").display and app.focused is screen.composer


async def test_a_new_profile_starts_on_its_last_assistant_or_the_first_with_a_note(
    server_url: str,
) -> None:
    name = own_assistant(server_url, "chat")
    found = httpx.post(f"{server_url}/assistants/search", json={"name": name}, timeout=30).json()
    last = found[0]["assistant_id"]
    settings = Settings(
        profiles={
            "used": Profile(name="used", base_url=server_url, last_assistant_id=last),
            "new": Profile(name="new", base_url=server_url),
        },
        active_profile="used",
    )
    recorder = Recorder()
    app = make_app(settings, persist=False)
    async with app.run_test(size=(140, 42), message_hook=recorder) as pilot:
        screen = await ready(pilot)
        await wait_for(pilot, lambda: screen.assistant is not None, "the last assistant")
        assert screen.assistant is not None and screen.assistant.assistant_id == last
        assert not recorder.saw("the first assistant")
        await app.activate_profile("new", announce=True)
        await wait_for(pilot, lambda: recorder.saw("the first assistant"), "the note")
        first = screen.assistant_pane.assistants[0]
        await wait_for(pilot, lambda: screen.assistant == first, "the first assistant")
        assert recorder.saw("ctrl+a switches")


async def test_the_dismissed_welcome_says_how_to_connect_or_see_the_demo() -> None:
    app = make_app(Settings(), persist=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await app.ready.wait()
        from bbot_tui.tui.screens.connection import ConnectionScreen

        await wait_for(pilot, lambda: isinstance(app.screen, ConnectionScreen), "the welcome")
        await pilot.press("escape")
        screen: MainScreen = app.main_screen
        await wait_for(pilot, lambda: app.screen is screen, "the main screen")
        await pilot.pause()
        hint = str(screen.empty_hint.render())
        assert screen.empty_hint.display
        assert "F3" in hint and "bbot-tui demo" in hint, hint
        assert "F3" in screen.status_bar.notice
