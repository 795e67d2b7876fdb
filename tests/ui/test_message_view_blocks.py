"""The Markdown block splitter: streamed splitting equals splitting the whole text."""

from __future__ import annotations

import random

from bbot_tui.tui.widgets.message_view.markdown_blocks import (
    BlockSplitter,
    code_blocks,
    split_blocks,
)

ANSWER = """# Streaming report

Intro paragraph with **bold**, `code` and a [link](https://example.com/docs).
It continues on a second line.

## Lists

- first item
- second item
  continued under it

- a loose third item

1. one
2. two

## Code

```python
def f(x):

    return x * 2  # a blank line above, inside the fence
```
After the fence, no blank line.

~~~
tilde fence with ``` inside
~~~

| name | value |
|------|-------|
| a    | 1     |
| b    | 2     |

> a quote
> on two lines

    indented code

    more indented code

Last paragraph without a newline at the end"""


def test_split_rules() -> None:
    blocks = split_blocks(ANSWER)
    assert blocks[0] == "# Streaming report"
    fence = next(b for b in blocks if b.startswith("```python"))
    assert "return x * 2" in fence and fence.endswith("After the fence, no blank line.")
    lists = next(b for b in blocks if b.startswith("- first item"))
    assert lists.endswith("2. two")  # loose items and the ordered list stay one block
    assert any(b.startswith("| name |") and b.endswith("| b    | 2     |") for b in blocks)
    assert any(b.startswith("> a quote") for b in blocks)
    assert any("indented code" in b and "more indented code" in b for b in blocks)
    assert blocks[-1] == "Last paragraph without a newline at the end"


def test_every_split_point_gives_the_same_blocks() -> None:
    expected = split_blocks(ANSWER)
    for k in range(len(ANSWER) + 1):
        splitter = BlockSplitter()
        splitter.update(ANSWER[:k])
        splitter.update(ANSWER)
        assert [*splitter.closed, *splitter.tail(final=True)] == expected, k


def test_char_by_char_and_random_chunks() -> None:
    expected = split_blocks(ANSWER)
    splitter = BlockSplitter()
    closed_so_far: list[str] = []
    for k in range(len(ANSWER) + 1):
        splitter.update(ANSWER[:k])
        assert splitter.closed[: len(closed_so_far)] == closed_so_far  # closed blocks never change
        closed_so_far = list(splitter.closed)
    assert [*splitter.closed, *splitter.tail(final=True)] == expected
    rng = random.Random(4)
    for _ in range(50):
        splitter = BlockSplitter()
        position = 0
        while position < len(ANSWER):
            position = min(len(ANSWER), position + rng.randint(1, 40))
            splitter.update(ANSWER[:position])
            splitter.tail(final=False)
        assert [*splitter.closed, *splitter.tail(final=True)] == expected


HTML = """Before.

<!--
a comment

with a blank line
-->
After the comment.

<pre>
kept

whole
</PRE>

<div>
ends at a blank line
</div>

<!-- one line -->

Last."""


def test_html_blocks_that_blank_lines_do_not_end_stay_whole() -> None:
    blocks = split_blocks(HTML)
    assert blocks == [
        "Before.",
        "<!--\na comment\n\nwith a blank line\n-->\nAfter the comment.",
        "<pre>\nkept\n\nwhole\n</PRE>",
        "<div>\nends at a blank line\n</div>",
        "<!-- one line -->",
        "Last.",
    ]
    for k in range(len(HTML) + 1):
        splitter = BlockSplitter()
        splitter.update(HTML[:k])
        splitter.update(HTML)
        assert [*splitter.closed, *splitter.tail(final=True)] == blocks, k


def test_replaced_text_starts_over() -> None:
    splitter = BlockSplitter()
    splitter.update("para one\n\npara two\n\n")
    assert splitter.closed == ["para one"]
    splitter.update("other\n\nthing")
    assert splitter.generation == 1
    assert [*splitter.closed, *splitter.tail(final=True)] == ["other", "thing"]


def test_lines_are_sanitized() -> None:
    text = "\x1b[31mred\x1b[0m\r\n\x1b]0;title\x07\n\nnext \x1b[2J"
    blocks = split_blocks(text)
    assert blocks == ["red", "next "]
    assert all("\x1b" not in b and "\r" not in b for b in blocks)


def test_code_blocks() -> None:
    assert code_blocks(ANSWER) == [
        "def f(x):\n\n    return x * 2  # a blank line above, inside the fence",
        "tilde fence with ``` inside",
    ]
    assert code_blocks("```sh\nopen fence") == ["open fence"]
