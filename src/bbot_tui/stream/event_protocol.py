"""The thread-centric event protocol's events, reduced into the same transcript as the runs API.

An event of ``POST /threads/{id}/stream/events`` is an envelope (``docs/PROTOCOL.md``, "The
thread-centric event protocol")::

    {"type": "event", "event_id": "1796…-0", "seq": 12, "method": "messages",
     "params": {"namespace": ["child:…"], "timestamp": …, "data": {…}, "node"?: "…"}}

:func:`protocol_event` reads one (a :class:`ProtocolEvent`), :func:`log_event` turns it into the
:class:`~bbot_tui.api.events.StreamEvent` the event log shows, and :class:`EventReducer` applies
it to a :class:`~bbot_tui.stream.reducer.Reducer`'s transcript through the collaborators that
already handle the runs API, so both protocols build one transcript:

- ``messages``: ``message-start`` / ``content-block-*`` / ``message-finish`` carry no message id
  after the start, so the message open in each namespace is tracked here and every piece is
  handed to the token path as the delta chunk ``messages-tuple`` would have carried (text,
  reasoning, tool-call pieces, the usage and the end); a ``tool`` message (the server mirrors
  a finished tool's output as one, in a ``tools:<call id>`` namespace under the tool's) is
  merged whole at its end, in the tool's own namespace;
- ``values`` and ``updates`` go to the reducer's state handlers (``__interrupt__`` is already
  taken out by the server: questions come on ``input``);
- ``input.requested`` is a pending interrupt, by id and namespace;
- ``lifecycle`` at the root is the run's status (``failed`` is the error); elsewhere it is the
  namespace tree's lifecycle (:class:`~bbot_tui.stream.activity.Activity`);
- ``tools`` are tool executions with their streamed output (:class:`Activity` too);
- ``custom``, ``tasks`` and ``checkpoints`` go where the runs API's do.

Nothing here raises on odd payloads: what cannot be used becomes a warning.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Final

from bbot_tui.api.events import StreamEvent
from bbot_tui.stream.reducer import Reducer

__all__ = [
    "TERMINAL",
    "EventReducer",
    "ProtocolEvent",
    "from_log",
    "log_event",
    "protocol_event",
    "run_of_lifecycle",
]

TERMINAL: Final = frozenset({"completed", "failed", "interrupted"})
"""The root lifecycle statuses that end a run."""
_ROLE_CHUNK: Final = {"ai": "AIMessageChunk", "tool": "ToolMessageChunk"}
_NO_META: Final[dict[str, Any]] = {}


@dataclass(slots=True)
class ProtocolEvent:
    """One event of the thread-centric protocol.

    Attributes:
        method: ``messages``, ``values``, ``updates``, ``lifecycle``, ``input.requested``,
            ``tools``, ``custom``, ``tasks`` or ``checkpoints``; ``error`` for an error envelope
            (its ``data`` is the envelope).
        ns: the namespace, outermost first (``()`` at the root).
        data: ``params.data``.
        seq: the sequence number (the ``since`` cursor), or None.
        event_id: the id stable across connections (de-duplication), or None.
        node: the graph node that produced it, when the server says.
        received_at: ``time.monotonic()`` when it was read.
    """

    method: str
    ns: tuple[str, ...]
    data: Any
    seq: int | None = None
    event_id: str | None = None
    node: str | None = None
    received_at: float = 0.0


def protocol_event(raw: StreamEvent) -> ProtocolEvent | None:
    """Read an SSE event of the event stream; None when it is not a protocol envelope."""
    envelope = raw.data
    if not isinstance(envelope, dict):
        return None
    if envelope.get("type") == "error":
        return ProtocolEvent("error", (), envelope, received_at=raw.received_at)
    params = envelope.get("params")
    method = envelope.get("method")
    if not isinstance(params, dict) or not isinstance(method, str):
        return None
    if method.startswith("custom:"):  # a named custom channel (the join stream's spelling)
        params = {**params, "data": {"name": method[7:], "payload": params.get("data")}}
        method = "custom"
    ns_raw = params.get("namespace")
    ns = tuple(str(s) for s in ns_raw) if isinstance(ns_raw, list) else ()
    seq = envelope.get("seq")
    event_id = envelope.get("event_id")
    node = params.get("node")
    return ProtocolEvent(
        method,
        ns,
        params.get("data"),
        seq if isinstance(seq, int) and not isinstance(seq, bool) else None,
        event_id if isinstance(event_id, str) else None,
        node if isinstance(node, str) else None,
        raw.received_at,
    )


def log_event(event: ProtocolEvent) -> StreamEvent:
    """The event as the event log shows it: ``method|ns…``, its data, its ``seq`` as id."""
    name = "|".join((event.method, *event.ns))
    return StreamEvent(
        name,
        event.method,
        event.ns,
        event.data,
        None if event.seq is None else str(event.seq),
        event.received_at,
    )


def from_log(event: StreamEvent) -> ProtocolEvent:
    """The protocol event back from what :func:`log_event` made of it (for a second reducer
    fed the same events, e.g. a stream-only transcript in the tests)."""
    seq = int(event.id) if event.id is not None and event.id.isdigit() else None
    return ProtocolEvent(event.mode, event.ns, event.data, seq, None, None, event.received_at)


def run_of_lifecycle(event: ProtocolEvent) -> str | None:
    """The run a root ``lifecycle`` event belongs to, read from its ``event_id``.

    The server mints the root lifecycle's ids as ``synth:{run_id}:lc|{namespace}|{status}``
    (deterministic, so two connections replaying a run agree): the only place the run id
    appears in the events, and how a client tells the runs of a thread's replay apart.
    """
    eid = event.event_id
    if event.method != "lifecycle" or event.ns or not eid or not eid.startswith("synth:"):
        return None
    run_id, sep, _ = eid[len("synth:") :].partition(":lc|")
    return run_id if sep and run_id else None


@dataclass(slots=True)
class _Open:
    """The message streaming in one namespace (the protocol names it only at its start)."""

    id: str
    role: str
    tool_call_id: str | None
    text: list[str]


class EventReducer:
    """Applies protocol events to a :class:`~bbot_tui.stream.reducer.Reducer`'s transcript.

    Args:
        reducer: the reducer (and transcript) the runs API fills too.

    Attributes:
        reducer: the reducer.
        status: the run's last root lifecycle status (``running``, ``completed``,
            ``failed``, ``interrupted``), or None before any.
        error: the failure a root ``failed`` carried.
    """

    def __init__(self, reducer: Reducer) -> None:
        self.reducer = reducer
        reducer.envelopes = self.apply_envelope
        self.status: str | None = None
        self.error: str | None = None
        self._open: dict[tuple[str, ...], _Open] = {}
        self._handlers = {
            "messages": self._on_messages,
            "values": self._on_values,
            "updates": self._on_updates,
            "input.requested": self._on_input,
            "lifecycle": self._on_lifecycle,
            "tools": self._on_tools,
            "custom": self._on_custom,
            "tasks": self._on_tasks,
            "checkpoints": self._on_checkpoints,
        }

    def apply_envelope(self, raw: StreamEvent) -> None:
        """Apply an SSE event whose data is a protocol envelope: what the runs API's join
        stream replays for a run started over the protocol (``metadata`` aside, every event of
        such a run is one, under its mode's name, without ``seq`` or ``event_id``)."""
        event = protocol_event(raw)
        if event is not None:
            self.apply(event)

    def begin_run(self) -> None:
        """A new run (the reducer's own ``begin_run`` is the session's to call)."""
        self.status = self.error = None
        self._open.clear()

    def apply(self, event: ProtocolEvent) -> None:
        """Apply one event; one that cannot be used becomes a warning."""
        handler = self._handlers.get(event.method)
        if handler is None:
            if event.method != "error":
                self.reducer.warn(f"unknown protocol event {event.method!r} ignored")
            return
        try:
            handler(event)
        except (TypeError, ValueError, AttributeError, KeyError, IndexError) as exc:
            self.reducer.warn(f"{event.method} event not understood ({type(exc).__name__})")
        t = self.reducer.transcript
        owner = _owner(event.ns)
        if owner and owner not in t.namespaces and event.method != "lifecycle":
            self.reducer.activity.seen(owner)
        if t.timing.started_at is None:
            t.timing.started_at = event.received_at or time.monotonic()

    # --- messages ---------------------------------------------------------------------------

    def _chunk(self, event: ProtocolEvent, chunk: dict[str, Any]) -> None:
        """Hand a delta chunk to the token path, as ``messages-tuple`` would carry it."""
        meta = {"langgraph_node": event.node} if event.node else _NO_META
        self.reducer.apply(
            StreamEvent("messages", "messages", event.ns, [chunk, meta], None, event.received_at)
        )

    def _on_messages(self, event: ProtocolEvent) -> None:
        data = event.data
        if not isinstance(data, dict):
            raise ValueError("not a message event")
        kind = data.get("event")
        ns = event.ns
        if kind == "message-start":
            role = str(data.get("role") or "ai")
            call_id = data.get("tool_call_id")
            opened = _Open(
                str(data.get("id") or ""),
                role,
                call_id if isinstance(call_id, str) else None,
                [],
            )
            self._open[ns] = opened
            if role != "tool":
                self._chunk(
                    event, {"type": _chunk_type(role), "id": opened.id or None, "content": ""}
                )
            return
        current = self._open.get(ns)
        if current is None:
            return  # its start was before this stream (a reconnect): the values bring it
        opened = current
        if kind == "content-block-start":
            block = data.get("content")
            if isinstance(block, dict) and block.get("type") == "tool_call_chunk":
                piece = {
                    "id": block.get("id"),
                    "name": block.get("name"),
                    "args": block.get("args") or "",
                    "index": data.get("index"),
                }
                self._chunk(event, self._delta(opened, "", tool_call_chunks=[piece]))
            elif isinstance(block, dict) and block.get("type") == "text" and block.get("text"):
                self._text(event, opened, str(block["text"]))
        elif kind == "content-block-delta":
            delta = data.get("delta")
            if not isinstance(delta, dict):
                return
            dtype = delta.get("type")
            if dtype == "text-delta":
                self._text(event, opened, str(delta.get("text") or ""))
            elif dtype == "reasoning-delta" and opened.role != "tool":
                thought = [{"type": "reasoning", "reasoning": str(delta.get("reasoning") or "")}]
                self._chunk(event, self._delta(opened, thought))
            elif dtype == "tool-call-delta":
                piece = {"args": str(delta.get("args") or ""), "index": data.get("index")}
                self._chunk(event, self._delta(opened, "", tool_call_chunks=[piece]))
        elif kind in ("message-finish", "error"):
            del self._open[ns]
            if opened.role == "tool":
                self._tool_message(event, opened)
                return
            end = self._delta(opened, "", chunk_position="last")
            usage = data.get("usage")
            if isinstance(usage, dict):
                end["usage_metadata"] = usage
            self._chunk(event, end)

    @staticmethod
    def _delta(opened: _Open, content: Any, **fields: Any) -> dict[str, Any]:
        return {
            "type": _chunk_type(opened.role),
            "id": opened.id or None,
            "content": content,
            **fields,
        }

    def _text(self, event: ProtocolEvent, opened: _Open, text: str) -> None:
        if not text:
            return
        if opened.role == "tool":
            opened.text.append(text)
        else:
            self._chunk(event, self._delta(opened, text))

    def _tool_message(self, event: ProtocolEvent, opened: _Open) -> None:
        """A finished tool's output, mirrored as a ``tool`` message: merged whole, in the
        namespace of the tool (not the ``tools:<call id>`` one the server files it under)."""
        if opened.id == f"tool-{opened.tool_call_id}":
            return  # an id the server made up: the output had no message; the state's comes
        ns = _owner(event.ns)
        raw = {
            "type": "tool",
            "id": opened.id or None,
            "content": "".join(opened.text),
            "tool_call_id": opened.tool_call_id,
        }
        meta = {"langgraph_node": event.node} if event.node else _NO_META
        self.reducer.apply(
            StreamEvent("messages", "messages", ns, [raw, meta], None, event.received_at)
        )

    # --- state ------------------------------------------------------------------------------

    def _on_values(self, event: ProtocolEvent) -> None:
        self.reducer.apply(_as_stream(event, "values", event.data))

    def _on_updates(self, event: ProtocolEvent) -> None:
        data = event.data
        if not isinstance(data, dict):
            return
        node = event.node or data.get("node")
        if isinstance(node, str) and node:
            values = data.get("values", data) if "node" in data else data
            self.reducer.apply(_as_stream(event, "updates", {node: values}))

    def _on_input(self, event: ProtocolEvent) -> None:
        data = event.data
        if not isinstance(data, dict) or not isinstance(data.get("interrupt_id"), str):
            raise ValueError("an input request without an interrupt id")
        item = {"id": data["interrupt_id"], "value": data.get("payload"), "ns": list(event.ns)}
        self.reducer.add_interrupts([item], event.ns)

    def _on_lifecycle(self, event: ProtocolEvent) -> None:
        data = event.data
        if not isinstance(data, dict):
            return
        status = data.get("event")
        activity = self.reducer.activity
        if event.ns:
            if status in ("started", "running"):
                cause = data.get("cause")
                call = cause.get("tool_call_id") if isinstance(cause, dict) else None
                label = data.get("graph_name")
                activity.namespace_started(
                    event.ns,
                    label if isinstance(label, str) else None,
                    call if isinstance(call, str) else None,
                )
            elif status == "completed":
                activity.namespace_ended(event.ns, "done")
            elif status in ("failed", "interrupted"):
                error = data.get("error")
                activity.namespace_ended(
                    event.ns, status, error if isinstance(error, str) else None
                )
            return
        if not isinstance(status, str):
            return
        self.status = status
        t = self.reducer.transcript
        if status == "failed" and t.stop != "error":
            self.error = str(data.get("error") or "")
            kind, _, message = self.error.partition(": ")
            error = (
                {"error": kind, "message": message}
                if message and kind.isidentifier()
                else {"error": "Error", "message": self.error}
            )
            self.reducer.apply(_as_stream(event, "error", error))
        elif status == "interrupted" and t.stop is None and not t.interrupts:
            t.stop = "breakpoint"  # no question came (yet): a breakpoint, or a cancel
            t.touch_meta()

    # --- tools, custom, tasks, checkpoints ---------------------------------------------------

    def _on_tools(self, event: ProtocolEvent) -> None:
        data = event.data
        if not isinstance(data, dict):
            return
        call_id = data.get("tool_call_id")
        if not isinstance(call_id, str) or not call_id:
            return
        activity = self.reducer.activity
        kind = data.get("event")
        name = data.get("tool_name")
        name = name if isinstance(name, str) else ""
        if kind == "tool-started":
            activity.tool_started(call_id, name, event.ns)
        elif kind == "tool-output-delta":
            activity.tool_output(call_id, data.get("delta"), event.ns)
        elif kind == "tool-finished":
            activity.tool_finished(call_id, name=name, ns=event.ns)
        elif kind == "tool-error":
            message = data.get("message")
            activity.tool_finished(
                call_id,
                failed=True,
                error=message if isinstance(message, str) else None,
                name=name,
                ns=event.ns,
            )

    def _on_custom(self, event: ProtocolEvent) -> None:
        data = event.data
        payload = data.get("payload") if isinstance(data, dict) and "payload" in data else data
        self.reducer.apply(_as_stream(event, "custom", payload))

    def _on_tasks(self, event: ProtocolEvent) -> None:
        self.reducer.apply(_as_stream(event, "tasks", event.data))

    def _on_checkpoints(self, event: ProtocolEvent) -> None:
        pass  # {id, parent_id, step, source}: no "next" to show; the event log has it


def _chunk_type(role: str) -> str:
    return _ROLE_CHUNK.get(role, "AIMessageChunk")


def _owner(ns: tuple[str, ...]) -> tuple[str, ...]:
    """The namespace a mirrored tool message belongs to: without its ``tools:<id>`` tail."""
    return ns[:-1] if ns and ns[-1].startswith("tools:") else ns


def _as_stream(event: ProtocolEvent, mode: str, data: Any) -> StreamEvent:
    return StreamEvent(mode, mode, event.ns, data, None, event.received_at)
