"""``bbot-tui run`` end to end against the real local server: flags, output, exit codes 0/1/2."""

from __future__ import annotations

import uuid
from typing import Any, get_args

import pytest
from cli_helpers import closed_port_url, get, run_cli, thread_ids, thread_texts

from bbot_tui.api.literals import (
    Durability,
    IfNotExists,
    MultitaskStrategy,
    OnCompletion,
    OnDisconnect,
)
from bbot_tui.cli.common import EXIT_ERROR, EXIT_OK, EXIT_USAGE


def test_chat_answer_streams_to_stdout(capsys: pytest.CaptureFixture[str], server_url: str) -> None:
    r = run_cli(capsys, "run", "--url", server_url, "--assistant", "chat", "--message", "hello")
    assert r.code == EXIT_OK, r.err
    assert r.out == "── chat ──\nYou said: hello. Here is a streamed answer.\n"
    thread_id, _ = r.ids
    state = get(server_url, f"/threads/{thread_id}/state")
    assert [m["content"] for m in state["values"]["messages"]] == [
        "hello",
        "You said: hello. Here is a streamed answer.",
    ]


def test_run_options_reach_the_server(capsys: pytest.CaptureFixture[str], server_url: str) -> None:
    r = run_cli(
        capsys,
        "run",
        "--url",
        server_url,
        "--assistant",
        "chat",
        "--new-thread",
        "--message",
        "opts",
        "--config",
        '{"tags": ["t0"]}',
        "--tag",
        "t1",
        "--tag",
        "t2",
        "--recursion-limit",
        "7",
        "--metadata",
        '{"who": "me"}',
        "--durability",
        "sync",
        "--multitask-strategy",
        "reject",
        "--on-disconnect",
        "continue",
        "--after-seconds",
        "0",
        "--no-resumable",
        "--stream-mode",
        "messages-tuple,updates",
        "--stream-mode",
        "checkpoints",
    )
    assert r.code == EXIT_OK, r.err
    thread_id, run_id = r.ids
    run = get(server_url, f"/threads/{thread_id}/runs/{run_id}")
    kwargs = run["kwargs"]
    assert kwargs["config"]["tags"] == ["t0", "t1", "t2"]
    assert kwargs["config"]["recursion_limit"] == 7
    assert kwargs["durability"] == "sync"
    assert kwargs["resumable"] is False
    assert kwargs["stream_mode"] == ["messages-tuple", "updates", "checkpoints"]
    assert run["multitask_strategy"] == "reject"
    assert run["metadata"]["who"] == "me"


def test_json_lines_parse_and_end_with_a_summary(
    capsys: pytest.CaptureFixture[str], server_url: str
) -> None:
    r = run_cli(
        capsys, "run", "--url", server_url, "--assistant", "agent", "--message", "hi", "--json"
    )
    assert r.code == EXIT_OK, r.err
    lines = r.lines()
    events, summary = lines[:-1], lines[-1]
    assert all(e["type"] == "event" for e in events)
    assert events[0]["mode"] == "metadata"
    assert {e["mode"] for e in events} == {"metadata", "messages", "updates"}
    assert summary["type"] == "summary" and summary["status"] == "success"
    assert summary["run_id"] == events[0]["data"]["run_id"]
    assert summary["interrupts"] == [] and summary["timing"]["total"] is not None
    kinds = [(m["type"], m.get("tool_calls", [{}])[0].get("name")) for m in summary["messages"]]
    assert kinds == [("human", None), ("ai", "get_weather"), ("tool", None), ("ai", None)]
    state = get(server_url, f"/threads/{summary['thread_id']}/state")
    assert [m["id"] for m in state["values"]["messages"]] == [m["id"] for m in summary["messages"]]


def test_values_and_custom_modes(capsys: pytest.CaptureFixture[str], server_url: str) -> None:
    r = run_cli(
        capsys,
        "run",
        "--url",
        server_url,
        "--assistant",
        "writer",
        "--message",
        "w",
        "--stream-mode",
        "values",
        "--stream-mode",
        "custom",
        "--context",
        '{"delay": 0}',
        "--json",
    )
    assert r.code == EXIT_OK, r.err
    modes = [e["mode"] for e in r.lines()[:-1]]
    assert modes.count("custom") == 20 and "values" in modes
    assert r.summary["messages"][-1]["content"] == "done"


def test_input_json_context_and_if_not_exists(
    capsys: pytest.CaptureFixture[str], server_url: str
) -> None:
    thread_id = str(uuid.uuid4())
    r = run_cli(
        capsys,
        "run",
        "--url",
        server_url,
        "--assistant",
        "slow",
        "--thread",
        thread_id,
        "--if-not-exists",
        "create",
        "--input",
        '{"messages": [{"role": "user", "content": "count"}]}',
        "--context",
        '{"tokens": 5, "delay": 0}',
        "--resumable",
    )
    assert r.code == EXIT_OK, r.err
    assert r.out == "── talk ──\ntok0 tok1 tok2 tok3 tok4\n"
    assert get(server_url, f"/threads/{thread_id}")["status"] == "idle"


