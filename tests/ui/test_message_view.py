"""The message view with Pilot: following, tool calls, copy, selection, links, hostile text."""

from __future__ import annotations

from typing import Any

import pytest
from app_pilot import wait_for
from textual.app import App, ComposeResult
from textual.message import Message as TextualMessage

from bbot_tui.stream.reducer import Reducer
from bbot_tui.stream.transcript import Transcript
from bbot_tui.tui.resources import stylesheet
from bbot_tui.tui.widgets.message_view import GUTTER, MessageView

HOSTILE = "Hello \x1b[31mred\x1b[0m \x1b]0;pwned\x07\x1b[2J\x9b31mafter \x07bell\x1b"
MARKUP = "literal [/bold] and [@click=app.quit]x[/] and [red]not red[/red]"


class ViewApp(App[None]):
    CSS_PATH = [stylesheet("message_view.tcss")]

    def compose(self) -> ComposeResult:
        yield MessageView(id="message-view")


def _lines(view: MessageView) -> list[str]:
    return [strip.text.rstrip() for strip in view.export_strips()]


def _screen(view: MessageView) -> list[str]:
    return [view.render_line(y).text.rstrip() for y in range(view.size.height)]


def _unique(posted: list[Any], kind: type[Any]) -> list[Any]:
    """Messages of ``kind`` once each (the hook sees a bubbling message at every level)."""
    return list({id(m): m for m in posted if isinstance(m, kind)}.values())


def _long_answer(sections: int) -> str:
    return "\n\n".join(f"Paragraph {i} of the answer, long enough." for i in range(sections))


async def test_follow_sticks_to_the_bottom_and_stops_when_scrolled_up() -> None:
    app = ViewApp()
    async with app.run_test(size=(100, 40)) as pilot:
        view = app.query_one(MessageView)
        view.focus()
        transcript = Transcript()
        view.transcript = transcript
        message = transcript.new_message("m1", "ai", node="agent")
        message.streaming = True
        for i in range(60):
            message.append(f"Paragraph {i} of the answer.\n\n")
            transcript.touch(message)
            if i % 7 == 0:
                await pilot.pause()
        # the view redraws at most every few frames; a loaded machine needs more of them
        await wait_for(pilot, lambda: any("Paragraph 59" in line for line in _screen(view)), "59")
        assert view.follow
        assert view.max_scroll_y > 0
        assert view.scroll_offset.y == view.max_scroll_y
        assert any("Paragraph 59" in line for line in _screen(view))

        await pilot.press("pageup")
        assert not view.follow
        held = view.scroll_offset.y
        assert held < view.max_scroll_y
        for i in range(60, 80):
            message.append(f"Paragraph {i} of the answer.\n\n")
            transcript.touch(message)
        await pilot.pause(0.1)
        assert view.scroll_offset.y == held  # stays where the user is reading
        assert not any("Paragraph 79" in line for line in _screen(view))

        await pilot.press("end")
        await wait_for(pilot, lambda: any("Paragraph 79" in line for line in _screen(view)), "79")
        assert view.follow
        assert view.scroll_offset.y == view.max_scroll_y
        assert any("Paragraph 79" in line for line in _screen(view))

        await pilot.press("g")
        assert view.scroll_offset.y == 0 and not view.follow
        await pilot.press("G")
        assert view.follow and view.scroll_offset.y == view.max_scroll_y


def _tool_thread() -> Transcript:
    transcript = Transcript()
    Reducer(transcript).load_messages(
        [
            {"type": "human", "id": "h1", "content": "Weather in Paris?"},
            {
                "type": "ai",
                "id": "a1",
                "content": "",
                "tool_calls": [{"id": "call-1", "name": "get_weather", "args": {"city": "Paris"}}],
            },
            {
                "type": "tool",
                "id": "t1",
                "content": "Sunny in Paris, 21°C",
                "tool_call_id": "call-1",
                "name": "get_weather",
            },
            {"type": "ai", "id": "a2", "content": "It is **sunny**."},
        ]
    )
    return transcript


async def test_tool_call_shows_name_args_result_and_collapses() -> None:
    app = ViewApp()
    async with app.run_test(size=(100, 40)) as pilot:
        view = app.query_one(MessageView)
        view.focus()
        view.transcript = _tool_thread()
        await pilot.pause()
        text = "\n".join(_lines(view))
        assert "get_weather" in text
        assert '{"city": "Paris"}' in text
        assert "Sunny in Paris, 21°C" in text
        assert "⚙ Tool" not in text  # the answer is shown inside its call, not twice
        expanded = len(_lines(view))

        await pilot.press("enter")
        lines = _lines(view)
        assert len(lines) == expanded - 1
        collapsed = [line for line in lines if "get_weather" in line]
        assert len(collapsed) == 1
        assert collapsed[0].lstrip().startswith("▸ ⚙ get_weather")
        assert "Paris" in collapsed[0] and "→ Sunny in Paris" in collapsed[0]

        await pilot.press("space")
        assert len(_lines(view)) == expanded


