"""Composer completions: slash commands on the first line, ``@paths`` anywhere (no UI)."""

from __future__ import annotations

from pathlib import Path

from bbot_tui.session.completion import attachment_token, completions


def test_commands_complete_on_the_only_line() -> None:
    items = completions("/ex", 3, first_line=True)
    assert [i.label for i in items] == ["/export [FILE]"]
    assert items[0].apply("/ex") == ("/export ", 8)
    assert items[0].suggestion("/ex", 3) == "port "
    assert not items[0].submit
    new = completions("/ne", 3, first_line=True)[0]
    assert new.submit and new.insert == "/new"
    assert completions("/ex", 3, first_line=False) == []
    assert completions("/export ", 8, first_line=True) == []


def test_attachment_token() -> None:
    assert attachment_token("see @no", 7) == 4
    assert attachment_token("@", 1) == 0
    assert attachment_token("me@host", 7) is None
    assert attachment_token("see @notes.md now", 6) is None  # inside a word
    assert attachment_token("see @notes.md now", 13) == 4


def test_paths(tmp_path: Path) -> None:
    (tmp_path / "notes.md").write_text("x")
    (tmp_path / "nested").mkdir()
    (tmp_path / "nested" / "deep.txt").write_text("x")
    (tmp_path / ".hidden").write_text("x")
    items = completions("read @n", 7, first_line=True, cwd=tmp_path)
    assert [i.label for i in items] == ["nested/", "notes.md"]  # folders first
    folder, file = items
    assert folder.again and folder.apply("read @n") == ("read @nested/", 13)
    assert file.apply("read @n") == ("read @notes.md ", 15)
    inner = completions("@nested/", 8, first_line=False, cwd=tmp_path)
    assert [i.label for i in inner] == ["nested/deep.txt"]
    assert [i.label for i in completions("@", 1, first_line=True, cwd=tmp_path)] == [
        "nested/",
        "notes.md",
    ]
    assert [i.label for i in completions("@.", 2, first_line=True, cwd=tmp_path)] == [".hidden"]
    absolute = completions(f"@{tmp_path}/no", len(str(tmp_path)) + 4, first_line=True)
    assert [i.label for i in absolute] == [f"{tmp_path}/notes.md"]
    assert completions("@missing/", 9, first_line=True, cwd=tmp_path) == []
