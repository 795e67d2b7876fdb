"""Tests for bbot_tui.text: the terminal-safety sanitizer (docs/PROTOCOL.md, "Terminal safety")."""

from __future__ import annotations

import random
import re

import pytest

from bbot_tui.text import one_line, sanitize, sanitize_json_for_display

FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@pytest.mark.parametrize(
    ("hostile", "expected"),
    [
        ("before\x1b]0;PWNED\x07after", "beforeafter"),
        ("before\x1b]0;PWNED\x1b\\after", "beforeafter"),
        ("before\x1b]0;PWNED\x9cafter", "beforeafter"),
        ("before\x1b[2Jafter", "beforeafter"),
        ("before\x1b[?1049lafter", "beforeafter"),
        ("before\x1b[38;5;201mafter", "beforeafter"),
        ("before\x9b31mafter", "beforeafter"),
        ("before\x9b?1049lafter", "beforeafter"),
        ("before\u202eafter", "beforeafter"),
        ("a\u202ab\u202bc\u202cd\u202de\u2066f\u2067g\u2068h\u2069i", "abcdefghi"),
        ("start\x1b]0;title\nrest of the text", "start\nrest of the text"),
        ("start\x1b]0;title", "start"),
        ("start\x1bP1$r0m\x1b\\end", "startend"),
        ("start\x1bPq#0;2;0;0;0\nend", "start\nend"),  # unterminated DCS stops at newline
        ("start\x1bX sos \x1b\\end", "startend"),
        ("start\x1b^ pm \x1b\\end", "startend"),
        ("start\x1b_ apc \x1b\\end", "startend"),
        ("start\x9d0;title\x07end", "startend"),  # 8-bit OSC
        ("start\x90 dcs \x9cend", "startend"),  # 8-bit DCS
        ("start\x1b]0;x\x1b[31mred", "startred"),  # ESC inside OSC ends it
        ("charset\x1b(B ok", "charset ok"),
        ("reset\x1bc ok", "reset ok"),
        ("keypad\x1b= ok", "keypad ok"),
        ("lone escape at the end\x1b", "lone escape at the end"),
        ("lone\x1b\nescape", "lone\nescape"),
        ("del\x7fete", "delete"),
        ("c1\x80\x85\x8d\x91\x9c!", "c1!"),
        ("apc\x9f string\x9cend", "apcend"),
        ("bell\x07 bs\x08 vt\x0b ff\x0c nul\x00 so\x0e us\x1f", "bell bs vt ff nul so us"),
        ("crlf\r\nline", "crlf\nline"),
        ("lone cr\roverwrite", "lone croverwrite"),
        ("tab\tand\nnewline", "tab\tand\nnewline"),
        ("lone surrogate \ud800!", "lone surrogate \ufffd!"),
    ],
)
def test_sanitize_removes_controls(hostile: str, expected: str) -> None:
    assert sanitize(hostile) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "plain ASCII text.",
        "Grüße, naïve café — “quotes” … ½ ✓",
        "emoji 👋🏽 👨‍👩‍👧 🇩🇪 and ZWJ sequences",
        "مرحبا بالعالم، هذا نص عربي",
        "שלום עולם",
        "中文，日本語、한국어",
        "code:\n\tindent\n    spaces\n",
        "[/bold] [@click=app.quit]markup is not our business here[/]",
    ],
)
def test_sanitize_leaves_normal_text_unchanged(text: str) -> None:
    assert sanitize(text) == text
    assert sanitize(text) is text  # the fast path returns the same object


def test_sanitize_one_line_mode() -> None:
    assert sanitize("a\nb\tc\r\nd", keep_newlines=False) == "a b c d"
    assert sanitize("title\x1b]0;x\nrest", keep_newlines=False) == "title rest"
    assert sanitize("plain", keep_newlines=False) == "plain"


def test_sanitize_property_random_strings() -> None:
    rng = random.Random(20240611)
    alphabet = (
        [chr(c) for c in range(0x00, 0x20)]
        + [chr(c) for c in range(0x7F, 0xA0)]
        + [chr(c) for c in range(0x202A, 0x202F)]
        + [chr(c) for c in range(0x2066, 0x206A)]
        + list("[];?\\^_PX0123456789mJlH ab\u00e9\u0639\U0001f600")
        + ["\x1b"] * 8
    )
    for _ in range(2000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60)))
        for keep in (True, False):
            out = sanitize(text, keep_newlines=keep)
            assert FORBIDDEN.search(out) is None, (text, out)
            if not keep:
                assert "\n" not in out and "\t" not in out
            assert sanitize(out, keep_newlines=keep) == out  # idempotent


def test_sanitize_never_grows_text() -> None:
    rng = random.Random(7)
    for _ in range(500):
        text = "".join(chr(rng.randint(0, 0x2100)) for _ in range(rng.randint(0, 40)))
        assert len(sanitize(text)) <= len(text)


def test_sanitize_json_for_display() -> None:
    shared = ["x\x1b[2J"]
    value = {
        "title\x1b]0;PWNED\x07": ["ok", ("tuple\x9b31m", 3), None, True, 1.5],
        "nested": {"deep": {"k\u202e": "v\x07"}},
        "a": shared,
        "b": shared,
    }
    out = sanitize_json_for_display(value)
    assert out == {
        "title": ["ok", ["tuple", 3], None, True, 1.5],
        "nested": {"deep": {"k": "v"}},
        "a": ["x"],
        "b": ["x"],
    }
    assert value["nested"] == {"deep": {"k\u202e": "v\x07"}}  # input untouched
    assert sanitize_json_for_display("s\x1b[0m") == "s"
    assert sanitize_json_for_display(42) == 42


def test_sanitize_json_for_display_deep_nesting() -> None:
    value: list[object] = ["leaf\x1b[2J"]
    for _ in range(5000):
        value = [value]
    out = sanitize_json_for_display(value)
    for _ in range(5000):
        out = out[0]
    assert out == ["leaf"]


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("  hello\n\n  world\t ", 80, "hello world"),
        ("x\x1b]0;t\x07y", 80, "xy"),
        ("abcdefghij", 10, "abcdefghij"),
        ("abcdefghijk", 10, "abcdefghi…"),
        ("word word word", 7, "word w…"),
        ("word word word", 6, "word…"),
        ("anything", 0, ""),
    ],
)
def test_one_line(text: str, limit: int, expected: str) -> None:
    result = one_line(text, limit)
    assert result == expected
    assert len(result) <= max(limit, 0)
