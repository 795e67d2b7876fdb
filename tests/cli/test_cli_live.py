"""Live runs: ``--detach`` and ``join`` (with ``--last-event-id``), a busy thread with
``--multitask-strategy reject``, Ctrl+C (SIGINT to a real ``bbot-tui`` process: exit 130, the run
cancelled on the server unless detached), and ``--on-disconnect`` when the client dies."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from typing import Any

import pytest
from cli_helpers import get, run_cli

from bbot_tui.cli.common import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_OK

SLOW = '{"tokens": 60, "delay": 0.05}'
"""About 3 s of tokens: long enough to act on the run while it streams."""


def _wait_run_done(server_url: str, thread_id: str, run_id: str) -> dict[str, Any]:
    """Poll the server until the run is no longer pending or running."""
    deadline = time.monotonic() + 60
    while True:
        run = get(server_url, f"/threads/{thread_id}/runs/{run_id}")
        if run["status"] not in ("pending", "running") or time.monotonic() > deadline:
            return run  # type: ignore[no-any-return]
        time.sleep(0.1)


def _wait_thread_settled(server_url: str, thread_id: str) -> str:
    """Poll the server until the thread is no longer busy; its status."""
    deadline = time.monotonic() + 30
    while True:
        status = str(get(server_url, f"/threads/{thread_id}")["status"])
        if status != "busy" or time.monotonic() > deadline:
            return status
        time.sleep(0.05)


class _Cli:
    """A ``bbot-tui --json`` child process whose stdout is read line by line."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bbot_tui", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self.lines: list[dict[str, Any]] = []

    def read_until(self, mode: str) -> None:
        """Read JSON lines until an event of ``mode`` arrived."""
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            self.lines.append(json.loads(raw))
            if self.lines[-1].get("mode") == mode:
                return
        raise AssertionError(f"no {mode} event; stderr: {self.proc.stderr.read()}")  # type: ignore[union-attr]

    def finish(self) -> tuple[int, str]:
        # read through the same text wrapper as read_until: communicate() would read the pipe
        # underneath and lose what the wrapper has buffered (a line cut in two)
        assert self.proc.stdout is not None and self.proc.stderr is not None
        self.lines += [json.loads(raw) for raw in self.proc.stdout.read().splitlines()]
        err = self.proc.stderr.read()
        return self.proc.wait(timeout=60), err

    @property
    def run_id(self) -> str:
        return str(self.lines[0]["data"]["run_id"])


def test_detach_then_reject_then_join_follows_the_live_run(
    capsys: pytest.CaptureFixture[str], server_url: str
) -> None:
    base = ["--url", server_url]
    r = run_cli(
        capsys, "run", *base, "--assistant", "slow", "--message", "go", "--context", SLOW,
        "--detach", "--json",
    )  # fmt: skip
    assert r.code == EXIT_OK, r.err
    detached = r.summary
    thread_id, run_id = detached["thread_id"], detached["run_id"]
    assert detached["status"] in ("pending", "running")
    assert r.command_from_summary() == ["join", *base, thread_id, run_id]
    # the thread is busy: a second run with "reject" is refused by the server (409)
    r = run_cli(
        capsys, "run", *base, "--thread", thread_id, "--assistant", "slow", "--message", "again",
        "--multitask-strategy", "reject",
    )  # fmt: skip
    assert r.code == EXIT_ERROR
    assert "HTTP 409" in r.err and "already running" in r.err
    # join without a run id finds the live run and follows it to the end
    r = run_cli(capsys, "join", *base, thread_id, "--json")
    assert r.code == EXIT_OK, r.err
    joined = r.lines()
    assert joined[-1]["status"] == "success" and joined[-1]["run_id"] == run_id
    full = " ".join(f"tok{i}" for i in range(60))
    assert joined[-1]["messages"][-1]["content"] == full
    assert [run["run_id"] for run in get(server_url, f"/threads/{thread_id}/runs")] == [run_id]
    state = get(server_url, f"/threads/{thread_id}/state")
    assert [m["content"] for m in state["values"]["messages"]] == ["go", full]
    # --last-event-id replays what came after that event (the run was resumable)
    events = joined[:-1]
    cut = events[10]["id"]
    r = run_cli(capsys, "join", *base, thread_id, run_id, "--last-event-id", cut, "--json")
    assert r.code == EXIT_OK, r.err
    assert [e["id"] for e in r.lines()[:-1]] == [e["id"] for e in events[11:]]
    # text mode: the whole answer again, once
    r = run_cli(capsys, "join", *base, thread_id, run_id)
    assert r.code == EXIT_OK, r.err
    assert r.out == f"── talk ──\n{full}\n"


