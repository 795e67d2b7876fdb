"""Interrupt payloads: which shape a question has, and the resume value for each answer.

Three shapes are known (docs/PROTOCOL.md, "Interrupts and breakpoints"; ``tests/graphs/hitl.py``
has one graph of each):

* ``legacy`` — agent-inbox ``HumanInterrupt``: a dict, or a list of dicts, each with
  ``action_request`` ``{action, args}``, ``config`` ``{allow_accept, allow_edit, allow_respond,
  allow_ignore}`` and ``description``. The answer is one ``HumanResponse`` per request,
  ``{"type": "accept"|"edit"|"response"|"ignore", "args": …}`` (``args``: None for accept and
  ignore, the text for response, ``{"action", "args"}`` for edit), sent as a list when the
  question was a list.
* ``hitl_v1`` — LangChain v1 ``HumanInTheLoopMiddleware``: ``{"action_requests": [{name, args,
  description}], "review_configs": [{action_name, allowed_decisions}]}``. The answer is
  ``{"decisions": [{"type": "approve"} | {"type": "edit", "edited_action": {name, args}} |
  {"type": "reject", "message": …}]}``, one decision per action request.
* ``generic`` — anything else: the answer is any JSON value or text.

:func:`resume_command` puts the answers of every pending interrupt in ONE command: one pending
interrupt → ``{"resume": value}``; several → ``{"resume": {interrupt_id: value, …}}``.

Nothing here imports Textual.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

from bbot_tui.session.jsontext import dump_json
from bbot_tui.stream.transcript import PendingInterrupt

if TYPE_CHECKING:  # pydantic loads on first use, not with the first frame
    from bbot_tui.api.models import Command

__all__ = [
    "LEGACY_KINDS",
    "V1_KINDS",
    "LegacyRequest",
    "Shape",
    "V1Action",
    "classify",
    "command_json",
    "goto_command",
    "legacy_requests",
    "legacy_response",
    "legacy_resume",
    "resume_command",
    "short_namespace",
    "stop_title",
    "update_command",
    "v1_actions",
    "v1_decision",
    "v1_resume",
]

Shape: TypeAlias = Literal["legacy", "hitl_v1", "generic"]
LegacyKind: TypeAlias = Literal["accept", "edit", "response", "ignore"]
V1Kind: TypeAlias = Literal["approve", "edit", "reject"]
LEGACY_KINDS: tuple[LegacyKind, ...] = ("accept", "edit", "response", "ignore")
V1_KINDS: tuple[V1Kind, ...] = ("approve", "edit", "reject")
_LEGACY_FLAGS = {
    "accept": "allow_accept",
    "edit": "allow_edit",
    "response": "allow_respond",
    "ignore": "allow_ignore",
}


def _is_legacy_item(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and isinstance(value.get("action_request"), dict)
        and isinstance(value.get("config"), dict)
    )


def classify(value: Any) -> Shape:
    """The shape of an interrupt's value: ``legacy``, ``hitl_v1`` or ``generic``."""
    if _is_legacy_item(value) or (
        isinstance(value, list) and value and all(_is_legacy_item(v) for v in value)
    ):
        return "legacy"
    if (
        isinstance(value, dict)
        and isinstance(value.get("action_requests"), list)
        and value["action_requests"]
        and all(isinstance(a, dict) for a in value["action_requests"])
        and isinstance(value.get("review_configs", []), list)
    ):
        return "hitl_v1"
    return "generic"


@dataclass(frozen=True, slots=True)
class LegacyRequest:
    """One agent-inbox request: the action, its arguments and what the reviewer may do."""

    action: str
    args: Any
    description: str
    allowed: tuple[LegacyKind, ...]


@dataclass(frozen=True, slots=True)
class V1Action:
    """One HITL v1 action request with the decisions its review config allows."""

    name: str
    args: Any
    description: str
    allowed: tuple[V1Kind, ...]


def legacy_requests(value: Any) -> list[LegacyRequest]:
    """The requests of a ``legacy`` value (a single dict counts as a list of one)."""
    items = value if isinstance(value, list) else [value]
    out: list[LegacyRequest] = []
    for item in items:
        if not _is_legacy_item(item):
            continue
        action = item["action_request"]
        config = item["config"]
        allowed = tuple(k for k in LEGACY_KINDS if config.get(_LEGACY_FLAGS[k]) is True)
        out.append(
            LegacyRequest(
                action=str(action.get("action", "")),
                args=action.get("args"),
                description=str(item.get("description") or ""),
                allowed=allowed,
            )
        )
    return out


