"""``bbot-tui export THREAD`` against the real server (issue 12 §4).

One thread holds every kind of item: a tool-calling run (``agent``), a question answered with
``"yes"`` (``approval``, asked with escape sequences and markup in the human text), and a run that
failed (``approval`` with ``recursion_limit`` 1). The Markdown and JSON exports must equal the
server's state message for message; the HTML page is opened in headless Chromium (Debian's
``chromium`` and ``chromium-driver``, driven by Selenium) and its DOM must show the same messages.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import get, post, run_cli

from bbot_tui.cli.common import EXIT_ERROR, EXIT_OK, EXIT_USAGE
from bbot_tui.session.thread_record import scrub
from bbot_tui.stream.transcript import role_of
from bbot_tui.text import sanitize

pytestmark = pytest.mark.xdist_group("export-story")  # one worker builds the story thread once

CHROMEDRIVER = Path("/usr/bin/chromedriver")
CHROMIUM = Path("/usr/bin/chromium")
CANARY = "bbot_canary_0e4d2a9f51c7"
HOSTILE = "draft \x1b[2Jit\x1b]0;owned\x07 <script>alert(1)</script> \u202eevil"

_HEADING = re.compile(r"^## (Human|AI|Tool result|Interrupt|Error)\b", re.MULTILINE)
_KIND = {"human": "Human", "ai": "AI", "tool": "Tool result"}


def _wait(server_url: str, thread_id: str, assistant: str, **body: Any) -> Any:
    return post(server_url, f"/threads/{thread_id}/runs/wait", {"assistant_id": assistant, **body})


@pytest.fixture(scope="module")
def story(server_url: str, assistant_ids: dict[str, str]) -> dict[str, Any]:
    """A thread with tool calls, an answered interrupt and a failed run, and its state."""
    thread_id = post(server_url, "/threads", {})["thread_id"]
    ask = {"messages": [{"role": "user", "content": "weather in Paris?"}]}
    _wait(server_url, thread_id, assistant_ids["agent"], input=ask)
    draft = {"messages": [{"role": "user", "content": HOSTILE}]}
    _wait(server_url, thread_id, assistant_ids["approval"], input=draft)
    _wait(server_url, thread_id, assistant_ids["approval"], command={"resume": "yes"})
    again = {"messages": [{"role": "user", "content": "once more"}]}
    failed = _wait(
        server_url,
        thread_id,
        assistant_ids["approval"],
        input=again,
        config={"recursion_limit": 1},
    )
    assert "__error__" in failed, failed
    state = get(server_url, f"/threads/{thread_id}/state")
    thread = get(server_url, f"/threads/{thread_id}")
    assert thread["status"] == "error"
    return {"thread_id": thread_id, "state": state, "thread": thread}


def _messages(story: dict[str, Any]) -> list[dict[str, Any]]:
    return list(story["state"]["values"]["messages"])


def _expected_headings(messages: list[dict[str, Any]]) -> list[str]:
    """Message kinds in order; the interrupt follows the draft's answer, the error comes last."""
    kinds = [_KIND[role_of(m)] for m in messages]
    draft_answer = next(
        i for i, m in enumerate(messages) if role_of(m) == "ai" and "draft" in str(m["content"])
    )
    return [*kinds[: draft_answer + 1], "Interrupt", *kinds[draft_answer + 1 :], "Error"]


