"""The message view's model: every message as a list of blocks with heights, drawn lazily.

A :class:`Entry` stands for one transcript message. Until it comes near the viewport it is not
even split into blocks; its height is a guess from its text length. Once expanded it is a list
of :class:`Block` (header, Markdown blocks, images, tool calls, the streaming cursor, a gap
line); a
block is rendered to cached strips only when it is about to be shown (that is when its guessed
height becomes its measured height). A streamed answer keeps its finished blocks (they never
change) and re-renders only its growing tail.
"""

from __future__ import annotations

import json
from bisect import bisect_right
from typing import TYPE_CHECKING, Any, Literal

from bbot_tui.text import sanitize
from bbot_tui.tui.widgets.message_view.document import block_facts, references_in
from bbot_tui.tui.widgets.message_view.markdown_blocks import BlockSplitter, estimate_lines

if TYPE_CHECKING:
    from textual.strip import Strip

    from bbot_tui.stream.transcript import Message, ToolCall, Transcript
    from bbot_tui.tui.widgets.message_view.document import BlockFacts, Definition
    from bbot_tui.tui.widgets.message_view.images import Picture
    from bbot_tui.tui.widgets.message_view.painter import Painter
__all__ = ["UNSAVED_NOTE", "Block", "Entry", "shorten_ns"]

BlockKind = Literal["header", "md", "text", "image", "reasoning", "tool", "cursor", "gap"]


class Block:
    """One independently rendered piece of a message.

    Attributes:
        kind: what it is (decides how it is drawn and guessed).
        text: its sanitized source text (Markdown for ``md``).
        gap: blank lines drawn above it.
        lines: its height in lines without the gap (guessed until measured).
        measured: ``lines`` is exact for the current width.
        strips: the rendered lines, or None (not rendered yet, or evicted).
        live: it is the growing block of a streaming answer (drawn cheaply).
        in_code: a live block inside an unclosed code fence.
        style: the palette style of ``text``/``header`` blocks.
        detail: the dim detail text of a header.
        tool: the tool call data ``(name, args, result, failed, collapsed, streamed)`` of a
            ``tool`` block (``streamed``: the output the tool streamed while it runs).
        expanded: a ``reasoning`` block shows the whole reasoning (else one line).
        cheap: its strips were drawn with the live (cheap) renderer.
        sized: ``lines`` comes from an earlier measurement at this width (a good guess).
        cache: per-block scratch space of the live renderer.
        facts: what a finished ``md`` block holds for its message (definitions, spacing),
            None until asked for (see :mod:`.document`).
        references: the message's link reference definitions this ``md`` block may use.
        spaced: the ``md`` blocks before it leave a blank line to draw before it.
        picture: the image an ``image`` block draws (see :mod:`.images`).
    """

    __slots__ = (
        "cache",
        "cheap",
        "detail",
        "expanded",
        "facts",
        "gap",
        "in_code",
        "kind",
        "lines",
        "live",
        "measured",
        "picture",
        "references",
        "sized",
        "spaced",
        "strips",
        "style",
        "text",
        "tool",
    )

    def __init__(self, kind: BlockKind, text: str = "", *, style: str = "", gap: int = 0) -> None:
        self.kind: BlockKind = kind
        self.text = text
        self.gap = gap
        self.lines = 1
        self.measured = False
        self.sized = False
        self.strips: list[Strip] | None = None
        self.live = False
        self.in_code = False
        self.style = style
        self.detail = ""
        self.tool: tuple[str, str, str | None, bool, bool, str] | None = None
        self.expanded = False
        self.cheap = False
        self.cache: dict[str, Any] = {}
        self.facts: BlockFacts | None = None
        self.references: tuple[Definition, ...] = ()
        self.spaced = False
        self.picture: Picture | None = None

    @property
    def height(self) -> int:
        """Lines it takes, gap included."""
        return self.gap + self.lines

    def guess(self, width: int) -> None:
        """Set :attr:`lines` to a guess for ``width`` (unless measured at this width)."""
        if self.measured or self.sized:
            return
        if self.kind == "md" and self.facts is not None and not self.facts.renders:
            self.lines = 0  # link reference definitions only
        elif self.kind in ("md", "text"):
            self.lines = estimate_lines(self.text, width) + (1 if self.kind == "md" else 0)
        elif self.kind == "image":
            self.lines = 0  # most often nothing (no graphics): drawing it says
        elif self.kind == "tool" and self.tool is not None and not self.tool[4]:
            self.lines = 2 + self.tool[1].count("\n") + (self.tool[2] or "").count("\n")
            if self.tool[2] is None and self.tool[5]:
                self.lines += 1 + self.tool[5].count("\n")
        elif self.kind == "reasoning" and self.expanded:
            self.lines = 1 + estimate_lines(self.text, max(1, width - 4))
        else:
            self.lines = 1

    def invalidate(self) -> None:
        """Forget the rendering (the text changed); keep the height as a guess."""
        self.strips = None
        self.measured = False
        self.cache = {}

    def resize(self) -> None:
        """Forget the rendering and the height (the width changed)."""
        self.invalidate()
        self.sized = False

    def render(self, painter: Painter, width: int) -> list[Strip]:
        """Draw it (without the gap) and record its measured height."""
        kind = self.kind
        self.cheap = False
        if kind == "md":
            if self.live:
                strips = painter.growing(
                    self.text, width, self.in_code, self.cache, self.references, self.spaced
                )
                self.cheap = True
            else:
                strips = painter.markdown(self.text, width, self.references, self.spaced)
        elif kind == "text":
            strips = painter.text(self.text, width, painter.palette.get(self.style))
        elif kind == "header":
            strips = painter.header(self.text, self.detail, painter.palette.get(self.style), width)
        elif kind == "tool" and self.tool is not None:
            strips = painter.tool_call(*self.tool, width=width)
        elif kind == "reasoning":
            strips = painter.reasoning(self.text, self.expanded, self.live, width)
        elif kind == "cursor":
            strips = painter.cursor(width)
        elif kind == "image" and self.picture is not None:
            palette = painter.palette
            strips = self.picture.draw(painter.console, width, palette.base, palette.get("meta"))
        else:
            strips = [painter.blank(width)]
        # a Markdown block may draw nothing (definitions only), as in the whole message; an
        # image block nothing where its label in the text is all there is to show
        self.strips = strips if strips or kind in ("md", "image") else [painter.blank(width)]
        self.lines = len(self.strips)
        self.measured = self.sized = True
        return self.strips


