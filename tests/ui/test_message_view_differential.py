"""The message view renders what the whole answer means (differential against a whole render).

The reference is the whole answer rendered at once: Rich's ``Markdown`` (markdown-it-py with the
same options) over the whole text, through the same console at the same width. The view renders
block by block, caches finished blocks and redraws only the growing one; its visible text must
equal the reference line for line, whether the answer is set at once, streamed in two parts
split at every point, or streamed token by token with a redraw after each token.

Constructs that span blocks are the point: link reference definitions resolve links in every
block and are not shown; HTML blocks with blank lines stay whole; the blank lines Rich puts
between elements (around lists and tables, none after a rule) are the same.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from rich.markdown import Markdown
from textual.app import App, ComposeResult

from bbot_tui.stream.transcript import Message, Transcript
from bbot_tui.text import sanitize
from bbot_tui.tui.resources import stylesheet
from bbot_tui.tui.widgets.message_view import MessageView
from bbot_tui.tui.widgets.message_view.markdown_blocks import BlockSplitter
from bbot_tui.tui.widgets.message_view.painter import MARKDOWN_LIVE_LIMIT

LONG_WORDS = " ".join(["word"] * 200)
LONG_PARAGRAPH = "Some **bold** and *emphasis* in a paragraph longer than the live limit. " * 30
LONG_URL = "https://example.com/" + "a" * 150

CORPUS: dict[str, str] = {
    "reference links": (
        "Here is the answer, see [the docs][1] and [the guide][guide].\n\n"
        "[1]: https://example.com/docs\n"
        "[guide]: https://example.com/guide\n"
    ),
    "report": """# Release notes

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

---

Final words without a trailing newline""",
    "nested lists": """Steps:

1. Install the package:

   ```sh
   pip install bbot-tui
   ```

2. Configure it
   - set the URL
   - set the key
     1. from the dashboard
     2. or from the CLI

3. Run it.

* star list
* with *emphasis that spans tokens* and **bold _mixed_ text**

Done.
""",
    "html blocks": """Some HTML follows.

<div>
a div block
</div>

<!--
a comment

with a blank line
-->

<pre>
preformatted

with a blank line
</pre>

After the HTML, a paragraph with <kbd>Ctrl</kbd>+<kbd>C</kbd> and <b>inline</b> tags.

<details>
<summary>More</summary>

Hidden text.

</details>
""",
    "footnote-like text": """A claim that needs a source[^1] and another[^note].

[^1]: https://example.com/source
[^note]: The note is a sentence, not a link.

Trailing paragraph.
""",
    "reference images": (
        '![the logo][logo] and an inline ![icon](https://example.com/i.png "Icon").\n\n'
        "Full [reference][Ref Label], collapsed [ref label][], and shortcut [Ref label].\n\n"
        '[logo]: https://example.com/logo.png "The logo"\n'
        "[ref   label]: <https://example.com/ref> 'a title'\n"
    ),
    "cjk and emoji": """## 日本語の見出し

これは長い日本語の文章です。ストリーミングで表示されるときに、
全角文字の幅が正しく計算されることを確認します。😀🎉 絵文字も含みます。

- 中文列表项 🚀
- 한국어 항목

| 名前 | 値 |
|------|----|
| 犬 🐕 | 1 |
""",
    "long lines": (
        f"A very long line: {LONG_WORDS}\n\nA long URL {LONG_URL} in text.\n\n"
        f"```\n{'x' * 300}\n```\n\n| col |\n|---|\n| {'y' * 120} |\n\n{LONG_PARAGRAPH}\n"
    ),
    "mixed blocks": "Intro line with trailing spaces  \nand a hard break.\n"
    + """
Setext heading
==============

Another one
-----------

***

    indented code
    block

1) paren list
2) second

- [ ] task
- [x] done

Term with \\*escaped\\* stars and a \\[not a link\\].

> quote with a list
> - a
> - b
>
> and a paragraph

> second quote

[dangling][nowhere] reference stays literal.
""",
    "definitions first and repeated": """[top]: https://example.com/top

[Top] link defined before use, and [again][top].

  [indented]: https://example.com/indented

> [quoted]: https://example.com/quoted

Use [indented] and [quoted] and [Top].

