"""``bbot-tui run`` flags whose effect is on the server: checked in what the server reports
(the stored run, the thread, a webhook call it makes), not only in what we sent."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from cli_helpers import closed_port_url, get, post, run_cli

from bbot_tui.cli.common import EXIT_ERROR, EXIT_OK, EXIT_STOPPED, EXIT_USAGE
from bbot_tui.config.settings import Profile, Settings, save_settings


class _Hooks:
    """A loopback HTTP receiver for the server's webhook calls."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.arrived = threading.Event()
        hooks = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                size = int(self.headers.get("content-length") or 0)
                hooks.calls.append({"path": self.path, "body": json.loads(self.rfile.read(size))})
                self.send_response(204)
                self.end_headers()
                hooks.arrived.set()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)


@pytest.fixture
def hooks() -> Iterator[_Hooks]:
    receiver = _Hooks()
    receiver.thread.start()
    try:
        yield receiver
    finally:
        receiver.server.shutdown()
        receiver.server.server_close()


def _run(capsys: pytest.CaptureFixture[str], server_url: str, *args: str) -> Any:
    return run_cli(capsys, "run", "--url", server_url, *args)


def test_webhook_is_called_by_the_server_after_the_run(
    capsys: pytest.CaptureFixture[str],
    server_url: str,
    assistant_ids: dict[str, str],
    hooks: _Hooks,
) -> None:
    # tests/graphs/langgraph.json allows loopback webhooks so the server can call us here
    r = _run(
        capsys,
        server_url,
        "--assistant",
        assistant_ids["chat"],  # by id, not graph name
        "--message",
        "hook me",
        "--webhook",
        f"{hooks.url}/done?x=1",
    )
    assert r.code == EXIT_OK, r.err
    thread_id, run_id = r.ids
    assert (
        get(server_url, f"/threads/{thread_id}/runs/{run_id}")["assistant_id"]
        == (assistant_ids["chat"])
    )
    assert hooks.arrived.wait(30), "the server never called the webhook"
    call = hooks.calls[0]
    assert call["path"] == "/done?x=1"
    assert call["body"]["run_id"] == run_id and call["body"]["thread_id"] == thread_id
    assert call["body"]["status"] == "success"
    contents = [m["content"] for m in call["body"]["values"]["messages"]]
    assert contents == ["hook me", "You said: hook me. Here is a streamed answer."]


def test_webhook_rejected_by_the_server_exits_1_with_its_detail(
    capsys: pytest.CaptureFixture[str], server_url: str
) -> None:
    # valid for our model (up to 65536 characters), too long for the server (4096)
    r = _run(
        capsys,
        server_url,
        "--assistant",
        "chat",
        "--message",
        "x",
        "--webhook",
        "https://example.com/" + "a" * 5000,
    )
    assert r.code == EXIT_ERROR
    assert "HTTP 422" in r.err and "Webhook URL too long" in r.err
    assert r.out == ""


def test_feedback_keys_reach_the_server(
    capsys: pytest.CaptureFixture[str], server_url: str
) -> None:
    # the local server has no LangSmith to make feedback tokens with: the run ends in an error
    # that the CLI shows with the server's detail (exit 1), and the run keeps the keys
    r = _run(
        capsys,
        server_url,
        "--assistant",
        "chat",
        "--message",
        "fb",
        "--feedback-key",
        "good",
        "--feedback-key",
        "bad",
        "--json",
    )
    summary = r.summary
    run = get(server_url, f"/threads/{summary['thread_id']}/runs/{summary['run_id']}")
    assert run["kwargs"]["feedback_keys"] == ["good", "bad"]
    assert r.code == EXIT_ERROR
    assert summary["status"] == "error" and "LangSmith" in summary["error"]


def test_after_seconds_and_on_disconnect_are_accepted(
    capsys: pytest.CaptureFixture[str], server_url: str
) -> None:
    r = _run(
        capsys,
        server_url,
        "--assistant",
        "chat",
        "--message",
        "later",
        "--after-seconds",
        "0.25",
        "--on-disconnect",
        "continue",
    )
    assert r.code == EXIT_OK, r.err
    thread_id, run_id = r.ids
    run = get(server_url, f"/threads/{thread_id}/runs/{run_id}")
    assert run["kwargs"]["config"]["configurable"]["__after_seconds__"] == 0.25
    assert run["status"] == "success"


def test_if_not_exists_reject_is_the_servers_404(
    capsys: pytest.CaptureFixture[str], server_url: str
) -> None:
    thread_id = str(uuid.uuid4())
    args = ["--assistant", "chat", "--thread", thread_id, "--message", "x"]
    r = _run(capsys, server_url, *args, "--if-not-exists", "reject")
    assert r.code == EXIT_ERROR
    assert "HTTP 404" in r.err and thread_id in r.err
    r = _run(capsys, server_url, *args, "--if-not-exists", "create", "--resumable", "--json")
    assert r.code == EXIT_OK, r.err
    run = get(server_url, f"/threads/{thread_id}/runs/{r.summary['run_id']}")
    assert run["kwargs"]["resumable"] is True


