"""The namespace tree: a run's subgraphs and subagents, with their lifecycle, as a filter.

:class:`NamespaceTree` draws ``transcript.namespaces`` (see
:class:`~bbot_tui.stream.transcript.NamespaceNode`) under an "All messages" root: each namespace
with a lifecycle mark (``◌`` running, ``✓`` done, ``✖`` failed, ``?`` waiting for an answer)
and its label (the subagent's name, or the node that runs the subgraph). It shows itself only
while the transcript's run has namespaces.

Choosing a namespace (enter or a click) posts :class:`NamespaceTree.BranchChosen` with its path;
the screen sets ``MessageView.branch`` to show only that branch's messages, and the tree's
bottom border says how many there are (a subagent's messages are not in the thread state: the
reconcile at the end of the run drops them, see ``docs/PROTOCOL.md``). Choosing the root posts
``None``: every message again. When the run's tree empties (a new run) with a branch
chosen, ``None`` is posted too.

The widget reads the transcript it is given (``tree.transcript = transcript``) a few times a
second and redraws only when the tree changed; it never changes the transcript. Textual's
``Tree`` is imported and mounted with the first namespace, not with the first frame.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.containers import Vertical
from textual.message import Message
from textual.reactive import reactive

from bbot_tui.stream.activity import within
from bbot_tui.text import one_line

if TYPE_CHECKING:
    from textual.timer import Timer
    from textual.widgets import Tree
    from textual.widgets.tree import TreeNode

    from bbot_tui.stream.transcript import NamespaceNode, NamespaceStatus, Transcript

__all__ = ["MARKS", "POLL", "NamespaceTree", "node_label"]

Path = tuple[str, ...]

MARKS: dict[NamespaceStatus, str] = {
    "running": "◌",
    "done": "✓",
    "failed": "✖",
    "interrupted": "?",
}
"""The lifecycle mark drawn before each namespace."""

POLL = 0.2
"""Seconds between two looks at the transcript's tree."""

ALL = "All messages"
"""The root's label: choosing it shows every message."""


def node_label(node: NamespaceNode) -> Text:
    """A namespace's line: its mark, its label and its status in words (and an error)."""
    text = Text(f"{MARKS.get(node.status, '·')} ", style="bold" if node.status == "running" else "")
    text.append(one_line(node.label, 40))
    status = "waiting" if node.status == "interrupted" else node.status
    text.append(f" · {status}", style="dim")
    if node.error:
        text.append(f" · {one_line(node.error, 40)}", style="dim")
    return text