def test_markdown_export_holds_every_message_in_order(
    capsys: pytest.CaptureFixture[str], server_url: str, story: dict[str, Any]
) -> None:
    r = run_cli(capsys, "export", "--url", server_url, story["thread_id"])
    assert r.code == EXIT_OK, r.err
    md = r.out
    messages = _messages(story)
    assert _HEADING.findall(md) == _expected_headings(messages)
    position = 0
    for message in messages:  # every content, in the state's order
        text = sanitize(str(message["content"]))
        if text:
            found = md.find(text, position)
            assert found >= 0, (text, md[position:])
            position = found + len(text)
    # the header: assistant, server, thread id, dates
    assert f"- **Server:** `{server_url}`" in md
    assert f"- **Thread:** `{story['thread_id']}`" in md
    assert "- **Assistant:** approval (`" in md
    assert re.search(r"- \*\*Created:\*\* \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", md)
    assert "- **Status:** error" in md
    # tool call with its arguments and its result; nodes where the history knows them
    assert "**Tool call** `get_weather`" in md
    assert '"city": "Paris"' in md
    assert "## Tool result · `get_weather` · call `call_weather_1`" in md
    assert "Sunny, 21 °C in Paris." in md
    assert re.search(r"^## AI · node `chat`", md, re.MULTILINE)
    assert re.search(r"^## AI · node `approve`", md, re.MULTILINE)
    # the interrupt, what it asked and what answered it
    interrupt = md[md.index("## Interrupt") :]
    assert interrupt.startswith("## Interrupt · node `approve`")
    assert '"question": "approve?"' in interrupt
    assert re.search(r"\*\*Answered\*\* \(run `[0-9a-f-]+`\):\n\n```text\nyes\n```", interrupt)
    assert "GraphRecursionError: Recursion limit of 1 reached" in md[md.index("## Error") :]
    # escapes and controls neutralised, the markup kept as text
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", md)
    assert "draft it <script>alert(1)</script> evil" in md


