"""``bbot-tui watch THREAD``: runs started elsewhere (plain HTTP requests) printed as ``run``
prints its own, one summary line per finished run with ``--json``; Ctrl+C (SIGINT to a real
process) exits 130 and leaves the run going on the server."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from typing import Any

import pytest
from cli_helpers import get, post, run_cli

from bbot_tui.cli.common import EXIT_ERROR, EXIT_INTERRUPTED

ECHO = "You said: {}. Here is a streamed answer."
"""The ``chat`` node's answer (tests/graphs/basic.py)."""


class _Watch:
    """A ``bbot-tui watch`` child process whose output is read by two threads (no blocking)."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bbot_tui", "watch", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self.out: list[str] = []
        self.err: list[str] = []
        self._lines: dict[str, queue.Queue[str | None]] = {
            "out": queue.Queue(),
            "err": queue.Queue(),
        }
        for name, pipe in (("out", self.proc.stdout), ("err", self.proc.stderr)):
            threading.Thread(target=self._read, args=(name, pipe), daemon=True).start()

    def _read(self, name: str, pipe: Any) -> None:
        for line in pipe:
            self._lines[name].put(line)
        self._lines[name].put(None)

    def _wait(self, name: str, test: Any, timeout: float = 30.0) -> str:
        seen = self.out if name == "out" else self.err
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self._lines[name].get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"nothing passed on std{name}: {''.join(seen)}") from None
            if line is None:
                raise AssertionError(f"std{name} ended: {''.join(seen)}")
            seen.append(line)
            if test(line):
                return line

    def wait_err(self, text: str) -> None:
        """Read stderr until a line contains ``text``."""
        self._wait("err", lambda line: text in line)

    def wait_out(self, test: Any) -> str:
        """Read stdout until a line passes ``test``."""
        return self._wait("out", test)

    def interrupt(self) -> tuple[int, str]:
        """Ctrl+C; the exit code and all of stderr."""
        self.proc.send_signal(signal.SIGINT)
        code = self.proc.wait(timeout=30)
        for name, seen in (("out", self.out), ("err", self.err)):
            while (line := self._lines[name].get(timeout=10)) is not None:
                seen.append(line)
        return code, "".join(self.err)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=30)


def _run(server_url: str, thread_id: str, body: dict[str, Any]) -> str:
    return str(post(server_url, f"/threads/{thread_id}/runs", body)["run_id"])


def _user(text: str) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": text}]}


def test_watch_json_prints_each_run_and_ctrl_c_leaves_the_run_going(
    server_url: str, assistant_ids: dict[str, str]
) -> None:
    thread_id = post(server_url, "/threads", {})["thread_id"]
    watch = _Watch("--url", server_url, thread_id, "--json")
    try:
        watch.wait_err("following the thread")
        modes = ["messages-tuple", "updates"]
        body = {"assistant_id": "chat", "input": _user("hello"), "stream_mode": modes}
        run_id = _run(server_url, thread_id, body)
        watch.wait_out(lambda line: json.loads(line)["type"] == "summary")
        lines = [json.loads(line) for line in watch.out]
        events, summary = lines[:-1], lines[-1]
        assert events[0] == {
            "type": "event",
            "mode": "metadata",
            "ns": [],
            "id": events[0]["id"],
            "data": {"run_id": run_id, "attempt": 1},
        }
        assert {e["mode"] for e in events} == {"metadata", "messages", "updates"}
        assert (summary["run_id"], summary["thread_id"], summary["status"]) == (
            run_id,
            thread_id,
            "success",
        )
        assert summary["assistant_id"] == assistant_ids["chat"]
        assert [m["content"] for m in summary["messages"]] == ["hello", ECHO.format("hello")]

        # a long run started elsewhere: Ctrl+C stops watching, the run goes on
        body = {
            "assistant_id": "slow",
            "input": _user("x"),
            "context": {"tokens": 80, "delay": 0.05},
            "stream_mode": modes,
        }
        slow = _run(server_url, thread_id, body)
        watch.wait_out(lambda line: json.loads(line).get("mode") == "messages")
        code, err = watch.interrupt()
        assert code == EXIT_INTERRUPTED, err
        assert f"stopped following thread {thread_id}; run {slow} goes on" in err
        assert get(server_url, f"/threads/{thread_id}/runs/{slow}")["status"] == "running"
        deadline = time.monotonic() + 30
        while get(server_url, f"/threads/{thread_id}/runs/{slow}")["status"] == "running":
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert get(server_url, f"/threads/{thread_id}/runs/{slow}")["status"] == "success"
        assert not [line for line in watch.out[len(lines) :] if '"summary"' in line]
    finally:
        watch.kill()


def test_watch_text_prints_the_run_and_its_question(server_url: str) -> None:
    thread_id = post(server_url, "/threads", {})["thread_id"]
    watch = _Watch("--url", server_url, thread_id)
    try:
        watch.wait_err("following the thread")
        run_id = _run(server_url, thread_id, {"assistant_id": "approval", "input": _user("draft")})
        watch.wait_err(f"■ run {run_id}: interrupted")
        code, err = watch.interrupt()
        assert code == EXIT_INTERRUPTED
        out = "".join(watch.out)
        state = get(server_url, f"/threads/{thread_id}/state")
        interrupt_id = state["interrupts"][0]["id"]
        assert out.startswith(f"› draft\n{ECHO.format('draft')}\n⏸ interrupt {interrupt_id}\n")
        assert '"question": "approve?"' in out
        assert f"▶ thread {thread_id} · run {run_id} · assistant approval (" in err
        assert f"■ run {run_id}: interrupted" in err
        assert f"stopped following thread {thread_id}\n" in err
    finally:
        watch.kill()


def test_watch_a_missing_thread_fails(capsys: pytest.CaptureFixture[str], server_url: str) -> None:
    r = run_cli(capsys, "watch", "--url", server_url, "00000000-0000-4000-8000-000000000000")
    assert r.code == EXIT_ERROR
    assert "HTTP 404" in r.err
