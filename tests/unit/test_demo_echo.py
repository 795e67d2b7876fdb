"""The demo assistants quote the question inside emphasis: only its first line, escaped, so that
a message with an attached file (its whole text, fences and all) cannot break the answer's
Markdown."""

from __future__ import annotations

from markdown_it import MarkdownIt

from bbot_tui.demo.graphs import chat_answer

ATTACHED = "summarize @notes.txt\n\nnotes.txt:\n```txt\nnotes *for* the demo\n```"


def _fences(markdown: str) -> list[str]:
    return [t.info for t in MarkdownIt().parse(markdown) if t.type == "fence"]


def test_an_attached_file_does_not_break_the_chat_answer() -> None:
    answer = chat_answer(ATTACHED)
    assert "You asked: *summarize @notes.txt*" in answer
    assert "notes *for* the demo" not in answer
    assert _fences(answer) == ["python"]  # only the answer's own code block


def test_markdown_signs_in_the_question_are_shown_as_typed() -> None:
    answer = chat_answer("a *b* [c](d) # e_f")
    html = MarkdownIt().render(answer)
    assert "a *b* [c](d) # e_f" in html
    long = chat_answer("x" * 200)
    assert "x" * 79 + "…" in long and "x" * 80 not in long
