"""What a growing message view costs the screen: it repaints itself, it never lays the screen out
again (a layout per frame and per view cost a third of each frame in compare mode); while an
answer streams it scrolls in steps and repaints only the rows that changed in between; its
scrollbar is repainted only when its thumb moves. It still follows the end (exactly once the
answer is over), the scrollbar shows what it should, and a view sized by its content grows."""

from __future__ import annotations

from typing import Any

from textual.app import App, ComposeResult
from textual.containers import Vertical
from textual.messages import Layout
from textual.scrollbar import ScrollBar
from textual.widgets import Static

from bbot_tui.stream.transcript import Message, Transcript
from bbot_tui.tui.resources import stylesheet
from bbot_tui.tui.widgets.message_view import GUTTER, MessageView


class PaneApp(App[None]):
    """A view between a header and a footer, as in a pane of the compare screen."""

    CSS_PATH = [stylesheet("message_view.tcss")]

    def compose(self) -> ComposeResult:
        yield Static("header", id="head")
        yield MessageView(id="message-view")
        yield Static("footer", id="foot")


class AutoHeightApp(App[None]):
    """A view as tall as its content, up to a maximum."""

    CSS_PATH = [stylesheet("message_view.tcss")]
    CSS = "#box { height: auto; } #box > MessageView { height: auto; max-height: 12; }"

    def compose(self) -> ComposeResult:
        with Vertical(id="box"):
            yield MessageView(id="message-view")
        yield Static("under", id="under")


def _layouts(posted: list[Any], view: MessageView) -> list[Layout]:
    """The layouts of the screen ``view`` asked for."""
    return [m for m in posted if isinstance(m, Layout) and m.widget is view]


def _answer(transcript: Transcript) -> Message:
    message = transcript.new_message("m1", "ai", node="agent")
    message.streaming = True
    return message


def _grow(transcript: Transcript, message: Message, first: int, last: int) -> None:
    for i in range(first, last):
        message.append(f"Paragraph {i} of the answer.\n\n")
    transcript.touch(message)


def _screen(view: MessageView) -> list[str]:
    return [view.render_line(y).text[GUTTER:].rstrip() for y in range(view.size.height)]


def _drawn(bar: ScrollBar, virtual: int, window: int, position: float) -> list[Any]:
    """What ``bar`` draws for these values (its renderer's segments, colours left default)."""
    return bar.renderer.render_bar(
        size=bar.size.height,
        virtual_size=virtual,
        window_size=window if window < virtual else 0,
        position=bar.validate_position(position),
    ).segments


def _end_in_view(view: MessageView) -> bool:
    """The last line of the content is on screen."""
    top, total = view.scroll_offset.y, view.strip_layout.total
    return top < total <= top + view.scrollable_content_region.height


def _thumb_is_exact(view: MessageView) -> bool:
    """The scrollbar draws the view's height and position as they are now."""
    bar = view.vertical_scrollbar
    window = view.scrollable_content_region.height
    exact = _drawn(bar, view.virtual_size.height, window, view.scroll_offset.y)
    return exact == _drawn(bar, bar.window_virtual_size, bar.window_size, bar.position)


async def test_a_growing_answer_repaints_the_view_without_laying_out_the_screen() -> None:
    app = PaneApp()
    posted: list[Any] = []
    async with app.run_test(size=(80, 24), message_hook=posted.append) as pilot:
        view = app.query_one(MessageView)
        transcript = Transcript()
        view.transcript = transcript
        message = _answer(transcript)
        _grow(transcript, message, 0, 40)  # taller than the view: the scrollbar appears
        view.sync(force=True)
        await pilot.pause()
        assert view.show_vertical_scrollbar
        for _ in range(20):  # the first layouts (the scrollbar appearing) settle, on any machine
            posted.clear()
            await pilot.pause()
            if not [m for m in posted if isinstance(m, Layout)]:
                break
        posted.clear()

        for i in range(40, 160, 3):  # ~250 lines more, a redraw and a frame every 3 paragraphs
            _grow(transcript, message, i, i + 3)
            view.sync(force=True)
            await pilot.pause()
            assert view.scroll_offset.y == view.max_scroll_y  # following, every frame
            assert _end_in_view(view)
            assert _thumb_is_exact(view)

        assert _layouts(posted, view) == []
        assert not [m.widget for m in posted if isinstance(m, Layout)]  # nobody laid the screen out
        total, room = view.strip_layout.total, view.scrollable_content_region.height // 3
        assert total <= view.virtual_size.height <= total + room  # room below the end
        assert total > 2 * 40 * 2
        assert view.follow
        assert any("Paragraph 159" in line for line in _screen(view))
        bar = view.vertical_scrollbar
        assert bar.region.height == view.scrollable_content_region.height  # shown, full height

        message.streaming = False  # the answer is over: its end at the bottom, exactly
        transcript.touch(message)
        view.sync(force=True)
        await pilot.pause()
        assert view.virtual_size.height == view.strip_layout.total
        assert view.scroll_offset.y == view.max_scroll_y
        assert any("Paragraph 159" in line for line in _screen(view)[-3:])
        assert _thumb_is_exact(view)


