"""Every action of bbot-tui in Textual's command palette (``ctrl+p``).

:data:`MAIN_COMMANDS` lists the main screen's actions and those of the widgets on it (the
panes, the message view, the interrupt card), each with a title, a help line naming its key, the
widget it acts on and the action string a key binding would run. A test checks that every key
binding of those classes has its entry, so a new binding cannot be left out of the palette.
A modal screen on top (run options, connection, history…) contributes its own bindings, read
from its ``BINDINGS``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual.app import SystemCommand
from textual.binding import Binding

if TYPE_CHECKING:
    from textual.dom import DOMNode
    from textual.screen import Screen

__all__ = ["MAIN_COMMANDS", "PaletteCommand", "main_commands", "screen_binding_commands"]


@dataclass(frozen=True)
class PaletteCommand:
    """One palette entry.

    Attributes:
        title: What the palette lists.
        help: One line under it (with the key).
        action: The action string, as in a binding (``"toggle_side"``, ``"select(-1)"``).
        target: A CSS selector of the widget that owns the action; None for the screen.
    """

    title: str
    help: str
    action: str
    target: str | None = None


MAIN_COMMANDS: tuple[PaletteCommand, ...] = (
    PaletteCommand("New thread", "Start a new conversation (ctrl+n)", "new_thread"),
    PaletteCommand("Stop run", "Cancel the streaming run on the server (Esc)", "stop"),
    PaletteCommand("Detach from run", "Stop following; the run goes on (ctrl+d)", "detach"),
    PaletteCommand("Focus composer", "Back to the message input (Esc)", "focus_composer"),
    PaletteCommand("Toggle side panes", "Assistants and threads (ctrl+b)", "toggle_side"),
    PaletteCommand("Switch to assistant…", "Every assistant by name (ctrl+a)", "quick_assistant"),
    PaletteCommand("Open recent thread…", "The recent threads by title (ctrl+r)", "quick_thread"),
    PaletteCommand("Toggle event log", "Raw stream events (ctrl+l / F2)", "toggle_event_log"),
    PaletteCommand("Run options…", "Stream modes, breakpoints, config… (ctrl+o)", "run_options"),
    PaletteCommand("History / time travel…", "Checkpoints of the thread (ctrl+t)", "history"),
    PaletteCommand("Breakpoints…", "Stop before/after graph nodes (F9)", "breakpoints"),
    PaletteCommand(
        "Inbox", "Every thread waiting for a human, across assistants (ctrl+g)", "inbox"
    ),
    PaletteCommand(
        "Compare two assistants…",
        "The same message to two assistants side by side, then the diff (/compare)",
        "compare",
    ),
    PaletteCommand("Refresh", "Reload assistants and threads (F5)", "refresh"),
    # the slash commands (issue 12): each runs the same action as its /command
    PaletteCommand("Switch assistant…", "Pick an assistant (/assistant NAME)", "switch_assistant"),
    PaletteCommand("Title the thread…", "Name the open thread (/thread TITLE)", "name_thread"),
    PaletteCommand("Resume a thread…", "Open a recent thread again (/resume)", "resume"),
    PaletteCommand("Export thread", "As Markdown, JSON or HTML (/export [FILE])", "export"),
    PaletteCommand("Find in conversation", "Highlight text in every message (ctrl+f)", "search"),
    PaletteCommand("Theme…", "Switch the colour theme (/theme NAME)", "theme"),
    PaletteCommand("Slash commands", "List the / commands of the composer (/help)", "slash_help"),
    PaletteCommand("Copy thread id", "Put the open thread's id on the clipboard", "copy_thread_id"),
    PaletteCommand(
        "Inspect assistant", "Config, schemas, graph nodes (i)", "inspect", "#assistant-pane"
    ),
    PaletteCommand("New thread from the list", "The thread pane's new (n)", "new", "#thread-pane"),
    PaletteCommand("Delete thread…", "Delete the highlighted thread (d)", "delete", "#thread-pane"),
    PaletteCommand(
        "Fork thread",
        "A new thread with the highlighted one's history, on the server (y)",
        "copy",
        "#thread-pane",
    ),
    PaletteCommand(
        "Rename thread…", "Give the highlighted thread a title (r)", "rename", "#thread-pane"
    ),
    PaletteCommand("Load more threads", "The next page of threads (m)", "more", "#thread-pane"),
    PaletteCommand(
        "Follow thread / stop following",
        "Follow the highlighted thread in the background: its questions and ends are announced (f)",
        "toggle_follow",
        "#thread-pane",
    ),
    PaletteCommand(
        "Copy message", "The selected message as text (c)", "copy_message", "#message-view"
    ),
    PaletteCommand(
        "Copy code block", "The selected message's code (C)", "copy_code", "#message-view"
    ),
    PaletteCommand(
        "Run details…",
        "Where the selected message's run spent its time: first token, nodes, usage (t)",
        "run_details",
        "#message-view",
    ),
    PaletteCommand(
        "Previous message", "Select the message above ([)", "select(-1)", "#message-view"
    ),
    PaletteCommand("Next message", "Select the message below (])", "select(1)", "#message-view"),
    PaletteCommand("Next match", "The next search match (n)", "search_step(1)", "#message-view"),
    PaletteCommand(
        "Previous match", "The previous search match (N)", "search_step(-1)", "#message-view"
    ),
    PaletteCommand(
        "Edit & resend", "The selected message, as a new branch (e)", "edit", "#message-view"
    ),
    PaletteCommand(
        "Regenerate", "The selected answer, as a new branch (r)", "regenerate", "#message-view"
    ),
    PaletteCommand("Previous branch", "At the selected message (<)", "branch(-1)", "#message-view"),
    PaletteCommand("Next branch", "At the selected message (>)", "branch(1)", "#message-view"),
    PaletteCommand(
        "Expand / collapse tool calls",
        "Of the selected message (Enter)",
        "toggle_tools",
        "#message-view",
    ),
    PaletteCommand(
        "Expand / collapse reasoning",
        "Of the selected (or last) answer with any (R)",
        "toggle_reasoning",
        "#message-view",
    ),
    PaletteCommand(
        "Follow the stream", "Scroll to the end and follow (End)", "scroll_end", "#message-view"
    ),
    PaletteCommand(
        "Top of the conversation",
        "Scroll to the first message (Home)",
        "scroll_home",
        "#message-view",
    ),
    PaletteCommand(
        "Send interrupt answer",
        "Resume with the card's answer (ctrl+enter)",
        "send",
        "#interrupt-card",
    ),
)
"""The main screen's palette: its own actions, then the panes', the view's and the card's."""


def _runner(app: Any, action: str, node: DOMNode) -> Any:
    async def run() -> None:
        await app.run_action(action, node)

    return run


def main_commands(screen: Screen[Any]) -> Iterable[SystemCommand]:
    """The palette entries of the main screen (those whose widget is there).

    Args:
        screen: The main screen.

    Yields:
        One command per entry of :data:`MAIN_COMMANDS`.
    """
    for command in MAIN_COMMANDS:
        node: DOMNode = screen
        if command.target is not None:
            found = screen.query(command.target)
            if not found:
                continue
            node = found.first()
        yield SystemCommand(command.title, command.help, _runner(screen.app, command.action, node))


def screen_binding_commands(screen: Screen[Any]) -> Iterable[SystemCommand]:
    """The bindings of a screen shown over the main screen (a dialog), as palette entries.

    Args:
        screen: The screen.

    Yields:
        One command per binding with a description.
    """
    seen: set[str] = set()
    for binding in screen.BINDINGS:
        if not isinstance(binding, Binding) or not binding.description:
            continue
        if binding.action in seen:
            continue
        seen.add(binding.action)
        keys = binding.key_display or binding.key.split(",")[0]
        help_text = f"{binding.tooltip or binding.description} ({keys})"
        yield SystemCommand(
            binding.description, help_text, _runner(screen.app, binding.action, screen)
        )
