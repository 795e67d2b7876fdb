"""Two runs side by side: the same input to two assistants (or one with two run options).

A :class:`Comparison` holds two :class:`CompareSide`\\ s, each an assistant, its
:class:`~bbot_tui.session.run_options.RunOptions` and its own
:class:`~bbot_tui.session.run.RunSession` on a new thread. :meth:`Comparison.run` sends the same
message to both at once (``asyncio.gather``); a side that fails or stops at an interrupt does
not stop the other, and an interrupt is answered on its own side (:meth:`CompareSide.resume`).
At the end :meth:`Comparison.diff` compares what each side produced:

- the final answers (the last AI text of each thread) as a unified diff;
- the tool calls (name and arguments, in order): the calls that are not on both sides, paired
  when the same tool was called with other arguments;
- the timings (:mod:`bbot_tui.stream.timing`): total, first token, speed, usage and nodes.

``bbot-tui compare`` prints it (``--json``: :meth:`Comparison.to_json`); the TUI's compare
screen streams both sides into two message views. Nothing here imports Textual.
"""

from __future__ import annotations

import asyncio
import difflib
import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import ValidationError

from bbot_tui.api import errors
from bbot_tui.api.client import AgentClient
from bbot_tui.api.models import Assistant, Command, RunCreate, RunCreateStateless
from bbot_tui.session.core import SessionUpdate
from bbot_tui.session.run import RunSession
from bbot_tui.session.run_options import RunOptions, field_errors
from bbot_tui.session.timing import run_timing
from bbot_tui.stream.timing import RunTiming
from bbot_tui.stream.transcript import Transcript, user_message
from bbot_tui.text import one_line

__all__ = [
    "CallDiff",
    "CompareDiff",
    "CompareSide",
    "Comparison",
    "Label",
    "ToolCallSummary",
    "final_answer",
    "options_from_json",
    "saved_options",
    "tool_calls",
]

Label = Literal["A", "B"]
"""The two sides."""

UpdateHook = Callable[["CompareSide", SessionUpdate], None]
"""Called with each update a side's session yields (the TUI refreshes that side's pane)."""

_JSON_TEXT_FIELDS = ("configurable", "context", "metadata", "update_text")
"""Run options held as JSON text: a JSON object given for them is written back as text."""


# --- run options from the command line ----------------------------------------------------------


def options_from_json(text: str) -> RunOptions:
    """Run options from a JSON object of :class:`RunOptions` fields.

    ``configurable``, ``context`` and ``metadata`` may be objects (the form holds them as
    text: they are written back as JSON text).

    Raises:
        ValueError: the text is not a JSON object, or a field is invalid (named with its
            error).
    """
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"not JSON ({exc})") from None
    if not isinstance(data, dict):
        raise ValueError("run options are a JSON object of fields")
    fields = {
        k: json.dumps(v) if k in _JSON_TEXT_FIELDS and isinstance(v, (dict, list)) else v
        for k, v in data.items()
    }
    unknown = sorted(k for k in fields if k not in RunOptions.model_fields)
    if unknown:
        raise ValueError(f"unknown run option {', '.join(map(repr, unknown))}")
    try:
        options = RunOptions.model_validate(fields)
        options.validate_request()
    except ValidationError as exc:
        problems = "; ".join(
            f"{name}: {', '.join(messages)}" for name, messages in field_errors(exc).items()
        )
        raise ValueError(problems) from None
    return options


def saved_options(saved: Mapping[str, Any], key: str) -> RunOptions | None:
    """The run options saved under ``key`` (an assistant id: the TUI saves them per assistant).

    Args:
        saved: ``Settings.run_options``.
        key: the key.

    Returns:
        The options (invalid saved values fall back to defaults), or None when none are saved.
    """
    if key not in saved:
        return None
    return RunOptions.from_settings(saved[key])


# --- what a thread holds --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ToolCallSummary:
    """A tool call as compared: its name and arguments."""

    name: str
    args: Any

    def key(self) -> str:
        """Name and arguments as canonical JSON (two equal calls have equal keys)."""
        return json.dumps([self.name, self.args], sort_keys=True, default=str)

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return {"name": self.name, "args": self.args}


def final_answer(transcript: Transcript) -> str:
    """The text of the last AI message that has text (the answer a user reads)."""
    for message in reversed(transcript.messages):
        if message.role == "ai" and message.text.strip():
            return message.text
    return ""


def tool_calls(transcript: Transcript) -> list[ToolCallSummary]:
    """Every tool call of the transcript's AI messages, in order."""
    return [
        ToolCallSummary(call.name, call.args if call.args is not None else call.args_text)
        for message in transcript.messages
        if message.role == "ai"
        for call in message.tool_calls
    ]