def test_stateless_on_completion_delete_keeps_no_thread(
    capsys: pytest.CaptureFixture[str], server_url: str
) -> None:
    before = post(server_url, "/threads/count", {})
    r = _run(
        capsys,
        server_url,
        "--assistant",
        "chat",
        "--stateless",
        "--message",
        "gone",
        "--on-completion",
        "delete",
        "--json",
    )
    assert r.code == EXIT_OK, r.err
    assert r.summary["thread_id"] is None and r.summary["status"] == "success"
    # the server deletes the run's temporary thread as the run ends (maybe just after the stream)
    deadline = time.monotonic() + 30
    while post(server_url, "/threads/count", {}) != before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert post(server_url, "/threads/count", {}) == before


@pytest.mark.parametrize(
    "modes",
    [
        ["messages", "updates"],
        ["values"],
        ["updates"],
        ["events"],
        ["debug", "tasks", "checkpoints", "custom"],
    ],
)
def test_every_stream_mode_set_prints_the_same_answer(
    capsys: pytest.CaptureFixture[str], server_url: str, modes: list[str]
) -> None:
    flags = [a for m in modes for a in ("--stream-mode", m)]
    r = _run(capsys, server_url, "--assistant", "agent", "--message", "hi", *flags)
    assert r.code == EXIT_OK, r.err
    lines = r.out.splitlines()
    answer = "The weather tool says: Sunny, 21 °C in Paris. Enjoy your day!"
    assert [x for x in lines if not x.startswith("──")] == [
        '⚙ get_weather({"city": "Paris"})',
        "↳ Sunny, 21 °C in Paris.",
        answer,
    ]
    thread_id, run_id = r.ids
    assert get(server_url, f"/threads/{thread_id}/runs/{run_id}")["kwargs"]["stream_mode"] == modes


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--durability", "never"], "--durability: Input should be 'sync', 'async' or 'exit'"),
        (["--multitask-strategy", "queue"], "--multitask-strategy: Input should be 'reject'"),
        (["--stream-mode", "tokens"], "--stream-mode: Input should be 'values'"),
        (["--after-seconds", "soon"], "--after-seconds: Input should be a valid number"),
        (["--interrupt-before", "nope"], "--interrupt-before: unknown node 'nope'"),
    ],
)
def test_bad_values_against_the_real_server_create_nothing(
    capsys: pytest.CaptureFixture[str], server_url: str, args: list[str], expected: str
) -> None:
    threads = post(server_url, "/threads/count", {})
    r = _run(capsys, server_url, "--assistant", "steps", "--message", "x", *args)
    assert r.code == EXIT_USAGE
    assert expected in r.err and r.out == ""
    assert post(server_url, "/threads/count", {}) == threads  # no thread, so no run either


def test_recursion_limit_stops_the_graph_on_the_server(
    capsys: pytest.CaptureFixture[str], server_url: str
) -> None:
    r = _run(capsys, server_url, "--assistant", "steps", "--message", "s", "--recursion-limit", "2")
    assert r.code == EXIT_ERROR
    # the answer so far on stdout, the failure once, on stderr
    assert r.out == "── step1 ──\nstep1\n── step2 ──\nstep2\n"
    assert "run failed: GraphRecursionError: Recursion limit of 2 reached" in r.err
    assert (r.out + r.err).count("GraphRecursionError") == 1
    thread_id, run_id = r.ids
    assert get(server_url, f"/threads/{thread_id}/runs/{run_id}")["status"] == "error"


@pytest.mark.parametrize(("durability", "checkpoints"), [("sync", 5), ("exit", 1)])
def test_durability_decides_which_checkpoints_the_server_keeps(
    capsys: pytest.CaptureFixture[str], server_url: str, durability: str, checkpoints: int
) -> None:
    r = _run(
        capsys, server_url, "--assistant", "steps", "--message", "s", "--durability", durability
    )
    assert r.code == EXIT_OK, r.err
    thread_id, _ = r.ids
    history = post(server_url, f"/threads/{thread_id}/history", {"limit": 20})
    assert len(history) == checkpoints
    contents = [m["content"] for m in history[0]["values"]["messages"]]
    assert contents == ["s", "step1", "step2", "step3"]


def test_saved_profiles_are_used_and_named_in_the_continue_command(
    capsys: pytest.CaptureFixture[str], server_url: str
) -> None:
    profiles = {
        "local": Profile(name="local", base_url=server_url),
        "dead": Profile(name="dead", base_url=closed_port_url()),
    }
    save_settings(Settings(profiles=profiles, active_profile="local"))
    r = run_cli(capsys, "run", "--assistant", "approval", "--message", "p")  # the active one
    assert r.code == EXIT_STOPPED, r.err
    argv = r.command("to answer: ")
    assert argv[:3] == ["run", "--profile", "local"] and "--url" not in argv
    r = run_cli(capsys, *[a.replace("<JSON>", '"ok"') for a in argv])
    assert r.code == EXIT_OK, r.err
    assert r.out == "── approve ──\nyou said ok\n"
    r = run_cli(capsys, "run", "--profile", "dead", "--assistant", "chat", "--message", "p")
    assert r.code == EXIT_ERROR and "error:" in r.err
    r = run_cli(capsys, "run", "--profile", "nope", "--assistant", "chat", "--message", "p")
    assert r.code == EXIT_USAGE
    assert "--profile: no profile named 'nope' (dead, local)" in r.err
