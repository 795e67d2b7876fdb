"""One pending interrupt inside the interrupt card: its id, namespace, value and answer controls.

The controls depend on the payload shape (:func:`bbot_tui.session.interrupts.classify`):

* legacy HumanInterrupt: per request a radio set of the allowed responses (accept / edit /
  respond / ignore), an args JSON editor (edit) and a reply field (respond);
* HITL v1: per action a radio set of the allowed decisions (approve / edit / reject), an args
  JSON editor (edit) and a message field (reject);
* anything else: one answer field, read as text or (with "JSON" ticked) as JSON.

:meth:`InterruptItem.answer` builds the resume value from the controls with the builders of
:mod:`bbot_tui.session.interrupts`; it raises ``ValueError`` (a :class:`JsonTextError` for bad JSON,
naming line and column) when the controls do not make an answer yet. :meth:`InterruptItem.load`
does the reverse: it sets the controls to an answer.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Checkbox, Input, RadioButton, RadioSet, Static, TextArea

from bbot_tui.session.interrupts import (
    LegacyRequest,
    V1Action,
    classify,
    legacy_requests,
    legacy_response,
    legacy_resume,
    short_namespace,
    v1_actions,
    v1_decision,
    v1_resume,
)
from bbot_tui.session.jsontext import dump_json, parse_json_text
from bbot_tui.stream.transcript import PendingInterrupt
from bbot_tui.text import one_line, sanitize
from bbot_tui.tui.widgets.json_view import JsonView
from bbot_tui.tui.widgets.toggles import MarkedCheckbox, MarkedRadioButton

__all__ = ["InterruptItem"]

_LEGACY_LABELS = {"accept": "accept", "edit": "edit", "response": "respond", "ignore": "ignore"}


def _short_id(interrupt_id: str | None) -> str:
    if not interrupt_id:
        return "(no id)"
    return interrupt_id if len(interrupt_id) <= 12 else interrupt_id[:8] + "…"


class InterruptItem(Vertical):
    """One pending interrupt and the controls that answer it.

    Args:
        interrupt: the pending interrupt.
        index: its position in the card (used in the controls' ids: ``q{index}-…``).
    """

    def __init__(self, interrupt: PendingInterrupt, index: int) -> None:
        super().__init__(id=f"q{index}", classes="interrupt-item")
        self.interrupt = interrupt
        self.index = index
        self.shape = classify(interrupt.value)
        self.legacy: list[LegacyRequest] = (
            legacy_requests(interrupt.value) if self.shape == "legacy" else []
        )
        self.actions: list[V1Action] = (
            v1_actions(interrupt.value) if self.shape == "hitl_v1" else []
        )

    # --- layout ------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        head = Text.assemble(
            (f"#{self.index + 1} ", "bold"),
            ("id ", "dim"),
            one_line(_short_id(self.interrupt.id), 20),
        )
        if self.interrupt.ns:
            head.append_text(
                Text.assemble(("  in ", "dim"), one_line(short_namespace(self.interrupt.ns), 40))
            )
        head.append_text(Text(f"  ({self.shape.replace('_', ' ')})", style="dim"))
        yield Static(head, classes="interrupt-head")
        yield JsonView(
            self.interrupt.value,
            label="value",
            expand_depth=3 if self.shape == "generic" else 0,
            id=f"q{self.index}-value",
        )
        if self.shape == "legacy":
            for n, request in enumerate(self.legacy):
                yield from self._legacy_controls(n, request)
        elif self.shape == "hitl_v1":
            for n, action in enumerate(self.actions):
                yield from self._v1_controls(n, action)
        else:
            with Horizontal(classes="answer-row"):
                yield Input(
                    placeholder="your answer (Enter sends)",
                    id=f"q{self.index}-answer",
                    classes="answer",
                    compact=True,
                )
                yield MarkedCheckbox(
                    "JSON", False, id=f"q{self.index}-json", classes="answer-json", compact=True
                )

    def _describe(self, name: str, args: Any, description: str) -> Static:
        text = Text.assemble(("action ", "dim"), (one_line(name, 60), "bold"), " ")
        text.append(one_line(dump_json(args, indent=None), 200))
        if description:
            text.append("\n")
            text.append(sanitize(description.strip()))
        return Static(text, classes="interrupt-action")

    def _radio(self, n: int, kinds: tuple[str, ...], labels: dict[str, str]) -> RadioSet:
        buttons = [
            MarkedRadioButton(Content(labels.get(k, k)), value=(i == 0), name=k)
            for i, k in enumerate(kinds)
        ]
        return RadioSet(*buttons, id=f"q{self.index}-kind-{n}", classes="decision")

    def _legacy_controls(self, n: int, request: LegacyRequest) -> ComposeResult:
        yield self._describe(request.action, request.args, request.description)
        if not request.allowed:
            yield Static("this request allows no response", classes="interrupt-warning")
            return
        yield self._radio(n, request.allowed, _LEGACY_LABELS)
        yield self._args_editor(n, request.args, request.allowed[0] == "edit")
        reply = Input(
            placeholder="your reply (Enter sends)",
            id=f"q{self.index}-text-{n}",
            classes="reply",
            compact=True,
        )
        reply.display = request.allowed[0] == "response"
        yield reply

    def _v1_controls(self, n: int, action: V1Action) -> ComposeResult:
        yield self._describe(action.name, action.args, action.description)
        if not action.allowed:
            yield Static("this action allows no decision", classes="interrupt-warning")
            return
        yield self._radio(n, action.allowed, {})
        yield self._args_editor(n, action.args, action.allowed[0] == "edit")
        reason = Input(
            placeholder="why (optional message; Enter sends)",
            id=f"q{self.index}-text-{n}",
            classes="reply",
            compact=True,
        )
        reason.display = action.allowed[0] == "reject"
        yield reason

    def _args_editor(self, n: int, args: Any, shown: bool) -> TextArea:
        editor = TextArea(
            dump_json(args if args is not None else {}),
            language=None,
            soft_wrap=True,
            tab_behavior="focus",
            id=f"q{self.index}-args-{n}",
            classes="args-editor",
        )
        editor.display = shown
        return editor

    # --- state -------------------------------------------------------------------------

    def kind(self, n: int) -> str | None:
        """The response/decision chosen for request ``n`` (legacy and HITL v1)."""
        radio = self.query_one(f"#q{self.index}-kind-{n}", RadioSet)
        button = radio.pressed_button
        return button.name if button is not None else None

    def sync_visibility(self) -> None:
        """Show the args editor / text field that the chosen response needs."""
        for n in range(len(self.legacy) or len(self.actions)):
            radios = self.query(f"#q{self.index}-kind-{n}")
            if not radios:
                continue
            kind = self.kind(n)
            self.query_one(f"#q{self.index}-args-{n}").display = kind == "edit"
            text_kind = "response" if self.shape == "legacy" else "reject"
            self.query_one(f"#q{self.index}-text-{n}").display = kind == text_kind

    def _args(self, n: int) -> Any:
        text = self.query_one(f"#q{self.index}-args-{n}", TextArea).text
        try:
            return parse_json_text(text, expect=dict)
        except ValueError as exc:
            raise ValueError(f"#{self.index + 1} edited args: {exc}") from None

    def _text(self, n: int) -> str:
        return self.query_one(f"#q{self.index}-text-{n}", Input).value

    def load(self, value: Any) -> bool:
        """Set the controls to an answer: the inverse of :meth:`answer` (a script's answer,
        shown before it is sent in presenter mode).

        Returns:
            False when the value does not fit the controls (they are then left as they were).
        """
        if self.shape == "generic":
            text = value if isinstance(value, str) else dump_json(value, indent=None)
            self.query_one(f"#q{self.index}-answer", Input).value = text
            self.query_one(f"#q{self.index}-json", Checkbox).value = not isinstance(value, str)
            return True
        if self.shape == "hitl_v1":
            items = value.get("decisions") if isinstance(value, dict) else None
            allowed = [a.allowed for a in self.actions]
            key, text_key = "edited_action", "message"
        else:
            items = value if isinstance(value, list) else [value]
            allowed = [r.allowed for r in self.legacy]
            key, text_key = "args", "args"
        if not isinstance(items, list) or len(items) != len(allowed):
            return False
        kinds = [item.get("type") if isinstance(item, dict) else None for item in items]
        if any(kind not in ok for kind, ok in zip(kinds, allowed, strict=True)):
            return False
        text_kind = "reject" if self.shape == "hitl_v1" else "response"
        for n, (kind, item) in enumerate(zip(kinds, items, strict=True)):
            for button in self.query_one(f"#q{self.index}-kind-{n}", RadioSet).query(RadioButton):
                button.value = button.name == kind
            edited = item.get(key)
            if kind == "edit" and isinstance(edited, dict):
                args = edited.get("args")
                self.query_one(f"#q{self.index}-args-{n}", TextArea).load_text(dump_json(args))
            elif kind == text_kind:
                reply = item.get(text_key)
                self.query_one(f"#q{self.index}-text-{n}", Input).value = (
                    reply if isinstance(reply, str) else ""
                )
        return True

    def answer(self) -> Any:
        """The resume value the controls make.

        Raises:
            ValueError: no answer yet, or the JSON typed is invalid (with line and column).
        """
        if self.shape == "legacy":
            responses = []
            for n, request in enumerate(self.legacy):
                kind = self.kind(n) if request.allowed else None
                if kind is None:
                    raise ValueError(f"#{self.index + 1}: choose a response")
                if kind == "edit":
                    responses.append(
                        legacy_response("edit", action=request.action, args=self._args(n))
                    )
                elif kind == "response":
                    responses.append(legacy_response("response", text=self._text(n)))
                else:
                    responses.append(legacy_response(kind))  # type: ignore[arg-type]
            return legacy_resume(self.interrupt.value, responses)
        if self.shape == "hitl_v1":
            decisions = []
            for n, action in enumerate(self.actions):
                kind = self.kind(n) if action.allowed else None
                if kind is None:
                    raise ValueError(f"#{self.index + 1}: choose a decision")
                if kind == "edit":
                    decisions.append(v1_decision("edit", name=action.name, args=self._args(n)))
                elif kind == "reject":
                    decisions.append(v1_decision("reject", message=self._text(n).strip() or None))
                else:
                    decisions.append(v1_decision("approve"))
            return v1_resume(decisions)
        text = self.query_one(f"#q{self.index}-answer", Input).value
        as_json = self.query_one(f"#q{self.index}-json", Checkbox).value
        if not text.strip() and not as_json:
            raise ValueError(f"#{self.index + 1}: type an answer")
        if as_json:
            try:
                return parse_json_text(text)
            except ValueError as exc:
                raise ValueError(f"#{self.index + 1}: {exc}") from None
        return text
