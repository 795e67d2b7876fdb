"""Images in the transcript: drawn with Kitty or Sixel graphics where the terminal has them.

A message's image blocks (``Message.media``: LangChain standard blocks with ``base64`` data,
OpenAI-style ``image_url`` blocks with ``data:`` URLs) become one ``image`` block each in the
view's entry (:mod:`.entry`), drawn under the message's text. The transcript's text holds a
label per file (``[image: cat.png · image/png · 12.3 KB]``, see ``bbot_tui.stream.transcript``;
search and copy read it); the entry draws the text without the images' labels
(:func:`without_labels`) and each image block draws:

* its label (:func:`placeholder`: name, type, size), the placeholder wherever no picture is
  drawn (a terminal without graphics, the app served in a browser, tests and snapshots), and
  the picture's caption elsewhere; it says ``unreadable image`` for data that does not decode,
  ``too large to draw`` over :data:`MAX_DRAWN_BYTES`, and names the host of a remote
  ``http(s)`` URL (never fetched);
* under it, the picture, when :func:`graphics_mode` says the terminal draws Kitty or Sixel
  graphics and the data decodes as an image: at most :data:`MAX_IMAGE_ROWS` rows high and the
  view's width, never larger than the image itself.

**Kitty** pictures are text: textual-image's TGP renderable sends the image to the terminal once
and draws it as Unicode placeholder cells, so the picture's rows are ordinary cached strips and
scroll, crop, select and search like any other line. **Sixel** pictures are pixels drawn at the
cursor: the block's rows are blank strips, and the view asks :meth:`Picture.overlay` for each
row it shows; the last row in view carries the visible part of the image, drawn over the rows
above it (as textual-image's own Sixel widget does). A picture textual-image cannot draw keeps
its label (and the view goes on).

**Detection never queries the terminal.** textual-image asks the terminal (escape sequences read
back from stdin) when it is imported; once Textual runs, its input thread owns stdin, so the
answer would be lost and the keys garbled. :func:`graphics_mode` decides from the environment
(``TERM``, ``TERM_PROGRAM``…) and :data:`GRAPHICS_ENV` (``kitty``, ``sixel`` or ``off``) forces
it; textual-image (and Pillow) are imported only when the first picture is drawn
(:func:`_textual_image`), with its probes switched off.
"""

from __future__ import annotations

import io
import os
import sys
from typing import TYPE_CHECKING, Any, Literal

from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from bbot_tui.session.attachments import BlockFile, describe_size, read_block
from bbot_tui.stream.transcript import attachment_label
from bbot_tui.text import sanitize

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from rich.console import Console

__all__ = [
    "GRAPHICS_ENV",
    "MAX_DRAWN_BYTES",
    "MAX_IMAGE_ROWS",
    "MAX_PIXELS",
    "GraphicsMode",
    "Picture",
    "graphics_mode",
    "image_files",
    "placeholder",
    "split_images",
    "without_labels",
]

GraphicsMode = Literal["kitty", "sixel"]
"""How pictures are drawn: Kitty's graphics protocol (TGP) or Sixel."""

GRAPHICS_ENV = "BBOT_TUI_IMAGES"
"""The environment variable that forces the graphics: ``kitty``, ``sixel`` or ``off``."""
MAX_IMAGE_ROWS = 16
"""The most rows a picture takes."""
MAX_DRAWN_BYTES = 8_000_000
"""The largest image file decoded to be drawn (larger ones get a note)."""
MAX_PIXELS = 40_000_000
"""The most pixels an image may declare to be decoded (a decompression bomb gets a note)."""

_SIXEL_PROGRAMS = ("WezTerm", "iTerm.app", "mintty", "contour")
_SIXEL_TERMS = ("foot", "foot-extra", "mlterm", "contour", "yaft-256color")


