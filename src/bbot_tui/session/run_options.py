"""Run options: every option of a run body except ``assistant_id`` and ``input`` (UI-free).

Contract (shared with the app and the run-options form):

* :class:`RunOptions` is what the run-options form edits (``RunOptionsForm.load`` /
  ``to_model``) and what the app remembers per assistant (``Settings.run_options[assistant_id]``
  through :meth:`RunOptions.to_settings` / :meth:`RunOptions.from_settings`).
* JSON options (``configurable``, ``context``, ``metadata``, the command's ``update_text`` and a
  JSON ``resume_text``) are held as the TEXT the user typed; a syntax error is a validation error
  of that field naming line and column, and the text is kept. ``*_value()`` methods give the
  parsed values.
* :meth:`RunOptions.build` makes the request by constructing the SAME models the client sends
  (:class:`~bbot_tui.api.models.RunCreate` or ``RunCreateStateless``). Unset options are not
  sent, so the server's defaults apply. A :class:`pydantic.ValidationError` raised there is
  re-raised with every ``loc`` mapped to a form field name (``("config", "configurable")`` →
  ``("configurable",)``), so the form shows each error next to its own field
  (:func:`field_errors`).
* The command fields and ``checkpoint_id`` are one-shot: they are used for the next run only and
  are not remembered by :meth:`to_settings` (a remembered resume value would break every later
  chat message). The app clears them with :meth:`without_one_shot` after using them.
* :func:`toggle_breakpoint` toggles a node (or ``"*"``) in ``interrupt_before``/``_after`` for a
  one-keystroke binding; :meth:`RunOptions.validate_nodes` warns about node names that are not
  in the assistant's graph (the server silently accepts them and never stops, docs/PROTOCOL.md,
  case U5).

Nothing here imports Textual.
"""

from __future__ import annotations

import logging
from typing import Any, Literal, TypeAlias

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from bbot_tui.api.literals import (
    DEFAULT_STREAM_MODES,
    Durability,
    IfNotExists,
    MultitaskStrategy,
    OnCompletion,
    OnDisconnect,
    StreamMode,
)
from bbot_tui.api.models import Command, RunCreate, RunCreateStateless
from bbot_tui.session.jsontext import JsonTextError, parse_json_text

__all__ = [
    "ONE_SHOT_FIELDS",
    "ROOT_FIELD",
    "RunMode",
    "RunOptions",
    "field_errors",
    "toggle_breakpoint",
]

log = logging.getLogger(__name__)

RunMode: TypeAlias = Literal["stream", "stateless", "wait"]
ONE_SHOT_FIELDS: frozenset[str] = frozenset(
    {"resume_text", "resume_as_json", "update_text", "goto_text", "checkpoint_id"}
)
"""Fields used for the next run only, never remembered."""
ROOT_FIELD = "__root__"
"""The form field name of errors that belong to no single field."""


def _json_object(value: str) -> str:
    if value.strip():
        try:
            parse_json_text(value, expect=dict)
        except JsonTextError as exc:
            raise PydanticCustomError("json_text", "{reason}", {"reason": str(exc)}) from None
    return value


