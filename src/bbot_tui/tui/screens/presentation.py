"""The presenter's controller: a demo script played one turn at a time, and looked back at.

:class:`Presentation` owns what presenter mode shows and where it is: the script, the
:class:`~bbot_tui.session.script_runner.ScriptRunner` that plays it on one new thread (through a
:class:`~bbot_tui.session.run.RunSession` filling :attr:`Presentation.transcript`), the next step
to play, the turns played so far and which of them is being looked at again.

A *turn* is one step that starts a run (``say``, ``input`` or a command such as ``answer``)
with the steps after it up to the next one (its ``expect`` checks, notes, pauses); the steps
before the first run are played with the first turn. Pauses are not waited for: the presenter
sets the beat. A step that fails (no tape to stand in) stays the next one, so playing again
retries it.

The screen (:mod:`.presenter`) runs :meth:`Presentation.play_turn` in its worker and draws
what it yields. Nothing here imports Textual.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bbot_tui.stream.transcript import Transcript

if TYPE_CHECKING:
    from bbot_tui.api.client import AgentClient
    from bbot_tui.session.script import Script, Step
    from bbot_tui.session.script_runner import Progress, ScriptRunner
    from bbot_tui.session.tape import Tape

__all__ = ["Presentation", "Turn"]


@dataclass
class Turn:
    """A run step played.

    Attributes:
        number: the step's number in the script (1-based).
        first_key: the transcript key of the first message the step added (where ← scrolls
            to), or None when it added none.
        replayed: the step came from the tape, not the server.
    """

    number: int
    first_key: str | None = None
    replayed: bool = False


class Presentation:
    """A script for an audience: one turn per key press, with a way back.

    Args:
        script: the validated script.
        source: the script's file name (for the tape and messages).
        tape: a tape whose steps stand in when the server fails.
        assistant: an assistant instead of the script's (id, graph id or name).

    Attributes:
        script, source, tape: as given.
        transcript: the conversation shown (the runner's session fills it).
        runner: the runner, once connected.
        position: the next step to play (1-based; past the end when the script is over).
        turns: the run steps played, in order.
        viewing: the index in :attr:`turns` looked at again (←), or None for the latest.
        error: why the last attempt failed (the same step plays on the next try), or None.
        notice: what the presenter should know about the connection (a tape standing in
            for the assistant lookup), or None.
    """

    def __init__(
        self,
        script: Script,
        *,
        source: str = "<script>",
        tape: Tape | None = None,
        assistant: str | None = None,
    ) -> None:
        self.script = script
        self.source = source
        self.tape = tape
        self.assistant = assistant or script.assistant
        self.transcript = Transcript()
        self.runner: ScriptRunner | None = None
        self.position = 1
        self.turns: list[Turn] = []
        self.viewing: int | None = None
        self.error: str | None = None
        self.notice: str | None = None

    # --- where the script is --------------------------------------------------------------

    @property
    def total(self) -> int:
        """How many turns the script has (its steps that start a run)."""
        return len(self.script.run_steps())

    @property
    def finished(self) -> bool:
        """Whether every step was played."""
        return self.position > len(self.script.steps)

    @property
    def shown(self) -> int:
        """The turn on screen, counted from 1 (0 before the first)."""
        return self.viewing + 1 if self.viewing is not None else len(self.turns)

    @property
    def shown_turn(self) -> Turn | None:
        """The turn on screen."""
        return self.turns[self.shown - 1] if self.shown else None

    def upcoming(self) -> tuple[int, Step] | None:
        """The next step that starts a run, with its number (None: no run is left)."""
        for number in range(self.position, len(self.script.steps) + 1):
            step = self.script.steps[number - 1]
            if step.starts_run:
                return number, step
        return None

    def note(self) -> str | None:
        """The note for what is next: the last note written before the next run step (after
        the one before it); once the script is over, the last note after the last run."""
        upcoming = self.upcoming()
        end = upcoming[0] if upcoming is not None else len(self.script.steps) + 1
        start = max([0, *(n for n in self.script.run_steps() if n < end)]) + 1
        notes = [s.note for s in self.script.steps[start - 1 : end - 1] if s.note is not None]
        return notes[-1] if notes else None

    # --- playing -------------------------------------------------------------------------

    async def connect(self, client: AgentClient, *, auto: bool = True) -> None:
        """Resolve the assistant and create the thread (once; again after a failure).

        With a tape and a server that cannot be reached, the tape's assistant and thread
        stand in and every step replays.

        Args:
            client: the connection's client.
            auto: find the assistants collection the server answers (a profile's ``auto``).

        Raises:
            AssistantLookupError: no assistant (or several) answer to the script's name.
            ApiError: the server failed and there is no tape.
        """
        from bbot_tui.session.run import RunSession
        from bbot_tui.session.script_runner import ScriptRunner

        if self.runner is None:
            assistant_id, entity_id = await self._assistant(client, auto=auto)
            self.runner = ScriptRunner(
                client,
                self.script,
                assistant_id=assistant_id,
                entity_id=entity_id,
                source=self.source,
                tape=self.tape,
                pauses=False,
                pace=True,
                session=RunSession(client, self.transcript),
            )
        await self.runner.open()

    async def _assistant(self, client: AgentClient, *, auto: bool) -> tuple[str, str | None]:
        from bbot_tui.session.assistants import resolve_assistant
        from bbot_tui.session.core import RETRYABLE

        try:
            assistant = await resolve_assistant(client, self.assistant, auto=auto)
        except RETRYABLE as exc:
            if self.tape is None or self.tape.assistant_id is None:
                raise
            self.notice = f"{exc.message}: the steps replay from the tape"
            return self.tape.assistant_id, None
        return assistant.assistant_id, assistant.entity_id

    async def play_turn(self) -> AsyncIterator[Progress]:
        """Play the next turn, yielding what the runner yields.

        Raises:
            ApiError: as :meth:`~bbot_tui.session.script_runner.ScriptRunner.play_step`; the
                failed step stays the next one (:attr:`error` is for the caller to set).
        """
        from bbot_tui.session.script_runner import RunFinished

        runner = self.runner
        assert runner is not None, "connect() first"
        upcoming = self.upcoming()
        end = len(self.script.steps) + 1
        if upcoming is not None:
            end = next(
                (n for n in self.script.run_steps() if n > upcoming[0]),
                len(self.script.steps) + 1,
            )
        self.viewing = None
        for number in range(self.position, end):
            before = {m.key for m in self.transcript.messages}
            turn: Turn | None = None
            async for item in runner.play_step(number):
                if isinstance(item, RunFinished):
                    added = [m.key for m in self.transcript.messages if m.key not in before]
                    turn = Turn(number, added[0] if added else None, item.result.replayed)
                yield item
            self.position = number + 1
            self.error = None
            if turn is not None:
                self.turns.append(turn)

    # --- looking back -------------------------------------------------------------------

    def back(self) -> Turn | None:
        """Look at the turn before the one on screen (the first stays the first)."""
        if not self.turns:
            return None
        current = self.viewing if self.viewing is not None else len(self.turns) - 1
        self.viewing = max(0, current - 1)
        return self.turns[self.viewing]

    def forward(self) -> Turn | None:
        """Look at the turn after the one on screen; None when that is the latest (live)."""
        if self.viewing is None:
            return None
        self.viewing += 1
        if self.viewing >= len(self.turns) - 1:
            self.viewing = None
            return None
        return self.turns[self.viewing]

    def answers_of(self, step: Step) -> dict[str | None, Any] | None:
        """A command step's answers by pending interrupt id (to show in the interrupt card).

        ``answer`` goes to the one pending interrupt; ``answers`` keys are interrupt ids or
        the nodes that asked. None when the step answers nothing or names no pending
        interrupt (the runner then reports it).
        """
        from bbot_tui.session.tape import interrupt_nodes

        pending = self.transcript.interrupts
        if "answer" in step.model_fields_set:
            return {pending[0].id: step.answer} if len(pending) == 1 else None
        if step.answers is None:
            return None
        ids = {p.id for p in pending}
        state = self.runner.session.last_state if self.runner is not None else None
        by_node: dict[str, list[str]] = {}
        for node, interrupt_id in interrupt_nodes(state.tasks) if state is not None else []:
            if interrupt_id in ids:
                by_node.setdefault(node, []).append(interrupt_id)
        out: dict[str | None, Any] = {}
        for key, value in step.answers.items():
            if key in ids:
                out[key] = value
            elif len(by_node.get(key, [])) == 1:
                out[by_node[key][0]] = value
            else:
                return None
        return out
