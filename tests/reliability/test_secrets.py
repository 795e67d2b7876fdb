"""Secrets (issue 6 §4, docs/PROTOCOL.md "Secrets"): a canary key leaks nowhere, and goes nowhere
else.

The canary is used for real runs; then every place a key could leak is searched for it: log
records (httpx, httpcore and ours, at DEBUG), ``bbot-tui run`` output and its ``--record``
file, the ``--json`` export, notifications of the TUI, and the crash screen of a forced crash
(whose traceback must not print local variables). The key must only ever travel in the
``bbot-api-key`` header to the configured origin, and no other tool's key from the environment
may be sent at all.
"""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hostile import HostileServer, json_response, unauthorized_no_body
from rich.console import Console

from bbot_tui.api import errors
from bbot_tui.api.client import AgentClient
from bbot_tui.config.security import install_log_redaction
from bbot_tui.config.settings import Profile, Settings
from bbot_tui.tui.app import make_app

CANARY = "bbot_canary_5e1f0c9a77d3"
OTHER_KEYS = {
    "LANGSMITH_API_KEY": "lsv2_pt_othertool_secret_1",
    "LANGCHAIN_API_KEY": "lsv2_pt_othertool_secret_2",
    "LANGGRAPH_API_KEY": "lgk_othertool_secret_3",
    "OPENAI_API_KEY": "sk-othertool-secret-4",
    "X_API_KEY": "othertool-secret-5",
}


def _cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bbot_tui", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_canary_is_absent_from_cli_output_recording_export_and_logs(
    server_url: str, tmp_path: Path
) -> None:
    record = tmp_path / "run.jsonl"
    env = {"BBOT_URL": server_url, "BBOT_API_KEY": CANARY, "BBOT_TUI_LOG_LEVEL": "DEBUG"}
    args = ["run", "--assistant", "chat", "--message", "hi"]
    done = _cli([*args, "--record", str(record), "--json"], env)
    assert done.returncode == 0, done.stderr
    assert "You said: hi" in done.stdout
    failed = _cli(["run", "--assistant", "nope", "--message", "x"], env)
    assert failed.returncode != 0 and failed.stderr  # a forced error, reported
    logs = list(Path(os.environ["BBOT_TUI_HOME"]).rglob("*.log"))
    places = {
        "stdout": done.stdout + failed.stdout,
        "stderr": done.stderr + failed.stderr,
        "recording": record.read_text(),
        **{str(p): p.read_text(errors="replace") for p in logs},
    }
    assert record.stat().st_mode & 0o077 == 0
    leaks = [name for name, text in places.items() if CANARY in text]
    assert leaks == []


async def test_canary_is_redacted_from_log_records(hostile: HostileServer) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(name)s %(message)s %(args)s"))
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    install_log_redaction()
    try:
        hostile.route("GET", r"/ok", unauthorized_no_body())
        async with AgentClient(hostile.url, api_key=CANARY) as client:
            with pytest.raises(errors.AuthError) as info:
                await client.ok()
            logging.getLogger("bbot_tui").error("failed with %s %r", info.value, client)
            logging.getLogger("bbot_tui").debug("the key was %s", CANARY)
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
    text = stream.getvalue()
    assert "httpx" in text  # httpx did log the requests
    assert CANARY not in text


async def test_canary_is_absent_from_notifications_and_the_crash_screen(
    hostile: HostileServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    hostile.route("GET", r"/ok", [json_response(200, {"ok": True})])
    hostile.route("GET", r"/info", [json_response(200, {"version": "x"})])
    hostile.route("POST", r"/assistants/search", unauthorized_no_body())
    hostile.route("POST", r"/distribution-channels/search", unauthorized_no_body())
    profile = Profile(name="p", base_url=hostile.url, api_key=CANARY)
    app = make_app(Settings(profiles={"p": profile}, active_profile="p"), persist=False)
    crash_screen = io.StringIO()  # where Textual prints the crash screen (its error console)
    monkeypatch.setattr(app, "error_console", Console(file=crash_screen, width=200))
    with pytest.raises(RuntimeError, match="forced crash"):  # run_test re-raises it
        async with app.run_test(size=(120, 40)) as pilot:
            await app.ready.wait()
            for _ in range(400):  # a hang guard, not a speed check
                if app._notifications and hostile.hits("POST", r".*/search"):
                    break
                await pilot.pause(0.05)
            await pilot.pause()
            notes = [f"{n.title} {n.message}" for n in app._notifications]
            assert notes, "the rejected key was not reported"
            assert not any(CANARY in note for note in notes)
            assert all(r.headers.get("bbot-api-key") == CANARY for r in hostile.requests)

            def crash() -> None:
                headers = {"bbot-api-key": profile.api_key.get_secret_value()}  # type: ignore[union-attr]
                raise RuntimeError(f"forced crash with {len(headers)} header")

            app.call_later(crash)
            await pilot.pause()
    crash_text = crash_screen.getvalue()
    assert "forced crash" in crash_text  # the crash screen was drawn…
    assert CANARY not in crash_text  # …without the local variable holding the key


async def test_key_goes_only_to_the_configured_origin_in_its_header(
    hostile: HostileServer,
) -> None:
    async with HostileServer(max_seconds=30) as other:
        other.route("GET", r".*", [json_response(200, {})])
        hostile.route("GET", r".*", [json_response(200, {})])
        async with AgentClient(hostile.url, api_key=CANARY) as client:
            await client.ok()
            await client.http.request("GET", f"{other.url}/ok")  # an absolute URL elsewhere
            await client.http.request("GET", hostile.url.replace("127.0.0.1", "localhost") + "/ok")
        first = hostile.requests[0]
        assert first.headers.get("bbot-api-key") == CANARY
        assert [v for _, v in first.raw_headers].count(CANARY) == 1  # in that header only
        assert "x-api-key" not in first.headers and "authorization" not in first.headers
        for request in [*other.requests, *hostile.requests[1:]]:
            assert CANARY not in str(request.raw_headers)  # another origin: no key


def test_keys_of_other_tools_in_the_environment_are_never_sent(
    server_url: str, tmp_path: Path
) -> None:
    import asyncio

    async def serve_and_run() -> tuple[list[str], subprocess.CompletedProcess[str]]:
        async with HostileServer(max_seconds=60) as server:
            server.route("GET", r".*", [json_response(200, [])])
            server.route("POST", r".*", [json_response(200, [])])
            env = dict(OTHER_KEYS)
            args = ["run", "--url", server.url, "--assistant", "chat", "--message", "hi"]
            done = await asyncio.to_thread(_cli, args, env)
            return [str(r.raw_headers) + r.body.decode("latin-1") for r in server.requests], done

    sent, done = asyncio.run(serve_and_run())
    assert sent, f"the CLI sent nothing: {done.stderr}"
    for value in OTHER_KEYS.values():
        assert not any(value in request for request in sent)
        assert value not in done.stdout + done.stderr
    assert not any("bbot-api-key" in request.lower() for request in sent)


def test_plain_http_to_a_remote_host_is_refused_with_a_key(tmp_path: Path) -> None:
    env = {"BBOT_URL": "http://203.0.113.9:9", "BBOT_API_KEY": CANARY}
    done = _cli(["run", "--assistant", "a", "--message", "x"], env)
    assert done.returncode != 0
    assert "plain http" in done.stderr
    assert CANARY not in done.stdout + done.stderr
    with pytest.raises(errors.ConfigError):
        AgentClient("http://203.0.113.9:9", api_key=CANARY)