def v1_actions(value: Any) -> list[V1Action]:
    """The action requests of a ``hitl_v1`` value, each with its allowed decisions.

    A request without a review config (matched by ``action_name``, else by position) allows
    every decision.
    """
    if not isinstance(value, dict):
        return []
    requests = [a for a in value.get("action_requests") or [] if isinstance(a, dict)]
    configs = [c for c in value.get("review_configs") or [] if isinstance(c, dict)]
    by_name = {str(c.get("action_name")): c for c in configs}
    out: list[V1Action] = []
    for index, request in enumerate(requests):
        name = str(request.get("name", ""))
        config = by_name.get(name) or (configs[index] if index < len(configs) else {})
        decisions = config.get("allowed_decisions")
        allowed = (
            tuple(k for k in V1_KINDS if k in decisions)
            if isinstance(decisions, list)
            else V1_KINDS
        )
        out.append(
            V1Action(
                name=name,
                args=request.get("args"),
                description=str(request.get("description") or ""),
                allowed=allowed,
            )
        )
    return out


def legacy_response(
    kind: LegacyKind, *, action: str = "", args: Any = None, text: str = ""
) -> dict[str, Any]:
    """One ``HumanResponse``.

    Args:
        kind: accept, edit, response or ignore.
        action: the action name (edit).
        args: the edited arguments (edit).
        text: the reply (response).
    """
    if kind == "edit":
        return {"type": "edit", "args": {"action": action, "args": args}}
    if kind == "response":
        return {"type": "response", "args": text}
    if kind in ("accept", "ignore"):
        return {"type": kind, "args": None}
    raise ValueError(f"unknown legacy response type {kind!r}")


def legacy_resume(value: Any, responses: Sequence[dict[str, Any]]) -> Any:
    """The resume value for a legacy question: a list, or one response if it was one dict."""
    if isinstance(value, list):
        return list(responses)
    return responses[0] if responses else None


def v1_decision(
    kind: V1Kind, *, name: str = "", args: Any = None, message: str | None = None
) -> dict[str, Any]:
    """One HITL v1 decision (approve, edit with the edited action, reject with a message)."""
    if kind == "approve":
        return {"type": "approve"}
    if kind == "edit":
        return {"type": "edit", "edited_action": {"name": name, "args": args}}
    if kind == "reject":
        return {"type": "reject", "message": message} if message else {"type": "reject"}
    raise ValueError(f"unknown decision type {kind!r}")


def v1_resume(decisions: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The resume value for a HITL v1 question."""
    return {"decisions": list(decisions)}


def resume_command(
    answers: Mapping[str | None, Any],
    pending: Sequence[PendingInterrupt],
    *,
    update: Any = None,
    goto: Any = None,
) -> Command:
    """One command answering every pending interrupt.

    Args:
        answers: the answer of each pending interrupt, by interrupt id.
        pending: the pending interrupts (``Transcript.interrupts``).
        update: a state update applied first (``command.update``), or None.
        goto: node name(s) to run next (``command.goto``), or None.

    Returns:
        ``resume`` is the plain answer when one interrupt is pending, a map by interrupt id
        when several are.

    Raises:
        ValueError: an interrupt has no answer, or several are pending and one has no id.
    """
    fields: dict[str, Any] = {}
    if pending:
        missing = [p.id for p in pending if p.id not in answers]
        if missing:
            raise ValueError(f"no answer for interrupt {missing[0]}")
        if len(pending) == 1:
            fields["resume"] = answers[pending[0].id]
        else:
            if any(p.id is None for p in pending):
                raise ValueError("several interrupts are pending and one has no id")
            fields["resume"] = {str(p.id): answers[p.id] for p in pending}
    if update is not None:
        fields["update"] = update
    if goto is not None:
        fields["goto"] = goto
    if not fields:
        raise ValueError("nothing to send: no interrupt is pending and no update or goto is set")
    from bbot_tui.api.models import Command

    return Command.model_validate(fields)


def update_command(update: Any, goto: Any = None) -> Command:
    """A command that only updates the state (and optionally jumps to a node)."""
    return resume_command({}, [], update=update, goto=goto)


def goto_command(goto: str | list[str]) -> Command:
    """A command that runs ``goto`` next."""
    return resume_command({}, [], goto=goto)


def command_json(command: Command, *, indent: int | None = None) -> str:
    """The exact ``command`` JSON that will be sent (for the card's preview)."""
    return dump_json(command.to_body(), indent=indent)


def short_namespace(ns: Sequence[str]) -> str:
    """A readable subgraph path: ``("child:1f2e…", "inner:9a…")`` → ``child › inner``."""
    return " › ".join(part.split(":", 1)[0] for part in ns if part)


def stop_title(stop: str | None, next_nodes: Sequence[str], questions: int = 0) -> str:
    """The one-line headline of a stop (breakpoint, cancel, or how many questions)."""
    nodes = ", ".join(next_nodes)
    if stop == "breakpoint":
        return f"stopped before {nodes}" if nodes else "stopped at a breakpoint"
    if stop == "cancelled":
        # "stopped", as the status bar and the thread list say (the key is "Stop run")
        return "run stopped" + (f" (it would run {nodes} next)" if nodes else "")
    if stop == "question":
        if questions == 1:
            return "the run waits for your answer"
        return f"the run waits for {questions} answers (sent together in one resume)"
    return ""
