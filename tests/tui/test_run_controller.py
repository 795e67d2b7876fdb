"""The run controller against the real server, in a host that is not the main screen."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest
from tui_host import HostApp, HostScreen, Services, own_assistant, own_thread

from bbot_tui.api.errors import ConfigError
from bbot_tui.api.models import Assistant
from bbot_tui.session.run_options import RunOptions
from bbot_tui.tui.screens.run_controller import RememberedRun, RunPlan

SUPPORT = Path(__file__).resolve().parents[1] / "support"
if str(SUPPORT) not in sys.path:
    sys.path.insert(0, str(SUPPORT))

from faultproxy import FaultProxy  # noqa: E402

ANSWER = "You said: hello. Here is a streamed answer."
"""The chat graph's answer to "hello"."""


def _app(url: str, tmp_path: Path) -> HostApp:
    return HostApp(Services(url), tmp_path / "runs.json")


async def _select(host: HostScreen, graph_id: str = "chat", **configurable: object) -> Assistant:
    created = own_assistant(host.services.url, graph_id, configurable=configurable or None)
    assistant = await host.services.client.assistants.get(created["assistant_id"])
    host.threads.select_assistant(assistant)
    host.runs.install(None)
    return assistant


async def _until(condition: object, what: str) -> None:
    for _ in range(1200):
        if callable(condition) and condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"gave up waiting for {what}")


async def test_install_gives_the_thread_a_fresh_transcript_and_session(
    server_url: str, tmp_path: Path
) -> None:
    app = _app(server_url, tmp_path)
    async with app.run_test():
        host = app.host
        runs = host.runs
        assert runs.session is None
        bar = host.status_bar
        bar.status, bar.notice, bar.ttft, bar.tokens_per_second, bar.rejoins = (
            "error",
            "old",
            1.0,
            2.0,
            3,
        )
        before = runs.transcript
        runs.install("t-1", remember=False)
        assert runs.transcript is not before and runs.session is not None
        assert host.threads.thread_id == "t-1" and host.thread_pane.current_id == "t-1"
        assert (bar.status, bar.notice, bar.ttft, bar.tokens_per_second, bar.rejoins) == (
            "idle",
            "",
            None,
            None,
            0,
        )
        assert host.event_log.count == 0
        assert host.calls == [("show_transcript", runs.transcript), ("sync_mode", None)]
        profile = host.services.profile
        assert profile is not None and profile.last_thread_id is None
        runs.install("t-2")
        assert profile.last_thread_id == "t-2"


async def test_run_options_are_remembered_per_assistant(server_url: str, tmp_path: Path) -> None:
    app = _app(server_url, tmp_path)
    async with app.run_test():
        host = app.host
        services = host.services
        runs = host.runs
        runs.store_options(RunOptions(mode="wait"))  # no assistant: nothing is stored
        assert services.settings is not None and services.settings.run_options == {}
        first = await _select(host)
        assert runs.options() == RunOptions()
        saves = services.saves
        runs.store_options(RunOptions(mode="wait", interrupt_before=["chat"]))
        assert services.saves == saves + 1
        assert runs.options().mode == "wait"
        assert runs.options().interrupt_before == ["chat"]
        await _select(host)
        assert runs.options() == RunOptions()
        host.threads.select_assistant(first)
        assert runs.options().mode == "wait"
        assert first.assistant_id in services.settings.run_options


async def test_a_message_creates_the_thread_streams_and_finishes(
    server_url: str, tmp_path: Path
) -> None:
    app = _app(server_url, tmp_path)
    async with app.run_test():
        host = app.host
        runs = host.runs
        assistant = await _select(host)
        host.calls.clear()
        await runs.execute(RunPlan("send", text="hello"))
        thread_id = host.threads.thread_id
        assert thread_id is not None
        assert [m.text for m in runs.transcript.messages] == ["hello", ANSWER]
        # running while the answer streams; ready (not running) from the reconciling phase on,
        # and never running again once it stopped
        seen = host.running_seen
        assert True in seen and seen[-1] is False and not host.running
        assert True not in seen[seen.index(False, seen.index(True)) :]
        bar = host.status_bar
        assert bar.status == "done" and bar.notice == "" and bar.rejoins == 0
        assert bar.ttft is not None and bar.thread == "hello"
        assert host.event_log.count > 0
        assert "show_interrupts" in host.names()
        assert host.calls[-2:] == [("sync_mode", None), ("refresh_thread", thread_id)]
        # the thread was created for the assistant, listed and remembered
        assert host.thread_pane.current_id == thread_id
        assert [t.thread_id for t in host.thread_pane.threads] == [thread_id]
        profile = host.services.profile
        assert profile is not None and profile.last_thread_id == thread_id
        thread = await host.services.client.threads.get(thread_id)
        assert (thread.metadata or {})["assistant_id"] == assistant.assistant_id
        # the run was written down while it streamed, and forgotten when it ended
        assert "drain_run_state" in host.names()
        await app.workers.wait_for_complete()
        assert host.ledger.pending == 0
        assert await host.ledger.remembered(server_url) == []
        assert await runs.remembered_run() is None


