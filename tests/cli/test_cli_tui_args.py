"""A plain ``bbot-tui [--url U] [--api-key K] [--profile P]`` is read without building the parser
(the first frame waits for it), and reads exactly as the parser reads it; anything else is left
to the parser."""

from __future__ import annotations

import pytest

from bbot_tui.cli.main import build_parser, tui_only_args

PLAIN = [
    [],
    ["--url", "http://127.0.0.1:2024"],
    ["--url=http://127.0.0.1:2024"],
    ["--url="],
    ["--url", ""],
    ["--url", "http://h/?a=b", "--api-key", "k-1", "--profile", "local"],
    ["--profile=work", "--api-key=secret=="],
    ["--api-key", "bbot_x", "--url", "https://example.com/api/v2"],
]

OTHERS = [
    ["--help"],
    ["-h"],
    ["--version"],
    ["tui"],
    ["tui", "--url", "http://127.0.0.1:2024"],
    ["demo"],
    ["threads", "--url", "http://127.0.0.1:2024"],
    ["--url"],
    ["--url", "--profile", "p"],
    ["--url", "a", "--url", "b"],
    ["--ur", "http://127.0.0.1:2024"],
    ["--profile", "-1"],
    ["--url", "a", "extra"],
    ["--", "--url", "a"],
    ["--bogus"],
]


@pytest.mark.parametrize("argv", PLAIN, ids=repr)
def test_a_plain_launch_reads_as_the_parser_reads_it(argv: list[str]) -> None:
    fast = tui_only_args(argv)
    assert fast is not None
    assert vars(fast) == vars(build_parser().parse_args(argv))


@pytest.mark.parametrize("argv", OTHERS, ids=repr)
def test_anything_else_is_left_to_the_parser(argv: list[str]) -> None:
    assert tui_only_args(argv) is None
