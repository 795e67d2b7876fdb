"""Snapshots of the interrupt card (each shape, a breakpoint, a cancel) and its local behaviour.

Fixed PendingInterrupt data (the payloads of ``tests/graphs/hitl.py``), no server, so the
pictures are deterministic.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from textual import on
from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.widgets import Input

from bbot_tui.api.models import Command, ThreadState
from bbot_tui.stream.transcript import PendingInterrupt, Transcript
from bbot_tui.tui.resources import stylesheet
from bbot_tui.tui.widgets.interrupt_card import InterruptCard

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "graphs"))
from hitl import LEGACY_REQUEST, V1_REQUEST

LONG = "A long draft that the graph wants approved. " * 6


def transcript(stop: str | None, interrupts: list[PendingInterrupt], nxt: list[str]) -> Transcript:
    t = Transcript()
    t.stop = stop  # type: ignore[assignment]
    t.interrupts = interrupts
    t.next_nodes = nxt
    return t


LEGACY = transcript(
    "question", [PendingInterrupt("4a1b2c3d4e5f60718293", LEGACY_REQUEST)], ["review"]
)
V1 = transcript(
    "question", [PendingInterrupt("9f8e7d6c5b4a39281706", V1_REQUEST, ("tools:5c1d",))], ["review"]
)
GENERIC_TWO = transcript(
    "question",
    [
        PendingInterrupt("aaaa1111bbbb2222cccc", {"question": "a?"}),
        PendingInterrupt(
            "dddd3333eeee4444ffff",
            {"question": "approve?", "draft": LONG},
            ("child:0b7e6a1f", "inner:77aa"),
        ),
    ],
    ["ask_a", "ask_b"],
)
BREAKPOINT = transcript("breakpoint", [], ["step2"])
BREAKPOINT_STATE = ThreadState.model_validate(
    {
        "values": {
            "messages": [
                {"type": "human", "content": "hello", "id": "m1"},
                {"type": "ai", "content": "step1", "id": "m2"},
            ]
        },
        "next": ["step2"],
        "tasks": [{"id": "t1", "name": "step2", "interrupts": [], "result": None}],
        "metadata": {"step": 1, "source": "loop"},
    }
)
CANCELLED = transcript("cancelled", [], ["talk"])


class CardApp(App[None]):
    """Just the card, fed a fixed transcript."""

    CSS_PATH = [stylesheet("interrupt_card.tcss")]

    def __init__(self, t: Transcript | None, state: ThreadState | None = None) -> None:
        super().__init__()
        self.t = t
        self.state = state
        self.sent: list[Command | None] = []

    def compose(self) -> ComposeResult:
        yield InterruptCard()

    def on_mount(self) -> None:
        card = self.query_one(InterruptCard)
        card.state = self.state
        card.transcript = self.t

    @on(InterruptCard.ResumeRequested)
    def _resume(self, event: InterruptCard.ResumeRequested) -> None:
        self.sent.append(event.command)

    @on(InterruptCard.ContinueRequested)
    def _continue(self) -> None:
        self.sent.append(None)


async def settle(pilot: Pilot[None]) -> None:
    """Let the card build itself from the transcript set in ``on_mount``."""
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def test_snapshot_legacy(snap_compare: Any) -> None:
    assert snap_compare(CardApp(LEGACY), terminal_size=(90, 20), run_before=settle)


def test_snapshot_hitl_v1_edit(snap_compare: Any) -> None:
    async def choose_edit(pilot: Pilot[None]) -> None:
        await settle(pilot)
        pilot.app.query_one("#q0-kind-0").focus()
        await pilot.press("right", "enter")
        await pilot.pause()

    assert snap_compare(CardApp(V1), terminal_size=(90, 28), run_before=choose_edit)


def test_snapshot_two_generic_questions(snap_compare: Any) -> None:
    async def answer_first(pilot: Pilot[None]) -> None:
        await settle(pilot)
        pilot.app.query_one("#q0-answer", Input).focus()
        await pilot.press(*"A1")
        await pilot.pause()

    assert snap_compare(CardApp(GENERIC_TWO), terminal_size=(90, 34), run_before=answer_first)


def test_snapshot_breakpoint(snap_compare: Any) -> None:
    """The stop with the state at it: what ran, next, the task, the values."""
    app = CardApp(BREAKPOINT, BREAKPOINT_STATE)
    assert snap_compare(app, terminal_size=(80, 16), run_before=settle)


async def test_breakpoint_state_arriving_later_is_shown_in_place() -> None:
    app = CardApp(BREAKPOINT)
    async with app.run_test() as pilot:
        await settle(pilot)
        card = app.query_one(InterruptCard)
        assert str(card.query_one("#interrupt-state").render()) == "next: step2"
        card.state = BREAKPOINT_STATE
        await pilot.pause()
        shown = str(card.query_one("#interrupt-state").render())
        assert shown == "next: step2   step 1\ntask step2  pending"
        assert card.query_one("#interrupt-values").value == BREAKPOINT_STATE.values


def test_snapshot_cancelled(snap_compare: Any) -> None:
    assert snap_compare(CardApp(CANCELLED), terminal_size=(80, 8), run_before=settle)


async def test_hidden_when_nothing_to_show_and_edits_survive_updates() -> None:
    app = CardApp(None)
    async with app.run_test() as pilot:
        card = app.query_one(InterruptCard)
        assert not card.display
        card.transcript = transcript(None, [], [])
        await pilot.pause()
        assert not card.display
        same = transcript("question", [PendingInterrupt("i1", {"q": 1})], [])
        card.transcript = same
        await pilot.pause()
        assert card.display
        app.query_one("#q0-answer", Input).value = "typed"
        same.meta_version += 1  # the main screen sets the transcript again on every change
        card.transcript = same
        await pilot.pause()
        assert app.query_one("#q0-answer", Input).value == "typed"
        card.transcript = transcript("error", [], [])
        await pilot.pause()
        assert not card.display and not card.query(Input)


async def test_keyboard_only_answer_and_json_toggle() -> None:
    app = CardApp(transcript("question", [PendingInterrupt("i1", {"q": 1})], []))
    async with app.run_test() as pilot:
        await settle(pilot)
        card = app.query_one(InterruptCard)
        card.focus_first()
        await pilot.pause()
        assert app.focused is app.query_one("#q0-answer")
        await pilot.press("enter")  # nothing typed: not sent, the error says why
        assert app.sent == []
        assert "type an answer" in str(app.query_one("#interrupt-error").render())
        await pilot.press(*'{"ok": tru}', "tab", "space")  # tab to the JSON box, tick it
        await pilot.pause()
        assert "line 1, column 8" in str(app.query_one("#interrupt-error").render())
        await pilot.press("shift+tab", "end", "backspace", *"e}", "ctrl+s")
        await pilot.pause()
        assert app.sent == [Command(resume={"ok": True})]


async def test_goto_and_continue() -> None:
    app = CardApp(transcript("question", [PendingInterrupt("i1", "pick")], []))
    async with app.run_test() as pilot:
        await settle(pilot)
        app.query_one("#interrupt-goto", Input).value = "chat"
        app.query_one("#q0-answer", Input).value = "x"
        await pilot.pause()
        assert '"goto": "chat"' in str(app.query_one("#interrupt-preview").render())
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.sent == [Command(resume="x", goto="chat")]
        app.query_one(InterruptCard).transcript = BREAKPOINT
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.sent[-1] is None
