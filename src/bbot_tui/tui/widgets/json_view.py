"""A read-only JSON tree: sanitized text, long values folded, never markup.

Used by the interrupt card (interrupt values) and the history screen (checkpoint state). Every
string from the server goes through :func:`bbot_tui.text.sanitize` and is drawn as a
``rich.text.Text`` (never parsed as markup). Containers deeper than ``expand_depth`` start
collapsed; strings longer than ``fold_at`` (or with several lines) show a preview and unfold
into their full text when expanded; long lists show their first ``max_children`` items.
"""

from __future__ import annotations

import json
from typing import Any

from rich.text import Text
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from bbot_tui.stream.transcript import content_text
from bbot_tui.text import one_line, sanitize

__all__ = ["JsonView"]

_WRAP = 76


def _scalar(value: Any) -> Text:
    if value is None:
        return Text("null", style="italic")
    if isinstance(value, bool):
        return Text("true" if value else "false", style="bold")
    if isinstance(value, int | float):
        return Text(repr(value), style="bold")
    return Text(one_line(json.dumps(str(value), ensure_ascii=False), 200))


def _summary(value: Any) -> str:
    if isinstance(value, dict):
        kind = value.get("type") or value.get("role")
        if isinstance(kind, str) and "content" in value:  # a chat message: say what it says
            return f"{one_line(kind, 12)}: {one_line(content_text(value.get('content')), 60)}"
        return f"{{{len(value)} key{'s' if len(value) != 1 else ''}}}"
    return f"[{len(value)} item{'s' if len(value) != 1 else ''}]"


class JsonView(Tree[Any]):
    """A JSON value as a tree (read-only).

    Args:
        value: any JSON-like value.
        label: the root's label (e.g. ``"value"``).
        expand_depth: containers at a depth below this start expanded.
        fold_at: strings longer than this are folded.
        max_children: items shown per container.
    """

    DEFAULT_CSS = """
    JsonView {
        height: auto;
        max-height: 16;
        overflow-x: hidden;
        background: transparent;
        padding: 0;
    }
    """

    def __init__(
        self,
        value: Any = None,
        *,
        label: str = "value",
        expand_depth: int = 2,
        fold_at: int = 80,
        max_children: int = 50,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(Text(one_line(label, 60)), name=name, id=id, classes=classes)
        self.expand_depth = expand_depth
        self.fold_at = fold_at
        self.max_children = max_children
        self.guide_depth = 2
        self.auto_expand = True
        self._value = value
        self._fill()

    def process_label(self, label: str | Text) -> Text:  # type: ignore[override]
        """Labels are never markup: a ``str`` is taken literally (and sanitized)."""
        text = label if isinstance(label, Text) else Text(sanitize(label))
        return text.split()[0] if "\n" in text.plain else text

    @property
    def value(self) -> Any:
        """The value shown."""
        return self._value

    def set_value(self, value: Any) -> None:
        """Show another value."""
        self._value = value
        self.clear()
        self._fill()

    def _fill(self) -> None:
        root = self.root
        root.data = self._value
        base = root.label.plain.split(" ", 1)[0]
        if isinstance(self._value, dict | list):
            root.set_label(Text.assemble((base, "bold"), " ", _summary(self._value)))
            self._add_children(root, self._value, 1)
            if self.expand_depth > 0:
                root.expand()
        else:
            root.set_label(Text.assemble((base, "bold"), ": ", self._value_text(self._value)))
            self._add_folded(root, self._value)
            if self.expand_depth > 0:
                root.expand()

    def _value_text(self, value: Any) -> Text:
        if isinstance(value, str) and self._is_long(value):
            head = one_line(value, min(self.fold_at, 48))
            return Text.assemble(
                Text(json.dumps(head, ensure_ascii=False)), (f" ({len(value)} chars)", "dim")
            )
        return _scalar(value)

    def _is_long(self, value: str) -> bool:
        return len(value) > self.fold_at or "\n" in value

    def _add_folded(self, node: TreeNode[Any], value: Any) -> None:
        if not (isinstance(value, str) and self._is_long(value)):
            return
        lines: list[str] = []
        for raw in sanitize(value).split("\n"):
            raw = raw.replace("\t", "    ")
            lines.extend([raw[i : i + _WRAP] for i in range(0, len(raw), _WRAP)] or [""])
        for line in lines[:200]:
            node.add_leaf(Text(line))
        if len(lines) > 200:
            node.add_leaf(Text(f"… {len(lines) - 200} more lines", style="dim"))

    def _add_children(
        self, node: TreeNode[Any], value: dict[Any, Any] | list[Any], depth: int
    ) -> None:
        items = list(value.items()) if isinstance(value, dict) else list(enumerate(value))
        for key, child in items[: self.max_children]:
            name = one_line(str(key), 60)
            key_text = Text(name, style="bold") if isinstance(value, dict) else Text(name, "dim")
            if isinstance(child, dict | list) and child:
                branch = node.add(Text.assemble(key_text, " ", _summary(child)), data=child)
                self._add_children(branch, child, depth + 1)
                if depth < self.expand_depth:
                    branch.expand()
            elif isinstance(child, str) and self._is_long(child):
                branch = node.add(Text.assemble(key_text, ": ", self._value_text(child)))
                self._add_folded(branch, child)
            else:
                shown = Text(_summary(child)) if isinstance(child, dict | list) else _scalar(child)
                node.add_leaf(Text.assemble(key_text, ": ", shown), data=child)
        hidden = len(items) - self.max_children
        if hidden > 0:
            node.add_leaf(Text(f"… {hidden} more", style="dim"))
