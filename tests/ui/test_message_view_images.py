"""Images in the message view with Pilot: the labelled placeholder where the terminal draws no
graphics (tests, pipes, the served app), and with graphics forced on (``BBOT_TUI_IMAGES``) the
picture drawn through textual-image's renderables: Kitty as placeholder cells in the cached
strips (scrolled, searched and selected like text), Sixel from its last row in view. Nothing of
textual-image (or Pillow) is loaded before a picture is drawn."""

from __future__ import annotations

import base64
import io
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from test_message_view import ViewApp
from textual.pilot import Pilot

from bbot_tui.stream.transcript import Message, Transcript, content_media, content_text
from bbot_tui.tui.widgets.message_view import GUTTER, MessageView
from bbot_tui.tui.widgets.message_view.entry import Block
from bbot_tui.tui.widgets.message_view.images import GRAPHICS_ENV

SUPPORT = Path(__file__).resolve().parents[1] / "support"
if str(SUPPORT) not in sys.path:
    sys.path.insert(0, str(SUPPORT))

from media import png  # noqa: E402

KITTY_CELL = chr(0x10EEEE)
"""The Unicode placeholder Kitty draws a picture's cells over."""


def _red_png(width: int = 300, height: int = 200) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def _content(data: bytes, name: str) -> list[dict[str, Any]]:
    return [
        {"type": "text", "text": f"look at @{name}"},
        {
            "type": "image",
            "base64": base64.b64encode(data).decode("ascii"),
            "mime_type": "image/png",
            "extras": {"filename": name},
        },
    ]


def _send(transcript: Transcript, content: list[dict[str, Any]], key: str) -> Message:
    message = transcript.add_user_message(content_text(content), key, content_media(content))
    transcript.touch(message)
    return message


def _image_block(view: MessageView, key: str) -> Block:
    position = view.strip_layout.position(key)
    assert position is not None
    blocks = view.strip_layout.entries[position].blocks or []
    (block,) = [b for b in blocks if b.kind == "image"]
    return block


async def _show(pilot: Pilot[Any], contents: list[list[dict[str, Any]]]) -> MessageView:
    view = pilot.app.query_one(MessageView)
    view.focus()
    transcript = Transcript()
    view.transcript = transcript
    for index, content in enumerate(contents):
        _send(transcript, content, f"m{index}")
        transcript.add_note(f"after {index}")
    view.sync(force=True)
    await pilot.pause(0.05)
    return view


