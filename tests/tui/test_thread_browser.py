"""The thread browser against the real server, in a host that is not the main screen."""

from __future__ import annotations

from pathlib import Path

import pytest
from tui_host import HostApp, Services, own_assistant, own_thread

from bbot_tui.api.errors import NotFound
from bbot_tui.api.models import Assistant
from bbot_tui.tui.screens import thread_browser


def _app(url: str, tmp_path: Path, **profile: object) -> HostApp:
    return HostApp(Services(url, **profile), tmp_path / "runs.json")


def _ids(app: HostApp) -> list[str]:
    return [t.thread_id for t in app.host.thread_pane.threads]


async def _select(app: HostApp, graph_id: str = "chat") -> Assistant:
    created = own_assistant(app.host.services.url, graph_id)
    assistant = await app.host.services.client.assistants.get(created["assistant_id"])
    app.host.threads.select_assistant(assistant)
    return assistant


async def test_load_assistants_restores_the_last_assistant_and_thread(
    server_url: str, tmp_path: Path
) -> None:
    mine = own_assistant(server_url, "chat")
    thread_id = own_thread(server_url, mine["assistant_id"], "restored")
    app = _app(
        server_url,
        tmp_path,
        last_assistant_id=mine["assistant_id"],
        last_thread_id=thread_id,
    )
    async with app.run_test():
        host = app.host
        choice = await host.threads.load_assistants(restore=True)
        assert choice is not None
        assert choice.assistant.assistant_id == mine["assistant_id"]
        assert choice.thread_id == thread_id
        assert mine["assistant_id"] in [a.assistant_id for a in host.assistant_pane.assistants]
        assert host.status_bar.notice == ""
        # without restore the list is loaded and nothing is chosen
        assert await host.threads.load_assistants() is None
        assert host.threads.assistant is None


async def test_an_unknown_last_assistant_falls_back_to_the_first_without_a_thread(
    server_url: str, tmp_path: Path
) -> None:
    app = _app(server_url, tmp_path, last_assistant_id="gone", last_thread_id="also-gone")
    async with app.run_test():
        host = app.host
        choice = await host.threads.load_assistants(restore=True)
        assert choice is not None
        assert choice.assistant == host.assistant_pane.assistants[0]
        assert choice.thread_id is None


async def test_selecting_an_assistant_marks_names_remembers_and_empties_the_list(
    server_url: str, tmp_path: Path
) -> None:
    app = _app(server_url, tmp_path)
    async with app.run_test():
        host = app.host
        services = host.services
        host.thread_pane.set_threads([], has_more=True)
        assistant = await _select(app)
        assert host.threads.assistant is assistant
        assert host.assistant_pane.current_id == assistant.assistant_id
        assert host.status_bar.assistant == assistant.label
        assert services.profile is not None
        assert services.profile.last_assistant_id == assistant.assistant_id
        assert services.saves == 1
        assert host.thread_pane.threads == [] and host.thread_pane.has_more is False
        host.threads.select_assistant(assistant)  # the same again: nothing new to save
        assert services.saves == 1
        host.threads.set_current("t-1", remember=False)
        host.threads.clear()  # another profile: nothing of this server stays
        assert host.threads.assistant is None and host.threads.thread_id is None
        assert host.assistant_pane.assistants == [] and host.assistant_pane.current_id is None
        assert host.thread_pane.threads == [] and host.thread_pane.current_id is None
        assert host.status_bar.assistant == "" and host.status_bar.thread == ""


