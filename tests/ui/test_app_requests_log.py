"""The event log lists what a run sent (method, path, body; the key masked) before the events it
caused, against the real local server."""

from __future__ import annotations

from app_pilot import own_assistant, pick, send, settle, wait_for

from bbot_tui.config.settings import Profile, Settings
from bbot_tui.tui.app import make_app
from bbot_tui.tui.widgets.event_log import render_event_json

KEY = "bbot_event_log_request_key_0123456789abcd"


async def test_the_request_comes_before_its_events_with_the_key_masked(server_url: str) -> None:
    name = own_assistant(server_url, "chat")
    settings = Settings(
        profiles={"local": Profile(name="local", base_url=server_url, api_key=KEY)},
        active_profile="local",
    )
    app = make_app(settings)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await pick(pilot, "chat", name)
        log = screen.event_log
        await send(pilot, "log me")
        await wait_for(pilot, lambda: screen.running or screen.transcript.messages, "the run")
        await settle(pilot, screen)
        thread_id = screen.thread_id
        rows = log.rows()
        run_path = f"→ POST /threads/{thread_id}/runs/stream"
        # the run (which also makes the thread of a first message), before every event it caused
        assert rows[0] == run_path
        assert rows[1] == "metadata"
        assert len(rows) > 3 and not any(r.startswith("→ POST") for r in rows[1:])
        sent = log.requests[0]
        assert sent.method == "POST" and sent.body["assistant_id"]
        assert sent.body["input"]["messages"][0]["content"] == "log me"
        shown = render_event_json(sent)
        assert KEY not in shown and '"bbot-api-key": "***"' in shown
        # the table shows it too once the log is open
        await pilot.press("ctrl+l")
        await wait_for(pilot, lambda: log.display, "the event log")
        table = log.query_one("#event-table")
        labels = [str(table.get_row_at(i)[1]) for i in range(table.row_count)]
        assert labels[:2] == [run_path, "metadata"]
