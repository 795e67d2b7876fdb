"""``bbot-tui script run`` and ``script from-thread`` against the real local server.

Scripts over the test graphs pass ``--check`` (chat, tools, approval, approve/edit/reject of a
HITL v1 request, a parallel interrupt answered by node and by id, a failing graph); a wrong
``expect`` exits 1 naming it; bad YAML and unknown fields exit 2 naming line and field; a
script written from a thread plays to the same messages; a tape stands in for a server that is
stopped or cannot be reached, and says which steps it replayed; no key reaches a tape.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import CliResult, closed_port_url, get, run_cli

from bbot_tui.api.client import AgentClient
from bbot_tui.cli.common import EXIT_ERROR, EXIT_OK, EXIT_STOPPED, EXIT_USAGE
from bbot_tui.demo.server import DEMO_CONFIG, LocalServer
from bbot_tui.session.script import Step, load_script, read_script
from bbot_tui.session.script_runner import RunFinished, ScriptRunner
from bbot_tui.session.tape import Tape, TapeWriter

CANARY = "bbot_canary_5c1b7e0a93d24f68"
DEMO_SCRIPTS = Path(DEMO_CONFIG).parent / "scripts"
TESTS_GRAPHS = Path(__file__).resolve().parents[1] / "graphs" / "langgraph.json"

SCRIPTS: dict[str, str] = {
    "chat": """
assistant: chat
steps:
  - say: hello there
  - expect: {contains: "You said: hello there.", status: success, interrupt: false}
  - say: and again
  - expect: {matches: "^You said: and again\\\\. Here is a streamed answer\\\\.$"}
""",
    "tools": """
assistant: agent
steps:
  - say: weather in Paris?
  - expect: {tool: get_weather, contains: "Sunny, 21 °C in Paris", status: success}
""",
    "approval": """
assistant: approval
steps:
  - say: launch
  - expect: {interrupt: true, contains: "You said: launch", status: interrupted}
  - note: the graph asks before it goes on
  - pause: 0.1
  - answer: "yes please"
  - expect: {contains: "you said yes please", interrupt: false}
""",
    "hitl_v1": """
assistant: hitl_v1
steps:
  - say: email bob
  - expect: {interrupt: true}
  - answer: {decisions: [{type: approve}]}
  - expect: {contains: "decision: approve", status: success}
  - say: again
  - answer:
      decisions:
        - type: edit
          edited_action: {name: send_email, args: {to: bob@example.com}}
  - expect: {contains: 'decision: edit send_email {"to": "bob@example.com"}'}
  - say: once more
  - answer: {decisions: [{type: reject, message: not now}]}
  - expect: {contains: "decision: reject not now"}
""",
    "parallel": """
assistant: parallel
steps:
  - say: go
  - expect: {interrupt: true}
  - answers: {ask_a: left, ask_b: right}
  - expect: {contains: "a=left b=right", interrupt: false}
""",
    "subgraph": """
assistant: subgraph
steps:
  - say: hi
  - expect: {interrupt: true, contains: "outer pre"}
  - answers: {inner_ask: deep}
  - expect: {contains: "outer post"}
""",
    "fail": """
assistant: fail
steps:
  - say: hi
  - expect: {status: error, contains: "before boom"}