class NamespaceTree(Vertical):
    """The run's namespaces as a tree; choosing one filters the message view."""

    DEFAULT_CSS = """
    NamespaceTree {
        display: none;
        height: auto;
        max-height: 14;
        border: round $primary-muted;
        border-title-color: $text-muted;
    }
    NamespaceTree:focus-within { border: round $accent; border-title-color: $accent; }
    NamespaceTree.-active { display: block; }
    NamespaceTree > Tree {
        height: auto;
        max-height: 12;
        background: transparent;
        overflow-x: hidden;
    }
    """

    BORDER_TITLE = "Subgraphs & subagents"

    transcript: reactive[Transcript | None] = reactive(None, init=False, always_update=True)
    """The transcript whose run's namespaces are shown (set by the screen)."""

    class BranchChosen(Message):
        """The user chose a namespace to see its messages only (None: every message)."""

        def __init__(self, path: Path | None) -> None:
            self.path = path
            """The namespace chosen, or None for every message."""
            super().__init__()

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._drawn: tuple[tuple[Path, str, str, str | None], ...] = ()
        self._meta = -1
        self._timer: Timer | None = None
        self._tree: Tree[Path | None] | None = None
        self._items: dict[Path, TreeNode[Path | None]] = {}
        self.chosen: Path | None = None
        """The namespace whose messages the view shows (None: all)."""

    @property
    def nodes(self) -> Tree[Path | None]:
        """The tree widget inside (made and mounted the first time it is asked for)."""
        if self._tree is None:
            from textual.widgets import Tree

            tree: Tree[Path | None] = Tree(ALL, data=None, id="namespace-nodes")
            tree.show_root = True
            tree.auto_expand = False  # choosing a namespace must not fold it
            tree.guide_depth = 2
            self._tree = tree
            self.mount(tree)
        return self._tree

    @property
    def drawn(self) -> tuple[tuple[Path, str, str, str | None], ...]:
        """What is drawn: ``(path, label, status, error)`` per namespace, in tree order."""
        return self._drawn

    def on_mount(self) -> None:
        """Look at the transcript a few times a second."""
        self._timer = self.set_interval(POLL, self.refresh_tree, name="namespace-tree")

    def watch_transcript(self) -> None:
        self._meta = -1
        self.refresh_tree()

    def refresh_tree(self) -> None:
        """Redraw the tree if the transcript's namespaces changed since the last look."""
        transcript = self.transcript
        if self.chosen is not None:
            self._count_shown()
        if not self.is_mounted or (
            transcript is not None and transcript.meta_version == self._meta
        ):
            return
        self._meta = transcript.meta_version if transcript is not None else -1
        nodes = list(transcript.namespaces.values()) if transcript is not None else []
        drawn = tuple((n.path, n.label, n.status, n.error) for n in nodes)
        if drawn == self._drawn:
            return
        self._drawn = drawn
        self.set_class(bool(nodes), "-active")
        if nodes or self._tree is not None:
            self._draw(nodes)
        if self.chosen is not None and self.chosen not in {n.path for n in nodes}:
            self.chosen = None
            self._count_shown()
            self.post_message(self.BranchChosen(None))

    def _count_shown(self) -> None:
        """Say under the tree how many messages the chosen branch shows (nothing for all)."""
        transcript, chosen = self.transcript, self.chosen
        if chosen is None or transcript is None:
            self.border_subtitle = ""
            return
        count = sum(1 for m in transcript.messages if within(m.ns, chosen))
        self.border_subtitle = f"{count} message{'s' if count != 1 else ''} shown"

    def _draw(self, nodes: list[NamespaceNode]) -> None:
        """Relabel the tree in place when only lifecycles or labels changed; else build it
        again, the cursor kept on the namespace it was on."""
        tree = self.nodes
        root = tree.root
        root.set_label(self._root_label(len(nodes)))
        if [n.path for n in nodes] == [p for p in self._items if p]:
            for node in nodes:
                self._items[node.path].set_label(node_label(node))
            return
        cursor = tree.cursor_node.data if tree.cursor_node is not None else None
        tree.clear()  # a new root, labelled like the old one
        root = tree.root
        items: dict[Path, TreeNode[Path | None]] = {(): root}
        for node in sorted(nodes, key=lambda n: len(n.path)):
            parent = items.get(node.parent, root)
            items[node.path] = parent.add(node_label(node), data=node.path, expand=True)
        for path, item in items.items():
            if path:
                item.allow_expand = bool(item.children)  # no fold mark on a leaf
        root.expand()
        self._items = {n.path: items[n.path] for n in nodes} | {(): root}
        target = items.get(cursor) if cursor is not None else None
        if target is not None:
            self.call_after_refresh(self._put_cursor, target)

    def _put_cursor(self, node: TreeNode[Path | None]) -> None:
        if self._items.get(node.data or ()) is node:
            self.nodes.move_cursor(node)

    def _root_label(self, count: int) -> Text:
        text = Text(ALL, style="bold" if self.chosen is None else "")
        text.append(f" · {count} namespace{'s' if count != 1 else ''}", style="dim")
        return text

    def on_tree_node_selected(self, event: Tree.NodeSelected[Path | None]) -> None:
        """A namespace (or the root) was chosen: post it."""
        event.stop()
        path = event.node.data
        self.chosen = path
        self.nodes.root.set_label(self._root_label(len(self._drawn)))
        self._count_shown()
        self.post_message(self.BranchChosen(path))
