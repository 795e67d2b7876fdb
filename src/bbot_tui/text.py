"""Terminal-safety sanitizer for untrusted text (docs/PROTOCOL.md, "Terminal safety").

Rich and Textual strip only BEL, BS, VT, FF and CR, so escape sequences inside assistant
output, thread titles, error messages or user input would reach the real terminal (clear the
screen, leave the alternate screen, set the window title, …). Every piece of server or user text
goes through :func:`sanitize` before it is drawn, used as a title, notified, logged or exported.

Policy:

* ESC sequences are removed completely: CSI (``ESC [ … final``), OSC (``ESC ] … BEL|ST``),
  DCS/SOS/PM/APC (``ESC P``, ``ESC X``, ``ESC ^``, ``ESC _`` … ST), two-byte and nF ESC
  sequences, and any lone ESC. A *string* sequence (OSC, DCS, …) that is never terminated ends
  at the next newline (or CR, CAN, SUB, ESC) or at the end of the text, so it cannot swallow the
  rest of a message.
* C1 controls U+0080–U+009F are removed; an 8-bit CSI (U+009B) takes its parameters with it, and
  the 8-bit string introducers (U+0090, U+0098, U+009D–U+009F) behave like their ESC forms.
* C0 controls are removed except ``\\n`` and ``\\t``; a CR disappears, so CRLF becomes ``\\n``.
  DEL is removed.
* Bidi embedding/override/isolate controls (U+202A–U+202E, U+2066–U+2069) are removed so text
  cannot be visually reordered; ordinary RTL text still renders (the terminal applies the
  implicit bidi algorithm, which needs no control characters).
* Lone surrogates (from JSON ``"\\ud800"``) become U+FFFD, because writing them to a UTF-8
  terminal raises ``UnicodeEncodeError``.

The common case (plain text, one streamed token) takes a fast path: one precompiled regex
``search`` and the original string is returned unchanged.

This module is pure Python and must not import Textual.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = [
    "markdown_literal",
    "one_line",
    "sanitize",
    "sanitize_json_for_display",
    "visible_controls",
]

_BIDI = "\u202a-\u202e\u2066-\u2069"
_SURROGATES = "\ud800-\udfff"

# Anything that needs work when newlines are kept.
_NEEDS_WORK = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_BIDI}{_SURROGATES}]")
# Same, plus newline and tab, for one-line output.
_NEEDS_WORK_ONE_LINE = re.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI}{_SURROGATES}]")

_STRIP = re.compile(
    # String sequences: OSC, DCS, SOS, PM, APC (7-bit and 8-bit introducers). The body stops
    # at a terminator (BEL, ESC \, 8-bit ST) or, if unterminated, before a line break, CAN,
    # SUB or the next ESC.
    "(?:\x1b[\\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c\n\r\x18\x1a]*(?:\x07|\x1b\\\\|\x9c)?"
    # CSI, 7-bit and 8-bit: parameters, intermediates and (if present) the final byte.
    "|(?:\x1b\\[|\x9b)[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]?"
    # Other ESC sequences (two-byte, nF with intermediates) and a lone ESC.
    "|\x1b[\x20-\x2f]*[\x30-\x7e]?"
    # Single characters: C0 except \n and \t, DEL, C1, bidi controls.
    f"|[\x00-\x08\x0b-\x1f\x7f-\x9f{_BIDI}]"
)
_SURROGATE_RE = re.compile(f"[{_SURROGATES}]")
_LINE_BREAKS = re.compile("[\n\t]")
_WHITESPACE = re.compile(r"\s+")


def sanitize(text: str, *, keep_newlines: bool = True) -> str:
    """Remove everything from ``text`` that a terminal would interpret as a control.

    See the module docstring for the exact policy.

    Args:
        text: Untrusted text (a streamed token, a message, a title, an error).
        keep_newlines: Keep ``\\n`` and ``\\t``. When False each of them becomes one space,
            for titles, notifications and one-line labels.

    Returns:
        The sanitized text; the same object when nothing had to change.
    """
    if keep_newlines:
        if _NEEDS_WORK.search(text) is None:
            return text
    elif _NEEDS_WORK_ONE_LINE.search(text) is None:
        return text
    cleaned = _STRIP.sub("", text)
    if not keep_newlines:
        cleaned = _LINE_BREAKS.sub(" ", cleaned)
    if _SURROGATE_RE.search(cleaned) is not None:
        cleaned = _SURROGATE_RE.sub("\ufffd", cleaned)
    return cleaned


def _clean_child(value: Any, stack: list[tuple[Any, Any]], seen: dict[int, Any]) -> Any:
    if isinstance(value, str):
        return sanitize(value)
    if isinstance(value, dict | list | tuple):
        known = seen.get(id(value))
        if known is not None:
            return known
        copy: dict[Any, Any] | list[Any] = {} if isinstance(value, dict) else []
        seen[id(value)] = copy
        stack.append((value, copy))
        return copy
    return value


def sanitize_json_for_display(value: Any) -> Any:
    """Sanitize every string (including dict keys) in a JSON-like structure.

    The walk is iterative, so deeply nested server payloads cannot hit the recursion limit, and
    shared or cyclic containers are copied once.

    Args:
        value: A str, number, bool, None, or a dict/list/tuple of those.

    Returns:
        A copy with every string passed through :func:`sanitize`; tuples become lists (JSON has
        only arrays). Non-container, non-string values are returned as they are.
    """
    stack: list[tuple[Any, Any]] = []
    seen: dict[int, Any] = {}
    root = _clean_child(value, stack, seen)
    while stack:
        source, target = stack.pop()
        if isinstance(source, dict):
            for key, item in source.items():
                clean_key = sanitize(key) if isinstance(key, str) else key
                target[clean_key] = _clean_child(item, stack, seen)
        else:
            target.extend(_clean_child(item, stack, seen) for item in source)
    return root


def one_line(text: str, limit: int = 80) -> str:
    """Make a short single-line label from untrusted text.

    Args:
        text: Untrusted text.
        limit: Maximum length of the result, including the ``…`` added when truncating.

    Returns:
        The text sanitized, with runs of whitespace collapsed to one space, stripped, and
        truncated to ``limit`` characters; an empty string when ``limit`` is below 1.
    """
    if limit < 1:
        return ""
    flat = _WHITESPACE.sub(" ", sanitize(text, keep_newlines=False)).strip()
    if len(flat) <= limit:
        return flat
    return flat[: limit - 1].rstrip() + "…"


_MARKDOWN_SIGNS = re.compile(r"([\\`*_\[\]<>|~&])")


def markdown_literal(text: str, limit: int = 500) -> str:
    """Markdown inline text that shows ``text`` literally, on one line.

    Args:
        text: Untrusted text.
        limit: Maximum length before escaping (see :func:`one_line`).

    Returns:
        :func:`one_line` of the text with every sign Markdown could read escaped by a backslash.
    """
    return _MARKDOWN_SIGNS.sub(r"\\\1", one_line(text, limit))


_CONTROL = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_BIDI}{_SURROGATES}]")


def _picture(match: re.Match[str]) -> str:
    code = ord(match[0])
    if code < 0x20:
        return chr(0x2400 + code)  # ␛ for ESC, ␇ for BEL: the Unicode control pictures
    if code == 0x7F:
        return "\u2421"  # ␡
    return "\ufffd"


def visible_controls(text: str) -> str:
    """Show control characters as one-cell symbols instead of removing them.

    For text the user edits (the composer): what was typed or recalled stays as it is and is
    sent as it is, but its control characters are drawn as ``␛``, ``␇``… (C1, bidi controls and
    lone surrogates as U+FFFD), one cell each, so the editor's cursor arithmetic still holds
    and nothing reaches the terminal as a control. ``\n`` and ``\t`` are kept.
    """
    if _CONTROL.search(text) is None:
        return text
    return _CONTROL.sub(_picture, text)