async def test_without_graphics_the_placeholder_shows_name_type_and_size(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(GRAPHICS_ENV, raising=False)
    app = ViewApp()
    async with app.run_test(size=(90, 30)) as pilot:
        view = await _show(pilot, [_content(png(), "cat.png")])
        lines = [strip.text.rstrip() for strip in view.export_strips()]
        label = f"[image: cat.png · image/png · {len(png())} B]"
        assert lines[:3] == ["▶ You", "look at @cat.png", label]
        assert sum("[image" in line for line in lines) == 1  # the text's label is not repeated
        block = _image_block(view, "m0")
        assert block.picture is not None
        assert block.picture.mode is None and block.picture.renderable is None
        # the transcript's text keeps its label (search, copy and export read it)
        assert "[image: cat.png" in view.transcript.messages[0].text  # type: ignore[union-attr]
        # broken data: the placeholder says so
        broken = _content(png(), "bad.png")
        broken[1]["base64"] = "%%% not base64 %%%"
        _send(view.transcript, broken, "bad")  # type: ignore[arg-type]
        view.sync(force=True)
        await pilot.pause()
        lines = [strip.text.rstrip() for strip in view.export_strips()]
        assert "[image: bad.png · image/png · unreadable image]" in lines


async def test_kitty_graphics_draw_the_picture_as_cells_of_the_strips(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(GRAPHICS_ENV, "kitty")
    monkeypatch.delenv("TEXTUAL_CELL_WIDTH", raising=False)
    monkeypatch.delenv("TEXTUAL_CELL_HEIGHT", raising=False)
    app = ViewApp()
    async with app.run_test(size=(90, 16)) as pilot:
        view = await _show(pilot, [_content(_red_png(), "red.png"), _content(png(), "dot.png")])
        from textual_image.renderable.tgp import Image as TGPImage

        block = _image_block(view, "m0")
        picture = block.picture
        assert picture is not None and isinstance(picture.renderable, TGPImage)
        assert picture.mode == "kitty" and picture.size == (30, 10)  # 300x200 px, 10x20 cells
        assert sys.__stdin__ is not None  # put back after the import
        strips = block.strips or []
        assert strips[0].text.rstrip() == "[image: red.png · image/png · " + _size(_red_png()) + "]"
        rows = [strip.text for strip in strips[1:]]
        assert len(rows) == 10 and all(row.count(KITTY_CELL) == 30 for row in rows)
        assert all(strip.cell_length == view.strip_layout.width for strip in strips)
        sent = picture.renderable.terminal_image_id
        assert sent is not None
        # drawn again (colours changed): the picture is not sent to the terminal again
        view.strip_layout.drop_strips()
        view.refresh()
        await pilot.pause()
        view.export_strips()
        assert picture.renderable.terminal_image_id == sent
        # a tiny image stays tiny
        dot = _image_block(view, "m1").picture
        assert dot is not None and dot.size == (1, 1)

        # the picture scrolls with the text: from the top, the rows in view are its rows
        await pilot.press("home")
        await pilot.pause()
        screen = [view.render_line(y).text for y in range(view.size.height)]
        assert screen[0].strip() == "▶ You"
        assert screen[2].strip().startswith("[image: red.png")
        assert all(line[GUTTER:].count(KITTY_CELL) == 30 for line in screen[3:13])
        assert KITTY_CELL not in screen[13]
        # search finds the image's name in the text and on its label line, and paints both
        assert view.search("red.png") == (1, 2)
        await pilot.pause()
        view.action_search_step(1)
        assert view.search_status == ("red.png", 2, 2)
        await pilot.pause()
        painted = [[seg.text for seg in view.render_line(y)] for y in (1, 2)]
        assert all("red.png" in texts for texts in painted)
        assert view.scroll_offset.y == 0  # both in view: nothing moved


def _size(data: bytes) -> str:
    from bbot_tui.session.attachments import describe_size

    return describe_size(len(data))


async def test_sixel_graphics_draw_the_visible_part_from_the_last_row_in_view(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(GRAPHICS_ENV, "sixel")
    app = ViewApp()
    async with app.run_test(size=(90, 12)) as pilot:
        view = await _show(pilot, [_content(_red_png(), "red.png")])
        block = _image_block(view, "m0")
        picture = block.picture
        assert picture is not None and picture.mode == "sixel" and picture.size == (30, 10)
        assert len(block.strips or []) == 11  # the label, then 10 blank rows the pixels cover
        await pilot.press("home")
        await pilot.pause()
        height = view.size.height
        lines = [view.render_line(y) for y in range(height)]
        carrying = [y for y, strip in enumerate(lines) if "\x1bP" in strip.text]
        assert carrying == [height - 1]  # the image goes on past the view: its last row in view
        last = lines[-1]
        assert last.cell_length == lines[0].cell_length  # the Sixel data takes no cells
        region = view.scrollable_content_region
        first_row = region.y + 3  # header, text, label, then the picture
        assert f"\x1b[{first_row + 1};{region.x + GUTTER + 1}H" in last.text
        # scrolled to the end: the picture's last row carries it (the gap and note follow)
        await pilot.press("end")
        await pilot.pause()
        lines = [view.render_line(y) for y in range(height)]
        carrying = [y for y, strip in enumerate(lines) if "\x1bP" in strip.text]
        assert len(carrying) == 1
        assert "after 0" in "".join(s.text for s in lines[carrying[0] + 1 :])


def test_textual_image_is_not_loaded_until_a_picture_is_drawn(tmp_path: Path) -> None:
    script = textwrap.dedent(
        f"""
        import asyncio, base64, sys
        sys.path[:0] = [{str(Path(__file__).parent)!r}, {str(SUPPORT)!r}]
        from media import png
        from test_message_view import ViewApp
        from bbot_tui.stream.transcript import Transcript, content_media, content_text
        from bbot_tui.tui.widgets.message_view import MessageView

        async def main():
            app = ViewApp()
            async with app.run_test(size=(80, 20)) as pilot:
                view = app.query_one(MessageView)
                view.transcript = transcript = Transcript()
                content = [{{"type": "text", "text": "x"}}, {{"type": "image",
                    "base64": base64.b64encode(png()).decode(), "mime_type": "image/png"}}]
                transcript.add_user_message(content_text(content), "m", content_media(content))
                view.sync(force=True)
                await pilot.pause()
                assert any("[image: image/png" in s.text for s in view.export_strips())
            loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("textual_image", "PIL"))
            print("loaded:", loaded)

        asyncio.run(main())
        """
    )
    env = {k: v for k, v in os.environ.items() if k != GRAPHICS_ENV}
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr
    assert "loaded: []" in done.stdout


async def test_a_picture_that_cannot_be_drawn_keeps_its_label(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(GRAPHICS_ENV, "kitty")
    from textual_image.renderable import tgp

    def refuse(self: Any, console: Any, options: Any) -> Any:
        raise ValueError("Image to large to render")

    monkeypatch.setattr(tgp.Image, "__rich_console__", refuse)
    not_an_image = _content(b"GIF89a but not really", "fake.png")
    app = ViewApp()
    async with app.run_test(size=(90, 20)) as pilot:
        view = await _show(pilot, [_content(_red_png(), "red.png"), not_an_image])
        lines = [strip.text.rstrip() for strip in view.export_strips()]
        assert f"[image: red.png · image/png · {_size(_red_png())}]" in lines
        assert "[image: fake.png · image/png · unreadable image]" in lines
        assert not any(KITTY_CELL in line for line in lines)
        red = _image_block(view, "m0").picture
        assert red is not None and red.problem == "not drawn" and red.mode is None
        assert lines[-2] == "↳  after 1"  # the rest of the transcript is drawn
