"""The TUI's main flow against a server that behaves as B-Bot documents it (issue 17).

The real local server behind the strict :class:`bbot_proxy.BBotProxy` (``/api/v2``,
``/distribution-channels`` with ``channel_id``, the key only in ``bbot-api-key``, the channel's
entity id required on every run creation): pick the channel, send, answer its question.
"""

from __future__ import annotations

import sys
from pathlib import Path

import httpx
from app_pilot import own_assistant, pick, run_started, send, settle, wait_for

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "api"))
from bbot_proxy import BBotProxy

from bbot_tui.config.settings import Profile, Settings
from bbot_tui.tui.app import make_app

KEY = "bbot_canary_tui_3c9e51d7a2b84f06"


async def test_pick_send_and_answer_through_strict_bbot(server_url: str) -> None:
    name = own_assistant(server_url, "approval")
    async with BBotProxy(
        server_url, "/api/v2", "distribution-channels", api_key=KEY, strict=True
    ) as proxy:
        profile = Profile(name="bbot", base_url=proxy.url, api_key=KEY)
        app = make_app(Settings(profiles={"bbot": profile}, active_profile="bbot"), persist=False)
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await pick(pilot, "approval", name)
            assert screen.assistant is not None and screen.assistant.entity_id
            await send(pilot, "ship it")
            await wait_for(pilot, lambda: run_started(screen), "the run to start")
            await settle(pilot, screen)
            assert screen.transcript.stop == "question"
            await send(pilot, "yes")
            await wait_for(pilot, lambda: screen.running, "the resume to start")
            await settle(pilot, screen)
            thread_id = screen.thread_id
            # the server's messages, and the client's line saying what was answered (issue 11)
            shown = [(m.role, m.text) for m in screen.transcript.messages if m.role != "note"]
            notes = [m.text for m in screen.transcript.messages if m.role == "note"]
            assert notes == ["you answered: yes"]
        assert proxy.refused_runs == []
        runs = [line for line in proxy.seen if line.startswith("POST") and "/runs" in line]
        assert len(runs) >= 2  # the question's run and the answer's, both accepted
        proxy.assert_clean()
        assert all(where.endswith(" bbot-api-key") for where in proxy.carrying(KEY))
        assert not any("/api/v2/assistants" in line for line in proxy.seen[1:])
    state = httpx.get(f"{server_url}/threads/{thread_id}/state", timeout=30).json()
    stored = [(m["type"], m["content"]) for m in state["values"]["messages"]]
    assert shown == stored
    assert stored[0] == ("human", "ship it") and stored[-1] == ("ai", "you said yes")
