"""The transcript: a run's conversation as plain data, what every view renders.

Nothing here knows about Textual or HTTP. :mod:`bbot_tui.stream.reducer` fills it from stream
events; the message view, the headless printer and ``--json`` summaries read it.

Change tracking: every mutation marks the touched message keys dirty; a view calls
:meth:`Transcript.take_dirty` once per frame and redraws only those.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "CLIENT_ROLES",
    "NOTE",
    "Message",
    "NamespaceNode",
    "NamespaceStatus",
    "NodeStep",
    "PendingInterrupt",
    "StopKind",
    "Timing",
    "ToolCall",
    "ToolExecution",
    "ToolStatus",
    "Transcript",
    "attachment_label",
    "content_media",
    "content_reasoning",
    "content_text",
    "message_reasoning",
    "role_of",
    "user_message",
]

StopKind = Literal["question", "breakpoint", "cancelled", "error"]

ToolStatus = Literal["running", "done", "failed"]
"""Where a tool execution is: running (maybe streaming output), done, or failed."""

NamespaceStatus = Literal["running", "done", "failed", "interrupted"]
"""Where a subgraph or subagent namespace is in its lifecycle (``interrupted``: it asked a
question and waits for the answer)."""

NOTE = "note"
"""The role of a line the client adds to say what happened: the answer sent to a question, a
detach. Never in a thread state; drawn as one compact line."""

CLIENT_ROLES = ("error", NOTE)
"""Roles of blocks only the client makes: reconciling with the thread state keeps them."""

_ROLE = {
    "human": "human",
    "HumanMessage": "human",
    "HumanMessageChunk": "human",
    "user": "human",
    "ai": "ai",
    "AIMessage": "ai",
    "AIMessageChunk": "ai",
    "assistant": "ai",
    "tool": "tool",
    "ToolMessage": "tool",
    "ToolMessageChunk": "tool",
    "system": "system",
    "SystemMessage": "system",
    "remove": "remove",
}


def user_message(text: str) -> dict[str, Any]:
    """A human input message with an id chosen here, for a run's ``input.messages``.

    The server keeps an id it is given, so the transcript knows the message's id before the
    run starts and ends equal to the thread state in every stream mode (pass the same id to
    :meth:`Transcript.add_user_message`).
    """
    return {"role": "user", "content": text, "id": str(uuid.uuid4())}


def role_of(message: dict[str, Any]) -> str:
    """The role of a serialised LangChain message (``human``, ``ai``, ``tool``, ``system``)."""
    kind = message.get("type") or message.get("role") or ""
    return _ROLE.get(str(kind), str(kind) or "ai")


_MEDIA_BLOCKS = ("image", "image_url", "file", "audio", "video")
"""Content blocks that carry a file: shown as a label, never as their data."""


def attachment_label(block: dict[str, Any]) -> str:
    """A file block as a one-line label: ``[image: cat.png · image/png · 12.3 KB]``.

    Reads LangChain's standard blocks (``base64``, ``mime_type``, ``extras.filename``) and
    OpenAI-style ones (``image_url.url`` / ``file.file_data`` as ``data:`` URLs).
    """
    kind = str(block.get("type") or "file")
    file = block.get("file")
    inner: dict[str, Any] = file if isinstance(file, dict) else {}
    more = block.get("extras")
    extras: dict[str, Any] = more if isinstance(more, dict) else {}
    name = extras.get("filename") or inner.get("filename") or block.get("filename") or ""
    mime = block.get("mime_type") or ""
    data = block.get("base64") or block.get("data") or ""
    url = block.get("url") or inner.get("file_data") or ""
    image_url = block.get("image_url")
    if isinstance(image_url, dict):
        url = image_url.get("url") or url
    elif isinstance(image_url, str):
        url = image_url
    if isinstance(url, str) and url.startswith("data:"):
        head, _, data = url.partition(",")
        mime = mime or head[5:].split(";")[0]
    parts = [p for p in (str(name), str(mime)) if p]
    if isinstance(data, str) and data:
        size = len(data) * 3 // 4
        parts.append(f"{size / 1000:.1f} KB" if size < 1_000_000 else f"{size / 1e6:.1f} MB")
    elif isinstance(url, str) and url and not url.startswith("data:"):
        parts.append(url[:80])
    label = "image" if kind == "image_url" else kind
    return f"[{label}: {' · '.join(parts)}]" if parts else f"[{label}]"


def content_media(content: Any) -> tuple[dict[str, Any], ...]:
    """The file blocks of a message's content (images, PDFs…) in order, as received.

    They are the blocks :func:`content_text` shows as labels; a view that can draw an image
    reads its data from here (see ``Message.media``).
    """
    if not isinstance(content, list):
        return ()
    return tuple(
        block
        for block in content
        if isinstance(block, dict)
        and not isinstance(block.get("text"), str)
        and block.get("type") in _MEDIA_BLOCKS
    )


_REASONING_BLOCKS = ("reasoning", "thinking", "redacted_thinking")
"""Content blocks of a model's reasoning: LangChain's standard ``reasoning`` block, and
Anthropic's ``thinking`` (``redacted_thinking`` carries no readable text). Never part of the
answer's text (:func:`content_text`); :func:`content_reasoning` reads them."""


