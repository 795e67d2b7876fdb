"""Search in the message view: every match counted from the text, only shown lines painted, the
current match brought into view; on a 2,000-message thread without drawing the whole thread."""

from __future__ import annotations

from textual.app import App, ComposeResult

from bbot_tui.stream.reducer import Reducer
from bbot_tui.stream.transcript import Transcript
from bbot_tui.tui.resources import stylesheet
from bbot_tui.tui.widgets.message_view import MessageView


class ViewApp(App[None]):
    CSS_PATH = [stylesheet("message_view.tcss")]

    def __init__(self) -> None:
        super().__init__()
        self.moves: list[tuple[str, int, int]] = []

    def compose(self) -> ComposeResult:
        yield MessageView(id="message-view")

    def on_message_view_search_moved(self, message: MessageView.SearchMoved) -> None:
        self.moves.append((message.query, message.current, message.total))


def _thread(count: int) -> Transcript:
    transcript = Transcript()
    Reducer(transcript).load_messages(
        [
            {
                "type": "human" if i % 2 == 0 else "ai",
                "id": f"m{i}",
                "content": f"Message {i}: " + ("a needle here" if i % 500 == 7 else "hay " * 30),
            }
            for i in range(count)
        ]
    )
    return transcript


def _painted_matches(view: MessageView) -> list[str]:
    """The text of the highlighted cells on screen (lines drawn by ``render_line``)."""
    found = []
    for y in range(view.scrollable_content_region.height):
        strip = view.render_line(y)
        found += [s.text for s in strip if s.style is not None and s.style.bgcolor is not None]
    return [text for text in found if text.strip() and text.lower() == "needle"]


async def test_search_counts_jumps_and_paints_only_what_is_shown() -> None:
    app = ViewApp()
    async with app.run_test(size=(100, 30)) as pilot:
        view = app.query_one(MessageView)
        view.transcript = _thread(2000)
        await pilot.pause(0.2)
        assert view.follow  # at the bottom
        total_before = sum(e.blocks is not None for e in view.strip_layout.entries)

        assert view.search("NEEDLE") == (4, 4)  # none below the top: the last match
        await pilot.pause()
        assert app.moves[-1] == ("NEEDLE", 4, 4)
        assert not view.follow
        assert view.strip_layout.position("m1507") is not None
        top = view.scroll_offset.y
        start, _ = view.strip_layout.span(view.strip_layout.position("m1507") or 0)
        assert top <= start < top + view.size.height  # the message is in view
        assert _painted_matches(view) == ["needle"]

        view.action_search_step(1)  # wraps around to the first
        await pilot.pause()
        assert app.moves[-1] == ("NEEDLE", 1, 4)
        start, _ = view.strip_layout.span(view.strip_layout.position("m7") or 0)
        assert view.scroll_offset.y <= start < view.scroll_offset.y + view.size.height
        assert _painted_matches(view) == ["needle"]
        await pilot.press("N")  # the view's own key: previous
        assert app.moves[-1] == ("NEEDLE", 4, 4)

        drawn = sum(e.blocks is not None for e in view.strip_layout.entries)
        assert drawn < total_before + 200  # the thread was searched, not drawn

        assert view.search("no such text") == (0, 0)
        assert view.clear_search() == (0, 0)
        await pilot.pause()
        assert app.moves[-1] == ("", 0, 0)
        assert _painted_matches(view) == []


async def test_matches_follow_a_growing_transcript() -> None:
    app = ViewApp()
    async with app.run_test(size=(100, 30)) as pilot:
        view = app.query_one(MessageView)
        transcript = _thread(10)
        view.transcript = transcript
        await pilot.pause()
        assert view.search("needle") == (1, 1)
        transcript.add_user_message("another needle and a NEEDLE")
        view.sync(force=True)
        await pilot.pause()
        view.action_search_step(1)
        assert view.search_status == ("needle", 2, 3)
