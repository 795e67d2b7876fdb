"""The completion list: the choices the composer offers, shown just above it.

The composer decides what is offered (slash commands, ``@paths``) and posts
:class:`~.composer.Composer.CompletionsChanged`; the screen hands the items down with
:meth:`CompletionList.show`. The list never takes the focus: the keys stay in the composer
(↑/↓ pick, Tab/Enter take, Esc hides); a click on a choice posts ``OptionList.OptionSelected``,
which the screen turns into :meth:`~.composer.Composer.accept_completion`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from bbot_tui.text import one_line

if TYPE_CHECKING:
    from bbot_tui.session.completion import Completion

__all__ = ["CompletionList"]


class CompletionList(OptionList, can_focus=False):
    """The composer's choices (hidden while there are none)."""

    DEFAULT_CSS = """
    CompletionList {
        display: none;
        height: auto;
        max-height: 9;
        border: round $accent 50%;
        padding: 0 1;
    }
    CompletionList.-open { display: block; }
    """

    def show(self, items: list[Completion], index: int = 0) -> None:
        """Show ``items`` with ``index`` highlighted (none: hide the list)."""
        self.clear_options()
        self.set_class(bool(items), "-open")
        if not items:
            return
        options = []
        for item in items:
            prompt = Text(one_line(item.label, 80), style="bold")
            if item.detail:
                prompt.append("  " + one_line(item.detail, 80), style="dim")
            options.append(Option(prompt))
        self.add_options(options)
        self.highlighted = max(0, min(index, len(items) - 1))
        self.border_title = "↑↓ pick · Tab take · Enter run · Esc hide"