class RunOptions(BaseModel):
    """The options of the next runs, as the run-options form shows them."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    mode: RunMode = Field(
        default="stream",
        description="stream: stream on the thread; stateless: a stream with no thread kept; "
        "wait: one answer when the run is done.",
    )
    # --- streaming
    stream_mode: list[StreamMode] = Field(
        default_factory=lambda: list(DEFAULT_STREAM_MODES),
        description="What the stream carries; messages-tuple and updates are what the "
        "transcript needs (interrupts arrive in updates or values).",
    )
    stream_subgraphs: bool | None = Field(
        default=None, description="Also stream events from subgraphs (server default: no)."
    )
    stream_resumable: bool | None = Field(
        default=None,
        description="Keep the stream on the server so a dropped connection is rejoined "
        "without loss (bbot-tui turns it on for thread runs unless set here).",
    )
    # --- interrupts
    interrupt_before: Literal["*"] | list[str] = Field(
        default_factory=list, description="Stop before these nodes ('*' for every node)."
    )
    interrupt_after: Literal["*"] | list[str] = Field(
        default_factory=list, description="Stop after these nodes ('*' for every node)."
    )
    # --- command (one-shot)
    resume_as_json: bool = Field(
        default=True, description="Read the resume value as JSON (else as plain text)."
    )
    resume_text: str = Field(
        default="",
        description="Answer to the pending interrupt (command.resume), as JSON or text; "
        "for the next run only.",
    )
    update_text: str = Field(
        default="",
        description="A state update applied before the run goes on (command.update), a JSON "
        "object; for the next run only.",
    )
    goto_text: str = Field(
        default="",
        description="Node(s) to run next (command.goto), comma-separated; for the next run only.",
    )
    # --- durability & checkpoint
    durability: Durability | None = Field(
        default=None,
        description="When checkpoints are saved: sync, async (server default) or exit "
        "(only at the end: time travel sees one step).",
    )
    checkpoint_id: str | None = Field(
        default=None,
        description="Start the next run from this checkpoint (time travel); next run only.",
    )
    checkpoint_during: bool | None = Field(
        default=None, description="Deprecated: checkpoint during the run (use durability)."
    )
    # --- concurrency
    multitask_strategy: MultitaskStrategy | None = Field(
        default=None,
        description="When the thread is busy: enqueue (server default), reject, interrupt "
        "the running run, or rollback (delete it).",
    )
    if_not_exists: IfNotExists | None = Field(
        default=None, description="When the thread does not exist: reject (default) or create."
    )
    on_disconnect: OnDisconnect | None = Field(
        default=None,
        description="When the client goes away: continue (server default) or cancel the run.",
    )
    on_completion: OnCompletion | None = Field(
        default=None,
        description="Stateless runs only: delete (default) or keep the temporary thread.",
    )
    after_seconds: float | None = Field(
        default=None, description="Start the run after this many seconds."
    )
    # --- config
    recursion_limit: int | None = Field(
        default=None, description="Maximum number of supersteps (server default 25)."
    )
    tags: list[str] = Field(default_factory=list, description="Tags for tracing (config.tags).")
    configurable: str = Field(
        default="",
        description="config.configurable, a JSON object; B-Bot needs the assistant's entity_id.",
    )
    context: str = Field(
        default="", description="Static run context, a JSON object (graph context schema)."
    )
    metadata: str = Field(default="", description="Run metadata, a JSON object.")
    webhook: str | None = Field(default=None, description="URL called when the run is done.")
    feedback_keys: list[str] = Field(
        default_factory=list, description="LangSmith feedback keys for the run."
    )

    @field_validator("configurable", "context", "metadata")
    @classmethod
    def _objects(cls, value: str) -> str:
        return _json_object(value)

    @field_validator("update_text")
    @classmethod
    def _update_json(cls, value: str) -> str:
        if value.strip():
            try:
                parse_json_text(value, expect=(dict, list))
            except JsonTextError as exc:
                raise PydanticCustomError("json_text", "{reason}", {"reason": str(exc)}) from None
        return value

    @field_validator("resume_text")
    @classmethod
    def _resume_json(cls, value: str, info: Any) -> str:
        if value.strip() and info.data.get("resume_as_json", True):
            try:
                parse_json_text(value)
            except JsonTextError as exc:
                reason = f"{exc} (or untick 'JSON' to send it as text)"
                raise PydanticCustomError("json_text", "{reason}", {"reason": reason}) from None
        return value

    @field_validator("tags", "feedback_keys")
    @classmethod
    def _clean_list(cls, value: list[str]) -> list[str]:
        return [v.strip() for v in value if v.strip()]

    @field_validator("checkpoint_id", "webhook")
    @classmethod
    def _blank_is_unset(cls, value: str | None) -> str | None:
        return value.strip() or None if isinstance(value, str) else value

    @field_validator("interrupt_before", "interrupt_after", mode="before")
    @classmethod
    def _star_wins(cls, value: Any) -> Any:
        if isinstance(value, list) and "*" in value:
            return "*"
        return value

    # --- parsed values -----------------------------------------------------------------

    def _json(self, text: str) -> Any:
        return parse_json_text(text) if text.strip() else None

    def configurable_value(self) -> dict[str, Any] | None:
        """``config.configurable`` as a dict, or None when empty."""
        return self._json(self.configurable)  # type: ignore[no-any-return]

    def context_value(self) -> dict[str, Any] | None:
        """``context`` as a dict, or None when empty."""
        return self._json(self.context)  # type: ignore[no-any-return]

    def metadata_value(self) -> dict[str, Any] | None:
        """Run ``metadata`` as a dict, or None when empty."""
        return self._json(self.metadata)  # type: ignore[no-any-return]

    def has_command(self) -> bool:
        """Whether a resume value, an update or a goto is set."""
        return bool(self.resume_text.strip() or self.update_text.strip() or self.goto_text.strip())

    def goto_value(self) -> str | list[str] | None:
        """The goto target: one node name, a list of names, or None."""
        names = [n.strip() for n in self.goto_text.split(",") if n.strip()]
        if not names:
            return None
        return names[0] if len(names) == 1 else names

    def command(self) -> Command | None:
        """The command of the command fields, or None when none is set."""
        if not self.has_command():
            return None
        fields: dict[str, Any] = {}
        if self.resume_text.strip():
            text = self.resume_text
            fields["resume"] = parse_json_text(text) if self.resume_as_json else text
        if self.update_text.strip():
            fields["update"] = parse_json_text(self.update_text)
        goto = self.goto_value()
        if goto is not None:
            fields["goto"] = goto
        return Command.model_validate(fields)

    def without_one_shot(self) -> RunOptions:
        """A copy without the command and ``checkpoint_id`` (after they were used)."""
        defaults = {name: RunOptions.model_fields[name].get_default() for name in ONE_SHOT_FIELDS}
        return self.model_copy(update=defaults)

    # --- the request ---------------------------------------------------------------------

    def build(
        self,
        assistant_id: str,
        input: Any | None,
        command: Command | None = None,
        *,
        entity_id: str | None = None,
    ) -> RunCreate | RunCreateStateless:
        """The request body for a run, validated by the client's own models.

        Args:
            assistant_id: the assistant (or graph name).
            input: the run's input; None sends none (continue from a breakpoint/checkpoint).
            command: a command (resume…) from the interrupt card; it wins over the command
                fields of these options, which are used when it is None.
            entity_id: B-Bot's entity id, put in ``config.configurable`` unless set there.

        Returns:
            A :class:`RunCreate` (modes stream and wait) or :class:`RunCreateStateless`.

        Raises:
            ValidationError: with every ``loc`` naming a form field (see :func:`field_errors`).
        """
        body: dict[str, Any] = {"assistant_id": assistant_id, "stream_mode": list(self.stream_mode)}
        if input is not None:
            body["input"] = input
        if command is None and self.has_command():
            if input is not None:
                field = next(
                    n for n in ("resume_text", "update_text", "goto_text") if getattr(self, n)
                )
                raise _errors(
                    [(field, "a command is set: the run cannot also send an input; clear it")]
                )
            command = self.command()
        if command is not None:
            body["command"] = command
        for name in (
            "stream_subgraphs",
            "stream_resumable",
            "durability",
            "checkpoint_id",
            "checkpoint_during",
            "multitask_strategy",
            "if_not_exists",
            "on_disconnect",
            "on_completion",
            "after_seconds",
            "webhook",
        ):
            value = getattr(self, name)
            if value is not None:
                body[name] = value
        for name in ("interrupt_before", "interrupt_after", "feedback_keys"):
            if getattr(self, name):
                body[name] = getattr(self, name)
        if (metadata := self.metadata_value()) is not None:
            body["metadata"] = metadata
        if (context := self.context_value()) is not None:
            body["context"] = context
        config: dict[str, Any] = {}
        if self.tags:
            config["tags"] = list(self.tags)
        if self.recursion_limit is not None:
            config["recursion_limit"] = self.recursion_limit
        configurable = self.configurable_value()
        if entity_id and "entity_id" not in (configurable or {}):
            configurable = {**(configurable or {}), "entity_id": entity_id}
        if configurable is not None:
            config["configurable"] = configurable
        if config:
            body["config"] = config
        model: type[RunCreate] | type[RunCreateStateless] = (
            RunCreateStateless if self.mode == "stateless" else RunCreate
        )
        try:
            return model.model_validate(body)
        except ValidationError as exc:
            raise _remap(exc, self.mode) from None

    def validate_request(self) -> None:
        """Check that these options make a valid request (for the form's Save).

        Raises:
            ValidationError: with form field names as locations.
        """
        self.build("assistant", None)

    def validate_nodes(self, node_names: list[str]) -> list[str]:
        """Warnings for breakpoint node names that are not in the assistant's graph.

        The server accepts unknown names and simply never stops (docs/PROTOCOL.md, case U5).
        An empty ``node_names`` (graph unknown) gives no warning.
        """
        if not node_names:
            return []
        known = set(node_names)
        warnings: list[str] = []
        for when in ("interrupt_before", "interrupt_after"):
            value = getattr(self, when)
            if value == "*":
                continue
            for name in value:
                if name not in known:
                    warnings.append(
                        f"{when}: {name!r} is not a node of this graph; the run will not stop there"
                    )
        return warnings

    # --- settings --------------------------------------------------------------------------

    def to_settings(self) -> dict[str, Any]:
        """The JSON-able values to remember (what differs from the defaults; no one-shot)."""
        return self.model_dump(mode="json", exclude=set(ONE_SHOT_FIELDS), exclude_defaults=True)

    @classmethod
    def from_settings(cls, data: Any, warnings: list[str] | None = None) -> RunOptions:
        """Options from remembered values; bad or unknown values fall back to the defaults.

        Args:
            data: what :meth:`to_settings` returned (possibly from an older or edited file).
            warnings: a list that receives one sentence per value dropped (also logged).
        """
        notes: list[str] = []
        if not isinstance(data, dict):
            if data is not None:
                notes.append("stored run options were not an object; using the defaults")
            data = {}
        clean = {k: v for k, v in data.items() if k in cls.model_fields}
        notes += [f"unknown run option {k!r} ignored" for k in data if k not in cls.model_fields]
        options = cls()
        for _ in range(len(clean) + 1):
            try:
                options = cls.model_validate(clean)
                break
            except ValidationError as exc:
                bad = {str(e["loc"][0]) for e in exc.errors() if e["loc"]} or set(clean)
                for key in sorted(bad):
                    notes.append(f"stored run option {key!r} was invalid; using the default")
                    clean.pop(key, None)
        for note in notes:
            log.warning("%s", note)
        if warnings is not None:
            warnings.extend(notes)
        return options

    @classmethod
    def help_for(cls, name: str) -> str:
        """The help text of a field (its description), or ``""``."""
        info = cls.model_fields.get(name)
        return (info.description or "") if info else ""


# --- errors ----------------------------------------------------------------------------------

_LOC_MAP: dict[tuple[str, ...], str] = {
    ("config", "configurable"): "configurable",
    ("config", "tags"): "tags",
    ("config", "recursion_limit"): "recursion_limit",
    ("command", "resume"): "resume_text",
    ("command", "update"): "update_text",
    ("command", "goto"): "goto_text",
    ("command",): "resume_text",
    ("config",): "configurable",
}


def _form_field(loc: tuple[int | str, ...]) -> str:
    for size in (2, 1):
        key = tuple(str(p) for p in loc[:size])
        if len(key) == size and key in _LOC_MAP:
            return _LOC_MAP[key]
    if loc and str(loc[0]) in RunOptions.model_fields:
        return str(loc[0])
    return ROOT_FIELD


def _message(error: Any, mode: str) -> str:
    if error["type"] == "extra_forbidden":
        if error["loc"][:1] == ("on_completion",):
            return "only for stateless runs"
        return f"not available in {mode} mode"
    msg = str(error["msg"])
    return msg.removeprefix("Value error, ")


def _errors(items: list[tuple[str, str]]) -> ValidationError:
    details: list[InitErrorDetails] = [
        {
            "type": PydanticCustomError("run_option", "{message}", {"message": msg}),
            "loc": (field,),
            "input": None,
        }
        for field, msg in items
    ]
    return ValidationError.from_exception_data("RunOptions", details)


def _remap(exc: ValidationError, mode: str) -> ValidationError:
    return _errors([(_form_field(e["loc"]), _message(e, mode)) for e in exc.errors()])


def field_errors(exc: ValidationError) -> dict[str, list[str]]:
    """Error messages by form field name, from :class:`RunOptions` or :meth:`RunOptions.build`.

    Errors that belong to no field are under :data:`ROOT_FIELD`.
    """
    out: dict[str, list[str]] = {}
    for error in exc.errors():
        loc = tuple(error["loc"])
        field = str(loc[0]) if loc and str(loc[0]) in RunOptions.model_fields else _form_field(loc)
        message = str(error["msg"]).removeprefix("Value error, ")
        out.setdefault(field, [])
        if message not in out[field]:
            out[field].append(message)
    return out


def toggle_breakpoint(
    options: RunOptions,
    node: str,
    when: Literal["before", "after"] = "before",
    *,
    node_names: list[str] | None = None,
) -> RunOptions:
    """Toggle a breakpoint before/after ``node`` (``"*"`` toggles every node).

    Args:
        options: the current options (not changed).
        node: a node name, or ``"*"``.
        when: ``before`` or ``after`` the node.
        node_names: the graph's nodes; when ``"*"`` is set and one node is toggled off, the
            breakpoint stays on every other node (without them it is simply removed).

    Returns:
        A copy with the breakpoint toggled.
    """
    name = f"interrupt_{when}"
    current = getattr(options, name)
    value: Literal["*"] | list[str]
    if node == "*":
        value = [] if current == "*" else "*"
    elif current == "*":
        value = [n for n in (node_names or []) if n != node]
    elif node in current:
        value = [n for n in current if n != node]
    else:
        value = [*current, node]
    return options.model_copy(update={name: value})