""",
}


def _script(tmp_path: Path, text: str, name: str = "script.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text.lstrip(), encoding="utf-8")
    return path


def _play(capsys: pytest.CaptureFixture[str], url: str, path: Path, *flags: str) -> CliResult:
    return run_cli(capsys, "script", "run", str(path), "--url", url, *flags)


def _summary(result: CliResult) -> dict[str, Any]:
    return result.summary


def _key(message: dict[str, Any]) -> tuple[Any, ...]:
    calls = [(c.get("name"), c.get("args")) for c in message.get("tool_calls") or []]
    return (message.get("type"), message.get("content"), calls)


def _thread_messages(server_url: str, thread_id: str) -> list[tuple[Any, ...]]:
    values = get(server_url, f"/threads/{thread_id}/state")["values"] or {}
    return [_key(m) for m in values.get("messages", [])]


def _tape_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


# --- scripts over the test graphs ----------------------------------------------------------------


@pytest.mark.parametrize("graph", sorted(SCRIPTS))
def test_a_script_over_each_test_graph_passes_check(
    capsys: pytest.CaptureFixture[str], server_url: str, tmp_path: Path, graph: str
) -> None:
    path = _script(tmp_path, SCRIPTS[graph])
    r = _play(capsys, server_url, path, "--check")
    assert r.code == EXIT_OK, r.out + r.err
    script = read_script(path)
    expected = sum(len(s.expect.given()) for s in script.steps if s.expect is not None)
    assert r.err.count("✓ step") == expected
    assert "✗" not in r.err
    assert f"✓ all {expected} checks held ({len(script.steps)} steps)" in r.err
    first_say = next(s.say for s in script.steps if s.say is not None)
    assert r.out.startswith(f"› {first_say}\n")  # the conversation: the user's turn first

    r = _play(capsys, server_url, path, "--check", "--json")
    assert r.code == EXIT_OK, r.err
    summary = _summary(r)
    assert summary["status"] == "passed"
    assert summary["checks"] == {"passed": expected, "failed": 0}
    assert summary["failed"] is None and summary["replayed"] == []
    # the thread on the server holds what the summary shows
    stored = _thread_messages(server_url, summary["thread_id"])
    assert [_key(m) for m in summary["messages"]] == stored


def test_the_pause_and_note_steps_are_for_the_presenter(
    capsys: pytest.CaptureFixture[str], server_url: str, tmp_path: Path
) -> None:
    path = _script(
        tmp_path,
        "assistant: chat\nsteps:\n  - note: look here\n  - pause: 0.2\n  - say: hi\n",
    )
    r = _play(capsys, server_url, path)
    assert r.code == EXIT_OK, r.err
    assert "📝 look here" in r.err and "… pause 0.2 s" in r.err
    assert "look here" not in r.out  # stdout is the conversation alone
    assert r.out.startswith("› hi\n── chat ──\nYou said: hi.")


def test_the_approval_graph_answered_approve_edit_and_reject_in_one_script(
    capsys: pytest.CaptureFixture[str], server_url: str, tmp_path: Path
) -> None:
    r = _play(capsys, server_url, _script(tmp_path, SCRIPTS["hitl_v1"]), "--check", "--json")
    assert r.code == EXIT_OK, r.err
    results = [x for x in r.lines() if x["type"] == "result"]
    assert [x["status"] for x in results] == ["interrupted", "success"] * 3
    assert [x["answer"] for x in results[1::2]] == [
        "decision: approve",
        'decision: edit send_email {"to": "bob@example.com"}',
        "decision: reject not now",
    ]


@pytest.mark.parametrize(
    "text",
    [
        # the wait endpoint instead of a stream, with a parallel interrupt answered by node
        """
assistant: parallel
options: {mode: wait}
steps:
  - say: go
  - expect: {interrupt: true}
  - answers: {ask_a: "1", ask_b: "2"}
  - expect: {contains: "a=1 b=2", status: success}
""",
        # a breakpoint from the run options, then one command made of an update and a goto
        """
assistant: steps
options: {interrupt_before: [step2]}
steps:
  - say: go
  - expect: {status: interrupted, interrupt: false, contains: step1}
  - update: {messages: [{type: ai, content: patched}]}
    goto: step3
  - expect: {matches: "step3|patched", status: success}
""",
    ],
    ids=["wait-mode", "update-goto"],
)
def test_run_options_wait_mode_and_update_goto_steps(
    capsys: pytest.CaptureFixture[str], server_url: str, tmp_path: Path, text: str
) -> None:
    r = _play(capsys, server_url, _script(tmp_path, text), "--check", "--json")
    assert r.code == EXIT_OK, r.err
    steps = [x for x in r.lines() if x["type"] == "step"]
    assert steps[2].get("goto") == "step3" or steps[2].get("answers") == {
        "ask_a": "1",
        "ask_b": "2",
    }
    assert _summary(r)["checks"]["failed"] == 0


# --- failures ------------------------------------------------------------------------------------


def test_a_wrong_expect_exits_1_naming_the_step_what_was_expected_and_what_came(
    capsys: pytest.CaptureFixture[str], server_url: str, tmp_path: Path
) -> None:
    text = SCRIPTS["approval"].replace("you said yes please", "you said no thanks")
    path = _script(tmp_path, text)
    r = _play(capsys, server_url, path, "--check")
    assert r.code == EXIT_ERROR
    line = "step 6: expect contains 'you said no thanks' — got: 'you said yes please'"
    assert f"bbot-tui: check failed at {line}" in r.err
    assert "✓ step 2: expect interrupt true" in r.err

    r = _play(capsys, server_url, path, "--check", "--json")
    assert r.code == EXIT_ERROR
    summary = _summary(r)
    assert summary["status"] == "failed"
    assert summary["failed"] == {
        "step": 6,
        "key": "contains",
        "expected": "you said no thanks",
        "got": "'you said yes please'",
        "ok": False,
    }

    # without --check the script plays to its end and says what failed
    r = _play(capsys, server_url, path)
    assert r.code == EXIT_OK
    assert f"✗ {line}" in r.err


def test_check_stops_at_the_first_failure_and_does_not_send_the_rest(
    capsys: pytest.CaptureFixture[str], server_url: str, tmp_path: Path
) -> None:
    text = """
