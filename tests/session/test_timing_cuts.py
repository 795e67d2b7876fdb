"""A run's timing through a cut stream: rejoins and replayed events counted, waterfall whole.

Against the real local server behind the fault proxy, the ``agent`` graph's stream (with the
``tasks`` mode, whose events are large) is cut twice. :func:`bbot_tui.session.timing.run_timing`
reports the session's rejoins and the replayed events it dropped, and the waterfall still names
the nodes the thread history says ran; a :class:`~bbot_tui.session.timing.TimingLog` finds each
message's run.
"""

from __future__ import annotations

import httpx
from faultproxy import FaultProxy

from bbot_tui.api.client import AgentClient
from bbot_tui.api.models import RunCreate
from bbot_tui.session.run import RunSession
from bbot_tui.session.timing import run_timing
from bbot_tui.stream.timing import TimingLog
from bbot_tui.stream.transcript import user_message


def _history_nodes(server_url: str, thread_id: str) -> list[str]:
    response = httpx.post(f"{server_url}/threads/{thread_id}/history", json={"limit": 50})
    response.raise_for_status()
    checkpoints = sorted(response.json(), key=lambda c: c["metadata"]["step"])
    return [t["name"] for c in checkpoints for t in c["tasks"] if not t["name"].startswith("__")]


def _body(text: str) -> RunCreate:
    return RunCreate.model_validate(
        {
            "assistant_id": "agent",
            "input": {"messages": [user_message(text)]},
            "stream_mode": ["tasks", "messages-tuple"],
        }
    )


async def test_a_cut_stream_counts_rejoins_and_keeps_the_waterfall(server_url: str) -> None:
    port = int(server_url.rsplit(":", 1)[1])
    proxy = FaultProxy(
        "127.0.0.1",
        port,
        modes=("cut",),
        cut_after=(1500, 4000),
        arm_on="text/event-stream",
        max_faults=2,
    )
    proxied = f"http://127.0.0.1:{await proxy.start()}"
    try:
        async with AgentClient(proxied) as client:
            thread_id = (await client.threads.create()).thread_id
            session = RunSession(client)
            async for _ in session.run(_body("one"), thread_id=thread_id, user_text="one"):
                pass
            first = run_timing(session)
            assert session.outcome.status == "success"
            assert first.rejoins == session.outcome.rejoins >= 2
            assert first.replayed == session.outcome.duplicates_dropped
            assert first.source == "tasks"
            assert first.node_names() == _history_nodes(server_url, thread_id)
            assert first.node_names() == ["model", "tools", "model"]

            log = TimingLog()
            log.add(first)
            async for _ in session.run(_body("two"), thread_id=thread_id, user_text="two"):
                pass
            second = run_timing(session)
            log.add(second)
            assert second.run_id != first.run_id and len(log) == 2
            messages = session.transcript.messages
            ai = [m for m in messages if m.role == "ai"]
            assert len(ai) == 4 and all(m.usage for m in ai)
            assert log.for_message(ai[0].key) is first
            assert log.for_message(ai[-1].key) is second
            # the user's input is shown before its run begins: it is no run's output
            assert [m.text for m in messages if m.role == "human"] == ["one", "two"]
            assert all(log.for_message(m.key) is None for m in messages if m.role == "human")
            assert first.usage.messages == second.usage.messages == 2
    finally:
        await proxy.stop()
