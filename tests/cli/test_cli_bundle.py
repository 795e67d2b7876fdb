"""``bbot-tui bundle THREAD`` against the real server (issue 15 §2).

A bundle holds what its README says (the server's ``/info``, versions, the profile and run
options without secrets, the thread's state, history and runs, the client's live runs and logs)
and a canary key appears nowhere in it: not in any member once unzipped, not in a file name, not
in the zip's headers, not in an error.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import get, post, run_cli

from bbot_tui.cli.common import EXIT_ERROR, EXIT_OK
from bbot_tui.config import paths
from bbot_tui.config.run_state import remember_run
from bbot_tui.config.settings import Profile, Settings, save_settings
from bbot_tui.session.run_options import RunOptions

CANARY = "bbot_canary_b0d1e5c3a7f4"


def _members(path: Path) -> dict[str, bytes]:
    raw = path.read_bytes()
    assert CANARY.encode() not in raw  # file names, headers, comment
    with zipfile.ZipFile(path) as archive:
        assert CANARY.encode() not in archive.comment
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    for name, data in members.items():
        assert CANARY not in name
        assert CANARY.encode() not in data, name
    return members


def _json(members: dict[str, bytes], name: str) -> Any:
    return json.loads(members[name].decode("utf-8"))


def _masked(value: Any) -> Any:
    return json.loads(json.dumps(value).replace(CANARY, "***"))


def test_a_bundle_holds_what_its_readme_says_and_no_secret(
    capsys: pytest.CaptureFixture[str],
    server_url: str,
    assistant_ids: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    chat = assistant_ids["chat"]
    profile = Profile(
        name="work",
        base_url=server_url,
        api_key=CANARY,
        extra_headers={"X-Trace": f"t-{CANARY}"},
    )
    options = RunOptions(tags=["bundle"], configurable=json.dumps({"token": CANARY}))
    save_settings(
        Settings(
            profiles={"work": profile},
            active_profile="work",
            run_options={chat: options.to_settings()},
        )
    )
    thread_id = post(server_url, "/threads", {"metadata": {"title": f"about {CANARY}"}})[
        "thread_id"
    ]
    said = {"messages": [{"role": "user", "content": f"my key is {CANARY}"}]}
    post(server_url, f"/threads/{thread_id}/runs/wait", {"assistant_id": chat, "input": said})
    remember_run(
        {"base_url": server_url, "thread_id": thread_id, "run_id": "r-live", "assistant_id": chat}
    )
    (paths.log_dir() / "bbot-tui.log").write_text(f"connected with {CANARY}\nall good\n")
    monkeypatch.setenv("BBOT_API_KEY", CANARY)
    target = tmp_path / "bundle.zip"

    r = run_cli(capsys, "bundle", thread_id, "--profile", "work", "-o", str(target))
    assert r.code == EXIT_OK, r.err
    assert r.out == f"bundle written to {target} (12 files)\n"
    assert CANARY not in r.out + r.err
    assert target.stat().st_mode & 0o777 == 0o600
    members = _members(target)
    assert next(iter(members)) == "README.txt"
    assert set(members) == {
        "README.txt",
        "server/info.json",
        "client/versions.json",
        "client/connection.json",
        "thread/thread.json",
        "thread/state.json",
        "thread/history.json",
        "thread/runs.json",
        "thread/assistant.json",
        "client/run-options.json",
        "client/active-runs.json",
        "client/log/bbot-tui.log",
    }
    readme = members["README.txt"].decode()
    for name in members:  # the README names every file
        if name != "README.txt":
            assert f"\n{name}  " in readme, name
    assert "recorded events: this client keeps no events of past runs" in readme
    assert "a client log" not in readme  # there is one
    # the server's data, as the server has it (the key masked)
    assert _json(members, "server/info.json") == get(server_url, "/info")
    state = _json(members, "thread/state.json")
    assert state["values"] == _masked(get(server_url, f"/threads/{thread_id}/state")["values"])
    assert state["values"]["messages"][0]["content"] == "my key is ***"
    history = post(server_url, f"/threads/{thread_id}/history", {"limit": 100})
    assert [s["checkpoint_id"] for s in _json(members, "thread/history.json")] == [
        s["checkpoint_id"] for s in reversed(history)
    ]
    (run,) = _json(members, "thread/runs.json")
    assert run["run_id"] == get(server_url, f"/threads/{thread_id}/runs")[0]["run_id"]
    assert _json(members, "thread/thread.json")["metadata"]["title"] == "about ***"
    # this client: versions, the profile without secrets, options, live runs, its log
    versions = _json(members, "client/versions.json")
    assert versions["bbot_tui"] and versions["python"] and versions["packages"]["httpx"]
    connection = _json(members, "client/connection.json")
    assert connection["api_key"] == "set" and connection["key_source"] == "environment"
    assert connection["profile"]["name"] == "work"
    assert connection["profile"]["extra_headers"] == {"X-Trace": "***"}
    assert connection["profile"]["api_key"] == "set"
    saved = _json(members, "client/run-options.json")
    assert saved["assistant_id"] == chat
    assert saved["options"]["tags"] == ["bundle"]
    assert json.loads(saved["options"]["configurable"]) == {"token": "***"}
    assert _json(members, "client/active-runs.json")[0]["run_id"] == "r-live"
    assert members["client/log/bbot-tui.log"] == b"connected with ***\nall good\n"


def test_an_unreadable_thread_gives_a_bundle_that_says_why(
    capsys: pytest.CaptureFixture[str],
    server_url: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.chdir(tmp_path)
    missing = "00000000-0000-4000-8000-00000000c0de"
    r = run_cli(capsys, "bundle", "--url", server_url, "--api-key", CANARY, missing)
    assert r.code == EXIT_ERROR
    (target,) = tmp_path.glob("bbot-tui-bundle-00000000-*.zip")
    assert r.out == f"bundle written to {target.name} (5 files)\n"
    assert "note: the thread could not be read: HTTP 404" in r.err
    assert CANARY not in r.out + r.err
    members = _members(target)
    assert set(members) == {
        "README.txt",
        "server/info.json",
        "client/versions.json",
        "client/connection.json",
        "errors.json",
    }
    (problem,) = _json(members, "errors.json")
    assert problem.startswith("the thread could not be read: HTTP 404")
    readme = members["README.txt"].decode()
    assert "- a client log: this version of bbot-tui writes no log file" in readme
    assert "- recorded events: this client keeps no events of past runs" in readme
    assert "Problems while collecting (also in errors.json)" in readme
    assert _json(members, "client/connection.json")["profile"] is None