assistant: chat
steps:
  - say: one
  - expect: {tool: get_weather}
  - say: two
"""
    r = _play(capsys, server_url, _script(tmp_path, text), "--check", "--json")
    assert r.code == EXIT_ERROR
    summary = _summary(r)
    assert summary["failed"]["got"] == "no tool call"
    stored = _thread_messages(server_url, summary["thread_id"])
    assert [m[1] for m in stored] == ["one", "You said: one. Here is a streamed answer."]


def test_a_run_that_fails_with_no_expect_on_its_status_fails_the_check(
    capsys: pytest.CaptureFixture[str], server_url: str, tmp_path: Path
) -> None:
    r = _play(capsys, server_url, _script(tmp_path, "assistant: fail\nsteps:\n  - say: hi\n"))
    assert r.code == EXIT_OK  # played, but it says so
    assert "✗ step 1: expect status 'no error' — got: error (ValueError: kaboom" in r.err
    r = _play(
        capsys, server_url, _script(tmp_path, "assistant: fail\nsteps:\n  - say: hi\n"), "--check"
    )
    assert r.code == EXIT_ERROR
    assert "check failed at step 1: expect status 'no error'" in r.err


@pytest.mark.parametrize(
    ("text", "got"),
    [
        (
            "assistant: chat\nsteps:\n  - say: hi\n  - answer: yes\n",
            "step 2: expect answer 'a pending interrupt' — got: none is pending",
        ),
        (
            "assistant: parallel\nsteps:\n  - say: go\n  - answer: both\n",
            "step 2: expect answer 'one pending interrupt' — got: 2 are pending",
        ),
        (
            "assistant: parallel\nsteps:\n  - say: go\n  - answers: {ask_c: x}\n",
            "step 2: expect answers 'ask_c' — got: no pending interrupt for 'ask_c'; pending: ",
        ),
    ],
)
def test_an_answer_with_nothing_to_answer_fails_before_anything_is_sent(
    capsys: pytest.CaptureFixture[str], server_url: str, tmp_path: Path, text: str, got: str
) -> None:
    r = _play(capsys, server_url, _script(tmp_path, text), "--check", "--json")
    assert r.code == EXIT_ERROR
    runs = get(server_url, f"/threads/{_summary(r)['thread_id']}/runs")
    assert len(runs) == 1  # the answer was never sent
    r = _play(capsys, server_url, _script(tmp_path, text), "--check")
    assert got in r.err


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "assistant: chat\nsteps:\n  - say: hi\n  - expect: {contians: x}\n",
            "script.yaml:4: step 2: expect.contians: unknown field; allowed: interrupt, "
            "contains, matches, tool, status",
        ),
        (
            "assistant: chat\nsteps:\n  - say: hi\n\n  - sya: hello\n",
            "script.yaml:5: step 2: sya: unknown field; allowed: say, input, answer",
        ),
        (
            "assistant: chat\ncolour: red\nsteps:\n  - say: hi\n",
            "script.yaml:2: colour: unknown field; allowed: assistant, title, options, steps",
        ),
        (
            "assistant: chat\noptions:\n  stream_mode: [tokens]\nsteps:\n  - say: hi\n",
            "script.yaml:3: options.stream_mode.0: Input should be 'values'",
        ),
        (
            "assistant: chat\nsteps:\n  - say: hi\n  - expect: {status: done}\n",
            "script.yaml:4: step 2: expect.status: Input should be 'success', 'interrupted', "
            "'error' or 'cancelled' (got 'done')",
        ),
        (
            "assistant: chat\nsteps:\n  - expect: {contains: x}\n  - say: hi\n",
            "script.yaml:3: step 1: expect: no run to check yet",
        ),
        (
            'assistant: chat\nsteps:\n  - say: "hi\n  - expect: {contains: x}\n',
            "script.yaml:5: bad YAML: while scanning a quoted scalar found unexpected end of "
            "stream (it starts on line 3)",
        ),
        (
            "assistant: chat\nsteps:\n  - say: hi\n    expect: {contains: x}\n",
            "script.yaml:3: step 1: say, expect: a step does one thing",
        ),
        (
            "assistant: chat\nsteps:\n  say: hi\n",
            "script.yaml:2: steps: Input should be a valid list",
        ),
    ],
)
def test_bad_yaml_and_unknown_fields_exit_2_naming_line_and_field(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, text: str, message: str
) -> None:
    path = _script(tmp_path, text)
    # nothing is sent: the URL is a closed port
    r = run_cli(capsys, "script", "run", str(path), "--url", closed_port_url(), "--check")
    assert r.code == EXIT_USAGE
    assert r.out == ""
    assert "bbot-tui: bad script\n" in r.err
    assert message.replace("script.yaml", str(path)) in r.err


def test_an_unknown_assistant_exits_2(
    capsys: pytest.CaptureFixture[str], server_url: str, tmp_path: Path
) -> None:
    r = _play(capsys, server_url, _script(tmp_path, "assistant: nope\nsteps:\n  - say: hi\n"))
    assert r.code == EXIT_USAGE
    assert "assistant:" in r.err and "nope" in r.err


# --- from a thread -------------------------------------------------------------------------------


def _run(capsys: pytest.CaptureFixture[str], server_url: str, *args: str) -> CliResult:
    return run_cli(capsys, "run", "--url", server_url, *args)


def test_a_script_from_a_thread_plays_to_the_same_messages(
    capsys: pytest.CaptureFixture[str], server_url: str, tmp_path: Path
) -> None:
    # a thread made by hand: a question, an interrupt answered by an edit, a second question
    r = _run(capsys, server_url, "--assistant", "hitl_v1", "--message", "email bob")
    assert r.code == EXIT_STOPPED
    thread_id, _ = r.ids
    edit = {
        "decisions": [
            {"type": "edit", "edited_action": {"name": "send_email", "args": {"to": "x@y.z"}}}
        ]
    }
    flags = ["--thread", thread_id, "--assistant", "hitl_v1"]
    assert _run(capsys, server_url, *flags, "--resume", json.dumps(edit)).code == EXIT_OK
    assert _run(capsys, server_url, *flags, "--message", "and alice").code == EXIT_STOPPED
    reject = {"decisions": [{"type": "reject", "message": "no"}]}
    assert _run(capsys, server_url, *flags, "--resume", json.dumps(reject)).code == EXIT_OK

    out = tmp_path / "from.yaml"
    r = run_cli(capsys, "script", "from-thread", thread_id, "-o", str(out), "--url", server_url)
    assert r.code == EXIT_OK, r.err
    assert f"wrote {out}: 8 steps, 4 runs, assistant hitl_v1" in r.err
    script = read_script(out)
    assert script.assistant == "hitl_v1"
    assert [s.kind for s in script.steps] == ["say", "expect", "command", "expect"] * 2
    assert script.steps[2].answer == edit
    assert script.steps[1].expect is not None and script.steps[1].expect.interrupt is True
    assert script.steps[7].expect is not None
    assert script.steps[7].expect.contains == "decision: reject no"

    r = _play(capsys, server_url, out, "--check", "--json")
    assert r.code == EXIT_OK, r.err
    summary = _summary(r)
    assert summary["checks"]["failed"] == 0 and summary["checks"]["passed"] >= 4
    assert _thread_messages(server_url, summary["thread_id"]) == _thread_messages(
        server_url, thread_id
    )


def test_a_parallel_thread_answered_by_id_becomes_answers_by_node(
    capsys: pytest.CaptureFixture[str], server_url: str, tmp_path: Path
) -> None:
    r = _run(capsys, server_url, "--assistant", "parallel", "--message", "go", "--json")
    assert r.code == EXIT_STOPPED
    summary = r.summary
    thread_id = summary["thread_id"]
    by_question = {i["value"]["question"]: i["id"] for i in summary["interrupts"]}
    resume = [f'{by_question["a?"]}="A"', f'{by_question["b?"]}="B"']
    flags = ["--thread", thread_id, "--assistant", "parallel"]
    r = _run(capsys, server_url, *flags, "--resume-id", resume[0], "--resume-id", resume[1])
    assert r.code == EXIT_OK, r.err

    r = run_cli(capsys, "script", "from-thread", thread_id, "-o", "-", "--url", server_url)
    assert r.code == EXIT_OK, r.err
    script = load_script(r.out)
    assert script.steps[2].answers == {"ask_a": "A", "ask_b": "B"}  # ids differ per thread

    path = _script(tmp_path, r.out)
    r = _play(capsys, server_url, path, "--check", "--json")
    assert r.code == EXIT_OK, r.err
    new_thread = _summary(r)["thread_id"]
    assert _thread_messages(server_url, new_thread) == _thread_messages(server_url, thread_id)


async def test_answers_by_interrupt_id_send_a_resume_map_by_id(
    server_url: str, tmp_path: Path
) -> None:
    script = load_script(
        "assistant: parallel\nsteps:\n  - say: go\n  - expect: {interrupt: true}\n"
        "  - answers: {placeholder: x}\n  - expect: {contains: 'a=one b=two'}\n"
    )
    tape = tmp_path / "ids.tape"
    async with AgentClient(server_url) as client:
        assistant = (await client.assistants.search(graph_id="parallel", limit=1)).items[0]
        writer = TapeWriter(tape)
        runner = ScriptRunner(client, script, assistant_id=assistant.assistant_id, writer=writer)
        async for item in runner.play():
            if isinstance(item, RunFinished) and item.number == 1:
                # ids are only known once the run stopped: answer each by its own id
                ids = {str(p.value["question"]): p.id for p in item.result.interrupts}
                script.steps[2] = Step(answers={ids["a?"]: "one", ids["b?"]: "two"})
        writer.close()
    assert runner.failure is None, runner.failure
    assert [c.ok for c in runner.checks] == [True, True]
    [request] = [x for x in _tape_lines(tape) if x["type"] == "request" and x["step"] == 3]
    assert request["body"]["command"] == {"resume": {ids["a?"]: "one", ids["b?"]: "two"}}


# --- tapes ---------------------------------------------------------------------------------------


def test_a_tape_replays_every_step_when_the_server_cannot_be_reached(
    capsys: pytest.CaptureFixture[str], server_url: str, tmp_path: Path
) -> None:
    path = _script(tmp_path, SCRIPTS["hitl_v1"])
    tape = tmp_path / "hitl.tape"
    live = _play(capsys, server_url, path, "--check", "--json", "--record", str(tape))
    assert live.code == EXIT_OK, live.err
    lines = _tape_lines(tape)
    assert lines[0]["type"] == "script" and lines[0]["thread_id"] == _summary(live)["thread_id"]
    assert {x["step"] for x in lines if x["type"] == "request"} == {1, 3, 5, 6, 8, 9}
    assert lines[-1]["type"] == "summary" and lines[-1]["status"] == "passed"

    offline = _play(capsys, closed_port_url(), path, "--check", "--tape", str(tape), "--json")
    assert offline.code == EXIT_OK, offline.err
    summary = _summary(offline)
    assert summary["replayed"] == [1, 3, 5, 6, 8, 9]
    assert summary["status"] == "passed"
    assert [_key(m) for m in summary["messages"]] == [_key(m) for m in _summary(live)["messages"]]
    assert "the steps replay from the tape" in offline.err

    text = _play(capsys, closed_port_url(), path, "--check", "--tape", str(tape))
    assert text.code == EXIT_OK
    assert "↻ step 1: replayed from the tape: the server cannot be reached" in text.err
    assert "replayed from the tape: step 1, 3, 5, 6, 8, 9" in text.err
    assert "decision: reject not now" in text.out


def test_without_a_tape_an_unreachable_server_exits_1(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = _script(tmp_path, SCRIPTS["chat"])
    r = _play(capsys, closed_port_url(), path, "--check")
    assert r.code == EXIT_ERROR
    assert "error:" in r.err


def test_a_tape_of_another_script_is_refused(
    capsys: pytest.CaptureFixture[str], server_url: str, tmp_path: Path
) -> None:
    tape = tmp_path / "chat.tape"
    path = _script(tmp_path, SCRIPTS["chat"])
    assert _play(capsys, server_url, path, "--record", str(tape)).code == EXIT_OK
    other = _script(tmp_path, SCRIPTS["chat"].replace("hello there", "bonjour"), "other.yaml")
    r = _play(capsys, closed_port_url(), other, "--check", "--tape", str(tape))
    assert r.code == EXIT_ERROR
    assert "the tape's step 1 is another step" in r.err
    bad = tmp_path / "bad.tape"
    bad.write_text('{"type":"request","step":1}\n', encoding="utf-8")
    r = _play(capsys, closed_port_url(), path, "--tape", str(bad))
    assert r.code == EXIT_USAGE
    assert "--tape:" in r.err and "not a script tape" in r.err


def test_no_key_reaches_a_tape(
    capsys: pytest.CaptureFixture[str], server_url: str, tmp_path: Path
) -> None:
    # the key is sent (loopback http) and even said: the chat graph echoes it back
    text = f"assistant: chat\nsteps:\n  - say: my key is {CANARY}\n  - expect: {{contains: key}}\n"
    tape = tmp_path / "canary.tape"
    r = run_cli(
        capsys, "script", "run", str(_script(tmp_path, text)), "--url", server_url,
        "--api-key", CANARY, "--record", str(tape), "--check",
    )  # fmt: skip
    assert r.code == EXIT_OK, r.err
    written = tape.read_text(encoding="utf-8")
    assert CANARY not in written
    assert "my key is ***" in written
    assert tape.stat().st_mode & 0o777 == 0o600


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[LocalServer]:
    """A second server of this test's own, to stop in the middle of a script."""
    server = LocalServer(TESTS_GRAPHS, log_path=tmp_path / "own-server.log")
    server.start()
    try:
        yield server
    finally:
        server.stop()


