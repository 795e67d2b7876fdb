"""Renders the pieces of a message (Markdown blocks, headers, tool calls) to Textual strips.

Everything here produces ``list[Strip]`` of exactly ``width`` cells with the view's base style
under every segment, ready to be cached and returned from ``render_line``. Text is always
wrapped in :class:`rich.text.Text` or parsed as Markdown, never as Textual or Rich markup, and
has been sanitized (:func:`bbot_tui.text.sanitize`) before it gets here.

Rich (and its Markdown/Syntax/pygments machinery) is imported lazily on first use, so importing
the message view costs the first frame nothing.
"""

from __future__ import annotations

import copy
import io
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.strip import Strip

from bbot_tui.tui.widgets.message_view.document import parser, references_env

if TYPE_CHECKING:
    from rich.console import Console, RenderableType

    from bbot_tui.tui.widgets.message_view.document import Definition

__all__ = [
    "MARKDOWN_LIVE_LIMIT",
    "MEMO_MAX_LINES",
    "MEMO_SIZE",
    "Painter",
    "Palette",
    "preload",
]

MEMO_SIZE = 256
"""Rendered Markdown blocks remembered by text (across messages and transcripts)."""
MEMO_MAX_LINES = 60
"""Longer blocks are not remembered (they would pin too much memory)."""

MARKDOWN_LIVE_LIMIT = 2_000
"""A growing block longer than this is drawn as plain text until it closes (then as Markdown)."""


@dataclass(slots=True)
class Palette:
    """The Rich styles the view draws with (resolved from its component classes).

    Attributes:
        base: the view's own style (background, foreground), under every segment.
        styles: named styles: ``human``, ``ai``, ``tool``, ``tool-error``, ``system``,
            ``error``, ``meta``, ``cursor``, ``gutter``.
        code_theme: the pygments theme of code blocks.
    """

    base: Style = field(default_factory=Style)
    styles: dict[str, Style] = field(default_factory=dict)
    code_theme: str = "monokai"

    def get(self, name: str) -> Style:
        """A named style (the null style if it is unknown)."""
        return self.styles.get(name, Style.null())


@lru_cache(maxsize=8)
def _markdown_template(theme: str) -> Any:
    from rich.markdown import Markdown

    return Markdown("", code_theme=theme)


def _markdown(
    text: str, theme: str, references: tuple[Definition, ...] = (), spaced: bool = False
) -> Any:
    """A Rich ``Markdown`` of ``text`` that reuses one parser.

    ``Markdown(text)`` builds a new ``MarkdownIt`` parser each time (~1 ms, as much as parsing a
    block); a growing block is parsed many times a second. The options are copied from a
    template made by Rich itself, so only ``markup`` and ``parsed`` differ.

    Args:
        text: the block.
        theme: the code theme.
        references: link reference definitions from elsewhere in the message.
        spaced: the blocks before it ask for a blank line before its first element (see
            :mod:`.document`): an element that draws nothing is put first, so Rich writes
            that line exactly where it would in the whole message.
    """
    markdown = copy.copy(_markdown_template(theme))
    markdown.markup = text
    tokens = parser().parse(text, references_env(references))
    if spaced:
        from markdown_it.token import Token

        tokens.insert(0, Token("html_block", "", 0))
    markdown.parsed = tokens
    return markdown


def preload(theme: str = "monokai") -> None:
    """Import and warm up the Markdown machinery (Rich Markdown, markdown-it, pygments).

    Costs ~0.1-0.2 s once; the view runs it in a thread after the first frame so the first
    streamed answer does not pay it on the event loop.
    """
    from rich.console import Console

    console = Console(width=80, file=_Null(), color_system="truecolor")
    sample = "# t\n\n- **a** `b`\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```python\nx = 1\n```"
    console.render_lines(_markdown(sample, theme), console.options)


class _Null(io.StringIO):
    """A console file that keeps nothing."""

    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass


@lru_cache(maxsize=8)
def _code_background(theme: str) -> Style:
    from rich.syntax import Syntax

    return Syntax.get_theme(theme).get_background_style()


