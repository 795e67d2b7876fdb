"""``bbot-tui compare`` against the real local server: two sides at once, then the diff.

``agent`` calls ``get_weather`` and ``chat`` calls no tool: the ``--json`` diff names that call
with each side's arguments, the answers' unified diff has both answers, and each side ran on a
thread of its own. One assistant with two run options (``slow`` with other token counts) runs
both at once (the two runs overlap on the server). Saved run options are found by name, and bad
usage sends nothing.
"""

from __future__ import annotations

from datetime import datetime

import httpx
import pytest
from cli_helpers import get, run_cli

from bbot_tui.cli.common import EXIT_OK, EXIT_STOPPED, EXIT_USAGE
from bbot_tui.config.settings import Settings, save_settings


def test_json_diff_names_the_differing_tool_calls(
    capsys: pytest.CaptureFixture[str], server_url: str
) -> None:
    r = run_cli(
        capsys, "compare", "--url", server_url, "--assistant", "agent", "--assistant", "chat",
        "--message", "weather?", "--json",
    )  # fmt: skip
    assert r.code == EXIT_OK, r.err
    [out] = r.lines()  # one object
    assert out["type"] == "compare" and out["message"] == "weather?"
    a, b, diff = out["a"], out["b"], out["diff"]
    assert (a["assistant"]["graph_id"], b["assistant"]["graph_id"]) == ("agent", "chat")
    assert a["status"] == b["status"] == "success"
    assert a["thread_id"] != b["thread_id"]
    assert diff["tool_calls"] == [{"name": "get_weather", "a": {"city": "Paris"}, "b": None}]
    assert a["tool_calls"] == [{"name": "get_weather", "args": {"city": "Paris"}}]
    assert b["tool_calls"] == []
    assert not diff["answers_equal"]
    assert f"-{a['answer']}" in diff["answer"] and f"+{b['answer']}" in diff["answer"]
    assert b["answer"] == "You said: weather?. Here is a streamed answer."
    # each side's summary is its own thread's transcript, with the same timing as run --json
    for side in (a, b):
        state = get(server_url, f"/threads/{side['thread_id']}/state")
        assert [m["id"] for m in state["values"]["messages"]] == [m["id"] for m in side["messages"]]
        assert side["timing"]["total"] is not None and side["timing"]["waterfall"]
    assert diff["timing"]["nodes"] == {
        "a": ["model", "tools", "model"],
        "b": ["chat"],
        "equal": False,
    }
    total = diff["timing"]["total"]
    assert total["delta"] == pytest.approx(total["b"] - total["a"], abs=1e-3)
    usage = diff["timing"]["total_tokens"]
    assert usage["a"] == a["timing"]["usage"]["total_tokens"] > 0


def _interval(server_url: str, thread_id: str, run_id: str) -> tuple[datetime, datetime]:
    run = get(server_url, f"/threads/{thread_id}/runs/{run_id}")
    return datetime.fromisoformat(run["created_at"]), datetime.fromisoformat(run["updated_at"])


def test_one_assistant_with_two_run_options_runs_both_at_once(
    capsys: pytest.CaptureFixture[str], server_url: str
) -> None:
    r = run_cli(
        capsys, "compare", "--url", server_url, "--assistant", "slow",
        "--options-a", '{"configurable": {"tokens": 30, "delay": 0.03}}',
        "--options-b", '{"configurable": {"tokens": 20, "delay": 0.03}}',
        "--message", "go", "--json",
    )  # fmt: skip
    assert r.code == EXIT_OK, r.err
    out = r.lines()[0]
    a, b = out["a"], out["b"]
    assert a["answer"] == " ".join(f"tok{i}" for i in range(30))
    assert b["answer"] == " ".join(f"tok{i}" for i in range(20))
    assert a["options"] == {"configurable": '{"tokens": 30, "delay": 0.03}'}
    assert out["diff"]["tool_calls"] == [] and not out["diff"]["answers_equal"]
    # both runs were on the server at the same time
    start_a, end_a = _interval(server_url, a["thread_id"], a["run_id"])
    start_b, end_b = _interval(server_url, b["thread_id"], b["run_id"])
    assert start_a < end_b and start_b < end_a


def test_text_output_and_an_interrupted_side(
    capsys: pytest.CaptureFixture[str], server_url: str
) -> None:
    r = run_cli(
        capsys, "compare", "--url", server_url, "--assistant", "approval", "--assistant", "agent",
        "--message", "hi",
    )  # fmt: skip
    assert r.code == EXIT_STOPPED, r.err  # approval stops at its question
    out = r.out
    assert "── A: approval · interrupted" in out and "── B: agent · success" in out
    assert '── tool calls that differ ──\nget_weather: A — · B {"city": "Paris"}' in out
    assert "--- A approval\n+++ B agent" in out
    assert f"to answer: bbot-tui run --url {server_url} --thread " in out
    assert "--resume '<JSON>'" in out
    assert "▶ A: approval" in r.err and "■ B agent: success" in r.err


def test_saved_run_options_by_name(capsys: pytest.CaptureFixture[str], server_url: str) -> None:
    found = httpx.post(f"{server_url}/assistants/search", json={"graph_id": "slow"}).json()
    slow_id = next(a["assistant_id"] for a in found if a["metadata"].get("created_by") == "system")
    save_settings(Settings(run_options={slow_id: {"configurable": '{"tokens": 4, "delay": 0}'}}))
    r = run_cli(
        capsys, "compare", "--url", server_url, "--assistant", "slow",
        "--options-a", '{"configurable": {"tokens": 2, "delay": 0}}', "--options-b", "slow",
        "--message", "go", "--json",
    )  # fmt: skip
    assert r.code == EXIT_OK, r.err
    out = r.lines()[0]
    assert out["a"]["answer"] == "tok0 tok1"
    assert out["b"]["answer"] == "tok0 tok1 tok2 tok3"  # the options saved for slow's assistant
    r = run_cli(
        capsys, "compare", "--url", server_url, "--assistant", "slow",
        "--options-a", "chat", "--message", "go",
    )  # fmt: skip
    assert r.code == EXIT_USAGE and "--options-a: no run options saved for 'chat'" in r.err


def test_usage_errors_send_nothing(capsys: pytest.CaptureFixture[str], server_url: str) -> None:
    base = ["compare", "--url", server_url]
    r = run_cli(capsys, *base, "--assistant", "chat", "--message", "x")
    assert r.code == EXIT_USAGE and "add --options-a and/or --options-b" in r.err
    r = run_cli(capsys, *base, "--assistant", "chat", "--assistant", "agent")
    assert r.code == EXIT_USAGE and "--message TEXT is required" in r.err
    r = run_cli(capsys, *base, "--assistant", "chat", "--options-a", "{bad", "--message", "x")
    assert r.code == EXIT_USAGE and "--options-a: not JSON" in r.err
    r = run_cli(
        capsys, *base, "--assistant", "chat", "--options-b", '{"recursion_limit": "many"}',
        "--message", "x",
    )  # fmt: skip
    assert r.code == EXIT_USAGE and "--options-b: recursion_limit:" in r.err
    r = run_cli(
        capsys, *base, "--assistant", "chat", "--options-a", '{"colour": 1}', "--message", "x"
    )
    assert r.code == EXIT_USAGE and "unknown run option 'colour'" in r.err
    r = run_cli(capsys, *base, "--assistant", "nope-graph", "--assistant", "chat", "--message", "x")
    assert r.code == EXIT_USAGE and "--assistant" in r.err
