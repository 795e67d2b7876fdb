"""Split streamed Markdown into blocks that can be rendered independently.

The message view renders an answer block by block: a finished block is rendered once and its
lines are cached; only the block still growing is redrawn. That is only correct if splitting is
*stable*: the blocks found while the text streams in must be the blocks found in the whole
text. :class:`BlockSplitter` guarantees it by looking only at complete lines, left to right, and
deciding where a block ends from the lines seen so far.

Rules (they keep the rendering equal to rendering the whole answer at once):

* a block ends at a blank line, unless the next non-blank line is indented (a continuation or
  indented code) or both are list items (a loose list stays one block);
* a fenced code block (``` or ~~~) stays one block until its closing fence, blank lines and all;
* so does an HTML block that only ends at its closing marker (CommonMark's types 1-5:
  ``<pre>``, ``<script>``, ``<style>``, ``<textarea>``, ``<!-- -->``, ``<? ?>``, ``<!X >``,
  ``<![CDATA[ ]]>``); the other HTML blocks end at a blank line like a paragraph;
* tables, headings and paragraphs contain no blank lines, so they stay whole.

Every line is passed through :func:`bbot_tui.text.sanitize` once, as it completes (sanitizing
line by line equals sanitizing the whole text: no escape sequence spans a line break after
sanitizing). This module does not import Textual.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bbot_tui.text import sanitize

__all__ = ["BlockSplitter", "code_blocks", "estimate_lines", "split_blocks"]

_FENCE_OPEN = re.compile(r" {0,3}(`{3,}|~{3,})(.*)$")
_LIST_ITEM = re.compile(r" {0,3}(?:[-+*]|\d{1,9}[.)])(?:[ \t]|$)")
_HTML_BLOCKS = (
    (
        re.compile(r" {0,3}<(?:script|pre|style|textarea)(?=\s|>|$)", re.I),
        re.compile(r"</(?:script|pre|style|textarea)>", re.I),
    ),
    (re.compile(r" {0,3}<!--"), re.compile(r"-->")),
    (re.compile(r" {0,3}<\?"), re.compile(r"\?>")),
    (re.compile(r" {0,3}<![A-Za-z]"), re.compile(r">")),
    (re.compile(r" {0,3}<!\[CDATA\["), re.compile(r"\]\]>")),
)
"""CommonMark's HTML blocks that blank lines do not end: (start, end) of types 1-5."""
_FENCED_CODE = re.compile(
    r"^ {0,3}(`{3,}|~{3,})[^\n]*\n(.*?)(?:^ {0,3}\1[`~]*[ \t]*$|\Z)", re.M | re.S
)


def _fence_of(line: str) -> tuple[str, int] | None:
    """The fence a line opens, as ``(char, length)``, or None."""
    match = _FENCE_OPEN.match(line)
    if match is None:
        return None
    fence = match.group(1)
    if fence[0] == "`" and "`" in match.group(2):
        return None  # a backtick fence's info string cannot contain backticks
    return fence[0], len(fence)


def _html_end(line: str) -> re.Pattern[str] | None:
    """The end marker of the HTML block ``line`` opens and does not close, or None."""
    if "<" not in line[:4]:
        return None
    for start, end in _HTML_BLOCKS:
        if start.match(line) is not None:
            # the end may be on the opening line itself (a one-line comment)
            return None if end.search(line) else end
    return None


def _closes(line: str, fence: tuple[str, int]) -> bool:
    """Whether ``line`` closes ``fence``."""
    stripped = line.lstrip(" ")
    if len(line) - len(stripped) > 3:
        return False
    char, length = fence
    body = stripped.rstrip(" \t")
    return len(body) >= length and body.count(char) == len(body)


@dataclass(slots=True)
class _State:
    """Scanner state after the last complete line (copied to look ahead without commitment)."""

    lines: list[str] = field(default_factory=list)
    fence: tuple[str, int] | None = None
    html: re.Pattern[str] | None = None
    list_mode: bool = False
    blank_run: int = 0


