"""A bytes-level Server-Sent Events parser with hard limits.

Why not ``httpx_sse.EventSource``: measured against the real server it turns every
``: heartbeat`` comment after an ``id:`` into an empty ``message`` event (httpx-sse#35),
loses the event name after a UTF-8 BOM, drops a final event with no trailing blank line, has
no limit on line length (a ``data:`` line that never ends grew RSS by 123 MB in 6 s), and
wakes the consumer once per event. This parser follows the WHATWG rules (CR, LF and CRLF line
ends; ``:`` comments; one optional space after the colon; ``id`` with NUL ignored; dispatch
on a blank line only when data was given), and hands events on in batches, one per network
read. ``tests/unit/test_sse.py`` runs the same conformance cases against both parsers.
"""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator, AsyncIterator

from bbot_tui.api.errors import StreamTooLarge
from bbot_tui.api.events import StreamEvent

__all__ = ["DEFAULT_MAX_EVENT", "DEFAULT_MAX_LINE", "SSEParser", "aiter_event_batches"]

DEFAULT_MAX_LINE = 16 * 1024 * 1024
"""The longest line accepted (bytes); past it the stream is aborted."""
DEFAULT_MAX_EVENT = 16 * 1024 * 1024
"""The largest event data accepted (bytes)."""
_BOM = b"\xef\xbb\xbf"


def _size(n: int) -> str:
    return f"{n / (1024 * 1024):g} MiB" if n >= 1024 * 1024 else f"{n / 1024:g} KiB"


