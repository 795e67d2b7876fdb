"""Play a demo script on a new thread, step by step, and check its ``expect`` steps.

:class:`ScriptRunner` drives a :class:`~bbot_tui.session.run.RunSession` (the flow ``bbot-tui
run`` and the TUI use) through the steps of a :class:`~bbot_tui.session.script.Script` and yields
what happens as plain data (:data:`Progress`): the headless ``bbot-tui script run`` prints it,
the TUI's presenter mode can draw it. Each step that starts a run is built by the script's
:class:`~bbot_tui.session.run_options.RunOptions` (the run-options form's model), so a script
sends what the TUI would.

What an ``expect`` checks is the last run's :class:`StepResult`: its stop, status, the tools
its AI messages called and its *answer*, the text of the last AI message with text among the
messages the run added.

Besides the ``expect`` steps, two things fail a step: an answer with nothing to answer (no
interrupt pending, several pending for one ``answer``, an ``answers`` key that names no pending
interrupt), and a run that ends in an error where no ``expect`` after it names a ``status``.

With a :class:`~bbot_tui.session.tape.Tape`, a step whose request cannot reach the server (the
network, a 5xx, a 429: :data:`~bbot_tui.session.core.RETRYABLE`) is replayed from the tape
instead, and so is every run step after it: the thread on the server no longer holds what the
script has shown. :attr:`ScriptRunner.replayed` lists those steps. With ``pace`` a replayed
step comes at its recorded pace, event by event, for an audience to watch (presenter mode).

:meth:`ScriptRunner.play` plays the whole script; a presenter plays it a step at a time with
:meth:`ScriptRunner.open` and :meth:`ScriptRunner.play_step`. A step that fails with no tape to
stand in leaves the transcript as it was before the step, so the same step can be tried again.
Nothing here imports Textual.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from bbot_tui.api.client import AgentClient
from bbot_tui.api.errors import ApiError
from bbot_tui.api.models import RunCreate
from bbot_tui.session.core import RETRYABLE, SessionUpdate, Status
from bbot_tui.session.run import RunSession, build_command
from bbot_tui.session.script import Expect, Script, Step
from bbot_tui.session.tape import Tape, TapeWriter, interrupt_nodes, replay_paced, replay_step
from bbot_tui.stream.transcript import PendingInterrupt, StopKind, Transcript, user_message
from bbot_tui.text import one_line

__all__ = [
    "Check",
    "Checked",
    "Noted",
    "Paused",
    "Progress",
    "Replaying",
    "RunFinished",
    "RunProgress",
    "ScriptRunner",
    "StepResult",
    "StepStarted",
    "TapeMismatch",
    "check_expect",
]

SHOWN = 200
"""Characters of an answer quoted in a check's ``got``."""

_StopState: TypeAlias = tuple[
    list[PendingInterrupt], StopKind | None, list[str], dict[str, Any] | None
]
"""A transcript's interrupts, stop, next nodes and error (put back after a failed attempt)."""


class TapeMismatch(ApiError):
    """The tape's recording of a step is not the step the script has now.

    Raised (with the server failure as its cause) when a step cannot reach the server and the
    tape cannot stand in for it.
    """