async def test_pages_of_the_assistants_threads_under_a_status_filter(
    server_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(thread_browser, "THREAD_PAGE", 2)
    app = _app(server_url, tmp_path)
    async with app.run_test():
        host = app.host
        browser = host.threads
        await browser.load_page()  # no assistant: nothing is asked
        assert host.thread_pane.threads == []
        assistant = await _select(app)
        other = own_assistant(server_url, "chat")
        own_thread(server_url, other["assistant_id"], "not mine")
        made = [own_thread(server_url, assistant.assistant_id, f"t{i}") for i in range(3)]
        await browser.load_page()
        assert len(_ids(app)) == 2 and host.thread_pane.has_more
        await browser.load_page(append=True)
        assert sorted(_ids(app)) == sorted(made) and not host.thread_pane.has_more
        await browser.load_page()  # the first page again replaces the list
        assert len(_ids(app)) == 2
        browser.status_filter = "busy"
        await browser.load_page()
        assert _ids(app) == []
        browser.status_filter = "idle"
        await browser.load_page(append=False)
        await browser.load_page(append=True)
        assert sorted(_ids(app)) == sorted(made)


async def test_the_open_thread_is_marked_named_and_remembered(
    server_url: str, tmp_path: Path
) -> None:
    app = _app(server_url, tmp_path)
    async with app.run_test():
        host = app.host
        browser = host.threads
        services = host.services
        assert services.profile is not None
        assistant = await _select(app)
        saves = services.saves
        first = own_thread(server_url, assistant.assistant_id, "first")
        browser.set_current(first, remember=False)
        assert browser.thread_id == first and host.thread_pane.current_id == first
        assert services.profile.last_thread_id is None and services.saves == saves
        browser.set_current(first)
        assert services.profile.last_thread_id == first and services.saves == saves + 1
        browser.set_current(first)
        assert services.saves == saves + 1

        client = services.client
        second = await client.threads.create(
            metadata={"assistant_id": assistant.assistant_id, "title": "second"}
        )
        browser.created(second)
        assert browser.thread_id == second.thread_id
        assert _ids(app)[0] == second.thread_id
        assert host.thread_pane.current_id == second.thread_id
        assert host.status_bar.thread == "second"
        assert services.profile.last_thread_id == second.thread_id

        # shown: read again from the server, its row is refreshed in place
        await browser.load_page()
        order = _ids(app)
        browser.shown(await client.threads.get(first))
        assert _ids(app) == order
        assert host.status_bar.thread == "first"
        # a thread of another assistant is named but not listed
        other = own_assistant(server_url, "chat")
        stranger = await client.threads.get(own_thread(server_url, other["assistant_id"], "x"))
        assert not browser.belongs(stranger)
        browser.shown(stranger)
        assert _ids(app) == order and host.status_bar.thread == "x"


async def test_refresh_lists_only_the_assistants_threads(server_url: str, tmp_path: Path) -> None:
    app = _app(server_url, tmp_path)
    async with app.run_test():
        host = app.host
        assistant = await _select(app)
        mine = own_thread(server_url, assistant.assistant_id, "mine")
        other = own_assistant(server_url, "chat")
        theirs = own_thread(server_url, other["assistant_id"], "theirs")
        await host.threads.refresh(theirs)
        assert _ids(app) == []
        await host.threads.refresh(mine)
        assert _ids(app) == [mine]
        assert host.threads.title(mine) == "mine"
        assert host.threads.title(theirs) == ""


async def test_rename_copy_and_delete(server_url: str, tmp_path: Path) -> None:
    app = _app(server_url, tmp_path)
    async with app.run_test():
        host = app.host
        browser = host.threads
        assistant = await _select(app)
        kept = own_thread(server_url, assistant.assistant_id, "kept")
        opened = own_thread(server_url, assistant.assistant_id, "opened")
        await browser.load_page()
        browser.set_current(opened)

        await browser.rename(opened, "renamed")
        assert browser.title(opened) == "renamed"
        assert host.status_bar.thread == "renamed"  # the open thread's name follows
        await browser.rename(kept, "kept too")
        assert host.status_bar.thread == "renamed"

        await browser.copy(kept, "kept too")
        copy_id = _ids(app)[0]
        assert copy_id not in (kept, opened)
        assert browser.title(copy_id) == "copy of kept too"
        # a fork, said so: "Copied" read as a clipboard copy (issue 11 §14)
        assert host.notes[-1] == ("information", "Forked 'kept too' into a new thread.")

        assert await browser.delete(kept, "kept too") is False
        assert await browser.delete(opened, "renamed") is True  # the open one
        assert sorted(_ids(app)) == [copy_id]
        assert host.notes[-1] == ("information", "Deleted 'renamed'.")
        client = host.services.client
        assert (await client.threads.get(copy_id)).title == "copy of kept too"
        for gone in (kept, opened):
            with pytest.raises(NotFound):
                await client.threads.get(gone)
