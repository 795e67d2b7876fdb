"""Stops and how to go on, through ``bbot-tui run``: interrupts (exit 3), resume by value and by
interrupt id, breakpoints and continue, re-running from a checkpoint, update and goto."""

from __future__ import annotations

import json

import pytest
from cli_helpers import CliResult, get, replace, run_cli

from bbot_tui.cli.common import EXIT_OK, EXIT_STOPPED


def _run(capsys: pytest.CaptureFixture[str], server_url: str, *args: str) -> CliResult:
    return run_cli(capsys, "run", "--url", server_url, *args)


def test_interrupt_then_the_printed_resume_command_goes_on(
    capsys: pytest.CaptureFixture[str], server_url: str
) -> None:
    r = _run(capsys, server_url, "--assistant", "approval", "--message", "hi")
    assert r.code == EXIT_STOPPED
    thread_id, _ = r.ids
    pending = get(server_url, f"/threads/{thread_id}/state")["interrupts"]
    assert len(pending) == 1
    assert f"⏸ interrupt {pending[0]['id']}\n" in r.out
    assert '"question": "approve?"' in r.out
    argv = r.command("to answer: ")
    assert argv[argv.index("--thread") + 1] == thread_id
    assert argv[argv.index("--resume") + 1] == "<JSON>"
    r = run_cli(capsys, *replace(argv, "<JSON>", '"yes"'))
    assert r.code == EXIT_OK, r.err
    assert r.out == "── approve ──\nyou said yes\n"  # nothing from before the resume
    assert get(server_url, f"/threads/{thread_id}")["status"] == "idle"


def test_resume_text_update_and_json_summary_of_a_stop(
    capsys: pytest.CaptureFixture[str], server_url: str
) -> None:
    r = _run(capsys, server_url, "--assistant", "approval", "--message", "hi", "--json")
    assert r.code == EXIT_STOPPED
    summary = r.summary
    assert summary["status"] == "interrupted" and summary["stop"] == "question"
    assert summary["interrupts"][0]["value"]["question"] == "approve?"
    assert "--resume" in summary["continue"]
    update = '{"messages": [{"role": "user", "content": "injected by update"}]}'
    thread_id = summary["thread_id"]
    r = _run(
        capsys,
        server_url,
        "--thread",
        thread_id,
        "--assistant",
        "approval",
        "--resume-text",
        "ok",
        "--update",
        update,
    )
    assert r.code == EXIT_OK, r.err
    assert r.out == "── approve ──\nyou said ok\n"
    state = get(server_url, f"/threads/{thread_id}/state")
    assert [m["content"] for m in state["values"]["messages"]][-2:] == [
        "injected by update",
        "you said ok",
    ]


def test_two_parallel_interrupts_answered_in_one_resume(
    capsys: pytest.CaptureFixture[str], server_url: str
) -> None:
    r = _run(capsys, server_url, "--assistant", "parallel", "--message", "go")
    assert r.code == EXIT_STOPPED
    argv = r.command("to answer: ")
    ids = [a.split("=", 1)[0] for a in argv if a.endswith("=<JSON>")]
    assert len(ids) == 2 and all(f"⏸ interrupt {i}" in r.out for i in ids)
    values = {}
    for pending in get(server_url, f"/threads/{r.ids[0]}/state")["interrupts"]:
        values[pending["id"]] = '"A"' if pending["value"]["question"] == "a?" else '"B"'
    argv = [
        a.replace("=<JSON>", "=" + values[a.split("=")[0]]) if a.endswith("=<JSON>") else a
        for a in argv
    ]
    r = run_cli(capsys, *argv)
    assert r.code == EXIT_OK, r.err
    assert r.out.endswith("a=A b=B\n")


def test_breakpoint_stops_and_the_continue_command_finishes(
    capsys: pytest.CaptureFixture[str], server_url: str
) -> None:
    r = _run(
        capsys, server_url, "--assistant", "steps", "--message", "s", "--interrupt-before", "step2"
    )
    assert r.code == EXIT_STOPPED
    assert r.out.startswith("── step1 ──\nstep1\n⏸ stopped at a breakpoint; next: step2\n")
    assert "⏸ interrupt" not in r.out
    thread_id, _ = r.ids
    assert get(server_url, f"/threads/{thread_id}/state")["next"] == ["step2"]
    argv = r.command("to continue: ")
    assert "--resume" not in argv and "--message" not in argv
    r = run_cli(capsys, *argv)
    assert r.code == EXIT_OK, r.err
    assert r.out == "── step2 ──\nstep2\n── step3 ──\nstep3\n"
    # every node, after: stops after step1 in a new run, as JSON
    r = _run(
        capsys,
        server_url,
        "--assistant",
        "steps",
        "--message",
        "s",
        "--interrupt-after",
        "*",
        "--json",
    )
    assert r.code == EXIT_STOPPED
    assert r.summary["stop"] == "breakpoint" and r.summary["next"] == ["step2"]
    assert r.summary["interrupts"] == []


