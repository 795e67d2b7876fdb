"""Smoke tests of the real local server fixture and ``LocalServer`` (plain httpx only)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from bbot_tui.demo.server import LocalServer, find_api_url

GRAPHS_CONFIG = Path(__file__).resolve().parents[1] / "graphs" / "langgraph.json"
GRAPH_IDS = {
    "chat",
    "approval",
    "agent",
    "fail",
    "subgraph",
    "parallel",
    "slow",
    "writer",
    "steps",
    "legacy_hitl",
    "hitl_v1",
    "markdown",
    "echo",
    "reasoning",
    "subagent",
}


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_find_api_url_strips_ansi() -> None:
    line = "- \U0001f680 API: \x1b[36mhttp://127.0.0.1:43210\x1b[0m\r\n"
    assert find_api_url(line) == "http://127.0.0.1:43210"
    assert find_api_url("WARNING: Port 2024 is already in use") is None


def test_ok(server_url: str) -> None:
    response = httpx.get(f"{server_url}/ok")
    assert response.status_code == 200
    assert response.json()["ok"] is True


def test_all_graphs_listed(assistant_ids: dict[str, str]) -> None:
    assert set(assistant_ids) == GRAPH_IDS


def test_chat_stream_echoes(server_url: str, assistant_ids: dict[str, str]) -> None:
    with httpx.Client(base_url=server_url, timeout=30) as client:
        thread_id = client.post("/threads", json={}).json()["thread_id"]
        body = {
            "assistant_id": assistant_ids["chat"],
            "input": {"messages": [{"role": "user", "content": "ping"}]},
            "stream_mode": ["messages-tuple", "updates"],
        }
        events: list[tuple[str, object]] = []
        with client.stream("POST", f"/threads/{thread_id}/runs/stream", json=body) as response:
            assert response.status_code == 200
            event = ""
            for line in response.iter_lines():
                if line.startswith("event: "):
                    event = line.removeprefix("event: ")
                elif line.startswith("data: "):
                    events.append((event, json.loads(line.removeprefix("data: "))))
        chunks = [data[0]["content"] for name, data in events if name == "messages"]  # type: ignore[index]
        expected = "You said: ping. Here is a streamed answer."
        assert len(chunks) > 3
        assert "".join(chunks) == expected
        assert [name for name, _ in events].count("updates") == 1
        state = client.get(f"/threads/{thread_id}/state").json()
        assert state["values"]["messages"][-1]["content"] == expected
        assert client.get(f"/threads/{thread_id}").json()["status"] == "idle"


def test_log_shows_real_port(local_server: LocalServer) -> None:
    announced = [
        find_api_url(line) for line in local_server.log_path.read_text("utf-8").splitlines()
    ]
    urls = [url for url in announced if url]
    assert urls == [local_server.url]
    assert urlsplit(urls[0]).port != 2024


@pytest.mark.server
def test_stop_ends_the_process(tmp_path: Path) -> None:
    server = LocalServer(GRAPHS_CONFIG, log_path=tmp_path / "server.log")
    with server:
        pid = server.pid
        assert pid is not None and _pid_alive(pid)
        assert httpx.get(f"{server.url}/ok").status_code == 200
    assert server.process is not None and server.process.returncode is not None
    assert not _pid_alive(pid)
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{server.url}/ok")
    server.stop()  # idempotent
