"""``bbot-tui present FILE``: a bad script or tape is refused before the terminal UI starts.

The presenter itself is driven with Pilot in ``tests/ui/test_presenter.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_helpers import run_cli

from bbot_tui.cli.common import EXIT_USAGE
from bbot_tui.cli.main import build_parser


def test_a_bad_script_exits_2_naming_line_step_and_field(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("assistant: chat\nsteps:\n  - say: hi\n  - sing: loud\n", encoding="utf-8")
    r = run_cli(capsys, "present", str(path))
    assert r.code == EXIT_USAGE
    assert f"{path}:4: step 2" in r.err and "unknown field" in r.err


def test_a_bad_tape_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text("assistant: chat\nsteps:\n  - say: hi\n", encoding="utf-8")
    tape = tmp_path / "bad.tape"
    tape.write_text('{"type":"request","step":1}\n', encoding="utf-8")
    r = run_cli(capsys, "present", str(path), "--tape", str(tape))
    assert r.code == EXIT_USAGE
    assert "--tape:" in r.err and "not a script tape" in r.err


def test_the_flags_are_the_tuis() -> None:
    args = build_parser().parse_args(
        ["present", "demo.yaml", "--tape", "t.tape", "--url", "http://x:1", "--api-key", "k"]
    )
    assert (args.command, args.file, args.tape) == ("present", "demo.yaml", "t.tape")
    assert (args.tui_url, args.tui_api_key, args.tui_profile) == ("http://x:1", "k", None)
