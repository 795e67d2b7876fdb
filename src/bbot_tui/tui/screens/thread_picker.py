"""Pick a recent thread to open again (``/resume`` and the palette's "Resume a thread…").

The dialog lists the threads the screen hands it (the selected assistant's most recently
updated, read from the server by the caller), filters them by the words typed (title, status,
id) and dismisses with the chosen thread's id, or None on Escape.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from bbot_tui.text import one_line
from bbot_tui.tui.widgets.thread_pane import format_time, thread_label

if TYPE_CHECKING:
    from bbot_tui.api.models import Thread

__all__ = ["ThreadPickerScreen"]


class ThreadPickerScreen(ModalScreen[str | None]):
    """Recent threads, filtered as you type; Enter opens the highlighted one.

    Args:
        threads: The threads to offer, newest first.
        query: Words to filter by at first (``/resume WORDS``).
        current: The open thread (marked).
    """

    DEFAULT_CSS = """
    ThreadPickerScreen { align: center middle; }
    ThreadPickerScreen > Vertical {
        width: 80%; max-width: 100; height: 70%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    ThreadPickerScreen OptionList { height: 1fr; }
    ThreadPickerScreen #picker-hint { color: $text-muted; }
    """
    BINDINGS = [Binding("escape", "close", "Close")]
    """Escape closes without opening anything."""

    def __init__(self, threads: list[Thread], *, query: str = "", current: str | None = None):
        super().__init__()
        self.threads = list(threads)
        self.current = current
        self._query = query

    def compose(self) -> ComposeResult:
        """A filter, the list and a hint."""
        with Vertical() as box:
            box.border_title = "Resume a thread"
            yield Input(
                self._query, placeholder="filter by title, status or id", id="picker-filter"
            )
            yield OptionList(id="picker-list")
            yield Static(
                "↑↓ pick · Enter open · Esc close" if self.threads else "No threads yet.",
                id="picker-hint",
            )

    def on_mount(self) -> None:
        """Fill the list and focus the filter."""
        self._fill(self._query)
        self.query_one("#picker-filter", Input).focus()

    def matching(self, query: str) -> list[Thread]:
        """The threads whose title, status or id hold every word of ``query``."""
        words = query.lower().split()
        found = []
        for thread in self.threads:
            hay = f"{thread_label(thread)} {thread.status or ''} {thread.thread_id}".lower()
            if all(word in hay for word in words):
                found.append(thread)
        return found

    def _fill(self, query: str) -> None:
        options = self.query_one("#picker-list", OptionList)
        options.clear_options()
        for thread in self.matching(query):
            prompt = Text("● " if thread.thread_id == self.current else "  ")
            prompt.append(one_line(thread_label(thread), 60), style="bold")
            prompt.append(f"  {one_line(thread.status or 'idle', 12)}", style="dim")
            prompt.append(f"  {format_time(thread.updated_at)}", style="dim")
            options.add_option(Option(prompt, id=thread.thread_id))
        if options.option_count:
            options.highlighted = 0

    @on(Input.Changed, "#picker-filter")
    def _filter(self, event: Input.Changed) -> None:
        self._fill(event.value)

    @on(Input.Submitted, "#picker-filter")
    def _open_highlighted(self) -> None:
        options = self.query_one("#picker-list", OptionList)
        if options.highlighted is not None:
            self.dismiss(options.get_option_at_index(options.highlighted).id)

    @on(OptionList.OptionSelected, "#picker-list")
    def _open(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def on_key(self, event: events.Key) -> None:
        """↑/↓ in the filter move through the list."""
        key = event.key
        if key in ("up", "down"):
            options = self.query_one("#picker-list", OptionList)
            if options.option_count:
                current = options.highlighted or 0
                step = 1 if key == "down" else -1
                options.highlighted = (current + step) % options.option_count
                event.stop()

    def action_close(self) -> None:
        """Close without opening anything."""
        self.dismiss(None)