def _block_text(lines: list[str]) -> str:
    end = len(lines)
    while end and not lines[end - 1].strip():
        end -= 1
    return "\n".join(lines[:end])


def _step(state: _State, line: str, closed: list[str]) -> None:
    """Feed one complete, sanitized line to the scanner."""
    if state.fence is not None:
        state.lines.append(line)
        if _closes(line, state.fence):
            state.fence = None
        return
    if state.html is not None:
        state.lines.append(line)
        if state.html.search(line):
            state.html = None
        return
    if not line.strip():
        if state.lines:
            state.blank_run += 1
            state.lines.append(line)
        return
    if state.blank_run:
        state.blank_run = 0
        keep = line[0] in " \t" or (state.list_mode and _LIST_ITEM.match(line) is not None)
        if not keep:
            closed.append(_block_text(state.lines))
            state.lines = []
            state.list_mode = False
    state.lines.append(line)
    state.fence = _fence_of(line)
    if state.fence is None:
        state.html = _html_end(line)
    if line[0] not in " \t":
        state.list_mode = state.fence is None and _LIST_ITEM.match(line) is not None


class BlockSplitter:
    """Incrementally splits a growing Markdown text into blocks.

    Feed it the whole text each time (:meth:`update`); it consumes only what is new. If the text
    is not an extension of what it saw (a message replaced by its final version), it starts over
    and :attr:`generation` increases so callers drop blocks they cached.

    Attributes:
        closed: the finished blocks (sanitized text), in order; only ever appended to within a
            generation.
        generation: bumped whenever the splitter had to start over.
    """

    def __init__(self) -> None:
        self.closed: list[str] = []
        self.generation = 0
        self._state = _State()
        self._done = ""  # the raw text consumed so far (complete lines)
        self._partial = ""  # the sanitized incomplete last line

    def update(self, text: str) -> None:
        """Consume the new part of ``text`` (the full text so far)."""
        if not text.startswith(self._done):
            self.closed = []
            self.generation += 1
            self._state = _State()
            self._done = ""
        start = len(self._done)
        end = text.rfind("\n") + 1
        if end > start:
            state, closed = self._state, self.closed
            for line in text[start : end - 1].split("\n"):
                _step(state, sanitize(line), closed)
            self._done = text[:end]
        self._partial = sanitize(text[max(end, start) :]) if len(text) > end else ""

    def tail(self, final: bool) -> list[str]:
        """The blocks after :attr:`closed`: the open block (and one more when ``final``).

        Args:
            final: the text is complete: the incomplete last line counts as a complete line,
                so the result equals splitting the whole text at once.

        Returns:
            The remaining blocks (possibly none). Not cached: the caller compares texts.
        """
        state = self._state
        if not final:
            lines = [*state.lines, self._partial] if self._partial else state.lines
            text = _block_text(lines)
            return [text] if text.strip() else []
        extra: list[str] = []
        look = _State(list(state.lines), state.fence, state.html, state.list_mode, state.blank_run)
        if self._partial:
            _step(look, self._partial, extra)
        text = _block_text(look.lines)
        if text.strip():
            extra.append(text)
        return extra

    @property
    def open_is_code(self) -> bool:
        """Whether the open block is inside an unfinished fenced code block."""
        return self._state.fence is not None


def split_blocks(text: str) -> list[str]:
    """Split a complete Markdown text into blocks (the reference for streamed splitting)."""
    splitter = BlockSplitter()
    splitter.update(text)
    return [*splitter.closed, *splitter.tail(final=True)]


def estimate_lines(text: str, width: int) -> int:
    """A cheap guess of how many lines ``text`` takes when wrapped at ``width``.

    Used for blocks and messages that were never rendered: the guess only sizes the scrollbar
    until the block comes near the viewport and is measured.
    """
    width = max(8, width)
    total = 0
    for line in text.split("\n"):
        total += 1 + len(line) // width
    return total


def code_blocks(text: str) -> list[str]:
    """The contents of the fenced code blocks of a Markdown text, in order."""
    return [match.group(2).rstrip("\n") for match in _FENCED_CODE.finditer(text)]
