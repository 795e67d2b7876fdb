"""Where a run's time went, against the real local server (``run --json`` / ``run --timing``).

The ``agent`` test graph runs three steps (``model`` → ``tools`` → ``model``) and its fake model
reports ``usage_metadata``. Whatever the run streamed (``tasks``, ``debug`` or ``updates``), the
summary's waterfall names the nodes the thread history's checkpoints say ran, in their order,
and the usage equals the sum over the stored messages' ``usage_metadata``.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from cli_helpers import get, run_cli

from bbot_tui.cli.common import EXIT_OK


def _history_nodes(server_url: str, thread_id: str) -> list[str]:
    """The nodes the server ran, step by step, from the thread's checkpoints (oldest first)."""
    response = httpx.post(f"{server_url}/threads/{thread_id}/history", json={"limit": 50})
    response.raise_for_status()
    checkpoints = sorted(response.json(), key=lambda c: c["metadata"]["step"])
    return [
        task["name"]
        for checkpoint in checkpoints
        for task in checkpoint["tasks"]
        if not task["name"].startswith("__")
    ]


def _stored_usage(server_url: str, thread_id: str) -> dict[str, int]:
    state = get(server_url, f"/threads/{thread_id}/state")
    usages = [m["usage_metadata"] for m in state["values"]["messages"] if m.get("usage_metadata")]
    assert usages, "the agent graph's model reports usage"
    keys = ("input_tokens", "output_tokens", "total_tokens")
    return {**{k: sum(u[k] for u in usages) for k in keys}, "messages": len(usages)}


@pytest.mark.parametrize(
    ("modes", "source"),
    [
        (["messages-tuple", "tasks"], "tasks"),
        (["debug"], "debug"),
        ([], "updates"),  # the default: messages-tuple + updates
    ],
)
def test_waterfall_follows_the_servers_steps_and_usage_sums_the_messages(
    capsys: pytest.CaptureFixture[str], server_url: str, modes: list[str], source: str
) -> None:
    flags = [f for mode in modes for f in ("--stream-mode", mode)]
    r = run_cli(
        capsys, "run", "--url", server_url, "--assistant", "agent", "--message", "hi", "--json",
        *flags,
    )  # fmt: skip
    assert r.code == EXIT_OK, r.err
    summary = r.summary
    timing: dict[str, Any] = summary["timing"]
    assert timing["source"] == source
    thread_id = summary["thread_id"]
    nodes = [span["node"] for span in timing["waterfall"]]
    assert nodes == _history_nodes(server_url, thread_id) == ["model", "tools", "model"]
    starts = [span["start"] for span in timing["waterfall"]]
    assert starts == sorted(starts) and all(s["duration"] is not None for s in timing["waterfall"])
    assert all(s["start"] + s["duration"] <= timing["total"] + 1e-3 for s in timing["waterfall"])
    assert timing["usage"] == _stored_usage(server_url, thread_id)
    # rejoins and replays through cut streams: tests/session/test_timing.py
    assert timing["restarts"] == 0 and timing["rejoins"] >= 0 and timing["replayed"] >= 0
    if source == "tasks":  # the same order as the run's own task starts
        started = [
            e["data"]["name"]
            for e in r.lines()[:-1]
            if e["mode"] == "tasks" and "result" not in e["data"] and "error" not in e["data"]
        ]
        assert nodes == started


def test_usage_counts_only_the_new_runs_messages_on_an_older_thread(
    capsys: pytest.CaptureFixture[str], server_url: str
) -> None:
    first = run_cli(
        capsys, "run", "--url", server_url, "--assistant", "agent", "--message", "one", "--json"
    )
    assert first.code == EXIT_OK, first.err
    thread_id = first.summary["thread_id"]
    before = _stored_usage(server_url, thread_id)
    # values mode shows the thread's older messages again: they are not this run's
    r = run_cli(
        capsys, "run", "--url", server_url, "--assistant", "agent", "--thread", thread_id,
        "--message", "two", "--stream-mode", "values", "--json",
    )  # fmt: skip
    assert r.code == EXIT_OK, r.err
    after = _stored_usage(server_url, thread_id)
    usage = r.summary["timing"]["usage"]
    assert usage == {k: after[k] - before[k] for k in after}
    assert usage["messages"] == 2


def test_timing_prints_a_waterfall_in_text_mode(
    capsys: pytest.CaptureFixture[str], server_url: str
) -> None:
    r = run_cli(
        capsys, "run", "--url", server_url, "--assistant", "agent", "--message", "hi",
        "--timing", "--stream-mode", "tasks", "--stream-mode", "messages-tuple",
    )  # fmt: skip
    assert r.code == EXIT_OK, r.err
    assert "⏱" not in r.out  # stdout keeps only the answer
    lines = r.err.splitlines()
    head = next(i for i, line in enumerate(lines) if line.startswith("⏱ "))
    assert "s total" in lines[head] and "nodes from tasks" in lines[head]
    assert "usage " in lines[head]
    rows = lines[head + 1 : head + 4]
    assert [row.split()[0] for row in rows] == ["model", "tools", "model"]
    assert all("│" in row and "█" in row for row in rows)