[top]: https://example.com/second-definition-ignored
""",
}
"""Model-like answers: every construct a model writes, and those that span blocks."""

WIDTHS = (100, 60)
"""Terminal widths: blocks, tables and code wrap differently."""


class ViewApp(App[None]):
    CSS_PATH = [stylesheet("message_view.tcss")]

    def compose(self) -> ComposeResult:
        yield MessageView(id="message-view")


def whole_document(view: MessageView, text: str) -> list[str]:
    """The reference: the whole answer rendered at once, at the view's width, as text lines."""
    console = view.app.console
    width = view.strip_layout.width
    options = console.options.update(width=width, height=None, highlight=False)
    markdown = Markdown(sanitize(text), code_theme="monokai")
    lines = console.render_lines(markdown, options, pad=True)
    return ["".join(segment.text for segment in line).rstrip() for line in lines]


def shown(view: MessageView) -> list[str]:
    """The answer's lines as the view draws them (its header and the gap line after it cut)."""
    lines = [strip.text.rstrip() for strip in view.export_strips()]
    assert lines[0].lstrip().startswith("◆ Assistant"), lines[:2]
    assert lines[-1] == ""
    return lines[1:-1]


def growing_block(text: str) -> str:
    """The block still streaming when ``text`` has arrived so far."""
    splitter = BlockSplitter()
    splitter.update(text)
    tail = splitter.tail(final=False)
    return tail[-1] if tail else ""


def in_open_fence(text: str) -> bool:
    """Whether the block still streaming is inside a fenced code block not closed yet."""
    splitter = BlockSplitter()
    splitter.update(text)
    return splitter.open_is_code


@dataclass(frozen=True)
class Deliberate:
    """A construct the view draws differently from the whole render while it streams."""

    construct: str
    """What is drawn differently."""
    why: str
    """Why (speed)."""
    applies: Callable[[str], bool]
    """Whether it is in play once ``text`` has arrived (the answer not finished)."""
    example: str
    """An answer streamed so far where it is in play."""
    view: list[str]
    """What the view shows of ``example`` while it streams (the whole render differs)."""


DELIBERATE = (
    Deliberate(
        "a link reference definition in the block still streaming",
        "a finished block is drawn once; a definition whose URL is still arriving would redraw "
        "every block that uses it on every token. A definition counts once its block is "
        "finished (the next block starts, or the answer ends): each block using it is then "
        "drawn again, once.",
        lambda text: "]:" in growing_block(text),
        "See [the docs][1].\n\n[1]: https://example.com/docs\n[2]: https://exa",
        ["See [the docs][1]."],
    ),
    Deliberate(
        "a fenced code block not closed yet, in the block still streaming",
        "highlighting (and parsing as Markdown) a growing fence on every frame does not keep "
        "up with 1,000 tokens/s: its lines are drawn as plain code, line by line (a fence "
        "inside a list item as plain text), and a closing fence counts once its line ends.",
        in_open_fence,
        "1. Install it:\n\n   ```sh\n   pip install bbot-tui",
        ["1. Install it:", "", "   ```sh", "   pip install bbot-tui"],
    ),
    Deliberate(
        f"a block still streaming that is longer than {MARKDOWN_LIVE_LIMIT:,} characters",
        "parsing a long block as Markdown on every frame costs more than a frame: it is drawn "
        "as plain text until it is finished.",
        lambda text: len(growing_block(text)) > MARKDOWN_LIVE_LIMIT,
        "Some **bold** text. " * 110,
        ["Some **bold** text. Some **bold** text. Some **bold** text. Some **bold**"],
    ),
)
"""Where the view deliberately differs from the whole render (for speed): only while an answer
streams, never once it is finished. Each is asserted below; every other moment of every stream
equals the whole render of the text so far."""


def streaming(view: MessageView) -> list[str]:
    """The answer's lines while it streams (the cursor line under it cut)."""
    lines = shown(view)
    assert lines[-1].strip() == "▍", lines[-1]
    return lines[:-1]


def tokens_of(text: str) -> list[str]:
    """Model-like tokens: a few characters with their leading whitespace."""
    tokens = re.findall(r"\s*\S{1,5}|\s+", text)
    assert "".join(tokens) == text
    return tokens


def start(view: MessageView) -> tuple[Transcript, Message]:
    transcript = Transcript()
    message = transcript.new_message("answer-1", "ai", node="agent")
    message.streaming = True
    view.transcript = transcript
    return transcript, message


def stream(view: MessageView, transcript: Transcript, message: Message, chunk: str) -> None:
    message.append(chunk)
    transcript.touch(message)
    view.sync(force=True)  # draws the growing block too