@dataclass(slots=True)
class StepResult:
    """How a run step ended.

    Attributes:
        number: the step number (1-based).
        status: success, interrupted, error or cancelled.
        stop: the transcript's stop (question, breakpoint, cancelled, error) or None.
        answer: the text of the run's last AI message with text, or None.
        tools: the names of the tools the run's AI messages called, in order.
        interrupts: the interrupts pending after the run.
        error: the failure text, if the run failed.
        run_id: the run (as recorded, when replayed).
        replayed: the step came from the tape, not the server.
    """

    number: int
    status: Status
    stop: str | None = None
    answer: str | None = None
    tools: list[str] = field(default_factory=list)
    interrupts: list[PendingInterrupt] = field(default_factory=list)
    error: str | None = None
    run_id: str | None = None
    replayed: bool = False

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` line and the tape's result line."""
        return {
            "status": self.status,
            "stop": self.stop,
            "answer": self.answer,
            "tools": list(self.tools),
            "interrupts": [p.to_json() for p in self.interrupts],
            "error": self.error,
            "run_id": self.run_id,
            "replayed": self.replayed,
        }


@dataclass(frozen=True, slots=True)
class Check:
    """One expectation, held or not.

    Attributes:
        step: the step that expects it (an ``expect``, or the run or answer step itself).
        key: what was checked (``contains``, ``interrupt``, ``status``, ``answer``…).
        expected: what the script asked for, as written.
        got: what happened, in words.
        ok: whether it held.
    """

    step: int
    key: str
    expected: Any
    got: str
    ok: bool

    def describe(self) -> str:
        """``step 4: expect contains 'Published' — got: …``."""
        if isinstance(self.expected, str):
            expected = repr(one_line(self.expected, SHOWN))
        else:
            expected = one_line(json.dumps(self.expected, ensure_ascii=False), SHOWN)
        return f"step {self.step}: expect {self.key} {expected} — got: {self.got}"

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` line."""
        return {
            "step": self.step,
            "key": self.key,
            "expected": self.expected,
            "got": self.got,
            "ok": self.ok,
        }


@dataclass(frozen=True, slots=True)
class StepStarted:
    """A step begins."""

    number: int
    step: Step


@dataclass(frozen=True, slots=True)
class RunProgress:
    """A batch of a step's run: new events (the transcript has them already)."""

    number: int
    update: SessionUpdate


@dataclass(frozen=True, slots=True)
class RunFinished:
    """A step's run ended."""

    number: int
    result: StepResult


@dataclass(frozen=True, slots=True)
class Checked:
    """An expectation was checked."""

    number: int
    check: Check


@dataclass(frozen=True, slots=True)
class Noted:
    """A note for the presenter."""

    number: int
    text: str


@dataclass(frozen=True, slots=True)
class Paused:
    """A pause begins (the runner sleeps after yielding this, when pauses are on)."""

    number: int
    seconds: float


@dataclass(frozen=True, slots=True)
class Replaying:
    """The step is replayed from the tape, and why."""

    number: int
    reason: str


Progress: TypeAlias = StepStarted | RunProgress | RunFinished | Checked | Noted | Paused | Replaying
"""What :meth:`ScriptRunner.play` yields."""


def _quote(text: str | None) -> str:
    return "(no answer)" if text is None else repr(one_line(text, SHOWN))


def check_expect(number: int, expect: Expect, result: StepResult | None) -> list[Check]:
    """Check every key of an ``expect`` against the last run.

    Args:
        number: the ``expect`` step's number.
        expect: what it expects.
        result: the last run, or None when no run has happened.

    Returns:
        One :class:`Check` per key, in :class:`Expect` field order.
    """
    checks: list[Check] = []
    for key in expect.given():
        wanted = getattr(expect, key)
        if result is None:
            checks.append(Check(number, key, wanted, "no run yet", False))
            continue
        answer = result.answer or ""
        if key == "interrupt":
            stopped = result.stop == "question"
            got = (
                f"stopped at {len(result.interrupts)} interrupt(s)"
                if stopped
                else f"no interrupt (status {result.status})"
            )
            checks.append(Check(number, key, wanted, got, stopped == wanted))
        elif key == "contains":
            checks.append(Check(number, key, wanted, _quote(result.answer), wanted in answer))
        elif key == "matches":
            found = re.search(wanted, answer, re.DOTALL) is not None
            checks.append(Check(number, key, wanted, _quote(result.answer), found))
        elif key == "tool":
            got = "tools called: " + ", ".join(result.tools) if result.tools else "no tool call"
            checks.append(Check(number, key, wanted, got, wanted in result.tools))
        elif key == "status":
            got = result.status + (f" ({one_line(result.error, SHOWN)})" if result.error else "")
            checks.append(Check(number, key, wanted, got, result.status == wanted))
    return checks