def graphics_mode(environ: Mapping[str, str] | None = None) -> GraphicsMode | None:
    """The graphics this terminal draws, from the environment alone (no terminal query).

    The app served in a browser draws none. :data:`GRAPHICS_ENV` decides when set (``kitty``,
    ``sixel``; ``off`` for none). Otherwise
    graphics need the real standard output to be a terminal (not a test, a pipe or the served
    app), not inside tmux or screen (they need passthrough), and a terminal known to draw them:
    Kitty (``TERM=xterm-kitty``) for Kitty graphics; WezTerm, iTerm2, foot, mlterm, contour,
    mintty, Konsole 22.04+ and Windows Terminal for Sixel.

    Args:
        environ: The environment (``os.environ`` by default).
    """
    env = os.environ if environ is None else environ
    if "web_driver" in env.get("TEXTUAL_DRIVER", ""):
        return None  # served in a browser (textual-serve): its terminal draws no graphics
    forced = env.get(GRAPHICS_ENV, "").strip().lower()
    if forced in ("kitty", "sixel"):
        return "kitty" if forced == "kitty" else "sixel"
    if forced:
        return None  # off, none, no, 0…
    out = sys.__stdout__
    if out is None or not out.isatty():
        return None
    term = env.get("TERM", "")
    if env.get("TMUX") or term.startswith(("screen", "tmux")):
        return None
    if term == "xterm-kitty" or "KITTY_WINDOW_ID" in env:
        return "kitty"
    konsole = env.get("KONSOLE_VERSION", "")
    if (
        env.get("TERM_PROGRAM", "") in _SIXEL_PROGRAMS
        or term in _SIXEL_TERMS
        or "WT_SESSION" in env
        or (konsole.isdigit() and int(konsole) >= 220400)
    ):
        return "sixel"
    return None


def image_files(media: Iterable[dict[str, Any]]) -> list[BlockFile]:
    """The images among a message's file blocks (``Message.media``), read back.

    Args:
        media: The content blocks (``image``, ``image_url``, ``file``…).

    Returns:
        One :class:`~bbot_tui.session.attachments.BlockFile` per image block (a PDF or another
        file is not an image: its label is all it shows).
    """
    return [read_block(block, MAX_DRAWN_BYTES) for block in media if _is_image(block)]


def split_images(text: str, media: Iterable[dict[str, Any]]) -> tuple[str, list[BlockFile]]:
    """A message's text without its images' labels, and the images (see :func:`image_files`).

    Args:
        text: The message's text (``Message.text``: a label per file block).
        media: Its file blocks (``Message.media``).

    Returns:
        The text without the label of each image (the image block draws it), and the images.
    """
    return without_labels(text, media), image_files(media)


def without_labels(text: str, media: Iterable[dict[str, Any]]) -> str:
    """``text`` without the labels of the images among ``media`` (see :func:`split_images`;
    nothing is decoded)."""
    for block in media:
        if _is_image(block):
            label = attachment_label(block)
            if "\n" + label in text:
                text = text.replace("\n" + label, "", 1)
            else:
                text = text.replace(label, "", 1)
    return text


def _is_image(block: dict[str, Any]) -> bool:
    kind = block.get("type")
    return kind in ("image", "image_url") or (
        kind == "file" and str(block.get("mime_type") or "").startswith("image/")
    )


def placeholder(file: BlockFile, problem: str | None = None) -> str:
    """The one-line label of an image: ``[image: cat.png · image/png · 12.3 KB]``.

    Args:
        file: The image.
        problem: What went wrong drawing it (``unreadable image``…); by default what reading
            the block said (:attr:`BlockFile.problem`).
    """
    if problem is None:
        problem = {
            "unreadable": "unreadable image",
            "too large": f"too large to draw ({describe_size(file.size)})",
            "remote": f"remote, not fetched: {file.host or 'unknown host'}",
            "missing": "no data",
        }.get(file.problem, "")
    parts = [file.name, file.mime_type]
    if problem:
        parts.append(problem)
    elif file.data is not None:
        parts.append(describe_size(file.size))
    text = " · ".join(sanitize(p, keep_newlines=False) for p in parts if p)
    return f"[image: {text}]" if text else "[image]"