# --- one side -------------------------------------------------------------------------------


class CompareSide:
    """One side of a comparison: an assistant and its run options on a thread of its own.

    Args:
        label: ``A`` or ``B``.
        client: the client (both sides may share one).
        assistant: the assistant.
        options: the run options (their mode says stream, stateless or wait).

    Attributes:
        session: the side's run session (its transcript is what the side shows).
        thread_id: the side's thread, once created (None for a stateless run).
        error: why the side failed before its run ended (an API error), if it did.
    """

    def __init__(
        self, label: Label, client: AgentClient, assistant: Assistant, options: RunOptions
    ) -> None:
        self.label: Label = label
        self.client = client
        self.assistant = assistant
        self.options = options
        self.session = RunSession(client)
        self.thread_id: str | None = None
        self.error: str | None = None
        self.running = False
        """A run of this side is being followed."""
        self._ran = False

    @property
    def transcript(self) -> Transcript:
        """The side's transcript."""
        return self.session.transcript

    @property
    def name(self) -> str:
        """The assistant's name (its graph id when unnamed)."""
        return one_line(self.assistant.name or self.assistant.graph_id or "?", 60)

    @property
    def status(self) -> str:
        """``running``, ``failed`` (before the run ended), or the last run's outcome."""
        if self.running:
            return "running"
        if self.error is not None:
            return "failed"
        return self.session.outcome.status if self._ran else "not started"

    def timing(self) -> RunTiming:
        """The timing of the side's last run."""
        return run_timing(self.session)

    async def start(self, text: str, on_update: UpdateHook | None = None) -> None:
        """Send ``text`` on a new thread (stateless: none) and follow the run to its end.

        An API error is kept in :attr:`error` (the other side goes on); cancelling the task
        cancels the run's stream.
        """
        assistant, options = self.assistant, self.options
        body = options.build(
            assistant.assistant_id,
            {"messages": [user_message(text)]},
            entity_id=assistant.entity_id,
        )
        try:
            if options.mode != "stateless" and self.thread_id is None:
                thread = await self.client.threads.create(
                    metadata={
                        "assistant_id": assistant.assistant_id,
                        "graph_id": assistant.graph_id,
                        "title": one_line(text, 80) or "comparison",
                        "compare": self.label,
                    }
                )
                self.thread_id = thread.thread_id
            await self._follow(body, text, on_update)
        except errors.ApiError as exc:
            self.error = one_line(exc.message, 300)

    async def resume(self, command: Command | None, on_update: UpdateHook | None = None) -> None:
        """Answer the side's pending interrupt (``command``) or continue from its breakpoint
        (None: a run with no input)."""
        body = self.options.build(
            self.assistant.assistant_id, None, command, entity_id=self.assistant.entity_id
        )
        self.error = None
        try:
            await self._follow(body, None, on_update)
        except errors.ApiError as exc:
            self.error = one_line(exc.message, 300)

    async def _follow(
        self,
        body: RunCreate | RunCreateStateless,
        text: str | None,
        on_update: UpdateHook | None,
    ) -> None:
        self._ran = self.running = True
        session = self.session
        try:
            if self.options.mode == "wait":
                await session.wait(body, thread_id=self.thread_id, user_text=text)
            else:
                async for update in session.run(body, thread_id=self.thread_id, user_text=text):
                    if on_update is not None:
                        on_update(self, update)
        finally:
            self.running = False
        if on_update is not None:
            on_update(self, SessionUpdate([], None, "done"))

    def summary(self) -> dict[str, Any]:
        """The side as ``--json`` prints it: who, how, what it said and its timing."""
        t = self.transcript
        out: dict[str, Any] = {
            "label": self.label,
            "assistant": {
                "assistant_id": self.assistant.assistant_id,
                "graph_id": self.assistant.graph_id,
                "name": self.assistant.name,
            },
            "options": self.options.to_settings(),
            "thread_id": self.thread_id,
            "run_id": self.session.run_id,
            "status": self.status,
            "answer": final_answer(t),
            "tool_calls": [c.to_json() for c in tool_calls(t)],
            "interrupts": [p.to_json() for p in t.interrupts],
            "messages": t.to_json(),
            "timing": self.timing().to_json(),
        }
        if self.error is not None:
            out["error"] = self.error
        elif t.error:
            out["error"] = f"{t.error['error']}: {t.error['message']}"
        return out


# --- the difference ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CallDiff:
    """A tool call that is not on both sides: on A only, on B only, or with other arguments.

    Attributes:
        name: the tool's name.
        a: its arguments on side A (None: A made no such call here).
        b: its arguments on side B (None: B made no such call here).
    """

    name: str
    a: ToolCallSummary | None
    b: ToolCallSummary | None

    def to_json(self) -> dict[str, Any]:
        """``{"name", "a": args|null, "b": args|null}``."""
        return {
            "name": self.name,
            "a": None if self.a is None else self.a.args,
            "b": None if self.b is None else self.b.args,
        }


