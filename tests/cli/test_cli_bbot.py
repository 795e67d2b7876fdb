"""Issue 17: every ``bbot-tui`` command against a server that behaves as B-Bot documents it.

The real local server sits behind :class:`bbot_proxy.BBotProxy` in ``strict`` mode: one API
generation (``/v2`` + ``/assistants`` or ``/api/v2`` + ``/distribution-channels`` with
``channel_id``), the key accepted only in ``bbot-api-key`` (401 otherwise; the test fails if the
key shows up in any other header), and ``config.configurable.entity_id`` required on every run
creation (422 without). The CLI's run paths go through it: by id, by graph and by name, on a
thread, stateless, waited, detached then joined, every interrupt shape resumed, a breakpoint
continued. Each transcript must equal the server's state, and a refused run must leave no
thread behind (counted on the server).

The connection comes from ``BBOT_URL``/``BBOT_API_KEY`` unless a test says otherwise; a canary
key checks that a profile's key never reaches another origin (part 1 of the issue: one
precedence for the TUI and the CLI, see ``tests/ui/test_app_connect.py``).
"""

from __future__ import annotations

import json
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cli_helpers import CliResult, get, post, replace, run_cli

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "api"))
from bbot_proxy import ENTITY_REQUIRED, GENERATIONS, BBotProxy

from bbot_tui.cli.common import EXIT_ERROR, EXIT_OK, EXIT_STOPPED, EXIT_USAGE
from bbot_tui.config.settings import Profile, Settings, save_settings

KEY = "bbot_canary_b17e4d9a02c6f5e8"
"""The key the proxy demands; a canary: it must appear in ``bbot-api-key`` and nowhere else."""
OTHER_KEY = "bbot_canary_elsewhere_51f0aa"
"""A profile's key for another origin: it must never reach the proxy."""


