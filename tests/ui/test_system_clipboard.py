"""A copy reaches the system clipboard as well as OSC 52, where the platform has a tool.

Without a display: a fake ``xclip`` on PATH records what it is given (``DISPLAY`` set, no
Wayland), and a fake that hangs shows the copy never blocks and is killed after its timeout.
"""

from __future__ import annotations

import asyncio
import os
import stat
import time
from pathlib import Path

import pytest

from bbot_tui.tui.app import make_app
from bbot_tui.tui.clipboard import SystemClipboard, clipboard_command, copy_to_system

TEXT = "héllo → wörld\nline two"


def _fake_tool(folder: Path, name: str, body: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    tool = folder / name
    tool.write_text(f"#!/bin/sh\n{body}\n")
    tool.chmod(tool.stat().st_mode | stat.S_IXUSR)
    return tool


@pytest.fixture
def fake_xclip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An ``xclip`` first on PATH that writes its stdin to a file (and its arguments beside)."""
    record = tmp_path / "clipboard.txt"
    _fake_tool(
        tmp_path / "bin", "xclip", f'printf "%s\\n" "$*" > "{record}.args"; cat > "{record}"'
    )
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}/usr/bin{os.pathsep}/bin")
    monkeypatch.setenv("DISPLAY", ":99")
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    return record


def test_the_tool_is_chosen_by_platform_and_display() -> None:
    have = {"pbcopy", "clip.exe", "wl-copy", "xclip", "xsel"}

    def which(name: str) -> str | None:
        return f"/usr/bin/{name}" if name in have else None

    def pick(platform: str, **env: str) -> list[str] | None:
        return clipboard_command(environ=env, platform=platform, which=which)

    assert pick("darwin") == ["pbcopy"]
    assert pick("win32") == ["clip.exe"]
    assert pick("linux", WAYLAND_DISPLAY="wayland-0", DISPLAY=":0") == ["wl-copy"]
    assert pick("linux", DISPLAY=":0") == ["xclip", "-selection", "clipboard"]
    have.discard("xclip")
    assert pick("linux", DISPLAY=":0") == ["xsel", "--clipboard", "--input"]
    assert pick("linux") == ["clip.exe"]  # WSL without a display
    have.clear()
    assert pick("linux", DISPLAY=":0") is None  # a headless box: OSC 52 alone
    assert pick("darwin") is None


async def test_copy_sends_the_text_to_the_tool(fake_xclip: Path) -> None:
    assert clipboard_command() == ["xclip", "-selection", "clipboard"]
    assert await copy_to_system(TEXT) is True
    assert fake_xclip.read_text(encoding="utf-8") == TEXT
    assert Path(f"{fake_xclip}.args").read_text().strip() == "-selection clipboard"


async def test_a_hung_tool_is_killed_and_never_blocks_the_loop(tmp_path: Path) -> None:
    tool = _fake_tool(tmp_path / "bin", "slowclip", "sleep 30")
    clipboard = SystemClipboard([str(tool)], timeout=0.3)
    started = time.monotonic()
    clipboard.copy(TEXT)  # returns at once
    assert time.monotonic() - started < 0.2
    ticks = 0
    while clipboard.results == [] and ticks < 100:
        await asyncio.sleep(0.02)  # the loop keeps running meanwhile
        ticks += 1
    await clipboard.drain()
    assert clipboard.results == [False]
    assert time.monotonic() - started < 5


async def test_no_tool_means_nothing_happens(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    clipboard = SystemClipboard()
    assert clipboard.command is None
    clipboard.copy(TEXT)
    await clipboard.drain()
    assert clipboard.results == []
    assert await copy_to_system(TEXT) is False


async def test_the_app_copies_to_the_system_clipboard_too(fake_xclip: Path) -> None:
    app = make_app(None, url="http://127.0.0.1:9", persist=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await app.ready.wait()
        app.copy_to_clipboard(TEXT)
        assert app.clipboard == TEXT  # Textual's own (OSC 52) copy
        await app.system_clipboard.drain()
        await pilot.pause()
    assert app.system_clipboard.results == [True]
    assert fake_xclip.read_text(encoding="utf-8") == TEXT
