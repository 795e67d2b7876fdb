"""Pydantic models for every request and response the client uses.

Requests are strict (``extra="forbid"``): a wrong value raises a :class:`ValidationError`
whose ``loc`` names the field, which the run-options form and ``bbot-tui run`` show as is.
They serialise with :meth:`RunCreate.to_body`, which sends only what was set, so the
server's defaults apply to everything else.

The enumerated values (stream modes, durabilities…) are the ``Literal`` types of
:mod:`bbot_tui.api.literals`.

Responses are tolerant (``extra="allow"``): servers add fields between versions, and B-Bot
calls assistants "distribution channels" (``channel_id`` instead of ``assistant_id``).
"""

from __future__ import annotations

from typing import Any, Literal, TypeAlias

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from bbot_tui.api.literals import (
    Durability,
    IfNotExists,
    MultitaskStrategy,
    OnCompletion,
    OnDisconnect,
    StreamMode,
)

__all__ = [
    "Assistant",
    "Checkpoint",
    "Command",
    "GraphInfo",
    "Interrupt",
    "Run",
    "RunConfig",
    "RunCreate",
    "RunCreateStateless",
    "Send",
    "Thread",
    "ThreadState",
    "ThreadTask",
]

JsonValue: TypeAlias = dict[str, Any] | list[Any] | str | int | float | bool | None
Breakpoints: TypeAlias = Literal["*"] | list[str]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    def to_body(self) -> dict[str, Any]:
        """The JSON body: only the fields that were set, nested models included."""
        return self.model_dump(mode="json", exclude_unset=True, by_alias=True)


class Send(_Request):
    """Run ``node`` with ``input`` (a ``goto`` target with its own input)."""

    node: str = Field(min_length=1, description="The node to send the input to.")
    input: JsonValue = Field(description="The input for that node.")


class Command(_Request):
    """Resume an interrupt, update the state, or jump to a node."""

    update: dict[str, Any] | list[Any] | None = Field(
        default=None, description="A state update applied before the run goes on."
    )
    resume: JsonValue = Field(
        default=None,
        description="The answer to a pending interrupt, or a map {interrupt id: answer}.",
    )
    goto: Send | list[Send] | str | list[str] | None = Field(
        default=None, description="Node name(s), or Send(s), to run next."
    )

    @model_validator(mode="after")
    def _not_empty(self) -> Command:
        if not self.model_fields_set:
            raise ValueError("a command needs at least one of resume, update or goto")
        return self


class RunConfig(_Request):
    """The ``config`` of a run."""

    tags: list[str] | None = Field(default=None, description="Tags for tracing.")
    recursion_limit: int | None = Field(
        default=None, ge=1, description="Maximum number of supersteps (at least 1)."
    )
    configurable: dict[str, Any] | None = Field(
        default=None,
        description="Configurable values; B-Bot needs the assistant's entity_id here.",
    )


class Checkpoint(BaseModel):
    """A checkpoint reference (also used as a response fragment, so tolerant)."""

    model_config = ConfigDict(extra="allow")

    thread_id: str | None = None
    checkpoint_ns: str = ""
    checkpoint_id: str | None = None
    checkpoint_map: dict[str, Any] | None = None


