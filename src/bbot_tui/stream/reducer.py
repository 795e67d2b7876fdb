"""Turns stream events into a :class:`~bbot_tui.stream.transcript.Transcript`.

Every stream mode of the Agent Server is handled (NOTES §4):

- ``messages`` from ``messages-tuple``: ``[chunk, metadata]``, delta text appended by message
  id, ``tool_call_chunks`` assembled by index; node, step and namespace from the metadata.
- ``messages/metadata|partial|complete`` from ``messages``: **cumulative** text (B-Bot sends
  "Hello", "Hello!", "Hello! How"): replaced, never appended.
- ``values``: the whole state; at the root it is authoritative for the messages and their
  order; ``__interrupt__`` gives the pending interrupts.
- ``updates``: ``{node: delta}``; ``{"__interrupt__": []}`` is a breakpoint.
- ``metadata`` (run id; a second one for the same run means it restarted: the in-flight
  preview is dropped), ``error``, ``tasks``, ``checkpoints``, ``custom``; ``debug`` and
  ``events`` only feed the event log.

The reducer never raises on odd payloads: what it cannot use becomes a warning.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable
from typing import Any

from .events import StreamEvent
from .transcript import (
    Message,
    NodeStep,
    PendingInterrupt,
    ToolCall,
    Transcript,
    content_text,
    role_of,
)

__all__ = ["Reducer"]

_CHUNK_TYPES = frozenset(
    {"AIMessageChunk", "HumanMessageChunk", "ToolMessageChunk", "ChatMessageChunk"}
)
_NO_META: dict[str, Any] = {}
_MAX_CUSTOM = 1000
_MAX_WARNINGS = 100


class Reducer:
    """Applies stream events to a transcript.

    Args:
        transcript: the transcript to fill (a new one by default).
    """

    def __init__(self, transcript: Transcript | None = None) -> None:
        self.transcript = transcript if transcript is not None else Transcript()
        self._run_message_keys: set[str] = set()
        self._meta: dict[str, tuple[str | None, int | None, tuple[str, ...]]] = {}
        self._open_node: tuple[str | None, tuple[str, ...]] | None = None
        """The (node, ns) whose step is known open: its tokens skip the node bookkeeping."""

    # --- public API ----------------------------------------------------------------------

    def begin_run(self, now: float | None = None) -> None:
        """Start a new run on the same transcript."""
        self.transcript.begin_run(now)
        self._run_message_keys = set()
        self._meta = {}
        self._open_node = None

    def apply_batch(self, events: Iterable[StreamEvent]) -> None:
        """Apply several events."""
        for event in events:
            self.apply(event)

    def apply(self, event: StreamEvent) -> None:
        """Apply one event."""
        t = self.transcript
        if event.error is not None:
            self._warn(f"malformed {event.event or 'unnamed'} event ignored ({event.error})")
            return
        handler = _HANDLERS.get(event.mode)
        if handler is None:
            if event.mode not in ("events", "debug", "message"):
                self._warn(f"unknown event {event.event!r} ignored")
            return
        try:
            handler(self, event)
        except (TypeError, ValueError, AttributeError, KeyError, IndexError) as exc:
            self._warn(f"{event.mode} event not understood ({type(exc).__name__})")
        if t.timing.started_at is None:
            t.timing.started_at = event.received_at

    def load_messages(self, messages: list[dict[str, Any]]) -> None:
        """Show a thread's stored messages (opening a thread)."""
        for raw in messages:
            if isinstance(raw, dict):
                self._upsert(raw, final=True)

    def reconcile(self, messages: list[dict[str, Any]]) -> None:
        """Make the transcript's messages equal the server's authoritative state.

        Streamed previews are replaced by the stored messages (ids, content, tool calls);
        previews the state does not have (a cancelled answer, a restarted node) are dropped;
        the order becomes the state's. Error blocks stay.
        """
        t = self.transcript
        order: list[Message] = []
        seen: set[int] = set()
        for raw in messages:
            if not isinstance(raw, dict) or role_of(raw) == "remove":
                continue
            message = self._upsert(raw, final=True, exclude=seen)
            if message is not None and id(message) not in seen:
                seen.add(id(message))
                order.append(message)
        for message in list(t.messages):
            if id(message) not in seen and message.role != "error":
                t.remove(message)
        t.reorder(order)

    def end_run(self, now: float) -> None:
        """Mark the end of the run (timing; previews are no longer streaming)."""
        t = self.transcript
        t.timing.ended_at = now
        for message in t.messages:
            if message.streaming:
                message.streaming = False
                t.touch(message)
        t.touch_meta()

    # --- helpers -------------------------------------------------------------------------

    def _warn(self, text: str) -> None:
        t = self.transcript
        if len(t.warnings) < _MAX_WARNINGS:
            t.warnings.append(text)
        t.touch_meta()

    def _find(self, raw: dict[str, Any], role: str, exclude: set[int] | None) -> Message | None:
        t = self.transcript
        message_id = raw.get("id")
        if isinstance(message_id, str):
            found = t.by_id(message_id)
            if found is not None and (exclude is None or id(found) not in exclude):
                return found
        # adopt an id-less block with the same role and text (the user's input shown
        # locally, or a node's message streamed without an id)
        text = content_text(raw.get("content"))
        for message in t.messages:
            if (
                message.id is None
                and message.role == role
                and (exclude is None or id(message) not in exclude)
                and message.text == text
            ):
                return message
        return None

    def _upsert(
        self,
        raw: dict[str, Any],
        *,
        final: bool,
        node: str | None = None,
        ns: tuple[str, ...] = (),
        step: int | None = None,
        exclude: set[int] | None = None,
    ) -> Message | None:
        t = self.transcript
        role = role_of(raw)
        message_id = raw.get("id") if isinstance(raw.get("id"), str) else None
        if role == "remove":
            if message_id and (gone := t.by_id(message_id)) is not None:
                t.remove(gone)
            return None
        message = self._find(raw, role, exclude)
        if message is None:
            message = t.new_message(message_id, role, node=node, ns=ns, step=step)
        elif message_id and message.id != message_id:
            t.set_id(message, message_id)
        self._run_message_keys.add(message.key)
        message.set_text(content_text(raw.get("content")))
        if node and not message.node:
            message.node = node
        if ns and not message.ns:
            message.ns = ns
        if step is not None and message.step is None:
            message.step = step
        if isinstance(raw.get("name"), str):
            message.name = raw["name"]
        if role == "ai":
            calls = raw.get("tool_calls")
            if isinstance(calls, list) and (calls or final):
                self._set_tool_calls(message, calls)
        elif role == "tool":
            message.tool_call_id = raw.get("tool_call_id")
            message.status = raw.get("status")
            if message.tool_call_id:
                call = t.tool_call(message.tool_call_id)
                if call is not None:
                    call.result_key = message.key
                    for owner in t.messages:
                        if call in owner.tool_calls:
                            t.touch(owner)
                            break
        if final:
            message.streaming = False
            message.local = False
        t.touch(message)
        return message

    def _set_tool_calls(self, message: Message, calls: list[Any]) -> None:
        old = {c.id: c for c in message.tool_calls if c.id}
        new: list[ToolCall] = []
        for i, call in enumerate(calls):
            if not isinstance(call, dict):
                continue
            call_id = call.get("id")
            previous = old.get(call_id) if call_id else None
            args = call.get("args")
            new.append(
                ToolCall(
                    id=call_id,
                    name=str(call.get("name") or ""),
                    args_text=json.dumps(args, ensure_ascii=False) if args is not None else "",
                    args=args,
                    index=i,
                    result_key=previous.result_key if previous else None,
                )
            )
        message.tool_calls = new

    def _node_seen(
        self, node: str | None, ns: tuple[str, ...], step: int | None, at: float
    ) -> None:
        if not node or node.startswith("__"):
            return
        t = self.transcript
        for existing in reversed(t.nodes):
            if existing.node == node and existing.ns == ns and existing.ended_at is None:
                return
        t.nodes.append(NodeStep(node=node, ns=ns, step=step, started_at=at))
        t.touch_meta()

    def _node_done(
        self, node: str, ns: tuple[str, ...], at: float, error: str | None = None
    ) -> None:
        self._open_node = None
        if node.startswith("__"):
            return
        t = self.transcript
        for existing in reversed(t.nodes):
            if existing.node == node and existing.ns == ns and existing.ended_at is None:
                existing.ended_at = at
                existing.error = error
                t.touch_meta()
                return
        t.nodes.append(NodeStep(node=node, ns=ns, started_at=at, ended_at=at, error=error))
        t.touch_meta()

    def _token(self, at: float) -> None:
        timing = self.transcript.timing
        if timing.first_token_at is None:
            timing.first_token_at = at
            self.transcript.touch_meta()
        timing.last_token_at = at
        timing.tokens += 1

    def _interrupts(self, value: Any, ns: tuple[str, ...]) -> None:
        t = self.transcript
        if not isinstance(value, list):
            return
        if not value:
            if t.stop is None:
                t.stop = "breakpoint"
            t.touch_meta()
            return
        for item in value:
            if not isinstance(item, dict):
                continue
            interrupt_id = item.get("id")
            item_ns = tuple(item.get("ns") or ()) or ns
            existing = next((p for p in t.interrupts if p.id == interrupt_id), None)
            if existing is not None:
                if len(item_ns) > len(existing.ns):
                    existing.ns = item_ns
                continue
            t.interrupts.append(
                PendingInterrupt(id=interrupt_id, value=item.get("value"), ns=item_ns)
            )
        t.stop = "question"
        t.touch_meta()

    # --- per mode --------------------------------------------------------------------

    def _on_metadata(self, event: StreamEvent) -> None:
        t = self.transcript
        data = event.data if isinstance(event.data, dict) else {}
        run_id = data.get("run_id")
        if t.run_id is not None and run_id == t.run_id:
            # the same run started again (server restart): drop the in-flight preview
            t.restarts += 1
            for message in list(t.messages):
                if message.streaming:
                    t.remove(message)
            self._warn("the run restarted on the server; its output is streamed again")
        t.run_id = run_id or t.run_id
        t.attempt = data.get("attempt", t.attempt)
        t.touch_meta()

    def _on_tuple(self, event: StreamEvent) -> None:
        # the hot path of a chat: one call per token, so the common case (a text delta of a
        # message already streaming, from a node already known) costs a few dict lookups
        data = event.data
        if type(data) is not list or not data or type(data[0]) is not dict:
            raise ValueError("not a [chunk, metadata] pair")
        chunk = data[0]
        meta = data[1] if len(data) > 1 and type(data[1]) is dict else _NO_META
        node = meta.get("langgraph_node")
        step = meta.get("langgraph_step")
        at = event.received_at
        ns = event.ns
        if self._open_node != (node, ns):
            self._node_seen(node, ns, step, at)
            self._open_node = (node, ns)
        if chunk.get("type") not in _CHUNK_TYPES:
            self._upsert(chunk, final=True, node=node, ns=ns, step=step)
            return
        t = self.transcript
        message_id = chunk.get("id")
        message = t._by_id.get(message_id) if type(message_id) is str else None
        if message is not None and message.key not in self._run_message_keys:
            message = None  # an id from an earlier run: a new block
        if message is None:
            message = t.new_message(
                message_id if type(message_id) is str else None,
                role_of(chunk),
                node=node,
                ns=ns,
                step=step,
            )
            message.streaming = True
            self._run_message_keys.add(message.key)
        content = chunk.get("content")
        text = content if type(content) is str else content_text(content)
        if text:
            message.append(text)
            t._dirty.add(message.key)
            timing = t.timing
            if timing.first_token_at is None:
                timing.first_token_at = at
                t.touch_meta()
            timing.last_token_at = at
            timing.tokens += 1
        chunks = chunk.get("tool_call_chunks")
        if chunks:
            self._tool_chunks(message, chunks)
        if chunk.get("chunk_position") == "last":
            message.streaming = False
            for call in message.tool_calls:
                if call.args is None and call.args_text:
                    with contextlib.suppress(ValueError):
                        call.args = json.loads(call.args_text)
            t.touch(message)

    def _tool_chunks(self, message: Message, chunks: list[Any]) -> None:
        for piece in chunks:
            if not isinstance(piece, dict):
                continue
            index = piece.get("index")
            call = None
            if index is not None:
                call = next((c for c in message.tool_calls if c.index == index), None)
            if call is None and piece.get("id"):
                call = next((c for c in message.tool_calls if c.id == piece["id"]), None)
            if call is None:
                call = ToolCall(index=index if index is not None else len(message.tool_calls))
                message.tool_calls.append(call)
            if piece.get("id"):
                call.id = piece["id"]
            if piece.get("name"):
                call.name += piece["name"] if call.name != piece["name"] else ""
            if isinstance(piece.get("args"), str):
                call.args_text += piece["args"]
                call.args = None
        self.transcript.touch(message)

    def _on_messages_mode(self, event: StreamEvent) -> None:
        kind = event.event.split("|", 1)[0].partition("/")[2]
        data = event.data
        if kind == "metadata":
            if isinstance(data, dict):
                for message_id, value in data.items():
                    meta = value.get("metadata", {}) if isinstance(value, dict) else {}
                    node = meta.get("langgraph_node")
                    step = meta.get("langgraph_step")
                    self._meta[message_id] = (node, step, event.ns)
                    self._node_seen(node, event.ns, step, event.received_at)
            return
        if not isinstance(data, list):
            raise ValueError("messages/partial|complete carry a list")
        for raw in data:
            if not isinstance(raw, dict):
                continue
            node, step, ns = self._meta.get(str(raw.get("id")), (None, None, event.ns))
            if kind == "partial":
                message = self._upsert(raw, final=False, node=node, ns=ns, step=step)
                if message is not None:
                    if not message.local:
                        message.streaming = True
                    self._token(event.received_at)
            else:
                self._upsert(raw, final=True, node=node, ns=ns, step=step)

    def _on_values(self, event: StreamEvent) -> None:
        data = event.data
        if not isinstance(data, dict):
            return
        if "__interrupt__" in data:
            self._interrupts(data["__interrupt__"], event.ns)
        if event.ns:
            return  # a subgraph's state: its messages reach the root through updates/values
        messages = data.get("messages")
        if isinstance(messages, list):
            order = []
            for raw in messages:
                if isinstance(raw, dict):
                    message = self._upsert(raw, final=True)
                    if message is not None:
                        order.append(message)
            self.transcript.reorder(order)

    def _on_updates(self, event: StreamEvent) -> None:
        data = event.data
        if not isinstance(data, dict):
            return
        for node, delta in data.items():
            if node == "__interrupt__":
                self._interrupts(delta, event.ns)
                continue
            writes = delta if isinstance(delta, list) else [delta]
            for write in writes:
                if not isinstance(write, dict):
                    continue
                messages = write.get("messages")
                if isinstance(messages, dict):
                    messages = [messages]
                if isinstance(messages, list):
                    for raw in messages:
                        if isinstance(raw, dict):
                            self._upsert(raw, final=True, node=node, ns=event.ns)
            self._node_done(node, event.ns, event.received_at)

    def _on_error(self, event: StreamEvent) -> None:
        t = self.transcript
        data = event.data if isinstance(event.data, dict) else {"message": str(event.data)}
        t.error = {
            "error": str(data.get("error") or "Error"),
            "message": str(data.get("message") or ""),
        }
        t.stop = "error"
        block = t.new_message(None, "error")
        block.set_text(f"{t.error['error']}: {t.error['message']}".rstrip(": "))
        self._open_node = None
        for step in reversed(t.nodes):
            if step.ended_at is None:
                step.ended_at = event.received_at
                step.error = t.error["error"]
                block.node = step.node
                break
        t.touch_meta()

    def _on_tasks(self, event: StreamEvent) -> None:
        data = event.data
        if not isinstance(data, dict) or not data.get("name"):
            return
        name = str(data["name"])
        if "result" in data or "error" in data:
            self._node_done(name, event.ns, event.received_at, data.get("error"))
            if data.get("interrupts"):
                self._interrupts(data["interrupts"], event.ns)
        else:
            self._node_seen(name, event.ns, None, event.received_at)

    def _on_checkpoints(self, event: StreamEvent) -> None:
        data = event.data
        if isinstance(data, dict) and not event.ns and isinstance(data.get("next"), list):
            self.transcript.next_nodes = [str(n) for n in data["next"]]
            self.transcript.touch_meta()

    def _on_custom(self, event: StreamEvent) -> None:
        t = self.transcript
        t.custom.append((event.ns, event.data))
        if len(t.custom) > _MAX_CUSTOM:
            del t.custom[: len(t.custom) - _MAX_CUSTOM]
        t.touch_meta()


_HANDLERS = {
    "metadata": Reducer._on_metadata,
    "messages": Reducer._on_tuple,
    "messages/metadata": Reducer._on_messages_mode,
    "messages/partial": Reducer._on_messages_mode,
    "messages/complete": Reducer._on_messages_mode,
    "values": Reducer._on_values,
    "updates": Reducer._on_updates,
    "error": Reducer._on_error,
    "tasks": Reducer._on_tasks,
    "checkpoints": Reducer._on_checkpoints,
    "custom": Reducer._on_custom,
}
