"""A run that ends cleanly costs one request after its stream; a cut tail is still found and healed.

The session ends a run whose stream closed by itself with the one read reconciling needs
anyway, the thread state (``bbot_tui.session.reconciler.at_rest`` judges it), and only follows
the run the long way (status, rejoin, drain, state again) on evidence of a lost tail. These
tests run real graphs of the local server through :class:`delayproxy.DelayProxy`, which logs
every request and can end a stream **cleanly** after N events, the way a gateway's timeout
does (no transport error for the client to notice):

- an uncut run makes exactly ``POST …/runs/stream`` and ``GET …/state``, on an existing thread
  and on a new one created by the run itself (``if_not_exists``);
- a tail cut while the run goes on is noticed (the state shows the run mid-way), rejoined,
  and the transcript and the delivered events equal an uncut run's, token for token;
- a tail cut whose end is held back until the run is over (the state is at rest, but its
  messages differ from what streamed) is noticed all the same, drained and healed.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest
from delayproxy import Cut, DelayProxy
from trials import normalize

from bbot_tui.api.client import AgentClient
from bbot_tui.api.models import RunCreate
from bbot_tui.session.run import RunSession

GRAPHS: dict[str, dict[str, Any]] = {
    "slow": {"stream_mode": ["messages-tuple", "updates"], "configurable": {"tokens": 30}},
    "writer": {"stream_mode": ["custom", "updates"], "configurable": {"delay": 0.03}},
}
_IDS = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@dataclass
class Driven:
    """One run through the proxy: what was delivered, the end, and the requests made."""

    events: list[Any] = field(default_factory=list)
    messages: list[Any] = field(default_factory=list)
    custom: list[Any] = field(default_factory=list)
    status: str = ""
    phases: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    cut: bool = False


async def _drive(
    server_url: str,
    assistant_id: str,
    graph: str,
    *,
    cut: Cut | None = None,
    new_thread: bool = False,
) -> Driven:
    target = urlsplit(server_url)
    proxy = DelayProxy(target.hostname or "127.0.0.1", target.port or 80, cut=cut)
    await proxy.start()
    driven = Driven()
    spec = GRAPHS[graph]
    body = RunCreate.model_validate(
        {
            "assistant_id": assistant_id,
            "input": {"messages": [{"role": "user", "content": "hello there"}]},
            "stream_mode": spec["stream_mode"],
            "config": {"configurable": spec["configurable"]},
        }
    )
    try:
        async with AgentClient(proxy.url) as client:
            if new_thread:
                thread_id, meta = str(uuid.uuid4()), {"title": "tail test"}
            else:
                thread_id, meta = (await client.threads.create()).thread_id, None
            start = len(proxy.exchanges)
            session = RunSession(client)
            updates = session.run(
                body, thread_id=thread_id, user_text="hello there", new_thread=meta
            )
            async for update in updates:
                if not driven.phases or driven.phases[-1] != update.phase:
                    driven.phases.append(update.phase)
                driven.events += [(e.event, normalize(e.data)) for e in update.events]
            t = session.transcript
            driven.messages = [
                {k: v for k, v in m.items() if k != "id"} for m in normalize(t.to_json())
            ]
            driven.custom = normalize([list(item) for item in t.custom])
            driven.status = session.outcome.status
            driven.requests = [
                _IDS.sub("<id>", f"{x.method} {x.path}") for x in proxy.exchanges[start:]
            ]
            if new_thread:
                thread = await client.threads.get(thread_id)
                assert (thread.metadata or {}).get("title") == "tail test"
    finally:
        await proxy.stop()
    driven.cut = bool(cut and cut.fired)
    return driven


STREAM = "POST /threads/<id>/runs/stream"
STATE = "GET /threads/<id>/state?subgraphs=true"
RUN = "GET /threads/<id>/runs/<id>"
JOIN = "GET /threads/<id>/runs/<id>/stream"


@pytest.mark.parametrize("new_thread", [False, True], ids=["existing-thread", "new-thread"])
async def test_a_clean_run_costs_its_stream_and_one_state_read(
    server_url: str, assistant_ids: dict[str, str], new_thread: bool
) -> None:
    driven = await _drive(server_url, assistant_ids["slow"], "slow", new_thread=new_thread)
    assert driven.status == "success"
    assert driven.requests == [STREAM, STATE]
    assert driven.phases[-2:] == ["reconciling", "done"]


@pytest.mark.parametrize("graph", ["slow", "writer"])
@pytest.mark.parametrize("wait_for_end", [False, True], ids=["run-going", "run-over"])
async def test_a_cut_tail_is_detected_and_healed(
    server_url: str, assistant_ids: dict[str, str], graph: str, wait_for_end: bool
) -> None:
    reference = await _drive(server_url, assistant_ids[graph], graph)
    assert reference.requests == [STREAM, STATE]
    cut = Cut("/runs/stream", after_events=8, wait_for_end=wait_for_end)
    driven = await _drive(server_url, assistant_ids[graph], graph, cut=cut)
    assert driven.cut, "the proxy did not cut the stream"
    # detected: the state read after the clean end was not the end, the run was followed
    assert driven.requests[:2] == [STREAM, STATE], driven.requests
    assert RUN in driven.requests and JOIN in driven.requests, driven.requests
    assert driven.requests[-1] == STATE
    # healed: what was delivered and what is shown equal the uncut run's
    assert driven.status == reference.status == "success"
    assert driven.events == reference.events
    assert driven.messages == reference.messages
    assert driven.custom == reference.custom
