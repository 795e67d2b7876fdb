"""The export's documents from a hand-made thread record (no server): hostile content stays
content, fences hold any backticks, URLs and keys never leak."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from markdown_it import MarkdownIt

from bbot_tui.api.models import Run, Thread, ThreadState
from bbot_tui.cli.common import UsageError
from bbot_tui.cli.export import pick_format
from bbot_tui.session.export import (
    entries,
    to_html,
    to_json,
    to_markdown,
)
from bbot_tui.session.thread_record import ThreadRecord, public_url, scrub
from bbot_tui.text import sanitize

KEY = "bbot_unit_key_93c1d7e2"


def _record(messages: list[dict[str, Any]], **thread: Any) -> ThreadRecord:
    state = ThreadState.model_validate({"values": {"messages": messages}, "next": []})
    return ThreadRecord(
        server="http://127.0.0.1:9",
        thread=Thread.model_validate({"thread_id": "t-1", "status": "idle", **thread}),
        state=state,
    )


def test_public_url_drops_credentials_query_and_fragment() -> None:
    assert public_url("https://user:pw@api.example.com:8443/v2?key=x#frag") == (
        "https://api.example.com:8443/v2"
    )
    assert public_url("http://[::1]:2024") == "http://[::1]:2024"


def test_hostile_markup_is_text_in_the_html_page() -> None:
    record = _record(
        [
            {"type": "human", "id": "h", "content": '<img src=x onerror="alert(1)"> hi'},
            {
                "type": "ai",
                "id": "a",
                "content": "[click](javascript:alert(1)) ![t](http://x/t.png)",
            },
        ]
    )
    page = to_html(record)
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page
    assert 'href="javascript:' not in page
    assert "default-src 'none'" in page  # the remote image cannot load
    assert "<script" not in page


def test_fences_hold_any_backticks_and_controls_are_removed() -> None:
    tricky = "```\n# not a heading\n```` and \x1b[31mred\x1b[0m"
    record = _record(
        [
            {
                "type": "ai",
                "id": "a",
                "content": "",
                "tool_calls": [{"name": "run`it", "args": {"code": tricky}, "id": "c1"}],
            },
            {"type": "tool", "id": "t", "name": "run`it", "tool_call_id": "c1", "content": tricky},
        ]
    )
    md = to_markdown(record)
    assert "\x1b" not in md
    assert "``run`it``" in md
    tokens = MarkdownIt("commonmark").parse(md)
    fences = [t.content for t in tokens if t.type == "fence"]
    assert json.loads(fences[0]) == {"code": sanitize(tricky)}
    assert fences[-1] == sanitize(tricky) + "\n"
    assert not [t for t in tokens if t.type == "inline" and t.content == "not a heading"]


def test_secrets_are_masked_everywhere() -> None:
    record = _record(
        [{"type": "human", "id": "h", "content": f"key={KEY}", KEY: KEY}],
        metadata={"title": KEY},
    )
    for text in (
        to_markdown(record, [KEY]),
        to_json(record, [KEY]),
        to_html(record, [KEY]),
    ):
        assert KEY not in text
        assert "key=***" in text
    assert scrub({KEY: [KEY, (1, KEY)]}, [KEY]) == {"***": ["***", [1, "***"]]}


def test_failed_runs_without_a_message_are_listed() -> None:
    record = _record([{"type": "human", "id": "h", "content": "hi"}], status="error")
    record.runs = [
        Run.model_validate({"run_id": "r2", "status": "timeout", "created_at": "2"}),
        Run.model_validate({"run_id": "r1", "status": "error", "created_at": "1"}),
    ]
    found = [(e.kind, e.data.get("run_id"), e.data.get("error")) for e in entries(record)]
    assert found == [
        ("human", None, None),
        ("error", "r1", "the run failed (the server kept no message)"),
        ("error", "r2", "the run timed out"),
    ]


@pytest.mark.parametrize(
    ("fmt", "path", "expected"),
    [
        (None, None, "markdown"),
        (None, "t.HTML", "html"),
        (None, "t.json", "json"),
        ("json", None, "json"),
        ("html", "page.htm", "html"),
        ("markdown", "notes.txt", "markdown"),
    ],
)
def test_the_format_comes_from_the_flag_or_the_file_name(
    fmt: str | None, path: str | None, expected: str
) -> None:
    assert pick_format(fmt, path) == expected


def test_a_format_that_contradicts_the_file_name_is_refused() -> None:
    with pytest.raises(
        UsageError, match=re.escape("--format json but -o t.md looks like markdown")
    ):
        pick_format("json", "t.md")
