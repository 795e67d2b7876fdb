"""Whole messages into transcript blocks: find or create, fill, and link tool results.

Every stream mode except the token deltas of ``messages-tuple`` hands over whole serialised
LangChain messages (``values``, ``updates``, ``messages/partial|complete``, the thread state).
:class:`MessageAssembler` merges one into the transcript: it finds the block by message id, or
adopts an id-less block with the same role and text (the user's input shown before the server
echoed it, or a subgraph message streamed with ``id: null``, see ``docs/PROTOCOL.md``, "Stream
modes and tokens"), sets its text, tool calls and tool result links, and remembers which blocks
the current run touched (a preview the thread state lacks is kept only if this run made it).
"""

from __future__ import annotations

import json
from typing import Any

from bbot_tui.stream.transcript import (
    Message,
    ToolCall,
    Transcript,
    content_media,
    content_text,
    message_reasoning,
    role_of,
)

__all__ = ["MessageAssembler"]


class MessageAssembler:
    """Merges raw messages into a transcript's blocks.

    Args:
        transcript: the transcript to fill.

    Attributes:
        run_keys: keys of the blocks the current run created or updated. The set lives as long
            as the assembler (:meth:`begin_run` empties it in place), so the token path may
            hold on to it.
    """

    __slots__ = ("_transcript", "run_keys")

    def __init__(self, transcript: Transcript) -> None:
        self._transcript = transcript
        self.run_keys: set[str] = set()

    def begin_run(self) -> None:
        """A new run: no block is this run's yet."""
        self.run_keys.clear()

    def from_this_run(self, message: Message) -> bool:
        """Whether the current run streamed ``message`` (or it is the input it was sent)."""
        return message.streaming or message.local or message.key in self.run_keys

    def upsert(
        self,
        raw: dict[str, Any],
        *,
        final: bool,
        node: str | None = None,
        ns: tuple[str, ...] = (),
        step: int | None = None,
        exclude: set[int] | None = None,
    ) -> Message | None:
        """Merge one raw message into the transcript and return its block.

        Args:
            raw: a serialised message (``type``/``role``, ``content``, ``id``…). A ``remove``
                message deletes the block with its id.
            final: the message is complete (not a preview): the block stops streaming and
                its tool calls are replaced even by an empty list.
            node, ns, step: where it came from (kept when the block has none yet).
            exclude: ``id()`` of blocks already matched (so one block is not matched twice).

        Returns:
            The block, or None for a ``remove``.
        """
        t = self._transcript
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
        self.run_keys.add(message.key)
        message.set_text(content_text(raw.get("content")))
        message.set_media(content_media(raw.get("content")))
        message.set_reasoning(message_reasoning(raw))
        if node and not message.node:
            message.node = node
        if ns and not message.ns:
            message.ns = ns
        if step is not None and message.step is None:
            message.step = step
        if isinstance(raw.get("name"), str):
            message.name = raw["name"]
        if isinstance(raw.get("usage_metadata"), dict):
            message.usage = raw["usage_metadata"]
        if role == "ai":
            calls = raw.get("tool_calls")
            if isinstance(calls, list) and (calls or final):
                _set_tool_calls(message, calls)
        elif role == "tool":
            message.tool_call_id = raw.get("tool_call_id")
            message.status = raw.get("status")
            if message.tool_call_id:
                self._link_result(message, message.tool_call_id)
        if final:
            message.streaming = False
            message.local = False
            message.unsaved = False
        t.touch(message)
        return message

    def match(self, raw: dict[str, Any], exclude: set[int] | None = None) -> Message | None:
        """The block :meth:`upsert` would merge ``raw`` into, without changing anything.

        Args:
            raw: a serialised message.
            exclude: ``id()`` of blocks already matched.

        Returns:
            The block, or None when ``upsert`` would create one (or ``raw`` is a removal).
        """
        role = role_of(raw)
        return None if role == "remove" else self._find(raw, role, exclude)

    def _find(self, raw: dict[str, Any], role: str, exclude: set[int] | None) -> Message | None:
        t = self._transcript
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

    def _link_result(self, result: Message, call_id: str) -> None:
        """Point the tool call ``call_id`` at the tool message that answered it."""
        t = self._transcript
        execution = t.tools.get(call_id)
        if execution is not None and execution.status == "running":
            execution.status = "failed" if result.status == "error" else "done"
            execution.version += 1
        call = t.tool_call(call_id)
        if call is None:
            return
        call.result_key = result.key
        for owner in t.messages:
            if call in owner.tool_calls:
                t.touch(owner)
                break


def _set_tool_calls(message: Message, calls: list[Any]) -> None:
    """Replace a block's tool calls with a final list (keeping the result links known)."""
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
