"""The server-side hostile cases of docs/PROTOCOL.md (S1–S17) against a hostile loopback server.

Each test drives the real :class:`~bbot_tui.session.run.RunSession` (the flow the TUI and
``bbot-tui run`` share) and the real :class:`~bbot_tui.api.client.AgentClient` against
:class:`hostile.HostileServer`, which answers with scripted raw bytes a real server never
sends. What the table asks is checked: a clear, specific error; no crash (only our
``ApiError`` family leaves the session); no hang past the watchdog (every test is bounded by
the scripts' limits and pytest-timeout); bounded memory; the stream goes on where it can.

The user-side cases (U1–U9) are in ``test_hostile_input.py`` and ``test_pty.py``.
"""

from __future__ import annotations

import tracemalloc
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from hostile import (
    RUN,
    THREAD,
    Close,
    Drip,
    Flood,
    Hang,
    HostileServer,
    Sleep,
    agent_routes,
    chunk,
    cross_origin_redirect,
    html_502,
    json_response,
    rate_limited,
    replaying,
    run_json,
    sse_event,
    sse_head,
    sse_response,
    unauthorized_no_body,
    wrong_content_type,
)

from bbot_tui.api import errors
from bbot_tui.api.client import AgentClient
from bbot_tui.api.models import RunCreate
from bbot_tui.session.run import RunSession, SessionUpdate

CANARY = "bbot_canary_7f3a9c2e11"
TIMEOUT = httpx.Timeout(connect=2.0, read=3.0, write=5.0, pool=2.0)
FINAL = [
    {"type": "human", "content": "hi", "id": "h1"},
    {"type": "ai", "content": "t0 t1 t2 t3 t4", "id": "a1"},
]
RUNS = rf"/threads/{THREAD}/runs"
POST = rf"/threads/{THREAD}/runs/stream"
JOIN = rf"/threads/{THREAD}/runs/{RUN}/stream"


def meta(event_id: str | None = "1500-0") -> bytes:
    return sse_event("metadata", {"run_id": RUN, "attempt": 1}, event_id)


def tok(i: int, event_id: str | None = None) -> bytes:
    return sse_event("custom", {"i": i, "tok": f"t{i}"}, event_id or f"{1501 + i}-0")


@dataclass
class Driven:
    """What one session run produced."""

    session: RunSession
    updates: list[SessionUpdate] = field(default_factory=list)
    error: errors.ApiError | None = None
    snapshots: list[list[str]] = field(default_factory=list)

    @property
    def custom(self) -> list[Any]:
        return [data["i"] for _ns, data in self.session.transcript.custom]

    @property
    def notices(self) -> list[str]:
        return [u.notice for u in self.updates if u.notice]

    @property
    def texts(self) -> list[str]:
        return [m.text for m in self.session.transcript.messages]


async def drive(
    server: HostileServer,
    *,
    key: str | None = None,
    watchdog: float = 5.0,
    budget: float = 6.0,
    stall_limit: float | None = None,
    snapshot: bool = False,
    **client: Any,
) -> Driven:
    """Run one streamed run on the fake thread; only ``ApiError`` may come out."""
    agent = AgentClient(server.url, api_key=key, timeout=TIMEOUT, **client)
    session = RunSession(agent, watchdog=watchdog, rejoin_budget=budget, stall_limit=stall_limit)
    body = RunCreate.model_validate(
        {
            "assistant_id": "agent",
            "input": {"messages": [{"role": "user", "content": "hi"}]},
            "stream_mode": ["custom", "updates"],
        }
    )
    driven = Driven(session)
    try:
        async for update in session.run(body, thread_id=THREAD, user_text="hi"):
            driven.updates.append(update)
            if snapshot and update.events:  # the AI previews as they stand after each batch
                ai = [m.text for m in session.transcript.messages if m.role == "ai"]
                driven.snapshots.append(ai)
    except errors.ApiError as exc:
        driven.error = exc
    finally:
        await agent.aclose()
    return driven


def good_stream(n: int = 5, end: str = "eof") -> list[Any]:
    return sse_response([meta(), *(tok(i) for i in range(n))], end=end)


# --- S1–S5: answers that are not streams ------------------------------------------------


