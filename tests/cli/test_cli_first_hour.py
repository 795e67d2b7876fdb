"""The first hour with ``bbot-tui run``: the mistakes people make first, against the real server.

Each test is a bug that was there: a run with no input was sent (and left a thread), a resume
with nothing to answer exited 0 in silence, a failing run printed its error twice, and
``--stateless --wait`` printed no answer.
"""

from __future__ import annotations

import uuid

import pytest
from cli_helpers import get, run_cli, thread_ids

from bbot_tui.cli.common import EXIT_ERROR, EXIT_OK, EXIT_STOPPED, EXIT_USAGE


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], "nothing to send: pass --message TEXT or --input JSON"),
        (["--new-thread"], "nothing to send: pass --message TEXT or --input JSON"),
        (["--stateless"], "nothing to send: pass --message TEXT or --input JSON"),
        (["--stateless", "--wait"], "nothing to send: pass --message TEXT or --input JSON"),
        (["--resume-text", "yes"], "--resume-text: a new thread has no interrupt to answer"),
        (["--resume", '"yes"'], "--resume: a new thread has no interrupt to answer"),
        (["--resume-id", 'i1="yes"'], "--resume-id: a new thread has no interrupt to answer"),
    ],
)
def test_a_run_with_nothing_to_send_exits_2_and_creates_nothing(
    capsys: pytest.CaptureFixture[str], server_url: str, args: list[str], expected: str
) -> None:
    before = thread_ids(server_url)
    r = run_cli(capsys, "run", "--url", server_url, "--assistant", "chat", *args)
    assert r.code == EXIT_USAGE, r.err
    assert expected in r.err
    assert "--thread" in r.err  # how to go on with a thread that waits
    assert r.out == ""
    assert thread_ids(server_url) == before


def _idle_thread(capsys: pytest.CaptureFixture[str], server_url: str) -> str:
    r = run_cli(capsys, "run", "--url", server_url, "--assistant", "chat", "--message", "hi")
    assert r.code == EXIT_OK, r.err
    return r.ids[0]


@pytest.mark.parametrize(
    "args",
    [
        ["--resume-text", "yes"],
        ["--resume", '"yes"'],
        ["--resume-id", 'i1="yes"'],
    ],
)
def test_a_resume_with_nothing_pending_says_so_and_exits_1(
    capsys: pytest.CaptureFixture[str], server_url: str, args: list[str]
) -> None:
    thread_id = _idle_thread(capsys, server_url)
    runs_before = get(server_url, f"/threads/{thread_id}/runs")
    r = run_cli(
        capsys, "run", "--url", server_url, "--assistant", "chat", "--thread", thread_id, *args
    )
    assert r.code == EXIT_ERROR, r.err
    assert f"nothing is pending on thread {thread_id}: no interrupt waits for an answer" in r.err
    assert "--message" in r.err  # what to do instead
    assert r.out == ""
    assert get(server_url, f"/threads/{thread_id}/runs") == runs_before  # nothing was sent


def test_continuing_a_thread_with_nothing_to_continue_says_so_and_exits_1(
    capsys: pytest.CaptureFixture[str], server_url: str
) -> None:
    thread_id = _idle_thread(capsys, server_url)
    runs_before = get(server_url, f"/threads/{thread_id}/runs")
    r = run_cli(capsys, "run", "--url", server_url, "--assistant", "chat", "--thread", thread_id)
    assert r.code == EXIT_ERROR, r.err
    assert f"nothing is pending on thread {thread_id}: it has nothing to continue" in r.err
    assert get(server_url, f"/threads/{thread_id}/runs") == runs_before


def test_a_pending_interrupt_is_still_answered(
    capsys: pytest.CaptureFixture[str], server_url: str
) -> None:
    r = run_cli(capsys, "run", "--url", server_url, "--assistant", "approval", "--message", "q")
    assert r.code == EXIT_STOPPED, r.err
    thread_id = r.ids[0]
    r = run_cli(
        capsys,
        "run",
        "--url",
        server_url,
        "--assistant",
        "approval",
        "--thread",
        thread_id,
        "--resume-text",
        "yes",
    )
    assert r.code == EXIT_OK, r.err
    assert r.out == "── approve ──\nyou said yes\n"


@pytest.mark.parametrize("mode", [[], ["--wait"], ["--stateless"], ["--stateless", "--wait"]])
def test_a_failing_run_prints_its_error_once(
    capsys: pytest.CaptureFixture[str], server_url: str, mode: list[str]
) -> None:
    r = run_cli(capsys, "run", "--url", server_url, "--assistant", "fail", "--message", "x", *mode)
    assert r.code == EXIT_ERROR
    assert (r.out + r.err).count("kaboom from node") == 1, (r.out, r.err)
    # on stderr, where it is seen even when the answer on stdout goes to a file
    assert "✗ run failed: ValueError: kaboom from node" in r.err
    if mode != ["--stateless", "--wait"]:  # a waited stateless run answers only the error
        assert "before boom" in r.out


def test_stateless_wait_prints_the_answer(
    capsys: pytest.CaptureFixture[str], server_url: str
) -> None:
    text = f"stateless {uuid.uuid4().hex[:8]}"
    args = ["run", "--url", server_url, "--assistant", "chat", "--message", text]
    r = run_cli(capsys, *args, "--stateless", "--wait")
    assert r.code == EXIT_OK, r.err
    assert r.out == f"You said: {text}. Here is a streamed answer.\n"
    r = run_cli(capsys, *args, "--stateless", "--wait", "--json")
    assert r.code == EXIT_OK, r.err
    assert [m["type"] for m in r.summary["messages"]] == ["human", "ai"]
    # asked for other stream modes, the final values still come back
    r = run_cli(capsys, *args, "--stateless", "--wait", "--stream-mode", "updates")
    assert r.code == EXIT_OK, r.err
    assert f"You said: {text}." in r.out
