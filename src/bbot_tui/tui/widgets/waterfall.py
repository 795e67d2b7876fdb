"""A run's node waterfall drawn as bars: one row per node, placed on the run's time line.

:class:`Waterfall` shows a :class:`~bbot_tui.stream.timing.RunTiming`'s spans (set
:attr:`Waterfall.timing`); each row is the node's name, its start, a bar from its start to its end
scaled to the run's total, and its duration. The bars are cut to the widget's width at every
render, so a resize redraws them. Node names come from the server and are sanitized.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.geometry import Size
from textual.reactive import reactive
from textual.widget import Widget

from bbot_tui.stream.timing import RunTiming, bar_extent
from bbot_tui.text import one_line

__all__ = ["Waterfall"]

_LABEL_MAX = 28
_FIXED = 22
"""Columns besides the label and the bar: the start, the duration and the gaps."""


class Waterfall(Widget):
    """The node waterfall of one run (see the module docstring)."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "waterfall--bar",
        "waterfall--error",
        "waterfall--running",
        "waterfall--muted",
    }
    DEFAULT_CSS = """
    Waterfall { height: auto; }
    Waterfall > .waterfall--bar { color: $accent; }
    Waterfall > .waterfall--error { color: $error; }
    Waterfall > .waterfall--running { color: $warning; }
    Waterfall > .waterfall--muted { color: $text-muted; }
    """

    timing: reactive[RunTiming | None] = reactive(None, layout=True)
    """The run drawn (None: nothing yet)."""

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        """One row per node (one for the empty notice)."""
        return max(1, len(self.timing.spans) if self.timing is not None else 0)

    def rows(self, width: int) -> list[Text]:
        """The rows for ``width`` columns (the widget renders them; tests read them)."""
        muted = self.get_component_rich_style("waterfall--muted")
        timing = self.timing
        if timing is None or not timing.spans:
            return [Text("no graph node was seen in this run", style=muted)]
        spans = timing.spans
        ends = [s.start + (s.duration or 0.0) for s in spans]
        total = max([timing.total or 0.0, *ends, 1e-9])
        labels = [one_line(s.label, _LABEL_MAX) for s in spans]
        pad = max(len(label) for label in labels)
        bar_width = max(8, width - pad - _FIXED)
        styles = {
            "bar": self.get_component_rich_style("waterfall--bar"),
            "error": self.get_component_rich_style("waterfall--error"),
            "running": self.get_component_rich_style("waterfall--running"),
        }
        rows = []
        for span, label in zip(spans, labels, strict=True):
            lead, length = bar_extent(span, total, bar_width)
            kind = "error" if span.error else ("running" if span.duration is None else "bar")
            row = Text(no_wrap=True, overflow="crop")
            row.append(f"{label:<{pad}} ")
            row.append(f"{span.start:7.2f} s ", style=muted)
            row.append("│" + " " * lead, style=muted)
            row.append("█" * length, style=styles[kind])
            row.append(" " * (bar_width - lead - length) + "│ ", style=muted)
            took = "running" if span.duration is None else f"{span.duration:.2f} s"
            row.append(took + (" ✗" if span.error else ""), style=styles[kind])
            rows.append(row)
        return rows

    def render(self) -> Text:
        """The rows, one per line."""
        return Text("\n", no_wrap=True).join(self.rows(self.content_region.width or 60))
