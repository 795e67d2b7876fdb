"""SSE conformance of ``bbot_tui.api.sse.SSEParser`` (WHATWG "event stream interpretation").

Every case is run through our bytes-level parser; where httpx-sse 0.4.3's documented behaviour is
the same, the same bytes go through ``httpx_sse.EventSource`` over an ``httpx.Response`` built
from those bytes, to show both agree. Four cases differ on purpose (see the ``DIFFERENT`` table
and docs/PROTOCOL.md cases S12, S16):

- a ``: heartbeat`` comment after an ``id:`` line: httpx-sse dispatches a phantom empty
  ``message`` event (httpx-sse#35); we dispatch nothing (the spec dispatches only when data was
  given);
- a UTF-8 BOM before the first field: httpx-sse loses the event name (the field becomes
  ``\\ufeffevent``); we strip the BOM as the spec says;
- a final event without a trailing blank line: httpx-sse drops it; we flush it at close (the
  authoritative state would repair it, but the preview should not lose the tail);
- an ``event:`` line followed by a blank line without any ``data``: httpx-sse dispatches an
  event with empty data; the spec (and we) dispatch nothing.

One more difference, by design: ``StreamEvent.id`` is the id given *in that event* (None when it
had none); the resume cursor that persists across events, like the spec's "last event ID
buffer", is ``SSEParser.last_event_id``.
"""

from __future__ import annotations

import json
import random
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import httpx_sse
import pytest

from bbot_tui.api.errors import StreamTooLarge
from bbot_tui.api.events import StreamEvent, split_event_name
from bbot_tui.api.sse import SSEParser, aiter_event_batches

Row = tuple[str, Any, str | None]
"""(event name, decoded data or the raw text when it is not JSON, the event's own id)."""


def row(event: StreamEvent) -> Row:
    return (event.event, event.raw if event.error else event.data, event.id)


def parse(data: bytes, chunks: list[int] | None = None) -> tuple[list[Row], SSEParser]:
    """Feed ``data`` whole or split at the given sizes, then close."""
    parser = SSEParser()
    events: list[StreamEvent] = []
    if chunks is None:
        events += parser.feed(data)
    else:
        pos = 0
        for size in chunks:
            events += parser.feed(data[pos : pos + size])
            pos += size
        events += parser.feed(data[pos:])
    events += parser.close()
    return [row(e) for e in events], parser


def httpx_sse_rows(data: bytes, pieces: list[bytes] | None = None) -> list[tuple[str, Any, str]]:
    """The same bytes through httpx-sse: (event, decoded-or-raw data, id as it reports it)."""

    def body() -> Iterator[bytes]:
        yield from pieces if pieces is not None else [data]

    response = httpx.Response(
        200, headers={"content-type": "text/event-stream; charset=utf-8"}, content=body()
    )
    out = []
    for sse in httpx_sse.EventSource(response).iter_sse():
        try:
            value: Any = json.loads(sse.data)
        except ValueError:
            value = sse.data
        out.append((sse.event or "message", value, sse.id))
    return out


# --- a realistic stream: the real server's framing ----------------------------------------

SAMPLE = (
    b'event: metadata\r\ndata: {"run_id":"r1","attempt":1}\r\nid: 1795407305249-0\r\n\r\n'
    b": heartbeat\r\n\r\n"
    b'event: messages\r\ndata: [{"content":"caf\xc3\xa9 \xf0\x9f\x8d\xb0","type":"AIMessageChunk",'
    b'"id":"m1"},{"langgraph_node":"chat"}]\r\nid: 1795407305250-0\r\n\r\n'
    b'event: updates|child:1234|grand:9\r\ndata: {"inner":{"messages":[]}}\r\n'
    b"id: 1795407305250-1\r\n\r\n"
    b"event: custom\r\ndata: not json {\r\nid: 1795407305251-0\r\n\r\n"
    b'event: values\r\ndata: {"messages":\r\ndata: []}\r\nid: 1795407305252-0\r\n\r\n'
)
SAMPLE_ROWS: list[Row] = [
    ("metadata", {"run_id": "r1", "attempt": 1}, "1795407305249-0"),
    (
        "messages",
        [{"content": "café 🍰", "type": "AIMessageChunk", "id": "m1"}, {"langgraph_node": "chat"}],
        "1795407305250-0",
    ),
    ("updates|child:1234|grand:9", {"inner": {"messages": []}}, "1795407305250-1"),
    ("custom", "not json {", "1795407305251-0"),
    ("values", {"messages": []}, "1795407305252-0"),
]
SAMPLE_LF = SAMPLE.replace(b"\r\n", b"\n")
SAMPLE_NO_HEARTBEAT = SAMPLE.replace(b": heartbeat\r\n\r\n", b"")
SAMPLE_CR = SAMPLE.replace(b"\r\n", b"\r")


