"""The assistant pane: the server's assistants (B-Bot: distribution channels), searchable.

The screen loads the assistants and sets them with :meth:`AssistantPane.set_assistants`; the
pane filters them as the user types (name, graph id, description) and posts
:class:`AssistantPane.Selected` (Enter or click) and :class:`AssistantPane.InspectRequested`
(``i``). Down in the search box moves into the list, and a focused list always has a row
highlighted (Enter selects it). Every name and description is server text: sanitized, drawn as
plain content.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option

from bbot_tui.text import one_line

if TYPE_CHECKING:
    from bbot_tui.api.models import Assistant

__all__ = ["AssistantPane", "assistant_prompt"]


def assistant_prompt(assistant: Assistant, *, current: bool) -> Content:
    """The two-line list entry of an assistant.

    Args:
        assistant: The assistant.
        current: Whether it is the selected one (marked with a dot).

    Returns:
        Plain content (never markup).
    """
    name = one_line(assistant.label, 40)
    version = f" v{assistant.version}" if assistant.version is not None else ""
    second = "graph " + one_line(assistant.graph_id, 24)
    if assistant.description:
        second += " · " + one_line(assistant.description, 60)
    return Content.assemble(
        ("● " if current else "  ", "$accent"),
        (name, "bold"),
        (version, "$text-muted"),
        "\n  ",
        (second, "$text-muted"),
    )


class AssistantPane(Vertical):
    """Search box and list of assistants."""

    BINDINGS = [
        Binding("i", "inspect", "Inspect", tooltip="Show config, schemas and graph nodes"),
    ]

    @dataclass
    class Selected(Message):
        """An assistant was chosen."""

        assistant: Assistant

    @dataclass
    class InspectRequested(Message):
        """The user wants to see an assistant's config, schemas and graph."""

        assistant: Assistant

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._assistants: list[Assistant] = []
        self._visible: list[Assistant] = []
        self.current_id: str | None = None
        """The selected assistant's id."""
        self.border_title = "Assistants"

    def compose(self) -> ComposeResult:
        """Search input and list."""
        yield Input(placeholder="search name or graph…", id="assistant-search", compact=True)
        yield OptionList(id="assistant-list", markup=False)

    @property
    def assistants(self) -> list[Assistant]:
        """All loaded assistants."""
        return list(self._assistants)

    def get(self, assistant_id: str | None) -> Assistant | None:
        """A loaded assistant by id."""
        return next((a for a in self._assistants if a.assistant_id == assistant_id), None)

    def set_assistants(self, assistants: list[Assistant], current_id: str | None = None) -> None:
        """Show these assistants (keeping the search filter)."""
        self._assistants = list(assistants)
        if current_id is not None:
            self.current_id = current_id
        self._render_list()

    def set_current(self, assistant_id: str | None) -> None:
        """Mark the selected assistant (clearing a search that would hide it)."""
        self.current_id = assistant_id
        if self.is_mounted and assistant_id is not None:
            search = self.query_one("#assistant-search", Input)
            if search.value and assistant_id not in [a.assistant_id for a in self._visible]:
                search.value = ""  # (the Changed event redraws the list again: harmless)
        self._render_list(prefer_current=True)

    def _matches(self, assistant: Assistant, needle: str) -> bool:
        hay = " ".join(
            str(part or "") for part in (assistant.name, assistant.graph_id, assistant.description)
        )
        return needle in hay.casefold()

    def _render_list(self, *, prefer_current: bool = False) -> None:
        if not self.is_mounted:
            return
        needle = self.query_one("#assistant-search", Input).value.strip().casefold()
        self._visible = [a for a in self._assistants if not needle or self._matches(a, needle)]
        options = self.query_one("#assistant-list", OptionList)
        highlighted = options.highlighted_option
        keep = highlighted.id if highlighted is not None else None
        options.set_options(
            Option(
                assistant_prompt(a, current=a.assistant_id == self.current_id), id=a.assistant_id
            )
            for a in self._visible
        )
        ids = [a.assistant_id for a in self._visible]
        order = (self.current_id, keep) if prefer_current else (keep, self.current_id)
        for wanted in order:
            if wanted in ids:
                options.highlighted = ids.index(wanted)
                break
        if not self._visible:
            empty = "no assistant matches" if needle else "no assistants"
            options.add_option(Option(Content.styled(empty, "$text-muted"), disabled=True))

    def on_mount(self) -> None:
        """Draw whatever was set before mounting."""
        self._render_list()

    @on(Input.Changed, "#assistant-search")
    def _filter(self, event: Input.Changed) -> None:
        event.stop()
        self._render_list()

    def on_key(self, event: events.Key) -> None:
        """Down in the search box moves into the list."""
        if event.key == "down" and self.query_one("#assistant-search", Input).has_focus:
            event.stop()
            self.query_one("#assistant-list", OptionList).focus()

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        """A focused list highlights a row (the selected assistant, else the first)."""
        options = self.query_one("#assistant-list", OptionList)
        if event.widget is options and options.highlighted is None and self._visible:
            ids = [a.assistant_id for a in self._visible]
            options.highlighted = ids.index(self.current_id) if self.current_id in ids else 0

    @on(Input.Submitted, "#assistant-search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if len(self._visible) >= 1:
            self.post_message(self.Selected(self._visible[0]))

    @on(OptionList.OptionSelected, "#assistant-list")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        assistant = self._option_assistant(event.option)
        if assistant is not None:
            self.post_message(self.Selected(assistant))

    def _option_assistant(self, option: Option | None) -> Assistant | None:
        return None if option is None else self.get(option.id)

    def action_inspect(self) -> None:
        """Inspect the highlighted (or selected) assistant."""
        options = self.query_one("#assistant-list", OptionList)
        assistant = self._option_assistant(options.highlighted_option) or self.get(self.current_id)
        if assistant is not None:
            self.post_message(self.InspectRequested(assistant))
