"""Files attached with ``@path`` in the composer, turned into a message's content.

A word that starts with ``@`` and looks like a path (it holds a ``/``, a ``.`` or starts with
``~``; ``@bob`` stays text) names a file to attach. :func:`read_attachments` reads them all
before anything is sent, and refuses with one :class:`AttachmentError` that says which file and
why: missing, unreadable, a folder, too large (:data:`MAX_FILE_BYTES` each,
:data:`MAX_TOTAL_BYTES` together), or neither text, image nor PDF.

:func:`build_content` makes the message's content:

* text and code files go into the text, each as a fenced block under its file name (the fence
  is longer than any run of backticks inside, so a file cannot close it);
* images (PNG, JPEG, GIF, WebP) and PDFs go in as content blocks: LangChain's standard blocks
  (langchain-core 1.x, ``messages/content.py``): ``{"type": "image", "base64": …,
  "mime_type": …}`` and ``{"type": "file", "base64": …, "mime_type": "application/pdf"}``,
  the file name under ``extras.filename``; or, for servers that want them
  (:data:`AttachmentFormat` ``openai``), ``{"type": "image_url", "image_url": {"url":
  "data:…"}}`` and ``{"type": "file", "file": {"filename": …, "file_data": "data:…"}}``.

Without images or PDFs the content stays a string.

:func:`read_block` reads such a block back (from a message of the thread's state, in either
format): its name, type and decoded bytes, or why there are none (unreadable base64, too large,
a remote URL that is never fetched). Nothing here knows a widget.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from bbot_tui.config.settings import AttachmentFormat

__all__ = [
    "IMAGE_TYPES",
    "MAX_DECODED_BYTES",
    "MAX_FILE_BYTES",
    "MAX_TOTAL_BYTES",
    "Attachment",
    "AttachmentError",
    "AttachmentFormat",
    "BlockFile",
    "Mention",
    "build_content",
    "describe_size",
    "mentions",
    "read_attachments",
    "read_block",
]

MAX_FILE_BYTES = 5_000_000
"""The largest file attached (bytes)."""
MAX_TOTAL_BYTES = 10_000_000
"""The most bytes attached to one message."""
IMAGE_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
}
"""Image files sent as image blocks, by extension."""
MAX_DECODED_BYTES = 12_000_000
"""The largest file :func:`read_block` decodes from a block (a message of the thread's state
may come from another client, with no cap)."""
PDF_TYPE = "application/pdf"
_LANGUAGES = {".py": "python", ".js": "javascript", ".ts": "typescript", ".md": "markdown"}
_MENTION = re.compile(r"(?:(?<=\s)|^)@(\S+)")
_TRAILING = ",;:!?)]}'\""


class AttachmentError(Exception):
    """A file named with ``@`` cannot be attached (nothing is sent)."""


@dataclass(frozen=True)
class Mention:
    """An ``@path`` in the text.

    Attributes:
        start: Where the ``@`` is.
        end: Where the path ends.
        path: The path as typed.
    """

    start: int
    end: int
    path: str


@dataclass(frozen=True)
class Attachment:
    """A file read for a message.

    Attributes:
        path: The file.
        name: Its name as shown (the path as typed).
        kind: ``text`` (into the text), ``image`` or ``file`` (a PDF: a block).
        mime_type: Its type.
        data: Its bytes.
    """

    path: Path
    name: str
    kind: Literal["text", "image", "file"]
    mime_type: str
    data: bytes

    @property
    def size(self) -> int:
        """Its size in bytes."""
        return len(self.data)


def describe_size(size: int) -> str:
    """``512 B``, ``12.5 KB``, ``3.1 MB``."""
    if size < 1000:
        return f"{size} B"
    if size < 1_000_000:
        return f"{size / 1000:.1f} KB"
    return f"{size / 1_000_000:.1f} MB"


def mentions(text: str) -> list[Mention]:
    """The ``@paths`` in ``text`` (a word after ``@`` that holds ``/`` or ``.``, or starts
    with ``~``; trailing punctuation is not part of it)."""
    found = []
    for match in _MENTION.finditer(text):
        path = match.group(1).rstrip(_TRAILING)
        if path and ("/" in path or "." in path.strip(".") or path.startswith("~")):
            found.append(Mention(match.start(), match.start() + 1 + len(path), path))
    return found


def read_attachments(
    text: str,
    folder: Path,
    *,
    max_file: int = MAX_FILE_BYTES,
    max_total: int = MAX_TOTAL_BYTES,
) -> list[Attachment]:
    """Read every file ``text`` names with ``@``.

    Args:
        text: The message as typed.
        folder: Where relative paths start.
        max_file: The largest file accepted.
        max_total: The most bytes accepted together.

    Returns:
        The attachments, in the order named (a file named twice once).

    Raises:
        AttachmentError: a file is missing, unreadable, too large, or not text, image or PDF.
    """
    out: list[Attachment] = []
    seen: set[Path] = set()
    total = 0
    for mention in mentions(text):
        path = Path(os.path.expanduser(mention.path))
        if not path.is_absolute():
            path = folder / path
        if path in seen:
            continue
        seen.add(path)
        name = mention.path
        if not path.exists():
            raise AttachmentError(f"@{name}: no such file")
        if path.is_dir():
            raise AttachmentError(f"@{name}: is a folder (attach files one by one)")
        try:
            size = path.stat().st_size
            if size > max_file:
                raise AttachmentError(
                    f"@{name} is {describe_size(size)}: files of up to "
                    f"{describe_size(max_file)} can be attached"
                )
            data = path.read_bytes()
        except OSError as exc:
            raise AttachmentError(f"@{name}: cannot be read ({exc.strerror or exc})") from None
        total += len(data)
        if total > max_total:
            raise AttachmentError(
                f"the attachments are {describe_size(total)} together: up to "
                f"{describe_size(max_total)} can be sent with one message"
            )
        out.append(_classify(path, name, data))
    return out


def _classify(path: Path, name: str, data: bytes) -> Attachment:
    suffix = path.suffix.lower()
    if suffix in IMAGE_TYPES:
        return Attachment(path, name, "image", IMAGE_TYPES[suffix], data)
    if suffix == ".pdf":
        return Attachment(path, name, "file", PDF_TYPE, data)
    if b"\0" not in data:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            return Attachment(path, name, "text", "text/plain", data)
    raise AttachmentError(f"@{name}: not a text file, an image (PNG, JPEG, GIF, WebP) or a PDF")


def _fenced(attachment: Attachment) -> str:
    text = attachment.data.decode("utf-8")
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    suffix = attachment.path.suffix.lower()
    language = _LANGUAGES.get(suffix, suffix.lstrip("."))
    body = text if text.endswith("\n") else text + "\n"
    return f"{attachment.name}:\n{fence}{language}\n{body}{fence}"


def _block(attachment: Attachment, fmt: AttachmentFormat) -> dict[str, Any]:
    data = base64.b64encode(attachment.data).decode("ascii")
    if fmt == "openai":
        url = f"data:{attachment.mime_type};base64,{data}"
        if attachment.kind == "image":
            return {"type": "image_url", "image_url": {"url": url}}
        return {"type": "file", "file": {"filename": attachment.name, "file_data": url}}
    return {
        "type": attachment.kind,
        "base64": data,
        "mime_type": attachment.mime_type,
        "extras": {"filename": attachment.name},
    }


def build_content(
    text: str, attachments: list[Attachment], fmt: AttachmentFormat = "langchain"
) -> str | list[dict[str, Any]]:
    """The message content: the text with the text files fenced in, then the image and PDF
    blocks (a plain string when there are none)."""
    parts = [text.rstrip()] if text.strip() else []
    parts += [_fenced(a) for a in attachments if a.kind == "text"]
    joined = "\n\n".join(parts)
    blocks = [_block(a, fmt) for a in attachments if a.kind != "text"]
    if not blocks:
        return joined
    return [{"type": "text", "text": joined}, *blocks] if joined else blocks


@dataclass(frozen=True)
class BlockFile:
    """The file a content block carries, read back (see :func:`read_block`).

    Attributes:
        kind: ``image`` (``image`` and ``image_url`` blocks) or ``file``.
        name: Its file name, or "" when the block gives none.
        mime_type: Its type, or "" when the block gives none.
        size: Its size in bytes (decoded, or estimated from the base64 when not decoded).
        data: Its bytes, or None (see ``problem``).
        url: The URL of a block that points elsewhere instead of carrying its data.
        problem: Why ``data`` is None: ``unreadable`` (broken base64 or data URL),
            ``too large`` (over the cap), ``remote`` (an ``http(s)`` URL: never fetched), or
            ``missing`` (no data at all); "" when ``data`` is there.
    """

    kind: Literal["image", "file"]
    name: str
    mime_type: str
    size: int
    data: bytes | None
    url: str = ""
    problem: Literal["", "unreadable", "too large", "remote", "missing"] = ""

    @property
    def host(self) -> str:
        """The host of a remote URL ("" for data carried in the block)."""
        from urllib.parse import urlsplit

        return urlsplit(self.url).hostname or "" if self.url else ""


def read_block(block: dict[str, Any], max_bytes: int = MAX_DECODED_BYTES) -> BlockFile:
    """Read back the file a content block carries, in either format :func:`build_content`
    writes (LangChain standard ``base64`` blocks, OpenAI-style ``data:`` URLs); a standard
    block's ``url`` and an ``image_url`` may also be ``data:`` URLs.

    Args:
        block: An ``image``, ``image_url`` or ``file`` content block.
        max_bytes: The largest file decoded; a larger one has ``problem == "too large"``.

    Returns:
        The file; nothing is fetched: an ``http(s)`` URL gives ``problem == "remote"``.
    """
    kind: Literal["image", "file"] = (
        "image" if block.get("type") in ("image", "image_url") else "file"
    )
    file, more = block.get("file"), block.get("extras")
    inner: dict[str, Any] = file if isinstance(file, dict) else {}
    extras: dict[str, Any] = more if isinstance(more, dict) else {}
    name = extras.get("filename") or inner.get("filename") or block.get("filename") or ""
    mime = str(block.get("mime_type") or "")
    data = block.get("base64") or block.get("data") or ""
    url = block.get("url") or inner.get("file_data") or ""
    image_url = block.get("image_url")
    if isinstance(image_url, dict):
        url = image_url.get("url") or url
    elif isinstance(image_url, str):
        url = image_url
    url = url if isinstance(url, str) else ""
    encoded = True
    if not data and url.startswith("data:"):
        head, _, data = url.partition(",")
        mime = mime or head[5:].split(";")[0]
        encoded = head.endswith(";base64")
        url = ""
    name = str(name)
    if not isinstance(data, str) or not data:
        problem: Literal["remote", "missing"] = "remote" if url else "missing"
        return BlockFile(kind, name, mime, 0, None, url, problem)
    if not encoded:  # a percent-encoded data URL (rare for binary files)
        from urllib.parse import unquote_to_bytes

        raw = unquote_to_bytes(data)
        if len(raw) > max_bytes:
            return BlockFile(kind, name, mime, len(raw), None, problem="too large")
        return BlockFile(kind, name, mime, len(raw), raw)
    estimate = len(data) * 3 // 4
    if estimate > max_bytes + 3:
        return BlockFile(kind, name, mime, estimate, None, problem="too large")
    try:
        raw = base64.b64decode("".join(data.split()), validate=True)
    except (binascii.Error, ValueError):
        return BlockFile(kind, name, mime, estimate, None, problem="unreadable")
    return BlockFile(kind, name, mime, len(raw), raw)