class Painter:
    """Turns message parts into strips for one console and palette.

    Args:
        console: the console that renders (the app's).
        palette: the styles to draw with.
    """

    def __init__(self, console: Console, palette: Palette) -> None:
        self.console = console
        self.palette = palette
        self._memo: OrderedDict[tuple[Any, ...], list[Strip]] = OrderedDict()

    def reset(self, palette: Palette) -> None:
        """Draw with another palette from now on (forgets the memo)."""
        self.palette = palette
        self._memo.clear()

    # --- generic ------------------------------------------------------------------------

    def lines(self, renderable: RenderableType, width: int) -> list[Strip]:
        """Render anything Rich can render to full-width strips on the base style."""
        base = self.palette.base
        options = self.console.options.update(width=width, height=None, highlight=False)
        rendered = self.console.render_lines(renderable, options, style=base, pad=True)
        return [Strip(line, width) for line in rendered]

    def text(self, text: str, width: int, style: Style | None = None) -> list[Strip]:
        """Plain wrapped text (no markup, no Markdown)."""
        return self.lines(Text(text, style=style or ""), width)

    def blank(self, width: int) -> Strip:
        """An empty line."""
        return Strip.blank(width, self.palette.base)

    # --- Markdown -----------------------------------------------------------------------

    def markdown(
        self,
        text: str,
        width: int,
        references: tuple[Definition, ...] = (),
        spaced: bool = False,
    ) -> list[Strip]:
        """A finished Markdown block (Rich Markdown with highlighted code).

        Its lines are the lines the same block has in a render of the whole message: the
        blank line before it (when ``spaced``) and Rich's blank lines around lists and tables
        included; a block of link reference definitions only has none.

        The last :data:`MEMO_SIZE` results are remembered: a thread opened again, or a message
        replaced by its identical final version, costs nothing to draw.

        Args:
            text: the block.
            width: the width.
            references: link reference definitions from elsewhere in the message.
            spaced: start with the blank line Rich writes before an element here.
        """
        key = (text, width, references, spaced)
        memo = self._memo
        strips = memo.get(key)
        if strips is not None:
            memo.move_to_end(key)
            return strips
        strips = self.lines(_markdown(text, self.palette.code_theme, references, spaced), width)
        if len(strips) <= MEMO_MAX_LINES:
            memo[key] = strips
        if len(memo) > MEMO_SIZE:
            memo.popitem(last=False)
        return strips

    def growing(
        self,
        text: str,
        width: int,
        in_code: bool,
        cache: dict[str, Any],
        references: tuple[Definition, ...] = (),
        spaced: bool = False,
    ) -> list[Strip]:
        """The block still streaming, drawn cheaply.

        Args:
            text: the block so far.
            width: the width.
            in_code: the block is an unclosed fenced code block.
            cache: per-block scratch space kept between frames (rendered code lines).
            references: link reference definitions from the finished blocks before it.
            spaced: start with a blank line (see :meth:`markdown`).

        Returns:
            Its strips. A code fence is drawn as plain code on the theme's background, line
            by line (only new lines cost anything); a long block as plain text; anything else
            as Markdown.
        """
        if in_code and text.lstrip(" ").startswith(("```", "~~~")):
            strips = self._growing_code(text, width, cache)
        elif in_code or len(text) > MARKDOWN_LIVE_LIMIT:
            strips = self.text(text, width)
        else:
            return self.markdown(text, width, references, spaced)
        return [self.blank(width), *strips] if spaced else strips

    def _growing_code(self, text: str, width: int, cache: dict[str, Any]) -> list[Strip]:
        code_lines = text.split("\n")[1:]
        background = self.palette.base + _code_background(self.palette.code_theme)
        inner = max(1, width - 2)
        pad = Strip.blank(width, background)
        done: list[list[Strip]] = cache.setdefault("lines", [])
        keys: list[str] = cache.setdefault("keys", [])
        out: list[Strip] = [pad]
        # lines before the last one are complete: reuse what was drawn for them
        for index, line in enumerate(code_lines):
            complete = index < len(code_lines) - 1
            if complete and index < len(keys) and keys[index] == line:
                out.extend(done[index])
                continue
            strips = [
                Strip.join([Strip.blank(1, background), strip, Strip.blank(1, background)])
                for strip in self.lines(Text(line.expandtabs(4), style=background), inner)
            ]
            if complete:
                del keys[index:], done[index:]
                keys.append(line)
                done.append(strips)
            out.extend(strips)
        out.append(pad)
        return out

    # --- message chrome -------------------------------------------------------------------

    def header(self, label: str, detail: str, style: Style, width: int) -> list[Strip]:
        """A message's one-line header: ``label`` in ``style`` and a dim ``detail``."""
        text = Text(label, style=style, no_wrap=True, overflow="ellipsis", end="")
        if detail:
            text.append("  ")
            text.append(detail, style=self.palette.get("meta"))
        text.truncate(width, overflow="ellipsis")
        return [_one_line(text, width, self.console, self.palette.base)]

    def cursor(self, width: int) -> list[Strip]:
        """The streaming indicator under a growing answer."""
        text = Text("▍", style=self.palette.get("cursor"), end="")
        return [_one_line(text, width, self.console, self.palette.base)]

    def reasoning(self, text: str, expanded: bool, live: bool, width: int) -> list[Strip]:
        """The model's reasoning, dimmed: one line (its size and first words) or whole.

        Args:
            text: the reasoning (sanitized).
            expanded: draw it whole, indented under a title line.
            live: it is still streaming.
            width: the width.
        """
        style = self.palette.get("meta") + Style(italic=True)
        words = len(text.split())
        size = f"{words} word{'s' if words != 1 else ''}{'…' if live else ''}"
        if not expanded:
            line = Text(f"▸ Reasoning · {size} · ", style=style, no_wrap=True, end="")
            line.append(" ".join(text.split()), style=style)
            line.truncate(width, overflow="ellipsis")
            return [_one_line(line, width, self.console, self.palette.base)]
        head = Text(f"▾ Reasoning · {size}", style=style, no_wrap=True, end="")
        head.truncate(width, overflow="ellipsis")
        body = self.lines(_Indented(Text(text, style=style)), width)
        return [_one_line(head, width, self.console, self.palette.base), *body]

    def tool_call(
        self,
        name: str,
        args: str,
        result: str | None,
        failed: bool,
        collapsed: bool,
        streamed: str = "",
        *,
        width: int,
    ) -> list[Strip]:
        """A tool call: name, arguments, result (or that it is still running, with the output
        it streamed so far).

        Args:
            name: the tool name (sanitized).
            args: the arguments as JSON text (sanitized).
            result: the tool's answer (sanitized), or None while it runs.
            failed: the tool message reported an error.
            collapsed: draw one line instead of the full block.
            streamed: the last lines of the output the running tool streamed (sanitized).
            width: the width.
        """
        tool = self.palette.get("tool")
        meta = self.palette.get("meta")
        result_style = self.palette.get("tool-error") if failed else Style.null()
        if collapsed:
            text = Text("▸ ⚙ ", style=tool, no_wrap=True, end="")
            text.append(name or "tool", style=tool + Style(bold=True))
            text.append(" " + " ".join(args.split()), style=meta)
            if result is None:
                last = streamed.rsplit("\n", 1)[-1].strip()
                summary = f"… running: {last}" if last else "… running"
            else:
                summary = " ".join(result.split())
            text.append("  → " + summary, style=result_style)
            text.truncate(width, overflow="ellipsis")
            return [_one_line(text, width, self.console, self.palette.base)]
        head = Text("▾ ⚙ ", style=tool, end="")
        head.append(name or "tool", style=tool + Style(bold=True))
        if args:
            head.append("  ")
            head.append(_clip(args, 12), style=meta)
        strips = self.lines(head, width)
        if result is None:
            if streamed:
                strips += self.lines(_Indented(Text(streamed, style=meta), "  ┊ "), width)
            strips += self.lines(Text("  … running", style=meta), width)
        else:
            body = Text("  → ", style=tool, end="")
            body.append(_clip(result, 20) or "(empty)", style=result_style)
            strips += self.lines(body, width)
        return strips


class _Indented:
    """A renderable drawn ``prefix`` columns in, the prefix repeated on every line."""

    def __init__(self, text: Text, prefix: str = "    ") -> None:
        self.text = text
        self.prefix = prefix

    def __rich_console__(self, console: Console, options: Any) -> Any:
        from rich.cells import cell_len

        indent = cell_len(self.prefix)
        inner = options.update(width=max(1, options.max_width - indent))
        prefix = Segment(
            self.prefix, self.text.style if isinstance(self.text.style, Style) else None
        )
        for line in console.render_lines(self.text, inner, pad=False):
            yield prefix
            yield from line
            yield Segment.line()


def _clip(text: str, max_lines: int) -> str:
    lines = text.split("\n")
    if len(lines) <= max_lines:
        return text
    return "\n".join([*lines[:max_lines], f"… {len(lines) - max_lines} more lines"])


def _one_line(text: Text, width: int, console: Console, base: Style) -> Strip:
    segments = list(text.render(console))
    strip = Strip(Segment.apply_style(segments, base))
    return strip.crop_extend(0, width, base)
