"""The assistant inspector: config, context, input/state schemas and graph nodes, in a modal.

The main screen fetches the schemas and the graph in a worker and pushes this screen with the
results. Everything shown is server JSON: sanitized and drawn as plain text.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Collapsible, Footer, Label, Static

from bbot_tui.text import one_line, sanitize, sanitize_json_for_display

if TYPE_CHECKING:
    from bbot_tui.api.models import Assistant

__all__ = ["InspectScreen", "json_text"]

MAX_SECTION_CHARS = 100_000
"""A section longer than this is cut (a huge schema must not freeze the modal)."""


def json_text(value: Any) -> str:
    """Indented, sanitized JSON for display (cut at :data:`MAX_SECTION_CHARS`)."""
    try:
        text = json.dumps(
            sanitize_json_for_display(value), indent=2, ensure_ascii=False, default=str
        )
    except (TypeError, ValueError, RecursionError):
        text = repr(value)
    if len(text) > MAX_SECTION_CHARS:
        text = text[:MAX_SECTION_CHARS] + "\n…"
    return sanitize(text)


class InspectScreen(ModalScreen[None]):
    """An assistant's details."""

    DEFAULT_CSS = """
    InspectScreen { align: center middle; }
    InspectScreen > Vertical {
        width: 90%; height: 90%; border: thick $primary; background: $surface; padding: 0 1;
    }
    InspectScreen .inspect-title { text-style: bold; padding: 1 0; }
    InspectScreen Static.json { padding: 0 1; }
    """
    BINDINGS = [Binding("escape,q,i", "dismiss_screen", "Close")]

    def __init__(
        self,
        assistant: Assistant,
        schemas: dict[str, Any],
        nodes: list[str],
        *,
        graph_error: str | None = None,
    ) -> None:
        super().__init__()
        self.assistant = assistant
        self.schemas = schemas
        self.nodes = nodes
        self.graph_error = graph_error

    def compose(self) -> ComposeResult:
        """One collapsible section per part."""
        a = self.assistant
        with Vertical():
            title = f"{one_line(a.label, 60)}  ·  graph {one_line(a.graph_id, 40)}"
            if a.version is not None:
                title += f"  ·  v{a.version}"
            yield Label(Content(title), classes="inspect-title")
            with VerticalScroll():
                nodes = "\n".join(f"• {one_line(n, 80)}" for n in self.nodes) or "(none)"
                if self.graph_error:
                    nodes = f"graph not available: {one_line(self.graph_error, 200)}"
                sections: list[tuple[str, str, bool]] = [
                    ("Graph nodes", nodes, False),
                    ("Config", json_text(a.config), False),
                    ("Context", json_text(a.context), True),
                    ("Metadata", json_text(a.metadata), True),
                    ("Input schema", json_text(self.schemas.get("input_schema")), True),
                    ("State schema", json_text(self.schemas.get("state_schema")), True),
                    ("Config schema", json_text(self.schemas.get("config_schema")), True),
                    ("Context schema", json_text(self.schemas.get("context_schema")), True),
                    ("Description", sanitize(a.description or "(none)"), True),
                    ("Id", sanitize(a.assistant_id), True),
                ]
                for name, text, collapsed in sections:
                    with Collapsible(title=name, collapsed=collapsed):
                        yield Static(Content(text), classes="json")
        yield Footer()  # this dialog's keys, over the main screen's

    def action_dismiss_screen(self) -> None:
        """Close."""
        self.dismiss(None)