def diff_calls(a: list[ToolCallSummary], b: list[ToolCallSummary]) -> list[CallDiff]:
    """The calls that differ, in order (a changed call of the same tool is one pair)."""
    matcher = difflib.SequenceMatcher(None, [c.key() for c in a], [c.key() for c in b], False)
    out: list[CallDiff] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        left, right = list(a[i1:i2]), list(b[j1:j2])
        while left or right:
            x = left.pop(0) if left else None
            y = None
            if right and (x is None or right[0].name == x.name):
                y = right.pop(0)
            name = x.name if x is not None else y.name if y is not None else "?"
            out.append(CallDiff(name, x, y))
    return out


def _delta(a: float | int | None, b: float | int | None) -> dict[str, Any]:
    def r(v: float | int | None) -> float | int | None:
        return round(v, 4) if isinstance(v, float) else v

    return {"a": r(a), "b": r(b), "delta": r(b - a) if a is not None and b is not None else None}


@dataclass(slots=True)
class CompareDiff:
    """What differs between the two sides (see the module docstring).

    Attributes:
        answers_equal: the final answers are the same text.
        unified: the unified diff of the answers, line by line (empty when equal).
        tool_calls: the tool calls that differ.
        timing: ``{"total"|"ttft"|"first_event"|"tokens_per_second"|"total_tokens": {"a",
            "b", "delta"}, "nodes": {"a", "b", "equal"}}``.
    """

    answers_equal: bool
    unified: list[str] = field(default_factory=list)
    tool_calls: list[CallDiff] = field(default_factory=list)
    timing: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """JSON form (the differing tool calls by name, with each side's arguments)."""
        return {
            "answers_equal": self.answers_equal,
            "answer": "\n".join(self.unified),
            "tool_calls": [c.to_json() for c in self.tool_calls],
            "timing": self.timing,
        }


def diff_sides(a: CompareSide, b: CompareSide) -> CompareDiff:
    """Compare what two sides produced."""
    answer_a, answer_b = final_answer(a.transcript), final_answer(b.transcript)
    unified = list(
        difflib.unified_diff(
            answer_a.splitlines(),
            answer_b.splitlines(),
            fromfile=f"A {a.name}",
            tofile=f"B {b.name}",
            lineterm="",
        )
    )
    ta, tb = a.timing(), b.timing()
    timing = {
        "total": _delta(ta.total, tb.total),
        "first_event": _delta(ta.first_event, tb.first_event),
        "ttft": _delta(ta.ttft, tb.ttft),
        "tokens_per_second": _delta(ta.tokens_per_second, tb.tokens_per_second),
        "total_tokens": _delta(ta.usage.total_tokens, tb.usage.total_tokens),
        "nodes": {
            "a": ta.node_names(),
            "b": tb.node_names(),
            "equal": ta.node_names() == tb.node_names(),
        },
    }
    return CompareDiff(
        answers_equal=answer_a == answer_b,
        unified=unified,
        tool_calls=diff_calls(tool_calls(a.transcript), tool_calls(b.transcript)),
        timing=timing,
    )


# --- both ---------------------------------------------------------------------------------


class Comparison:
    """Two sides run with the same input at once.

    Args:
        a, b: the sides.
    """

    def __init__(self, a: CompareSide, b: CompareSide) -> None:
        self.a = a
        self.b = b
        self.message: str | None = None
        """The message both sides were sent."""

    @property
    def sides(self) -> tuple[CompareSide, CompareSide]:
        """``(a, b)``."""
        return self.a, self.b

    def side(self, label: Label) -> CompareSide:
        """The side with ``label``."""
        return self.a if label == "A" else self.b

    async def run(self, text: str, on_update: UpdateHook | None = None) -> CompareDiff:
        """Send ``text`` to both sides at once and wait for both runs to end.

        Args:
            text: the message.
            on_update: called with every update of either side.

        Returns:
            The difference (:meth:`diff`).
        """
        self.message = text
        starts: list[Awaitable[None]] = [s.start(text, on_update) for s in self.sides]
        await asyncio.gather(*starts)
        return self.diff()

    def diff(self) -> CompareDiff:
        """What differs now."""
        return diff_sides(self.a, self.b)

    def to_json(self) -> dict[str, Any]:
        """``bbot-tui compare --json``: both sides' summaries and the difference."""
        return {
            "type": "compare",
            "message": self.message,
            "a": self.a.summary(),
            "b": self.b.summary(),
            "diff": self.diff().to_json(),
        }