class SSEParser:
    """Incremental SSE parser: feed bytes, get complete :class:`StreamEvent` lists.

    Attributes:
        last_event_id: the last ``id:`` seen (the reconnect cursor), kept across events.
        comments: how many comment lines (heartbeats) were seen.
    """

    __slots__ = (
        "_bom",
        "_data",
        "_data_size",
        "_event",
        "_id_in_event",
        "_max_event",
        "_max_line",
        "_pending_cr",
        "_started",
        "_tail",
        "_tail_len",
        "comments",
        "last_event_id",
    )

    def __init__(
        self, *, max_line: int = DEFAULT_MAX_LINE, max_event: int = DEFAULT_MAX_EVENT
    ) -> None:
        self._tail: list[bytes] = []  # the unfinished last line, in pieces
        self._tail_len = 0
        self._bom = b""
        self._event = ""
        self._data: list[str] = []
        self._data_size = 0
        self._id_in_event: str | None = None
        self._max_line = max_line
        self._max_event = max_event
        self._started = False
        self._pending_cr = False
        self.last_event_id: str | None = None
        self.comments = 0

    def feed(self, chunk: bytes) -> list[StreamEvent]:
        """Parse a chunk of bytes and return the events it completed.

        A chunk without a line end is only stored (no copy of what came before), so a long
        line arriving in many reads costs linear time; past ``max_line`` bytes the stream is
        aborted with :class:`~bbot_tui.api.errors.StreamTooLarge`.
        """
        if not chunk:
            return []
        if not self._started:
            chunk = self._strip_bom(chunk)
            if not chunk:
                return []
        if self._pending_cr:
            # a CR ended the previous chunk: a LF right after it belongs to that line end
            self._pending_cr = False
            if chunk.startswith(b"\n"):
                chunk = chunk[1:]
                if not chunk:
                    return []
        if not self._tail and not self._data and self._id_in_event is None and not self._event:
            # the common read: whole events as the server frames them, nothing pending
            if chunk.endswith(b"\r\n\r\n"):
                fast = self._whole_events(chunk, True)
                if fast is not None:
                    return fast
            elif chunk.endswith(b"\n\n") and b"\r" not in chunk:
                fast = self._whole_events(chunk, False)
                if fast is not None:
                    return fast
        if b"\n" not in chunk and b"\r" not in chunk:
            self._tail.append(chunk)
            self._tail_len += len(chunk)
            self._check_tail()
            return []
        # line ends are normalised in this chunk only: the stored tail never holds one, and a
        # 10 MB line is then copied once (the join below), not once per pass over a buffer
        if b"\r" in chunk:
            # a CR at the very end is a line end whose LF may come in the next chunk; it is
            # set aside first so that "\r\r" (two CR line ends) does not become one CRLF
            trailing_cr = chunk.endswith(b"\r")
            if trailing_cr:
                self._pending_cr = True
                chunk = chunk[:-1]
            chunk = chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
            if trailing_cr:
                chunk += b"\n"
        lines = chunk.split(b"\n")
        last = lines.pop()
        if self._tail:
            self._tail_len += len(lines[0])
            self._check_tail()
            self._tail.append(lines[0])
            lines[0] = b"".join(self._tail)
        self._tail = [last] if last else []
        self._tail_len = len(last)
        self._check_tail()
        events: list[StreamEvent] = []
        now = time.monotonic()
        for line in lines:
            if line:
                self._line(line)
            elif self._data:
                events.append(self._dispatch(now))
            else:
                self._event = ""
                self._id_in_event = None
        return events

    def _whole_events(self, chunk: bytes, crlf: bool) -> list[StreamEvent] | None:
        """Parse a read of whole events framed the usual way, or None to take the general path.

        The usual frame, the real server's: ``event:``, one ``data:``, ``id:``, each with one
        space after the colon and a CRLF (``crlf``) or LF after it, a blank line after each
        event. Anything else in the read (a comment, several data lines, a blank line without
        data, a field without its space, a stray CR, data over the cap) returns None before
        the parser's state is touched, and the read is parsed line by line instead: the
        result is the same, only this one pass is skipped.
        """
        lines = chunk.split(b"\n")
        lines.pop()  # the empty piece after the last line end
        blank, end = (b"\r", -1) if crlf else (b"", None)
        max_line = self._max_event + (7 if crlf else 6)  # "data: " and the CR: at the cap
        if 3 <= len(lines) <= 4 and lines[-1] == blank:
            # one event (event, data and maybe id), as most reads of a run are: no loop
            name, line, id_line = lines[0], lines[1], lines[2] if len(lines) == 4 else None
            if (
                name.startswith(b"event: ")
                and line.startswith(b"data: ")
                and len(line) <= max_line
                and (id_line is None or (id_line.startswith(b"id: ") and b"\0" not in id_line))
                and (
                    not crlf
                    or (
                        name.find(b"\r") == len(name) - 1
                        and line.find(b"\r") == len(line) - 1
                        and (id_line is None or id_line.find(b"\r") == len(id_line) - 1)
                    )
                )
            ):
                event_id: str | None = None
                if id_line is not None:
                    event_id = self.last_event_id = id_line[4:end].decode("utf-8", "replace")
                return [
                    StreamEvent.from_sse(
                        name[7:end].decode("utf-8", "replace") or "message",
                        str(memoryview(line)[6:end], "utf-8", "replace"),
                        event_id,
                        time.monotonic(),
                    )
                ]
        make = StreamEvent.from_sse
        now = time.monotonic()
        events: list[StreamEvent] = []
        event = ""
        data = None
        event_id = None
        last_id = None
        for line in lines:
            if line == blank:
                if data is None:
                    return None
                text = str(memoryview(data)[6:end], "utf-8", "replace")
                events.append(make(event or "message", text, event_id, now))
                if event_id is not None:
                    last_id = event_id
                event, data, event_id = "", None, None
            elif crlf and line.find(b"\r") != len(line) - 1:
                return None  # a CR inside the line: a line end of its own
            elif line.startswith(b"data: "):
                if data is not None or len(line) > max_line:
                    return None
                data = line
            elif line.startswith(b"event: "):
                event = line[7:end].decode("utf-8", "replace")
            elif line.startswith(b"id: ") and b"\0" not in line:
                event_id = line[4:end].decode("utf-8", "replace")
            else:
                return None
        if last_id is not None:
            self.last_event_id = last_id
        return events

    def close(self) -> list[StreamEvent]:
        """End of stream: flush a final event that had no trailing blank line."""
        events: list[StreamEvent] = []
        if self._bom:  # fewer than 3 bytes in all, a prefix of the BOM: keep them
            self._tail, self._bom = [self._bom], b""
        if self._tail:
            line = b"".join(self._tail)
            self._tail, self._tail_len = [], 0
            self._line(line)
        if self._data:
            events.append(self._dispatch(time.monotonic()))
        return events

    def _strip_bom(self, chunk: bytes) -> bytes:
        """Drop a UTF-8 BOM at the very start, even when it is split across reads."""
        head = self._bom + chunk if self._bom else chunk
        if len(head) < len(_BOM) and _BOM.startswith(head):
            self._bom = head
            return b""
        self._started = True
        self._bom = b""
        return head[len(_BOM) :] if head.startswith(_BOM) else head

    def _check_tail(self) -> None:
        if self._tail_len > self._max_line:
            self._tail, self._tail_len = [], 0
            raise StreamTooLarge(
                f"a stream line exceeded {_size(self._max_line)}",
                hint="the server sent a line that never ends; the stream was stopped",
            )

    def _line(self, line: bytes) -> None:
        if line[0] == 58:  # b":" comment (heartbeat)
            self.comments += 1
            return
        colon = line.find(b":")
        if colon < 0:
            name, start = line, len(line)
        else:
            name, start = line[:colon], colon + 1
            if line[start : start + 1] == b" ":
                start += 1
        if name == b"data":
            self._data_size += len(line) - start
            if self._data_size > self._max_event:
                self._data.clear()
                self._data_size = 0
                raise StreamTooLarge(
                    f"an event exceeded {_size(self._max_event)}",
                    hint="the event was dropped; the final state is fetched instead",
                )
            # decoded straight from a view: a big data line is not copied before decoding
            self._data.append(str(memoryview(line)[start:], "utf-8", "replace"))
        elif name == b"event":
            self._event = line[start:].decode("utf-8", "replace")
        elif name == b"id" and b"\0" not in line:
            text = line[start:].decode("utf-8", "replace")
            self.last_event_id = text
            self._id_in_event = text
        # "retry" and unknown fields are ignored

    def _dispatch(self, now: float) -> StreamEvent:
        data = self._data[0] if len(self._data) == 1 else "\n".join(self._data)
        event = StreamEvent.from_sse(self._event or "message", data, self._id_in_event, now)
        self._data = []
        self._data_size = 0
        self._event = ""
        self._id_in_event = None
        return event


async def aiter_event_batches(
    chunks: AsyncIterator[bytes], parser: SSEParser | None = None
) -> AsyncGenerator[list[StreamEvent], None]:
    """Turn a byte stream into batches of events, one batch per read that completed any.

    Args:
        chunks: e.g. ``response.aiter_raw()``.
        parser: a parser to use (its ``last_event_id`` is the cursor, its caps apply); a new
            one by default.
    """
    if parser is None:
        parser = SSEParser()
    async for chunk in chunks:
        batch = parser.feed(chunk)
        if batch:
            yield batch
    tail = parser.close()
    if tail:
        yield tail