def _reasoning_of_block(block: dict[str, Any]) -> str:
    """The readable text of one reasoning block (``""`` when it has none)."""
    for key in ("reasoning", "thinking"):
        if isinstance(block.get(key), str):
            return str(block[key])
    summary = block.get("summary")  # OpenAI Responses API: a list of summary_text parts
    if isinstance(summary, list):
        return "".join(
            str(part.get("text") or "")
            for part in summary
            if isinstance(part, dict) and isinstance(part.get("text"), str)
        )
    return str(block["text"]) if isinstance(block.get("text"), str) else ""


def content_reasoning(content: Any) -> str:
    """The reasoning text of a message's content: its reasoning blocks joined (see
    :data:`_REASONING_BLOCKS`), ``""`` for a string or a list without any."""
    if not isinstance(content, list):
        return ""
    return "".join(
        _reasoning_of_block(block)
        for block in content
        if isinstance(block, dict) and block.get("type") in _REASONING_BLOCKS
    )


def message_reasoning(raw: dict[str, Any]) -> str:
    """The reasoning of a serialised message (or chunk): its reasoning content blocks, else
    ``additional_kwargs.reasoning_content`` (how OpenAI-compatible servers such as DeepSeek's
    send it)."""
    text = content_reasoning(raw.get("content"))
    if text:
        return text
    extra = raw.get("additional_kwargs")
    if isinstance(extra, dict) and isinstance(extra.get("reasoning_content"), str):
        return str(extra["reasoning_content"])
    return ""