def test_join_without_a_live_run_says_so(
    capsys: pytest.CaptureFixture[str], server_url: str
) -> None:
    r = run_cli(capsys, "run", "--url", server_url, "--assistant", "chat", "--message", "x")
    thread_id, run_id = r.ids
    r = run_cli(capsys, "join", "--url", server_url, thread_id)
    assert r.code == EXIT_ERROR
    assert f"no pending or running run on thread {thread_id}" in r.err
    assert f"latest: {run_id}, success" in r.err


def test_ctrl_c_cancels_the_run_on_the_server(server_url: str) -> None:
    cli = _Cli(
        "run", "--url", server_url, "--assistant", "slow", "--message", "x", "--context", SLOW,
        "--json",
    )  # fmt: skip
    cli.read_until("messages")  # the run streams its first token
    cli.proc.send_signal(signal.SIGINT)
    code, err = cli.finish()
    assert code == EXIT_INTERRUPTED, err
    summary = cli.lines[-1]
    assert summary["type"] == "summary" and summary["status"] == "cancelled"
    assert f"cancelled run {cli.run_id}" in err
    thread_id = summary["thread_id"]
    # the CLI waited for the server to confirm: no polling needed here
    assert get(server_url, f"/threads/{thread_id}/runs/{cli.run_id}")["status"] == "interrupted"
    # the thread is left "interrupted" (its status may trail the run's) with no question pending
    assert _wait_thread_settled(server_url, thread_id) == "interrupted"
    assert get(server_url, f"/threads/{thread_id}/state")["interrupts"] == []


def test_ctrl_c_on_a_detached_join_leaves_the_run_going(
    capsys: pytest.CaptureFixture[str], server_url: str
) -> None:
    r = run_cli(
        capsys, "run", "--url", server_url, "--assistant", "slow", "--message", "x",
        "--context", '{"tokens": 100, "delay": 0.05}', "--detach", "--json",
    )  # fmt: skip
    thread_id, run_id = r.summary["thread_id"], r.summary["run_id"]
    # (5 s of tokens: the child process starts in 1-2 s and must join a run still going)
    cli = _Cli("join", "--url", server_url, thread_id, run_id, "--detach", "--json")
    cli.read_until("messages")
    cli.proc.send_signal(signal.SIGINT)
    code, err = cli.finish()
    assert code == EXIT_INTERRUPTED, err
    assert "left the run going; to follow it: bbot-tui join" in err
    assert cli.lines[-1]["status"] == "cancelled"  # what this client saw: it stopped following
    assert _wait_run_done(server_url, thread_id, run_id)["status"] == "success"


@pytest.mark.parametrize(("policy", "status"), [("cancel", "interrupted"), ("continue", "success")])
def test_on_disconnect_decides_what_a_dead_client_leaves(
    server_url: str, policy: str, status: str
) -> None:
    cli = _Cli(
        "run", "--url", server_url, "--assistant", "slow", "--message", "x",
        "--context", '{"tokens": 30, "delay": 0.05}', "--on-disconnect", policy, "--json",
    )  # fmt: skip
    cli.read_until("messages")
    cli.proc.kill()  # no chance to cancel: the server only sees the connection drop
    cli.proc.communicate(timeout=30)
    metadata = next(e for e in cli.lines if e.get("mode") == "messages")["data"][1]
    thread_id = metadata["thread_id"]
    assert _wait_run_done(server_url, thread_id, cli.run_id)["status"] == status
