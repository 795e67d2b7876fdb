"""The message view's collaborators on their own, without a screen or an app.

:class:`StripLayout` (line positions, measuring, the strip cache, anchors, drawing ahead),
:class:`TranscriptSync` (which changes redraw which entries, and the pacing) and
:class:`Selection` are built directly over a plain Rich console.
"""

from __future__ import annotations

import io
import re

from rich.console import Console

from bbot_tui.stream.reducer import Reducer
from bbot_tui.stream.transcript import Transcript
from bbot_tui.tui.widgets.message_view.layout import StripLayout
from bbot_tui.tui.widgets.message_view.painter import Painter, Palette
from bbot_tui.tui.widgets.message_view.selection import Selection
from bbot_tui.tui.widgets.message_view.sync import BUSY_SHARE, FRAME, MAX_GAP, TranscriptSync

WIDTH = 60


def _painter() -> Painter:
    console = Console(width=WIDTH, file=io.StringIO(), color_system="truecolor")
    return Painter(console, Palette())


def _build(transcript: Transcript, budget: int = 12_000) -> tuple[StripLayout, TranscriptSync]:
    painter = _painter()
    layout = StripLayout(lambda: painter, budget=budget)
    layout.resize(WIDTH)
    sync = TranscriptSync(layout)
    sync.show(transcript)
    return layout, sync


def _text_at(layout: StripLayout, line: int) -> str:
    located = layout.locate(line)
    assert located is not None and located.block is not None
    block = located.block
    if located.offset < block.gap:
        return ""
    strips = block.strips if block.strips is not None else layout.render(block)
    return strips[located.offset - block.gap].text.rstrip()


def _thread(count: int) -> Transcript:
    transcript = Transcript()
    Reducer(transcript).load_messages(
        [
            {
                "type": "human" if i % 2 == 0 else "ai",
                "id": f"m{i}",
                "content": f"Message {i}\n\n```py\nprint({i})\n```\n\n"
                + " ".join(["word"] * (15 + 13 * (i % 9))),
            }
            for i in range(count)
        ]
    )
    return transcript


def test_line_counts_follow_the_rendered_blocks() -> None:
    transcript = Transcript()
    transcript.add_user_message("question")
    answer = transcript.new_message("a1", "ai", node="agent")
    words = " ".join(["word"] * 40)  # 199 characters: 4 lines at 58 columns
    answer.set_text(f"# Title\n\n{words}\n\n- one\n- two")
    layout, _ = _build(transcript)
    assert layout.width == WIDTH
    assert len(layout.entries) == 2
    assert all(entry.blocks is None for entry in layout.entries)  # guessed, not expanded

    assert layout.measure(0, 1_000)  # the guesses were wrong: heights changed
    assert not layout.measure(0, 1_000)  # measured: nothing changes any more
    lines = layout.export()
    assert layout.total == len(lines)
    assert [line.text.rstrip() for line in lines[:3]] == ["▶ You", "question", ""]
    assert layout.span(0) == (0, 3)  # header, text, gap line
    start, end = layout.span(1)
    assert end == layout.total
    texts = [_text_at(layout, line) for line in range(start, end)]
    assert texts[0].startswith("◆ Assistant")
    wrapped = [t for t in texts if t.startswith("word")]
    assert len(wrapped) == 4 and all(len(t) <= WIDTH for t in wrapped)
    assert texts[-3:] == [" • one", " • two", ""]
    # every line is where locate says: each entry's lines are its own
    assert all(layout.locate(line).entry.key == "a1" for line in range(start, end))  # type: ignore[union-attr]
    assert layout.locate(layout.total) is None
    assert layout.position_at(start) == 1 and layout.position("a1") == 1


def test_growing_answer_invalidates_only_the_growing_block() -> None:
    transcript = Transcript()
    answer = transcript.new_message("a1", "ai")
    answer.streaming = True
    answer.set_text("First paragraph.\n\nSecond paragraph,\nstill grow")
    layout, sync = _build(transcript)
    layout.measure(0, 1_000)
    blocks = layout.entries[0].blocks
    assert blocks is not None
    first = next(b for b in blocks if b.text == "First paragraph.")
    growing = next(b for b in blocks if b.text.startswith("Second"))
    assert growing.live and not first.live
    kept, drawn = first.strips, growing.strips
    assert kept is not None and drawn is not None

    answer.append("ing.")
    transcript.touch(answer)
    assert sync.pull() is not None
    assert first.strips is kept  # a finished block keeps its strips
    assert growing.strips is None and growing.text.endswith("growing.")
    height = layout.total
    layout.measure(0, 1_000)
    assert growing.strips is not None and layout.total == height

    answer.append(" " + " ".join(["more"] * 30))  # wraps onto more lines
    transcript.touch(answer)
    sync.pull()
    assert layout.measure(0, 1_000)
    assert layout.total > height and first.strips is kept