@pytest.mark.parametrize("data", [SAMPLE, SAMPLE_LF, SAMPLE_CR], ids=["crlf", "lf", "cr"])
def test_sample_whole(data: bytes) -> None:
    rows, parser = parse(data)
    assert rows == SAMPLE_ROWS
    assert parser.last_event_id == "1795407305252-0"
    assert parser.comments == 1


@pytest.mark.parametrize("data", [SAMPLE, SAMPLE_LF, SAMPLE_CR], ids=["crlf", "lf", "cr"])
def test_sample_split_at_every_byte_boundary(data: bytes) -> None:
    for cut in range(1, len(data)):
        rows, _ = parse(data, [cut])
        assert rows == SAMPLE_ROWS, f"split at byte {cut}"


@pytest.mark.parametrize("data", [SAMPLE, SAMPLE_LF, SAMPLE_CR], ids=["crlf", "lf", "cr"])
def test_sample_byte_by_byte(data: bytes) -> None:
    assert parse(data, [1] * len(data))[0] == SAMPLE_ROWS


@pytest.mark.parametrize("seed", range(20))
def test_sample_random_chunks(seed: int) -> None:
    rng = random.Random(seed)
    data = rng.choice([SAMPLE, SAMPLE_LF, SAMPLE_CR])
    sizes = []
    while sum(sizes) < len(data):
        sizes.append(rng.randint(1, 40))
    assert parse(data, sizes)[0] == SAMPLE_ROWS


@pytest.mark.parametrize(
    "data",
    [SAMPLE_NO_HEARTBEAT, SAMPLE_NO_HEARTBEAT.replace(b"\r\n", b"\n")],
    ids=["crlf", "lf"],
)
def test_sample_agrees_with_httpx_sse(data: bytes) -> None:
    # (the heartbeat after an id is left out: httpx-sse makes a phantom event of it, below)
    theirs = httpx_sse_rows(data)
    ours, _ = parse(data)
    assert [(e, d) for e, d, _ in theirs] == [(e, d) for e, d, _ in ours]
    # httpx-sse reports the persisting "last event ID buffer"; here every event has its own id
    assert [i for _, _, i in theirs] == [i for _, _, i in ours]


def test_sample_agrees_with_httpx_sse_byte_by_byte() -> None:
    data = SAMPLE_NO_HEARTBEAT
    pieces = [data[i : i + 1] for i in range(len(data))]
    assert [(e, d) for e, d, _ in httpx_sse_rows(data, pieces)] == [
        (e, d) for e, d, _ in SAMPLE_ROWS
    ]


# --- single WHATWG rules, each also run through httpx-sse where it behaves the same --------

SAME: list[tuple[str, bytes, list[tuple[str, Any]]]] = [
    ("lf", b"data: 1\n\n", [("message", 1)]),
    ("crlf", b"data: 1\r\n\r\n", [("message", 1)]),
    ("cr", b"data: 1\r\r", [("message", 1)]),
    (
        "mixed line ends",
        b"data: 1\r\n\ndata: 2\r\rdata: 3\n\r\n",
        [("message", 1), ("message", 2), ("message", 3)],
    ),
    ("comment only", b": hello\n\n", []),
    ("comment between fields", b"data: 1\n: note\ndata: 2\n\n", [("message", "1\n2")]),
    ("data without space", b"data:hello\n\n", [("message", "hello")]),
    ("data with one space stripped", b"data: hello\n\n", [("message", "hello")]),
    ("only one space stripped", b"data:  hello\n\n", [("message", " hello")]),
    ("multi-line data joined by LF", b"data: [1,\ndata: 2]\n\n", [("message", [1, 2])]),
    ("empty data line dispatches empty data", b"data\n\n", [("message", None)]),
    (
        "event name applies to one event",
        b"event: a\ndata: 1\n\ndata: 2\n\n",
        [("a", 1), ("message", 2)],
    ),
    ("unknown fields and retry ignored", b"foo: bar\nretry: 10\ndata: 1\n\n", [("message", 1)]),
    ("field name with trailing space ignored", b"data : 1\ndata: 2\n\n", [("message", 2)]),
    ("blank lines only", b"\n\n\r\n\r\n", []),
    ("utf-8 split across fields", 'data: "é"\n\n'.encode(), [("message", "é")]),
    ("invalid utf-8 replaced", b'data: "caf\xe9"\n\n', [("message", "caf\ufffd")]),
]


