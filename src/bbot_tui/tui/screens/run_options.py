"""The run-options dialog: edit the options of the next runs (key ``o`` on the main screen).

``RunOptionsScreen(options, node_names=[...], entity_id=...)`` is a
``ModalScreen[RunOptions | None]``: Save (button or ``ctrl+s``) validates the form's model AND
the request it would make (:meth:`RunOptions.validate_request`, the client's own models); any
invalid field shows its own error and the dialog stays open. A valid form dismisses with the
:class:`~bbot_tui.session.run_options.RunOptions`; Escape (or Cancel) dismisses with None.
"""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import ValidationError
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Static

from bbot_tui.session.run_options import RunOptions, field_errors
from bbot_tui.text import one_line
from bbot_tui.tui.resources import stylesheet
from bbot_tui.tui.widgets.run_options import RunOptionsForm

__all__ = ["RunOptionsScreen"]


class RunOptionsScreen(ModalScreen[RunOptions | None]):
    """A dialog around :class:`RunOptionsForm` that returns the saved options.

    Args:
        options: the current options.
        node_names: the assistant's graph nodes (breakpoints, goto).
        entity_id: B-Bot's entity id of the selected assistant (pre-filled in configurable).
        title: the dialog's title (e.g. the assistant's name).
    """

    CSS_PATH = stylesheet("run_options.tcss")
    """The dialog's and the form's styles, loaded when the dialog first opens (not at start)."""
    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "save", "Save"),
        Binding("ctrl+r", "reset", "Defaults", show=False),
    ]
    """Escape cancels, ctrl+s saves, ctrl+r resets every field to its default."""

    def __init__(
        self,
        options: RunOptions | None = None,
        *,
        node_names: Iterable[str] = (),
        entity_id: str | None = None,
        title: str | None = None,
    ) -> None:
        super().__init__()
        self.options = options or RunOptions()
        self.node_names = list(node_names)
        self.entity_id = entity_id
        self.dialog_title = title

    def compose(self) -> ComposeResult:
        with Vertical(id="run-options-dialog"):
            title = "Run options" + (f" — {self.dialog_title}" if self.dialog_title else "")
            yield Static(Text(one_line(title, 80), style="bold"), id="run-options-title")
            yield RunOptionsForm(self.options, node_names=self.node_names, entity_id=self.entity_id)
            with Horizontal(id="run-options-buttons"):
                yield Button("Defaults", id="run-options-reset")
                yield Button("Cancel", id="run-options-cancel")
                yield Button("Save (ctrl+s)", id="run-options-save", variant="primary")
        yield Footer()  # this dialog's keys, over the main screen's

    @property
    def form(self) -> RunOptionsForm:
        """The form."""
        return self.query_one(RunOptionsForm)

    def action_save(self) -> None:
        """Validate; dismiss with the options, or show every field's error and stay."""
        try:
            options = self.form.to_model()
            options.validate_request()
        except ValidationError as exc:
            self.form.show_errors(field_errors(exc))
            self.app.bell()
            return
        self.dismiss(options)

    def action_cancel(self) -> None:
        """Close without saving."""
        self.dismiss(None)

    def action_reset(self) -> None:
        """Show the default options (saved only with Save)."""
        self.form.load(RunOptions())

    @on(Button.Pressed, "#run-options-save")
    def _save(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#run-options-cancel")
    def _cancel(self) -> None:
        self.action_cancel()

    @on(Button.Pressed, "#run-options-reset")
    def _reset(self) -> None:
        self.action_reset()
