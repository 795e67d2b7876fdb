"""Presenter mode: a demo script played for an audience, one key press per turn.

``bbot-tui present FILE [--tape TAPE]`` opens this screen instead of the main screen. What the
audience sees is the conversation alone: the message view, the interrupt card when the graph
asks, the composer, and one small line at the bottom with the step counter and the presenter's
note (no ids, no URL, no event log, no key hints), in the high-contrast presentation theme.

Keys: **Space** or **→** plays the next turn (a ``say`` is typed into the composer at a readable
speed, then sent; an ``answer`` appears in the interrupt card's controls, then is sent);
**←** scrolls back to the turn before (it does not undo anything on the server) and **→** comes
forward again; ``ctrl+q`` quits.

When the server fails or cannot be reached at a step and a tape was given, that step and every
one after it replay from the tape at their recorded pace; the small line says ``↻ replay`` and
the presenter gets a toast saying why. Without a tape the error is shown plainly and Space tries
the same step again.

The screen owns a :class:`~.presentation.Presentation` (the script, the runner, the turns); the
runs go through :mod:`bbot_tui.session` (no HTTP here). Its stylesheet, ``styles/presenter.tcss``,
is loaded by the app.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual import getters, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.reactive import var
from textual.screen import Screen
from textual.widgets import Static
from textual.worker import Worker, WorkerState

from bbot_tui.text import one_line, sanitize
from bbot_tui.tui.messages import ProfileActivated, SettingsLoaded
from bbot_tui.tui.themes import PRESENTER_THEME
from bbot_tui.tui.widgets.composer import Composer
from bbot_tui.tui.widgets.interrupt_card import InterruptCard
from bbot_tui.tui.widgets.message_view import MessageView

if TYPE_CHECKING:
    from bbot_tui.session.script import Step
    from bbot_tui.session.script_runner import Progress
    from bbot_tui.tui.screens.app_services import AppServices
    from bbot_tui.tui.screens.presentation import Presentation, Turn

__all__ = ["Beats", "PresenterScreen"]


@dataclass(frozen=True)
class Beats:
    """The presenter's timing, in seconds (tests make it fast).

    Attributes:
        typing: per character typed into the composer (about 30 characters a second).
        typing_budget: the longest a prompt takes to type (long prompts type faster).
        send: the pause between a typed prompt and its sending (time to read it).
        answer: how long an answer stays in the interrupt card before it is sent.
    """

    typing: float = 0.035
    typing_budget: float = 4.0
    send: float = 0.6
    answer: float = 1.5


class PresenterScreen(Screen[None]):
    """The conversation of a demo script, played a turn per key press."""

    AUTO_FOCUS = None
    BINDINGS = [
        Binding("space,right", "next", "Next step", priority=True),
        Binding("left", "back", "Previous step", priority=True),
    ]
    """Space or → plays the next turn (→ first comes forward after ←); ← looks back."""

    busy: var[bool] = var(False, toggle_class="-busy")
    """True while a turn plays (a key press then waits for it)."""

    view = getters.query_one(MessageView)
    """The conversation."""
    card = getters.query_one(InterruptCard)
    """The interrupt card (shown when the graph asks)."""
    composer = getters.query_one(Composer)
    """The composer the prompts are typed into."""
    line = getters.query_one("#presenter-line", Static)
    """The one small line: step counter, note, replay marker or error."""

    def __init__(
        self, presentation: Presentation, *, beats: Beats | None = None, id: str | None = None
    ) -> None:
        super().__init__(id=id)
        self.presentation = presentation
        """The script, the runner and the turns."""
        self.beats = beats or Beats()
        """The timing of typing and answering."""

    @property
    def services(self) -> AppServices:
        """The app, typed by what the screen uses of it (the app is not imported here)."""
        return cast("AppServices", self.app)

    # --- layout ---------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        """The conversation, the card, the composer and the small line."""
        yield MessageView(id="message-view")
        yield InterruptCard(id="interrupt-card")
        yield Composer(id="composer")
        yield Static("", id="presenter-line", markup=False)

    def on_mount(self) -> None:
        """Show the (empty) conversation, quiet the composer, use the presentation theme."""
        self.view.transcript = self.presentation.transcript
        self.card.transcript = self.presentation.transcript
        composer = self.composer
        composer.read_only = True
        composer.can_focus = False
        self.call_after_refresh(self._quiet_composer)
        self._use_theme()
        self.sync_line()

    def _quiet_composer(self) -> None:
        # the composer's hints ("Enter send…") are chrome: the presenter's keys are elsewhere
        self.composer.placeholder = ""
        self.composer.border_subtitle = ""

    def _use_theme(self) -> None:
        if PRESENTER_THEME.name in self.app.available_themes:
            self.app.theme = PRESENTER_THEME.name

    @on(SettingsLoaded)
    def _settings_loaded(self) -> None:
        # the app applied the saved theme at startup; a presentation keeps its own
        self._use_theme()

    @on(ProfileActivated)
    def _profile_activated(self) -> None:
        self.sync_line()

    # --- the small line ----------------------------------------------------------------------

    def sync_line(self) -> None:
        """Say where the script is: ``2/6 · note``, the replay marker, or the error."""
        p = self.presentation
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(f"{p.shown}/{p.total}", "bold")
        if p.viewing is not None:
            text.append("  ← looking back (→ returns)")
        turn = p.shown_turn
        if turn is not None and turn.replayed:
            text.append("  ↻ replay", "bold reverse")
        if p.error is not None:
            text.append(f"  ✗ {one_line(p.error, 200)} · Space tries again", "bold")
        elif self.busy:
            pass
        elif p.finished and p.viewing is None:
            text.append("  · the end")
        note = p.note() if p.viewing is None else None
        if note and p.error is None:
            text.append(f"  · {one_line(sanitize(note), 300)}")
        elif p.shown == 0 and p.error is None and not self.busy:
            title = p.script.title
            text.append(f"  · {one_line(sanitize(title), 120)}" if title else "")
            text.append("  · Space starts")
        self.line.update(text)
        self.set_class(p.error is not None, "-error")
        self.set_class(turn is not None and turn.replayed, "-replay")

    # --- keys ------------------------------------------------------------------------------

    def action_next(self) -> None:
        """Come forward (after ←), else play the next turn."""
        p = self.presentation
        if p.viewing is not None:
            self._show_turn(p.forward())
            return
        if self.busy:
            return
        if p.finished:
            self.notify("That was the last step.", timeout=3)
            return
        p.error = None  # tried again: the line says so until the step ends
        self.busy = True
        self.play_next()

    def action_back(self) -> None:
        """Scroll back to the turn before the one on screen."""
        if self.busy:
            return
        turn = self.presentation.back()
        if turn is None:
            return
        self._show_turn(turn)

    def _show_turn(self, turn: Turn | None) -> None:
        view = self.view
        if turn is None:
            view.follow = True
        elif turn.first_key is not None:
            layout = view.strip_layout
            position = layout.position(turn.first_key)
            if position is not None:
                start, _end = layout.span(position)
                view.follow = False
                view.scroll_to(y=start, animate=False, force=True)
        self.sync_line()

    # --- playing --------------------------------------------------------------------------

    @work(exclusive=True, group="present", exit_on_error=False)
    async def play_next(self) -> None:
        """The step worker: connect (once), then play one turn and draw it."""
        p = self.presentation
        self.busy = True
        self.view.follow = True
        self.sync_line()
        try:
            profile = self.services.profile
            auto = profile is None or profile.assistants_path == "auto"
            await p.connect(self.services.client, auto=auto)
            if p.notice:
                self.notify(p.notice, title="Replay", severity="warning", markup=False)
                p.notice = None
            async for item in p.play_turn():
                await self._show(item)
        finally:
            self.busy = False
            self._clear_composer()
        self.sync_line()

    async def _show(self, item: Progress) -> None:
        from bbot_tui.session.script_runner import (
            Checked,
            Replaying,
            RunFinished,
            RunProgress,
            StepStarted,
        )

        t = self.presentation.transcript
        if isinstance(item, StepStarted) and item.step.starts_run:
            await self._before_run(item.step)
        elif isinstance(item, RunProgress):
            self.card.transcript = t
        elif isinstance(item, Replaying):
            self._clear_composer()
            self.notify(
                f"Step {item.number} replays from the tape: {one_line(item.reason, 200)}",
                title="Replay",
                severity="warning",
                timeout=8,
                markup=False,
            )
            self.set_class(True, "-replay")
        elif isinstance(item, RunFinished):
            runner = self.presentation.runner
            self.card.state = runner.session.last_state if runner is not None else None
            self.card.transcript = t
            if item.result.status == "error":
                self.notify(
                    one_line(item.result.error or "the run failed", 300),
                    title=f"Step {item.number} failed",
                    severity="error",
                    markup=False,
                )
        elif isinstance(item, Checked) and not item.check.ok:
            self.notify(
                one_line(item.check.describe(), 300),
                title="An expect failed",
                severity="warning",
                markup=False,
            )

    async def _before_run(self, step: Step) -> None:
        """What the audience sees before a step's run: its prompt typed, or its answer."""
        if step.say is not None:
            await self._type(step.say)
        elif "input" in step.model_fields_set:
            await self._type(json.dumps(step.input, ensure_ascii=False))
        else:
            answers = self.presentation.answers_of(step)
            if answers is not None and self.card.display:
                self.card.load_answers(answers)
                await asyncio.sleep(self.beats.answer)
            return
        await asyncio.sleep(self.beats.send)
        self._clear_composer()

    async def _type(self, text: str) -> None:
        """Type ``text`` into the composer a character at a time."""
        composer = self.composer
        composer.clear()
        beats = self.beats
        delay = min(beats.typing, beats.typing_budget / max(1, len(text)))
        for char in text:
            composer.insert(char)
            await asyncio.sleep(delay)

    def _clear_composer(self) -> None:
        self.composer.clear()

    # --- failures, in one place ------------------------------------------------------------

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        if event.state != WorkerState.ERROR or event.worker.group != "present":
            return
        title, text = _describe(event.worker.error)
        self.presentation.error = text
        self.card.transcript = self.presentation.transcript
        self.notify(text, title=title, severity="error", timeout=10, markup=False)
        self.sync_line()


def _describe(error: BaseException | None) -> tuple[str, str]:
    """A title and a sanitized, key-free sentence for a failed turn."""
    from bbot_tui.session.assistants import AssistantLookupError
    from bbot_tui.tui.screens.main import describe_error

    if isinstance(error, AssistantLookupError):
        return "Assistant", one_line(sanitize(str(error)), 300)
    return describe_error(error)
