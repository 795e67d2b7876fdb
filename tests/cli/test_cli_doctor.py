"""``bbot-tui doctor`` against the real local server, a closed port, and a wrong base path."""

from __future__ import annotations

import json

import pytest
from cli_helpers import closed_port_url, run_cli

from bbot_tui.cli.common import EXIT_ERROR, EXIT_OK

CANARY = "bbot_DOCTORCANARY9876"


def test_every_check_passes_against_the_local_server(
    capsys: pytest.CaptureFixture[str], server_url: str, assistant_ids: dict[str, str]
) -> None:
    r = run_cli(capsys, "doctor", "--url", server_url)
    assert r.code == EXIT_OK, r.out
    lines = r.out.splitlines()
    assert lines == [
        f"✓ URL: {server_url} is well-formed",
        lines[1],
        f"✓ base path: {server_url} answers",
        "✓ assistants path: /assistants/search answers (LangGraph)",
        "✓ API key: none needed: the server answered without one",
        "✓ /ok: health endpoint answers",
        lines[6],
        "✓ event protocol: the thread-centric event protocol is offered over SSE and "
        "WebSocket; runs use it (over SSE) with --protocol events or auto",
        f"✓ assistants: {len(assistant_ids)} assistants",
        lines[9],
        "all checks passed",
    ]
    assert lines[1].startswith("✓ server reachable: answered in ")
    assert lines[6].startswith("✓ /info: server version ")
    assert lines[9].startswith("✓ streaming: a run of ") and "streamed its first event" in lines[9]
    assert f"checking {server_url} (key: (none))" in r.err


def test_a_key_is_reported_accepted_but_never_shown(
    capsys: pytest.CaptureFixture[str], server_url: str
) -> None:
    # the local server ignores keys: the check says it was accepted, shown masked only
    r = run_cli(capsys, "doctor", "--url", server_url, "--api-key", CANARY, "--json")
    assert r.code == EXIT_OK, r.out
    doc = json.loads(r.out)
    assert doc["ok"] is True
    assert doc["base_url"] == server_url and doc["assistants_path"] == "assistants"
    checks = {c["name"]: c for c in doc["checks"]}
    assert list(checks) == [
        "URL",
        "server reachable",
        "base path",
        "assistants path",
        "API key",
        "/ok",
        "/info",
        "event protocol",
        "assistants",
        "streaming",
    ]
    assert all(c["ok"] is True for c in checks.values())
    assert checks["API key"]["detail"].startswith("accepted (")
    assert "DOCTORCANARY" not in r.out + r.err


def test_a_closed_port_is_said_plainly(capsys: pytest.CaptureFixture[str]) -> None:
    url = closed_port_url()
    r = run_cli(capsys, "doctor", "--url", url)
    assert r.code == EXIT_ERROR
    assert r.out.splitlines() == [
        f"✓ URL: {url} is well-formed",
        f"✗ server reachable: nothing is listening at {url}",
        "    fix: start the server (e.g. `bbot-tui demo` or `langgraph dev`), or check the "
        "host, port and your network",
        "some checks failed",
    ]
    r = run_cli(capsys, "doctor", "--url", url, "--json")
    assert r.code == EXIT_ERROR
    doc = json.loads(r.out)
    assert doc["ok"] is False and doc["base_url"] is None
    assert doc["checks"][-1]["name"] == "server reachable" and doc["checks"][-1]["ok"] is False


def test_a_wrong_base_path_names_what_was_tried(
    capsys: pytest.CaptureFixture[str], server_url: str
) -> None:
    r = run_cli(capsys, "doctor", "--url", f"{server_url}/api/v2")
    assert r.code == EXIT_ERROR
    assert "✓ server reachable" in r.out
    assert f"✗ base path: no assistants endpoint at {server_url}/api/v2 or {server_url}/v2" in r.out
    assert "fix: use the API root" in r.out


def test_a_malformed_url_is_explained(capsys: pytest.CaptureFixture[str]) -> None:
    r = run_cli(capsys, "doctor", "--url", "ftp://example.com")
    assert r.code != EXIT_OK
    assert "✗ URL:" in r.out and "only http and https" in r.out