async def test_opening_a_thread_shows_its_messages(server_url: str, tmp_path: Path) -> None:
    app = _app(server_url, tmp_path)
    async with app.run_test():
        host = app.host
        runs = host.runs
        assistant = await _select(host)
        thread_id = own_thread(server_url, assistant.assistant_id, "hello")
        await runs.execute(RunPlan("open", thread_id=thread_id))
        assert [m.text for m in runs.transcript.messages] == ["hello", ANSWER]
        assert host.threads.thread_id == thread_id
        assert host.status_bar.thread == "hello" and host.status_bar.notice == ""
        assert host.running_seen == []  # an idle thread: nothing to follow
        assert [t.thread_id for t in host.thread_pane.threads] == [thread_id]


async def test_a_send_without_an_assistant_is_a_config_error(
    server_url: str, tmp_path: Path
) -> None:
    app = _app(server_url, tmp_path)
    async with app.run_test():
        host = app.host
        host.runs.install(None)
        with pytest.raises(ConfigError, match="pick an assistant first"):
            await host.runs.execute(RunPlan("send", text="hello"))
        assert host.running_seen == []


async def test_wait_mode_shows_waiting_then_done(server_url: str, tmp_path: Path) -> None:
    app = _app(server_url, tmp_path)
    async with app.run_test():
        host = app.host
        await _select(host)
        host.runs.store_options(RunOptions(mode="wait"))
        seen: list[str] = []

        def record(status: str) -> None:
            seen.append(status)

        host.status_bar.watch(host.status_bar, "status", record, init=False)
        await host.runs.execute(RunPlan("send", text="hello"))
        assert host.running_seen == [True, False]
        assert host.status_bar.status == "done"
        assert [m.text for m in host.runs.transcript.messages] == ["hello", ANSWER]
        await asyncio.sleep(0)
        assert "waiting" in seen


async def test_a_failed_run_is_notified(server_url: str, tmp_path: Path) -> None:
    app = _app(server_url, tmp_path)
    async with app.run_test():
        host = app.host
        await _select(host, "fail")
        await host.runs.execute(RunPlan("send", text="hello"))
        assert host.status_bar.status == "error"
        assert host.notes and host.notes[-1][0] == "error"
        assert "kaboom" in host.notes[-1][1]


async def test_stop_cancels_the_run_once(server_url: str, tmp_path: Path) -> None:
    app = _app(server_url, tmp_path)
    async with app.run_test():
        host = app.host
        runs = host.runs
        runs.stop()  # nothing streams: nothing happens
        assert host.status_bar.status == "idle" and "cancel_run" not in host.names()
        await _select(host, "slow", tokens=2000, delay=0.02)
        run = asyncio.create_task(runs.execute(RunPlan("send", text="hello")))
        session = runs.session
        assert session is not None
        await _until(lambda: session.run_id is not None and host.running, "the run")
        runs.stop()
        runs.stop()  # a second Esc does not cancel twice
        assert host.names().count("cancel_run") == 1
        assert host.status_bar.status in ("stopping", "stopped")
        await asyncio.wait_for(run, 60)
        assert host.status_bar.status == "stopped"
        assert host.status_bar.notice == "the run was stopped"
        assert host.running_seen[-1] is False


