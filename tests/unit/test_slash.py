"""The slash command parser: messages, commands, errors, ``//`` and completion (no UI)."""

from __future__ import annotations

from typing import get_args

import pytest

from bbot_tui.session.slash import (
    SLASH_COMMANDS,
    ChatInput,
    SlashCommand,
    SlashError,
    SlashName,
    complete,
    help_text,
    parse_input,
)


def test_every_name_has_one_spec() -> None:
    assert tuple(s.name for s in SLASH_COMMANDS) == get_args(SlashName)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hello", ChatInput("hello")),
        ("", ChatInput("")),
        ("  /new", ChatInput("  /new")),  # only a slash at the very start is a command
        ("//etc/hosts is empty", ChatInput("/etc/hosts is empty")),
        ("//", ChatInput("/")),
        ("/new", SlashCommand("new")),
        ("/NEW  ", SlashCommand("new")),
        ("/assistant  chat bot ", SlashCommand("assistant", "chat bot")),
        ("/thread Trip\nto Lyon", SlashCommand("thread", "Trip to Lyon")),
        ("/export", SlashCommand("export")),
        ("/export out/t.html", SlashCommand("export", "out/t.html")),
        ("/search retry later", SlashCommand("search", "retry later")),
        ("/theme nord", SlashCommand("theme", "nord")),
        ("/resume", SlashCommand("resume")),
    ],
)
def test_parse(text: str, expected: object) -> None:
    assert parse_input(text) == expected


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("/nwe", "Did you mean /new?"),
        ("/zzzz", "Unknown command /zzzz. /help lists"),
        ("/", "Type a command after /"),
        ("/ hello", "Type a command after /"),
        ("/search", "It needs TEXT"),
        ("/assistant   ", "It needs NAME"),
        ("/new now", "/new takes no argument"),
        ("/etc/hosts", "// sends a message"),
    ],
)
def test_errors_say_why_and_send_nothing(text: str, says: str) -> None:
    parsed = parse_input(text)
    assert isinstance(parsed, SlashError)
    assert says in parsed.message


def test_complete() -> None:
    assert [s.name for s in complete("/")] == list(get_args(SlashName))
    assert [s.name for s in complete("/th")] == ["thread", "theme"]
    assert [s.name for s in complete("/H")] == ["history", "help"]
    assert complete("/thread ") == []  # the first word is finished
    assert complete("//") == []
    assert complete("hello /new") == []
    assert complete("/xyz") == []


def test_help_lists_every_command_and_the_escape() -> None:
    text = help_text()
    for s in SLASH_COMMANDS:
        assert s.usage in text
    assert "//text" in text
