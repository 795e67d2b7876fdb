"""The reducer's state and the bookkeeping every stream mode shares.

:class:`ReducerBase` holds what a run accumulates besides the transcript (which message keys
this run created, per-message metadata from ``messages/metadata``, the open node) and the
helpers the mode handlers call: merging a raw message into the transcript (:meth:`_upsert`),
node steps, token timing, pending interrupts and capped warnings. The handlers themselves are
in :mod:`.message_mode` (the token streams) and :mod:`.reducer` (the state modes).
"""

from __future__ import annotations

import json
from typing import Any

from bbot_tui.stream.transcript import (
    Message,
    NodeStep,
    PendingInterrupt,
    ToolCall,
    Transcript,
    content_text,
    role_of,
)

__all__ = ["ReducerBase"]

_MAX_WARNINGS = 100


class ReducerBase:
    """The reducer's per-run state and shared helpers (see :class:`~.reducer.Reducer`)."""

    def __init__(self, transcript: Transcript | None = None) -> None:
        self.transcript = transcript if transcript is not None else Transcript()
        self._run_message_keys: set[str] = set()
        self._meta: dict[str, tuple[str | None, int | None, tuple[str, ...]]] = {}
        self._open_node: tuple[str | None, tuple[str, ...]] | None = None
        """The (node, ns) whose step is known open: its tokens skip the node bookkeeping."""

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
            message.unsaved = False
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