def _clean(rows: list[Row]) -> list[tuple[str, Any]]:
    return [(event, data) for event, data, _ in rows]


@pytest.mark.parametrize(("name", "data", "expected"), SAME, ids=[c[0] for c in SAME])
def test_rule(name: str, data: bytes, expected: list[tuple[str, Any]]) -> None:
    assert _clean(parse(data)[0]) == expected
    assert _clean(parse(data, [1] * len(data))[0]) == expected


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [c for c in SAME if c[0] != "empty data line dispatches empty data"],
    ids=[c[0] for c in SAME if c[0] != "empty data line dispatches empty data"],
)
def test_rule_agrees_with_httpx_sse(name: str, data: bytes, expected: list[Any]) -> None:
    theirs = [(e, d) for e, d, _ in httpx_sse_rows(data)]
    assert theirs == expected


def test_empty_data_line_in_httpx_sse_is_an_empty_string() -> None:
    # Same dispatch; httpx-sse hands on "" and we decode "" as "no data" (None), not an error.
    assert [(e, d) for e, d, _ in httpx_sse_rows(b"data\n\n")] == [("message", "")]
    events = SSEParser().feed(b"data\n\n")
    assert events[0].data is None and events[0].error is None


# --- ids -------------------------------------------------------------------------------


def test_id_persists_as_cursor_but_not_on_later_events() -> None:
    rows, parser = parse(b"id: 7\ndata: 1\n\ndata: 2\n\n")
    assert rows == [("message", 1, "7"), ("message", 2, None)]
    assert parser.last_event_id == "7"
    # httpx-sse reports the persisting buffer on both events (the spec's lastEventId)
    assert [i for _, _, i in httpx_sse_rows(b"id: 7\ndata: 1\n\ndata: 2\n\n")] == ["7", "7"]


def test_id_before_or_after_data() -> None:
    rows, _ = parse(b"id: a\ndata: 1\n\ndata: 2\nid: b\n\n")
    assert rows == [("message", 1, "a"), ("message", 2, "b")]


def test_id_with_nul_is_ignored() -> None:
    data = b"id: 5\ndata: 1\n\nid: 6\x007\ndata: 2\n\n"
    rows, parser = parse(data)
    assert rows == [("message", 1, "5"), ("message", 2, None)]
    assert parser.last_event_id == "5"
    assert [i for _, _, i in httpx_sse_rows(data)] == ["5", "5"]


def test_empty_id_resets_the_cursor() -> None:
    rows, parser = parse(b"id: 5\ndata: 1\n\nid\ndata: 2\n\n")
    assert rows == [("message", 1, "5"), ("message", 2, None)]
    assert parser.last_event_id == ""


def test_id_alone_does_not_dispatch() -> None:
    rows, parser = parse(b"id: 9\n\n")
    assert rows == []
    assert parser.last_event_id == "9"


# --- the deliberate differences from httpx-sse -------------------------------------------


def test_event_name_without_data_is_not_dispatched() -> None:
    # WHATWG: "If the data buffer is an empty string, set the event type buffer to the empty
    # string and return." httpx-sse dispatches it with empty data.
    data = b"event: x\n\ndata: 1\n\n"
    assert _clean(parse(data)[0]) == [("message", 1)]
    assert [(e, d) for e, d, _ in httpx_sse_rows(data)] == [("x", ""), ("message", 1)]


def test_no_phantom_event_from_a_heartbeat_after_an_id() -> None:
    data = (
        b"event: custom\ndata: 1\nid: 1-0\n\n: heartbeat\n\n"
        b": heartbeat\n\nevent: custom\ndata: 2\n\n"
    )
    assert _clean(parse(data)[0]) == [("custom", 1), ("custom", 2)]
    theirs = [(e, d) for e, d, _ in httpx_sse_rows(data)]
    assert theirs == [("custom", 1), ("message", ""), ("message", ""), ("custom", 2)]


