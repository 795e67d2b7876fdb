"""What a Markdown block means within its whole message, so blocks render like the whole.

The view renders a message block by block (:mod:`.markdown_blocks`). Two things cross block
boundaries when the whole message is rendered at once, and this module makes them explicit:

* **Link reference definitions.** ``[label]: url`` anywhere in a message defines ``[text][label]``,
  ``[label][]`` and ``[label]`` (and the same for images) in every block; the first definition of
  a label wins; a definition renders nothing. :func:`block_facts` reads the definitions a
  finished block holds; :func:`references_in` picks those a block's text may use, which the
  painter hands to markdown-it (its ``env["references"]``) when it parses that block.
* **The blank line before an element.** Rich's Markdown renderer writes a blank line before a
  top-level element when the element before it asks for one (every element but a thematic
  break, which draws its own), and none before the first element of the document. A block
  rendered alone starts as a document does, so the painter is told whether the blocks before
  it left that request standing (``spaced``); :func:`block_facts` says whether a block leaves
  it (``spaced_after``) and whether it renders anything at all (a block of definitions only
  does not, and leaves the request as it found it).

Both facts come from the block's text alone (markdown-it-py, the parser and options Rich uses),
so they are computed once when a block is finished, never per token; most blocks need no parse
at all (no ``]:`` in them, and a last line that cannot be a thematic break). This module does
not import Textual.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from collections.abc import Iterable

    from markdown_it import MarkdownIt
    from markdown_it.token import Token
__all__ = ["PLAIN", "BlockFacts", "Definition", "block_facts", "parser", "references_in"]


class Definition(NamedTuple):
    """One link reference definition."""

    label: str
    """The label, normalized as markdown-it matches it (whitespace collapsed, case folded)."""
    href: str
    """The destination (normalized by markdown-it)."""
    title: str
    """The title (may be empty)."""


@dataclass(frozen=True, slots=True)
class BlockFacts:
    """What a finished block contributes to its message beyond its own lines."""

    definitions: tuple[Definition, ...] = ()
    """The link reference definitions it holds, in order."""
    renders: bool = True
    """It has an element to draw (False: it holds only definitions and draws nothing)."""
    spaced_after: bool = True
    """Its last element asks for a blank line before the next element (False after a thematic
    break)."""


PLAIN = BlockFacts()
"""The facts of most blocks: no definitions, something drawn, a blank line after."""

_THEMATIC_BREAK = re.compile(r" {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_WHITESPACE = re.compile(r"\s+")
_BRACKET_SPACE = re.compile(r"\[ | \]")


@lru_cache(maxsize=1)
def parser() -> MarkdownIt:
    """The one markdown-it parser, with Rich's options (CommonMark, tables, strikethrough)."""
    from markdown_it import MarkdownIt

    return MarkdownIt().enable("strikethrough").enable("table")


def references_env(references: Iterable[Definition]) -> dict[str, Any]:
    """A markdown-it ``env`` that resolves ``references`` (empty when there are none)."""
    refs = {d.label: {"href": d.href, "title": d.title, "map": None} for d in references}
    return {"references": refs} if refs else {}


def block_facts(text: str) -> BlockFacts:
    """The definitions a finished block holds and how it spaces what follows.

    Args:
        text: the block's (sanitized) Markdown.

    Returns:
        :data:`PLAIN` unless the block may hold a definition or end with a thematic break;
        then what parsing it says.
    """
    last = text[text.rfind("\n") + 1 :]
    if "]:" not in text and _THEMATIC_BREAK.match(last) is None:
        return PLAIN
    env: dict[str, Any] = {}
    tokens = parser().parse(text, env)
    definitions = tuple(
        Definition(label, str(ref["href"]), str(ref["title"] or ""))
        for label, ref in env.get("references", {}).items()
    )
    top = [token for token in tokens if token.level == 0]
    if not top:
        return BlockFacts(definitions, renders=False, spaced_after=False)
    return BlockFacts(definitions, renders=True, spaced_after=_asks_for_blank(top[-1]))


def _asks_for_blank(token: Token) -> bool:
    """Whether Rich writes a blank line after the element that ``token`` ends."""
    from rich.markdown import Markdown, UnknownElement

    kind = token.type
    if token.nesting == -1:
        kind = kind.removesuffix("_close") + "_open"
    return bool(Markdown.elements.get(kind, UnknownElement).new_line)


def references_in(text: str, definitions: tuple[Definition, ...]) -> tuple[Definition, ...]:
    """The definitions whose label ``text`` mentions as ``[label]`` (it may use them).

    A superset is harmless (an unused definition changes nothing), so the test is textual:
    whitespace collapsed and case folded like a label, ``[label]`` found anywhere.
    """
    if not definitions or "[" not in text:
        return ()
    folded = _BRACKET_SPACE.sub(
        lambda m: m.group().strip(), _WHITESPACE.sub(" ", text).lower().upper()
    )
    return tuple(d for d in definitions if f"[{d.label}]" in folded)
