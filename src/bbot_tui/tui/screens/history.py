"""Time travel: a thread's checkpoint history, the state at each checkpoint, and forks.

``HistoryScreen(client_or_session, thread_id, node_names=[...], head=…)`` (key ``h`` on the main
screen) lists the checkpoints (``POST /threads/{id}/history``, 20 at a time, "load more" pages
with the ``before`` cursor) as a tree, newest branch first: each branch's checkpoints together,
newest first, a branch that forked from another one level deeper, and the branch shown in the
conversation (the head's, else the newest's) marked ``●`` (see
:class:`~bbot_tui.stream.branches.CheckpointTree`). Columns: step, source (input / loop / update
/ fork), the node(s) that ran, next, time; each row's label draws its branch. The selected
checkpoint shows its state (values as a JSON tree, next, tasks) and a per-key diff of its values
against its parent checkpoint.

From the selected checkpoint the screen dismisses with:

* ``("rerun", checkpoint_id)`` — Re-run (``r``): the app starts a run with ``checkpoint_id``
  and input null;
* ``("open", thread_id)`` — after Edit & fork (``e``, then "Fork"): ``threads.update_state(
  thread_id, values, as_node=…, checkpoint_id=…)`` wrote a new checkpoint; the app reloads the
  thread;
* ``("open", new_thread_id)`` — Copy thread (``c``): ``threads.copy`` made a new thread;
* ``None`` — Escape.

The screen owns its workers (group ``history``); it reloads every time it is shown again.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import (
    Button,
    DataTable,
    Footer,
    Select,
    Static,
    TabbedContent,
    TabPane,
    TextArea,
)
from textual.worker import Worker, WorkerState

from bbot_tui.api.errors import ApiError
from bbot_tui.api.models import ThreadState
from bbot_tui.session.jsontext import JsonTextError, dump_json, parse_json_text
from bbot_tui.stream.branches import CheckpointTree, TreeRow
from bbot_tui.stream.statediff import (
    CheckpointRow,
    checkpoint_id_of,
    checkpoint_rows,
    diff_values,
    ran_label,
)
from bbot_tui.text import one_line
from bbot_tui.tui.resources import stylesheet
from bbot_tui.tui.widgets.json_view import JsonView

__all__ = ["HistoryScreen"]

PAGE_SIZE = 20
_DIFF_STYLE = {"added": ("+ ", "green"), "removed": ("- ", "red"), "changed": ("~ ", "yellow")}


class HistoryScreen(Screen[tuple[str, str] | None]):
    """The checkpoint history of one thread.

    Args:
        client_or_session: an ``AgentClient``, or a ``RunSession`` (its ``client`` is used).
        thread_id: the thread.
        node_names: the graph's nodes, offered as ``as_node`` when forking.
    """

    CSS_PATH = stylesheet("history.tcss")
    """Loaded when the screen first opens (not at start)."""
    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("r", "rerun", "Re-run from here"),
        Binding("e", "edit", "Edit & fork"),
        Binding("c", "copy_thread", "Copy thread"),
        Binding("m", "load_more", "Load more"),
        Binding("f5", "reload", "Reload"),
    ]
    """Actions on the selected checkpoint; Escape goes back."""

    def __init__(
        self,
        client_or_session: Any,
        thread_id: str,
        *,
        node_names: list[str] | None = None,
        head: str | None = None,
    ) -> None:
        super().__init__()
        self.client = getattr(client_or_session, "client", client_or_session)
        self.thread_id = thread_id
        self.head = head
        """The checkpoint shown in the conversation (None: the newest); its branch is marked."""
        self.node_names = list(node_names or [])
        self.states: list[ThreadState] = []
        self.has_more = False
        self._parents: dict[str, ThreadState] = {}
        self._selected: str | None = None
        self._order: list[str | None] = []

    # --- layout --------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        title = f"History of thread {one_line(self.thread_id, 40)}"
        yield Static(Text(title, style="bold"), id="history-title")
        with Horizontal(id="history-main"):
            with Vertical(id="history-list"):
                yield DataTable(id="history-table", cursor_type="row", zebra_stripes=True)
                yield Button("Load more (m)", id="history-more", disabled=True)
            with TabbedContent(id="history-detail"):
                with TabPane("State", id="tab-state"), VerticalScroll():
                    yield Static("", id="history-summary")
                    yield JsonView(None, label="values", expand_depth=2, id="history-values")
                with TabPane("Diff", id="tab-diff"), VerticalScroll():
                    yield Static("", id="history-diff")
                with TabPane("Edit & fork", id="tab-edit"), Vertical():
                    yield TextArea("", language=None, tab_behavior="focus", id="history-editor")
                    with Horizontal(id="history-edit-row"):
                        yield Select[str](
                            [], prompt="as node: (server picks)", id="history-as-node"
                        )
                        yield Button("Fork", id="history-fork", variant="warning")
                    yield Static("", id="history-edit-error")
        with Horizontal(id="history-actions"):
            yield Button("Re-run from here (r)", id="history-rerun", variant="primary")
            yield Button("Edit & fork (e)", id="history-edit")
            yield Button("Copy thread (c)", id="history-copy")
            yield Button("Close (esc)", id="history-close")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#history-table", DataTable)
        for label, key, width in (
            ("step", "step", 4),
            ("source", "source", 6),
            ("ran", "ran", 10),
            ("next", "next", 10),
            ("time", "time", 14),
        ):
            table.add_column(label, key=key, width=width)

    def on_screen_resume(self) -> None:
        self.action_reload()

    # --- loading ---------------------------------------------------------------------------

    def action_reload(self) -> None:
        """Load the newest page again (keeps the selection when it is still there)."""
        self.load_page(before=None)

    def action_load_more(self) -> None:
        """Load the next (older) page."""
        if self.has_more and self.states:
            self.load_page(before=checkpoint_id_of(self.states[-1]))

    @work(exclusive=True, group="history", exit_on_error=False)
    async def load_page(self, before: str | None) -> None:
        """Fetch one page of history (``before``: the oldest checkpoint id shown)."""
        page = await self.client.threads.get_history(self.thread_id, limit=PAGE_SIZE, before=before)
        self.states = page if before is None else [*self.states, *page]
        self.has_more = len(page) >= PAGE_SIZE
        self._fill_table()

    def _fill_table(self) -> None:
        table = self.query_one("#history-table", DataTable)
        keep = self._selected
        table.clear()
        known = {checkpoint_id_of(s) for s in self.states} | set(self._parents)
        rows = {
            row.checkpoint_id: row
            for row in checkpoint_rows(self.states, list(self._parents.values()))
        }
        tree = CheckpointTree.from_states(self.states)
        head = self.head if self.head in tree.nodes else tree.latest()
        # newest branch first: the tree's order read backwards keeps each branch together
        shown = [r for r in reversed(tree.rows(head)) if r.node.checkpoint_id in rows]
        self._order = [r.node.checkpoint_id for r in shown]
        for tree_row in shown:
            row = rows[tree_row.node.checkpoint_id]
            ran = ran_label(row, known)  # what `bbot-tui history` prints too
            cells = [
                Text("" if row.step is None else str(row.step)),
                Text(row.source),
                Text(ran),
                Text(", ".join(row.next) or "—"),
                Text(row.time),
            ]
            if not tree_row.current:
                for cell in cells:
                    cell.stylize("dim")
            # the branch mark is the row's label: the cells stay step, source, ran, next, time
            table.add_row(*cells, key=row.checkpoint_id, label=_branch_cell(tree_row))
        self.query_one("#history-more", Button).disabled = not self.has_more
        self._fill_as_node()
        if not self.states:
            self._show(None)
            return
        ids = self._order
        index = ids.index(keep) if keep in ids else 0
        table.move_cursor(row=index)
        self._show(self._state_of(ids[index]) if ids else None)

    def _state_of(self, checkpoint_id: str | None) -> ThreadState | None:
        return next((s for s in self.states if checkpoint_id_of(s) == checkpoint_id), None)

    def _fill_as_node(self) -> None:
        names = list(self.node_names)
        for state in self.states:
            names += [t.name for t in state.tasks if t.name and not t.name.startswith("__")]
        unique = list(dict.fromkeys(names))
        select = self.query_one("#history-as-node", Select)
        current = select.value
        select.set_options([(Content(one_line(n, 40)), n) for n in unique])
        if current in unique:
            select.value = current

    # --- selection -------------------------------------------------------------------------

    def selected_state(self) -> ThreadState | None:
        """The selected checkpoint's state."""
        for state in self.states:
            if checkpoint_id_of(state) == self._selected:
                return state
        return None

    def _parent_of(self, state: ThreadState) -> ThreadState | None:
        rows = checkpoint_rows([state])
        parent_id = rows[0].parent_id if rows else None
        if not parent_id:
            return None
        for other in self.states:
            if checkpoint_id_of(other) == parent_id:
                return other
        return self._parents.get(parent_id)

    @on(DataTable.RowHighlighted, "#history-table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        key = event.row_key.value
        if key == self._selected:
            return
        for state in self.states:
            if checkpoint_id_of(state) == key:
                self._show(state)
                return

    def _show(self, state: ThreadState | None) -> None:
        self._selected = checkpoint_id_of(state) if state else None
        summary = self.query_one("#history-summary", Static)
        values = self.query_one("#history-values", JsonView)
        editor = self.query_one("#history-editor", TextArea)
        if state is None:
            summary.update(Text("No checkpoint (the thread has no history yet)."))
            values.set_value(None)
            self.query_one("#history-diff", Static).update("")
            editor.load_text("")
            return
        summary.update(self._summary(state))
        values.set_value(state.values)
        editor.load_text(dump_json(state.values if state.values is not None else {}))
        self.query_one("#history-edit-error", Static).update("")
        parent = self._parent_of(state)
        rows = checkpoint_rows([state])
        if parent is None and rows and rows[0].parent_id:
            self.query_one("#history-diff", Static).update(Text("loading the parent…"))
            self.fetch_parent(rows[0].parent_id)
        else:
            self._show_diff(state, parent)

    def _summary(self, state: ThreadState) -> Text:
        row: CheckpointRow = checkpoint_rows([state])[0]
        text = Text()
        text.append("checkpoint ", "dim")
        text.append(one_line(row.checkpoint_id or "?", 40))
        text.append(f"  step {row.step}  {row.source}  {row.time}\n", "dim")
        text.append("next: ", "bold")
        text.append(", ".join(row.next) or "— (the run ended here)")
        for task in state.tasks:
            text.append("\ntask ", "bold")
            text.append(one_line(task.name, 40))
            if task.error:
                text.append(f"  error: {one_line(task.error, 80)}", "red")
            elif task.interrupts:
                values = "; ".join(
                    one_line(dump_json(i.value, indent=None), 60) for i in task.interrupts
                )
                text.append(f"  interrupt: {values}", "yellow")
            elif task.result is not None:
                text.append("  done", "green")
            else:
                text.append("  pending", "dim")
        return text

    def _show_diff(self, state: ThreadState, parent: ThreadState | None) -> None:
        lines = diff_values(parent.values if parent else None, state.values)
        text = Text()
        if parent is None:
            text.append("first checkpoint: everything is new\n", "dim")
        if not lines:
            text.append("no change in the values", "dim")
        for line in lines:
            mark, style = _DIFF_STYLE[line.kind]
            text.append(mark + line.key, style)
            text.append("  " + line.text + "\n")
        self.query_one("#history-diff", Static).update(text)

    @work(exclusive=True, group="history-parent", exit_on_error=False)
    async def fetch_parent(self, parent_id: str) -> None:
        """Fetch a parent checkpoint that is not on a loaded page (for the diff)."""
        parent = await self.client.threads.get_state(self.thread_id, checkpoint_id=parent_id)
        self._parents[parent_id] = parent
        state = self.selected_state()
        if state is not None and self._parent_of(state) is parent:
            self._show_diff(state, parent)

    # --- actions ---------------------------------------------------------------------------

    def action_close(self) -> None:
        """Go back without doing anything."""
        self.dismiss(None)

    def action_rerun(self) -> None:
        """Re-run from the selected checkpoint."""
        if self._selected:
            self.dismiss(("rerun", self._selected))

    def action_edit(self) -> None:
        """Open the state editor of the selected checkpoint."""
        self.query_one("#history-detail", TabbedContent).active = "tab-edit"
        self.query_one("#history-editor", TextArea).focus()

    def action_copy_thread(self) -> None:
        """Copy the thread (with its history) and open the copy."""
        self.copy_thread()

    @work(exclusive=True, group="history-action", exit_on_error=False)
    async def copy_thread(self) -> None:
        """``threads.copy``, then dismiss with ``("open", new_thread_id)``."""
        thread = await self.client.threads.copy(self.thread_id)
        self.dismiss(("open", thread.thread_id))

    def action_fork(self) -> None:
        """Write the edited values at the selected checkpoint (a fork)."""
        error = self.query_one("#history-edit-error", Static)
        if not self._selected:
            error.update(Text("select a checkpoint first"))
            return
        try:
            values = parse_json_text(self.query_one("#history-editor", TextArea).text, expect=dict)
        except JsonTextError as exc:
            error.update(Text(str(exc)))
            self.app.bell()
            return
        as_node = self.query_one("#history-as-node", Select).value
        self.fork(values, None if as_node == Select.NULL else str(as_node), self._selected)

    @work(exclusive=True, group="history-action", exit_on_error=False)
    async def fork(self, values: dict[str, Any], as_node: str | None, checkpoint_id: str) -> None:
        """Fork: ``threads.update_state`` at ``checkpoint_id``, then ``("open", thread_id)``."""
        await self.client.threads.update_state(
            self.thread_id, values, as_node=as_node, checkpoint_id=checkpoint_id
        )
        self.dismiss(("open", self.thread_id))

    @on(Button.Pressed)
    def _button(self, event: Button.Pressed) -> None:
        actions = {
            "history-more": self.action_load_more,
            "history-rerun": self.action_rerun,
            "history-edit": self.action_edit,
            "history-copy": self.action_copy_thread,
            "history-close": self.action_close,
            "history-fork": self.action_fork,
        }
        action = actions.get(event.button.id or "")
        if action is not None:
            event.stop()
            action()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state != WorkerState.ERROR:
            return
        error = event.worker.error
        message = error.message if isinstance(error, ApiError) else str(error)
        if isinstance(error, ValidationError):
            message = "the server's answer was not understood"
        target = "#history-edit-error" if event.worker.group == "history-action" else None
        if target:
            self.query_one(target, Static).update(Text(one_line(message, 200)))
        self.notify(one_line(message, 200), title="history", severity="error")


def _branch_cell(row: TreeRow) -> Text:
    """The branch column: indentation by depth, ``●`` on the branch shown, ``◆`` at the head,
    ``┬`` where the thread branched."""
    mark = "◆" if row.head else ("●" if row.current else "○")
    text = Text("  " * min(row.depth, 3) + mark + (" ┬" if row.branch_point else ""))
    if not row.current:
        text.stylize("dim")
    return text