async def test_s1_html_502_on_post_looks_up_then_retries(hostile: HostileServer) -> None:
    agent_routes(hostile, [html_502(), good_stream()], messages=FINAL)
    driven = await drive(hostile)
    assert driven.error is None
    assert driven.custom == [0, 1, 2, 3, 4]
    assert any("HTTP 502" in n and "looking the run up" in n for n in driven.notices)
    assert not any("<html" in n or "<script" in n for n in driven.notices)
    order = [(r.method, r.path.split("?")[0]) for r in hostile.requests]
    first_post, second_post = [i for i, r in enumerate(order) if r == ("POST", POST)]
    assert ("GET", RUNS) in order[first_post:second_post]  # looked up before the re-POST


async def test_s1_html_502_on_rejoin_is_retried(hostile: HostileServer) -> None:
    agent_routes(
        hostile,
        sse_response([meta(), tok(0), tok(1)], end="reset"),
        rejoin=[html_502(), replaying(meta(), tok(0), tok(1), tok(2), tok(3))],
        run_statuses=("running", "running", "success"),
        messages=FINAL,
    )
    driven = await drive(hostile)
    assert driven.error is None
    assert driven.custom == [0, 1, 2, 3]
    assert any("HTTP 502" in n for n in driven.notices)


@pytest.mark.parametrize("status", [401, 403])
async def test_s2_auth_error_without_body_is_not_retried(
    hostile: HostileServer, status: int
) -> None:
    agent_routes(hostile, unauthorized_no_body(status))
    driven = await drive(hostile, key=CANARY)
    err = driven.error
    assert isinstance(err, errors.AuthError if status == 401 else errors.PermissionDenied)
    assert f"HTTP {status}" in str(err)
    assert ("rejected the API key" if status == 401 else "may not do this") in err.hint
    assert CANARY not in str(err) and CANARY not in repr(err)
    assert len(hostile.hits("POST", POST)) == 1


async def test_s3_rate_limited_waits_retry_after_then_goes_on(hostile: HostileServer) -> None:
    agent_routes(hostile, [rate_limited("1"), good_stream()], messages=FINAL)
    driven = await drive(hostile)
    assert driven.error is None and driven.custom == [0, 1, 2, 3, 4]
    assert any("rate limited (HTTP 429); retrying in 1 s" in n for n in driven.notices)
    first, second = hostile.hits("POST", POST)
    assert second.received_at - first.received_at >= 1.0  # Retry-After honoured


async def test_s3_retry_after_is_capped_and_attempts_are_bounded(hostile: HostileServer) -> None:
    capped = errors.http_error_from_response(429, b"", {"retry-after": "7000"})
    assert isinstance(capped, errors.RateLimited) and capped.retry_after == 60.0
    agent_routes(hostile, rate_limited("0"))
    driven = await drive(hostile)
    assert isinstance(driven.error, errors.RateLimited)
    assert len(hostile.hits("POST", POST)) == 3


async def test_s4_json_on_a_stream_endpoint_is_a_protocol_error(hostile: HostileServer) -> None:
    agent_routes(hostile, wrong_content_type())
    driven = await drive(hostile)
    assert isinstance(driven.error, errors.WrongContentType)
    assert "application/json" in str(driven.error)
    assert "streaming is disabled here" in str(driven.error)  # the body's detail is shown
    assert len(hostile.hits("POST", POST)) == 1  # not put in a retry loop


async def test_s5_cross_origin_redirect_is_not_followed(hostile: HostileServer) -> None:
    async with HostileServer(max_seconds=30) as evil:
        evil.route("POST", r".*", good_stream())
        agent_routes(hostile, cross_origin_redirect(f"{evil.url}/threads/{THREAD}/runs/stream"))
        driven = await drive(hostile, key=CANARY)
        assert isinstance(driven.error, errors.HttpError) and driven.error.status == 307
        assert "redirects are not followed" in driven.error.hint
        assert evil.requests == []


async def test_s5_cross_origin_location_is_never_used_to_rejoin(hostile: HostileServer) -> None:
    async with HostileServer(max_seconds=30) as evil:
        evil.route("GET", r".*", good_stream())
        headers = [
            ("location", f"{evil.url}/threads/{THREAD}/runs/{RUN}/stream"),
            ("content-location", f"/threads/{THREAD}/runs/{RUN}"),
        ]
        agent_routes(
            hostile,
            sse_response([meta(), tok(0)], headers=headers, end="reset"),
            rejoin=[replaying(meta(), tok(0), tok(1))],
            run_statuses=("running", "success"),
            messages=FINAL,
        )
        driven = await drive(hostile, key=CANARY)
        assert driven.error is None and driven.custom == [0, 1]
        assert evil.requests == []
        assert all(r.headers.get("bbot-api-key") == CANARY for r in hostile.requests)