@pytest.fixture(params=GENERATIONS, ids=["v2-assistants", "api-v2-distribution-channels"])
def bbot(
    request: pytest.FixtureRequest, server_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[BBotProxy]:
    """A strict B-Bot in front of the real server, named by ``BBOT_URL``/``BBOT_API_KEY``."""
    prefix, name = request.param
    with BBotProxy(server_url, prefix, name, api_key=KEY, strict=True) as proxy:
        monkeypatch.setenv("BBOT_URL", proxy.url)
        monkeypatch.setenv("BBOT_API_KEY", KEY)
        yield proxy
    proxy.assert_clean()
    assert all(where.endswith(" bbot-api-key") for where in proxy.carrying(KEY))
    assert proxy.carrying(OTHER_KEY) == []


@pytest.fixture
def channels(server_url: str) -> Iterator[Callable[[str, str | None], tuple[str, str]]]:
    """Create assistants (channels) on the real server; deleted again after the test (the
    server is shared: other tests count its assistants)."""
    made: list[str] = []

    def create(graph_id: str, name: str | None = None) -> tuple[str, str]:
        name = name or f"chan-{graph_id}-{uuid.uuid4().hex[:8]}"
        assistant_id = post(server_url, "/assistants", {"graph_id": graph_id, "name": name})[
            "assistant_id"
        ]
        made.append(assistant_id)
        return assistant_id, name

    yield create
    for assistant_id in made:
        httpx.delete(f"{server_url}/assistants/{assistant_id}", timeout=30).raise_for_status()


def thread_count(server_url: str) -> int:
    """How many threads the real server holds."""
    return int(post(server_url, "/threads/count", {}))


def same_as_state(server_url: str, result: CliResult) -> dict[str, Any]:
    """Assert the run's ``--json`` transcript equals the thread's state; return the state."""
    summary = result.summary
    state = get(server_url, f"/threads/{summary['thread_id']}/state")

    def key(m: dict[str, Any]) -> tuple[Any, ...]:
        return (m.get("id"), m.get("type"), m.get("content"))

    assert [key(m) for m in summary["messages"]] == [key(m) for m in state["values"]["messages"]]
    return state


def go_on(
    result: CliResult, answer: str | None = None, *, by_id: dict[str, str] | None = None
) -> list[str]:
    """The argv of a stop's printed continue command, with the answer(s) filled in."""
    argv = result.command_from_summary()
    if by_id is not None:
        return [
            a.replace("=<JSON>", "=" + by_id[a.split("=")[0]]) if a.endswith("=<JSON>") else a
            for a in argv
        ]
    return replace(argv, "<JSON>", answer) if answer is not None else argv


# --------------------------------------------------------------------------- the proxy enforces


def test_the_strict_proxy_refuses_what_bbot_refuses(
    bbot: BBotProxy, assistant_ids: dict[str, str]
) -> None:
    chat = assistant_ids["chat"]
    body = {"assistant_id": chat, "input": {"messages": [{"role": "user", "content": "x"}]}}
    with httpx.Client(base_url=bbot.url, timeout=30) as http:
        assert http.post("/threads", json={}).status_code == 401  # no key
        assert http.post("/threads", json={}, headers={"x-api-key": KEY}).status_code == 401
        ok = {"bbot-api-key": KEY}
        channel = http.get(f"/{bbot.name}/{chat}", headers=ok).json()
        entity = channel["config"]["configurable"]["entity_id"]
        answer = http.post("/runs/wait", json=body, headers=ok)
        assert answer.status_code == 422 and answer.json()["detail"] == ENTITY_REQUIRED
        wrong = {**body, "config": {"configurable": {"entity_id": "ent_someone_else"}}}
        assert http.post("/runs/wait", json=wrong, headers=ok).status_code == 422
        right = {**body, "config": {"configurable": {"entity_id": entity}}}
        assert http.post("/runs/wait", json=right, headers=ok).status_code == 200
    assert len(bbot.refused_runs) == 2
    # a key in another header is a violation the fixture would fail on (forgiven here)
    assert bbot.violations and "x-api-key" in bbot.violations[0]
    bbot.violations.clear()
    bbot.requests[:] = [seen for seen in bbot.requests if "x-api-key" not in seen.headers]


# --------------------------------------------------------------------------- run, every path


@pytest.mark.parametrize("named_by", ["id", "graph", "name"])
def test_run_by_id_graph_or_name_on_a_thread(
    capsys: pytest.CaptureFixture[str],
    server_url: str,
    bbot: BBotProxy,
    assistant_ids: dict[str, str],
    channels: Callable[[str, str | None], tuple[str, str]],
    named_by: str,
) -> None:
    channel_id, name = channels("chat", None)
    target = {"id": channel_id, "graph": "chat", "name": name}[named_by]
    expected = assistant_ids["chat"] if named_by == "graph" else channel_id
    r = run_cli(capsys, "run", "--assistant", target, "--message", "hi", "--json")
    assert r.code == EXIT_OK, r.err
    same_as_state(server_url, r)
    run = get(server_url, f"/threads/{r.summary['thread_id']}/runs/{r.summary['run_id']}")
    assert run["assistant_id"] == expected
    assert run["kwargs"]["config"]["configurable"]["entity_id"] == bbot.entities[expected]
    assert bbot.refused_runs == []
    # once found, the generation's own name for assistants is the only one used
    names = [line for line in bbot.seen if "/assistants" in line or "/distribution-ch" in line]
    first = next(i for i, line in enumerate(names) if f"/{bbot.name}/" in line)
    assert first <= 1 and all(f"/{bbot.name}/" in line for line in names[first:]), names


def test_stateless_wait_and_detach_then_join(
    capsys: pytest.CaptureFixture[str], server_url: str, bbot: BBotProxy
) -> None:
    r = run_cli(capsys, "run", "--assistant", "chat", "--stateless", "--message", "s", "--json")
    assert r.code == EXIT_OK, r.err
    assert [m["content"] for m in r.summary["messages"]] == [
        "s",
        "You said: s. Here is a streamed answer.",
    ]
    r = run_cli(capsys, "run", "--assistant", "chat", "--wait", "--message", "w", "--json")
    assert r.code == EXIT_OK, r.err
    assert [m["content"] for m in same_as_state(server_url, r)["values"]["messages"]] == [
        "w",
        "You said: w. Here is a streamed answer.",
    ]
    r = run_cli(capsys, "run", "--assistant", "chat", "--detach", "--message", "d", "--json")
    assert r.code == EXIT_OK, r.err
    argv = r.command_from_summary()
    assert argv[0] == "join" and "--url" in argv
    r = run_cli(capsys, *argv, "--json")
    assert r.code == EXIT_OK, r.err
    same_as_state(server_url, r)
    assert bbot.refused_runs == []


@pytest.mark.parametrize(
    ("graph", "answer", "last"),
    [
        ("approval", '"yes"', "you said yes"),
        ("subgraph", '"deep"', "outer post"),
        ("legacy_hitl", '[{"type": "accept", "args": null}]', "decision: accept"),
        ("hitl_v1", '{"decisions": [{"type": "reject", "message": "no"}]}', "decision: reject no"),
    ],
)
def test_each_interrupt_shape_resumes(
    capsys: pytest.CaptureFixture[str],
    server_url: str,
    bbot: BBotProxy,
    graph: str,
    answer: str,
    last: str,
) -> None:
    r = run_cli(capsys, "run", "--assistant", graph, "--message", "m", "--json")
    assert r.code == EXIT_STOPPED, r.err
    same_as_state(server_url, r)
    r = run_cli(capsys, *go_on(r, answer), "--json")
    assert r.code == EXIT_OK, r.err
    state = same_as_state(server_url, r)
    assert state["values"]["messages"][-1]["content"] == last
    assert bbot.refused_runs == []


def test_parallel_interrupts_resume_by_id(
    capsys: pytest.CaptureFixture[str], server_url: str, bbot: BBotProxy
) -> None:
    r = run_cli(capsys, "run", "--assistant", "parallel", "--message", "go", "--json")
    assert r.code == EXIT_STOPPED, r.err
    answers = {
        i["id"]: '"A"' if i["value"]["question"] == "a?" else '"B"' for i in r.summary["interrupts"]
    }
    assert len(answers) == 2
    r = run_cli(capsys, *go_on(r, by_id=answers), "--json")
    assert r.code == EXIT_OK, r.err
    assert same_as_state(server_url, r)["values"]["messages"][-1]["content"] == "a=A b=B"


def test_breakpoint_continue(
    capsys: pytest.CaptureFixture[str], server_url: str, bbot: BBotProxy
) -> None:
    r = run_cli(
        capsys, "run", "--assistant", "steps", "--message", "s", "--interrupt-before", "step2",
        "--json",
    )  # fmt: skip
    assert r.code == EXIT_STOPPED, r.err
    assert r.summary["stop"] == "breakpoint" and r.summary["next"] == ["step2"]
    r = run_cli(capsys, *go_on(r), "--json")
    assert r.code == EXIT_OK, r.err
    contents = [m["content"] for m in same_as_state(server_url, r)["values"]["messages"]]
    assert contents == ["s", "step1", "step2", "step3"]
    assert bbot.refused_runs == []


def test_the_other_commands_read_through_the_generation(
    capsys: pytest.CaptureFixture[str],
    server_url: str,
    bbot: BBotProxy,
    assistant_ids: dict[str, str],
) -> None:
    r = run_cli(capsys, "assistants", "--json")
    assert r.code == EXIT_OK, r.err
    listed = json.loads(r.out)
    assert assistant_ids["chat"] in {a["assistant_id"] for a in listed}
    assert all(a["config"]["configurable"]["entity_id"] for a in listed)
    # LangGraph answers an unknown graph with 404: that is "none", not "no such collection"
    r = run_cli(capsys, "assistants", "--graph", "no-such-graph")
    assert r.code == EXIT_OK and "no assistants" in r.err, r.err
    r = run_cli(capsys, "run", "--assistant", "chat", "--message", "t", "--json")
    thread_id = r.summary["thread_id"]
    r = run_cli(capsys, "state", thread_id, "--json")
    assert r.code == EXIT_OK, r.err
    shown, stored = json.loads(r.out)["state"], get(server_url, f"/threads/{thread_id}/state")
    assert (shown["values"], shown["checkpoint_id"]) == (
        stored["values"],
        stored["checkpoint"]["checkpoint_id"],
    )
    r = run_cli(capsys, "history", thread_id, "--json")
    assert r.code == EXIT_OK and len(json.loads(r.out)) >= 2
    r = run_cli(capsys, "threads", "--limit", "5", "--json")
    assert r.code == EXIT_OK and thread_id in {t["thread_id"] for t in json.loads(r.out)}


# --------------------------------------------------------------------------- refused runs


@pytest.mark.parametrize("mode", [[], ["--wait"], ["--detach"], ["--stateless"]])
def test_a_refused_run_leaves_no_thread(
    capsys: pytest.CaptureFixture[str], server_url: str, bbot: BBotProxy, mode: list[str]
) -> None:
    before = thread_count(server_url)
    wrong = '{"configurable": {"entity_id": "ent_not_this_channel"}}'  # the user's own: kept
    r = run_cli(capsys, "run", "--assistant", "chat", "--message", "x", "--config", wrong, *mode)
    assert r.code == EXIT_ERROR
    assert "HTTP 422" in r.err and "does not belong to channel" in r.err
    assert len(bbot.refused_runs) == 1
    if mode == []:
        # a streamed run names its new thread itself (if_not_exists): refused, nothing was made
        assert bbot.created_threads == []
    elif mode != ["--stateless"]:
        (made,) = bbot.created_threads
        assert f"deleted the thread {made} made for it" in r.err
        with pytest.raises(httpx.HTTPStatusError):
            get(server_url, f"/threads/{made}")
    else:
        assert bbot.created_threads == []
    assert thread_count(server_url) == before


def test_an_unknown_or_ambiguous_assistant_creates_nothing(
    capsys: pytest.CaptureFixture[str],
    bbot: BBotProxy,
    channels: Callable[[str, str | None], tuple[str, str]],
) -> None:
    r = run_cli(capsys, "run", "--assistant", "no-such-channel", "--message", "x")
    assert r.code == EXIT_USAGE
    assert "--assistant: no assistant has the id, graph or name 'no-such-channel'" in r.err
    twin = f"twin-{uuid.uuid4().hex[:8]}"
    ids = {channels("chat", twin)[0], channels("chat", twin)[0]}
    r = run_cli(capsys, "run", "--assistant", twin, "--message", "x")
    assert r.code == EXIT_USAGE
    assert f"'{twin}' is the name of 2 assistants" in r.err and all(i in r.err for i in ids)
    assert bbot.created_threads == [] and bbot.refused_runs == []
    assert not any("/runs" in line for line in bbot.seen)


# --------------------------------------------------------------------------- doctor and keys


def test_doctor_with_the_url_on_the_command_line_uses_the_key_from_the_environment(
    capsys: pytest.CaptureFixture[str], bbot: BBotProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BBOT_URL")
    r = run_cli(capsys, "doctor", "--url", bbot.url)
    assert r.code == EXIT_OK, r.out + r.err
    assert "(key: bbot_…" in r.err and "from BBOT_API_KEY)" in r.err
    assert "✓ API key: accepted" in r.out and "✓ streaming:" in r.out
    assert KEY not in r.out + r.err


def test_a_profiles_key_never_goes_to_another_origin(
    capsys: pytest.CaptureFixture[str],
    server_url: str,
    bbot: BBotProxy,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # the saved profile is another server with its own key; BBOT_URL names the proxy
    other = Profile(name="work", base_url="http://127.0.0.1:9", api_key=OTHER_KEY)
    save_settings(Settings(profiles={"work": other}, active_profile="work"))
    monkeypatch.delenv("BBOT_API_KEY")
    r = run_cli(capsys, "doctor")
    assert r.code == EXIT_ERROR
    assert "profile 'work': its API key is not sent to http://127.0.0.1:" in r.err
    assert "a profile's key only goes to the profile's own server, http://127.0.0.1:9" in r.err
    assert "(key: (none))" in r.err and "✗ API key: the server needs a key (HTTP 401)" in r.out
    r = run_cli(capsys, "run", "--assistant", "chat", "--message", "x")
    assert r.code == EXIT_ERROR and "HTTP 401" in r.err
    # the same launch with the key on the command line: it goes with BBOT_URL
    r = run_cli(capsys, "run", "--assistant", "chat", "--message", "x", "--api-key", KEY)
    assert r.code == EXIT_OK, r.err
    assert OTHER_KEY not in r.out + r.err and KEY not in r.out + r.err
    assert bbot.carrying(OTHER_KEY) == []
