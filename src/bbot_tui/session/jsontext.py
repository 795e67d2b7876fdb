"""JSON typed by a person: parse with line/column errors, and format for an editor.

The run-options form, the interrupt card and the history screen's state editor all hold JSON
as the text the user typed. A parse error must say where it is (line and column) and must not
touch that text. Nothing here imports Textual.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["JsonTextError", "dump_json", "parse_json_or_text", "parse_json_text"]


class JsonTextError(ValueError):
    """Text that is not valid JSON (or not the JSON type expected).

    Attributes:
        line: 1-based line of the error (0 when not about a position).
        column: 1-based column of the error (0 when not about a position).
        reason: what is wrong, without the position.
    """

    def __init__(self, reason: str, line: int = 0, column: int = 0) -> None:
        self.line = line
        self.column = column
        self.reason = reason
        where = f"line {line}, column {column}: " if line else ""
        super().__init__(f"invalid JSON at {where}{reason}" if line else reason)


def parse_json_text(text: str, *, expect: type | tuple[type, ...] | None = None) -> Any:
    """Parse JSON typed by a user.

    Args:
        text: the text (surrounding whitespace is ignored).
        expect: the Python type(s) the value must have (``dict`` for a JSON object).

    Returns:
        The parsed value.

    Raises:
        JsonTextError: the text is empty, not JSON, or not of the expected type; the message
            names the line and column of a syntax error.
    """
    if not text.strip():
        raise JsonTextError("empty: type a JSON value")
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise JsonTextError(exc.msg.lower(), exc.lineno, exc.colno) from None
    except RecursionError:
        raise JsonTextError("nested too deeply") from None
    if expect is not None and not isinstance(value, expect):
        names: dict[type, str] = {
            dict: "a JSON object {…}",
            list: "a JSON array […]",
            str: "a JSON string",
        }
        wanted = expect if isinstance(expect, tuple) else (expect,)
        label = " or ".join(names.get(t, t.__name__) for t in wanted)
        raise JsonTextError(f"must be {label}")
    return value


def parse_json_or_text(text: str, *, as_json: bool) -> Any:
    """An answer typed as JSON (``as_json``) or as plain text (returned as is).

    Raises:
        JsonTextError: ``as_json`` and the text is not valid JSON.
    """
    return parse_json_text(text) if as_json else text


def dump_json(value: Any, *, indent: int | None = 2) -> str:
    """Format a value for an editor or a preview (unicode kept, keys in their order)."""
    return json.dumps(value, indent=indent, ensure_ascii=False, default=str)
