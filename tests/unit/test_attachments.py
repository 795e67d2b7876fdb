"""``@path`` attachments: which words name files, what is refused before sending, and the
content built (text files fenced, images and PDFs as LangChain or OpenAI-style blocks)."""

from __future__ import annotations

import base64
import sys
from pathlib import Path

import pytest

from bbot_tui.session.attachments import (
    AttachmentError,
    build_content,
    mentions,
    read_attachments,
)
from bbot_tui.stream.transcript import content_text

SUPPORT = Path(__file__).resolve().parents[1] / "support"
if str(SUPPORT) not in sys.path:
    sys.path.insert(0, str(SUPPORT))

from media import png  # noqa: E402


def test_mentions_are_words_that_look_like_paths() -> None:
    found = mentions("see @notes.md, @src/app.py and @~/x; ask @bob or me@host.com (@a.txt)")
    assert [m.path for m in found] == ["notes.md", "src/app.py", "~/x"]
    text = "@first.txt\n@second.md"
    assert [(m.start, m.end, m.path) for m in mentions(text)] == [
        (0, 10, "first.txt"),
        (11, 21, "second.md"),
    ]


def test_text_files_are_fenced_under_their_name(tmp_path: Path) -> None:
    (tmp_path / "notes.md").write_text("has ``` inside\n")
    (tmp_path / "app.py").write_text("print(1)")
    files = read_attachments("look at @notes.md and @app.py", tmp_path)
    assert [(f.name, f.kind) for f in files] == [("notes.md", "text"), ("app.py", "text")]
    content = build_content("look at @notes.md and @app.py", files)
    assert content == (
        "look at @notes.md and @app.py\n\n"
        "notes.md:\n````markdown\nhas ``` inside\n````\n\n"
        "app.py:\n```python\nprint(1)\n```"
    )


def test_images_and_pdfs_are_content_blocks(tmp_path: Path) -> None:
    (tmp_path / "cat.png").write_bytes(png())
    (tmp_path / "doc.pdf").write_bytes(b"%PDF-1.4 fake")
    files = read_attachments("what is @cat.png in @doc.pdf?", tmp_path)
    content = build_content("what is @cat.png in @doc.pdf?", files)
    assert isinstance(content, list)
    text, image, pdf = content
    assert text == {"type": "text", "text": "what is @cat.png in @doc.pdf?"}
    assert image == {
        "type": "image",
        "base64": base64.b64encode(png()).decode(),
        "mime_type": "image/png",
        "extras": {"filename": "cat.png"},
    }
    assert pdf["type"] == "file" and pdf["mime_type"] == "application/pdf"
    assert base64.b64decode(pdf["base64"]) == b"%PDF-1.4 fake"
    label = content_text(content)  # what the transcript shows: labels, never the data
    assert label.startswith("what is @cat.png in @doc.pdf?\n[image: cat.png · image/png · ")
    assert "[file: doc.pdf · application/pdf · " in label and pdf["base64"] not in label


def test_openai_style_blocks(tmp_path: Path) -> None:
    (tmp_path / "cat.png").write_bytes(png())
    (tmp_path / "doc.pdf").write_bytes(b"%PDF-1.4 fake")
    files = read_attachments("@cat.png @doc.pdf", tmp_path)
    _, image, pdf = build_content("@cat.png @doc.pdf", files, "openai")
    data = base64.b64encode(png()).decode()
    assert image == {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{data}"}}
    assert pdf["file"]["filename"] == "doc.pdf"
    assert pdf["file"]["file_data"].startswith("data:application/pdf;base64,")


@pytest.mark.parametrize(
    ("name", "setup", "says"),
    [
        ("missing.txt", None, "@missing.txt: no such file"),
        ("big.txt", "big", "@big.txt is 2.0 KB: files of up to 1.0 KB can be attached"),
        ("blob.bin", "binary", "not a text file, an image"),
        ("sub/", "folder", "is a folder"),
        ("/proc/self/mem", None, "@/proc/self/mem: cannot be read"),  # read fails, even as root
    ],
)
def test_refusals_say_which_file_and_why(
    tmp_path: Path, name: str, setup: str | None, says: str
) -> None:
    target = tmp_path / name
    if setup == "big":
        target.write_text("x" * 2000)
    elif setup == "binary":
        target.write_bytes(b"\x00\x01\xfe")
    elif setup == "folder":
        target.mkdir()
    with pytest.raises(AttachmentError) as caught:
        read_attachments(f"read @{name}", tmp_path, max_file=1000)
    assert says in str(caught.value)


def test_the_total_is_capped_too(tmp_path: Path) -> None:
    for name in ("a.txt", "b.txt"):
        (tmp_path / name).write_text("x" * 800)
    with pytest.raises(AttachmentError, match="together"):
        read_attachments("@a.txt @b.txt", tmp_path, max_file=1000, max_total=1500)
    assert build_content("plain", []) == "plain"