class Picture:
    """One image of a message, as the view draws it (see the module docstring).

    It owns the decoded image and textual-image's renderable for the current size, so a
    redraw (the strip cache dropped it, colours changed) sends nothing to the terminal again.

    Args:
        file: The image read back from its block.
    """

    def __init__(self, file: BlockFile) -> None:
        self.file = file
        """The image read back from its block."""
        self.problem = ""
        """Why it is not drawn (``unreadable image``…), once known; "" while it can be."""
        self.label = placeholder(file)
        """The line drawn above the picture, or instead of it."""
        self.renderable: Any = None
        """textual-image's renderable of the last picture drawn (None before, or for a note)."""
        self.mode: GraphicsMode | None = None
        """How the last picture was drawn."""
        self.size: tuple[int, int] = (0, 0)
        """The last picture's size in cells (columns, rows)."""
        self.top = 1
        """The block's lines above the picture (its label)."""
        self._image: Any = None
        self._sixels: tuple[tuple[int, int, int], str] | None = None
        if file.data is None:
            self.problem = file.problem

    def draw(self, console: Console, width: int, base: Style, note_style: Style) -> list[Strip]:
        """The block's lines at ``width`` cells: the label, then the picture if one is drawn.

        Args:
            console: The console to render with (the app's).
            width: The view's content width.
            base: The view's style, under every cell.
            note_style: The style of the label.
        """
        mode = graphics_mode()
        picture = None
        if not self.problem and mode is not None:
            picture = self._picture(console, mode, width, base)
        from rich.text import Text

        options = console.options.update(width=width, height=None, highlight=False)
        lines = console.render_lines(
            Text(self.label, style=note_style), options, style=base, pad=True
        )
        self.top = len(lines)
        return [Strip(line, width) for line in lines] + (picture or [])

    def overlay(
        self,
        console: Console,
        strip: Strip,
        row: int,
        rows: int,
        view_row: int,
        view_height: int,
        origin: tuple[int, int],
    ) -> Strip:
        """Line ``row`` of the block as the view shows it at ``view_row``: a Sixel picture is
        drawn from its last line in view (:meth:`sixel_overlay`); any other line is ``strip``.

        Args:
            console: The console to render with (the app's).
            strip: The line as drawn (cached), without the view's gutter.
            row: Which line of the block it is.
            rows: The block's lines.
            view_row: The view's row it is shown at (0 is the view's top).
            view_height: The rows the view shows.
            origin: The screen column and row of the view's top left content cell.
        """
        if self.mode != "sixel" or self._image is None:
            return strip
        start = view_row - row  # the block's first line, in view rows (may be above the view)
        last = min(rows - 1, view_height - 1 - start)
        if row != last or row < self.top:
            return strip
        first = max(self.top, -start)
        x, y = origin
        return self.sixel_overlay(
            console,
            strip,
            first - self.top,
            last - self.top,
            x,
            y + start + first,
            strip.cell_length,
        )

    def sixel_overlay(
        self, console: Console, strip: Strip, first: int, last: int, x: int, y: int, width: int
    ) -> Strip:
        """The last row in view of a Sixel picture, carrying the visible part of the image.

        Args:
            console: The console to render with (the app's).
            strip: The row as drawn (blank cells).
            first: The first picture row in view.
            last: This row (the last picture row in view).
            x: The screen column of the picture's left edge.
            y: The screen row of ``first``.
            width: The cells the strip covers (the cursor is put back after them).
        """
        if self.mode != "sixel" or self._image is None or last < first:
            return strip
        columns, _ = self.size
        key = (first, last, columns)
        if self._sixels is None or self._sixels[0] != key:
            try:
                self._sixels = (key, self._encode_sixels(first, last, console))
            except Exception:  # a third-party encoder: the rows stay blank, the view goes on
                self.mode, self.problem = None, "not drawn"
                return strip
        from rich.control import Control
        from rich.segment import ControlType

        here = y + (last - first)
        # control segments: no cells, written as they are (no style)
        no_op: Any = ((ControlType.CURSOR_FORWARD, 0),)
        segments = [
            *strip,
            Segment(Control.move_to(x, y).segment.text, None, no_op),
            Segment(self._sixels[1], None, no_op),
            Segment(Control.move_to(x + width, here).segment.text, None, no_op),
        ]
        return Strip(segments, strip.cell_length)

    def cleanup(self) -> None:
        """Free a Kitty picture's data in the terminal."""
        renderable, self.renderable = self.renderable, None
        if renderable is not None and self.mode == "kitty":
            renderable.cleanup()

    # --- internals ----------------------------------------------------------------------------

    def _picture(
        self, console: Console, mode: GraphicsMode, width: int, base: Style
    ) -> list[Strip] | None:
        modules = _textual_image()
        image = self._decoded() if modules is not None else None
        if modules is None or image is None:
            return None
        columns, rows = _fit(image.width, image.height, max(1, width), _cell_pixels())
        if mode == "sixel":
            self.cleanup()
            self.mode, self.size = mode, (columns, rows)  # drawn by sixel_overlay
            return [Strip.blank(width, base)] * rows
        try:
            if (mode, (columns, rows)) != (self.mode, self.size) or self.renderable is None:
                self.cleanup()
                self.mode, self.size, self._sixels = mode, (columns, rows), None
                self.renderable = modules.tgp.Image(image, columns, rows)
            options = console.options.update(width=columns, height=rows, highlight=False)
            lines = console.render_lines(self.renderable, options, pad=False)
        except Exception:  # a third-party renderer: the label stays, the transcript goes on
            self.cleanup()
            self.mode, self.problem = None, "not drawn"
            return None
        pad = Strip.blank(max(0, width - columns), base)
        return [Strip.join([Strip(line, columns), pad]) for line in lines[:rows]]

    def _decoded(self) -> Any:
        """The image (Pillow), or None with :attr:`problem` set."""
        if self._image is not None or self.problem:
            return self._image
        data = self.file.data or b""
        from PIL import Image as PILImage  # textual-image's own dependency

        try:
            image = PILImage.open(io.BytesIO(data))
            if image.width * image.height > MAX_PIXELS:
                self.problem = "too many pixels"
                self.label = placeholder(self.file, "too many pixels to draw")
                return None
            image.load()
        except (OSError, ValueError, SyntaxError, PILImage.DecompressionBombError):
            self.problem = "unreadable"
            self.label = placeholder(self.file, "unreadable image")
            return None
        self._image = image
        return image

    def _encode_sixels(self, first: int, last: int, console: Console) -> str:
        """The Sixel data of picture rows ``first..last`` (textual-image's renderable of the
        cropped image; only its Sixel sequence is kept, the view places it)."""
        columns, rows = self.size
        cell_width, cell_height = _cell_pixels()
        scaled = self._image.convert("RGB").resize(
            (max(1, columns * cell_width), max(1, rows * cell_height))
        )
        visible = scaled.crop((0, first * cell_height, scaled.width, (last + 1) * cell_height))
        modules = _textual_image()
        assert modules is not None  # drawn in sixel mode only once it was imported
        renderable = modules.sixel.Image(visible, columns, last - first + 1)
        options = console.options.update(width=columns, height=last - first + 1)
        return "".join(
            segment.text
            for segment in console.render(renderable, options)
            if segment.text.startswith("\x1bP")
        )