def test_strip_cache_keeps_the_budget_and_forgets_on_resize_and_restyle() -> None:
    layout, _ = _build(_thread(60), budget=200)
    layout.measure(0, 10_000)
    assert 0 < layout.cached_lines <= 200
    drawn = [b for e in layout.entries for b in e.blocks or () if b.strips is not None]
    assert sum(len(b.strips or ()) for b in drawn) == layout.cached_lines
    last = layout.entries[-1].blocks
    assert last is not None and all(b.strips is not None for b in last)  # newest kept
    first = layout.entries[0].blocks
    assert first is not None and all(b.strips is None for b in first)  # oldest dropped
    assert all(b.measured for b in first)  # ... but its height stays measured

    total = layout.total
    layout.drop_strips()  # new colours: strips go, heights stay
    assert layout.cached_lines == 0 and layout.total == total
    assert all(b.strips is None for e in layout.entries for b in e.blocks or ())

    layout.resize(30)  # re-wrapping: heights are guesses again
    assert layout.width == 30
    assert not any(b.measured for e in layout.entries for b in e.blocks or ())
    layout.measure(0, 100_000)
    assert layout.total > total  # narrower: more lines
    assert layout.total == len(layout.export())


def _held(layout: StripLayout) -> int:
    return sum(len(b.strips) for e in layout.entries for b in e.blocks or () if b.strips)


def test_a_block_drawn_again_is_counted_once() -> None:
    transcript = Transcript()
    answer = transcript.new_message("a1", "ai")
    answer.streaming = True
    layout, sync = _build(transcript)
    for i in range(300):  # the growing block is drawn again after every token
        answer.append(f"word{i} " + ("\n\n" if i % 50 == 49 else ""))
        transcript.touch(answer)
        sync.pull()
        layout.measure(0, 100_000)
        assert layout.cached_lines == _held(layout), i
    assert layout.cached_lines < 60


def test_a_definition_arriving_redraws_only_the_blocks_that_use_it() -> None:
    transcript = Transcript()
    answer = transcript.new_message("a1", "ai")
    answer.streaming = True
    layout, sync = _build(transcript)
    text = (
        "Here is the answer, see [the docs][1] and [the guide][guide].\n\n"
        "A paragraph without references.\n\n"
        "[1]: https://example.com/docs\n"
        "[guide]: https://example.com/guide\n\n"
        "After the definitions.\n"  # its line ends: the definitions block is finished
    )
    drawn: dict[str, list[object]] = {"uses": [], "plain": []}
    for token in re.findall(r"\s*\S{1,5}|\s+", text):
        answer.append(token)
        transcript.touch(answer)
        sync.pull()
        layout.measure(0, 100_000)
        blocks = layout.entries[0].blocks or []
        for name, start in (("uses", "Here is"), ("plain", "A paragraph")):
            block = next((b for b in blocks if b.text.startswith(start) and not b.live), None)
            if block is not None and (not drawn[name] or drawn[name][-1] is not block.strips):
                drawn[name].append(block.strips)
    lines = [strip.text.rstrip() for strip in layout.export()]
    assert lines[1] == "Here is the answer, see the docs and the guide."
    assert not any("[1]" in line or "https://" in line for line in lines)  # definitions unseen
    assert len(drawn["uses"]) == 2  # drawn when finished, and once more with its links
    assert "[the docs][1]" in drawn["uses"][0][0].text  # type: ignore[index]
    assert len(drawn["plain"]) == 1  # never drawn again
    uses = next(b for b in layout.entries[0].blocks or [] if b.text.startswith("Here is"))
    assert [d.label for d in uses.references] == ["1", "GUIDE"]
    links = {segment.style.link for segment in uses.strips[0] if segment.style}  # type: ignore[index]
    assert {"https://example.com/docs", "https://example.com/guide"} <= links


def test_anchor_holds_a_line_while_heights_above_change() -> None:
    layout, _ = _build(_thread(80))
    layout.measure(layout.total - 40, layout.total)  # the bottom, as a following view does
    top = layout.total - 400
    layout.measure(top, top + 40)
    shown = [_text_at(layout, line) for line in range(top, top + 40)]
    anchor = layout.anchor(top)
    assert anchor is not None and layout.line_of(anchor) == top

    assert layout.measure(0, top)  # the guesses above become measurements
    moved = layout.line_of(anchor)
    assert moved != top  # the content moved ...
    assert [_text_at(layout, line) for line in range(moved, moved + 40)] == shown  # ... intact

    relative = layout.relative_anchor(moved)
    assert relative is not None
    position = relative.position
    layout.resize(40)
    line = layout.line_of_relative(relative)
    assert line is not None and layout.position_at(line) == position