def test_json_export_equals_the_server_state(
    capsys: pytest.CaptureFixture[str], server_url: str, story: dict[str, Any], tmp_path: Path
) -> None:
    target = tmp_path / "thread.json"
    r = run_cli(capsys, "export", "--url", server_url, story["thread_id"], "-o", str(target))
    assert r.code == EXIT_OK, r.err
    assert r.out == ""
    assert f"exported thread {story['thread_id']}" in r.err
    assert target.stat().st_mode & 0o777 == 0o600
    raw = target.read_text(encoding="utf-8")
    assert "\\u001b" not in raw and "\x1b" not in raw
    document = json.loads(raw)
    assert document["format"] == "bbot-tui.thread-export/1"
    assert document["server"] == server_url
    assert document["thread"]["thread_id"] == story["thread_id"]
    assert document["assistant"]["graph_id"] == "approval"
    # message for message, as the server has them (strings neutralised)
    expected = scrub(_messages(story))
    assert len(document["messages"]) == len(expected) == 9
    for got, want in zip(document["messages"], expected, strict=True):
        assert got == want
    assert document["messages"][4]["content"] == sanitize(HOSTILE)
    # the interrupt as the history has it, and its answer
    history = post(server_url, f"/threads/{story['thread_id']}/history", {"limit": 100})
    asked = [i for s in history for i in s["interrupts"]]
    assert len(asked) == 1
    (interrupt,) = document["interrupts"]
    assert interrupt["id"] == asked[0]["id"]
    assert interrupt["value"] == scrub(asked[0]["value"])
    assert (interrupt["node"], interrupt["status"], interrupt["answer"]) == (
        "approve",
        "answered",
        "yes",
    )
    runs = get(server_url, f"/threads/{story['thread_id']}/runs?limit=10")
    resumed = next(run for run in runs if (run["kwargs"].get("command") or {}).get("resume"))
    assert interrupt["answered_by_run"] == resumed["run_id"]
    assert document["pending_interrupts"] == []
    (error,) = document["errors"]
    assert error["error"].startswith("GraphRecursionError: Recursion limit of 1")
    assert error["run_id"] == runs[0]["run_id"]


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    """Headless Chromium from Debian's packages, driven through the system chromedriver."""
    if not CHROMEDRIVER.exists() or not CHROMIUM.exists():
        pytest.fail(
            "needs Debian's chromium and chromium-driver "
            "(apt-get install -y chromium chromium-driver; .ci/run does it)"
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    profile = tempfile.mkdtemp(prefix="chromium-", dir=tmp_path)
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
        "--window-size=1000,2400",
    ):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_html_export_shows_the_same_messages_in_a_real_browser(
    capsys: pytest.CaptureFixture[str],
    server_url: str,
    story: dict[str, Any],
    tmp_path: Path,
    browser: Any,
) -> None:
    from selenium.webdriver.common.by import By

    page = tmp_path / "thread.html"
    r = run_cli(capsys, "export", "--url", server_url, story["thread_id"], "-o", str(page))
    assert r.code == EXIT_OK, r.err
    browser.get(page.as_uri())
    assert browser.title == f"Thread {story['thread_id']}"
    sections = browser.find_elements(By.CSS_SELECTOR, "main.entries > section.entry")
    kinds = [s.get_attribute("data-kind") for s in sections]
    messages = _messages(story)
    names = {"human": "Human", "ai": "AI", "tool": "Tool result"}
    expected = [
        {"Human": "human", "AI": "ai", "Tool result": "tool"}.get(k, k.lower())
        for k in _expected_headings(messages)
    ]
    assert kinds == expected
    shown = [s for s in sections if s.get_attribute("data-message-id")]
    assert [s.get_attribute("data-message-id") for s in shown] == [m["id"] for m in messages]
    for section, message in zip(shown, messages, strict=True):
        heading = section.find_element(By.TAG_NAME, "h2").text
        assert heading.startswith(names[role_of(message)])
        text = sanitize(str(message["content"]))
        bodies = section.find_elements(By.CSS_SELECTOR, ":scope > div.content")
        if text:
            assert _flat(bodies[0].text) == _flat(text)
        else:
            assert bodies == []
        calls = section.find_elements(By.CSS_SELECTOR, ":scope > div.tool-call")
        assert len(calls) == len(message.get("tool_calls") or [])
        for call, want in zip(calls, message.get("tool_calls") or [], strict=True):
            assert want["name"] in call.text
            assert json.loads(call.find_element(By.CSS_SELECTOR, "pre code").text) == want["args"]
    interrupt = browser.find_element(By.CSS_SELECTOR, "section.entry-interrupt")
    assert "approve?" in interrupt.find_element(By.CSS_SELECTOR, "div.value").text
    assert interrupt.find_element(By.CSS_SELECTOR, "div.answer pre").text == "yes"
    error = browser.find_element(By.CSS_SELECTOR, "section.entry-error")
    assert "GraphRecursionError" in error.text
    # the markup in a message is text: no script element, nothing ran
    assert browser.execute_script("return document.scripts.length") == 0
    assert "<script>alert(1)</script>" in shown[4].text
    shot = tmp_path / "thread.png"
    assert browser.save_screenshot(str(shot))
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_canary_key_is_absent_from_every_format(
    capsys: pytest.CaptureFixture[str],
    server_url: str,
    assistant_ids: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    thread_id = post(server_url, "/threads", {"metadata": {"title": f"key {CANARY}"}})["thread_id"]
    said = {"messages": [{"role": "user", "content": f"my key is {CANARY}"}]}
    _wait(server_url, thread_id, assistant_ids["chat"], input=said)
    monkeypatch.setenv("BBOT_API_KEY", CANARY)
    for fmt in ("markdown", "json", "html"):
        r = run_cli(
            capsys, "export", "--url", server_url, "--api-key", CANARY, thread_id, "--format", fmt
        )
        assert r.code == EXIT_OK, r.err
        assert CANARY not in r.out and CANARY not in r.err
        assert "my key is ***" in r.out
        target = tmp_path / f"export.{'md' if fmt == 'markdown' else fmt}"
        r = run_cli(capsys, "export", thread_id, "--url", server_url, "-o", str(target))
        assert r.code == EXIT_OK, r.err
        assert CANARY not in target.read_text(encoding="utf-8") + r.err


def test_export_errors(
    capsys: pytest.CaptureFixture[str], server_url: str, story: dict[str, Any], tmp_path: Path
) -> None:
    r = run_cli(capsys, "export", "--url", server_url, "00000000-0000-4000-8000-000000000000")
    assert r.code == EXIT_ERROR
    assert "404" in r.err or "not found" in r.err.lower()
    r = run_cli(capsys, "export", "--url", server_url, story["thread_id"], "--format", "pdf")
    assert (r.code, r.out) == (EXIT_USAGE, "")
    assert "--format: 'pdf' is not one of markdown, json, html" in r.err
    out = tmp_path / "x.json"
    r = run_cli(
        capsys,
        "export",
        "--url",
        server_url,
        story["thread_id"],
        "--format",
        "html",
        "-o",
        str(out),
    )
    assert r.code == EXIT_USAGE and not out.exists()
    assert "looks like json" in r.err
