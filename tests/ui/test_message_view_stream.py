"""Streaming stays correct while fast: an answer split at every token boundary, fed through a
Transcript into the real MessageView, ends up drawn exactly like the same answer set at once."""

from __future__ import annotations

import random
import re

from textual.app import App, ComposeResult

from bbot_tui.api.events import StreamEvent
from bbot_tui.stream.reducer import Reducer
from bbot_tui.stream.transcript import Transcript
from bbot_tui.tui.resources import stylesheet
from bbot_tui.tui.widgets.message_view import GUTTER, MessageView

ANSWER = """# Release notes

The **message view** renders `Markdown` as it streams; see [the docs](https://example.com/d).

## What changed
- blocks are frozen once finished
- only the growing block is drawn again
  with a continuation line

- a loose item after a blank line

1. first
2. second

```python
def total(items):

    return sum(item.price for item in items)  # blank line above stays in the fence
```
Text right after a fence.

| setting | default | meaning |
|---------|---------|---------|
| follow  | on      | stick to the bottom |
| budget  | 12000   | cached lines |

> quoted advice
> over two lines

~~~
tilde fence
~~~

Final words without a trailing newline"""


class ViewApp(App[None]):
    CSS_PATH = [stylesheet("message_view.tcss")]

    def compose(self) -> ComposeResult:
        yield MessageView(id="message-view")


def _chunk(text: str, last: bool = False) -> StreamEvent:
    chunk = {"type": "AIMessageChunk", "id": "answer-1", "content": text}
    if last:
        chunk["chunk_position"] = "last"
    meta = {"langgraph_node": "agent", "langgraph_step": 1}
    return StreamEvent(event="messages", mode="messages", ns=(), data=[chunk, meta])


def _texts(view: MessageView) -> list[object]:
    """Every line of the view, with its styles (a cheaply drawn block would differ)."""
    return [tuple(strip.simplify()) for strip in view.export_strips()]


def _viewport(view: MessageView) -> list[str]:
    return [view.render_line(y).text[GUTTER:] for y in range(view.size.height)]


def _bottom(lines: list[object], height: int) -> list[str]:
    """The text a view following the bottom shows of ``lines``."""
    texts = ["".join(segment.text for segment in line) for line in lines]  # type: ignore[attr-defined]
    blank = " " * len(texts[0])
    return texts[-height:] if len(texts) >= height else texts + [blank] * (height - len(texts))


def _at_once(view: MessageView, answer: str = ANSWER) -> list[object]:
    transcript = Transcript()
    transcript.add_user_message("notes please")
    message = transcript.new_message("answer-1", "ai", node="agent")
    message.set_text(answer)
    view.transcript = transcript
    return _texts(view)


def _start(view: MessageView) -> Reducer:
    transcript = Transcript()
    transcript.add_user_message("notes please")
    view.transcript = transcript
    reducer = Reducer(transcript)
    reducer.begin_run()
    return reducer


async def test_every_split_point_renders_like_the_whole_answer() -> None:
    app = ViewApp()
    async with app.run_test(size=(100, 40)) as pilot:
        view = app.query_one(MessageView)
        expected = _at_once(view)
        text = "\n".join(_bottom(expected, len(expected)))
        assert "def total(items):" in text and "stick to the bottom" in text
        for k in range(len(ANSWER) + 1):
            reducer = _start(view)
            reducer.apply(_chunk(ANSWER[:k]))
            view.sync(force=True)  # draws the partial answer (growing block included)
            reducer.apply(_chunk(ANSWER[k:], last=True))
            view.sync(force=True)
            assert _viewport(view) == _bottom(expected, view.size.height), k
            assert _texts(view) == expected, k
        await pilot.pause()


async def test_random_chunkings_with_real_frames_render_like_the_whole_answer() -> None:
    app = ViewApp()
    async with app.run_test(size=(100, 40)) as pilot:
        view = app.query_one(MessageView)
        expected = _at_once(view)
        rng = random.Random(20)
        for round_ in range(12):
            reducer = _start(view)
            position = 0
            while position < len(ANSWER):
                step = rng.choice((1, 2, 3, 5, 8, 30, 120))
                reducer.apply(_chunk(ANSWER[position : position + step]))
                position += step
                if rng.random() < 0.15:
                    await pilot.pause()  # the view's own timer redraws; frames are painted
            reducer.apply(_chunk("", last=True))
            await pilot.pause(0.05)
            assert _texts(view) == expected, round_
            assert view.virtual_size.height == len(expected)


async def test_char_by_char_with_a_redraw_after_every_char_renders_like_the_whole_answer() -> None:
    """Every boundary in one stream: the splitter and the growing block advance one character
    at a time, and the view redraws (growing block included) after each."""
    app = ViewApp()
    async with app.run_test(size=(100, 40)) as pilot:
        view = app.query_one(MessageView)
        expected = _at_once(view)
        reducer = _start(view)
        for char in ANSWER:
            reducer.apply(_chunk(char))
            view.sync(force=True)
        reducer.apply(_chunk("", last=True))
        view.sync(force=True)
        assert _viewport(view) == _bottom(expected, view.size.height)
        assert _texts(view) == expected
        await pilot.pause()


def _long_answer() -> str:
    """ANSWER three times over with the sections varied: ~3 KB, ~1,000 model-like tokens."""
    parts = [
        ANSWER.replace("Release notes", f"Release {n}").replace("12000", str(n)) for n in (1, 2, 3)
    ]
    return "\n\n".join(parts)


async def test_token_by_token_long_answer_at_two_widths_renders_like_the_whole_answer() -> None:
    """Model-like tokens (a few characters with their leading space, newlines apart), a redraw
    after every token, at two widths (tables and code wrap differently)."""
    answer = _long_answer()
    tokens = re.findall(r"[ \t]*[^\s]{1,5}|\n", answer)
    assert "".join(tokens) == answer
    for width in (100, 60):
        app = ViewApp()
        async with app.run_test(size=(width, 30)) as pilot:
            view = app.query_one(MessageView)
            expected = _at_once(view, answer)
            reducer = _start(view)
            for token in tokens:
                reducer.apply(_chunk(token))
                view.sync(force=True)
            reducer.apply(_chunk("", last=True))
            view.sync(force=True)
            assert _texts(view) == expected, width
            assert view.virtual_size.height == len(expected)
            await pilot.pause()