def test_draw_ahead_draws_the_pages_around_within_the_deadline() -> None:
    layout, _ = _build(_thread(200))
    height = 30
    top = layout.total // 2
    layout.measure(top, top + height)
    anchor = layout.anchor(top)
    assert anchor is not None
    shown = [_text_at(layout, line) for line in range(top, top + height)]

    cached = layout.cached_lines
    changed, finished = layout.draw_ahead(top, height, 2, deadline=0.0, anchor=anchor)
    assert not finished and layout.cached_lines == cached  # past the deadline: nothing drawn
    rounds = 0
    while changed or not finished:  # as the view does: again until the pages hold still
        changed, finished = layout.draw_ahead(top, height, 2, float("inf"), anchor)
        rounds += 1
    assert rounds > 1  # the first round moved heights
    top = layout.line_of(anchor)
    assert [_text_at(layout, line) for line in range(top, top + height)] == shown
    for line in range(top - 2 * height, top + 3 * height):
        located = layout.locate(line)
        assert located is not None and located.block is not None
        assert located.block.strips is not None or located.offset < located.block.gap


def test_sync_rebuilds_changed_entries_and_reconciles_the_list() -> None:
    transcript = _thread(3)
    layout, sync = _build(transcript)
    assert sync.transcript is transcript
    assert sync.pull() is None  # nothing changed since show()
    kept = layout.entries[0]

    gone = transcript.get("m1")
    assert gone is not None
    transcript.remove(gone)
    transcript.add_user_message("new question")
    assert sync.pull() is not None
    assert [entry.key for entry in layout.entries] == ["m0", "m2", "local-1"]
    assert layout.entries[0] is kept
    assert layout.total == sum(entry.height for entry in layout.entries)


def test_a_tool_answer_redraws_the_call_that_shows_it() -> None:
    transcript = Transcript()
    reducer = Reducer(transcript)
    reducer.load_messages(
        [
            {
                "type": "ai",
                "id": "a1",
                "content": "",
                "tool_calls": [{"id": "call-1", "name": "get_weather", "args": {"city": "Rome"}}],
            },
            {"type": "tool", "id": "t1", "content": "Rain", "tool_call_id": "call-1"},
        ]
    )
    layout, sync = _build(transcript)
    assert [entry.hidden for entry in layout.entries] == [False, True]
    assert "Rain" in "\n".join(strip.text for strip in layout.export())
    answer = transcript.get("t1")
    assert answer is not None
    answer.set_text("Sunny")
    transcript.touch(answer)
    sync.pull()
    text = "\n".join(strip.text for strip in layout.export())
    assert "Sunny" in text and "Rain" not in text


def test_sync_is_paced_by_the_frame_and_by_what_a_redraw_costs() -> None:
    now = [100.0]
    transcript = Transcript()
    painter = _painter()
    layout = StripLayout(lambda: painter)
    sync = TranscriptSync(layout, clock=lambda: now[0])
    sync.show(transcript)
    assert sync.due()
    message = transcript.add_user_message("hi")
    began = sync.pull()
    assert began == 100.0
    assert not sync.due()
    now[0] += FRAME
    assert sync.due()
    now[0] = began + 0.1  # the redraw and its frame took 0.1 s
    sync.paced(began)
    now[0] += 0.1 * (1 - BUSY_SHARE) / BUSY_SHARE - 0.001
    assert not sync.due()
    now[0] += 0.002
    assert sync.due()
    transcript.touch(message)
    began = sync.pull()
    assert began is not None
    now[0] = began + 10  # however slow, the next redraw waits at most MAX_GAP
    sync.paced(began)
    now[0] += MAX_GAP
    assert sync.due()


def test_selection_moves_and_says_what_to_copy() -> None:
    transcript = Transcript()
    transcript.add_user_message("first question")
    transcript.new_message("a1", "ai").set_text("Answer:\n\n```sh\necho one\n```\n\nDone.")
    transcript.add_user_message("second question")
    layout, _ = _build(transcript)
    selection = Selection(layout)
    assert selection.key is None
    assert selection.message_text() == "second question"  # nothing selected: the last
    assert selection.code_text() == "echo one"  # the last message with code
    assert selection.step(-1) == 2  # the first step selects the last message
    assert selection.step(-1) == 1 and selection.key == "a1"
    assert selection.message_text().startswith("Answer:")
    assert selection.step(-5) == 0  # clamped
    assert selection.code_text() is None  # the selected message has no code
    selection.clear()
    assert selection.entry() is None and selection.tools_entry() is None