def test_stateless_run_keeps_its_thread_on_request(
    capsys: pytest.CaptureFixture[str], server_url: str
) -> None:
    text = f"no thread {uuid.uuid4()}"
    args = ["run", "--url", server_url, "--assistant", "chat", "--stateless", "--message", text]
    r = run_cli(capsys, *args, "--on-completion", "keep")
    assert r.code == EXIT_OK, r.err
    assert f"You said: {text}." in r.out
    assert "stateless · run" in r.err
    assert any(text in t for t in thread_texts(server_url))


def test_wait_endpoint(capsys: pytest.CaptureFixture[str], server_url: str) -> None:
    r = run_cli(
        capsys,
        "run",
        "--url",
        server_url,
        "--assistant",
        "agent",
        "--wait",
        "--message",
        "hi",
    )
    assert r.code == EXIT_OK, r.err
    assert '⚙ get_weather({"city": "Paris"})' in r.out
    assert "↳ Sunny, 21 °C in Paris." in r.out
    assert r.out.rstrip().endswith("The weather tool says: Sunny, 21 °C in Paris. Enjoy your day!")
    r = run_cli(
        capsys,
        "run",
        "--url",
        server_url,
        "--assistant",
        "fail",
        "--wait",
        "--json",
        "--message",
        "x",
    )
    assert r.code == EXIT_ERROR
    assert r.summary["status"] == "error" and "kaboom from node" in r.summary["error"]


def test_graph_error_exits_1_with_the_detail(
    capsys: pytest.CaptureFixture[str], server_url: str
) -> None:
    r = run_cli(capsys, "run", "--url", server_url, "--assistant", "fail", "--message", "x")
    assert r.code == EXIT_ERROR
    assert r.out == "── before ──\nbefore boom\n"
    # said once, on stderr (it was on stdout too: tests/cli/test_cli_first_hour.py)
    assert "✗ run failed: ValueError: kaboom from node" in r.err
    assert (r.out + r.err).count("kaboom from node") == 1


@pytest.mark.parametrize(
    ("args", "detail"),
    [
        # the assistant is fine, the thread is not: the server's refusal and its detail
        (
            ["--assistant", "chat", "--thread", str(uuid.UUID(int=7))],
            "Thread or assistant not found",
        ),
    ],
)
def test_server_errors_exit_1_with_the_detail(
    capsys: pytest.CaptureFixture[str], server_url: str, args: list[str], detail: str
) -> None:
    r = run_cli(capsys, "run", "--url", server_url, "--message", "x", *args)
    assert r.code == EXIT_ERROR
    assert detail in r.err
    assert r.out == ""


@pytest.mark.parametrize(
    ("name", "detail"),
    [
        # these two went to the server once (exit 1, "Thread or assistant not found" and
        # "Invalid assistant: 'nope'"); --assistant is now resolved before anything is sent
        (str(uuid.UUID(int=7)), f"--assistant: no assistant has the id '{uuid.UUID(int=7)}'"),
        ("nope", "--assistant: no assistant has the id, graph or name 'nope'"),
    ],
)
def test_unknown_assistants_exit_2_before_anything_is_created(
    capsys: pytest.CaptureFixture[str], server_url: str, name: str, detail: str
) -> None:
    before = thread_ids(server_url)
    r = run_cli(capsys, "run", "--url", server_url, "--message", "x", "--assistant", name)
    assert r.code == EXIT_USAGE, r.err
    assert detail in r.err and "bbot-tui assistants" in r.err
    assert r.out == ""
    assert thread_ids(server_url) <= before  # no thread was made for it


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--durability", "fast"], "--durability: Input should be 'sync', 'async' or 'exit'"),
        (["--stream-mode", "bogus"], "--stream-mode: Input should be 'values', 'messages'"),
        (["--multitask-strategy", "x"], "--multitask-strategy: Input should be 'reject'"),
        (["--if-not-exists", "x"], "--if-not-exists: Input should be 'reject' or 'create'"),
        (["--on-disconnect", "x"], "--on-disconnect: Input should be 'cancel' or 'continue'"),
        (["--on-completion", "keep"], "--on-completion: only for --stateless runs"),
        (["--stateless", "--checkpoint-id", "c"], "--checkpoint-id: not allowed with --stateless"),
        (["--stateless", "--multitask-strategy", "reject"], "not allowed with --stateless"),
        (["--recursion-limit", "0"], "--recursion-limit: Input should be greater than or equal"),
        (["--recursion-limit", "many"], "--recursion-limit: Input should be a valid integer"),
        (["--after-seconds", "-1"], "--after-seconds: Input should be greater than or equal"),
        (["--webhook", ""], "--webhook: String should have at least 1 character"),
        (["--interrupt-before", ""], "--interrupt-before: node names must be non-empty"),
        (["--input", '{"messages": [}'], "--input: invalid JSON at line 1, column 15"),
        (["--context", '{\n  "a": 1,\n}'], "--context: invalid JSON at line 3, column 1"),
        (["--metadata", "[1]"], "--metadata: Input should be a valid dictionary"),
        (["--config", "[1]"], "--config: expected a JSON object"),
        (["--config", '{"tokens": 1}'], "unknown key 'config.tokens' (allowed keys: tags"),
        (["--resume", "yes"], "--resume: 'yes' is not JSON; to send it as text, quote it"),
        (["--resume-id", "nope"], "--resume-id: expected ID=JSON"),
        (["--resume-id", "i1=yes"], "is not JSON"),
        (["--resume", '"a"', "--resume-id", "i1=1"], "use one of them"),
        (["--goto", "{bad"], "--goto: invalid JSON at line 1, column 2"),
        (["--message", "m", "--resume", '"y"'], "send either an input or a command, not both"),
        (["--detach", "--stateless"], "--detach needs a run on a thread"),
        (["--wait", "--record", "f.jsonl"], "--record needs a streamed run"),
    ],
)
def test_bad_values_exit_2_before_anything_is_sent(
    capsys: pytest.CaptureFixture[str], args: list[str], expected: str
) -> None:
    # nothing listens at the URL: any request would fail with exit 1, not 2
    r = run_cli(capsys, "run", "--url", closed_port_url(), "--assistant", "chat", *args)
    assert r.code == EXIT_USAGE, r.err
    assert expected in r.err
    assert r.out == ""


