"""Images in the transcript, without an app: file blocks read back in both formats (LangChain
standard ``base64`` blocks, OpenAI-style ``data:`` URLs), what cannot be drawn (broken base64,
too large, remote URLs: never fetched), the labels, the graphics chosen from the environment
(never by asking the terminal) and the size a picture takes."""

from __future__ import annotations

import base64
import sys
from pathlib import Path
from typing import Any

import pytest

from bbot_tui.api.models import RunCreate
from bbot_tui.session.attachments import build_content, read_attachments, read_block
from bbot_tui.stream.inputs import input_media
from bbot_tui.stream.transcript import Transcript, content_media, content_text
from bbot_tui.tui.widgets.message_view import images
from bbot_tui.tui.widgets.message_view.images import (
    MAX_IMAGE_ROWS,
    graphics_mode,
    image_files,
    placeholder,
    split_images,
)

SUPPORT = Path(__file__).resolve().parents[1] / "support"
if str(SUPPORT) not in sys.path:
    sys.path.insert(0, str(SUPPORT))

from media import png  # noqa: E402

ENCODED = base64.b64encode(png()).decode("ascii")
STANDARD = {
    "type": "image",
    "base64": ENCODED,
    "mime_type": "image/png",
    "extras": {"filename": "cat.png"},
}
OPENAI = {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{ENCODED}"}}


def test_a_standard_block_is_read_back() -> None:
    file = read_block(STANDARD)
    assert (file.kind, file.name, file.mime_type, file.problem) == (
        "image",
        "cat.png",
        "image/png",
        "",
    )
    assert file.data == png() and file.size == len(png())
    assert placeholder(file) == f"[image: cat.png · image/png · {len(png())} B]"


def test_an_openai_data_url_block_is_read_back() -> None:
    file = read_block(OPENAI)
    assert (file.kind, file.name, file.mime_type, file.problem) == ("image", "", "image/png", "")
    assert file.data == png()
    assert placeholder(file) == f"[image: image/png · {len(png())} B]"
    # the URL as a plain string, and a standard block's url, are data URLs too
    assert read_block({"type": "image_url", "image_url": OPENAI["image_url"]["url"]}).data == png()
    assert read_block({"type": "image", "url": OPENAI["image_url"]["url"]}).data == png()


def test_blocks_built_for_sending_read_back_to_the_same_file(tmp_path: Path) -> None:
    (tmp_path / "cat.png").write_bytes(png())
    attached = read_attachments("see @cat.png", tmp_path)
    for fmt in ("langchain", "openai"):
        content = build_content("see @cat.png", attached, fmt)
        assert isinstance(content, list)
        (file,) = image_files(content_media(content))
        assert file.data == png() and file.mime_type == "image/png"


@pytest.mark.parametrize(
    "block",
    [
        {**STANDARD, "base64": "not base64 at all!"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,@@@@"}},
    ],
    ids=["standard", "openai"],
)
def test_broken_base64_gives_the_unreadable_placeholder(block: dict[str, Any]) -> None:
    file = read_block(block)
    assert file.data is None and file.problem == "unreadable"
    assert "unreadable image" in placeholder(file)


def test_a_remote_url_is_never_fetched_and_named_by_its_host() -> None:
    file = read_block({"type": "image_url", "image_url": {"url": "https://cdn.example.com/a.png"}})
    assert file.data is None and file.problem == "remote" and file.host == "cdn.example.com"
    assert placeholder(file) == "[image: remote, not fetched: cdn.example.com]"
    standard = read_block(
        {"type": "image", "url": "http://example.org/b.jpg", "mime_type": "image/jpeg"}
    )
    assert standard.problem == "remote"
    assert placeholder(standard) == "[image: image/jpeg · remote, not fetched: example.org]"


def test_a_file_over_the_cap_is_not_decoded() -> None:
    file = read_block(STANDARD, max_bytes=10)
    assert file.data is None and file.problem == "too large" and file.size >= len(png())
    assert "too large to draw" in placeholder(file)


def test_labels_of_images_leave_the_text_pdfs_keep_theirs() -> None:
    pdf = {"type": "file", "base64": "JVBERi0=", "mime_type": "application/pdf"}
    content = [{"type": "text", "text": "two files"}, STANDARD, OPENAI, pdf]
    text = content_text(content)
    media = content_media(content)
    assert len(media) == 3
    shown, files = split_images(text, media)
    assert [f.name for f in files] == ["cat.png", ""]
    assert shown.startswith("two files") and "[image" not in shown and "[file" in shown


def test_the_local_echo_carries_the_images_it_sent() -> None:
    content = [{"type": "text", "text": "hi"}, STANDARD]
    body = RunCreate(assistant_id="a", input={"messages": [{"role": "user", "content": content}]})
    text = content_text(content)
    assert input_media(body.input, text) == (STANDARD,)
    assert input_media(body.input, "something else") == ()
    transcript = Transcript()
    message = transcript.add_user_message(text, None, input_media(body.input, text))
    assert message.media == (STANDARD,)
    version = message.version
    message.set_media((STANDARD,))
    assert message.version == version  # the same blocks: nothing to redraw
    message.set_media(())
    assert message.version == version + 1


class _Tty:
    def isatty(self) -> bool:
        return True


def test_graphics_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # forced either way, whatever the terminal
    assert graphics_mode({"BBOT_TUI_IMAGES": "kitty"}) == "kitty"
    assert graphics_mode({"BBOT_TUI_IMAGES": "Sixel"}) == "sixel"
    assert graphics_mode({"BBOT_TUI_IMAGES": "off", "TERM": "xterm-kitty"}) is None
    # served in a browser: never
    web = {"TEXTUAL_DRIVER": "textual.drivers.web_driver:WebDriver", "BBOT_TUI_IMAGES": "kitty"}
    assert graphics_mode(web) is None
    # not a terminal (tests, pipes): never
    assert graphics_mode({"TERM": "xterm-kitty"}) is None
    monkeypatch.setattr(sys, "__stdout__", _Tty())
    assert graphics_mode({"TERM": "xterm-kitty"}) == "kitty"
    assert graphics_mode({"TERM": "xterm-256color", "KITTY_WINDOW_ID": "1"}) == "kitty"
    assert graphics_mode({"TERM": "xterm-256color", "TERM_PROGRAM": "WezTerm"}) == "sixel"
    assert graphics_mode({"TERM": "foot"}) == "sixel"
    assert graphics_mode({"TERM": "xterm-256color", "KONSOLE_VERSION": "230805"}) == "sixel"
    assert graphics_mode({"TERM": "xterm-256color", "KONSOLE_VERSION": "210800"}) is None
    assert graphics_mode({"TERM": "xterm-256color"}) is None
    assert graphics_mode({"TERM": "xterm-kitty", "TMUX": "/tmp/tmux-0/default,1,0"}) is None


def test_a_picture_is_never_larger_than_the_image_nor_the_caps() -> None:
    fit = images._fit
    assert fit(1, 1, 80, (10, 20)) == (1, 1)  # a tiny image stays tiny
    assert fit(300, 200, 80, (10, 20)) == (30, 10)  # its own size
    columns, rows = fit(1000, 4000, 80, (10, 20))
    assert rows == MAX_IMAGE_ROWS and columns == 8  # tall: capped in rows, ratio kept
    columns, rows = fit(4000, 400, 40, (10, 20))
    assert columns == 40 and rows == 2  # wide: capped at the width
