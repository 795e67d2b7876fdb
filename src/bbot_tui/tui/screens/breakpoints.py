"""Breakpoints: stop before / after any node of the assistant's graph, one keystroke each.

``F9`` on the main screen opens :class:`BreakpointsScreen` on the selected assistant's run
options, fed by the graph's nodes (``GET /assistants/{id}/graph``) and ``*`` (every node). On
the highlighted row ``b`` toggles "stop before", ``a`` toggles "stop after" (through
:func:`bbot_tui.session.run_options.toggle_breakpoint`,
so the run options form shows the same thing);
Enter or Escape closes the screen and the breakpoints are kept for the assistant's next runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Static

from bbot_tui.session.run_options import RunOptions, toggle_breakpoint
from bbot_tui.text import one_line

if TYPE_CHECKING:
    from bbot_tui.tui.screens.main import MainScreen
__all__ = ["BreakpointsScreen", "edit_breakpoints"]


def _mark(value: Literal["*"] | list[str], node: str) -> Text:
    on = value == "*" or (isinstance(value, list) and node in value)
    return Text("● stop" if on else "·", style="bold red" if on else "dim")


class BreakpointsScreen(ModalScreen[RunOptions]):
    """Toggle ``interrupt_before`` / ``interrupt_after`` per node.

    Args:
        options: the assistant's run options (not changed; the screen dismisses with a copy).
        node_names: the graph's nodes.
        title: the assistant's name, for the heading.
    """

    DEFAULT_CSS = """
    BreakpointsScreen {
        align: center middle;
    }
    #breakpoints-box {
        width: 60;
        max-width: 100%;
        height: auto;
        max-height: 80%;
        border: round $accent;
        background: $surface;
        padding: 0 1;
    }
    #breakpoints-table {
        height: auto;
        max-height: 20;
    }
    #breakpoints-hint {
        color: $text-muted;
        height: auto;
    }
    """

    BINDINGS = [
        Binding("b", "toggle('before')", "Stop before"),
        Binding("a", "toggle('after')", "Stop after"),
        Binding("escape,enter", "done", "Done"),
    ]
    """``b``/``a`` toggle a breakpoint on the highlighted node; Enter or Escape keeps them."""

    def __init__(self, options: RunOptions, node_names: list[str], *, title: str = "") -> None:
        super().__init__()
        self.options = options
        self.node_names = [n for n in node_names if not n.startswith("__")]
        self.title_text = title

    def compose(self) -> ComposeResult:
        with Vertical(id="breakpoints-box"):
            heading = "Breakpoints" + (
                f" — {one_line(self.title_text, 50)}" if self.title_text else ""
            )
            yield Static(Text(heading, style="bold"), id="breakpoints-title")
            yield DataTable(id="breakpoints-table", cursor_type="row", zebra_stripes=True)
            yield Static(
                "b: stop before the node   a: stop after it   Enter/Esc: done "
                "(kept for this assistant's next runs)",
                id="breakpoints-hint",
                markup=False,
            )
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_column("node", key="node", width=30)
        table.add_column("before", key="before", width=8)
        table.add_column("after", key="after", width=8)
        for node in ["*", *self.node_names]:
            label = "* (every node)" if node == "*" else one_line(node, 30)
            table.add_row(Text(label), *self._marks(node), key=node)
        if not self.node_names:
            self.query_one("#breakpoints-hint", Static).update(
                Text("The graph's nodes are unknown: only * is offered.", style="italic")
            )
        table.focus()

    def _marks(self, node: str) -> tuple[Text, Text]:
        if node == "*":
            before = (
                Text("● stop", "bold red") if self.options.interrupt_before == "*" else Text("·")
            )
            after = Text("● stop", "bold red") if self.options.interrupt_after == "*" else Text("·")
            return before, after
        return _mark(self.options.interrupt_before, node), _mark(self.options.interrupt_after, node)

    def _refresh_marks(self) -> None:
        table = self.query_one(DataTable)
        for node in ["*", *self.node_names]:
            before, after = self._marks(node)
            table.update_cell(node, "before", before)
            table.update_cell(node, "after", after)

    def action_toggle(self, when: Literal["before", "after"]) -> None:
        """Toggle a breakpoint before / after the highlighted node."""
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return
        node = str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)
        self.options = toggle_breakpoint(self.options, node, when, node_names=self.node_names)
        self._refresh_marks()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on a row closes the screen too (the table takes the Enter key)."""
        event.stop()
        self.action_done()

    def action_done(self) -> None:
        """Close, keeping the breakpoints."""
        self.dismiss(self.options)


async def edit_breakpoints(screen: MainScreen) -> None:
    """Open the breakpoints of the main screen's assistant and store them (the F9 action).

    Args:
        screen: the main screen (its assistant, client and run options).
    """
    from bbot_tui.api.errors import ApiError

    assistant = screen.assistant
    if assistant is None:
        screen.notify("Pick an assistant first.", severity="warning")
        return
    try:
        graph = await screen.services.client.assistants.graph(assistant.assistant_id)
        nodes = graph.node_names()
    except ApiError as exc:
        screen.notify(f"The graph is not available ({one_line(exc.message, 80)}).")
        nodes = []
    before = screen.runs.options()
    result: Any = await screen.app.push_screen_wait(
        BreakpointsScreen(before, nodes, title=assistant.label)
    )
    if not isinstance(result, RunOptions) or screen.assistant is not assistant:
        return
    if (result.interrupt_before, result.interrupt_after) != (
        before.interrupt_before,
        before.interrupt_after,
    ):
        screen.runs.store_options(result)
        screen.notify(breakpoint_summary(result), title="Breakpoints")


def breakpoint_summary(options: RunOptions) -> str:
    """``stop before: step2 · stop after: *`` (or ``no breakpoints``)."""
    parts = []
    for when, value in (("before", options.interrupt_before), ("after", options.interrupt_after)):
        if value:
            parts.append(f"stop {when}: {value if value == '*' else ', '.join(value)}")
    return " · ".join(parts) or "no breakpoints"