class _RunBase(_Request):
    assistant_id: str = Field(
        min_length=1,
        validation_alias=AliasChoices("assistant_id", "channel_id"),
        description="The assistant (B-Bot: distribution channel) id, or a graph name.",
    )
    input: JsonValue = Field(default=None, description="The input to the graph.")
    command: Command | None = Field(
        default=None, description="Resume / update / goto instead of an input."
    )
    metadata: dict[str, Any] | None = Field(default=None, description="Run metadata.")
    config: RunConfig | None = Field(default=None, description="Run config.")
    context: dict[str, Any] | None = Field(default=None, description="Static run context.")
    webhook: str | None = Field(
        default=None,
        min_length=1,
        max_length=65536,
        description="URL called when the run is done.",
    )
    interrupt_before: Breakpoints | None = Field(
        default=None, description="Stop before these nodes ('*' for all)."
    )
    interrupt_after: Breakpoints | None = Field(
        default=None, description="Stop after these nodes ('*' for all)."
    )
    stream_mode: StreamMode | list[StreamMode] | None = Field(
        default=None, description="What the stream carries."
    )
    feedback_keys: list[str] | None = Field(default=None, description="LangSmith feedback keys.")
    stream_subgraphs: bool | None = Field(
        default=None, description="Also stream events from subgraphs."
    )
    stream_resumable: bool | None = Field(
        default=None, description="Keep the stream so a dropped client can rejoin it."
    )
    on_disconnect: OnDisconnect | None = Field(
        default=None, description="What the server does when the client goes away."
    )
    after_seconds: float | None = Field(
        default=None, ge=0, description="Start the run after this many seconds."
    )
    checkpoint_during: bool | None = Field(
        default=None, description="Deprecated: checkpoint during the run (see durability)."
    )
    durability: Durability | None = Field(
        default=None, description="When checkpoints are persisted: sync, async or exit."
    )

    @field_validator("interrupt_before", "interrupt_after", mode="before")
    @classmethod
    def _breakpoints(cls, value: Any) -> Any:
        if isinstance(value, str) and value != "*":
            raise ValueError("use '*' for every node, or a list of node names")
        if isinstance(value, list) and any(not isinstance(v, str) or not v for v in value):
            raise ValueError("node names must be non-empty strings")
        return value

    @field_validator("stream_mode")
    @classmethod
    def _unique_modes(cls, value: Any) -> Any:
        if isinstance(value, list):
            if not value:
                raise ValueError("choose at least one stream mode")
            if len(set(value)) != len(value):
                raise ValueError("each stream mode only once")
        return value

    @model_validator(mode="after")
    def _input_or_command(self) -> _RunBase:
        if self.command is not None and "input" in self.model_fields_set and self.input is not None:
            raise ValueError("send either an input or a command, not both")
        return self


class RunCreate(_RunBase):
    """The body of ``POST /threads/{id}/runs[/stream|/wait]`` (a run on a thread)."""

    checkpoint: Checkpoint | None = Field(default=None, description="Start from this checkpoint.")
    checkpoint_id: str | None = Field(
        default=None, min_length=1, description="Start from this checkpoint id."
    )
    multitask_strategy: MultitaskStrategy | None = Field(
        default=None, description="What to do when the thread is already running."
    )
    if_not_exists: IfNotExists | None = Field(
        default=None, description="Create the thread if it does not exist."
    )


class RunCreateStateless(_RunBase):
    """The body of ``POST /runs/stream`` and ``/runs/wait`` (no thread kept by default)."""

    on_completion: OnCompletion | None = Field(
        default=None, description="Delete or keep the temporary thread afterwards."
    )
    if_not_exists: IfNotExists | None = Field(
        default=None, description="Create the thread if it does not exist."
    )


# --- responses ----------------------------------------------------------------------


