"""The typed stream event every layer above the wire works with.

An SSE event named ``updates|child:1234|grand:99`` becomes ``mode="updates"`` and
``ns=("child:1234", "grand:99")``. ``data`` is the decoded JSON; an event whose data is not
valid JSON keeps ``data=None`` and says why in ``error`` (the stream goes on: see
docs/PROTOCOL.md, cases S6/S13).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

_loads: Any
try:  # orjson is an optional speed-up (the demo/test extras bring it); json is the fallback.
    import orjson

    _loads = orjson.loads
except ImportError:  # pragma: no cover - exercised when orjson is absent
    _loads = json.loads

__all__ = ["StreamEvent", "decode_data", "split_event_name"]

_BIG = 1_000_000
"""Data longer than this is decoded with ``json``: orjson builds a 4-bytes-per-character
buffer for a long string (130 MB of peak memory for one 10 MB event, against 30 MB)."""


_NAMES: dict[str, tuple[str, tuple[str, ...]]] = {}
"""Event names already split (a stream uses a handful; bounded against a hostile server)."""
_NAMES_MAX = 4096


def split_event_name(name: str) -> tuple[str, tuple[str, ...]]:
    """Split ``mode|ns1|ns2`` into the mode and the namespace tuple."""
    if "|" not in name:
        return name, ()
    mode, *ns = name.split("|")
    return mode, tuple(ns)


def decode_data(raw: str) -> tuple[Any, str | None]:
    """Decode an event's data as JSON.

    Returns:
        ``(value, None)`` on success, ``(None, reason)`` when the data is not JSON (including
        parser bombs: too deep, huge integers).
    """
    if not raw:
        return None, None
    try:
        return (json.loads(raw) if len(raw) > _BIG else _loads(raw)), None
    except (ValueError, RecursionError) as exc:  # JSONDecodeError is a ValueError
        return None, f"{type(exc).__name__}: {str(exc)[:120]}"


@dataclass(slots=True)
class StreamEvent:
    """One server-sent event, decoded.

    Attributes:
        event: the raw SSE event name (``messages|child:…``).
        mode: the stream mode part of the name (``messages``, ``updates``, ``metadata``…).
        ns: the subgraph namespace, outermost first; empty at the root.
        data: the decoded JSON payload (None when absent or malformed).
        id: the SSE id (only resumable runs have them), else None.
        received_at: ``time.monotonic()`` when the event was parsed.
        size: the length of the raw data in characters.
        error: why ``data`` could not be decoded, if it could not.
        raw: the undecoded data, kept only when decoding failed.
    """

    event: str
    mode: str
    ns: tuple[str, ...]
    data: Any
    id: str | None = None
    received_at: float = field(default_factory=time.monotonic)
    size: int = 0
    error: str | None = None
    raw: str | None = None

    @classmethod
    def from_sse(
        cls, event: str, data: str, event_id: str | None, received_at: float | None = None
    ) -> StreamEvent:
        """Build a typed event from the parts of an SSE event."""
        # the hot path of a stream (once per token): a cached name split, JSON decoded
        # inline, fields given by position; the same result as split_event_name/decode_data
        split = _NAMES.get(event)
        if split is None:
            split = split_event_name(event)
            if len(_NAMES) < _NAMES_MAX:
                _NAMES[event] = split
        error = None
        if not data:
            value = None
        elif len(data) <= _BIG:
            try:
                value = _loads(data)
            except (ValueError, RecursionError):
                value, error = decode_data(data)
        else:
            value, error = decode_data(data)
        return cls(
            event,
            split[0],
            split[1],
            value,
            event_id or None,
            time.monotonic() if received_at is None else received_at,
            len(data),
            error,
            data if error else None,
        )

    def to_json(self) -> dict[str, Any]:
        """The line ``bbot-tui run --json`` prints for this event."""
        return {
            "type": "event",
            "mode": self.event,
            "ns": list(self.ns),
            "id": self.id,
            "data": self.data,
        }
