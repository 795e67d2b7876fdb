"""Reasoning, streamed tool output and the namespace tree in the app (issue 16 §3), against the
real local server over the runs API with the ``reasoning`` and ``subagent`` test graphs.

The run options of each test's own assistant ask for what these need: ``custom`` (the tool's
streamed output), ``tasks`` and ``stream_subgraphs`` (the namespaces and their lifecycle).
"""

from __future__ import annotations

import sys
import uuid
from pathlib import Path
from typing import Any

import httpx
from app_pilot import pick, send, settings_for, settle, view_text, wait_for

from bbot_tui.tui.app import make_app
from bbot_tui.tui.widgets.message_view import GUTTER, MessageView
from bbot_tui.tui.widgets.namespace_tree import NamespaceTree

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "graphs"))
from reasoning import FORECAST_LINES, THINK_AFTER, THINK_FIRST

MODES = ["messages-tuple", "updates", "custom", "tasks"]


def _assistant(url: str, graph_id: str, **configurable: Any) -> tuple[str, str]:
    """A fresh assistant of ``graph_id``: (its name, its id)."""
    name = f"{graph_id}-{uuid.uuid4().hex[:10]}"
    body = {"graph_id": graph_id, "name": name, "config": {"configurable": configurable}}
    response = httpx.post(f"{url}/assistants", json=body, timeout=30)
    response.raise_for_status()
    return name, response.json()["assistant_id"]


def _settings(url: str, assistant_id: str) -> Any:
    options = {"stream_mode": MODES, "stream_subgraphs": True}
    return settings_for(url, run_options={assistant_id: options})


def _shown(screen: Any, thought: str) -> str:
    """How the view shows a reasoning: ``collapsed`` (its first words on the one dim line),
    ``expanded`` (whole, on the lines under its title) or ``absent``."""
    lines = [line.strip() for line in view_text(screen).split("\n")]
    for index, line in enumerate(lines):
        if thought[:30] in line:
            if line.startswith("▸ Reasoning · "):
                return "collapsed"
            if index and lines[index - 1].startswith("▾ Reasoning · "):
                return "expanded"
    return "absent"


def _line_of(view: MessageView, text: str) -> int:
    """The line of the view (from its top) that shows ``text`` (everything is in view)."""
    lines = [strip.text for strip in view.export_strips()]
    index = next(i for i, line in enumerate(lines) if text in line)
    return index - int(view.scroll_offset.y)


async def test_reasoning_collapsed_expandable_and_tool_output_streamed(server_url: str) -> None:
    name, assistant_id = _assistant(server_url, "reasoning", delay=0.1)
    app = make_app(_settings(server_url, assistant_id))
    async with app.run_test(size=(130, 60)) as pilot:
        screen = await pick(pilot, "reasoning", name)
        await send(pilot, "weather?")
        # the tool's output shows under its call while it runs, before its result
        first, second = FORECAST_LINES[0].strip(), FORECAST_LINES[1].strip()

        def one_line_streamed() -> bool:
            text = view_text(screen)
            return f"┊ {first}" in text and f"┊ {second}" not in text and "… running" in text

        await wait_for(pilot, one_line_streamed, "the tool's first streamed line alone")
        await wait_for(pilot, lambda: f"┊ {second}" in view_text(screen), "its second line")
        await settle(pilot, screen)
        text = view_text(screen)
        assert "┊" not in text and "… running" not in text
        assert f"→ {first}" in text  # the result replaced the streamed output

        # reasoning: one dim line under each answer (its size, its first words), collapsed
        assert text.count("▸ Reasoning · ") == 2 and "▾ Reasoning" not in text
        assert "▸ Reasoning · 10 words · The tool answered with three lines" in text
        assert _shown(screen, THINK_FIRST) == _shown(screen, THINK_AFTER) == "collapsed"
        view = screen.query_one(MessageView)
        view.focus()
        await pilot.press("R")  # the last message with reasoning
        await pilot.pause()
        assert "▾ Reasoning · 10 words" in view_text(screen)
        assert _shown(screen, THINK_AFTER) == "expanded"
        assert _shown(screen, THINK_FIRST) == "collapsed"
        await pilot.press("R")
        await pilot.pause()
        assert _shown(screen, THINK_AFTER) == "collapsed"

        # a click on the first answer's reasoning line expands it
        view.scroll_home(animate=False)
        await pilot.pause()
        y = _line_of(view, "▸ Reasoning · 14 words")
        assert 0 <= y < view.size.height
        await pilot.click(MessageView, offset=(GUTTER + 3, y))
        await pilot.pause()
        assert "▾ Reasoning · 14 words" in view_text(screen)
        assert _shown(screen, THINK_FIRST) == "expanded"
        assert _shown(screen, THINK_AFTER) == "collapsed"
        # the reasoning is dimmed: drawn in the view's meta style, in italics
        strips = view.export_strips()
        line = next(s for s in strips if THINK_FIRST.split(".")[0] in s.text)
        styles = [seg.style for seg in line if seg.text.strip() and seg.style is not None]
        assert styles and all(style.italic for style in styles)


