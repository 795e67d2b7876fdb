"""``bbot-tui inbox``: a thread of another assistant stopped at a question (started by plain
HTTP) shows in the table and in ``--json`` with its interrupt's id and value, and leaves once
answered elsewhere. (The request count with 2,000 threads is in tests/session/test_inbox.py.)"""

from __future__ import annotations

import pytest
from cli_helpers import get, post, run_cli

from bbot_tui.cli.common import EXIT_OK, EXIT_USAGE
from bbot_tui.cli.inbox import format_waited


def test_a_waiting_thread_shows_until_answered(
    capsys: pytest.CaptureFixture[str], server_url: str, assistant_ids: dict[str, str]
) -> None:
    thread_id = post(server_url, "/threads", {})["thread_id"]
    body = {"assistant_id": "hitl_v1", "input": {"messages": [{"role": "user", "content": "mail"}]}}
    post(server_url, f"/threads/{thread_id}/runs/wait", body)
    pending = get(server_url, f"/threads/{thread_id}/state")["interrupts"]

    r = run_cli(capsys, "inbox", "--url", server_url, "--json", "--limit", "1000")
    assert r.code == EXIT_OK, r.err
    lines = {line["thread_id"]: line for line in r.lines()}
    line = lines[thread_id]
    assert line["assistant_id"] == assistant_ids["hitl_v1"] and line["graph_id"] == "hitl_v1"
    assert line["title"] == "mail"
    assert [(i["id"], i["value"]) for i in line["interrupts"]] == [
        (p["id"], p["value"]) for p in pending
    ]
    assert line["asks"] == ['send_email(to="a@b.c", body="hi")']
    assert line["waiting_since"]

    r = run_cli(capsys, "inbox", "--url", server_url, "--limit", "1000")
    assert r.code == EXIT_OK, r.err
    header, *rows = r.out.splitlines()
    assert header.split() == ["THREAD", "ID", "ASSISTANT", "TITLE", "ASKS", "WAITING"]
    row = next(row for row in rows if row.startswith(thread_id))
    assert row.split()[1:3] == ["hitl_v1", "mail"]
    assert 'send_email(to="a@b.c", body="hi")' in row

    resume = {
        "assistant_id": "hitl_v1",
        "command": {"resume": {"decisions": [{"type": "approve"}]}},
    }
    post(server_url, f"/threads/{thread_id}/runs/wait", resume)
    assert get(server_url, f"/threads/{thread_id}")["status"] == "idle"
    r = run_cli(capsys, "inbox", "--url", server_url, "--json", "--limit", "1000")
    assert thread_id not in {line["thread_id"] for line in r.lines()}


def test_inbox_limit_is_checked(capsys: pytest.CaptureFixture[str]) -> None:
    r = run_cli(capsys, "inbox", "--url", "http://127.0.0.1:9", "--limit", "0")
    assert r.code == EXIT_USAGE and "--limit" in r.err


def test_waiting_times_read_well() -> None:
    assert [format_waited(s) for s in (None, 5, 125, 3 * 3600 + 300, 2 * 86400 + 4 * 3600)] == [
        "?",
        "5s",
        "2m",
        "3h 05m",
        "2d 04h",
    ]
