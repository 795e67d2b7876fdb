"""The first hour of a new user, finding their threads: the thread list by keyboard, its status
filter, and threads made by the CLI (issue 11).

Against the real local server; the CLI runs as a subprocess, like a user's shell would run it.
Each test reproduces a bug a new user met and failed before its fix.
"""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import httpx
from app_pilot import own_assistant, pick, send, settings_for, settle, thread_rows, wait_for
from textual.pilot import Pilot

from bbot_tui.tui.app import make_app
from bbot_tui.tui.screens.main import MainScreen
from bbot_tui.tui.widgets.thread_pane import STATUSES


def _cli(*argv: str) -> subprocess.CompletedProcess[str]:
    """``bbot-tui ARGV`` in a subprocess (the user's settings folder is the test's own)."""
    return subprocess.run(
        [sys.executable, "-m", "bbot_tui", *argv],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def _with_threads(pilot: Pilot[Any], name: str, *texts: str) -> MainScreen:
    """Pick the assistant, send each text in a new thread, end on a new conversation."""
    screen = await pick(pilot, "chat", name)
    for text in texts:
        await pilot.press("ctrl+n")
        await send(pilot, text)
        await wait_for(pilot, lambda: screen.thread_id is not None, "the thread to be made")
        await settle(pilot, screen)
    await pilot.press("ctrl+n")
    await wait_for(pilot, lambda: screen.thread_id is None, "a new conversation")
    await wait_for(pilot, lambda: len(screen.thread_pane.threads) == len(texts), "the threads")
    return screen


def _thread_made_elsewhere(url: str, name: str, title: str) -> str:
    """A thread of the assistant made outside the app (one run of it), as a returning user has."""
    found = httpx.post(f"{url}/assistants/search", json={"name": name}, timeout=30).json()
    assistant_id = next(a["assistant_id"] for a in found if a["name"] == name)
    thread = httpx.post(f"{url}/threads", json={"metadata": {"title": title}}, timeout=30).json()
    body = {
        "assistant_id": assistant_id,
        "input": {"messages": [{"role": "user", "content": title}]},
    }
    run = httpx.post(f"{url}/threads/{thread['thread_id']}/runs/wait", json=body, timeout=60)
    run.raise_for_status()
    return str(thread["thread_id"])


async def test_enter_on_the_focused_thread_list_opens_a_thread(server_url: str) -> None:
    name = own_assistant(server_url, "chat")
    older = _thread_made_elsewhere(server_url, name, "older")
    newest = _thread_made_elsewhere(server_url, name, "newest")
    app = make_app(settings_for(server_url), persist=False)
    async with app.run_test(size=(140, 42)) as pilot:
        screen = await pick(pilot, "chat", name)  # a new conversation: no row is the open one
        await wait_for(pilot, lambda: len(screen.thread_pane.threads) == 2, "the threads")
        assert [t.thread_id for t in screen.thread_pane.threads] == [newest, older]
        screen.query_one("#thread-list").focus()
        await pilot.pause()
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.thread_id == newest, "Enter to open a thread")


async def test_down_in_a_search_box_moves_into_its_list(server_url: str) -> None:
    name = own_assistant(server_url, "chat")
    app = make_app(settings_for(server_url), persist=False)
    async with app.run_test(size=(140, 42)) as pilot:
        screen = await _with_threads(pilot, name, "alpha", "beta")
        screen.query_one("#thread-search").focus()
        await pilot.press(*"alp", "down", "enter")
        alpha = next(t.thread_id for t in screen.thread_pane.threads if t.title == "alpha")
        await wait_for(pilot, lambda: screen.thread_id == alpha, "the searched thread to open")
        # the same in the assistant pane: type, Down, Enter
        screen.query_one("#assistant-search").focus()
        await pilot.press(*name, "down")
        assert app.focused is screen.query_one("#assistant-list")
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.thread_id is None, "the assistant picked again")


async def test_the_status_drop_down_opens_full_height_and_opaque(server_url: str) -> None:
    name = own_assistant(server_url, "chat")
    app = make_app(settings_for(server_url), persist=False)
    async with app.run_test(size=(140, 42)) as pilot:
        screen = await _with_threads(pilot, name, "under the menu")
        screen.query_one("#thread-status").focus()
        await pilot.press("enter")
        overlay = screen.query_one("#thread-status SelectOverlay")
        await wait_for(pilot, lambda: overlay.display and overlay.region.height > 1, "the menu")
        await pilot.pause()
        assert overlay.region.height >= len(STATUSES) + 1  # "any status" and every status
        assert overlay.styles.background.a > 0  # it hides the title it is drawn over


async def test_a_status_filter_without_a_match_says_so(server_url: str) -> None:
    name = own_assistant(server_url, "chat")
    app = make_app(settings_for(server_url), persist=False)
    async with app.run_test(size=(140, 42)) as pilot:
        screen = await _with_threads(pilot, name, "an idle thread")
        select: Any = screen.query_one("#thread-status")
        select.value = "error"
        await wait_for(pilot, lambda: screen.thread_pane.threads == [], "the filtered list")
        await pilot.pause()
        [row] = thread_rows(screen)
        assert "no threads yet" not in row and "type a message" not in row
        assert row.startswith("no error thread"), row


async def test_cli_threads_are_titled_and_no_two_threads_share_a_label(server_url: str) -> None:
    name = own_assistant(server_url, "chat")
    for _ in range(2):  # the same message twice, within the same minute
        done = _cli("run", "--url", server_url, "--assistant", name, "--message", "hi from cli")
        assert done.returncode == 0, done.stderr
    app = make_app(settings_for(server_url), persist=False)
    async with app.run_test(size=(140, 42)) as pilot:
        screen = await pick(pilot, "chat", name)
        await wait_for(pilot, lambda: len(screen.thread_pane.threads) == 2, "the CLI's threads")
        await pilot.pause()
        threads = screen.thread_pane.threads
        assert [t.title for t in threads] == ["hi from cli", "hi from cli"]  # titled like ours
        from bbot_tui.api.models import Thread
        from bbot_tui.session.titles import distinct_labels, short_id

        rows = [row.split("\n")[0].strip() for row in thread_rows(screen)]
        assert len(set(rows)) == 2, rows
        for thread, row in zip(threads, rows, strict=True):
            assert row.startswith("hi from cli") and short_id(thread.thread_id) in row

    # untitled threads made in the same minute: their UUIDv7 heads repeat, their labels do not
    untitled = [
        httpx.post(f"{server_url}/threads", json={"metadata": {}}, timeout=30).json()
        for _ in range(2)
    ]
    assert untitled[0]["thread_id"][:8] == untitled[1]["thread_id"][:8]
    labels = distinct_labels(Thread.model_validate(t) for t in untitled)
    assert len(set(labels.values())) == 2, labels