async def test_namespace_tree_with_lifecycle_filters_the_view(server_url: str) -> None:
    name, assistant_id = _assistant(server_url, "subagent", delay=0.5)
    app = make_app(_settings(server_url, assistant_id))
    async with app.run_test(size=(130, 50)) as pilot:
        screen = await pick(pilot, "subagent", name)
        tree = screen.query_one(NamespaceTree)
        assert not tree.display or not tree.has_class("-active")  # no namespaces yet
        await send(pilot, "please ask")

        # both researchers show up running, each labelled with its name
        def statuses() -> list[str]:
            return [status for _path, _label, status, _error in tree.drawn]

        await wait_for(pilot, lambda: statuses() == ["running", "running"], "two running")
        assert tree.has_class("-active") and tree.display
        assert {label for _p, label, _s, _e in tree.drawn} == {"researcher"}
        nodes = tree.nodes
        lines = [str(child.label) for child in nodes.root.children]
        assert all(line.startswith("◌ researcher · running") for line in lines)

        # choose the first researcher while it streams: only its messages are shown
        await wait_for(
            pilot,
            lambda: (
                {m.text[:12] for m in screen.transcript.messages if m.ns}
                == {"Notes on his", "Notes on geo"}
            ),
            "both researchers streaming",
        )
        history = next(
            m.ns for m in screen.transcript.messages if m.text.startswith("Notes on history")
        )
        node = next(child for child in nodes.root.children if child.data == history)
        nodes.focus()
        nodes.move_cursor(node)
        await pilot.press("enter")
        view = screen.query_one(MessageView)
        await wait_for(pilot, lambda: view.branch == history, "the branch filter")
        text = view_text(screen)
        assert screen.running, "the run ended before the filter was checked"
        assert "Notes on history" in text and "Notes on geography" not in text, (
            text,
            [(m.role, m.ns, m.text) for m in screen.transcript.messages],
        )
        assert "please ask" not in text and "I will ask two researchers." not in text

        # the run stops at the history researcher's question: its mark says it waits
        await settle(pilot, screen)
        marks = {path: status for path, _label, status, _error in tree.drawn}
        assert marks[history] == "interrupted" and sorted(marks.values()) == [
            "done",
            "interrupted",
        ]
        lines = sorted(str(child.label) for child in nodes.root.children)
        assert lines[0].startswith("? researcher · waiting")
        assert lines[1].startswith("✓ researcher · done")

        # the root shows every message again
        nodes.move_cursor(nodes.root)
        await pilot.press("enter")
        await wait_for(pilot, lambda: view.branch is None, "every message")
        assert "please ask" in view_text(screen)


async def test_a_failed_subagent_is_marked_failed(server_url: str) -> None:
    name, assistant_id = _assistant(server_url, "subagent")
    app = make_app(_settings(server_url, assistant_id))
    async with app.run_test(size=(130, 40)) as pilot:
        screen = await pick(pilot, "subagent", name)
        await send(pilot, "fail")
        await settle(pilot, screen)
        tree = screen.query_one(NamespaceTree)
        await wait_for(pilot, lambda: "failed" in {s for _p, _l, s, _e in tree.drawn}, "failed")
        labels = [str(child.label) for child in tree.nodes.root.children]
        assert any(
            line.startswith("✖ researcher · failed · researcher failed") for line in labels
        ), labels


async def test_over_the_event_protocol(server_url: str) -> None:
    """The same display fed by the thread event protocol: reasoning from its ``messages``
    channel, the tool's streamed output from its ``tools`` channel, the namespaces and their
    lifecycle from its ``lifecycle`` channel (no run options needed)."""
    from bbot_tui.config.settings import Profile, Settings

    name, _ = _assistant(server_url, "reasoning", delay=0.1)
    subagent, _ = _assistant(server_url, "subagent", delay=0.2)
    profile = Profile(name="local", base_url=server_url, protocol="events")
    app = make_app(Settings(profiles={"local": profile}, active_profile="local"))
    async with app.run_test(size=(130, 60)) as pilot:
        screen = await pick(pilot, "reasoning", name)
        await send(pilot, "weather?")
        # the tools channel streams the tool's output under its call
        first = FORECAST_LINES[0].strip()
        await wait_for(pilot, lambda: f"┊ {first}" in view_text(screen), "the streamed output")
        await settle(pilot, screen)
        assert screen.status_bar.protocol == "events"
        (execution,) = screen.transcript.tools.values()
        assert execution.output == "".join(FORECAST_LINES) and execution.status == "done"
        assert _shown(screen, THINK_FIRST) == _shown(screen, THINK_AFTER) == "collapsed"
        view = screen.query_one(MessageView)
        view.focus()
        await pilot.press("R")
        await pilot.pause()
        assert _shown(screen, THINK_AFTER) == "expanded"

        await pick(pilot, "subagent", subagent)
        await send(pilot, "please ask")
        tree = screen.query_one(NamespaceTree)

        def marks() -> list[str]:
            return sorted(status for path, _label, status, _error in tree.drawn if len(path) == 1)

        await wait_for(pilot, lambda: marks() == ["running", "running"], "two running")
        await settle(pilot, screen)
        await wait_for(pilot, lambda: marks() == ["done", "interrupted"], "done and waiting")
        assert {label for path, label, _s, _e in tree.drawn if len(path) == 1} == {"researcher"}