UNSAVED_NOTE = "stopped — not saved on the server"
"""The dim note under a preview the thread state does not hold (see ``Message.unsaved``)."""


def shorten_ns(ns: tuple[str, ...]) -> str:
    """A subgraph namespace as ``outer › inner`` (task ids dropped)."""
    return " › ".join(part.split(":", 1)[0] for part in ns if part)


_LABELS = {
    "human": ("▶ You", "human"),
    "ai": ("◆ Assistant", "ai"),
    "tool": ("⚙ Tool", "tool"),
    "system": ("● System", "system"),
    "error": ("✖ Error", "error"),
    "note": ("↳", "system"),  # one line: what the user answered, a detach (no body)
}


class Entry:
    """One transcript message in the view.

    Attributes:
        message: the transcript message.
        version: the message version last drawn (-1: never).
        blocks: its blocks once expanded, else None (height is then a guess).
        offsets: the first line of each block within the entry, plus the total.
        height: lines it takes.
        hidden: a tool answer shown inside the call that asked for it, or a message outside
            the namespace branch the view is filtered to.
        collapsed: its tool calls are drawn on one line each.
        thinking: its reasoning is drawn whole (else on one line).
    """

    __slots__ = (
        "_body",
        "_definitions",
        "_gen",
        "_known",
        "_media",
        "_note",
        "_pictures",
        "_reasoning",
        "_spaced",
        "_splitter",
        "_tail",
        "_tools",
        "blocks",
        "collapsed",
        "height",
        "hidden",
        "message",
        "offsets",
        "thinking",
        "version",
    )

    def __init__(self, message: Message) -> None:
        self.message = message
        self.version = -1
        self.blocks: list[Block] | None = None
        self.offsets: list[int] = [0]
        self.height = 0
        self.hidden = False
        self.collapsed = False
        self._splitter: BlockSplitter | None = None
        self._gen = 0
        self._body: list[Block] = []
        self._tail: list[Block] = []
        self._tools: list[Block] = []
        self._note: Block | None = None
        self._definitions: dict[str, Definition] = {}
        self._known: tuple[Definition, ...] = ()
        self._spaced = False
        self._media: tuple[dict[str, Any], ...] = ()
        self._pictures: list[Block] = []
        self._reasoning: Block | None = None
        self.thinking = False

    @property
    def key(self) -> str:
        """The message key."""
        return self.message.key

    def guess(self, width: int) -> None:
        """Set the height of an entry that was never expanded from its text length."""
        if self.blocks is None:
            self.height = 0 if self.hidden else 3 + estimate_lines(self.message.text, width)

    def result_keys(self) -> list[str]:
        """Keys of the tool messages whose answers this message's tool calls show."""
        return [c.result_key for c in self.message.tool_calls if c.result_key]

    def locate(self, line: int) -> tuple[Block, int] | None:
        """The block holding ``line`` (relative to the entry) and the line within it."""
        if self.blocks is None or not self.blocks:
            return None
        index = bisect_right(self.offsets, line) - 1
        if index >= len(self.blocks):
            return None
        return self.blocks[index], line - self.offsets[index]

    def reflow(self, start: int = 0) -> None:
        """Recompute block offsets from block ``start`` on, and the height."""
        blocks = self.blocks or []
        offsets = self.offsets
        del offsets[start + 1 :]
        total = offsets[start] if start < len(offsets) else 0
        if not offsets:
            offsets.append(0)
        for block in blocks[start:]:
            total += block.height
            offsets.append(total)
        self.height = offsets[-1] if blocks else 0

    def build(self, transcript: Transcript | None, width: int) -> None:
        """Expand (or update) the blocks from the message; new blocks get guessed heights."""
        message = self.message
        self.version = message.version
        if self.hidden:
            self.blocks, self.offsets, self.height = [], [0], 0
            return
        old = self.blocks or []
        blocks = [self._header(old[0] if old else None)]
        shown = self._images() if message.media or self._pictures else message.text
        if message.role == "ai":
            blocks += self._markdown(message, shown)
            blocks += self._pictures
            if message.reasoning:
                blocks.append(self._reasoning_block(message))
            blocks += self._tool_blocks(transcript)
        elif message.role != "note" and (message.text or message.role != "tool"):
            body = self._body[0] if self._body else Block("text", style=message.role)
            text = sanitize(shown)
            if message.role == "tool":
                text = "\n".join(text.split("\n")[:20])
            if body.text != text or not self._body:
                body.text = text
                body.invalidate()
            self._body = [body]
            blocks.append(body)
            blocks += self._pictures
        if message.unsaved:
            # a cancelled run's answer the server never saved: kept on screen, but said so
            if self._note is None:
                self._note = Block("text", UNSAVED_NOTE, style="unsaved")
            blocks.append(self._note)
        if message.streaming:
            cursor = old[-2] if len(old) > 1 and old[-2].kind == "cursor" else Block("cursor")
            blocks.append(cursor)
        blocks.append(old[-1] if old and old[-1].kind == "gap" else Block("gap"))
        for index, block in enumerate(blocks):
            # Markdown blocks draw the blank lines between them themselves (see .document)
            block.gap = 1 if index > 1 and block.kind in ("tool", "text", "reasoning") else 0
            block.guess(width)
        offsets = self.offsets
        first = 0
        limit = min(len(old), len(blocks), len(offsets) - 1)
        while (
            first < limit
            and old[first] is blocks[first]
            and offsets[first + 1] - offsets[first] == blocks[first].height
        ):
            first += 1
        self.blocks = blocks
        if first < len(blocks) or len(blocks) != len(old):
            self.reflow(first)

    def _header(self, old: Block | None) -> Block:
        message = self.message
        label, style = _LABELS.get(message.role, ("◆ " + message.role, "ai"))
        details = []
        if message.role == "ai":
            if message.node:
                details.append(message.node)
            if message.ns:
                details.append(shorten_ns(message.ns))
        elif message.role == "tool" and message.name:
            details.append(message.name)
        elif message.role == "error" and message.node:
            details.append(message.node)
        elif message.role == "note":
            details.append(message.text)
        if message.streaming:
            details.append("streaming…")
        detail = sanitize(" · ".join(details), keep_newlines=False)
        block = old if old is not None and old.kind == "header" else Block("header")
        if (block.text, block.detail, block.style) != (label, detail, style):
            block.text, block.detail, block.style = label, detail, style
            block.invalidate()
        return block

    def _markdown(self, message: Message, text: str) -> list[Block]:
        """The Markdown blocks of an answer: finished ones kept, the growing one updated.

        Each block is told what the rest of the message means for it (see :mod:`.document`):
        the link reference definitions of the finished blocks, and whether the blocks before
        it leave a blank line to draw. A block whose references change (a definition arrived)
        is drawn again; the others keep their strips.
        """
        splitter = self._splitter
        if splitter is None:
            splitter = self._splitter = BlockSplitter()
        splitter.update(text)
        if splitter.generation != self._gen:
            self._gen = splitter.generation
            self._body, self._tail = [], []
            self._definitions, self._known, self._spaced = {}, (), False
        closed = splitter.closed
        body = self._body
        tails = self._tail
        fresh = len(body)
        definitions = self._definitions
        while len(body) < len(closed):
            text = closed[len(body)]
            block = tails.pop(0) if tails and tails[0].text == text else Block("md", text)
            _settle(block, text, live=False)
            _space(block, self._spaced)
            facts = _facts(block)
            for definition in facts.definitions:
                definitions.setdefault(definition.label, definition)
            if facts.renders:
                self._spaced = facts.spaced_after
            body.append(block)
        texts = splitter.tail(final=not message.streaming)
        new_tail: list[Block] = []
        for index, text in enumerate(texts):
            live = message.streaming and index == len(texts) - 1
            block = tails[index] if index < len(tails) else Block("md", text)
            _settle(block, text, live=live)
            block.in_code = live and splitter.open_is_code
            new_tail.append(block)
        self._tail = new_tail
        # definitions count once their block is finished: the growing one's may still change
        finished = [block for block in new_tail if not block.live]
        if any(_facts(block).definitions for block in finished):
            definitions = dict(definitions)
            for block in finished:
                for definition in _facts(block).definitions:
                    definitions.setdefault(definition.label, definition)
        known = tuple(definitions.values())
        if known != self._known:  # a definition arrived: every block may use it
            self._known = known
            fresh = 0
        for block in body[fresh:]:
            _refer(block, references_in(block.text, known))
        spaced = self._spaced
        for block in new_tail:
            _space(block, spaced)
            _refer(block, references_in(block.text, known))
            if not block.live:
                facts = _facts(block)
                if facts.renders:
                    spaced = facts.spaced_after
        return body + new_tail

    def _images(self) -> str:
        """The message's text without its images' labels; the image blocks follow its media
        (one per image, kept while the media is the same, see :mod:`.images`)."""
        from bbot_tui.tui.widgets.message_view import images

        message = self.message
        if message.media is not self._media and message.media != self._media:
            self._media = message.media
            for block in self._pictures:
                if block.picture is not None:
                    block.picture.cleanup()
            self._pictures = []
            for file in images.image_files(message.media):  # decoded once per media
                block = Block("image")
                block.picture = images.Picture(file)
                self._pictures.append(block)
        return images.without_labels(message.text, message.media)

    def _reasoning_block(self, message: Message) -> Block:
        """The model's reasoning under the answer: one dim line, or whole when expanded."""
        block = self._reasoning
        if block is None:
            block = self._reasoning = Block("reasoning", style="meta")
        text = sanitize(message.reasoning)
        live = message.streaming
        if (block.text, block.expanded, block.live) != (text, self.thinking, live):
            block.text, block.expanded, block.live = text, self.thinking, live
            block.invalidate()
            block.sized = False
        return block

    def _tool_blocks(self, transcript: Transcript | None) -> list[Block]:
        blocks: list[Block] = []
        for index, call in enumerate(self.message.tool_calls):
            block = self._tools[index] if index < len(self._tools) else Block("tool")
            data = _tool_data(call, transcript, self.collapsed)
            if block.tool != data:
                block.tool = data
                block.invalidate()
            blocks.append(block)
        self._tools = blocks
        return blocks


