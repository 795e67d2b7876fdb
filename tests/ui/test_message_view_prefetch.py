"""Drawing ahead while idle: the pages around the viewport are rendered before they are shown,
without moving what is on screen (heights above change from guesses to measurements)."""

from __future__ import annotations

from collections.abc import Callable

from textual.app import App, ComposeResult
from textual.pilot import Pilot

from bbot_tui.stream.reducer import Reducer
from bbot_tui.stream.transcript import Transcript
from bbot_tui.tui.resources import stylesheet
from bbot_tui.tui.widgets.message_view import GUTTER, MessageView


class ViewApp(App[None]):
    CSS_PATH = [stylesheet("message_view.tcss")]

    def compose(self) -> ComposeResult:
        yield MessageView(id="message-view")


def _thread(count: int) -> Transcript:
    transcript = Transcript()
    Reducer(transcript).load_messages(
        [
            {
                "type": "human" if i % 2 == 0 else "ai",
                "id": f"m{i}",
                # wrapped paragraphs and a fence: guessed heights differ from measured ones
                "content": f"Message {i}\n\n```py\nprint({i})\n```\n\n"
                + " ".join(["word"] * (15 + 13 * (i % 9))),
            }
            for i in range(count)
        ]
    )
    return transcript


def _drawn(view: MessageView, line: int) -> bool:
    located = view.strip_layout.locate(line)
    if located is None or located.block is None:
        return False
    block, offset = located.block, located.offset
    return block.strips is not None or offset < block.gap


def _text(view: MessageView, line: int) -> str:
    """A line of the transcript as it is drawn (without the gutter)."""
    located = view.strip_layout.locate(line)
    assert located is not None and located.block is not None
    block = located.block
    offset = located.offset - block.gap
    if offset < 0:
        return ""
    assert block.strips is not None
    return block.strips[offset].text.rstrip()


def _screen(view: MessageView) -> list[str]:
    return [view.render_line(y).text[GUTTER:].rstrip() for y in range(view.size.height)]


def _around(view: MessageView, pages: int) -> range:
    height = view.scrollable_content_region.height
    top = view.scroll_offset.y
    return range(
        max(0, top - pages * height), min(view.strip_layout.total, top + (pages + 1) * height)
    )


async def _until(pilot: Pilot[None], condition: Callable[[], bool]) -> None:
    for _ in range(400):
        if condition():
            return
        await pilot.pause(0.02)
    raise AssertionError("condition never met")


async def test_pages_around_the_view_are_drawn_ahead_and_the_view_holds_still() -> None:
    app = ViewApp()
    async with app.run_test(size=(100, 30)) as pilot:
        view = app.query_one(MessageView)
        view.focus()
        view.prefetch_pages = 0  # first without drawing ahead
        view.transcript = _thread(400)
        await pilot.pause()
        await pilot.press("pageup", "pageup", "pageup")  # away from the bottom
        await pilot.pause(0.3)
        assert not view.follow
        # only what is in view is drawn: the pages around it are not
        assert not all(_drawn(view, line) for line in _around(view, 2))
        shown = _screen(view)

        view.prefetch_pages = 2  # drawing ahead starts once the view is still

        await _until(pilot, lambda: all(_drawn(view, line) for line in _around(view, 2)))
        await _until(pilot, lambda: not view.drawing_ahead)
        await pilot.pause()
        assert _screen(view) == shown  # heights above changed, the content on screen did not

        height = view.scrollable_content_region.height
        top = view.scroll_offset.y
        above = [_text(view, line) for line in range(top - height, top)]
        await pilot.press("pageup")
        await pilot.pause()
        # the offset itself may move by a few lines: heights further up that were still guesses
        # get measured, and the view keeps what is on screen still while they do
        assert view.scroll_offset.y < top
        assert _screen(view) == above  # the page drawn ahead is the page shown


async def test_following_view_stays_at_the_bottom_while_drawing_ahead() -> None:
    app = ViewApp()
    async with app.run_test(size=(100, 30)) as pilot:
        view = app.query_one(MessageView)
        view.transcript = _thread(200)
        await pilot.pause()
        await _until(pilot, lambda: all(_drawn(view, line) for line in _around(view, 2)))
        await _until(pilot, lambda: not view.drawing_ahead)
        await pilot.pause()
        assert view.follow
        assert view.scroll_offset.y == view.max_scroll_y
        assert any("Message 199" in line for line in _screen(view))
