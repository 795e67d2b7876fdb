"""The namespace tree and the message view's branch filter, on hand-made transcripts (no server;
the flows against the real server are in ``test_app_activity.py``)."""

from __future__ import annotations

from typing import Any

from textual.app import App, ComposeResult

from bbot_tui.stream.activity import Activity
from bbot_tui.stream.transcript import Transcript
from bbot_tui.tui.resources import stylesheet
from bbot_tui.tui.widgets.message_view import MessageView
from bbot_tui.tui.widgets.namespace_tree import NamespaceTree

A = ("tools:a",)
B = ("tools:b",)


class TreeApp(App[None]):
    CSS_PATH = [stylesheet("message_view.tcss")]

    def __init__(self) -> None:
        super().__init__()
        self.chosen: list[tuple[str, ...] | None] = []

    def compose(self) -> ComposeResult:
        yield NamespaceTree(id="namespace-tree")
        yield MessageView(id="message-view")

    def on_namespace_tree_branch_chosen(self, message: NamespaceTree.BranchChosen) -> None:
        self.chosen.append(message.path)
        self.query_one(MessageView).branch = message.path


def _transcript() -> Transcript:
    t = Transcript()
    t.add_user_message("question", "h1")
    for key, ns, text in (("a1", A, "from A"), ("b1", B, "from B"), ("r1", (), "the answer")):
        message = t.new_message(key, "ai", ns=ns)
        message.set_text(text)
    activity = Activity(t)
    activity.namespace_started(A, label="researcher")
    activity.namespace_started(B, label="reviewer")
    activity.seen((*B, "inner:1"))
    activity.namespace_ended(A, "done")
    activity.namespace_ended((*B, "inner:1"), "failed", "boom")
    return t


def _text(view: MessageView) -> str:
    return "\n".join(strip.text for strip in view.export_strips())


async def _wait(pilot: Any, condition: Any) -> None:
    for _ in range(100):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError("gave up waiting")


async def test_the_tree_shows_the_lifecycle_and_filters_the_view() -> None:
    app = TreeApp()
    async with app.run_test(size=(100, 40)) as pilot:
        tree = app.query_one(NamespaceTree)
        view = app.query_one(MessageView)
        assert not tree.has_class("-active") and tree.drawn == ()
        transcript = _transcript()
        view.transcript = tree.transcript = transcript
        await pilot.pause()
        assert tree.has_class("-active")
        nodes = tree.nodes
        labels = [str(child.label) for child in nodes.root.children]
        assert labels == ["✓ researcher · done", "◌ reviewer · running"]
        (inner,) = nodes.root.children[1].children
        assert str(inner.label) == "✖ inner · failed · boom"
        assert not inner.allow_expand and nodes.root.children[1].allow_expand

        # choose B: its messages and those inside it only
        nodes.focus()
        nodes.move_cursor(nodes.root.children[1])
        await pilot.press("enter")
        await _wait(pilot, lambda: view.branch == B)
        assert app.chosen == [B] and tree.border_subtitle == "1 message shown"
        text = _text(view)
        assert "from B" in text and "from A" not in text and "the answer" not in text
        # the lifecycle changes in place, the cursor stays
        Activity(transcript).namespace_ended(B, "interrupted")
        await _wait(pilot, lambda: "? reviewer · waiting" in str(nodes.root.children[1].label))
        assert nodes.cursor_node is not None and nodes.cursor_node.data == B

        # the root: every message again
        nodes.move_cursor(nodes.root)
        await pilot.press("enter")
        await _wait(pilot, lambda: view.branch is None)
        assert all(part in _text(view) for part in ("from A", "from B", "the answer"))
        assert tree.border_subtitle == ""

        # a new run empties the tree: a chosen branch is dropped, the tree hides
        nodes.move_cursor(nodes.root.children[0])
        await pilot.press("enter")
        await _wait(pilot, lambda: view.branch == A)
        transcript.begin_run()
        await _wait(pilot, lambda: view.branch is None)
        assert app.chosen == [B, None, A, None]
        assert not tree.has_class("-active") and tree.drawn == ()