async def test_escape_sequences_never_reach_the_segments() -> None:
    app = ViewApp()
    async with app.run_test(size=(100, 40)) as pilot:
        view = app.query_one(MessageView)
        transcript = Transcript()
        transcript.add_user_message(HOSTILE)
        ai = transcript.new_message("a1", "ai", node="agent\x1b[31m")
        ai.set_text(f"# {HOSTILE}\n\n```\n{HOSTILE}\n```\n\n- {HOSTILE}")
        error = transcript.new_message(None, "error")
        error.set_text(HOSTILE)
        view.transcript = transcript
        await pilot.pause()
        strips = view.export_strips() + [view.render_line(y) for y in range(view.size.height)]
        texts = [segment.text for strip in strips for segment in strip]
        assert not any(ch in text for text in texts for ch in "\x1b\x07\x9b\r")
        joined = "\n".join(strip.text for strip in strips)
        assert "Hello red" in joined and "after bell" in joined


async def test_markup_looking_text_is_literal() -> None:
    app = ViewApp()
    async with app.run_test(size=(100, 40)) as pilot:
        view = app.query_one(MessageView)
        transcript = Transcript()
        transcript.add_user_message(MARKUP)
        transcript.new_message("a1", "ai").set_text(MARKUP)
        tool = transcript.new_message("t1", "tool", name="[b]x[/b]")
        tool.set_text(MARKUP)
        view.transcript = transcript
        await pilot.pause()
        lines = _lines(view)
        assert sum(MARKUP in line for line in lines) >= 2
        assert any("[b]x[/b]" in line for line in lines)
        await pilot.click(MessageView, offset=(GUTTER + 20, 1))
        await pilot.pause()
        assert app.is_running and app.return_code is None


async def test_link_click_posts_link_clicked_and_opens_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    posted: list[TextualMessage] = []
    app = ViewApp()
    opened: list[str] = []
    monkeypatch.setattr(app, "open_url", lambda url, **kw: opened.append(url))
    async with app.run_test(size=(100, 40), message_hook=posted.append) as pilot:
        view = app.query_one(MessageView)
        transcript = Transcript()
        transcript.new_message("a1", "ai").set_text(
            "Read [the docs](https://example.com/docs) now."
        )
        view.transcript = transcript
        await pilot.pause()
        row = next(y for y, line in enumerate(_screen(view)) if "the docs" in line)
        column = _screen(view)[row].index("the docs") + 2
        await pilot.click(MessageView, offset=(column, row))
        await pilot.pause()
        clicks = _unique(posted, MessageView.LinkClicked)
        assert [m.url for m in clicks] == ["https://example.com/docs"]
        assert opened == []


async def test_copy_and_selection() -> None:
    posted: list[Any] = []
    app = ViewApp()
    async with app.run_test(size=(100, 40), message_hook=posted.append) as pilot:
        view = app.query_one(MessageView)
        view.focus()
        transcript = Transcript()
        transcript.add_user_message("first question")
        transcript.new_message("a1", "ai").set_text("Answer:\n\n```sh\necho one\n```\n\nDone.")
        transcript.add_user_message("second question")
        view.transcript = transcript
        await pilot.pause()

        def copies() -> list[str]:
            return [m.text for m in _unique(posted, MessageView.CopyRequested)]

        await pilot.press("c")
        assert copies() == ["second question"]
        await pilot.press("C")
        assert copies()[-1] == "echo one"
        await pilot.press("left_square_bracket")
        await pilot.press("c")
        assert copies()[-1] == "second question"  # the first [ selects the last message
        await pilot.press("left_square_bracket", "left_square_bracket", "c")
        assert copies()[-1] == "first question"
        marked = [line for line in _screen(view) if line.startswith("▌")]
        assert marked and all("first question" in m or "You" in m for m in marked)
        await pilot.press("right_square_bracket", "c")
        assert copies()[-1].startswith("Answer:")


async def test_removed_and_new_messages_follow_the_transcript() -> None:
    app = ViewApp()
    async with app.run_test(size=(100, 40)) as pilot:
        view = app.query_one(MessageView)
        transcript = Transcript()
        view.transcript = transcript
        keep = transcript.new_message("a1", "ai")
        keep.set_text("kept answer")
        gone = transcript.new_message("a2", "ai")
        gone.set_text("dropped preview")
        await pilot.pause(0.1)
        assert any("dropped preview" in line for line in _lines(view))
        transcript.remove(gone)
        transcript.add_user_message("new question")
        view.sync(force=True)
        text = "\n".join(_lines(view))
        assert "dropped preview" not in text
        assert "kept answer" in text and "new question" in text


async def test_long_thread_is_drawn_lazily() -> None:
    app = ViewApp()
    async with app.run_test(size=(100, 40)) as pilot:
        view = app.query_one(MessageView)
        view.focus()
        transcript = Transcript()
        Reducer(transcript).load_messages(
            [
                {
                    "type": "human" if i % 2 == 0 else "ai",
                    "id": f"m{i}",
                    "content": f"Message number {i}\n\n```py\nprint({i})\n```\n\n"
                    + _long_answer(3),
                }
                for i in range(2000)
            ]
        )
        view.transcript = transcript
        await pilot.pause()
        assert any("Message number 1999" in line for line in _screen(view))
        expanded = sum(entry.blocks is not None for entry in view.strip_layout.entries)
        assert expanded < 40
        await pilot.press("home")
        await pilot.pause()
        assert any("Message number 0" in line for line in _screen(view))
        assert sum(entry.blocks is not None for entry in view.strip_layout.entries) < 80