@pytest.mark.parametrize(
    ("flag", "literal"),
    [
        ("--durability", Durability),
        ("--multitask-strategy", MultitaskStrategy),
        ("--if-not-exists", IfNotExists),
        ("--on-disconnect", OnDisconnect),
        ("--on-completion", OnCompletion),
    ],
)
def test_run_help_names_each_flags_values_from_the_api_literal(
    capsys: pytest.CaptureFixture[str], flag: str, literal: Any
) -> None:
    r = run_cli(capsys, "run", "--help")
    assert r.code == EXIT_OK
    values = get_args(literal)
    assert len(values) >= 2
    assert f"{flag} {'|'.join(values)}" in r.out


def test_usage_errors_without_a_server(capsys: pytest.CaptureFixture[str]) -> None:
    url = closed_port_url()
    r = run_cli(capsys, "run", "--url", url, "--message", "x")
    assert r.code == EXIT_USAGE and "--assistant is required" in r.err
    r = run_cli(capsys, "run", "--url", url, "--assistant", "a", "--thread", "t", "--stateless")
    assert r.code == EXIT_USAGE and "not allowed with argument" in r.err
    r = run_cli(capsys, "run", "--assistant", "chat", "--message", "x")
    assert r.code == EXIT_USAGE and "no server: pass --url" in r.err
    r = run_cli(capsys, "run", "--url", "ftp://x", "--assistant", "chat")
    assert r.code == EXIT_USAGE and "only http and https" in r.err
    r = run_cli(capsys, "run", "--url", url, "--api-key", "bad key", "--assistant", "chat")
    assert r.code == EXIT_USAGE and "API key contains a space at position 4" in r.err
    assert "bad key" not in r.err


def test_unknown_breakpoint_node_is_rejected_with_the_node_list(
    capsys: pytest.CaptureFixture[str], server_url: str
) -> None:
    before = thread_ids(server_url)
    r = run_cli(
        capsys,
        "run",
        "--url",
        server_url,
        "--assistant",
        "steps",
        "--message",
        "x",
        "--interrupt-before",
        "step2",
        "--interrupt-after",
        "stepX",
    )
    assert r.code == EXIT_USAGE
    assert (
        "--interrupt-after: unknown node 'stepX'; the graph's nodes are: step1, step2, step3"
        in (r.err)
    )
    assert thread_ids(server_url) <= before  # no thread, no run


def test_env_url_and_a_canary_key_that_is_never_shown(
    capsys: pytest.CaptureFixture[str],
    server_url: str,
    tmp_path: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    canary = "bbot_CANARY123456"
    record = tmp_path / "canary.jsonl"  # type: ignore[operator]
    monkeypatch.setenv("BBOT_URL", server_url)
    r = run_cli(
        capsys,
        "run",
        "--api-key",
        canary,
        "--assistant",
        "approval",
        "--message",
        "hi",
        "--record",
        str(record),
    )
    assert r.code == 3
    r2 = run_cli(capsys, "doctor", "--api-key", canary)
    assert r2.code == EXIT_OK, r2.out
    r3 = run_cli(
        capsys, "run", "--api-key", canary, "--assistant", "chat", "--json", "--message", "x"
    )
    assert r3.code == EXIT_OK
    monkeypatch.setenv("BBOT_API_KEY", canary)
    r4 = run_cli(capsys, "run", "--assistant", "nope", "--message", "x")
    assert r4.code == EXIT_USAGE  # resolved before anything is sent (was a server error, 1)
    r5 = run_cli(capsys, "run", "--assistant", "chat", "--thread", str(uuid.UUID(int=9)))
    assert r5.code == EXIT_ERROR  # the server's refusal, with the key in the request
    for text in (r.out, r.err, r2.out, r2.err, r3.out, r3.err, r4.out, r4.err, r5.out, r5.err):
        assert "CANARY123456" not in text
    assert "CANARY123456" not in record.read_text()
    assert "--url" in r.out  # the continue command names the server, never the key
