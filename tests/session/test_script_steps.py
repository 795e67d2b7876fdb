"""A script played a step at a time (the presenter's way), against the real local server.

``ScriptRunner.open`` + ``play_step`` play what ``play`` plays; a step whose server fails with no
tape raises and leaves the transcript as it was (messages and the pending question), so the
same step can be played again; ``replay_paced`` replays a taped step at its recorded pace and
ends on the same transcript as ``replay_step``.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from bbot_tui.api.client import AgentClient
from bbot_tui.api.errors import TransportError
from bbot_tui.session.run import RunSession
from bbot_tui.session.script import load_script
from bbot_tui.session.script_runner import Replaying, RunFinished, RunProgress, ScriptRunner
from bbot_tui.session.tape import Tape, TapeWriter, replay_paced, replay_step
from bbot_tui.stream.reducer import Reducer
from bbot_tui.stream.transcript import Transcript

HITL = """
assistant: hitl_v1
steps:
  - note: first a question
  - say: email bob
  - expect: {interrupt: true}
  - answer: {decisions: [{type: approve}]}
  - expect: {contains: "decision: approve", status: success}
"""
SLOW = """
assistant: slow
options: {configurable: {tokens: 30, delay: 0.02}}
steps:
  - say: talk to me
  - expect: {contains: tok29}
  - say: and again
  - expect: {contains: tok29}
"""


class _Switch(httpx.AsyncBaseTransport):
    """The real transport, except that run POSTs fail (as a dropped network) while ``down``."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.down = False
        self.refused = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.down and request.method == "POST" and request.url.path.endswith("/runs/stream"):
            self.refused += 1
            raise httpx.ConnectError("the network is down (test)", request=request)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def _rows(t: Transcript) -> list[tuple[str, str]]:
    return [(m.role, m.text) for m in t.messages]


async def test_a_failed_step_leaves_the_transcript_as_it_was_and_plays_again(
    server_url: str, assistant_ids: dict[str, str]
) -> None:
    switch = _Switch()
    async with AgentClient(server_url, transport=switch) as client:
        runner = ScriptRunner(
            client, load_script(HITL), assistant_id=assistant_ids["hitl_v1"], pauses=False
        )
        await runner.open()
        items = [item for n in (1, 2, 3) async for item in runner.play_step(n)]
        assert [type(i).__name__ for i in items][:2] == ["StepStarted", "Noted"]
        assert runner.transcript.stop == "question"
        pending = [p.id for p in runner.transcript.interrupts]
        shown = _rows(runner.transcript)

        switch.down = True
        with pytest.raises(TransportError):
            async for _ in runner.play_step(4):
                pass
        assert switch.refused >= 1
        # nothing of the failed attempt stays, and the question still waits for its answer
        assert _rows(runner.transcript) == shown
        assert runner.transcript.stop == "question"
        assert [p.id for p in runner.transcript.interrupts] == pending
        assert runner.results[-1].number == 2

        switch.down = False
        async for _ in runner.play_step(4):
            pass
        async for _ in runner.play_step(5):
            pass
    assert runner.failure is None, runner.failure
    assert [c.ok for c in runner.checks] == [True] * 3
    assert runner.transcript.stop is None
    assert sum(1 for role, _ in _rows(runner.transcript) if role == "human") == 1


async def test_a_paced_replay_comes_at_the_recorded_pace_and_ends_like_the_instant_one(
    server_url: str, assistant_ids: dict[str, str], tmp_path: Path
) -> None:
    script = load_script(SLOW)
    path = tmp_path / "slow.tape"
    async with AgentClient(server_url) as client:
        writer = TapeWriter(path)
        recorder = ScriptRunner(
            client, script, assistant_id=assistant_ids["slow"], writer=writer, pauses=False
        )
        async for _ in recorder.play():
            pass
        writer.close()
    tape = Tape.read(path)
    recorded = tape.step(1)
    assert recorded is not None and len(recorded.events) > 2

    instant = Reducer(Transcript())
    replay_step(instant, recorded)

    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    paced = Reducer(Transcript())
    batches = [batch async for batch in replay_paced(paced, recorded, sleep=sleep)]
    assert batches[-1] == []  # the final state comes last, on its own
    assert sum(len(b) for b in batches) == len(recorded.events)
    last = max(float(line["t"]) for line in recorded.events)
    assert last > 0.3  # 30 tokens 20 ms apart
    # the fake sleep returns at once, so each wait is the event's whole offset from the start
    assert max(waits) == pytest.approx(last, abs=0.1)
    assert waits == sorted(waits)
    assert _rows(paced.transcript) == _rows(instant.transcript)
    assert "tok29" in paced.transcript.messages[-1].text
    assert paced.transcript.stop is instant.transcript.stop is None


async def test_with_pace_the_runner_yields_a_replayed_step_event_by_event(
    server_url: str, assistant_ids: dict[str, str], tmp_path: Path
) -> None:
    script = load_script(SLOW)
    path = tmp_path / "slow.tape"
    async with AgentClient(server_url) as client:
        writer = TapeWriter(path)
        recorder = ScriptRunner(
            client, script, assistant_id=assistant_ids["slow"], writer=writer, pauses=False
        )
        async for _ in recorder.play():
            pass
        writer.close()
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    switch = _Switch()
    switch.down = True
    async with AgentClient(server_url, transport=switch) as client:
        runner = ScriptRunner(
            client,
            script,
            assistant_id=assistant_ids["slow"],
            tape=Tape.read(path),
            pauses=False,
            pace=True,
            session=RunSession(client),
            sleep=sleep,
        )
        items = [item async for item in runner.play()]
    assert runner.replayed == [1, 3]
    assert runner.offline
    progress = [i for i in items if isinstance(i, RunProgress) and i.number == 1]
    # the failed live attempt said "posting"; then the tape's events came one batch at a time
    replayed = [p for p in progress if p.update.phase == "replaying"]
    assert len(replayed) >= 10 and all(p.update.events for p in replayed)
    assert len(waits) >= 10
    assert [i.number for i in items if isinstance(i, Replaying)] == [1, 3]
    assert [i.result.replayed for i in items if isinstance(i, RunFinished)] == [True, True]
    assert runner.failure is None
    assert _rows(runner.transcript) == _rows(recorder.transcript)