def _fit(pixel_width: int, pixel_height: int, width: int, cell: tuple[int, int]) -> tuple[int, int]:
    """The cells (columns, rows) an image takes: its own size at most, within ``width`` and
    :data:`MAX_IMAGE_ROWS`, keeping its aspect ratio."""
    cell_width, cell_height = cell
    columns = max(1.0, pixel_width / cell_width)
    rows = max(1.0, pixel_height / cell_height)
    scale = min(1.0, width / columns, MAX_IMAGE_ROWS / rows)
    return max(1, min(width, round(columns * scale))), max(
        1, min(MAX_IMAGE_ROWS, round(rows * scale))
    )


def _cell_pixels() -> tuple[int, int]:
    """A terminal cell's size in pixels: from the terminal's window size (an ioctl, no
    query), else textual-serve's variables, else 10x20."""
    try:
        import fcntl
        import struct
        import termios

        out = sys.__stdout__
        if out is not None and out.isatty():
            packed = fcntl.ioctl(out.fileno(), termios.TIOCGWINSZ, b"\0" * 8)
            rows, columns, pixel_width, pixel_height = struct.unpack("HHHH", packed)
            if rows and columns and pixel_width and pixel_height:
                return max(1, pixel_width // columns), max(1, pixel_height // rows)
    except (ImportError, OSError):
        pass
    width, height = (
        os.environ.get("TEXTUAL_CELL_WIDTH", ""),
        os.environ.get("TEXTUAL_CELL_HEIGHT", ""),
    )
    if width.isdigit() and height.isdigit() and int(width) and int(height):
        return int(width), int(height)
    return 10, 20


class _Modules:
    """textual-image's renderables, once imported (see :func:`_textual_image`)."""

    def __init__(self) -> None:
        from textual_image.renderable import sixel, tgp

        self.tgp = tgp
        self.sixel = sixel


_modules: _Modules | None = None
_unavailable = False


def _textual_image() -> _Modules | None:
    """Import textual-image (and Pillow) the first time a picture is drawn, without its
    terminal probes.

    Importing ``textual_image.renderable`` asks the terminal for Sixel and Kitty support, and
    its cell size query reads stdin; under Textual that read would race the app's input thread
    (see the module docstring). Both check ``sys.__stdin__`` first and give up, asking nothing,
    when it is None: it is None for the length of the import (the app's input thread holds its
    own descriptor), so the probes report no support, which is never used here
    (:func:`graphics_mode` decides), and the cell size comes from the window size alone.

    Returns:
        The renderables, or None when textual-image cannot be loaded here (it divides by a
        window size of 0 in a terminal that reports none): pictures are then not drawn.
    """
    global _modules, _unavailable
    if _modules is None and not _unavailable:
        stdin = sys.__stdin__
        sys.__stdin__ = None  # type: ignore[assignment]
        try:
            import textual_image.renderable  # the support probes run here
            import textual_image.widget  # noqa: F401  (the cell size is found and kept here)

            _modules = _Modules()
        except Exception:  # a third-party import that measures the terminal
            _unavailable = True
        finally:
            sys.__stdin__ = stdin  # type: ignore[misc]
    return _modules
