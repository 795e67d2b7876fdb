"""The message view: a transcript drawn line by line (see :mod:`.view`).

Modules, each with one job (imports point down this list, never up):

* :mod:`.view`: the widget :class:`MessageView` (viewport, timers, colours, keys, mouse);
* :mod:`.sync`: :class:`~.sync.TranscriptSync`, which transcript changes redraw which
  entries, paced to the frame;
* :mod:`.selection`: :class:`~.selection.Selection`, the message the actions act on;
* :mod:`.finder`: :class:`~.finder.Finder`, search in the view (matches, the current one);
* :mod:`.layout`: :class:`~.layout.StripLayout`, entries, line positions, measuring, the strip
  cache and drawing ahead;
* :mod:`.entry`: one message as blocks with heights (:class:`~.entry.Entry`,
  :class:`~.entry.Block`);
* :mod:`.images`: a message's images, their labels and, where the terminal draws Kitty or
  Sixel graphics, their pictures (:class:`~.images.Picture`, with textual-image);
* :mod:`.painter`: blocks, headers and tool calls to strips (:class:`~.painter.Painter`);
* :mod:`.document`: what a block means in its whole message (link reference definitions, the
  blank line before it), so that blocks render like the whole answer (no Textual);
* :mod:`.markdown_blocks`: streamed Markdown split into stable blocks (no Textual).
"""

from __future__ import annotations

from bbot_tui.tui.widgets.message_view.view import GUTTER, MessageView

__all__ = ["GUTTER", "MessageView"]
