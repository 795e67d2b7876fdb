"""The parser's fast path for whole events gives what the general line-by-line path gives.

``SSEParser.feed`` reads a chunk that holds whole events framed the usual way without per-line
dispatch. Fed one byte at a time, no chunk ever takes that path, so the two must agree on every
stream: random streams of the usual frames mixed with every odd shape (comments, several data
lines, ids with NUL, empty fields, fields without their space, stray CR or LF, BOM, blank
lines), with CRLF, LF or CR line ends, fed whole, per event and in random pieces.
"""

from __future__ import annotations

import random

import pytest

from bbot_tui.api.errors import StreamTooLarge
from bbot_tui.api.sse import SSEParser

Row = tuple[str, object, str | None, str | None]

FIELDS = [
    b"event: messages",
    b"event: updates|child:1",
    b"event: ",
    b"event:values",
    b'data: {"a": 1}',
    b'data: ["caf\xc3\xa9", 2]',
    b"data: not json",
    b"data: ",
    b"data",
    b"data:  x",
    b"id: 17-0",
    b"id: ",
    b"id",
    b"id: 1\x002",
    b": heartbeat",
    b"retry: 5",
    b"data : 3",
    b"event: a\rdata: 9",
    b"data: 1\nid: 4",
]


def _stream(rng: random.Random) -> list[bytes]:
    """A list of frames: most the usual shape, some odd."""
    frames = []
    for _ in range(rng.randint(1, 12)):
        if rng.random() < 0.6:
            lines = [b"event: messages", b'data: {"n": %d}' % rng.randint(0, 99)]
            if rng.random() < 0.5:
                lines.append(b"id: %d-0" % rng.randint(0, 99))
            if rng.random() < 0.3:  # the usual shape, one line made odd
                index = rng.randrange(len(lines))
                lines[index] = rng.choice(
                    [
                        lines[index] + b"\r" + lines[index],
                        lines[index][:-1] + b"\n" + lines[index],
                        lines[index] + b"\x00",
                        lines[index].split(b" ")[0] + b" ",
                        lines[index].replace(b": ", b":", 1),
                    ]
                )
        else:
            lines = [rng.choice(FIELDS) for _ in range(rng.randint(0, 4))]
        end = rng.choice([b"\r\n", b"\r\n", b"\n", b"\r"])
        frames.append(b"".join(line + end for line in lines) + end)
    if rng.random() < 0.1:
        frames[0] = b"\xef\xbb\xbf" + frames[0]
    return frames


def _rows(parser: SSEParser, pieces: list[bytes]) -> tuple[list[Row], str | None, int]:
    rows: list[Row] = []
    for piece in pieces:
        rows += [(e.event, e.data, e.id, e.raw) for e in parser.feed(piece)]
    rows += [(e.event, e.data, e.id, e.raw) for e in parser.close()]
    return rows, parser.last_event_id, parser.comments


@pytest.mark.parametrize("seed", range(300))
def test_fast_path_agrees_with_line_by_line(seed: int) -> None:
    rng = random.Random(seed)
    frames = _stream(rng)
    data = b"".join(frames)
    expected = _rows(SSEParser(), [data[i : i + 1] for i in range(len(data))])
    assert _rows(SSEParser(), [data]) == expected
    assert _rows(SSEParser(), frames) == expected
    cuts = sorted(rng.sample(range(1, len(data)), min(3, len(data) - 1)))
    pieces = [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)]
    assert _rows(SSEParser(), pieces) == expected


@pytest.mark.parametrize("end", [b"\r\n", b"\n"], ids=["crlf", "lf"])
@pytest.mark.parametrize("with_id", [False, True], ids=["no-id", "id"])
def test_event_cap_on_the_fast_path(end: bytes, with_id: bool) -> None:
    def frame(size: int) -> bytes:
        lines = [b"event: custom", b'data: "' + b"x" * (size - 2) + b'"']
        if with_id:
            lines.append(b"id: 1-0")
        return b"".join(line + end for line in lines) + end

    parser = SSEParser(max_event=100)
    (event,) = parser.feed(frame(100))
    assert event.data == "x" * 98 and event.event == "custom"
    with pytest.raises(StreamTooLarge):
        SSEParser(max_event=100).feed(frame(101))