class _Response(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class Assistant(_Response):
    """An assistant (B-Bot: a distribution channel)."""

    assistant_id: str = Field(validation_alias=AliasChoices("assistant_id", "channel_id"))
    graph_id: str = ""
    name: str | None = None
    description: str | None = None
    version: int | None = None
    config: dict[str, Any] = Field(default_factory=dict)
    context: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None
    created_at: str | None = None
    updated_at: str | None = None

    @property
    def entity_id(self) -> str | None:
        """B-Bot's ``config.configurable.entity_id``, which its runs need."""
        configurable = self.config.get("configurable") if isinstance(self.config, dict) else None
        value = configurable.get("entity_id") if isinstance(configurable, dict) else None
        return str(value) if value is not None else None

    @property
    def label(self) -> str:
        """A display name: the name, else the graph id, else the id."""
        return self.name or self.graph_id or self.assistant_id


class Interrupt(_Response):
    """A pending interrupt (a question from the graph)."""

    id: str | None = None
    value: Any = None
    ns: list[str] | None = None
    when: str | None = None
    resumable: bool | None = None


class Thread(_Response):
    """A thread, as ``GET /threads/{id}`` or search returns it."""

    thread_id: str
    status: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    state_updated_at: str | None = None
    metadata: dict[str, Any] | None = None
    values: Any = None
    interrupts: dict[str, list[Interrupt]] | list[Interrupt] | None = None
    error: Any = None

    def pending_interrupts(self) -> list[Interrupt]:
        """All pending interrupts, flattened from the map keyed by task id."""
        if not self.interrupts:
            return []
        if isinstance(self.interrupts, list):
            return list(self.interrupts)
        return [i for group in self.interrupts.values() for i in group]

    @property
    def cancelled(self) -> bool:
        """True when the last run was cancelled (``POST …/cancel``), not stopped at a question.

        The server leaves such a thread ``interrupted`` with no pending interrupts and
        ``error.error == "UserInterrupt"``; its state alone looks like a breakpoint (the
        cancelled task has no error recorded with the default durability).
        """
        error = self.error if isinstance(self.error, dict) else {}
        return self.status == "interrupted" and error.get("error") == "UserInterrupt"

    @property
    def title(self) -> str | None:
        """``metadata.title`` if set."""
        title = (self.metadata or {}).get("title")
        return str(title) if title else None


class ThreadTask(_Response):
    """A task in a thread state (a node that runs next, or ran and stopped)."""

    id: str | None = None
    name: str = ""
    path: list[Any] | None = None
    error: str | None = None
    interrupts: list[Interrupt] = Field(default_factory=list)
    checkpoint: Any = None
    state: Any = None
    result: Any = None


class ThreadState(_Response):
    """``GET /threads/{id}/state`` and each entry of the history."""

    values: Any = None
    next: list[str] = Field(default_factory=list)
    tasks: list[ThreadTask] = Field(default_factory=list)
    metadata: dict[str, Any] | None = None
    created_at: str | None = None
    checkpoint: Checkpoint | None = None
    parent_checkpoint: Checkpoint | None = None
    interrupts: list[Interrupt] = Field(default_factory=list)
    checkpoint_id: str | None = None
    parent_checkpoint_id: str | None = None

    @property
    def messages(self) -> list[dict[str, Any]]:
        """The ``messages`` channel of the values, if any."""
        if isinstance(self.values, dict):
            msgs = self.values.get("messages")
            if isinstance(msgs, list):
                return [m for m in msgs if isinstance(m, dict)]
        return []

    @property
    def cancelled(self) -> bool:
        """True when a task of this state errored with ``CancelledError``.

        Only some cancels leave that trace: after ``POST …/cancel`` with the default durability
        the task's error is empty and only the thread says so (:attr:`Thread.cancelled`).
        """
        return any((t.error or "").startswith("CancelledError") for t in self.tasks)


class Run(_Response):
    """A run (``GET /threads/{t}/runs/{r}``)."""

    run_id: str
    thread_id: str | None = None
    assistant_id: str | None = Field(
        default=None, validation_alias=AliasChoices("assistant_id", "channel_id")
    )
    status: str = "pending"
    created_at: str | None = None
    updated_at: str | None = None
    metadata: dict[str, Any] | None = None
    kwargs: dict[str, Any] | None = None
    multitask_strategy: str | None = None

    @property
    def active(self) -> bool:
        """Whether the run is still pending or running."""
        return self.status in ("pending", "running")


class GraphInfo(_Response):
    """``GET /assistants/{id}/graph``: nodes and edges."""

    nodes: list[dict[str, Any]] = Field(default_factory=list)
    edges: list[dict[str, Any]] = Field(default_factory=list)

    def node_names(self) -> list[str]:
        """The graph's node ids without ``__start__``/``__end__``."""
        names = [str(n.get("id")) for n in self.nodes if n.get("id") is not None]
        return [n for n in names if n not in ("__start__", "__end__")]