async def test_a_streaming_answer_scrolls_in_steps_and_repaints_only_what_changed() -> None:
    app = PaneApp()
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(MessageView)
        transcript = Transcript()
        view.transcript = transcript
        message = _answer(transcript)
        _grow(transcript, message, 0, 40)
        message.append("The last paragraph grows")
        transcript.touch(message)
        view.sync(force=True)
        await pilot.pause()
        height = view.size.height
        rows: list[int] = []
        draw = view.render_line

        def counted(y: int) -> Any:
            rows.append(y)
            return draw(y)

        view.render_line = counted  # type: ignore[method-assign]

        top, repainted = view.scroll_offset.y, []
        for _ in range(12):  # a word at a time: the last line(s) change, a line now and then
            message.append(" word")
            transcript.touch(message)
            view.sync(force=True)
            await pilot.pause()
            if view.scroll_offset.y == top:
                repainted.append(len(rows))
            top = view.scroll_offset.y
            rows.clear()
        assert len(repainted) >= 10  # a scroll at most when the line wrapped
        assert 0 < max(repainted) <= 3  # the growing line (and the cursor under it)
        assert any("word word word" in line for line in _screen(view))

        scrolls, top, still = 0, view.scroll_offset.y, []
        for i in range(40, 100):  # two lines a redraw: steps of a third of the view
            _grow(transcript, message, i, i + 1)
            view.sync(force=True)
            await pilot.pause()
            assert _end_in_view(view)
            if view.scroll_offset.y != top:
                scrolls, top = scrolls + 1, view.scroll_offset.y
                assert len(rows) >= height - 1  # a scroll repaints every row
            else:
                still.append(len(rows))
            rows.clear()
        assert 5 < scrolls < 30
        # in between, the new lines only (Textual repaints the whole view once when it blurs)
        assert len(still) > 30 and sorted(still)[-2] <= 4


async def test_the_scrollbar_repaints_only_when_its_thumb_moves() -> None:
    app = PaneApp()
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(MessageView)
        transcript = Transcript()
        view.transcript = transcript
        message = _answer(transcript)
        _grow(transcript, message, 0, 600)  # ~1,800 lines: an eighth of a cell is ~9 lines
        view.sync(force=True)
        await pilot.pause()
        bar = view.vertical_scrollbar
        pushed = []
        for i in range(600, 660):  # ~3 lines each
            _grow(transcript, message, i, i + 1)
            view.sync(force=True)
            await pilot.pause()
            pushed.append((bar.window_virtual_size, bar.position))
            assert _thumb_is_exact(view)
        assert view.scroll_offset.y == view.max_scroll_y
        # the view moved ~180 lines in 60 redraws; the bar was given new values far fewer times
        assert len(set(pushed)) < 30


async def test_a_user_scroll_reaches_the_scrollbar_exactly() -> None:
    app = PaneApp()
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(MessageView)
        view.focus()
        transcript = Transcript()
        view.transcript = transcript
        message = _answer(transcript)
        _grow(transcript, message, 0, 300)
        view.sync(force=True)
        await pilot.pause()
        await pilot.press("pageup")
        await pilot.pause()
        assert not view.follow
        bar = view.vertical_scrollbar
        assert bar.position == bar.validate_position(view.scroll_offset.y)
        assert bar.window_virtual_size == view.virtual_size.height


async def test_the_scrollbar_comes_and_goes_with_a_layout() -> None:
    app = PaneApp()
    posted: list[Any] = []
    async with app.run_test(size=(80, 24), message_hook=posted.append) as pilot:
        view = app.query_one(MessageView)
        transcript = Transcript()
        view.transcript = transcript
        message = _answer(transcript)
        _grow(transcript, message, 0, 2)
        view.sync(force=True)
        await pilot.pause()
        assert not view.show_vertical_scrollbar
        posted.clear()

        _grow(transcript, message, 2, 30)
        view.sync(force=True)
        await pilot.pause()
        assert view.show_vertical_scrollbar
        assert _layouts(posted, view)  # the scrollbar was added to the screen
        assert view.vertical_scrollbar.region.height == view.scrollable_content_region.height
        assert view.scroll_offset.y == view.max_scroll_y > 0
        assert any("Paragraph 29" in line for line in _screen(view)[-4:])

        short = Transcript()
        _grow(short, _answer(short), 0, 1)
        view.transcript = short
        await pilot.pause()
        assert not view.show_vertical_scrollbar
        assert view.scroll_offset.y == 0
        assert any("Paragraph 0" in line for line in _screen(view))


async def test_a_view_as_tall_as_its_content_grows_with_it() -> None:
    app = AutoHeightApp()
    async with app.run_test(size=(80, 30)) as pilot:
        view = app.query_one(MessageView)
        transcript = Transcript()
        view.transcript = transcript
        message = _answer(transcript)
        _grow(transcript, message, 0, 1)
        view.sync(force=True)
        await pilot.pause()
        small = view.size.height
        assert 0 < small < 12
        # Textual keeps room for a horizontal scrollbar under an auto-sized scroll view
        chrome = small - view.virtual_size.height
        assert chrome in (0, 1)

        _grow(transcript, message, 1, 3)
        view.sync(force=True)
        await pilot.pause()
        assert small < view.size.height <= 12
        assert view.size.height == min(12, view.virtual_size.height + chrome)
        under = app.query_one("#under", Static)
        assert under.region.y == view.region.bottom  # what is under it moved down

        _grow(transcript, message, 3, 30)
        view.sync(force=True)
        await pilot.pause()
        assert view.size.height == 12
        assert view.show_vertical_scrollbar
        assert view.scroll_offset.y == view.max_scroll_y
