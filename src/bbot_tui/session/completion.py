"""What the composer offers to complete: slash commands and ``@path`` attachments.

:func:`completions` looks at the line the cursor is on and returns :class:`Completion` items:
the commands a ``/na…`` at the start of the input could become (:func:`~.slash.complete`), or
the files and folders an ``@pa…`` before the cursor could name. An item says which columns of
the line it replaces and with what, so the composer applies it without knowing which kind it
is. Nothing here knows a widget; the folder listing is small and capped (:data:`MAX_PATHS`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from bbot_tui.session.slash import complete as complete_command

__all__ = ["MAX_PATHS", "Completion", "attachment_token", "completions", "path_completions"]

MAX_PATHS = 40
"""The most files and folders offered for one ``@path``."""


@dataclass(frozen=True)
class Completion:
    """One choice of the completion popup.

    Attributes:
        start: The first column of the line it replaces.
        end: The column after the last one it replaces.
        insert: What it puts there.
        label: What the popup shows (``/export [FILE]``, ``notes/``).
        detail: A dim line beside it (what the command does, "folder").
        submit: Choosing it with Enter also sends the input (a command that takes no
            argument: nothing more is to be typed).
        again: After choosing it, offer completions again (a folder: its content).
    """

    start: int
    end: int
    insert: str
    label: str
    detail: str = ""
    submit: bool = False
    again: bool = False

    def apply(self, line: str) -> tuple[str, int]:
        """The line with the choice applied, and the column after what was inserted."""
        return line[: self.start] + self.insert + line[self.end :], self.start + len(self.insert)

    def suggestion(self, line: str, column: int) -> str:
        """What the choice adds after the cursor, when it only extends what is typed ("")."""
        if column != self.end or column > len(line):
            return ""
        typed = line[self.start : column]
        return self.insert[len(typed) :] if self.insert.startswith(typed) else ""


def completions(
    line: str, column: int, *, first_line: bool, cwd: Path | None = None
) -> list[Completion]:
    """The choices for the cursor at ``column`` of ``line``.

    Args:
        line: The cursor's line.
        column: The cursor's column.
        first_line: Whether it is the input's only line (commands complete only there).
        cwd: The folder relative ``@paths`` start from (default: the working directory).

    Returns:
        The commands, else the paths, that fit; empty when nothing is being completed.
    """
    if first_line and column == len(line):
        commands = complete_command(line)
        if commands:
            return [
                Completion(
                    0,
                    len(line),
                    f"/{c.name}" + ("" if c.kind == "none" else " "),
                    c.usage,
                    c.help,
                    submit=c.kind == "none",
                )
                for c in commands
            ]
    token = attachment_token(line, column)
    if token is None:
        return []
    return path_completions(line, token, column, cwd=cwd)


def attachment_token(line: str, column: int) -> int | None:
    """The column of the ``@`` that starts the word ending at ``column``, if it is one.

    An ``@`` counts at the start of the line or after a space (``me@host`` is no path).
    """
    start = column
    while start > 0 and not line[start - 1].isspace():
        start -= 1
    if line[start : start + 1] != "@" or start >= column:
        return None
    if column < len(line) and not line[column].isspace():
        return None  # the cursor is inside a word
    return start


def path_completions(
    line: str, at: int, column: int, *, cwd: Path | None = None
) -> list[Completion]:
    """The files and folders that ``line[at + 1:column]`` could become (folders first).

    Hidden entries are offered only once a ``.`` is typed. A folder is inserted with its
    trailing ``/`` and offers its own content next; a file is followed by a space.
    """
    typed = line[at + 1 : column]
    base = cwd or Path.cwd()
    folder_text, _, prefix = typed.rpartition("/")
    if typed.startswith("/"):
        folder = Path(folder_text or "/")
    elif typed.startswith("~"):
        folder = Path(os.path.expanduser(folder_text or "~"))
    else:
        folder = base / folder_text if folder_text else base
    try:
        with os.scandir(folder) as entries:
            found = []
            for entry in entries:
                name = entry.name
                if not name.startswith(prefix) or (name.startswith(".") and prefix[:1] != "."):
                    continue
                try:
                    is_dir = entry.is_dir()
                except OSError:
                    is_dir = False
                found.append((not is_dir, name.lower(), name, is_dir))
                if len(found) > 10 * MAX_PATHS:
                    break
    except OSError:
        return []
    found.sort()
    head = f"{folder_text}/" if folder_text or typed.startswith("/") else ""
    if typed.startswith("/") and not folder_text:
        head = "/"
    out = []
    for _, _, name, is_dir in found[:MAX_PATHS]:
        path = head + name + ("/" if is_dir else "")
        out.append(
            Completion(
                at,
                column,
                "@" + path + ("" if is_dir else " "),
                path,
                "folder" if is_dir else "",
                again=is_dir,
            )
        )
    return out
