"""The headless printer over synthetic event streams (no server): what people see on stdout."""

from __future__ import annotations

import io
import json
from typing import Any

from bbot_tui.api.events import StreamEvent
from bbot_tui.cli.common import Output, json_line
from bbot_tui.cli.printer import TextPrinter
from bbot_tui.stream.reducer import Reducer


def _event(name: str, data: Any) -> StreamEvent:
    return StreamEvent.from_sse(name, json.dumps(data), None)


def _chunk(text: str, msg_id: str, node: str = "chat", **extra: Any) -> StreamEvent:
    chunk = {"type": "AIMessageChunk", "id": msg_id, "content": text, **extra}
    return _event("messages", [chunk, {"langgraph_node": node, "langgraph_step": 1}])


def _partial(text: str, msg_id: str) -> StreamEvent:
    return _event("messages/partial", [{"type": "ai", "id": msg_id, "content": text}])


class _Harness:
    def __init__(self, **kwargs: Any) -> None:
        self.out = io.StringIO()
        self.reducer = Reducer()
        self.printer = TextPrinter(
            Output(self.out, io.StringIO()), self.reducer.transcript, **kwargs
        )

    def feed(self, *events: StreamEvent) -> str:
        before = len(self.out.getvalue())
        for event in events:
            self.reducer.apply(event)
            self.printer.update()
        return self.out.getvalue()[before:]

    def final(self) -> str:
        self.printer.update(final=True)
        return self.out.getvalue()


def test_delta_text_is_printed_as_it_arrives() -> None:
    h = _Harness()
    assert h.feed(_chunk("Hel", "m1")) == "── chat ──\nHel"
    assert h.feed(_chunk("lo", "m1")) == "lo"
    assert h.final() == "── chat ──\nHello\n"


def test_cumulative_text_prints_only_the_new_suffix_and_marks_revisions() -> None:
    h = _Harness()
    h.feed(_event("messages/metadata", {"m1": {"metadata": {"langgraph_node": "talk"}}}))
    assert h.feed(_partial("Hello", "m1")) == "── talk ──\nHello"
    assert h.feed(_partial("Hello!", "m1")) == "!"
    revised = h.feed(_partial("Goodbye", "m1"))
    assert revised == "\n↺ revised:\nGoodbye"
    assert h.feed(_partial("Goodbye", "m1")) == ""


def test_tool_calls_and_results_are_marked_on_their_own_lines() -> None:
    h = _Harness()
    call_chunk = {"index": 0, "id": "c1", "name": "get_weather", "args": '{"city": '}
    h.feed(_chunk("Let me check.", "m1", node="model", tool_call_chunks=[call_chunk]))
    # the arguments are incomplete: the call is not printed yet
    assert "⚙" not in h.out.getvalue()
    end = {"index": 0, "args": '"Paris"}'}
    h.feed(_chunk("", "m1", node="model", tool_call_chunks=[end], chunk_position="last"))
    tool = {"type": "tool", "id": "t1", "content": "Sunny", "tool_call_id": "c1", "name": "w"}
    h.feed(_event("messages", [tool, {"langgraph_node": "tools"}]))
    assert h.final() == (
        '── model ──\nLet me check.\n⚙ get_weather({"city": "Paris"})\n── tools ──\n↳ Sunny\n'
    )


def test_interleaved_messages_never_mix_on_one_line() -> None:
    h = _Harness()
    h.feed(_chunk("alpha ", "a", node="left"), _chunk("beta ", "b", node="right"))
    h.feed(_chunk("again", "a", node="left"))
    assert h.final() == "── left ──\nalpha \n── right ──\nbeta \n── left ──\n… again\n"


def test_escape_sequences_from_the_server_never_reach_the_terminal() -> None:
    h = _Harness()
    h.feed(_chunk("safe\x1b]0;owned\x07 text\x1b[2J", "m1"), _chunk("\x9b31m end", "m1"))
    err = {"error": "Boom\x1b[31m", "message": "bad\x1b]52;c;ZXZpbA==\x07 thing"}
    h.feed(_event("error", err))
    out = h.final()
    assert "\x1b" not in out and "\x9b" not in out and "\x07" not in out
    assert "safe text end" in out
    assert "✗ Boom: bad thing" in out


def test_messages_that_were_there_before_and_the_users_input_are_not_printed() -> None:
    h = _Harness(baseline_ids={"old"}, skip_texts={"my question"})
    old = {"type": "ai", "id": "old", "content": "from an earlier run"}
    mine = {"type": "human", "id": "h1", "content": "my question"}
    injected = {"type": "human", "id": "h2", "content": "injected"}
    new = {"type": "ai", "id": "n1", "content": "new answer"}
    h.feed(_event("values", {"messages": [old, mine, injected, new]}))
    assert h.final() == "› injected\nnew answer\n"


def test_json_lines_escape_terminal_controls_but_keep_text_readable() -> None:
    line = json_line({"t": "é \x1b[2J \x9b \u202e x \ud800"})
    assert "\x1b" not in line and "\x9b" not in line and "\u202e" not in line
    assert "é" in line
    assert json.loads(line)["t"] == "é \x1b[2J \x9b \u202e x \ud800"
