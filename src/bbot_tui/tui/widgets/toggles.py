"""Check boxes, radio buttons and selection lists whose state shows as a mark, not only a colour.

Textual draws a check box as ``▐X▌`` whether it is checked or not, and tells the two apart by
colour alone (so do its radio buttons and selection lists); on a monochrome terminal, for a
colour-blind user, or in a screenshot, they look the same. These draw ``✓`` when checked and
nothing when not (a radio button: ``●``), keeping Textual's colours too. They are drop-in
replacements: same constructor, same messages, found by the same queries.
"""

from __future__ import annotations

from typing import Any

from rich.segment import Segment
from textual.strip import Strip
from textual.widgets import Checkbox, RadioButton, SelectionList
from textual.widgets.option_list import OptionDoesNotExist

__all__ = ["CHECK_MARK", "RADIO_MARK", "MarkedCheckbox", "MarkedRadioButton", "MarkedSelectionList"]

CHECK_MARK = "✓"
"""Inside a checked box."""

RADIO_MARK = "●"
"""Inside the chosen radio button."""


class MarkedCheckbox(Checkbox):
    """A check box with ``✓`` inside when checked, a blank when not."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.BUTTON_INNER = CHECK_MARK if self.value else " "

    def watch_value(self) -> None:
        """Draw the mark of the new value (and post ``Changed``, as Textual's does)."""
        super().watch_value()
        self.BUTTON_INNER = CHECK_MARK if self.value else " "
        self.refresh()


class MarkedRadioButton(RadioButton):
    """A radio button with ``●`` inside when chosen, a blank when not."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.BUTTON_INNER = RADIO_MARK if self.value else " "

    def watch_value(self) -> None:
        """Draw the mark of the new value (and post ``Changed``, as Textual's does)."""
        super().watch_value()
        self.BUTTON_INNER = RADIO_MARK if self.value else " "
        self.refresh()


class MarkedSelectionList(SelectionList[str]):
    """A selection list whose selected entries show ``✓`` in their box, the others a blank."""

    def render_line(self, y: int) -> Strip:
        """Textual's line, with the box's inside replaced by the entry's mark."""
        strip = super().render_line(y)
        segments = list(strip)
        try:
            option = self.get_option_at_index(self.scroll_offset.y + y)
        except OptionDoesNotExist:
            return strip
        if len(segments) < 4 or len(segments[1].text) != 1:
            return strip  # not a line with a box
        mark = CHECK_MARK if option.value in self.selected else " "
        segments[1] = Segment(mark, segments[1].style, segments[1].control)
        return Strip(segments, strip.cell_length)
