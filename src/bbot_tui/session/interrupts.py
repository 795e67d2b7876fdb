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

A reply typed in the composer is read by :func:`typed_answer`: for a structured approval
question (HITL v1, HumanInterrupt) "yes"/"approve" approves, "no"/"reject" rejects, and any
other text is a reject (v1) or a respond (HumanInterrupt) with that message; a JSON object or
array is taken as the answer itself; a free-form question takes the text as is.
:func:`describe_command` says in one line what a command answered (for the transcript).

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
    "describe_command",
    "goto_command",
    "legacy_requests",
    "legacy_response",
    "legacy_resume",
    "resume_command",
    "short_namespace",
    "stop_title",
    "typed_answer",
    "typed_command",
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
APPROVE_WORDS = frozenset({"yes", "y", "ok", "okay", "approve", "approved", "accept", "lgtm"})
"""Replies that approve a structured question (compared without case or final punctuation)."""
REJECT_WORDS = frozenset({"no", "n", "reject", "rejected", "deny", "decline"})
"""Replies that reject it without a message."""
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


def _word(text: str) -> str:
    return text.strip().rstrip(".!").strip().casefold()


def _typed_json(text: str) -> tuple[bool, Any]:
    """``(True, value)`` when the text is a JSON object or array, else ``(False, None)``."""
    stripped = text.strip()
    if stripped[:1] not in ("{", "["):
        return False, None
    import json

    try:
        value = json.loads(stripped)
    except ValueError:
        return False, None
    return isinstance(value, dict | list), value


def _cannot(what: str, name: str) -> ValueError:
    return ValueError(f"{what} {name or 'this action'} is not allowed here: use the card above")


def typed_answer(text: str, interrupt: PendingInterrupt) -> Any:
    """The resume value a reply typed in the composer means for one question.

    Args:
        text: What the user typed.
        interrupt: The pending question.

    Returns:
        HITL v1: approve every action ("yes", "approve"…), reject every action ("no",
        "reject"…), or reject it with the text as the message. HumanInterrupt: accept, ignore,
        or respond with the text. A JSON object or array is the answer itself. Any other
        question: the text as it is.

    Raises:
        ValueError: nothing typed, or the question does not allow what the reply means.
    """
    if not text.strip():
        raise ValueError("type an answer first")
    is_json, value = _typed_json(text)
    if is_json:
        return value
    shape = classify(interrupt.value)
    word = _word(text)
    if shape == "hitl_v1":
        decisions = []
        for action in v1_actions(interrupt.value):
            kind: V1Kind = (
                "approve" if word in APPROVE_WORDS else "reject"
            )  # a reply is a reject with that message
            if kind not in action.allowed:
                raise _cannot("approving" if kind == "approve" else "rejecting", action.name)
            message = None if word in APPROVE_WORDS | REJECT_WORDS else text.strip()
            decisions.append(v1_decision(kind, message=message))
        return v1_resume(decisions)
    if shape == "legacy":
        responses = []
        for request in legacy_requests(interrupt.value):
            if word in APPROVE_WORDS:
                legacy: LegacyKind = "accept"
            elif word in REJECT_WORDS:
                legacy = "ignore"
            else:
                legacy = "response"
            if legacy not in request.allowed:
                verb = {"accept": "accepting", "ignore": "ignoring", "response": "replying to"}
                raise _cannot(verb[legacy], request.action)
            responses.append(legacy_response(legacy, text=text.strip()))
        return legacy_resume(interrupt.value, responses)
    return text


def typed_command(text: str, pending: Sequence[PendingInterrupt]) -> Command:
    """The command a reply typed in the composer sends (see :func:`typed_answer`).

    Raises:
        ValueError: no question or several (those are answered in the card), or the reply
            does not fit the question.
    """
    if len(pending) != 1:
        raise ValueError(
            "several questions are waiting: answer them in the card above"
            if pending
            else "no question is waiting for an answer"
        )
    return resume_command({pending[0].id: typed_answer(text, pending[0])}, pending)


def _short(value: Any, limit: int = 60) -> str:
    from bbot_tui.text import one_line

    return one_line(value if isinstance(value, str) else dump_json(value, indent=None), limit)


def _describe_answer(value: Any, interrupt: PendingInterrupt | None) -> str:
    shape = classify(interrupt.value) if interrupt is not None else "generic"
    if shape == "hitl_v1" and isinstance(value, dict) and isinstance(value.get("decisions"), list):
        assert interrupt is not None
        names = [a.name for a in v1_actions(interrupt.value)]
        parts = []
        for index, decision in enumerate(value["decisions"]):
            name = names[index] if index < len(names) else ""
            kind = decision.get("type") if isinstance(decision, dict) else None
            if kind == "approve":
                parts.append(f"approved {name}".strip())
            elif kind == "edit":
                edited = decision.get("edited_action") or {}
                args = edited.get("args") if isinstance(edited, dict) else None
                parts.append(f"edited {name} to {_short(args, 50)}")
            elif kind == "reject":
                why = decision.get("message")
                parts.append(f"rejected {name}".strip() + (f": {_short(why)}" if why else ""))
            else:
                parts.append(f"answered {_short(decision)}")
        return "; ".join(parts)
    if shape == "legacy":
        assert interrupt is not None
        requests = legacy_requests(interrupt.value)
        items = value if isinstance(value, list) else [value]
        parts = []
        for index, item in enumerate(items):
            action = requests[index].action if index < len(requests) else ""
            kind = item.get("type") if isinstance(item, dict) else None
            args = item.get("args") if isinstance(item, dict) else None
            if kind == "accept":
                parts.append(f"accepted {action}".strip())
            elif kind == "ignore":
                parts.append(f"ignored {action}".strip())
            elif kind == "response":
                parts.append(f"replied: {_short(args)}")
            elif kind == "edit":
                edited = args.get("args") if isinstance(args, dict) else args
                parts.append(f"edited {action} to {_short(edited, 50)}")
            else:
                parts.append(f"answered {_short(item)}")
        return "; ".join(parts)
    return f"answered: {_short(value)}"


def describe_command(command: Command, pending: Sequence[PendingInterrupt] = ()) -> str:
    """What a command answered, in one line for the transcript ("you approved send_email").

    Args:
        command: The command sent (resume, update, goto).
        pending: The questions it answers (their shape names the decisions).

    Returns:
        E.g. ``you approved send_email``, ``you answered: blue``, ``you rejected write_file:
        not now``, ``you sent a state update {…}``, ``you sent the run to review``.
    """
    body = command.to_body()
    parts: list[str] = []
    if "resume" in body:
        value = body["resume"]
        by_id = {p.id: p for p in pending}
        if len(pending) > 1 and isinstance(value, dict):
            parts += [_describe_answer(answer, by_id.get(key)) for key, answer in value.items()]
        else:
            parts.append(_describe_answer(value, pending[0] if pending else None))
    if "update" in body:
        parts.append(f"sent a state update {_short(body['update'], 50)}")
    if "goto" in body:
        goto = body["goto"]
        nodes = ", ".join(map(str, goto)) if isinstance(goto, list) else str(goto)
        parts.append(f"sent the run to {_short(nodes, 40)}")
    return "you " + "; ".join(parts) if parts else "you sent a command"
