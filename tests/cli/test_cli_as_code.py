"""``bbot-tui run … --as curl|python|js`` against the real server (issue 15 §1).

The printed code is executed (``bash -c``, ``python -c`` with ``langgraph_sdk``, ``node`` with
``@langchain/langgraph-sdk`` installed by npm into a temporary folder) and must do what ``run``
does: the same final thread state and the same run options on the server. The key only ever
appears as a reference to ``BBOT_API_KEY``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import get, post, run_cli, thread_ids

from bbot_tui.cli.common import EXIT_OK, EXIT_STOPPED, EXIT_USAGE

CANARY = "bbot_canary_a51c0de7e2b9"
JS_SDK = "@langchain/langgraph-sdk@1.15.0"
"""The JavaScript SDK the ``js`` output is run with (installed by npm into a temporary folder)."""

_THREAD = re.compile(r"^thread: (\S+)$", re.MULTILINE)
_SERVER_CONFIGURABLE = {"run_id", "thread_id", "graph_id", "assistant_id", "user_id"}


def _normal_messages(state: dict[str, Any]) -> list[dict[str, Any]]:
    """The messages without the ids a run chooses anew."""
    out = []
    for m in state["values"].get("messages", []):
        out.append(
            {
                "type": m["type"],
                "content": m["content"],
                "name": m.get("name"),
                "tool_calls": [(c["name"], c["args"]) for c in m.get("tool_calls") or []],
                "tool_call_id": m.get("tool_call_id"),
            }
        )
    return out


def _normal_run(run: dict[str, Any]) -> dict[str, Any]:
    """What a run was asked to do, without what the server or the client chose per run."""
    kwargs = dict(run["kwargs"])
    config = dict(kwargs.get("config") or {})
    config["configurable"] = {
        k: v
        for k, v in (config.get("configurable") or {}).items()
        if k not in _SERVER_CONFIGURABLE and not k.startswith(("langgraph_", "__"))
    }
    config.pop("metadata", None)  # the run's metadata, compared below
    run_input = kwargs.get("input")
    if isinstance(run_input, dict):
        run_input = {
            **run_input,
            "messages": [
                {k: v for k, v in m.items() if k != "id"} for m in run_input.get("messages", [])
            ],
        }
    metadata = {k: v for k, v in (run.get("metadata") or {}).items() if k != "client_request_id"}
    return {
        **kwargs,
        "input": run_input,
        "config": config,
        "metadata": metadata,
        "assistant_id": run["assistant_id"],
        "multitask_strategy": run.get("multitask_strategy"),
    }


def _last_run(server_url: str, thread_id: str) -> dict[str, Any]:
    runs = get(server_url, f"/threads/{thread_id}/runs?limit=1")
    assert runs, thread_id
    return runs[0]


def _execute(
    language: str, code: str, js_dir: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "BBOT_API_KEY": CANARY}
    if language == "curl":
        argv = ["bash", "-c", code]
        cwd = None
    elif language == "python":
        argv = [sys.executable, "-c", code]
        cwd = None
    else:
        assert js_dir is not None
        script = js_dir / "snippet.mjs"
        script.write_text(code, encoding="utf-8")
        argv = ["node", str(script)]
        cwd = js_dir
    done = subprocess.run(
        argv, env=env, cwd=cwd, capture_output=True, text=True, timeout=90, check=False
    )
    assert done.returncode == 0, (code, done.stdout[-2000:], done.stderr[-2000:])
    return done


def _as_code(capsys: pytest.CaptureFixture[str], language: str, *flags: str) -> str:
    r = run_cli(capsys, "run", *flags, "--as", language)
    assert r.code == EXIT_OK, r.err
    assert CANARY not in r.out and CANARY not in r.err
    return r.out


NEW_THREAD_FLAGS = (
    "--assistant",
    "agent",
    "--message",
    'weather in Paris? it\'s $HOME `date` "quoted"',
    "--tag",
    "as-code",
    "--metadata",
    '{"origin": "as-code", "n": 1}',
    "--config",
    '{"configurable": {"k": "v"}}',
    "--recursion-limit",
    "30",
    "--durability",
    "sync",
    "--multitask-strategy",
    "enqueue",
    "--stream-mode",
    "values",
    "--stream-mode",
    "updates",
)


def _check_new_thread(
    capsys: pytest.CaptureFixture[str],
    server_url: str,
    language: str,
    js_dir: Path | None = None,
    extra: tuple[str, ...] = (),
) -> None:
    flags = ("--url", server_url, "--api-key", CANARY, *NEW_THREAD_FLAGS, *extra)
    before = thread_ids(server_url)
    code = _as_code(capsys, language, *flags)
    assert thread_ids(server_url) == before, "--as must send nothing"
    r = run_cli(capsys, "run", *flags, "--json")
    assert r.code == EXIT_OK, r.err
    by_run = r.summary["thread_id"]
    done = _execute(language, code, js_dir)
    match = _THREAD.search(done.stderr)
    assert match, done.stderr
    by_code = match.group(1)
    assert by_code != by_run and by_code not in before
    state_run = get(server_url, f"/threads/{by_run}/state")
    state_code = get(server_url, f"/threads/{by_code}/state")
    assert _normal_messages(state_code) == _normal_messages(state_run)
    assert len(state_run["values"]["messages"]) == 4  # question, tool call, tool result, answer
    assert state_code["next"] == state_run["next"] == []
    assert _normal_run(_last_run(server_url, by_code)) == _normal_run(_last_run(server_url, by_run))


def _check_resume(
    capsys: pytest.CaptureFixture[str], server_url: str, language: str, js_dir: Path | None = None
) -> None:
    asked = run_cli(
        capsys,
        "run",
        "--url",
        server_url,
        "--assistant",
        "approval",
        "--message",
        "draft",
        "--json",
    )
    assert asked.code == EXIT_STOPPED, asked.err
    thread = asked.summary["thread_id"]
    twin = post(server_url, f"/threads/{thread}/copy", {})["thread_id"]
    flags = ("--url", server_url, "--assistant", "approval", "--resume", '"yes"')
    code = _as_code(capsys, language, "--thread", twin, *flags)
    assert get(server_url, f"/threads/{twin}/state")["next"] == ["approve"], "nothing was sent"
    r = run_cli(capsys, "run", "--thread", thread, *flags, "--json")
    assert r.code == EXIT_OK, r.err
    _execute(language, code, js_dir)
    state_run = get(server_url, f"/threads/{thread}/state")
    state_code = get(server_url, f"/threads/{twin}/state")
    assert _normal_messages(state_code) == _normal_messages(state_run)
    assert state_run["values"]["messages"][-1]["content"] == "you said yes"
    assert _normal_run(_last_run(server_url, twin)) == _normal_run(_last_run(server_url, thread))


@pytest.mark.parametrize("language", ["curl", "python"])
def test_code_for_a_new_thread_runs_like_run(
    capsys: pytest.CaptureFixture[str], server_url: str, language: str
) -> None:
    _check_new_thread(capsys, server_url, language)


@pytest.mark.parametrize("language", ["curl", "python"])
def test_code_that_answers_an_interrupt_runs_like_run(
    capsys: pytest.CaptureFixture[str], server_url: str, language: str
) -> None:
    _check_resume(capsys, server_url, language)


@pytest.mark.parametrize("language", ["curl", "python"])
def test_code_for_wait_and_detach_runs_like_run(
    capsys: pytest.CaptureFixture[str], server_url: str, language: str
) -> None:
    for mode in ("--wait", "--detach"):
        flags = ("--url", server_url, "--assistant", "chat", "--message", "hello", "--tag", "w")
        code = _as_code(capsys, language, *flags, mode)
        endpoint = "/runs/wait" if mode == "--wait" else "/runs"
        assert f"/threads/<new thread>{endpoint}\n" in code
        done = _execute(language, code)
        thread = _THREAD.search(done.stderr)
        assert thread, done.stderr
        r = run_cli(capsys, "run", *flags, mode, "--json")
        assert r.code == EXIT_OK, r.err
        mine, theirs = (
            _last_run(server_url, thread.group(1)),
            _last_run(server_url, r.summary["thread_id"]),
        )
        assert _normal_run(mine) == _normal_run(theirs)
        if mode == "--wait":
            assert '"You said: hello. Here is a streamed answer."' in done.stdout


def test_stateless_code_posts_to_runs_stream(
    capsys: pytest.CaptureFixture[str], server_url: str
) -> None:
    flags = ("--url", server_url, "--assistant", "chat", "--message", "hi", "--stateless")
    before = thread_ids(server_url)
    code = _as_code(capsys, "curl", *flags)
    assert '"$BASE_URL/runs/stream"' in code and "THREAD_ID" not in code
    done = _execute("curl", code)
    assert "You said: hi." in done.stdout
    python = _as_code(capsys, "python", *flags)
    assert "client.runs.stream(\n        None," in python
    assert "You said: hi." in _execute("python", python).stdout
    assert thread_ids(server_url) == before  # stateless runs keep no thread


def test_the_key_is_only_a_reference_to_the_environment(
    capsys: pytest.CaptureFixture[str], server_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    flags = ("--url", server_url, "--assistant", "chat", "--message", "hi")
    expected = {
        "curl": '-H "bbot-api-key: $BBOT_API_KEY"',
        "python": "headers={'bbot-api-key': os.environ[\"BBOT_API_KEY\"]}",
        "js": 'const headers = { "bbot-api-key": process.env.BBOT_API_KEY };',
    }
    for language, reference in expected.items():
        code = _as_code(capsys, language, "--api-key", CANARY, *flags)
        headers = [line for line in code.splitlines() if "bbot-api-key" in line]
        assert headers and all(reference in line for line in headers), headers
        without = _as_code(capsys, language, *flags)
        assert "bbot-api-key" not in without and "BBOT_API_KEY" not in without
    monkeypatch.setenv("BBOT_API_KEY", CANARY)  # a key from the environment: the same
    assert expected["curl"] in _as_code(capsys, "curl", *flags)


def test_as_usage_errors_send_nothing(
    capsys: pytest.CaptureFixture[str], server_url: str, tmp_path: Path
) -> None:
    before = thread_ids(server_url)
    flags = ("run", "--url", server_url, "--assistant", "chat", "--message", "hi")
    r = run_cli(capsys, *flags, "--as", "ruby")
    assert (r.code, r.out) == (EXIT_USAGE, "")
    assert "--as: 'ruby' is not one of curl, python, js" in r.err
    r = run_cli(capsys, *flags, "--as", "curl", "--record", str(tmp_path / "r.jsonl"))
    assert r.code == EXIT_USAGE and "--record does not apply" in r.err
    r = run_cli(capsys, "run", "--url", server_url, "--assistant", "nope", "--as", "curl")
    assert r.code == EXIT_USAGE and "--assistant" in r.err
    assert thread_ids(server_url) == before


@pytest.fixture(scope="session")
def js_sdk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with ``@langchain/langgraph-sdk`` installed by npm.

    Skipped (with the reason) where ``node``/``npm`` are missing or npm cannot install it.
    """
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("the js output runs under node with npm's @langchain/langgraph-sdk: no node")
    root = tmp_path_factory.mktemp("js-sdk")
    (root / "package.json").write_text('{"private": true, "type": "module"}\n')
    try:
        done = subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--loglevel=error", JS_SDK],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=240,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.skip(f"npm could not install {JS_SDK} in 240 s")
    if done.returncode != 0:
        pytest.skip(f"npm could not install {JS_SDK}: {done.stderr[-500:]}")
    return root


def test_js_code_runs_like_run(
    capsys: pytest.CaptureFixture[str], server_url: str, js_sdk: Path
) -> None:
    _check_new_thread(capsys, server_url, "js", js_sdk)
    _check_resume(capsys, server_url, "js", js_sdk)
    flags = ("--url", server_url, "--assistant", "chat", "--message", "hello")
    code = _as_code(capsys, "js", *flags, "--wait")
    assert "runs.wait() takes no stream_mode: the body is sent as it is" in code
    done = _execute("js", code, js_sdk)
    assert "You said: hello." in done.stdout
