"""A closed screen's message view is collected: only the process's first view freezes what exists
(a frozen object is never collected as part of a cycle, and a closed screen is a cycle)."""

from __future__ import annotations

import gc
import weakref

from textual.app import App, ComposeResult
from textual.screen import Screen

from bbot_tui.stream.transcript import Transcript
from bbot_tui.tui.resources import stylesheet
from bbot_tui.tui.widgets.message_view import MessageView


class ViewScreen(Screen[None]):
    """A screen opened and closed again, as the compare screen is."""

    def compose(self) -> ComposeResult:
        yield MessageView()


class MainApp(App[None]):
    CSS_PATH = [stylesheet("message_view.tcss")]

    def compose(self) -> ComposeResult:
        yield MessageView(id="main-view")


async def test_the_views_of_a_closed_screen_are_collected_with_their_strips() -> None:
    app = MainApp()
    async with app.run_test(size=(80, 24)) as pilot:
        main = app.query_one("#main-view", MessageView)
        first = Transcript()
        main.transcript = first
        first.add_user_message("hello")
        main.sync(force=True)
        await pilot.pause()
        await app.workers.wait_for_complete()  # the Markdown warm-up (it freezes once too)
        await pilot.pause()

        views = []
        for number in range(3):
            screen = ViewScreen()
            await app.push_screen(screen)
            await pilot.pause()
            view = screen.query_one(MessageView)
            transcript = Transcript()
            view.transcript = transcript
            answer = transcript.new_message(f"answer-{number}", "ai", node="agent")
            answer.append("A long answer drawn into many strips. " * 2_000)
            transcript.touch(answer)
            view.sync(force=True)
            await pilot.pause()
            assert view.strip_layout.cached_lines > 0
            views.append(weakref.ref(view))
            del view, screen, transcript, answer
            await app.pop_screen()
            await pilot.pause()

        gc.collect()
        assert [ref() is None for ref in views] == [True, True, True]
        assert main.is_mounted