@pytest.mark.parametrize("split", [None, 1, 2, 3, 4])
def test_bom_is_stripped(split: int | None) -> None:
    data = b"\xef\xbb\xbfevent: metadata\ndata: 1\n\n"
    chunks = None if split is None else [1] * split
    assert _clean(parse(data, chunks)[0]) == [("metadata", 1)]
    assert [(e, d) for e, d, _ in httpx_sse_rows(data)] == [("message", 1)]


def test_bom_only_at_the_start() -> None:
    rows, _ = parse(b"data: 1\n\n\xef\xbb\xbfevent: x\ndata: 2\n\n")
    assert _clean(rows) == [("message", 1), ("message", 2)]


@pytest.mark.parametrize(
    "data",
    [b"event: end\ndata: 1", b"event: end\ndata: 1\n", b"event: end\ndata: 1\r", b"data: 1\r\n"],
    ids=["no line end", "lf", "cr", "crlf"],
)
def test_unterminated_final_event_is_flushed_at_close(data: bytes) -> None:
    expected = [("end" if data.startswith(b"event") else "message", 1)]
    assert _clean(parse(data)[0]) == expected
    assert _clean(parse(data, [1] * len(data))[0]) == expected
    assert httpx_sse_rows(data) == []


def test_close_without_pending_data_yields_nothing() -> None:
    parser = SSEParser()
    assert parser.feed(b"data: 1\n\n: bye\n") and parser.close() == []


# --- event names, JSON errors, batches, caps --------------------------------------------


@pytest.mark.parametrize(
    ("name", "mode", "ns"),
    [
        ("updates", "updates", ()),
        ("updates|child:1", "updates", ("child:1",)),
        ("messages|a:1|b:2", "messages", ("a:1", "b:2")),
        ("messages/partial", "messages/partial", ()),
        ("values|child:9", "values", ("child:9",)),
    ],
)
def test_event_name_splits_into_mode_and_namespace(
    name: str, mode: str, ns: tuple[str, ...]
) -> None:
    assert split_event_name(name) == (mode, ns)
    event = SSEParser().feed(f"event: {name}\ndata: {{}}\n\n".encode())[0]
    assert (event.mode, event.ns) == (mode, ns)


@pytest.mark.parametrize(
    "bad", ["{", "nope", "[1,2", "[" * 100_000 + "]" * 100_000, "1" * 5000], ids=str.__len__
)
def test_invalid_json_sets_error_and_the_stream_continues(bad: str) -> None:
    data = b"event: a\ndata: 1\n\nevent: b\ndata: " + bad.encode() + b"\n\nevent: c\ndata: 3\n\n"
    events = SSEParser().feed(data)
    assert [e.event for e in events] == ["a", "b", "c"]
    broken = events[1]
    assert broken.data is None and broken.error and broken.raw == bad
    assert events[2].data == 3 and events[2].error is None


def test_events_of_one_read_come_as_one_batch() -> None:
    parser = SSEParser()
    assert len(parser.feed(SAMPLE)) == len(SAMPLE_ROWS)
    assert parser.feed(b"data: 1") == []
    assert [e.data for e in parser.feed(b"\n\n")] == [1]


async def test_aiter_event_batches_one_batch_per_read() -> None:
    reads = [SAMPLE[:120], SAMPLE[120:121], SAMPLE[121:]]

    async def chunks() -> AsyncIterator[bytes]:
        for piece in reads:
            yield piece

    batches = [b async for b in aiter_event_batches(chunks())]
    assert all(batches)
    assert [row(e) for batch in batches for e in batch] == SAMPLE_ROWS
    assert len(batches) <= len(reads)


def test_line_cap_raises_stream_too_large() -> None:
    parser = SSEParser(max_line=100)
    parser.feed(b"data: " + b"x" * 50)
    with pytest.raises(StreamTooLarge):
        parser.feed(b"x" * 100)


def test_line_cap_counts_across_reads_byte_by_byte() -> None:
    parser = SSEParser(max_line=64)
    with pytest.raises(StreamTooLarge):
        for _ in range(200):
            parser.feed(b"x")


def test_event_cap_raises_stream_too_large() -> None:
    parser = SSEParser(max_event=100)
    with pytest.raises(StreamTooLarge):
        parser.feed(b"data: " + b"x" * 60 + b"\ndata: " + b"y" * 60 + b"\n")


def test_event_cap_allows_an_event_at_the_limit_and_resets() -> None:
    parser = SSEParser(max_event=100)
    for _ in range(3):
        (event,) = parser.feed(b'data: "' + b"x" * 98 + b'"\n\n')
        assert event.data == "x" * 98
