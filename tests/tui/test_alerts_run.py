"""The run controller announces the client's own long runs (``AttentionNeeded``, run_ended)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tui_host import HostApp, Services, own_assistant

from bbot_tui.tui.messages import AttentionNeeded
from bbot_tui.tui.screens.run_controller import RunPlan


async def _send(url: str, tmp_path: Path, threshold: float) -> tuple[list[Any], str | None]:
    services = Services(url)
    assert services.settings is not None
    services.settings.alerts.long_run_seconds = threshold
    app = HostApp(services, tmp_path / "runs.json")
    messages: list[Any] = []
    async with app.run_test(message_hook=messages.append) as pilot:
        host = app.host
        created = own_assistant(url, "chat")
        assistant = await services.client.assistants.get(created["assistant_id"])
        host.threads.select_assistant(assistant)
        host.runs.install(None)
        await host.runs.execute(RunPlan("send", text="hello"))
        await pilot.pause()
        thread_id = host.threads.thread_id
    # the hook sees a message at each node it bubbles through (the screen, then the app)
    posted = {id(m): m for m in messages if isinstance(m, AttentionNeeded)}
    return list(posted.values()), thread_id


async def test_a_run_over_the_threshold_posts_run_ended(server_url: str, tmp_path: Path) -> None:
    posted, thread_id = await _send(server_url, tmp_path, threshold=0)
    assert thread_id is not None
    assert len(posted) == 1
    message = posted[0]
    assert message.kind == "run_ended" and message.thread_id == thread_id
    assert message.detail == "finished" and message.title == "hello"
    assert message.duration is not None and message.duration > 0


async def test_a_short_run_posts_nothing(server_url: str, tmp_path: Path) -> None:
    posted, thread_id = await _send(server_url, tmp_path, threshold=3600)
    assert thread_id is not None and posted == []
