"""Small modals: confirm an action, confirm opening a link (showing the real URL), rename.

Every piece of text shown here may come from the server or the user: it is sanitized and drawn
as plain content, never markup.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Input, Label, Static

from bbot_tui.text import one_line, sanitize

__all__ = ["ConfirmScreen", "OpenUrlScreen", "RenameScreen", "is_openable_url"]

_CSS = """
ConfirmScreen, OpenUrlScreen, RenameScreen { align: center middle; }
.modal-box {
    width: 72; max-width: 90%; height: auto; max-height: 80%;
    border: thick $primary; background: $surface; padding: 1 2;
}
.modal-box.-danger { border: thick $error; }
.modal-title { text-style: bold; margin-bottom: 1; }
.modal-body { margin-bottom: 1; }
.modal-url { background: $boost; padding: 0 1; margin-bottom: 1; }
.modal-buttons { height: auto; align-horizontal: right; }
.modal-buttons Button { margin-left: 2; }
"""


def is_openable_url(url: str) -> bool:
    """Whether a link may be opened: only ``http`` and ``https`` with a host (docs/PROTOCOL.md,
    case U3).

    Args:
        url: The link's real target.

    Returns:
        True for http(s) URLs with a host and no control characters.
    """
    if sanitize(url, keep_newlines=False) != url or any(ch.isspace() for ch in url):
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


class ConfirmScreen(ModalScreen[bool]):
    """Ask a yes/no question; dismisses with True when confirmed."""

    DEFAULT_CSS = _CSS
    BINDINGS = [
        Binding("escape,n", "cancel", "Cancel"),
        Binding("y", "confirm", "Confirm", show=False),
    ]

    def __init__(
        self, title: str, body: str, *, confirm_label: str = "OK", danger: bool = False
    ) -> None:
        super().__init__()
        self._title = title
        self._body = body
        self._confirm_label = confirm_label
        self._danger = danger

    def compose(self) -> ComposeResult:
        """Title, body and buttons."""
        with Vertical(classes="modal-box -danger" if self._danger else "modal-box"):
            yield Label(Content(one_line(self._title, 70)), classes="modal-title")
            yield Static(Content(sanitize(self._body)), classes="modal-body")
            with Horizontal(classes="modal-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button(
                    self._confirm_label,
                    id="confirm",
                    variant="error" if self._danger else "primary",
                )
        yield Footer()  # this dialog's keys, over the main screen's

    def on_mount(self) -> None:
        """Focus the safe choice for dangerous actions."""
        self.query_one("#cancel" if self._danger else "#confirm", Button).focus()

    @on(Button.Pressed, "#confirm")
    def action_confirm(self) -> None:
        """Confirm."""
        self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        """Cancel."""
        self.dismiss(False)


class OpenUrlScreen(ModalScreen[bool]):
    """Show a link's real target before opening it; only http(s) links can be opened."""

    DEFAULT_CSS = _CSS
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, url: str) -> None:
        super().__init__()
        self.url = url
        self.allowed = is_openable_url(url)

    def compose(self) -> ComposeResult:
        """The URL, exactly, and the buttons."""
        with Vertical(classes="modal-box" if self.allowed else "modal-box -danger"):
            yield Label("Open this link in your browser?", classes="modal-title")
            shown = sanitize(self.url, keep_newlines=False)
            if len(shown) > 2000:
                shown = shown[:2000] + "…"
            yield Static(Content(shown), classes="modal-url", id="url")
            if not self.allowed:
                yield Static(
                    Content("Only http and https links can be opened; this one cannot."),
                    classes="modal-body",
                )
            with Horizontal(classes="modal-buttons"):
                yield Button("Cancel", id="cancel")
                if self.allowed:
                    yield Button("Open", id="open", variant="primary")
        yield Footer()  # this dialog's keys, over the main screen's

    def on_mount(self) -> None:
        """Focus Cancel: opening is never the default."""
        self.query_one("#cancel", Button).focus()

    @on(Button.Pressed, "#open")
    def _open(self) -> None:
        self.dismiss(self.allowed)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        """Do not open."""
        self.dismiss(False)


class RenameScreen(ModalScreen[str | None]):
    """Ask for a new title; dismisses with it (one line), or None."""

    DEFAULT_CSS = _CSS
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, current: str, *, title: str = "Rename thread") -> None:
        super().__init__()
        self._current = one_line(current, 200)
        self._title = title

    def compose(self) -> ComposeResult:
        """Title input and buttons."""
        with Vertical(classes="modal-box"):
            yield Label(Content(self._title), classes="modal-title")
            yield Input(self._current, id="title", max_length=200, select_on_focus=True)
            with Horizontal(classes="modal-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Rename", id="rename", variant="primary")
        yield Footer()  # this dialog's keys, over the main screen's

    @on(Input.Submitted, "#title")
    @on(Button.Pressed, "#rename")
    def _rename(self) -> None:
        title = one_line(self.query_one("#title", Input).value, 200)
        self.dismiss(title or None)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        """Keep the old title."""
        self.dismiss(None)