def _settle(block: Block, text: str, live: bool) -> None:
    """Point a reused block at its (possibly longer) text; forget what no longer holds."""
    if block.text != text:
        block.text = text
        block.facts = None
        block.invalidate()
    elif block.live and not live and block.cheap:
        block.invalidate()  # drawn cheaply while growing: draw it properly now
    block.live = live


def _facts(block: Block) -> BlockFacts:
    """The facts of a finished Markdown block (computed once per text)."""
    facts = block.facts
    if facts is None:
        facts = block.facts = block_facts(block.text)
    return facts


def _space(block: Block, spaced: bool) -> None:
    """Tell a Markdown block whether a blank line goes before it; redraw it if that changed."""
    if block.spaced != spaced:
        block.spaced = spaced
        block.invalidate()


def _refer(block: Block, references: tuple[Definition, ...]) -> None:
    """Give a Markdown block the definitions it may use; redraw it if they changed."""
    if block.references != references:
        block.references = references
        block.invalidate()


STREAMED_LINES = 12
"""The last lines of a running tool's streamed output drawn under its call."""


def _tool_data(
    call: ToolCall, transcript: Transcript | None, collapsed: bool
) -> tuple[str, str, str | None, bool, bool, str]:
    result: str | None = None
    failed = False
    streamed = ""
    if call.result_key and transcript is not None:
        answer = transcript.get(call.result_key)
        if answer is not None:
            result = sanitize(answer.text)
            failed = answer.status == "error"
    execution = transcript.tools.get(call.id) if call.id and transcript is not None else None
    if result is None and execution is not None:
        # the tool runs (or ended before its ToolMessage came): what it streamed so far
        lines = sanitize(execution.output).rstrip("\n").split("\n")
        streamed = "\n".join(lines[-STREAMED_LINES:]) if execution.output else ""
        if execution.status == "failed":
            result, failed, streamed = execution.error or "failed", True, ""
        elif execution.status == "done":
            result, streamed = streamed, ""
    if call.args is not None and len(call.display_args()) > 60:
        args = json.dumps(call.args, ensure_ascii=False, indent=2)
    else:
        args = call.display_args()
    return sanitize(call.name), sanitize(args), result, failed, collapsed, streamed
