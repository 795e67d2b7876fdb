"""``run --record FILE`` and ``replay FILE``: a recording of the real server replays with no server
through the same reducer and printer, to the same transcript and the same printed text; the key
never reaches the file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import get, run_cli

from bbot_tui.cli.common import EXIT_OK, EXIT_STOPPED, EXIT_USAGE

CANARY = "bbot_RECORDCANARY4242"


def _read(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _same_messages(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> None:
    def key(m: dict[str, Any]) -> tuple[Any, ...]:
        calls = [(c.get("id"), c.get("name"), c.get("args")) for c in m.get("tool_calls") or []]
        return (m.get("id"), m.get("type"), m.get("content"), calls)

    assert [key(m) for m in a] == [key(m) for m in b]


@pytest.mark.parametrize(
    ("graph", "flags", "code"),
    [
        ("agent", [], EXIT_OK),
        ("agent", ["--stream-mode", "messages", "--stream-mode", "updates"], EXIT_OK),
        ("parallel", [], EXIT_STOPPED),
        ("subgraph", ["--subgraphs", "--stream-mode", "values"], EXIT_STOPPED),
    ],
)
def test_a_recorded_run_replays_to_the_same_transcript_and_text(
    capsys: pytest.CaptureFixture[str],
    server_url: str,
    assistant_ids: dict[str, str],
    tmp_path: Path,
    graph: str,
    flags: list[str],
    code: int,
) -> None:
    record = tmp_path / "run.jsonl"
    live = run_cli(
        capsys, "run", "--url", server_url, "--api-key", CANARY, "--assistant", graph,
        "--message", "hi", *flags, "--record", str(record),
    )  # fmt: skip
    assert live.code == code, live.err
    thread_id, run_id = live.ids

    lines = _read(record)
    assert CANARY not in record.read_text(encoding="utf-8")
    request, events = lines[0], [x for x in lines if x["type"] == "event"]
    assert request["type"] == "request"
    assert request["endpoint"] == f"POST /threads/{thread_id}/runs/stream"
    # --assistant GRAPH is resolved before the run: the body names the graph's default assistant
    assert request["url"] == server_url
    assert request["body"]["assistant_id"] == assistant_ids[graph]
    assert set(request) <= {"type", "endpoint", "url", "body", "user_text", "baseline"}
    assert events[0]["event"] == "metadata"
    assert json.loads(events[0]["data"])["run_id"] == run_id
    times = [e["t"] for e in events]
    assert times == sorted(times) and times[0] >= 0
    assert [x["type"] for x in lines[-2:]] == ["state", "summary"]
    recorded = lines[-1]

    # text: what was printed live, printed again (only the go-on line is marked as recorded)
    replay = run_cli(capsys, "replay", str(record), "--speed", "0")
    assert replay.code == code, replay.err
    expected = live.out.replace("\nto answer: ", "\n(recorded) to go on: ")
    assert replay.out == expected
    assert "replaying POST" in replay.err and f"recorded status: {recorded['status']}" in replay.err

    # transcript: the replayed --json summary equals the recorded one and the server's state
    replay = run_cli(capsys, "replay", str(record), "--speed", "0", "--json")
    replayed = replay.lines()
    assert [e["id"] for e in replayed[:-1]] == [e["id"] for e in events]
    summary = replayed[-1]
    assert summary["status"] == recorded["status"] and summary["run_id"] == run_id
    _same_messages(summary["messages"], recorded["messages"])
    assert summary["interrupts"] == recorded["interrupts"]
    state = get(server_url, f"/threads/{thread_id}/state")
    _same_messages(summary["messages"], state["values"]["messages"])
    assert [i["id"] for i in summary["interrupts"]] == [i["id"] for i in state["interrupts"]]


def test_replay_speed_and_bad_files(
    capsys: pytest.CaptureFixture[str], server_url: str, tmp_path: Path
) -> None:
    record = tmp_path / "chat.jsonl"
    args = ["--assistant", "chat", "--message", "again", "--record", str(record)]
    live = run_cli(capsys, "run", "--url", server_url, *args)
    assert live.code == EXIT_OK, live.err
    assert record.stat().st_mode & 0o777 == 0o600
    fast = run_cli(capsys, "replay", str(record), "--speed", "1000")
    assert fast.code == EXIT_OK and fast.out == live.out
    r = run_cli(capsys, "replay", str(record), "--speed", "-1")
    assert r.code == EXIT_USAGE and "--speed: must be 0" in r.err
    r = run_cli(capsys, "replay", str(tmp_path / "missing.jsonl"))
    assert r.code == EXIT_USAGE and "replay: cannot read" in r.err
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"type": "event"}\n', encoding="utf-8")
    r = run_cli(capsys, "replay", str(bad))
    assert r.code == EXIT_USAGE and "not a bbot-tui recording" in r.err
    bad.write_text('{"type": "request"}\nnot json\n', encoding="utf-8")
    r = run_cli(capsys, "replay", str(bad))
    assert r.code == EXIT_USAGE and "line 2 is not JSON" in r.err
