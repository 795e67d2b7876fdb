"""Slash commands typed in the composer: ``/new``, ``/export notes.md``, ``/search retry``…

The parser is plain: :func:`parse_input` turns what the user typed into a :class:`ChatInput`
(send this text), a :class:`SlashCommand` (run this command) or a :class:`SlashError` (say this,
send nothing). :func:`complete` lists the commands a partly typed ``/na…`` could become, for the
composer's completion popup. Nothing here knows a widget: the TUI maps a command to an action
of its main screen (each command is also a palette action).

Rules:

* a line that starts with one ``/`` is a command: its first word names it, the rest of the text
  is its argument (``/thread Trip to Lyon``);
* an unknown command, a missing required argument or an argument given to a command that takes
  none is an error: nothing is sent;
* ``//`` at the start sends a message that really starts with ``/`` (``//etc/hosts is
  empty`` sends ``/etc/hosts is empty``).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Literal, TypeAlias

__all__ = [
    "SLASH_COMMANDS",
    "ChatInput",
    "Parsed",
    "SlashCommand",
    "SlashError",
    "SlashName",
    "SlashSpec",
    "complete",
    "help_text",
    "parse_input",
    "spec",
]

SlashName: TypeAlias = Literal[
    "new",
    "assistant",
    "thread",
    "resume",
    "options",
    "history",
    "breakpoints",
    "compare",
    "export",
    "search",
    "theme",
    "help",
]
"""Every slash command's name (the one place they are defined)."""

ArgKind: TypeAlias = Literal["none", "required", "optional"]
"""Whether a command takes an argument."""


@dataclass(frozen=True)
class SlashSpec:
    """What a command is called, what it takes and what it does.

    Attributes:
        name: The command, without the slash.
        arg: The argument's placeholder (``NAME``, ``[FILE]``), "" when it takes none.
        kind: Whether the argument is required, optional, or not taken.
        help: One line saying what it does.
    """

    name: SlashName
    arg: str
    kind: ArgKind
    help: str

    @property
    def usage(self) -> str:
        """``/name ARG`` as shown in the completion popup and the help."""
        return f"/{self.name} {self.arg}".rstrip()


SLASH_COMMANDS: tuple[SlashSpec, ...] = (
    SlashSpec("new", "", "none", "start a new conversation"),
    SlashSpec("assistant", "NAME", "required", "switch to the assistant named NAME"),
    SlashSpec("thread", "TITLE", "required", "give the open thread a title"),
    SlashSpec("resume", "[TEXT]", "optional", "pick a recent thread to open again"),
    SlashSpec("options", "", "none", "edit the run options of this assistant"),
    SlashSpec("history", "", "none", "the thread's checkpoints and branches (time travel)"),
    SlashSpec("breakpoints", "", "none", "stop before or after graph nodes"),
    SlashSpec(
        "compare",
        "[ASSISTANT]",
        "optional",
        "the same message to this assistant and another, side by side",
    ),
    SlashSpec("export", "[FILE]", "optional", "write the thread as Markdown, JSON or HTML"),
    SlashSpec("search", "TEXT", "required", "find TEXT in this conversation"),
    SlashSpec("theme", "[NAME]", "optional", "switch the colour theme (no NAME: pick one)"),
    SlashSpec("help", "", "none", "list the slash commands"),
)
"""Every command, in the order the popup and the help list them."""

_BY_NAME = {s.name: s for s in SLASH_COMMANDS}


@dataclass(frozen=True)
class ChatInput:
    """Send this text as a message (``//`` already turned into ``/``)."""

    text: str


@dataclass(frozen=True)
class SlashCommand:
    """Run a command.

    Attributes:
        name: The command.
        arg: Its argument, stripped ("" when none was given).
    """

    name: SlashName
    arg: str = ""


@dataclass(frozen=True)
class SlashError:
    """A command that cannot run: say ``message``, send nothing, keep the text."""

    message: str


Parsed: TypeAlias = ChatInput | SlashCommand | SlashError
"""What :func:`parse_input` returns."""


def spec(name: SlashName) -> SlashSpec:
    """The spec of a command."""
    return _BY_NAME[name]


def parse_input(text: str) -> Parsed:
    """Tell a message from a command.

    Args:
        text: The composer's text, as typed.

    Returns:
        :class:`ChatInput` for a message (``//…`` unescaped to ``/…``), :class:`SlashCommand`
        for a known command with a fitting argument, :class:`SlashError` otherwise.
    """
    if text.startswith("//"):
        return ChatInput(text[1:])
    if not text.startswith("/"):
        return ChatInput(text)
    head, _, rest = text[1:].partition("\n")
    parts = head.split(maxsplit=1) if head[:1] and not head[:1].isspace() else [""]
    word, arg = parts[0], (parts[1] if len(parts) > 1 else "")
    arg = " ".join(f"{arg}\n{rest}".split()) if rest.strip() else arg.strip()
    name = word.lower()
    found = _BY_NAME.get(name)  # type: ignore[call-overload]
    if found is None:
        if not word:
            return SlashError("Type a command after /, e.g. /help (// sends a message with /).")
        close = difflib.get_close_matches(name, list(_BY_NAME), n=1)
        hint = f" Did you mean /{close[0]}?" if close else " /help lists the commands."
        return SlashError(f"Unknown command /{word}.{hint} (// sends a message starting with /.)")
    if found.kind == "required" and not arg:
        return SlashError(f"{found.usage}: {found.help}. It needs {found.arg}.")
    if found.kind == "none" and arg:
        return SlashError(f"/{found.name} takes no argument.")
    return SlashCommand(found.name, arg)


def complete(text: str) -> list[SlashSpec]:
    """The commands a partly typed first word could become (for the completion popup).

    Args:
        text: The composer's text.

    Returns:
        The matching commands (every one for a lone ``/``), or none once the first word is
        finished (a space or a new line typed), for ``//`` and for text without a slash.
    """
    if not text.startswith("/") or text.startswith("//"):
        return []
    word = text[1:]
    if any(c.isspace() for c in word):
        return []
    word = word.lower()
    return [s for s in SLASH_COMMANDS if s.name.startswith(word)]


def help_text() -> str:
    """Every command with its usage and what it does, one per line."""
    width = max(len(s.usage) for s in SLASH_COMMANDS)
    lines = [f"{s.usage.ljust(width)}  {s.help}" for s in SLASH_COMMANDS]
    lines.append(f"{'//text'.ljust(width)}  send a message that starts with /")
    return "\n".join(lines)