def test_rerun_from_an_earlier_checkpoint(
    capsys: pytest.CaptureFixture[str], server_url: str
) -> None:
    r = _run(capsys, server_url, "--assistant", "steps", "--message", "s")
    assert r.code == EXIT_OK
    thread_id, _ = r.ids
    r = run_cli(capsys, "history", "--url", server_url, thread_id, "--json")
    history = json.loads(r.out)
    after_step1 = next(h for h in history if h["next"] == ["step2"])
    r = _run(
        capsys,
        server_url,
        "--thread",
        thread_id,
        "--assistant",
        "steps",
        "--checkpoint-id",
        after_step1["checkpoint_id"],
    )
    assert r.code == EXIT_OK, r.err
    assert r.out == "── step2 ──\nstep2\n── step3 ──\nstep3\n"
    state = get(server_url, f"/threads/{thread_id}/state")
    assert [m["content"] for m in state["values"]["messages"]] == ["s", "step1", "step2", "step3"]
    assert state["parent_checkpoint"]["checkpoint_id"] != history[0]["checkpoint_id"]


def test_goto_runs_a_chosen_node(capsys: pytest.CaptureFixture[str], server_url: str) -> None:
    r = _run(capsys, server_url, "--assistant", "steps", "--message", "s")
    thread_id, _ = r.ids
    r = _run(capsys, server_url, "--thread", thread_id, "--assistant", "steps", "--goto", "step3")
    assert r.code == EXIT_OK, r.err
    assert r.out == "── step3 ──\nstep3\n"


@pytest.mark.parametrize(
    ("graph", "answer", "expected"),
    [
        ("legacy_hitl", '[{"type": "accept", "args": null}]', "decision: accept"),
        ("hitl_v1", '{"decisions": [{"type": "reject", "message": "no"}]}', "decision: reject no"),
    ],
)
def test_hitl_shapes_answered_with_json(
    capsys: pytest.CaptureFixture[str], server_url: str, graph: str, answer: str, expected: str
) -> None:
    r = _run(capsys, server_url, "--assistant", graph, "--message", "m")
    assert r.code == EXIT_STOPPED
    assert "send_email" in r.out
    r = run_cli(capsys, *replace(r.command("to answer: "), "<JSON>", answer))
    assert r.code == EXIT_OK, r.err
    assert r.out == f"── record ──\n{expected}\n"


def test_subgraph_interrupt_with_subgraph_events(
    capsys: pytest.CaptureFixture[str], server_url: str
) -> None:
    r = _run(
        capsys, server_url, "--assistant", "subgraph", "--message", "m", "--subgraphs", "--json"
    )
    assert r.code == EXIT_STOPPED
    events = r.lines()[:-1]
    assert any(e["ns"] and e["ns"][0].startswith("child:") for e in events)
    assert r.summary["interrupts"][0]["ns"][0].startswith("child:")
    r = run_cli(capsys, *replace(r.command_from_summary(), "<JSON>", '"ok"'))
    assert r.code == EXIT_OK, r.err
    assert r.out.endswith("inner got ok\n── outer_post ──\nouter post\n")


@pytest.mark.parametrize(
    ("graph", "answer", "expected"),
    [
        ("approval", '"fine"', "── approve ──\nyou said fine\n"),
        (
            "legacy_hitl",
            '[{"type": "response", "args": "later"}]',
            '── record ──\ndecision: response "later"\n',
        ),
        (
            "hitl_v1",
            '{"decisions": [{"type": "edit", "edited_action": '
            '{"name": "send_email", "args": {"to": "x@y.z"}}}]}',
            '── record ──\ndecision: edit send_email {"to": "x@y.z"}\n',
        ),
    ],
)
def test_each_interrupt_shape_answered_by_its_id(
    capsys: pytest.CaptureFixture[str], server_url: str, graph: str, answer: str, expected: str
) -> None:
    r = _run(capsys, server_url, "--assistant", graph, "--message", "m", "--json")
    assert r.code == EXIT_STOPPED
    (pending,) = r.summary["interrupts"]
    thread_id = r.summary["thread_id"]
    assert [i["id"] for i in get(server_url, f"/threads/{thread_id}/state")["interrupts"]] == [
        pending["id"]
    ]
    r = _run(
        capsys,
        server_url,
        "--thread",
        thread_id,
        "--assistant",
        graph,
        "--resume-id",
        f"{pending['id']}={answer}",
    )
    assert r.code == EXIT_OK, r.err
    assert r.out == expected
    assert get(server_url, f"/threads/{thread_id}")["status"] == "idle"
