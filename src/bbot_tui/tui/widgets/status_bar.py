"""The status bar: the inbox badge, profile, server, assistant, thread, run status, notices.

One line at the bottom of the main screen. The badge ("2 waiting", nothing at 0) leads the line
and is never dropped; a click on it posts :class:`StatusBar.InboxRequested`. The screen sets
its reactive attributes; when they do not fit, the least useful fields go first
(:data:`DROP_ORDER`) and the run state last. Every
value is untrusted (server names, thread titles, error text) and is drawn as plain
:class:`~textual.content.Content` after :func:`bbot_tui.text.one_line`, never as markup.
"""

from __future__ import annotations

from rich.cells import cell_len
from textual import events
from textual.content import Content
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

from bbot_tui.text import one_line

__all__ = ["StatusBar"]

_STATUS_STYLE = {
    "streaming": "$accent bold",
    "joining": "$accent bold",
    "rejoining": "$warning bold",
    "stopping": "$warning bold",
    "waiting": "$warning",
    "question": "$warning bold",
    "breakpoint": "$warning bold",
    "cancelled": "$warning",
    "stopped": "$warning",
    "error": "$error bold",
    "done": "$success",
    "idle": "$text-muted",
    "offline": "$error bold",
}


SEPARATOR = "  │  "
"""Between two fields."""

DROP_ORDER = ("server", "speed", "profile", "assistant", "thread", "warning", "notice")
"""Which fields go first when the bar is too narrow: the run state ("status") and the badge
("waiting") always stay."""

BADGE_STYLE = "$warning bold reverse"
"""The inbox badge: the warning colour, reversed, so that it reads as a badge."""


def _seconds(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.1f} s"


class StatusBar(Widget):
    """A one-line summary of the connection and the current run."""

    DEFAULT_CSS = """
    StatusBar { height: 1; width: 1fr; }
    """

    class InboxRequested(Message):
        """The inbox badge was clicked: open the inbox (the app decides how)."""

    waiting: reactive[int] = reactive(0)
    """How many threads wait for a human: the badge ("2 waiting"); none at 0."""

    profile: reactive[str] = reactive("")
    """Name of the active profile."""
    server: reactive[str] = reactive("")
    """Base URL of the active profile."""
    assistant: reactive[str] = reactive("")
    """Label of the selected assistant."""
    thread: reactive[str] = reactive("")
    """Title (or short id) of the open thread."""
    status: reactive[str] = reactive("idle")
    """Run status or connection phase: idle, streaming, rejoining, question, error…"""
    notice: reactive[str] = reactive("")
    """A transient sentence (rejoining…, detached…)."""
    warning: reactive[str] = reactive("")
    """A persistent warning (corrupt settings file moved aside…)."""
    ttft: reactive[float | None] = reactive(None)
    """Time to first token of the last run, in seconds."""
    tokens_per_second: reactive[float | None] = reactive(None)
    """Streaming speed of the last run."""
    rejoins: reactive[int] = reactive(0)
    protocol: reactive[str] = reactive("")
    """The protocol the last run used (``events``: the thread-centric event protocol), shown
    when it is not the runs API."""
    """How many times the last run's stream was rejoined."""

    _badge_cells = 0
    """The badge's width on the last drawn line (0: no badge), for clicks."""

    def render(self) -> Content:
        """Draw the bar from the reactive values, dropping the least useful fields to fit.

        When the fields do not fit the width, they go in the order of :data:`DROP_ORDER`
        (the server's URL first, the run state last); what is left is cut only when even the
        run state alone is too long.
        """
        fields: list[tuple[str, str, str]] = []

        def field(key: str, text: str, style: str = "", limit: int = 30) -> None:
            text = one_line(text, limit)
            if text:
                fields.append((key, text, style))

        if self.waiting > 0:
            fields.append(("waiting", f" {self.waiting} waiting ", BADGE_STYLE))
        if self.warning:
            field("warning", "⚠ " + self.warning, "$warning bold", 70)
        field("profile", self.profile, "bold", 20)
        field("server", self.server, "$text-muted", 40)
        field("assistant", self.assistant, "", 24)
        field("thread", self.thread, "", 30)
        status = one_line(self.status, 20) or "idle"
        field("status", status, _STATUS_STYLE.get(status, ""), 20)
        speed = []
        if self.ttft is not None:
            speed.append(f"ttft {_seconds(self.ttft)}")
        if self.tokens_per_second is not None:
            speed.append(f"{self.tokens_per_second:.0f} tok/s")
        if self.rejoins:
            speed.append(f"rejoined ×{self.rejoins}")
        if self.protocol == "events":
            speed.append("event protocol")
        field("speed", " · ".join(speed), "$text-muted", 50)
        field("notice", self.notice, "italic", 80)
        width = self.content_size.width or self.size.width
        if width > 0:
            for key in DROP_ORDER:
                if _length(fields) <= width:
                    break
                fields = [f for f in fields if f[0] != key]
        badge = next((text for key, text, _ in fields if key == "waiting"), "")
        self._badge_cells = min(cell_len(badge), width) if width > 0 else cell_len(badge)
        parts: list[str | tuple[str, str]] = []
        for _key, text, style in fields:
            if parts:
                parts.append((SEPARATOR, "$text-muted"))
            parts.append((text, style))
        content = Content.assemble(*parts)
        return content.truncate(width, ellipsis=True) if width > 0 else content

    def on_click(self, event: events.Click) -> None:
        """A click on the badge asks for the inbox."""
        offset = event.get_content_offset(self)
        if offset is not None and offset.y == 0 and 0 <= offset.x < self._badge_cells:
            event.stop()
            self.post_message(self.InboxRequested())


def _length(fields: list[tuple[str, str, str]]) -> int:
    return sum(cell_len(text) for _key, text, _style in fields) + len(SEPARATOR) * max(
        0, len(fields) - 1
    )
