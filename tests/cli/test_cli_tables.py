"""``bbot-tui assistants``, ``threads``, ``state`` and ``history`` against the real server: aligned
tables for people, one JSON document for scripts."""

from __future__ import annotations

import json
import re
from typing import get_args

import pytest
from cli_helpers import closed_port_url, get, post, run_cli

from bbot_tui.api.literals import ThreadStatus
from bbot_tui.cli.common import EXIT_ERROR, EXIT_OK, EXIT_USAGE
from tests.conftest import GRAPH_IDS


def _rows(out: str) -> list[list[str]]:
    """A table's lines split on its column gaps (two spaces or more)."""
    return [[c.strip() for c in re.split(r"\s{2,}", line)] for line in out.splitlines()]


def test_assistants_table_and_json(
    capsys: pytest.CaptureFixture[str], server_url: str, assistant_ids: dict[str, str]
) -> None:
    r = run_cli(capsys, "assistants", "--url", server_url)
    assert r.code == EXIT_OK, r.err
    rows = _rows(r.out)
    assert rows[0][:4] == ["ASSISTANT ID", "GRAPH", "NAME", "VERSION"]
    by_id = {row[0].strip(): row[1].strip() for row in rows[1:]}
    assert {by_id[assistant_ids[g]] for g in GRAPH_IDS} == set(GRAPH_IDS)
    r = run_cli(capsys, "assistants", "--url", server_url, "--graph", "steps", "--json")
    assert r.code == EXIT_OK, r.err
    items = json.loads(r.out)
    assert {a["graph_id"] for a in items} == {"steps"}
    assert assistant_ids["steps"] in {a["assistant_id"] for a in items}


def test_threads_filtered_by_status_with_a_limit(
    capsys: pytest.CaptureFixture[str], server_url: str
) -> None:
    stopped = []
    for _ in range(2):
        r = run_cli(capsys, "run", "--url", server_url, "--assistant", "approval", "--message", "t")
        stopped.append(r.ids[0])
    r = run_cli(capsys, "threads", "--url", server_url, "--status", "interrupted", "--limit", "2")
    assert r.code == EXIT_OK, r.err
    rows = _rows(r.out)
    assert rows[0] == ["THREAD ID", "STATUS", "UPDATED", "GRAPH", "TITLE"]
    assert [row[0].strip() for row in rows[1:]] == stopped[::-1]  # newest first
    assert {row[1].strip() for row in rows[1:]} == {"interrupted"}
    assert all(row[3].strip() == "approval" for row in rows[1:])
    r = run_cli(capsys, "threads", "--url", server_url, "--limit", "1", "--json")
    assert r.code == EXIT_OK, r.err
    items = json.loads(r.out)
    assert [t["thread_id"] for t in items] == [stopped[-1]]
    # the server agrees with the filter
    server = post(server_url, "/threads/search", {"status": "interrupted", "limit": 1000})
    assert set(stopped) <= {t["thread_id"] for t in server}
    r = run_cli(capsys, "threads", "--url", server_url, "--status", "weird")
    assert r.code == EXIT_USAGE and "invalid choice: 'weird'" in r.err
    r = run_cli(capsys, "threads", "--url", server_url, "--limit", "0")
    assert r.code == EXIT_USAGE and "--limit: must be from 1 to 1000" in r.err


def test_state_and_history_of_a_stopped_thread(
    capsys: pytest.CaptureFixture[str], server_url: str
) -> None:
    r = run_cli(capsys, "run", "--url", server_url, "--assistant", "approval", "--message", "st")
    thread_id, _ = r.ids
    server_state = get(server_url, f"/threads/{thread_id}/state")
    (pending,) = server_state["interrupts"]

    r = run_cli(capsys, "state", "--url", server_url, thread_id)
    assert r.code == EXIT_OK, r.err
    assert r.out.startswith(
        f"thread      {thread_id}\n"
        "status      interrupted\n"
        f"checkpoint  {server_state['checkpoint']['checkpoint_id']}\n"
        "next        approve\n"
        "messages    2\n"
        "  human: st\n"
        "  ai: You said: st. Here is a streamed answer.\n"
        f"⏸ interrupt {pending['id']}\n"
    )
    assert '"question": "approve?"' in r.out
    r = run_cli(capsys, "state", "--url", server_url, thread_id, "--json")
    doc = json.loads(r.out)
    assert doc["thread"]["status"] == "interrupted"
    assert doc["state"]["values"] == server_state["values"]
    assert [i["id"] for i in doc["state"]["interrupts"]] == [pending["id"]]

    r = run_cli(capsys, "history", "--url", server_url, thread_id)
    assert r.code == EXIT_OK, r.err
    rows = _rows(r.out)
    assert rows[0] == ["CHECKPOINT ID", "STEP", "SOURCE", "RAN", "NEXT", "MESSAGES", "CREATED"]
    # newest first: after chat (next approve), after __start__ (next chat), the input
    assert [row[1:6] for row in rows[1:3]] == [
        ["1", "loop", "chat", "approve", "2"],
        ["0", "loop", "__start__", "chat", "1"],
    ]
    assert rows[3][1:4] == ["-1", "input", "__start__"]
    r = run_cli(capsys, "history", "--url", server_url, thread_id, "--limit", "2", "--json")
    history = json.loads(r.out)
    server_history = post(server_url, f"/threads/{thread_id}/history", {"limit": 2})
    assert [h["checkpoint_id"] for h in history] == [
        h["checkpoint"]["checkpoint_id"] for h in server_history
    ]


def test_unknown_thread_and_closed_port_exit_1(
    capsys: pytest.CaptureFixture[str], server_url: str
) -> None:
    missing = "00000000-0000-4000-8000-000000000000"
    r = run_cli(capsys, "state", "--url", server_url, missing)
    assert r.code == EXIT_ERROR
    assert "HTTP 404" in r.err and r.out == ""
    r = run_cli(capsys, "assistants", "--url", closed_port_url())
    assert r.code == EXIT_ERROR and "error:" in r.err and r.out == ""


def test_threads_status_is_one_of_the_thread_statuses(capsys: pytest.CaptureFixture[str]) -> None:
    # refused by the parser: nothing listens at the URL, and nothing is sent
    r = run_cli(capsys, "threads", "--url", closed_port_url(), "--status", "sleeping")
    assert r.code == EXIT_USAGE and r.out == ""
    choices = r.err.split("choose from", 1)[1]
    statuses = get_args(ThreadStatus)
    assert [s for s in statuses if s in choices] == list(statuses) and len(statuses) == 4
