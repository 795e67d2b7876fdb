"""Demo scripts: one conversation written down, to play the same way every time.

A presenter needs the same conversation at every demo; a team needs to know in CI that an
assistant still behaves. Both read the same YAML file::

    assistant: demo_approval            # an assistant id, a graph id or a name
    title: Approve a post               # optional, shown to the presenter
    options: {stream_mode: [messages-tuple, updates]}   # run options (RunOptions), optional
    steps:
      - say: "email bob about the launch"       # a user message: starts a run
      - expect: {interrupt: true}               # the run stopped at an interrupt
      - answer: {decisions: [{type: approve}]}  # resume the pending interrupt
      - expect: {contains: "Published"}         # text the last answer must contain
      - note: "Here the agent asked before sending."   # for the presenter only
      - pause: 2                                # seconds

A step does one thing. The steps that start a run:

- ``say: TEXT``: a user message; ``input: VALUE``: the graph input as it is;
- a command on the thread: ``answer: VALUE`` resumes the one pending interrupt,
  ``answers: {KEY: VALUE}`` several at once (each ``KEY`` is an interrupt id or the node that
  asked, e.g. ``ask_a``: ids change from thread to thread, node names do not),
  ``update: {...}`` updates the state and ``goto: NODE`` jumps; these four may be combined in
  one step (one run), except ``answer`` with ``answers``.

The other steps: ``expect: {...}`` checks the last run (:class:`Expect`: ``interrupt``,
``contains``, ``matches``, ``tool``, ``status``; several keys must all hold), ``note: TEXT``
and ``pause: SECONDS``.

:func:`load_script` validates a file with the :class:`Script` model; every problem names the
YAML line, the step number (1-based) and the field (:class:`ScriptError`). ``options`` are the
run-options form's own model (:class:`~bbot_tui.session.run_options.RunOptions`; its JSON
fields may be written as YAML maps). :func:`script_from_thread` writes a script from a thread
that already happened, and :func:`dump_script` writes it as YAML. The player is
:mod:`bbot_tui.session.script_runner`. Nothing here imports Textual.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeAlias, get_args

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from bbot_tui.api.models import Run, ThreadState
from bbot_tui.session.core import Status
from bbot_tui.session.run_options import ONE_SHOT_FIELDS, RunOptions
from bbot_tui.stream.transcript import content_text, role_of
from bbot_tui.text import one_line

__all__ = [
    "COMMAND_KEYS",
    "RUN_KEYS",
    "STEP_KEYS",
    "Expect",
    "Problem",
    "Script",
    "ScriptError",
    "Step",
    "StepKey",
    "dump_script",
    "load_script",
    "read_script",
    "script_from_thread",
]

StepKey: TypeAlias = Literal[
    "say", "input", "answer", "answers", "update", "goto", "expect", "note", "pause"
]
"""The keys a step may have (each step uses one, or a command's keys together)."""
STEP_KEYS: tuple[str, ...] = get_args(StepKey)
COMMAND_KEYS: tuple[str, ...] = ("answer", "answers", "update", "goto")
"""Keys that make one command together (one run that resumes, updates or jumps)."""
RUN_KEYS: tuple[str, ...] = ("say", "input", *COMMAND_KEYS)
"""Keys of the steps that start a run; an ``expect`` checks the last of these."""

CONTAINS_MAX = 300
"""Characters of an answer that :func:`script_from_thread` puts in an ``expect.contains``."""

_JSON_TEXT_OPTIONS = ("configurable", "context", "metadata")


# --- the model ----------------------------------------------------------------------------------


class Expect(BaseModel):
    """What the last run must have done; every key given must hold."""

    model_config = ConfigDict(extra="forbid")

    interrupt: bool | None = Field(
        default=None,
        description="true: the run stopped at an interrupt (a question); false: it did not.",
    )
    contains: str | None = Field(
        default=None, description="Text the last answer (the run's last AI text) must contain."
    )
    matches: str | None = Field(
        default=None,
        description="A regular expression the last answer must match (Python re.search, "
        "with '.' matching newlines too).",
    )
    tool: str | None = Field(default=None, description="A tool the run called, by name.")
    status: Status | None = Field(
        default=None,
        description="How the run ended: success, interrupted (an interrupt or a breakpoint), "
        "error or cancelled.",
    )

    @field_validator("matches")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise PydanticCustomError(
                    "regex", "not a regular expression: {reason}", {"reason": str(exc)}
                ) from None
        return value

    @model_validator(mode="after")
    def _something(self) -> Expect:
        if not any(getattr(self, name) is not None for name in type(self).model_fields):
            allowed = ", ".join(type(self).model_fields)
            raise PydanticCustomError(
                "empty_expect", "expects nothing: give one of {allowed}", {"allowed": allowed}
            )
        return self

    def given(self) -> list[str]:
        """The keys given, in the model's order."""
        return [name for name in type(self).model_fields if getattr(self, name) is not None]


class Step(BaseModel):
    """One step of a script (see the module docstring for what each key does)."""

    model_config = ConfigDict(extra="forbid")

    say: str | None = Field(default=None, description="A user message; starts a run.")
    input: JsonValue = Field(default=None, description="The graph input as is; starts a run.")
    answer: JsonValue = Field(
        default=None, description="The answer to the one pending interrupt (command.resume)."
    )
    answers: dict[str, JsonValue] | None = Field(
        default=None,
        description="Answers to several pending interrupts, by interrupt id or by the node "
        "that asked.",
    )
    update: dict[str, JsonValue] | list[JsonValue] | None = Field(
        default=None, description="A state update (command.update)."
    )
    goto: str | list[str] | None = Field(
        default=None, description="The node(s) to run next (command.goto)."
    )
    expect: Expect | None = Field(default=None, description="Checks on the last run.")
    note: str | None = Field(default=None, description="Shown to the presenter only.")
    pause: float | None = Field(
        default=None, ge=0, le=3600, description="Seconds to wait (a presenter's beat)."
    )

    @model_validator(mode="after")
    def _one_thing(self) -> Step:
        given = self.given()
        if not given:
            raise PydanticCustomError(
                "empty_step",
                "an empty step: give one of {allowed}",
                {"allowed": ", ".join(STEP_KEYS)},
            )
        nullable = ("input", "answer")
        nulls = [k for k in given if k not in nullable and getattr(self, k) is None]
        if nulls:
            raise PydanticCustomError(
                "null_value", "{keys}: needs a value", {"keys": ", ".join(nulls)}
            )
        if len(given) > 1:
            if not set(given) <= set(COMMAND_KEYS):
                raise PydanticCustomError(
                    "several_things",
                    "{keys}: a step does one thing (only {command} go together, as one "
                    "command); make one step of each",
                    {"keys": ", ".join(given), "command": ", ".join(COMMAND_KEYS)},
                )
            if "answer" in given and "answers" in given:
                raise PydanticCustomError(
                    "answer_and_answers",
                    "answer, answers: use one (answers for several pending interrupts)",
                    {},
                )
        return self

    def given(self) -> list[str]:
        """The keys this step has, in :data:`STEP_KEYS` order."""
        return [k for k in STEP_KEYS if k in self.model_fields_set]

    @property
    def kind(self) -> str:
        """``say``, ``input``, ``command``, ``expect``, ``note`` or ``pause``."""
        first = self.given()[0]
        return "command" if first in COMMAND_KEYS else first

    @property
    def starts_run(self) -> bool:
        """Whether this step starts a run."""
        return self.kind in ("say", "input", "command")

    def spec(self) -> dict[str, Any]:
        """The step as written (its keys only), to compare with a tape's."""
        data = self.model_dump(mode="json", include=set(self.given()))
        if isinstance(data.get("expect"), dict):
            data["expect"] = {k: v for k, v in data["expect"].items() if v is not None}
        return data


class Script(BaseModel):
    """A demo script: the assistant, run options and the steps."""

    model_config = ConfigDict(extra="forbid")

    assistant: str = Field(min_length=1, description="An assistant id, a graph id or a name.")
    title: str | None = Field(default=None, description="A title for the presenter.")
    options: RunOptions = Field(
        default_factory=RunOptions,
        description="Run options for every run of the script (the run-options form's fields).",
    )
    steps: list[Step] = Field(min_length=1, description="What happens, in order.")

    @field_validator("options", mode="before")
    @classmethod
    def _yaml_maps_as_json_text(cls, value: Any) -> Any:
        # RunOptions holds its JSON fields as typed text; in YAML a map is the natural way
        if isinstance(value, dict):
            value = dict(value)
            for name in _JSON_TEXT_OPTIONS:
                if isinstance(value.get(name), dict | list):
                    value[name] = json.dumps(value[name], ensure_ascii=False)
        return value

    def run_steps(self) -> list[int]:
        """The 1-based numbers of the steps that start a run."""
        return [n for n, step in enumerate(self.steps, 1) if step.starts_run]

    def expects_status(self, number: int) -> bool:
        """Whether an ``expect`` after run step ``number`` (before the next run) names a status.

        A run that fails where no ``expect`` says ``status`` is a failure of its own.
        """
        for step in self.steps[number:]:
            if step.starts_run:
                return False
            if step.expect is not None and step.expect.status is not None:
                return True
        return False


# --- problems -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong in a script file.

    Attributes:
        line: the 1-based YAML line, or None (the file could not be read).
        step: the 1-based step number, or None (not inside a step).
        field: the field, dotted (``expect.contains``, ``options.stream_mode``), or ``""``.
        message: what is wrong.
    """

    line: int | None
    step: int | None
    field: str
    message: str

    def describe(self, source: str) -> str:
        """``FILE:LINE: step N: FIELD: message``."""
        where = f"{source}:{self.line}" if self.line is not None else source
        parts = [where]
        if self.step is not None:
            parts.append(f"step {self.step}")
        if self.field:
            parts.append(self.field)
        return ": ".join([*parts, self.message])


class ScriptError(ValueError):
    """A script that cannot be played: bad YAML, an unknown field, a wrong value.

    Attributes:
        source: the file name (or ``<script>``).
        problems: every problem found, in file order.
    """

    def __init__(self, source: str, problems: Sequence[Problem]) -> None:
        self.source = source
        self.problems = list(problems)
        super().__init__("\n".join(p.describe(source) for p in self.problems))


# --- loading --------------------------------------------------------------------------------------

_Path: TypeAlias = tuple[str | int, ...]


def _key_of(node: yaml.Node) -> str | int:
    if isinstance(node, yaml.ScalarNode):
        try:
            value = yaml.constructor.SafeConstructor().construct_object(node)
        except yaml.YAMLError:
            return str(node.value)
        return value if isinstance(value, int) and not isinstance(value, bool) else str(value)
    return str(getattr(node, "value", ""))


def _line_map(node: yaml.Node, path: _Path, out: dict[_Path, int]) -> None:
    """Map every path in the document (keys and list positions) to its 1-based line."""
    out.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = _key_of(key_node)
            out[(*path, key)] = key_node.start_mark.line + 1
            _line_map(value_node, (*path, key), out)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _line_map(item, (*path, index), out)


def _line_of(lines: dict[_Path, int], loc: Sequence[str | int]) -> int | None:
    path = tuple(loc)
    while path:
        if path in lines:
            return lines[path]
        path = path[:-1]
    return lines.get(())


def _allowed(loc: Sequence[str | int]) -> tuple[str, ...]:
    """The fields of the model a location is in (for an unknown field's message)."""
    if len(loc) >= 1 and loc[0] == "options":
        return tuple(RunOptions.model_fields)
    if len(loc) >= 3 and loc[0] == "steps" and isinstance(loc[1], int):
        if loc[2] == "expect":
            return tuple(Expect.model_fields)
        return STEP_KEYS
    return tuple(Script.model_fields)


def _split(loc: Sequence[str | int]) -> tuple[int | None, str]:
    """``(step number, dotted field)`` of a pydantic location."""
    if len(loc) >= 2 and loc[0] == "steps" and isinstance(loc[1], int):
        return loc[1] + 1, ".".join(str(p) for p in loc[2:])
    return None, ".".join(str(p) for p in loc)


def _message(error: Any) -> str:
    kind = error["type"]
    loc = tuple(error["loc"])
    if kind == "extra_forbidden":
        return f"unknown field; allowed: {', '.join(_allowed(loc))}"
    if kind == "missing":
        return "required"
    msg = str(error["msg"]).removeprefix("Value error, ")
    if kind in ("literal_error", "enum"):
        return f"{msg} (got {one_line(repr(error.get('input')), 60)})"
    return msg


def _problems_of(exc: ValidationError, lines: dict[_Path, int]) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[tuple[int | None, str]] = set()
    for error in exc.errors():
        loc = [p for p in error["loc"] if not (isinstance(p, str) and p.startswith("function-"))]
        # a union reports every branch (str, list…): one message per field is enough
        step, field = _split(loc)
        if (step, field) in seen:
            continue
        seen.add((step, field))
        problems.append(Problem(_line_of(lines, loc), step, field, _message(error)))
    return problems


def _order_problems(script: Script, lines: dict[_Path, int]) -> list[Problem]:
    """What the model cannot see alone: expects before any run, options a script cannot use."""
    problems: list[Problem] = []
    options = script.options
    if options.mode == "stateless":
        problems.append(
            Problem(
                _line_of(lines, ("options", "mode")),
                None,
                "options.mode",
                "a script runs on one thread: use stream (the default) or wait",
            )
        )
    for name in sorted(ONE_SHOT_FIELDS & options.model_fields_set):
        if name == "resume_as_json":
            continue
        problems.append(
            Problem(
                _line_of(lines, ("options", name)),
                None,
                f"options.{name}",
                "is for one run only: use an answer, update or goto step",
            )
        )
    try:
        options.validate_request()
    except ValidationError as exc:
        for error in exc.errors():
            field = ".".join(str(p) for p in error["loc"])
            msg = str(error["msg"]).removeprefix("Value error, ")
            problems.append(Problem(_line_of(lines, ("options",)), None, f"options.{field}", msg))
    ran = False
    for number, step in enumerate(script.steps, 1):
        if step.starts_run:
            ran = True
        elif step.expect is not None and not ran:
            problems.append(
                Problem(
                    _line_of(lines, ("steps", number - 1, "expect")),
                    number,
                    "expect",
                    "no run to check yet: put a say, input or answer step before it",
                )
            )
    return problems


def load_script(text: str, source: str = "<script>") -> Script:
    """Parse and validate a script.

    Args:
        text: the YAML.
        source: the file name, for messages.

    Returns:
        The validated script.

    Raises:
        ScriptError: bad YAML, or a script that does not validate; every problem names its
            line, its step and its field.
    """
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        reason = " ".join(str(p) for p in (exc.context, exc.problem) if p) or "bad YAML"
        start = exc.context_mark
        if start is not None and line is not None and start.line + 1 != line:
            reason += f" (it starts on line {start.line + 1})"
        raise ScriptError(source, [Problem(line, None, "", f"bad YAML: {reason}")]) from None
    except yaml.YAMLError as exc:
        raise ScriptError(source, [Problem(None, None, "", f"bad YAML: {exc}")]) from None
    if not isinstance(data, dict) or root is None:
        got = "an empty file" if data is None else f"a {type(data).__name__}"
        raise ScriptError(
            source,
            [Problem(1, None, "", f"a script is a map with assistant and steps, not {got}")],
        )
    lines: dict[_Path, int] = {}
    _line_map(root, (), lines)
    try:
        script = Script.model_validate(data)
    except ValidationError as exc:
        raise ScriptError(source, _problems_of(exc, lines)) from None
    problems = _order_problems(script, lines)
    if problems:
        raise ScriptError(source, problems)
    return script


def read_script(path: str | Path) -> Script:
    """Read and validate a script file (see :func:`load_script`).

    Raises:
        ScriptError: the file cannot be read, or the script is not valid.
    """
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ScriptError(name, [Problem(None, None, "", f"cannot read it ({reason})")]) from None
    return load_script(text, name)


# --- writing --------------------------------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    """Block style for multi-line strings, so an answer reads as it was written."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def _options_data(options: RunOptions) -> dict[str, Any]:
    data = options.model_dump(mode="json", exclude_defaults=True, exclude=set(ONE_SHOT_FIELDS))
    for name in _JSON_TEXT_OPTIONS:
        if isinstance(data.get(name), str) and data[name].strip():
            data[name] = json.loads(data[name])
    return data


def dump_script(script: Script) -> str:
    """The script as YAML (the keys each step has, options that differ from the defaults)."""
    data: dict[str, Any] = {"assistant": script.assistant}
    if script.title:
        data["title"] = script.title
    options = _options_data(script.options)
    if options:
        data["options"] = options
    data["steps"] = [step.spec() for step in script.steps]
    return yaml.dump(
        data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=False
    )


# --- from a thread ------------------------------------------------------------------------------


def _human_texts(run_input: Any) -> list[str] | None:
    """The texts of an input made of human messages only, or None for any other input."""
    messages = run_input.get("messages") if isinstance(run_input, dict) else None
    if not isinstance(messages, list) or set(run_input) != {"messages"} or not messages:
        return None
    texts: list[str] = []
    for message in messages:
        if isinstance(message, str):
            texts.append(message)
        elif isinstance(message, dict) and role_of(message) == "human":
            content = message.get("content")
            if not isinstance(content, str):
                return None
            texts.append(content)
        else:
            return None
    return texts


def _without_ids(run_input: Any) -> Any:
    messages = run_input.get("messages") if isinstance(run_input, dict) else None
    if not isinstance(messages, list):
        return run_input
    clean = [
        {k: v for k, v in m.items() if k != "id"} if isinstance(m, dict) else m for m in messages
    ]
    return {**run_input, "messages": clean}


def _task_names(states: Iterable[ThreadState]) -> dict[str, str]:
    """Interrupt id → the name of the node that asked, from a thread's checkpoints."""
    names: dict[str, str] = {}
    for state in states:
        for task in state.tasks:
            for item in task.interrupts:
                if item.id:
                    names.setdefault(item.id, task.name)
    return names


def _answer_steps(command: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    """A run's ``command`` as the keys of one script step."""
    step: dict[str, Any] = {}
    if "resume" in command:
        resume = command["resume"]
        if isinstance(resume, dict) and resume and set(resume) <= set(names):
            by_node = [names[key] for key in resume]
            if len(set(by_node)) == len(by_node):  # node names are portable, ids are not
                step["answers"] = {names[key]: value for key, value in resume.items()}
            else:
                step["answers"] = dict(resume)
        else:
            step["answer"] = resume
    if command.get("update") is not None:
        step["update"] = command["update"]
    if command.get("goto") is not None:
        step["goto"] = command["goto"]
    return step


def _shorten(text: str) -> str:
    """An answer cut at a line end to at most :data:`CONTAINS_MAX` characters (a prefix)."""
    text = text.strip()
    if len(text) <= CONTAINS_MAX:
        return text
    cut = text[:CONTAINS_MAX]
    return cut[: cut.rfind("\n")].rstrip() if "\n" in cut else cut


def _run_expect(run: Run, before: set[str], after: ThreadState | None) -> dict[str, Any] | None:
    """The ``expect`` a run's outcome gives: its stop, its tools and its last answer."""
    expect: dict[str, Any] = {}
    if run.status == "error":
        expect["status"] = "error"
    elif after is not None and (after.interrupts or any(t.interrupts for t in after.tasks)):
        expect["interrupt"] = True
    elif after is not None and after.next:
        expect["status"] = "interrupted"
    new = [m for m in (after.messages if after else []) if str(m.get("id") or "") not in before]
    tools: list[str] = []
    answer: str | None = None
    for message in new:
        if role_of(message) != "ai":
            continue
        for call in message.get("tool_calls") or []:
            if isinstance(call, dict) and call.get("name") and call["name"] not in tools:
                tools.append(str(call["name"]))
        text = content_text(message.get("content"))
        if text.strip():
            answer = text
    if tools:
        expect["tool"] = tools[0]
    if answer is not None:
        expect["contains"] = _shorten(answer)
    return expect or None


def script_from_thread(
    *,
    assistant: str,
    runs: Sequence[Run],
    history: Sequence[ThreadState],
    title: str | None = None,
    warnings: list[str] | None = None,
) -> Script:
    """A script that replays a thread: its human messages and interrupt answers, in order.

    The server keeps each run's input and ``command`` in the run's ``kwargs`` (checkpoint
    metadata does not carry the resume value), and each checkpoint's ``metadata.run_id`` tells
    which run wrote it: the newest checkpoint of a run is its outcome, which gives the
    ``expect`` after the run (its interrupt or error, the first tool it called, its last
    answer). Answers by interrupt id become answers by node (``ask_a``) when the node names are
    unique, since ids differ on every thread.

    Args:
        assistant: what the script's ``assistant`` says (a graph id is portable).
        runs: the thread's runs, any order.
        history: the thread's checkpoints, any order.
        title: the script's title.
        warnings: receives one sentence per run left out.

    Returns:
        The script.

    Raises:
        ValueError: the thread has no run a script can replay.
    """
    notes = warnings if warnings is not None else []
    by_run: dict[str, ThreadState] = {}
    for state in sorted(history, key=lambda s: s.created_at or ""):
        run_id = (state.metadata or {}).get("run_id")
        if isinstance(run_id, str):
            by_run[run_id] = state  # the newest checkpoint of each run wins
    names = _task_names(history)
    steps: list[Step] = []
    before: set[str] = set()
    for run in sorted(runs, key=lambda r: r.created_at or ""):
        kwargs = run.kwargs or {}
        after = by_run.get(run.run_id)
        command = kwargs.get("command")
        run_input = kwargs.get("input")
        if run.status in ("pending", "running"):
            notes.append(f"run {run.run_id} is still {run.status}: left out")
            continue
        if run.status in ("interrupted", "timeout"):
            notes.append(f"run {run.run_id} was cancelled ({run.status}): left out")
            continue
        if isinstance(command, dict) and command:
            steps.append(Step.model_validate(_answer_steps(command, names)))
        elif run_input is not None:
            texts = _human_texts(run_input)
            if texts is not None and len(texts) == 1:
                steps.append(Step(say=texts[0]))
            else:
                steps.append(Step(input=_without_ids(run_input)))
        else:
            notes.append(f"run {run.run_id} had neither input nor command: left out")
            continue
        expect = _run_expect(run, before, after)
        if expect:
            steps.append(Step(expect=Expect.model_validate(expect)))
        if after is not None:
            before = {str(m.get("id") or "") for m in after.messages}
    if not steps:
        raise ValueError("the thread has no run with an input or an answer to replay")
    return Script(assistant=assistant, title=title, steps=steps)
