"""``bbot-tui run`` flags → a validated run body.

Every value is validated by the same pydantic models the TUI's run-options form uses
(:class:`RunCreate`, :class:`RunCreateStateless`, :class:`Command` through
:func:`bbot_tui.session.run.build_command`). A wrong value becomes a :class:`UsageError` naming the
flag (from ``ValidationError.errors()[i]["loc"]``) and what is allowed; nothing is sent.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass, field, replace
from typing import Any, get_args

from pydantic import ValidationError

from bbot_tui.api.literals import DEFAULT_STREAM_MODES, RunProtocol
from bbot_tui.api.models import RunCreate, RunCreateStateless
from bbot_tui.cli.common import UsageError
from bbot_tui.session.assistants import with_entity_id
from bbot_tui.session.run import build_command
from bbot_tui.stream.transcript import user_message
from bbot_tui.text import one_line

__all__ = [
    "RunRequest",
    "build_run_request",
    "check_something_to_send",
    "format_validation_error",
    "parse_json_flag",
    "resume_flag",
    "run_protocol",
]

_FLAGS: dict[str, str] = {
    "assistant_id": "--assistant",
    "input": "--input/--message",
    "command": "--resume/--resume-id/--update/--goto",
    "command.resume": "--resume/--resume-id",
    "command.update": "--update",
    "command.goto": "--goto",
    "metadata": "--metadata",
    "config": "--config",
    "config.tags": "--tag",
    "config.recursion_limit": "--recursion-limit",
    "config.configurable": "--config (configurable)",
    "context": "--context",
    "webhook": "--webhook",
    "interrupt_before": "--interrupt-before",
    "interrupt_after": "--interrupt-after",
    "stream_mode": "--stream-mode",
    "feedback_keys": "--feedback-key",
    "stream_subgraphs": "--subgraphs",
    "stream_resumable": "--resumable",
    "on_disconnect": "--on-disconnect",
    "after_seconds": "--after-seconds",
    "durability": "--durability",
    "checkpoint_id": "--checkpoint-id",
    "multitask_strategy": "--multitask-strategy",
    "if_not_exists": "--if-not-exists",
    "on_completion": "--on-completion",
}
_SUBFIELDS = {
    "config": ("tags", "recursion_limit", "configurable"),
    "command": ("resume", "update", "goto"),
}
_STATELESS_ONLY = {"on_completion"}
_THREAD_ONLY = {"checkpoint_id", "checkpoint", "multitask_strategy"}


@dataclass
class RunRequest:
    """A validated run: the body and how to send it.

    Attributes:
        body: the validated request model.
        fields: the raw fields it was validated from (to add B-Bot's entity id later).
        stateless: send to ``/runs/stream`` (no thread kept).
        user_text: the ``--message`` text (shown at once, echoed by the server later).
        input_texts: the user texts of the input, not printed back.
        has_command: the run resumes, updates or jumps.
    """

    body: RunCreate | RunCreateStateless
    fields: dict[str, Any]
    stateless: bool = False
    user_text: str | None = None
    input_texts: set[str] = field(default_factory=set)
    has_command: bool = False

    def for_assistant(self, assistant_id: str, entity_id: str | None) -> RunRequest:
        """A copy for the resolved assistant: its id, and B-Bot's entity id in
        ``config.configurable`` unless the user set one."""
        fields = {**self.fields, "assistant_id": assistant_id}
        config = dict(fields.get("config") or {})
        configurable = with_entity_id(config.get("configurable"), entity_id)
        if configurable is not None:
            config["configurable"] = configurable
            fields["config"] = config
        return replace(self, body=_validate(fields, self.stateless), fields=fields)

    def with_configurable(self, key: str, value: Any) -> RunRequest:
        """A copy with ``config.configurable[key]`` set unless the user set it."""
        config = dict(self.fields.get("config") or {})
        configurable = dict(config.get("configurable") or {})
        if key in configurable:
            return self
        configurable[key] = value
        config["configurable"] = configurable
        fields = {**self.fields, "config": config}
        body = _validate(fields, self.stateless)
        return RunRequest(
            body,
            fields,
            self.stateless,
            self.user_text,
            self.input_texts,
            self.has_command,
        )


def parse_json_flag(flag: str, text: str, *, text_alternative: str | None = None) -> Any:
    """Parse a flag's JSON value; the error shows the line and column.

    Args:
        flag: the flag's name, for the message.
        text: the value as given.
        text_alternative: a flag that takes plain text instead (named in the hint).

    Raises:
        UsageError: not JSON.
    """
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        shown = one_line(text, 40)
        stripped = text.strip()
        if stripped and stripped[0] not in '{["-0123456789' and " " not in stripped:
            hint = f"; to send it as text, quote it as JSON: {flag} '\"{shown}\"'"
            if text_alternative:
                hint += f" (or use {text_alternative} {shown})"
            raise UsageError(f"{flag}: {shown!r} is not JSON{hint}") from None
        raise UsageError(
            f"{flag}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None


def _names(values: list[str] | None) -> list[str]:
    out: list[str] = []
    for value in values or []:
        out.extend(part.strip() for part in value.split(","))
    return out


def _breakpoints(values: list[str] | None) -> Any:
    names = _names(values)
    if not names:
        return None
    return "*" if "*" in names else names


def _field_path(loc: tuple[Any, ...]) -> str:
    if not loc:
        return ""
    head = str(loc[0])
    if head in _SUBFIELDS and len(loc) > 1 and loc[1] in _SUBFIELDS[head]:
        return f"{head}.{loc[1]}"
    return head


def format_validation_error(
    exc: ValidationError, *, prefix: tuple[str, ...] = (), stateless: bool = False
) -> str:
    """Turn a ValidationError into one line per flag: the flag, the problem, what was given."""
    by_flag: dict[str, list[dict[str, Any]]] = {}
    for detail in exc.errors():
        loc = prefix + tuple(detail["loc"])
        by_flag.setdefault(_field_path(loc), []).append({**detail, "loc": loc})
    lines: list[str] = []
    for path, errs in by_flag.items():
        # a list element's error says which element; a union reports every branch: take one
        specific = [e for e in errs if any(isinstance(p, int) for p in e["loc"])]
        err = (specific or errs)[0]
        flag = _FLAGS.get(path, f"--{path.replace('_', '-')}" if path else "")
        if err["type"] == "extra_forbidden":
            if path in _THREAD_ONLY and stateless:
                lines.append(f"{flag}: not allowed with --stateless (only for runs on a thread)")
            elif path in _STATELESS_ONLY and not stateless:
                lines.append(f"{flag}: only for --stateless runs")
            else:
                where = ".".join(str(p) for p in err["loc"])
                allowed = ", ".join(_SUBFIELDS.get(path.split(".")[0], ()))
                more = f" (allowed keys: {allowed})" if allowed else ""
                lines.append(f"{flag}: unknown key {where!r}{more}")
            continue
        msg = str(err["msg"]).removeprefix("Value error, ")
        got = err.get("input")
        shown = "" if isinstance(got, dict) or path == "" else f" (got {one_line(repr(got), 60)})"
        lines.append(f"{flag}: {msg}{shown}" if flag else msg)
    return "\n".join(lines)


def _validate(fields: dict[str, Any], stateless: bool) -> RunCreate | RunCreateStateless:
    model = RunCreateStateless if stateless else RunCreate
    try:
        return model.model_validate(fields)
    except ValidationError as exc:
        raise UsageError(format_validation_error(exc, stateless=stateless)) from None


def _command(args: argparse.Namespace) -> Any:
    resume_map: dict[str, Any] = {}
    for item in args.resume_id or []:
        interrupt_id, sep, value = item.partition("=")
        if not sep or not interrupt_id:
            raise UsageError(f"--resume-id: expected ID=JSON, got {one_line(item, 60)!r}")
        resume_map[interrupt_id.strip()] = parse_json_flag(f"--resume-id {interrupt_id}=", value)
    has_resume = args.resume is not None or args.resume_text is not None
    if has_resume and resume_map:
        raise UsageError("--resume and --resume-id: use one of them (--resume-id for several)")
    if args.resume is not None and args.resume_text is not None:
        raise UsageError("--resume and --resume-text: use one of them")
    resume: Any = None
    if args.resume is not None:
        resume = parse_json_flag("--resume", args.resume, text_alternative="--resume-text")
    elif args.resume_text is not None:
        resume = args.resume_text
    update = parse_json_flag("--update", args.update) if args.update is not None else None
    goto: Any = args.goto
    if goto is not None and goto.lstrip()[:1] in ("{", "["):
        goto = parse_json_flag("--goto", goto)
    if not (has_resume or resume_map or update is not None or goto is not None):
        return None
    try:
        return build_command(
            resume=resume, resume_map=resume_map, update=update, goto=goto, has_resume=has_resume
        )
    except ValidationError as exc:
        raise UsageError(format_validation_error(exc, prefix=("command",))) from None


def _user_texts(value: Any) -> set[str]:
    messages = value.get("messages") if isinstance(value, dict) else None
    texts: set[str] = set()
    for message in messages if isinstance(messages, list) else []:
        if isinstance(message, dict) and message.get("role", message.get("type")) in (
            "user",
            "human",
        ):
            content = message.get("content")
            if isinstance(content, str):
                texts.add(content)
    return texts


def resume_flag(args: argparse.Namespace) -> str | None:
    """The resume flag given (``--resume``, ``--resume-text`` or ``--resume-id``), or None."""
    if args.resume_id:
        return "--resume-id"
    if args.resume_text is not None:
        return "--resume-text"
    return "--resume" if args.resume is not None else None


def run_protocol(args: argparse.Namespace, profile_protocol: str | None) -> RunProtocol:
    """The protocol of the run: ``--protocol``, else the profile's, else the runs API.

    Raises:
        UsageError: ``--protocol`` is not one of ``auto``, ``runs``, ``events``.
    """
    allowed: tuple[RunProtocol, ...] = get_args(RunProtocol)
    value = getattr(args, "protocol", None) or profile_protocol or "runs"
    for choice in allowed:
        if value == choice:
            return choice
    raise UsageError(f"--protocol: {value!r} is not one of {', '.join(allowed)}")


def check_something_to_send(args: argparse.Namespace, req: RunRequest) -> None:
    """A run on a new thread (or stateless) needs an input, and has no interrupt to answer.

    Without this, the server creates the thread and the run fails there (``EmptyInputError``),
    leaving an empty thread behind. A run on ``--thread`` is checked against the thread's
    state instead (:func:`bbot_tui.cli.runner.nothing_pending`).

    Raises:
        UsageError: no input, or a resume, for a run that is not on ``--thread``.
    """
    if args.thread:
        return
    flag = resume_flag(args)
    if flag is not None:
        raise UsageError(
            f"{flag}: a new thread has no interrupt to answer; pass --thread ID of the thread "
            "that waits (bbot-tui inbox lists them)"
        )
    if "input" not in req.fields and not req.has_command:
        raise UsageError(
            "nothing to send: pass --message TEXT or --input JSON (or --thread ID to go on "
            "with a thread stopped at a breakpoint)"
        )


def build_run_request(args: argparse.Namespace) -> RunRequest:
    """Validate the ``run`` flags into a :class:`RunRequest`.

    Raises:
        UsageError: a bad flag value or combination.
    """
    if not args.assistant:
        raise UsageError(
            "--assistant is required: an assistant id or a graph name (see bbot-tui assistants)"
        )
    stateless = bool(args.stateless)
    if args.detach and (stateless or args.wait):
        raise UsageError("--detach needs a run on a thread (not --stateless or --wait)")
    if args.record and (args.wait or args.detach):
        raise UsageError("--record needs a streamed run (not --wait or --detach)")
    fields: dict[str, Any] = {"assistant_id": args.assistant}
    user_text: str | None = None
    if args.message is not None:
        user_text = args.message
        # an id chosen here: the transcript knows the message's id before the run ends
        fields["input"] = {"messages": [user_message(args.message)]}
    elif args.input is not None:
        fields["input"] = parse_json_flag("--input", args.input, text_alternative="--message")
    command = _command(args)
    if command is not None:
        fields["command"] = command.to_body()
    config: dict[str, Any] = {}
    if args.config is not None:
        parsed = parse_json_flag("--config", args.config)
        if not isinstance(parsed, dict):
            raise UsageError(
                "--config: expected a JSON object like "
                '{"configurable": {...}, "tags": [...], "recursion_limit": 25}'
            )
        config.update(parsed)
    if args.tag:
        config["tags"] = [*(config.get("tags") or []), *args.tag]
    if args.recursion_limit is not None:
        config["recursion_limit"] = args.recursion_limit
    if config or args.config is not None:
        fields["config"] = config
    for name in ("context", "metadata"):
        value = getattr(args, name)
        if value is not None:
            fields[name] = parse_json_flag(f"--{name}", value)
    modes = _names(args.stream_mode) or list(DEFAULT_STREAM_MODES)
    if args.wait and "values" not in modes:
        # the wait endpoint answers with the run's last ``values`` event: a stateless run
        # asked for other modes only answers ``{}`` (on a thread the server reads the state)
        modes = ["values"] if not args.stream_mode else [*modes, "values"]
    fields["stream_mode"] = modes
    if args.subgraphs:
        fields["stream_subgraphs"] = True
    if args.resumable is not None:
        fields["stream_resumable"] = args.resumable
    for name, flag_value in (
        ("interrupt_before", _breakpoints(args.interrupt_before)),
        ("interrupt_after", _breakpoints(args.interrupt_after)),
        ("feedback_keys", list(args.feedback_key) if args.feedback_key else None),
        ("durability", args.durability),
        ("multitask_strategy", args.multitask_strategy),
        ("if_not_exists", args.if_not_exists),
        ("on_disconnect", args.on_disconnect),
        ("on_completion", args.on_completion),
        ("after_seconds", args.after_seconds),
        ("checkpoint_id", args.checkpoint_id),
        ("webhook", args.webhook),
    ):
        if flag_value is not None:
            fields[name] = flag_value
    body = _validate(fields, stateless)
    texts = _user_texts(fields.get("input"))
    return RunRequest(body, fields, stateless, user_text, texts, command is not None)