async def test_s5_content_location_with_a_path_escape_is_ignored(hostile: HostileServer) -> None:
    headers = [("content-location", f"/threads/{THREAD}/runs/..%2F..%2Fadmin")]
    agent_routes(hostile, sse_response([meta(), tok(0)], headers=headers, end="reset"))
    driven = await drive(hostile)
    assert driven.session.run_id is None  # no id taken from a bad header
    assert not any("admin" in r.path for r in hostile.requests)


# --- S6–S13: broken event streams ------------------------------------------------------


async def test_s6_invalid_json_event_is_skipped_and_the_stream_goes_on(
    hostile: HostileServer,
) -> None:
    bad = sse_event("custom", b'{"i": 1, oops', "1502-0")
    agent_routes(hostile, sse_response([meta(), tok(0), bad, tok(2)]), messages=FINAL)
    driven = await drive(hostile)
    assert driven.error is None
    assert driven.custom == [0, 2]
    assert any("malformed custom event ignored" in w for w in driven.session.transcript.warnings)


async def test_s7_ten_megabyte_event_is_handled_in_bounded_memory(
    hostile: HostileServer,
) -> None:
    big = sse_event("custom", {"i": 1, "tok": "x" * 10_000_000}, "1502-0")
    agent_routes(hostile, sse_response([meta(), tok(0), big, tok(2)]), messages=FINAL)
    tracemalloc.start()
    try:
        driven = await drive(hostile)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert driven.error is None
    assert driven.custom == [0, 1, 2]
    print(f"\n[S7] peak traced memory {peak / 1e6:.0f} MB (client and loopback server)")
    assert peak < 50_000_000, f"peak {peak / 1e6:.0f} MB for a 10 MB event"


async def test_s7_event_over_the_cap_stops_the_preview_and_fetches_the_state(
    hostile: HostileServer,
) -> None:
    big = sse_event("custom", {"i": 1, "tok": "x" * 2_000_000}, "1502-0")
    agent_routes(hostile, sse_response([meta(), tok(0), big, tok(2)]), messages=FINAL)
    driven = await drive(hostile, max_event=1_000_000)
    assert driven.error is None
    warnings = driven.session.transcript.warnings
    assert any("an event exceeded" in w and "final state follows" in w for w in warnings)
    assert driven.texts == ["hi", "t0 t1 t2 t3 t4"]  # reconciled from the thread state


async def test_s8_a_line_that_never_ends_is_aborted_at_the_cap(hostile: HostileServer) -> None:
    endless = [sse_head([("content-location", f"/threads/{THREAD}/runs/{RUN}")])]
    endless += [chunk(meta()), chunk(b"data: "), Flood(b"x" * 65536, 40_000_000)]
    agent_routes(hostile, endless, messages=FINAL)
    tracemalloc.start()
    try:
        driven = await drive(hostile, max_line=4_000_000)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert driven.error is None
    assert any("a stream line exceeded" in w for w in driven.session.transcript.warnings)
    assert driven.texts == ["hi", "t0 t1 t2 t3 t4"]
    print(f"\n[S8] peak traced memory {peak / 1e6:.0f} MB")
    assert peak < 40_000_000, f"peak {peak / 1e6:.0f} MB"


async def test_s9_heartbeats_only_trip_the_watchdog(hostile: HostileServer) -> None:
    beats = [sse_head([("content-location", f"/threads/{THREAD}/runs/{RUN}")]), chunk(meta())]
    beats += [x for _ in range(40) for x in (Sleep(0.1), chunk(b": heartbeat\r\n\r\n"))]
    beats += [Hang(20)]
    agent_routes(
        hostile,
        beats,
        rejoin=[replaying(meta(), tok(0))],
        run_statuses=("running", "running", "success"),
        messages=FINAL,
    )
    driven = await drive(hostile, watchdog=1.0, stall_limit=2.0)
    assert driven.error is None
    assert any("no event for 1 s; the run is running, waiting" in n for n in driven.notices)
    assert hostile.hits("GET", JOIN), "the silent stream was closed and rejoined"
    assert driven.custom == [0]