async def test_detach_leaves_the_run_going_and_it_is_offered_after_a_restart(
    server_url: str, tmp_path: Path
) -> None:
    app = _app(server_url, tmp_path)
    async with app.run_test():
        host = app.host
        runs = host.runs
        await _select(host, "slow", tokens=2000, delay=0.02)
        run = asyncio.create_task(runs.execute(RunPlan("send", text="hello")))
        session = runs.session
        assert session is not None
        await _until(lambda: session.run_id is not None and host.running, "the run")
        thread_id, run_id = host.threads.thread_id, session.run_id
        assert thread_id is not None and run_id is not None
        run.cancel()  # what the screen does: cancel the run worker
        with pytest.raises(asyncio.CancelledError):
            await run
        host.calls.clear()
        runs.detached()
        assert not host.running
        assert host.status_bar.status == "detached"
        assert "reopen the thread" in host.status_bar.notice
        assert host.calls == [
            ("refresh_thread", thread_id),
            ("watch_detached", (thread_id, run_id)),  # the row follows the run to its end
        ]
        note = runs.transcript.messages[-1]
        assert note.role == "note" and "detached" in note.text
        assert not any(m.streaming for m in runs.transcript.messages)
        client = host.services.client
        assert (await client.runs.get(thread_id, run_id)).status in ("pending", "running")
        await app.workers.wait_for_complete()

        # a new controller (the next start) offers it, then forgets it once declined
        remembered = await runs.remembered_run()
        assert remembered == RememberedRun(server_url, thread_id, run_id, remembered.status)
        assert remembered.status in ("pending", "running")
        await runs.forget(remembered)
        assert await runs.remembered_run() is None
        await client.runs.cancel(thread_id, run_id)


async def test_remembered_runs_that_ended_are_forgotten(server_url: str, tmp_path: Path) -> None:
    app = _app(server_url, tmp_path)
    async with app.run_test():
        host = app.host
        assistant = await _select(host)
        thread_id = own_thread(server_url, assistant.assistant_id, "done already")
        runs = await host.services.client.runs.list(thread_id)
        host.ledger.started(server_url, thread_id, runs[0].run_id)
        host.ledger.started(server_url, "no-such-thread", "no-such-run")
        await host.ledger.drain()
        assert len(await host.ledger.remembered(server_url)) == 2
        assert await host.runs.remembered_run() is None
        assert await host.ledger.remembered(server_url) == []


async def test_nothing_is_remembered_without_persistence(server_url: str, tmp_path: Path) -> None:
    services = Services(server_url, persist=False)
    app = HostApp(services, tmp_path / "runs.json")
    async with app.run_test():
        host = app.host
        await _select(host)
        await host.runs.execute(RunPlan("send", text="hello"))
        assert "drain_run_state" not in host.names()
        assert host.ledger.pending == 0
        host.ledger.started(server_url, "t", "r")
        await host.ledger.drain()
        assert await host.runs.remembered_run() is None  # not even looked at
        assert len(await host.ledger.remembered(server_url)) == 1


async def test_rejoins_are_counted_in_the_status_bar(server_url: str, tmp_path: Path) -> None:
    """Two cut streams: two rejoins shown, and the answer arrives whole."""
    port = int(server_url.rsplit(":", 1)[1])
    proxy = FaultProxy(
        "127.0.0.1",
        port,
        modes=("cut",),
        cut_after=(400, 900),
        arm_on="text/event-stream",
        max_faults=2,
    )
    proxied = f"http://127.0.0.1:{await proxy.start()}"
    try:
        app = HostApp(Services(proxied), tmp_path / "runs.json")
        async with app.run_test():
            host = app.host
            created = own_assistant(server_url, "slow", configurable={"tokens": 300})
            assistant = await host.services.client.assistants.get(created["assistant_id"])
            host.threads.select_assistant(assistant)
            host.runs.install(None)
            await host.runs.execute(RunPlan("send", text="hello"))
            assert host.status_bar.status == "done"
            assert host.status_bar.rejoins == 2
            answer = host.runs.transcript.messages[-1].text
            assert answer == " ".join(f"tok{i}" for i in range(300))
    finally:
        await proxy.stop()


async def test_waiting_for_a_detached_run_refreshes_its_row_once_it_ended(
    server_url: str, tmp_path: Path
) -> None:
    app = _app(server_url, tmp_path)
    async with app.run_test():
        host = app.host
        runs = host.runs
        await _select(host, "slow", tokens=40, delay=0.02)
        run = asyncio.create_task(runs.execute(RunPlan("send", text="hello")))
        session = runs.session
        assert session is not None
        await _until(lambda: session.run_id is not None and host.running, "the run")
        thread_id, run_id = host.threads.thread_id, session.run_id
        assert thread_id is not None and run_id is not None
        run.cancel()
        with pytest.raises(asyncio.CancelledError):
            await run
        runs.detached()
        assert host.thread_pane.get(thread_id) is not None
        await asyncio.wait_for(runs.wait_detached(thread_id, run_id), 60)
        client = host.services.client
        assert (await client.runs.get(thread_id, run_id)).status == "success"
        row = host.thread_pane.get(thread_id)
        assert row is not None and row.status == "idle"
