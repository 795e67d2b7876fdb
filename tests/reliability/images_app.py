"""The message view with one image, in a real terminal, for the pty image tests (a test script).

Usage: ``python images_app.py REPORT``. A human message with a 200x100 PNG (``red.png``) is
shown; ``q`` quits (so the test proves that keys still arrive after the picture was drawn).
At exit the script writes to REPORT the graphics chosen and whether textual-image and Pillow
were loaded, as JSON.
"""

from __future__ import annotations

import base64
import json
import sys
import zlib
from pathlib import Path
from typing import ClassVar

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType

from bbot_tui.stream.transcript import Transcript, content_media, content_text
from bbot_tui.tui.resources import stylesheet
from bbot_tui.tui.widgets.message_view import MessageView
from bbot_tui.tui.widgets.message_view.images import graphics_mode


def red_png(width: int = 200, height: int = 100) -> bytes:
    """A plain red PNG, made here (Pillow is not loaded before a picture is drawn)."""
    import struct

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\xc8\x1e\x1e" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


class ImagesApp(App[None]):
    CSS_PATH: ClassVar[list[str]] = [stylesheet("message_view.tcss")]  # type: ignore[misc]
    BINDINGS: ClassVar[list[BindingType]] = [Binding("q", "quit", "Quit")]

    def compose(self) -> ComposeResult:
        yield MessageView(id="message-view")

    def on_mount(self) -> None:
        view = self.query_one(MessageView)
        view.focus()
        view.transcript = transcript = Transcript()
        content = [
            {"type": "text", "text": "a red square"},
            {
                "type": "image",
                "base64": base64.b64encode(red_png()).decode("ascii"),
                "mime_type": "image/png",
                "extras": {"filename": "red.png"},
            },
        ]
        transcript.add_user_message(content_text(content), "m1", content_media(content))
        transcript.add_note("drawn")


def main(report: Path) -> int:
    ImagesApp().run()
    loaded = sorted({m.split(".")[0] for m in sys.modules} & {"textual_image", "PIL"})
    report.write_text(json.dumps({"mode": graphics_mode(), "loaded": loaded}))
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
