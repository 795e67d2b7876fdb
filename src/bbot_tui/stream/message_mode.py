"""The token streams: ``messages`` from ``messages-tuple``, and ``messages/*`` from ``messages``.

Each mode has its own handler, owned by :class:`~bbot_tui.stream.reducer.Reducer`:

- :class:`TupleMode` takes ``[chunk, metadata]`` pairs whose text is a **delta**, appended to the
  block of the chunk's message id, with ``tool_call_chunks`` assembled by index. It is the hot
  path of a chat (one call per token, measured by ``bench/ingest.py``), so the common case (a
  text delta of a block already streaming, from a node already open) costs a few lookups.
- :class:`MessagesMode` takes ``messages/metadata`` (node and step per message id), then
  ``messages/partial`` whose text is **cumulative** (B-Bot sends "Hello", "Hello!", "Hello!
  How"): it replaces the text, never appends; ``messages/complete`` carries finished messages.

The difference between the two is easy to get wrong; ``docs/PROTOCOL.md`` ("Stream modes and
tokens") records what servers send.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

from bbot_tui.api.events import StreamEvent
from bbot_tui.stream.assembler import MessageAssembler
from bbot_tui.stream.steps import NodeSteps
from bbot_tui.stream.transcript import (
    Message,
    ToolCall,
    Transcript,
    content_reasoning,
    content_text,
    role_of,
)

__all__ = ["MessagesMode", "TupleMode", "add_usage", "count_token"]

_CHUNK_TYPES = frozenset(
    {"AIMessageChunk", "HumanMessageChunk", "ToolMessageChunk", "ChatMessageChunk"}
)
_NO_META: dict[str, Any] = {}


def count_token(transcript: Transcript, at: float) -> None:
    """Record one streamed token at ``at`` in the transcript's timing."""
    timing = transcript.timing
    if timing.first_token_at is None:
        timing.first_token_at = at
        transcript.touch_meta()
    timing.last_token_at = at
    timing.tokens += 1


def add_usage(total: dict[str, Any] | None, usage: dict[str, Any]) -> dict[str, Any]:
    """Streamed chunks' ``usage_metadata`` add up (as LangChain adds message chunks)."""
    if total is None:
        return dict(usage)
    merged = dict(total)
    for key, value in usage.items():
        if isinstance(value, int) and isinstance(merged.get(key), int):
            merged[key] += value
        else:
            merged.setdefault(key, value)
    return merged


class TupleMode:
    """Applies ``messages`` events of the ``messages-tuple`` mode (delta chunks).

    Args:
        transcript: the transcript to fill.
        assembler: merges whole (non-chunk) messages and knows this run's blocks.
        steps: the node timeline.
    """

    __slots__ = ("_assembler", "_run_keys", "_steps", "_transcript")

    def __init__(self, transcript: Transcript, assembler: MessageAssembler, steps: NodeSteps):
        self._transcript = transcript
        self._assembler = assembler
        self._run_keys = assembler.run_keys
        self._steps = steps

    def apply(self, event: StreamEvent) -> None:
        """Apply one ``[chunk, metadata]`` event.

        Raises:
            ValueError: the data is not such a pair (the reducer turns it into a warning).
        """
        data = event.data
        if type(data) is not list or not data or type(data[0]) is not dict:
            raise ValueError("not a [chunk, metadata] pair")
        chunk = data[0]
        meta = data[1] if len(data) > 1 and type(data[1]) is dict else _NO_META
        node = meta.get("langgraph_node")
        step = meta.get("langgraph_step")
        at = event.received_at
        ns = event.ns
        steps = self._steps
        if steps.open != (node, ns):
            steps.entered(node, ns, step, at)
        if chunk.get("type") not in _CHUNK_TYPES:
            self._assembler.upsert(chunk, final=True, node=node, ns=ns, step=step)
            return
        t = self._transcript
        message_id = chunk.get("id")
        message = t.by_id(message_id) if type(message_id) is str else None
        if message is not None and message.key not in self._run_keys:
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
            self._run_keys.add(message.key)
        content = chunk.get("content")
        if type(content) is str:
            text = content
        else:
            text = content_text(content)
            thought = content_reasoning(content)
            if thought:
                message.append_reasoning(thought)
                t.touch(message)
        extra = chunk.get("additional_kwargs")
        if extra and type(extra) is dict:
            more = extra.get("reasoning_content")
            if more and type(more) is str:
                message.append_reasoning(more)
                t.touch(message)
        if text:
            message.append(text)
            t.touch(message)
            timing = t.timing
            if timing.first_token_at is None:
                timing.first_token_at = at
                t.touch_meta()
            timing.last_token_at = at
            timing.tokens += 1
        chunks = chunk.get("tool_call_chunks")
        if chunks:
            self._tool_chunks(message, chunks)
        usage = chunk.get("usage_metadata")
        if usage and type(usage) is dict:
            message.usage = add_usage(message.usage, usage)
        if chunk.get("chunk_position") == "last":
            message.streaming = False
            for call in message.tool_calls:
                if call.args is None and call.args_text:
                    with contextlib.suppress(ValueError):
                        call.args = json.loads(call.args_text)
            t.touch(message)

    def _tool_chunks(self, message: Message, chunks: list[Any]) -> None:
        """Assemble ``tool_call_chunks`` into the block's tool calls, by index (or id)."""
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
        self._transcript.touch(message)


class MessagesMode:
    """Applies ``messages/metadata|partial|complete`` events of the ``messages`` mode.

    Args:
        transcript: the transcript to fill.
        assembler: merges the (cumulative) messages.
        steps: the node timeline.
    """

    __slots__ = ("_assembler", "_meta", "_steps", "_transcript")

    def __init__(self, transcript: Transcript, assembler: MessageAssembler, steps: NodeSteps):
        self._transcript = transcript
        self._assembler = assembler
        self._steps = steps
        self._meta: dict[str, tuple[str | None, int | None, tuple[str, ...]]] = {}
        """Node, step and namespace per message id, from ``messages/metadata``."""

    def begin_run(self) -> None:
        """A new run: forget the metadata of the last one."""
        self._meta = {}

    def apply(self, event: StreamEvent) -> None:
        """Apply one ``messages/…`` event.

        Raises:
            ValueError: a partial or complete event that is not a list.
        """
        kind = event.event.split("|", 1)[0].partition("/")[2]
        data = event.data
        if kind == "metadata":
            if isinstance(data, dict):
                for message_id, value in data.items():
                    meta = value.get("metadata", {}) if isinstance(value, dict) else {}
                    node = meta.get("langgraph_node")
                    step = meta.get("langgraph_step")
                    self._meta[message_id] = (node, step, event.ns)
                    self._steps.seen(node, event.ns, step, event.received_at)
            return
        if not isinstance(data, list):
            raise ValueError("messages/partial|complete carry a list")
        for raw in data:
            if not isinstance(raw, dict):
                continue
            node, step, ns = self._meta.get(str(raw.get("id")), (None, None, event.ns))
            if kind == "partial":
                message = self._assembler.upsert(raw, final=False, node=node, ns=ns, step=step)
                if message is not None:
                    if not message.local:
                        message.streaming = True
                    count_token(self._transcript, event.received_at)
            else:
                self._assembler.upsert(raw, final=True, node=node, ns=ns, step=step)
