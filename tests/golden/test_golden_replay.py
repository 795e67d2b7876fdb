"""Recorded runs of the real server replay to the recorded final state, with no server.

``tests/golden/recordings/*.jsonl`` were written by ``bbot-tui run --record FILE --json`` against
the local test server (format: :mod:`bbot_tui.cli.record`; the input message carries an id
chosen by the client, so every stream mode can know it). Each recording is replayed twice:

- event by event through a bare :class:`Reducer` (the stream alone, no reconciliation): its
  root messages equal the recorded thread state's, its interrupts the state's, its stop the
  recorded status;
- through ``bbot-tui replay FILE --json --speed 0`` (``replay_command``): the summary line equals
  the recorded one in status, interrupts and messages.

To add one: run a test graph with ``bbot-tui run --url <local server> --record FILE --json
--input '{"messages":[{"role":"user","content":"hi","id":"<uuid>"}]}' …`` and save it here.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from golden_support import dumps, root_messages, state_view, transcript_view

from bbot_tui.api.events import StreamEvent
from bbot_tui.cli.common import Output
from bbot_tui.cli.record import replay_command
from bbot_tui.stream.reducer import Reducer

RECORDINGS = sorted((Path(__file__).parent / "recordings").glob("*.jsonl"))
STOP_BY_STATUS = {"success": None, "interrupted": "question", "error": "error"}


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def _one(lines: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    (line,) = [x for x in lines if x["type"] == kind]
    return line


def test_recordings_cover_the_interesting_shapes() -> None:
    """The fixtures hold what a replay must handle: tools, interrupts, errors, subgraphs."""
    names = {path.stem for path in RECORDINGS}
    assert {"agent-tuple", "approval-updates", "fail-messages", "subgraph-tuple-subgraphs"} <= names
    modes = set()
    for path in RECORDINGS:
        lines = _lines(path)
        assert [x["type"] for x in lines[:1] + lines[-2:]] == ["request", "state", "summary"]
        modes.update(StreamEvent.from_sse(x["event"], "", None).mode for x in lines[1:-2])
    assert {"metadata", "messages", "messages/partial", "updates", "values", "error"} <= modes


@pytest.mark.parametrize("path", RECORDINGS, ids=[p.stem for p in RECORDINGS])
def test_events_reduce_to_the_recorded_state(path: Path) -> None:
    lines = _lines(path)
    request, state, recorded = lines[0], _one(lines, "state"), _one(lines, "summary")
    reducer = Reducer()
    for message in request["body"]["input"]["messages"]:
        reducer.transcript.add_user_message(message["content"], message["id"])
    reducer.begin_run(0.0)
    for line in lines:
        if line["type"] == "event":
            reducer.apply(StreamEvent.from_sse(line["event"], line["data"], line["id"], line["t"]))
    transcript = reducer.transcript

    want = state_view(state["messages"])
    got = transcript_view(root_messages(transcript, {m["id"] for m in want}))
    assert got == want, f"replayed:\n{dumps(got)}\nrecorded state:\n{dumps(want)}"
    assert transcript.warnings == [] and not any(m.streaming for m in transcript.messages)
    assert [p.id for p in transcript.interrupts] == [i["id"] for i in state["interrupts"]]
    assert transcript.stop == STOP_BY_STATUS[recorded["status"]]
    assert transcript.run_id == recorded["run_id"]


@pytest.mark.parametrize("path", RECORDINGS, ids=[p.stem for p in RECORDINGS])
async def test_replay_command_reproduces_the_summary(path: Path) -> None:
    recorded = _one(_lines(path), "summary")
    out, err = io.StringIO(), io.StringIO()
    code = await replay_command(str(path), speed=0, json_mode=True, output=Output(out, err))
    assert code == {"success": 0, "interrupted": 3, "error": 1}[recorded["status"]]
    replayed = json.loads(out.getvalue().splitlines()[-1])
    assert replayed["type"] == "summary"
    for key in ("status", "thread_id", "run_id", "interrupts", "messages"):
        assert replayed[key] == recorded[key], key
