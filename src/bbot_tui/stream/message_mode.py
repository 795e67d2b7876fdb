"""The token streams: ``messages`` from ``messages-tuple`` and ``messages/*`` from ``messages``.

Kept apart from the state modes because :meth:`MessageModes._on_tuple` is the hot path of a
chat (one call per token, measured by ``bench/ingest.py``), and because the two message
formats differ in a way that is easy to get wrong: tuple chunks carry **delta** text,
appended; ``messages/partial`` carries **cumulative** text (B-Bot), replaced.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

from bbot_tui.api.events import StreamEvent
from bbot_tui.stream.reducer_base import ReducerBase
from bbot_tui.stream.transcript import Message, ToolCall, content_text, role_of

__all__ = ["MessageModes"]

_CHUNK_TYPES = frozenset(
    {"AIMessageChunk", "HumanMessageChunk", "ToolMessageChunk", "ChatMessageChunk"}
)
_NO_META: dict[str, Any] = {}


class MessageModes(ReducerBase):
    """Handlers for the message stream modes (delta chunks, cumulative partials)."""

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