def content_text(content: Any) -> str:
    """The text of a message's content: a string, or the text parts of a block list (a file
    block as its label, see :func:`attachment_label`; reasoning blocks are not text, see
    :func:`content_reasoning`)."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts: list[str] = []
        for block in content:
            if isinstance(block, str):
                parts.append(block)
            elif isinstance(block, dict):
                if block.get("type") in _REASONING_BLOCKS:
                    continue
                if isinstance(block.get("text"), str):
                    parts.append(block["text"])
                elif block.get("type") in _MEDIA_BLOCKS:
                    parts.append(("\n" if parts else "") + attachment_label(block))
                elif block.get("type") not in ("tool_use", "tool_call"):
                    parts.append(json.dumps(block, ensure_ascii=False))
        return "".join(parts)
    return json.dumps(content, ensure_ascii=False)


@dataclass(slots=True)
class ToolCall:
    """A tool call of an AI message, possibly still streaming its arguments.

    Attributes:
        id: the tool call id (pairs it with the ToolMessage that answers it).
        name: the tool's name.
        args_text: the argument JSON as streamed so far.
        args: the parsed arguments once complete (or from the final message).
        index: the chunk index used to assemble streamed chunks.
        result_key: the key of the tool message that answered it, if any yet.
    """

    id: str | None = None
    name: str = ""
    args_text: str = ""
    args: Any = None
    index: int | None = None
    result_key: str | None = None

    def display_args(self) -> str:
        """The arguments as compact JSON (or the raw streamed text while incomplete)."""
        if self.args is not None:
            return json.dumps(self.args, ensure_ascii=False)
        return self.args_text


@dataclass(slots=True)
class Message:
    """One message block of the transcript.

    Attributes:
        key: a stable key for views (the message id, or a local one until the id is known).
        id: the server's message id, when known.
        role: ``human``, ``ai``, ``tool``, ``system`` or ``error``.
        node: the graph node that produced it.
        ns: the subgraph namespace it came from (empty at the root).
        step: the superstep.
        tool_calls: its tool calls (AI messages).
        tool_call_id: for a tool message, the call it answers.
        name: the message's ``name`` (a tool's name for tool messages).
        status: a tool message's status (``success``/``error``).
        streaming: True while it is a preview being streamed.
        local: True for the user's input shown before the server echoed it.
        unsaved: True for a preview the thread state does not hold (the run was stopped before
            it saved it): kept on screen so the text read is not lost, until the next run or
            reopening the thread shows the state again.
        usage: the message's ``usage_metadata`` (``input_tokens``, ``output_tokens``,
            ``total_tokens``…), when the model reported it.
        media: the file blocks of its content (see :func:`content_media`); the text holds a
            label for each.
        version: bumped on every change.

    The model's reasoning (:attr:`reasoning`) is kept apart from the text: it is not part of
    the answer.
    """

    key: str
    id: str | None = None
    role: str = "ai"
    node: str | None = None
    ns: tuple[str, ...] = ()
    step: int | None = None
    tool_calls: list[ToolCall] = field(default_factory=list)
    tool_call_id: str | None = None
    name: str | None = None
    status: str | None = None
    streaming: bool = False
    local: bool = False
    unsaved: bool = False
    usage: dict[str, Any] | None = None
    media: tuple[dict[str, Any], ...] = ()
    version: int = 0
    _parts: list[str] = field(default_factory=list)
    _text: str | None = ""
    _thought: list[str] = field(default_factory=list)
    _reasoning: str | None = ""

    @property
    def reasoning(self) -> str:
        """The model's reasoning before (or around) the answer, ``""`` when it showed none
        (joined lazily like :attr:`text`)."""
        if self._reasoning is None:
            self._reasoning = "".join(self._thought)
            self._thought = [self._reasoning]
        return self._reasoning

    def append_reasoning(self, chunk: str) -> None:
        """Append streamed reasoning."""
        if chunk:
            self._thought.append(chunk)
            self._reasoning = None
            self.version += 1

    def set_reasoning(self, text: str) -> None:
        """Replace the reasoning (cumulative streams, final messages)."""
        if text != self.reasoning:
            self._thought = [text]
            self._reasoning = text
            self.version += 1

    @property
    def text(self) -> str:
        """The message text (joined lazily: appending a token is O(1))."""
        if self._text is None:
            self._text = "".join(self._parts)
            self._parts = [self._text]
        return self._text

    def append(self, chunk: str) -> None:
        """Append streamed text."""
        if chunk:
            self._parts.append(chunk)
            self._text = None
            self.version += 1

    def set_text(self, text: str) -> None:
        """Replace the text (cumulative streams, final messages)."""
        if text != self.text:
            self._parts = [text]
            self._text = text
            self.version += 1

    def set_media(self, media: tuple[dict[str, Any], ...]) -> None:
        """Replace the file blocks (see :func:`content_media`)."""
        if media != self.media:
            self.media = media
            self.version += 1

    def to_json(self) -> dict[str, Any]:
        """A JSON-able summary (for ``--json`` output and recordings)."""
        out: dict[str, Any] = {"id": self.id, "type": self.role, "content": self.text}
        if self.node:
            out["node"] = self.node
        if self.ns:
            out["ns"] = list(self.ns)
        if self.tool_calls:
            out["tool_calls"] = [
                {"id": t.id, "name": t.name, "args": t.args if t.args is not None else t.args_text}
                for t in self.tool_calls
            ]
        if self.tool_call_id:
            out["tool_call_id"] = self.tool_call_id
        if self.unsaved:
            out["unsaved"] = True
        if self.reasoning:
            out["reasoning"] = self.reasoning
        return out


@dataclass(slots=True)
class ToolExecution:
    """A tool running on the server for a tool call, with the output it streams.

    Filled by :class:`~bbot_tui.stream.activity.Activity` (from the ``tools`` channel of the
    thread event protocol, or the ``custom`` events a tool writes over the runs API); the
    ToolMessage that answers the call ends it (see ``docs/PROTOCOL.md``).

    Attributes:
        call_id: the tool call id (pairs it with its :class:`ToolCall`).
        name: the tool's name.
        status: running, done or failed.
        ns: the namespace the tool ran in.
        error: why it failed, when it did.
        version: bumped on every change.
    """

    call_id: str
    name: str = ""
    status: ToolStatus = "running"
    ns: tuple[str, ...] = ()
    error: str | None = None
    version: int = 0
    _parts: list[str] = field(default_factory=list)
    _output: str | None = ""

    @property
    def output(self) -> str:
        """The output streamed so far (joined lazily: a delta is O(1))."""
        if self._output is None:
            self._output = "".join(self._parts)
            self._parts = [self._output]
        return self._output

    def append(self, delta: str) -> None:
        """Append streamed output."""
        if delta:
            self._parts.append(delta)
            self._output = None
            self.version += 1

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        out: dict[str, Any] = {"call_id": self.call_id, "name": self.name, "status": self.status}
        if self.output:
            out["output"] = self.output
        if self.ns:
            out["ns"] = list(self.ns)
        if self.error:
            out["error"] = self.error
        return out


@dataclass(slots=True)
class NamespaceNode:
    """A subgraph or subagent of the run: a node of its namespace tree.

    Attributes:
        path: the namespace, outermost first (``("tools:3f…", "researcher:9a…")``).
        label: what to call it: the subagent's name, or the node that runs the subgraph.
        status: its lifecycle (see :data:`NamespaceStatus`).
        cause: the tool call that started it (a subagent run from a tool), if known.
        error: why it failed, when it did.
    """

    path: tuple[str, ...]
    label: str
    status: NamespaceStatus = "running"
    cause: str | None = None
    error: str | None = None

    @property
    def parent(self) -> tuple[str, ...]:
        """The enclosing namespace (``()`` for the root graph)."""
        return self.path[:-1]

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        out: dict[str, Any] = {"path": list(self.path), "label": self.label, "status": self.status}
        if self.cause:
            out["cause"] = self.cause
        if self.error:
            out["error"] = self.error
        return out


@dataclass(slots=True)
class PendingInterrupt:
    """An interrupt waiting for an answer."""

    id: str | None
    value: Any
    ns: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return {"id": self.id, "value": self.value, "ns": list(self.ns)}


@dataclass(slots=True)
class NodeStep:
    """A node that ran: when it started and finished (monotonic seconds)."""

    node: str
    ns: tuple[str, ...] = ()
    step: int | None = None
    started_at: float = 0.0
    ended_at: float | None = None
    error: str | None = None


@dataclass(slots=True)
class Timing:
    """Run timing: start, first token, last token, end, token count."""

    started_at: float | None = None
    first_token_at: float | None = None
    last_token_at: float | None = None
    ended_at: float | None = None
    tokens: int = 0

    @property
    def ttft(self) -> float | None:
        """Time to first token in seconds."""
        if self.started_at is None or self.first_token_at is None:
            return None
        return max(0.0, self.first_token_at - self.started_at)

    @property
    def tokens_per_second(self) -> float | None:
        """Streamed chunks per second between the first and the last token."""
        if self.first_token_at is None or self.last_token_at is None or self.tokens < 2:
            return None
        span = self.last_token_at - self.first_token_at
        return self.tokens / span if span > 0 else None

    @property
    def total(self) -> float | None:
        """Seconds from start to end."""
        if self.started_at is None:
            return None
        end = self.ended_at if self.ended_at is not None else time.monotonic()
        return max(0.0, end - self.started_at)

    def to_json(self) -> dict[str, Any]:
        """JSON form (seconds, rounded)."""

        def r(v: float | None) -> float | None:
            return None if v is None else round(v, 4)

        return {
            "ttft": r(self.ttft),
            "tokens": self.tokens,
            "tokens_per_second": r(self.tokens_per_second),
            "total": r(self.total),
        }


@dataclass
class Transcript:
    """A thread's conversation and the state of the current run.

    Attributes:
        messages: message blocks in display order.
        interrupts: pending interrupts (questions for the user).
        stop: why the run stopped, once it has (question, breakpoint, cancelled, error).
        error: ``{"error": name, "message": text}`` of a failed run.
        run_id, thread_id: the current run.
        attempt: the run attempt from ``metadata``.
        restarts: how many times the run restarted (a second ``metadata``).
        nodes: node steps in order of first sight.
        custom: ``custom`` stream payloads ``(ns, data)`` (the last 1,000).
        warnings: non-fatal problems (malformed events…), for the status bar.
        timing: run timing.
        next_nodes: the nodes the thread would run next (breakpoints).
        tools: tool executions by tool call id (see :class:`ToolExecution`).
        namespaces: the current run's subgraphs and subagents by namespace, in order of
            first sight (see :class:`NamespaceNode`); empty when the run had none.
    """

    messages: list[Message] = field(default_factory=list)
    interrupts: list[PendingInterrupt] = field(default_factory=list)
    stop: StopKind | None = None
    error: dict[str, Any] | None = None
    run_id: str | None = None
    thread_id: str | None = None
    attempt: int | None = None
    restarts: int = 0
    nodes: list[NodeStep] = field(default_factory=list)
    custom: list[tuple[tuple[str, ...], Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    timing: Timing = field(default_factory=Timing)
    next_nodes: list[str] = field(default_factory=list)
    tools: dict[str, ToolExecution] = field(default_factory=dict)
    namespaces: dict[tuple[str, ...], NamespaceNode] = field(default_factory=dict)
    meta_version: int = 0
    _by_key: dict[str, Message] = field(default_factory=dict)
    _by_id: dict[str, Message] = field(default_factory=dict)
    _dirty: set[str] = field(default_factory=set)
    _meta_dirty: bool = False
    _local_seq: int = 0

    # --- change tracking -------------------------------------------------------------

    def touch(self, message: Message) -> None:
        """Mark a message changed."""
        message.version += 1
        self._dirty.add(message.key)

    def touch_meta(self) -> None:
        """Mark run-level state (interrupts, stop, timing, nodes) changed."""
        self.meta_version += 1
        self._meta_dirty = True

    def take_dirty(self) -> tuple[set[str], bool]:
        """The message keys changed since the last call, and whether run state changed."""
        dirty, meta = self._dirty, self._meta_dirty
        self._dirty, self._meta_dirty = set(), False
        return dirty, meta

    # --- lookups and edits -------------------------------------------------------------

    def get(self, key: str) -> Message | None:
        """A message by key."""
        return self._by_key.get(key)

    def by_id(self, message_id: str) -> Message | None:
        """A message by server id."""
        return self._by_id.get(message_id)

    def new_message(self, message_id: str | None, role: str, **fields: Any) -> Message:
        """Append a new message block."""
        if message_id is None:
            self._local_seq += 1
            key = f"local-{self._local_seq}"
        else:
            key = message_id
            if key in self._by_key:  # an id seen again in a later run (fake models do this)
                self._local_seq += 1
                key = f"{message_id}#{self._local_seq}"
        message = Message(key=key, id=message_id, role=role, **fields)
        self.messages.append(message)
        self._by_key[key] = message
        if message_id is not None:
            self._by_id[message_id] = message
        self._dirty.add(key)
        return message

    def set_id(self, message: Message, message_id: str) -> None:
        """Give a local message its server id (the key stays stable)."""
        if message.id is not None and self._by_id.get(message.id) is message:
            del self._by_id[message.id]
        message.id = message_id
        self._by_id[message_id] = message
        self.touch(message)

    def remove(self, message: Message) -> None:
        """Drop a message block."""
        self.messages.remove(message)
        self._by_key.pop(message.key, None)
        if message.id is not None and self._by_id.get(message.id) is message:
            del self._by_id[message.id]
        self._dirty.add(message.key)

    def reorder(self, order: list[Message]) -> None:
        """Put messages in ``order``; messages not in it go after them, except notes.

        A note stays right after the message it followed (an answer reads after its question,
        before the answer's run); with that message gone, it goes after the others.
        """
        listed = {id(m) for m in order}
        result = list(order)
        rest: list[Message] = []
        for index, message in enumerate(self.messages):
            if id(message) in listed:
                continue
            anchor = next((p for p in reversed(self.messages[:index]) if id(p) in listed), None)
            if message.role != NOTE or anchor is None:
                rest.append(message)
                continue
            at = next(i for i, m in enumerate(result) if m is anchor) + 1
            while at < len(result) and result[at].role == NOTE:
                at += 1  # after the notes anchored there before it
            result.insert(at, message)
            listed.add(id(message))
        result += rest
        if [id(m) for m in self.messages] != [id(m) for m in result]:
            self.messages = result
            self.touch_meta()

    def add_user_message(
        self,
        text: str,
        message_id: str | None = None,
        media: tuple[dict[str, Any], ...] = (),
    ) -> Message:
        """Show the user's input at once.

        Args:
            text: what the user typed.
            message_id: the id sent with the input message (see :func:`user_message`). Without
                it, only a ``values`` event or the thread state can tell the id the server
                gave it: ``updates`` and ``messages`` streams never echo the input.
            media: the file blocks sent with it (see :func:`content_media`).
        """
        message = self.new_message(message_id, "human", local=True)
        message.set_text(text)
        message.media = media
        return message

    def add_note(self, text: str) -> Message:
        """Add a line that says what happened (see :data:`NOTE`): an answer sent, a detach."""
        message = self.new_message(None, NOTE)
        message.set_text(text)
        return message

    def detach(self, note: str) -> None:
        """The client stopped following the run: nothing streams any more here, and a note
        says so (the run goes on on the server)."""
        for message in self.messages:
            if message.streaming:
                message.streaming = False
                self.touch(message)
        self.add_note(note)
        self.touch_meta()

    def begin_run(self, now: float | None = None) -> None:
        """Reset the run-level state for a new run (messages stay)."""
        self.interrupts = []
        self.stop = None
        self.error = None
        self.run_id = None
        self.attempt = None
        self.restarts = 0
        self.nodes = []
        self.next_nodes = []
        self.namespaces = {}
        self.timing = Timing(started_at=time.monotonic() if now is None else now)
        self.touch_meta()

    def tool_call(self, call_id: str) -> ToolCall | None:
        """Find a tool call by id."""
        for message in reversed(self.messages):
            for call in message.tool_calls:
                if call.id == call_id:
                    return call
        return None

    def to_json(self) -> list[dict[str, Any]]:
        """The messages as JSON (``--json`` summaries, golden tests)."""
        return [m.to_json() for m in self.messages if m.role not in CLIENT_ROLES]