async def test_a_server_stopped_in_the_middle_is_replaced_by_the_tape_for_the_later_steps(
    own_server: LocalServer, tmp_path: Path
) -> None:
    assert own_server.url is not None
    script = load_script(SCRIPTS["hitl_v1"])
    tape_path = tmp_path / "mid.tape"
    async with AgentClient(own_server.url) as client:
        assistant = (await client.assistants.search(graph_id="hitl_v1", limit=1)).items[0]
        writer = TapeWriter(tape_path)
        recorder = ScriptRunner(
            client, script, assistant_id=assistant.assistant_id, writer=writer, pauses=False
        )
        async for _ in recorder.play():
            pass
        writer.close()
        assert recorder.failure is None

        tape = Tape.read(tape_path)
        runner = ScriptRunner(
            client, script, assistant_id=assistant.assistant_id, tape=tape, pauses=False
        )
        async for item in runner.play():
            if isinstance(item, RunFinished) and item.number == 5:
                own_server.stop()  # steps 1-5 were live; the rest cannot reach it
    assert runner.failure is None, runner.failure
    assert runner.replayed == [6, 8, 9]
    assert [r.replayed for r in runner.results] == [False, False, False, True, True, True]
    assert [r.answer for r in runner.results] == [r.answer for r in recorder.results]
    assert [c.ok for c in runner.checks] == [True] * len(runner.checks)
    assert [(m.role, m.text) for m in runner.transcript.messages] == [
        (m.role, m.text) for m in recorder.transcript.messages
    ]


# --- the bundled demo scripts --------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The bundled demo graphs on a server of their own (as ``bbot-tui demo`` starts them)."""
    log = tmp_path_factory.mktemp("demo") / "demo-server.log"
    server = LocalServer(DEMO_CONFIG, log_path=log)
    server.start()
    try:
        assert server.url is not None
        yield server.url
    finally:
        server.stop()


def test_the_bundled_demo_scripts_pass_check_against_the_demo_graphs(
    capsys: pytest.CaptureFixture[str], demo_url: str
) -> None:
    scripts = sorted(DEMO_SCRIPTS.glob("*.yaml"))
    assert [p.name for p in scripts] == ["approval.yaml", "tools.yaml"]
    for path in scripts:
        script = read_script(path)
        assert script.assistant.startswith("demo_")
        assert any(s.note for s in script.steps)  # written for a presenter
        r = _play(capsys, demo_url, path, "--check")
        assert r.code == EXIT_OK, f"{path.name}:\n{r.out}\n{r.err}"
        assert "✓ all " in r.err