class ScriptRunner:
    """Plays one script on one new thread.

    Args:
        client: the connection's client.
        script: the validated script.
        assistant_id: the resolved assistant.
        entity_id: B-Bot's entity id of the assistant (put in ``config.configurable``).
        source: the script's file name (for the tape).
        tape: a tape to replay steps from when the server fails.
        writer: a tape to record this play to.
        pauses: sleep at ``pause`` steps (off for CI).
        stop_at_failure: stop after the first check that fails (``--check``).
        session: the run session (a new one on ``client`` by default).
        sleep: how to wait at a pause and between replayed events (tests pass a fake).
        pace: replay a tape's step at its recorded pace (yielding as its events come) instead
            of all at once.

    Attributes:
        thread_id: the thread the script plays on (the tape's, when nothing reached the server).
        results: each run step's result, in order.
        checks: every check made, in order.
        replayed: the numbers of the steps replayed from the tape.
        failure: the first check that failed, or None.
    """

    def __init__(
        self,
        client: AgentClient,
        script: Script,
        *,
        assistant_id: str,
        entity_id: str | None = None,
        source: str = "<script>",
        tape: Tape | None = None,
        writer: TapeWriter | None = None,
        pauses: bool = True,
        stop_at_failure: bool = False,
        session: RunSession | None = None,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        pace: bool = False,
    ) -> None:
        self.client = client
        self.script = script
        self.assistant_id = assistant_id
        self.entity_id = entity_id
        self.source = source
        self.tape = tape
        self.writer = writer
        self.pauses = pauses
        self.stop_at_failure = stop_at_failure
        self.session = session or RunSession(client)
        self._sleep = sleep
        self.pace = pace
        self.thread_id: str | None = None
        self.results: list[StepResult] = []
        self.checks: list[Check] = []
        self.replayed: list[int] = []
        self.failure: Check | None = None
        self._offline: str | None = None  # why the rest replays from the tape
        self._opened = False

    @property
    def transcript(self) -> Transcript:
        """The conversation so far."""
        return self.session.transcript

    @property
    def last_result(self) -> StepResult | None:
        """The last run step's result."""
        return self.results[-1] if self.results else None

    @property
    def offline(self) -> bool:
        """Whether the rest of the script replays from the tape (the server failed)."""
        return self._offline is not None

    @property
    def stopped(self) -> bool:
        """Whether the play stopped at a failed check (``stop_at_failure``)."""
        return self.stop_at_failure and self.failure is not None

    # --- playing -----------------------------------------------------------------------------

    async def play(self) -> AsyncIterator[Progress]:
        """Play the steps in order, yielding what happens.

        Raises:
            ApiError: the server failed and no tape step could stand in for it (a
                :class:`TapeMismatch` when the tape holds a different step).
        """
        await self.open()
        for number in range(1, len(self.script.steps) + 1):
            if self.stopped:
                return
            async for item in self.play_step(number):
                yield item

    async def play_step(self, number: int) -> AsyncIterator[Progress]:
        """Play one step (1-based), yielding what happens; call :meth:`open` first.

        Steps are meant to be played in order, each once; a step that raised may be played
        again (its failed attempt left nothing in the transcript).

        Raises:
            ApiError: as :meth:`play`.
        """
        assert self._opened, "open() first"
        step = self.script.steps[number - 1]
        yield StepStarted(number, step)
        if step.starts_run:
            async for item in self._run_step(number, step):
                yield item
        elif step.expect is not None:
            for check in check_expect(number, step.expect, self.last_result):
                yield self._record(check)
                if self.stopped:
                    return
        elif step.note is not None:
            yield Noted(number, step.note)
        elif step.pause is not None:
            yield Paused(number, step.pause)
            if self.pauses and step.pause > 0:
                await self._sleep(step.pause)

    def _record(self, check: Check) -> Checked:
        self.checks.append(check)
        if not check.ok and self.failure is None:
            self.failure = check
        return Checked(check.step, check)

    async def open(self) -> None:
        """Create the script's thread (or, with a tape and no server, take the tape's).

        Done once; after a failure it may be called again.

        Raises:
            ApiError: the thread cannot be created and there is no tape.
        """
        if self._opened:
            return
        try:
            self.thread_id = (await self.client.threads.create()).thread_id
        except RETRYABLE as exc:
            if self.tape is None:
                raise
            self._offline = f"the server cannot be reached ({exc.message})"
            self.thread_id = self.tape.thread_id
        if self.writer is not None:
            self.writer.header(
                source=self.source,
                assistant=self.script.assistant,
                assistant_id=self.assistant_id,
                url=self.client.base_url,
                thread_id=self.thread_id,
            )
        self._opened = True

    async def _run_step(self, number: int, step: Step) -> AsyncIterator[Progress]:
        if self._offline is not None:
            async for item in self._replay(number, step, self._offline, cause=None):
                yield item
            return
        command, problem = self._command(number, step)
        if problem is not None:
            yield self._record(problem)
            return
        user_text = step.say
        run_input: Any = None
        if step.say is not None:
            run_input = {"messages": [user_message(step.say)]}
        elif "input" in step.model_fields_set:
            run_input = step.input
        body = self.script.options.build(
            self.assistant_id, run_input, command, entity_id=self.entity_id
        )
        assert isinstance(body, RunCreate)  # a script never runs stateless
        before = {m.key for m in self.transcript.messages}
        stop = self._stop_state()
        if self.writer is not None:
            self.writer.request(
                number,
                step.spec(),
                endpoint=f"POST /threads/{self.thread_id}/runs/stream",
                url=self.client.base_url,
                body=body.to_body(),
                user_text=user_text,
            )
        try:
            if self.script.options.mode == "wait":
                await self.session.wait(body, thread_id=self.thread_id, user_text=user_text)
                yield RunProgress(number, SessionUpdate([], None, "done"))
            else:
                updates = self.session.run(body, thread_id=self.thread_id, user_text=user_text)
                async for update in updates:
                    if self.writer is not None and update.events:
                        self.writer.events(number, update.events)
                    yield RunProgress(number, update)
        except RETRYABLE as exc:
            self._rollback(before, stop)  # a retry (or the tape) starts from the same state
            if self.tape is None:
                raise
            self._offline = f"the server failed at step {number} ({exc.message})"
            async for item in self._replay(number, step, self._offline, cause=exc):
                yield item
            return
        outcome = self.session.outcome
        result = self._result(number, before, outcome.status, outcome.error, outcome.run_id)
        if self.writer is not None:
            self.writer.state(number, self.session.last_state)
            self.writer.result(number, result.to_json())
        async for item in self._finish(number, result):
            yield item

    async def _replay(
        self, number: int, step: Step, reason: str, *, cause: ApiError | None
    ) -> AsyncIterator[Progress]:
        """Replay step ``number`` from the tape (the server failed here or before)."""
        assert self.tape is not None
        recorded = self.tape.step(number)
        if recorded is None:
            raise TapeMismatch(
                f"{reason}, and the tape has no complete recording of step {number}",
                hint="record the tape again with --record while the server is up",
            ) from cause
        if recorded.spec != step.spec():
            raise TapeMismatch(
                f"{reason}, and the tape's step {number} is another step "
                f"({one_line(str(recorded.spec), 80)})",
                hint="the script changed since the tape was recorded: record it again",
            ) from cause
        yield Replaying(number, reason)
        before = {m.key for m in self.transcript.messages}
        if self.pace:
            async for events in replay_paced(self.session.reducer, recorded, sleep=self._sleep):
                if events:
                    yield RunProgress(number, SessionUpdate(events, None, "replaying"))
        else:
            replay_step(self.session.reducer, recorded)
        saved = recorded.result
        status = saved.get("status")
        result = self._result(
            number,
            before,
            status if status in ("success", "interrupted", "error", "cancelled") else "success",
            saved.get("error") if isinstance(saved.get("error"), str) else None,
            saved.get("run_id") if isinstance(saved.get("run_id"), str) else None,
            replayed=True,
        )
        self.replayed.append(number)
        if self.writer is not None:
            body = recorded.request.get("body")
            self.writer.request(
                number,
                step.spec(),
                endpoint=str(recorded.request.get("endpoint") or ""),
                url=str(recorded.request.get("url") or ""),
                body=body if isinstance(body, dict) else {},
                user_text=step.say,
                replayed=True,
            )
            for line in recorded.events:
                self.writer.write({**line, "step": number})
            self.writer.state(number, recorded.state)
            self.writer.result(number, result.to_json())
        yield RunProgress(number, SessionUpdate([], None, "done"))
        async for item in self._finish(number, result):
            yield item

    async def _finish(self, number: int, result: StepResult) -> AsyncIterator[Progress]:
        self.results.append(result)
        yield RunFinished(number, result)
        if result.status == "error" and not self.script.expects_status(number):
            got = "error" + (f" ({one_line(result.error, SHOWN)})" if result.error else "")
            yield self._record(Check(number, "status", "no error", got, False))

    def _stop_state(self) -> _StopState:
        t = self.transcript
        return list(t.interrupts), t.stop, list(t.next_nodes), t.error

    def _rollback(
        self,
        before: set[str],
        stop: _StopState,
    ) -> None:
        """Undo what a failed live attempt did to the transcript (its messages, and the stop
        it cleared), before the tape's step replaces it or the step is tried again."""
        t = self.transcript
        for message in list(t.messages):
            if message.key not in before:
                t.remove(message)
        t.interrupts, t.stop, t.next_nodes, t.error = list(stop[0]), stop[1], list(stop[2]), stop[3]
        t.touch_meta()

    def _result(
        self,
        number: int,
        before: set[str],
        status: Status,
        error: str | None,
        run_id: str | None,
        *,
        replayed: bool = False,
    ) -> StepResult:
        t = self.transcript
        added = [m for m in t.messages if m.key not in before and m.role == "ai"]
        answer = next((m.text for m in reversed(added) if m.text.strip()), None)
        tools = [call.name for m in added for call in m.tool_calls if call.name]
        return StepResult(
            number,
            status,
            stop=t.stop,
            answer=answer,
            tools=tools,
            interrupts=list(t.interrupts),
            error=error,
            run_id=run_id,
            replayed=replayed,
        )

    # --- answers ---------------------------------------------------------------------------

    def _command(self, number: int, step: Step) -> tuple[Any, Check | None]:
        """The step's command (None for say/input), or the check that it cannot be sent."""
        fields = step.model_fields_set
        if not fields & {"answer", "answers", "update", "goto"}:
            return None, None
        resume_map: dict[str, Any] | None = None
        pending = self.transcript.interrupts
        if "answer" in fields or step.answers is not None:
            key = "answer" if "answer" in fields else "answers"
            if not pending:
                return None, Check(number, key, "a pending interrupt", "none is pending", False)
            if step.answers is not None:
                resume_map, problem = self._resolve(number, step.answers, pending)
                if problem is not None:
                    return None, problem
            elif len(pending) > 1:
                ids = ", ".join(str(p.id) for p in pending)
                got = f"{len(pending)} are pending ({ids}): answer them with answers: {{node: …}}"
                return None, Check(number, "answer", "one pending interrupt", got, False)
        command = build_command(
            resume=step.answer,
            resume_map=resume_map,
            update=step.update,
            goto=step.goto,
            has_resume="answer" in fields,
        )
        return command, None

    def _resolve(
        self, number: int, answers: dict[str, Any], pending: list[PendingInterrupt]
    ) -> tuple[dict[str, Any] | None, Check | None]:
        """Answers by interrupt id or node name → answers by interrupt id."""
        ids = [p.id for p in pending if p.id]
        state = self.session.last_state
        nodes = interrupt_nodes(state.tasks) if state is not None else []
        by_name: dict[str, list[str]] = {}
        for name, interrupt_id in nodes:
            if interrupt_id in ids and interrupt_id not in by_name.get(name, []):
                by_name.setdefault(name, []).append(interrupt_id)
        resolved: dict[str, Any] = {}
        for key, value in answers.items():
            if key in ids:
                resolved[key] = value
            elif len(by_name.get(key, [])) == 1:
                resolved[by_name[key][0]] = value
            else:
                listed = ", ".join(f"{name} ({', '.join(i)})" for name, i in by_name.items())
                listed = listed or ", ".join(ids) or "none"
                reason = "several interrupts" if by_name.get(key) else "no pending interrupt"
                got = f"{reason} for {key!r}; pending: {listed}"
                return None, Check(number, "answers", key, got, False)
        return resolved, None
