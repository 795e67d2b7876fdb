"""Run details: where one run's time went, over the conversation.

``t`` on a message of the message view (or "Run details…" in the palette) opens
:class:`RunDetailsScreen` for the run that made that message (the last run when nothing is
selected): when the server started it, the first token, the tokens and their speed, the total,
the token usage its messages reported, the rejoins and replayed events, and the node waterfall
drawn as bars (:class:`~bbot_tui.tui.widgets.waterfall.Waterfall`). The figures come from
:mod:`bbot_tui.stream.timing` (the same ones as ``bbot-tui run --json``'s ``timing``). While
the run still streams the screen measures it again twice a second. Escape, Enter or ``t`` close.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Label, Static

from bbot_tui.stream.timing import RunTiming, TimingSource
from bbot_tui.text import one_line
from bbot_tui.tui.resources import stylesheet
from bbot_tui.tui.widgets.waterfall import Waterfall

__all__ = ["SOURCE_TEXT", "RunDetailsScreen", "figures"]

SOURCE_TEXT: dict[TimingSource, str] = {
    "tasks": "nodes from the run's tasks events (start and end as they arrived)",
    "debug": "nodes from the run's debug events (durations on the server's clock)",
    "updates": "nodes from the run's updates events (each start inferred from the write before)",
    "tokens": "nodes from the tokens' metadata (no tasks, debug or updates events)",
}
"""What each waterfall source means, under the bars."""

REFRESH = 0.5
"""Seconds between two measures while the run streams."""


def _seconds(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f} s"


def figures(timing: RunTiming) -> list[tuple[str, str]]:
    """The run's figures as ``(name, value)`` rows, in the order the screen shows them."""
    u = timing.usage
    usage = (
        f"{u.input_tokens} in · {u.output_tokens} out · {u.total_tokens} total "
        f"({u.messages} message{'s' if u.messages != 1 else ''})"
        if u.messages
        else "not reported by the model"
    )
    speed = (
        f"{timing.tokens} chunks · {timing.tokens_per_second:.0f} tokens/s"
        if timing.tokens_per_second is not None
        else f"{timing.tokens} chunks"
    )
    total = _seconds(timing.total) + (" (still running)" if timing.running else "")
    return [
        ("server started it after", _seconds(timing.first_event)),
        ("first token after", _seconds(timing.ttft)),
        ("streamed", speed),
        ("total", total),
        ("token usage", usage),
        (
            "connection",
            f"{timing.rejoins} rejoins · {timing.replayed} replayed events dropped · "
            f"{timing.restarts} restarts",
        ),
    ]


class RunDetailsScreen(ModalScreen[None]):
    """Where one run's time went (see the module docstring).

    Args:
        measure: returns the run's timing now (None: no run of this session made the message).
    """

    CSS_PATH = stylesheet("run_details.tcss")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,enter,t", "close", "Close"),
    ]
    """Escape, Enter or ``t`` (the key that opened it) close the screen."""

    def __init__(self, measure: Callable[[], RunTiming | None]) -> None:
        super().__init__()
        self._measure = measure
        self._timer: Timer | None = None
        self.timing: RunTiming | None = None
        """The run shown, as last measured."""

    def compose(self) -> ComposeResult:
        """The title, the figures, the waterfall and the hint."""
        with Vertical(id="run-details-box"):
            yield Label("Run details", id="run-details-title")
            yield Static(id="run-details-figures")
            with VerticalScroll(id="run-details-scroll"):
                yield Waterfall(id="run-details-waterfall")
            yield Static(id="run-details-source")
            yield Static("escape closes", id="run-details-hint")

    def on_mount(self) -> None:
        """Measure the run, and again while it streams."""
        self._show()
        if self.timing is not None and self.timing.running:
            self._timer = self.set_interval(REFRESH, self._show, name="run-details-refresh")

    def _show(self) -> None:
        timing = self.timing = self._measure()
        title = self.query_one("#run-details-title", Label)
        box = self.query_one("#run-details-figures", Static)
        source = self.query_one("#run-details-source", Static)
        self.query_one(Waterfall).timing = timing
        if timing is None:
            title.update("Run details")
            box.update(
                Text(
                    "No timing for this message: its run was not streamed in this session "
                    "(it was loaded with the thread). Runs sent or joined here are measured.",
                )
            )
            source.update("")
            self._stop_refreshing()
            return
        run = one_line(timing.run_id or "(no run id)", 40)
        title.update(f"Run details · run {run}")
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold", no_wrap=True)
        table.add_column()
        for name, value in figures(timing):
            table.add_row(name, value)
        box.update(table)
        source.update(SOURCE_TEXT[timing.source] if timing.source else "")
        if not timing.running:
            self._stop_refreshing()

    def _stop_refreshing(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    def action_close(self) -> None:
        """Close the screen."""
        self.dismiss(None)