async def test_s9_one_byte_every_half_second_trips_the_watchdog(hostile: HostileServer) -> None:
    drip = [sse_head([("content-location", f"/threads/{THREAD}/runs/{RUN}")]), chunk(meta())]
    drip += [Drip(b"".join(chunk(b":") for _ in range(60)), every=0.2, limit=20)]
    agent_routes(hostile, drip, run_statuses=("running", "success"), messages=FINAL)
    driven = await drive(hostile, watchdog=1.0)
    assert driven.error is None
    assert any("no event for 1 s" in n for n in driven.notices)
    assert driven.texts == ["hi", "t0 t1 t2 t3 t4"]


async def test_s10_invalid_utf8_becomes_replacement_characters(hostile: HostileServer) -> None:
    raw = sse_event("custom", b'{"i": 1, "tok": "caf\xe9 \xff\xfe"}', "1502-0")
    agent_routes(hostile, sse_response([meta(), tok(0), raw, tok(2)]), messages=FINAL)
    driven = await drive(hostile)
    assert driven.error is None and driven.custom == [0, 1, 2]
    assert driven.session.transcript.custom[1][1]["tok"] == "caf\ufffd \ufffd\ufffd"


async def test_s11_unnamed_event_is_skipped(hostile: HostileServer) -> None:
    unnamed = sse_event(None, {"messages": [{"type": "ai", "content": "INJECTED"}]}, "1502-0")
    agent_routes(hostile, sse_response([meta(), tok(0), unnamed, tok(2)]), messages=FINAL)
    driven = await drive(hostile)
    assert driven.error is None and driven.custom == [0, 2]
    assert not any("INJECTED" in m for m in driven.texts)


async def test_s12_heartbeats_after_an_id_make_no_phantom_events(hostile: HostileServer) -> None:
    beat = b": heartbeat\r\n\r\n"
    phantom = b"data:\r\n\r\n"  # an empty unnamed event: what httpx-sse makes of a heartbeat
    script = sse_response([meta(), tok(0), beat, phantom, beat, tok(1), beat], end="reset")
    agent_routes(
        hostile,
        script,
        rejoin=[replaying(meta(), tok(0), tok(1), tok(2))],
        run_statuses=("running", "success"),
        messages=FINAL,
    )
    driven = await drive(hostile)
    events = [e for u in driven.updates for e in u.events]
    assert [e.event for e in events] == ["metadata", "custom", "custom", "custom"]
    assert driven.custom == [0, 1, 2]
    first_rejoin = hostile.hits("GET", JOIN)[0]
    assert first_rejoin.headers["last-event-id"] == "1501-0"  # tok(1)'s id stepped back 1 ms


@pytest.mark.parametrize(
    "payload",
    [b"[" * 100_000 + b"]" * 100_000, b'{"i": 1, "n": ' + b"9" * 5000 + b"}"],
    ids=["deep-nesting", "5000-digit-int"],
)
async def test_s13_parser_bombs_are_skipped(hostile: HostileServer, payload: bytes) -> None:
    bomb = sse_event("custom", payload, "1502-0")
    agent_routes(hostile, sse_response([meta(), tok(0), bomb, tok(2)]), messages=FINAL)
    driven = await drive(hostile)
    assert driven.error is None and driven.custom == [0, 2]
    assert any("malformed" in w for w in driven.session.transcript.warnings)


# --- S14–S17: run-level surprises ------------------------------------------------------


async def test_s14_error_event_marks_the_run_failed_without_retry(hostile: HostileServer) -> None:
    error = sse_event("error", {"error": "HTTPException", "message": "404: Run not found"})
    agent_routes(hostile, sse_response([meta(), tok(0), error]), run_statuses=("error",))
    driven = await drive(hostile)
    assert driven.error is None
    assert driven.session.outcome.status == "error"
    assert driven.session.outcome.error == "HTTPException: 404: Run not found"
    assert hostile.hits("GET", JOIN) == []  # a terminal error is not rejoined


@pytest.mark.parametrize(
    ("status", "notice"),
    [
        ("interrupted", "stopped on the server"),
        ("gone", "rolled back"),
    ],
)
async def test_s15_clean_eof_mid_run_checks_the_run(
    hostile: HostileServer, status: str, notice: str
) -> None:
    agent_routes(hostile, sse_response([meta(), tok(0)]), messages=FINAL[:1])
    if status == "gone":
        hostile.route("GET", rf"/threads/{THREAD}/runs/{RUN}", [json_response(404, {})])
    else:
        hostile.route(
            "GET", rf"/threads/{THREAD}/runs/{RUN}", [json_response(200, run_json(status))]
        )
    driven = await drive(hostile)
    assert driven.error is None
    assert driven.session.outcome.status == "cancelled"
    assert notice in (driven.updates[-1].notice or "")