def finish(view: MessageView, transcript: Transcript, message: Message) -> None:
    message.streaming = False
    transcript.touch(message)
    view.sync(force=True)


def at_once(view: MessageView, text: str) -> None:
    transcript = Transcript()
    transcript.new_message("answer-1", "ai", node="agent").set_text(text)
    view.transcript = transcript


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", list(CORPUS))
async def test_an_answer_set_at_once_renders_like_the_whole_document(name: str, width: int) -> None:
    app = ViewApp()
    async with app.run_test(size=(width, 30)):
        view = app.query_one(MessageView)
        at_once(view, CORPUS[name])
        assert shown(view) == whole_document(view, CORPUS[name])


def split_points(text: str) -> list[int]:
    """Every split point of a short text; of a long one, every point next to a character that
    is not a letter, a digit or a space (where Markdown happens) and every eighth point
    elsewhere: splits inside a long word or a run of ``x`` are alike, and each one costs a
    render of the whole text (all of them made this test quadratic: two minutes on a loaded
    machine)."""
    if len(text) <= 1000:
        return list(range(len(text) + 1))

    def plain(c: str) -> bool:
        return c.isalnum() or c == " "

    return [
        k for k in range(len(text) + 1) if k % 8 == 0 or not all(map(plain, text[k - 1 : k + 1]))
    ]


@pytest.mark.parametrize("name", list(CORPUS))
async def test_every_split_point_renders_like_the_whole_document(name: str) -> None:
    text = CORPUS[name]
    app = ViewApp()
    async with app.run_test(size=(80, 30)):
        view = app.query_one(MessageView)
        reference = whole_document(view, text)
        for k in split_points(text):
            transcript, message = start(view)
            stream(view, transcript, message, text[:k])
            stream(view, transcript, message, text[k:])
            finish(view, transcript, message)
            assert shown(view) == reference, k


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", list(CORPUS))
async def test_token_by_token_renders_like_the_whole_document(name: str, width: int) -> None:
    """After every token the view shows what the whole text so far means (except where a
    :data:`DELIBERATE` construct is in play); at the end, what the whole answer means."""
    text = CORPUS[name]
    app = ViewApp()
    async with app.run_test(size=(width, 30)):
        view = app.query_one(MessageView)
        transcript, message = start(view)
        so_far = ""
        compared = 0
        long = len(text) > 1000
        for n, token in enumerate(tokens_of(text)):
            stream(view, transcript, message, token)
            so_far += token
            if long and n % 4 and all(c.isalnum() or c == " " for c in token):
                continue  # in a long text, a plain word's token is compared one time in four
            if not any(deliberate.applies(so_far) for deliberate in DELIBERATE):
                assert streaming(view) == whole_document(view, so_far), so_far
                compared += 1
        assert compared > 0
        finish(view, transcript, message)
        assert shown(view) == whole_document(view, text)


@pytest.mark.parametrize("deliberate", DELIBERATE, ids=lambda d: d.construct)
async def test_deliberate_differences_are_exactly_the_named_ones(deliberate: Deliberate) -> None:
    app = ViewApp()
    async with app.run_test(size=(80, 30)):
        view = app.query_one(MessageView)
        transcript, message = start(view)
        for token in tokens_of(deliberate.example):
            stream(view, transcript, message, token)
        assert deliberate.applies(deliberate.example)
        others = [d for d in DELIBERATE if d is not deliberate]
        assert not any(d.applies(deliberate.example) for d in others)
        reference = whole_document(view, deliberate.example)
        shown_now = streaming(view)
        assert shown_now[: len(deliberate.view)] == deliberate.view
        assert shown_now != reference  # it does differ while it streams ...
        finish(view, transcript, message)
        assert shown(view) == reference  # ... and not once the answer is finished


def test_the_corpus_meets_every_deliberate_difference_and_few_moments_are_left_out() -> None:
    """The token test leaves out the moments where a :data:`DELIBERATE` construct is in play:
    each construct is met in the corpus, and those moments are a small share of all."""
    met = dict.fromkeys((d.construct for d in DELIBERATE), 0)
    moments = left_out = 0
    for text in CORPUS.values():
        so_far = ""
        for token in tokens_of(text):
            so_far += token
            moments += 1
            playing = [d.construct for d in DELIBERATE if d.applies(so_far)]
            left_out += bool(playing)
            for construct in playing:
                met[construct] += 1
    assert all(met.values()), met
    assert left_out < moments // 4, (left_out, moments)
