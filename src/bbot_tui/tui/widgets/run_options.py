"""The run-options form: every run option, grouped, round-tripping :class:`RunOptions`.

``RunOptionsForm.load(options)`` fills the controls; ``to_model()`` reads them back into a
:class:`~bbot_tui.session.run_options.RunOptions` (raising the model's ``ValidationError``, whose
``loc`` names the field). ``show_errors(field_errors(exc))`` puts each message next to its own
field (errors of no field go to the line at the bottom) and focuses the first invalid field.
The text typed in a JSON field is never rewritten, so a syntax error (shown with its line and
column) can be fixed in place. The focused field's help (its pydantic ``description``) is shown
in the help line.

Control ids are ``opt-<field>`` and error lines ``error-<field>`` (field names in kebab-case,
e.g. ``#opt-configurable``, ``#error-recursion-limit``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, get_args

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.suggester import SuggestFromList
from textual.widget import Widget
from textual.widgets import Checkbox, Input, Label, Select, SelectionList, Static, TextArea

from bbot_tui.api.literals import (
    Durability,
    IfNotExists,
    MultitaskStrategy,
    OnCompletion,
    OnDisconnect,
    StreamMode,
)
from bbot_tui.session.run_options import ROOT_FIELD, RunOptions
from bbot_tui.text import one_line
from bbot_tui.tui.widgets.toggles import MarkedCheckbox, MarkedSelectionList

__all__ = ["RunOptionsForm"]

_TRI = [("yes", True), ("no", False)]
_CHOICES: dict[str, list[tuple[str, Any]]] = {
    "mode": [
        ("stream on the thread", "stream"),
        ("stateless stream", "stateless"),
        ("wait for the result", "wait"),
    ],
    "stream_subgraphs": _TRI,
    "stream_resumable": _TRI,
    "checkpoint_during": _TRI,
    "durability": [(d, d) for d in get_args(Durability)],
    "multitask_strategy": [(m, m) for m in get_args(MultitaskStrategy)],
    "if_not_exists": [(m, m) for m in get_args(IfNotExists)],
    "on_disconnect": [(m, m) for m in get_args(OnDisconnect)],
    "on_completion": [(m, m) for m in get_args(OnCompletion)],
}
_TEXTS = {"resume_text", "update_text", "configurable", "context", "metadata"}
_LISTS = {"tags", "feedback_keys"}
_SECTIONS: list[tuple[str, list[tuple[str, str]]]] = [
    ("Run", [("mode", "mode")]),
    (
        "Streaming",
        [
            ("stream_mode", "stream modes"),
            ("stream_subgraphs", "subgraphs"),
            ("stream_resumable", "resumable"),
        ],
    ),
    ("Interrupts", [("interrupt_before", "stop before"), ("interrupt_after", "stop after")]),
    (
        "Command (next run only)",
        [
            ("resume_as_json", "resume as JSON"),
            ("resume_text", "resume"),
            ("update_text", "update"),
            ("goto_text", "goto"),
        ],
    ),
    (
        "Durability & checkpoint",
        [
            ("durability", "durability"),
            ("checkpoint_id", "checkpoint id"),
            ("checkpoint_during", "checkpoint during"),
        ],
    ),
    (
        "Concurrency",
        [
            ("multitask_strategy", "if busy"),
            ("if_not_exists", "if no thread"),
            ("on_disconnect", "on disconnect"),
            ("on_completion", "on completion"),
            ("after_seconds", "after seconds"),
        ],
    ),
    (
        "Config",
        [
            ("recursion_limit", "recursion limit"),
            ("tags", "tags"),
            ("configurable", "configurable"),
            ("context", "context"),
            ("metadata", "metadata"),
            ("webhook", "webhook"),
            ("feedback_keys", "feedback keys"),
        ],
    ),
]
FIELD_NAMES: tuple[str, ...] = tuple(name for _, fields in _SECTIONS for name, _ in fields)


def _kebab(name: str) -> str:
    return name.replace("_", "-")


class _Field(Vertical):
    """One field: label, control and its error line."""

    def __init__(self, name: str) -> None:
        super().__init__(id=f"field-{_kebab(name)}", classes="field")
        self.field_name = name


class RunOptionsForm(Vertical):
    """Every run option, grouped in sections, with per-field errors and a help line.

    Args:
        options: the options to show (defaults when None).
        node_names: the assistant's graph nodes, offered for breakpoints and goto.
        entity_id: B-Bot's entity id; pre-filled in ``configurable`` when that is empty.
    """

    def __init__(
        self,
        options: RunOptions | None = None,
        *,
        node_names: Iterable[str] = (),
        entity_id: str | None = None,
        id: str | None = "run-options-form",
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.node_names = [n for n in node_names if n not in ("__start__", "__end__")]
        self.entity_id = entity_id
        self._initial = options or RunOptions()

    # --- layout ------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="run-options-fields"):
            for title, fields in _SECTIONS:
                yield Static(title, classes="section-title", markup=False)
                for name, label in fields:
                    with _Field(name):
                        with Horizontal(classes="field-row"):
                            yield Label(label, classes="field-label", markup=False)
                            yield self._control(name)
                        yield Static("", id=f"error-{_kebab(name)}", classes="field-error")
                if title == "Interrupts":
                    yield Static("", id="breakpoint-warnings", classes="field-warning")
        yield Static("", id="run-options-error", classes="field-error")
        yield Static("", id="run-options-help")

    def _control(self, name: str) -> Widget:
        cid = f"opt-{_kebab(name)}"
        if name in _CHOICES:
            blank = name != "mode"
            return Select(
                [(Content(p), v) for p, v in _CHOICES[name]],
                prompt="server default",
                allow_blank=blank,
                id=cid,
                compact=True,
                classes="field-control",
            )
        if name == "stream_mode":
            return MarkedSelectionList(
                *[(Content(m), m) for m in get_args(StreamMode)], id=cid, classes="field-control"
            )
        if name in ("interrupt_before", "interrupt_after"):
            return MarkedSelectionList(id=cid, classes="field-control")
        if name == "resume_as_json":
            return MarkedCheckbox("JSON (else plain text)", True, id=cid, compact=True)
        if name in _TEXTS:
            hint = "text or JSON" if name == "resume_text" else "a JSON object {…}"
            if name == "update_text":
                hint = 'a JSON object, e.g. {"messages": [...]}'
            return TextArea(
                "",
                language=None,
                tab_behavior="focus",
                placeholder=hint,
                compact=True,
                id=cid,
                classes="json-text",
            )
        suggester = SuggestFromList(self.node_names) if name == "goto_text" else None
        kind = {"after_seconds": "number", "recursion_limit": "integer"}.get(name, "text")
        hint = "comma-separated" if name in _LISTS or name == "goto_text" else ""
        return Input(
            id=cid,
            type=kind,  # type: ignore[arg-type]
            placeholder=hint,
            suggester=suggester,
            compact=True,
            classes="field-control",
        )

    def on_mount(self) -> None:
        self.load(self._initial)

    # --- model round trip ------------------------------------------------------------------

    def _get(self, name: str) -> Any:
        return self.query_one(f"#opt-{_kebab(name)}")

    def _node_choices(self, chosen: Any) -> list[tuple[Content, str, bool]]:
        star = chosen == "*"
        names = list(self.node_names)
        if isinstance(chosen, list):
            names += [n for n in chosen if n not in names]
        choices = [(Content("* (every node)"), "*", star)]
        for node in names:
            label = one_line(node, 40) + ("" if node in self.node_names else "  (not in graph)")
            choices.append((Content(label), node, isinstance(chosen, list) and node in chosen))
        return choices

    def load(self, options: RunOptions) -> None:
        """Show ``options`` in the controls (``entity_id`` pre-filled if configurable is empty)."""
        for name in FIELD_NAMES:
            value = getattr(options, name)
            control = self._get(name)
            if name in _CHOICES:
                control.value = Select.NULL if value is None else value
            elif name == "stream_mode":
                control.deselect_all()
                for mode in value:
                    control.select(mode)
            elif name in ("interrupt_before", "interrupt_after"):
                control.clear_options()
                control.add_options(self._node_choices(value))
            elif name == "resume_as_json":
                control.value = bool(value)
            elif name in _TEXTS:
                text = value
                if name == "configurable" and not value.strip() and self.entity_id:
                    text = json.dumps({"entity_id": self.entity_id}, ensure_ascii=False)
                control.load_text(text)
            elif name in _LISTS:
                control.value = ", ".join(value)
            else:
                control.value = "" if value is None else str(value)
        self.clear_errors()
        self._update_warnings()

    def raw_values(self) -> dict[str, Any]:
        """The controls' values as the model's input (before validation)."""
        raw: dict[str, Any] = {}
        for name in FIELD_NAMES:
            control = self._get(name)
            if name in _CHOICES:
                raw[name] = None if control.value == Select.NULL else control.value
            elif name in ("stream_mode", "interrupt_before", "interrupt_after"):
                selected = list(control.selected)
                raw[name] = "*" if "*" in selected else selected
            elif name == "resume_as_json":
                raw[name] = control.value
            elif name in _TEXTS:
                raw[name] = control.text
            elif name in _LISTS:
                raw[name] = [p.strip() for p in control.value.split(",") if p.strip()]
            elif name == "goto_text":
                raw[name] = control.value
            else:
                raw[name] = control.value.strip() or None
        return raw

    def to_model(self) -> RunOptions:
        """The options the controls show.

        Raises:
            ValidationError: a field is invalid (``loc[0]`` is the field name).
        """
        return RunOptions.model_validate(self.raw_values())

    # --- errors, warnings, help --------------------------------------------------------------

    def clear_errors(self) -> None:
        """Remove every error shown."""
        for box in self.query(".field.-invalid"):
            box.remove_class("-invalid")
        for line in self.query(".field-error"):
            line.update("")  # type: ignore[attr-defined]
        self.query_one("#run-options-error").display = False

    def show_errors(self, errors: dict[str, list[str]]) -> None:
        """Show each message next to its field; focus the first invalid field."""
        self.clear_errors()
        first: str | None = None
        rest: list[str] = []
        for name in FIELD_NAMES:
            if name not in errors:
                continue
            self.query_one(f"#field-{_kebab(name)}").add_class("-invalid")
            message = "; ".join(errors[name])
            self.query_one(f"#error-{_kebab(name)}", Static).update(Text(one_line(message, 300)))
            first = first or name
        for name, messages in errors.items():
            if name not in FIELD_NAMES:
                prefix = "" if name == ROOT_FIELD else f"{name}: "
                rest.extend(prefix + m for m in messages)
        root = self.query_one("#run-options-error", Static)
        root.update(Text(one_line("; ".join(rest), 300)))
        root.display = bool(rest)
        if first is not None:
            self._get(first).focus(scroll_visible=False)
            box = self.query_one(f"#field-{_kebab(first)}")
            self.call_after_refresh(box.scroll_visible, animate=False)

    def _update_warnings(self) -> None:
        raw = self.raw_values()
        options = RunOptions.model_construct(
            interrupt_before=raw["interrupt_before"], interrupt_after=raw["interrupt_after"]
        )
        warnings = options.validate_nodes(self.node_names)
        self.query_one("#breakpoint-warnings", Static).update(Text("\n".join(warnings)))

    def _field_of(self, widget: Widget | None) -> str | None:
        node: Any = widget
        while node is not None and node is not self:
            if isinstance(node, _Field):
                return node.field_name
            node = node.parent
        return None

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        name = self._field_of(event.widget)
        help_text = RunOptions.help_for(name) if name else ""
        self.query_one("#run-options-help", Static).update(Text(help_text))

    @on(SelectionList.SelectedChanged)
    def _selection_changed(self, event: SelectionList.SelectedChanged[str]) -> None:
        self._clear_field(event.selection_list)
        if event.selection_list.id in ("opt-interrupt-before", "opt-interrupt-after"):
            self._update_warnings()

    @on(Input.Changed)
    @on(TextArea.Changed)
    @on(Select.Changed)
    @on(Checkbox.Changed)
    def _edited(self, event: Any) -> None:
        self._clear_field(event.control)

    def _clear_field(self, control: Widget) -> None:
        name = self._field_of(control)
        if name is None:
            return
        box = self.query_one(f"#field-{_kebab(name)}")
        if box.has_class("-invalid"):
            box.remove_class("-invalid")
            self.query_one(f"#error-{_kebab(name)}", Static).update("")