async def test_s15_clean_eof_while_running_rejoins(hostile: HostileServer) -> None:
    agent_routes(
        hostile,
        sse_response([meta(), tok(0), tok(1)]),
        rejoin=[replaying(meta(), tok(0), tok(1), tok(2), tok(3))],
        run_statuses=("running", "success"),
        messages=FINAL,
    )
    driven = await drive(hostile)
    assert driven.error is None and driven.custom == [0, 1, 2, 3]
    assert driven.session.outcome.status == "success"


async def test_s16_bom_and_unterminated_last_event(hostile: HostileServer) -> None:
    last = tok(2)[:-2]  # no blank line after the last event
    agent_routes(
        hostile,
        sse_response([b"\xef\xbb\xbf" + meta(), tok(0), tok(1), last]),
        messages=FINAL,
    )
    driven = await drive(hostile)
    events = [e for u in driven.updates for e in u.events]
    assert events[0].event == "metadata"  # the BOM did not eat the first event's name
    assert driven.custom == [0, 1, 2]  # the unterminated event was flushed at EOF


async def test_s17_seam_duplicates_and_same_ms_ids_are_delivered_once(
    hostile: HostileServer,
) -> None:
    first = [meta("1000-0"), tok(0, "1001-0"), tok(1, "1002-0"), tok(2, "1002-0")]
    # the replay after "1001-0" (1002-0 stepped back), then live events with a seam duplicate
    replay = [tok(1, "1002-0"), tok(2, "1002-0"), tok(3, "1003-0"), tok(4, "1004-0")]
    replay += [tok(3, "1003-0"), tok(4, "1004-0"), tok(5, "1005-0")]
    agent_routes(
        hostile,
        sse_response(first, end="reset"),
        rejoin=[sse_response(replay), sse_response([tok(5, "1005-0")])],
        run_statuses=("running", "success"),
        messages=FINAL,
    )
    driven = await drive(hostile)
    assert driven.error is None
    assert driven.custom == [0, 1, 2, 3, 4, 5]
    assert hostile.hits("GET", JOIN)[0].headers["last-event-id"] == "1001-0"
    assert driven.session.outcome.duplicates_dropped >= 4


async def test_s17_second_metadata_means_a_restart_and_resets_the_preview(
    hostile: HostileServer,
) -> None:
    def chunk_event(text: str, event_id: str) -> bytes:
        msg = {"type": "AIMessageChunk", "content": text, "id": "run-a1"}
        return sse_event("messages", [msg, {"langgraph_node": "talk"}], event_id)

    restarted = sse_event("metadata", {"run_id": RUN, "attempt": 1}, "2000-0")
    agent_routes(
        hostile,
        sse_response([meta("1000-0"), chunk_event("old partial ", "1001-0")], end="reset"),
        rejoin=[replaying(restarted, chunk_event("fresh", "2001-0"))],
        run_statuses=("running", "success"),
        messages=[FINAL[0], {"type": "ai", "content": "fresh", "id": "run-a1"}],
    )
    driven = await drive(hostile, snapshot=True)
    after_restart = driven.snapshots[-1]
    assert any("old partial " in snap for snap in driven.snapshots)  # shown…
    assert after_restart == ["fresh"]  # …and dropped when the run restarted
    assert driven.texts == ["hi", "fresh"]


async def test_stream_reset_mid_event_rejoins_and_completes(hostile: HostileServer) -> None:
    """A reset in the middle of an event (docs/PROTOCOL.md, "Transport failures"): the half event
    is not applied."""
    half = tok(2)[:12]
    agent_routes(
        hostile,
        [*sse_response([meta(), tok(0), tok(1)], end="eof")[:-2], chunk(half), Close()],
        rejoin=[replaying(meta(), tok(0), tok(1), tok(2), tok(3))],
        run_statuses=("running", "success"),
        messages=FINAL,
    )
    driven = await drive(hostile)
    assert driven.error is None and driven.custom == [0, 1, 2, 3]
