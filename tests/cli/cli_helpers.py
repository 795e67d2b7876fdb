"""Helpers for the headless CLI tests: call ``main([...])`` in-process and read what it printed.

``main`` runs ``asyncio.run``, so the tests that use these are plain sync functions.
"""

from __future__ import annotations

import json
import re
import shlex
import socket
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from bbot_tui.cli.main import main

_RUN_LINE = re.compile(r"▶ thread (\S+) · run (\S+)")


@dataclass
class CliResult:
    """Exit code and captured output of one ``bbot-tui`` invocation."""

    code: int
    out: str
    err: str

    def lines(self) -> list[dict[str, Any]]:
        """stdout parsed as JSON lines (every line must parse)."""
        return [json.loads(line) for line in self.out.splitlines()]

    @property
    def summary(self) -> dict[str, Any]:
        """The last ``--json`` line."""
        last = self.lines()[-1]
        assert last["type"] == "summary"
        return last

    @property
    def ids(self) -> tuple[str, str]:
        """``(thread_id, run_id)`` announced on stderr."""
        match = _RUN_LINE.search(self.err)
        assert match, self.err
        return match.group(1), match.group(2)

    def command(self, prefix: str) -> list[str]:
        """The argv of the printed ``<prefix> bbot-tui …`` command (without ``bbot-tui``)."""
        for line in self.out.splitlines():
            if line.startswith(prefix):
                argv = shlex.split(line[len(prefix) :])
                assert argv[0] == "bbot-tui"
                return argv[1:]
        raise AssertionError(f"no {prefix!r} line in:\n{self.out}")

    def command_from_summary(self) -> list[str]:
        """The argv of the ``--json`` summary's ``continue`` command (without ``bbot-tui``)."""
        argv = shlex.split(self.summary["continue"])
        assert argv[0] == "bbot-tui"
        return argv[1:]


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> CliResult:
    """Run ``bbot-tui *args`` in-process."""
    code = main(list(args))
    captured = capsys.readouterr()
    return CliResult(code, captured.out, captured.err)


def closed_port_url() -> str:
    """A loopback URL where nothing listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def get(server_url: str, path: str) -> Any:
    """GET a JSON resource from the real server."""
    response = httpx.get(f"{server_url}{path}", timeout=30)
    response.raise_for_status()
    return response.json()


def post(server_url: str, path: str, body: Any) -> Any:
    """POST to the real server and decode the JSON answer."""
    response = httpx.post(f"{server_url}{path}", json=body, timeout=30)
    response.raise_for_status()
    return response.json() if response.content.strip() else None


def replace(argv: list[str], placeholder: str, value: str) -> list[str]:
    """Fill a placeholder in a printed command (``ID=<JSON>`` → ``ID=value``)."""
    return [a.replace(placeholder, value) for a in argv]


def thread_ids(server_url: str) -> set[str]:
    """Every thread id on the server."""
    body = {"limit": 1000, "select": ["thread_id"]}
    return {t["thread_id"] for t in post(server_url, "/threads/search", body)}


def thread_texts(server_url: str, limit: int = 20) -> list[str]:
    """The message texts of the newest threads, one string per thread."""
    threads = post(server_url, "/threads/search", {"limit": limit, "sort_by": "created_at"})
    return [json.dumps((t.get("values") or {}).get("messages", [])) for t in threads]
