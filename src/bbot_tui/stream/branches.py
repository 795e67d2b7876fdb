"""Branches of a thread, from the server's own checkpoints: the tree, siblings, where to run from.

A run with ``checkpoint_id`` on a thread starts from that checkpoint: the server writes the new
checkpoints as children of it, next to the ones already there, and keeps both. Editing a human
message (a run with the new input from the checkpoint before it) and regenerating an AI
answer (a run with no input from the checkpoint before it) so make a new branch, and nothing
is kept on the client: :class:`CheckpointTree` reads it all back from the thread's history.

* The **tree**: each checkpoint's parent (``parent_checkpoint``) and children, ordered as
  written; a checkpoint with two children is where the thread branched.
* The **head**: the checkpoint whose messages are shown (the newest one, unless the user moved
  to another branch).
* **Siblings**: messages at the same place of the conversation after the same earlier messages,
  on different branches. :meth:`CheckpointTree.alternatives` lists them for a message of the
  head (oldest first, so the original is ``1/n``) with, for each, the newest checkpoint of its
  branch: the head to show when the user moves to it.
* **Where to run from**: :meth:`CheckpointTree.edit_point` (the state just before a human
  message, at rest if possible) and :meth:`CheckpointTree.regenerate_point` (the state just
  before an AI message, with the node that wrote it still to run).

Messages are told apart by their ids (the server gives every message one). Plain data, no I/O;
:mod:`bbot_tui.session.branches` reads the history.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from bbot_tui.api.models import ThreadState
from bbot_tui.stream.statediff import checkpoint_id_of

__all__ = ["Alternative", "CheckpointTree", "Node", "TreeRow"]


@dataclass(frozen=True, slots=True)
class Node:
    """One checkpoint, as the tree needs it.

    Attributes:
        checkpoint_id: Its id.
        parent_id: Its parent's id (None for the first checkpoint, or a parent not read).
        message_ids: The ids of the messages in its state, in order.
        next: The nodes that would run next (empty: the graph was at rest).
        created_at: When it was written (ISO 8601, as the server sent it).
        step: The superstep.
        source: ``input``, ``loop``, ``update`` or ``fork``.
        order: Its place in the order of writing (0: the oldest read).
    """

    checkpoint_id: str
    parent_id: str | None
    message_ids: tuple[str, ...]
    next: tuple[str, ...]
    created_at: str
    step: int | None
    source: str
    order: int


@dataclass(frozen=True, slots=True)
class Alternative:
    """One of the messages at the same place on different branches.

    Attributes:
        message_id: The message.
        head: The newest checkpoint of its branch (what to show when moving to it).
    """

    message_id: str
    head: str


@dataclass(frozen=True, slots=True)
class TreeRow:
    """One line of the checkpoint tree as the history screen lists it.

    Attributes:
        node: The checkpoint.
        depth: How many branch points lie above it (indentation).
        current: Whether it is on the branch shown (the head and its ancestors).
        head: Whether it is the head.
        branch_point: Whether the thread branched here (two or more children).
    """

    node: Node
    depth: int
    current: bool
    head: bool
    branch_point: bool


def _message_ids(state: ThreadState) -> tuple[str, ...]:
    ids = []
    for index, message in enumerate(state.messages):
        message_id = message.get("id")
        ids.append(message_id if isinstance(message_id, str) and message_id else f"#{index}")
    return tuple(ids)


@dataclass
class CheckpointTree:
    """The checkpoints of one thread as a tree (see the module docstring).

    Build it with :meth:`from_states`.
    """

    nodes: dict[str, Node] = field(default_factory=dict)
    children: dict[str, list[str]] = field(default_factory=dict)
    roots: list[str] = field(default_factory=list)

    @classmethod
    def from_states(cls, states: Iterable[ThreadState]) -> CheckpointTree:
        """The tree of the given checkpoints (the history, in any order)."""
        found: list[tuple[str, str, ThreadState]] = []
        for state in states:
            checkpoint_id = checkpoint_id_of(state)
            if checkpoint_id:
                found.append((state.created_at or "", checkpoint_id, state))
        found.sort(key=lambda item: (item[0], item[1]))  # checkpoint ids grow with time too
        tree = cls()
        for order, (created_at, checkpoint_id, state) in enumerate(found):
            if checkpoint_id in tree.nodes:
                continue
            parent = state.parent_checkpoint_id or (
                state.parent_checkpoint.checkpoint_id if state.parent_checkpoint else None
            )
            metadata = state.metadata or {}
            step = metadata.get("step")
            tree.nodes[checkpoint_id] = Node(
                checkpoint_id,
                parent,
                _message_ids(state),
                tuple(state.next),
                created_at,
                step if isinstance(step, int) else None,
                str(metadata.get("source") or ""),
                order,
            )
        for node in sorted(tree.nodes.values(), key=lambda n: n.order):
            if node.parent_id is not None and node.parent_id in tree.nodes:
                tree.children.setdefault(node.parent_id, []).append(node.checkpoint_id)
            else:
                tree.roots.append(node.checkpoint_id)
        return tree

    # --- reading the tree -----------------------------------------------------------------------

    def latest(self) -> str | None:
        """The newest checkpoint (the thread's current state on the server)."""
        if not self.nodes:
            return None
        return max(self.nodes.values(), key=lambda n: n.order).checkpoint_id

    def lineage(self, head: str) -> list[Node]:
        """The checkpoints from the first one down to ``head`` (empty if it is unknown)."""
        out: list[Node] = []
        seen: set[str] = set()
        current: str | None = head
        while current is not None and current in self.nodes and current not in seen:
            seen.add(current)
            node = self.nodes[current]
            out.append(node)
            current = node.parent_id
        out.reverse()
        return out

    def descendants(self, checkpoint_id: str) -> list[Node]:
        """``checkpoint_id`` and every checkpoint below it."""
        out: list[Node] = []
        stack = [checkpoint_id]
        while stack:
            current = stack.pop()
            node = self.nodes.get(current)
            if node is None:
                continue
            out.append(node)
            stack.extend(self.children.get(current, ()))
        return out

    def branch_points(self) -> list[str]:
        """The checkpoints with two or more children."""
        return [cid for cid, kids in self.children.items() if len(kids) > 1]

    def rows(self, head: str | None) -> list[TreeRow]:
        """Every checkpoint in tree order (a branch's checkpoints after their parent, the
        branches of a branch point one level deeper), marking the head's branch."""
        current = {n.checkpoint_id for n in self.lineage(head)} if head else set()
        out: list[TreeRow] = []
        stack: list[tuple[str, int]] = [(root, 0) for root in reversed(self.roots)]
        while stack:
            checkpoint_id, depth = stack.pop()
            node = self.nodes[checkpoint_id]
            kids = self.children.get(checkpoint_id, [])
            out.append(
                TreeRow(node, depth, checkpoint_id in current, checkpoint_id == head, len(kids) > 1)
            )
            inner = depth + 1 if len(kids) > 1 else depth
            stack.extend((kid, inner) for kid in reversed(kids))
        return out

    # --- siblings -------------------------------------------------------------------------------

    def alternatives(self, head: str, message_id: str) -> tuple[int, list[Alternative]]:
        """The messages at the place of ``message_id`` in the head's conversation, on every branch.

        Args:
            head: The checkpoint shown.
            message_id: One of its messages.

        Returns:
            The index of ``message_id`` among them, and the alternatives, oldest first (one:
            the message has no siblings). ``(0, [])`` when the message is not the head's.
        """
        node = self.nodes.get(head)
        if node is None or message_id not in node.message_ids:
            return 0, []
        slot = node.message_ids.index(message_id)
        prefix = node.message_ids[:slot]
        lineage = self.lineage(head)
        top = self._stretch(lineage, slot, prefix)
        newest: dict[str, Node] = {}
        first: dict[str, int] = {}
        for other in self.descendants(top.checkpoint_id):
            ids = other.message_ids
            if len(ids) <= slot or ids[:slot] != prefix:
                continue
            alt = ids[slot]
            if alt not in newest or other.order > newest[alt].order:
                newest[alt] = other
            first[alt] = min(first.get(alt, other.order), other.order)
        if message_id not in newest:  # the head itself is always one
            newest[message_id] = node
            first[message_id] = node.order
        ordered = sorted(newest, key=lambda alt: first[alt])
        # the message shown keeps the head shown: moving back to it returns here
        alternatives = [
            Alternative(alt, head if alt == message_id else newest[alt].checkpoint_id)
            for alt in ordered
        ]
        return ordered.index(message_id), alternatives

    def branch_labels(self, head: str) -> dict[str, tuple[int, int]]:
        """``{message id: (its number from 1, how many siblings)}`` for the head's messages
        that have siblings."""
        node = self.nodes.get(head)
        if node is None:
            return {}
        ids = node.message_ids
        slots: set[int] = set()
        # a sibling is written on another child of a branch point of the head's lineage:
        # where that child's newest state first differs from the head's is the place
        for ancestor in self.lineage(head):
            kids = self.children.get(ancestor.checkpoint_id, [])
            if len(kids) < 2:
                continue
            for kid in kids:
                other = max(self.descendants(kid), key=lambda n: n.order).message_ids
                slot = _first_difference(ids, other)
                if slot < len(ids) and slot < len(other):
                    slots.add(slot)
        labels: dict[str, tuple[int, int]] = {}
        for slot in sorted(slots):
            index, alternatives = self.alternatives(head, ids[slot])
            if len(alternatives) > 1:
                labels[ids[slot]] = (index + 1, len(alternatives))
        return labels

    def switch(self, head: str, message_id: str, delta: int) -> str | None:
        """The head to show for the sibling ``delta`` steps from ``message_id`` (wrapping), or
        None when it has no siblings."""
        index, alternatives = self.alternatives(head, message_id)
        if len(alternatives) < 2:
            return None
        return alternatives[(index + delta) % len(alternatives)].head

    # --- where a new branch starts ----------------------------------------------------------

    def edit_point(self, head: str, message_id: str) -> str | None:
        """The checkpoint to run an edited ``message_id`` from: the state just before it.

        Of the checkpoints that hold exactly the messages before it, the first one where the
        graph was at rest (the end of the run before), else the first one.
        """
        stretch = self._before(head, message_id)
        if not stretch:
            return None
        at_rest = [n for n in stretch if not n.next]
        return (at_rest or stretch)[0].checkpoint_id

    def regenerate_point(self, head: str, message_id: str) -> str | None:
        """The checkpoint to re-run from to write ``message_id`` again: the last state before
        it (the node that wrote it is still to run there)."""
        stretch = self._before(head, message_id)
        return stretch[-1].checkpoint_id if stretch else None

    def _before(self, head: str, message_id: str) -> list[Node]:
        """The head's ancestors that hold exactly the messages before ``message_id``."""
        node = self.nodes.get(head)
        if node is None or message_id not in node.message_ids:
            return []
        slot = node.message_ids.index(message_id)
        prefix = node.message_ids[:slot]
        return [n for n in self.lineage(head) if n.message_ids == prefix]

    @staticmethod
    def _stretch(lineage: list[Node], slot: int, prefix: tuple[str, ...]) -> Node:
        """Where the branches of the message at ``slot`` can start: the first checkpoint of
        the lineage holding exactly ``prefix`` (else the first one holding the message)."""
        for node in lineage:
            if node.message_ids == prefix:
                return node
        for node in lineage:
            if len(node.message_ids) > slot and node.message_ids[:slot] == prefix:
                return node
        return lineage[-1]


def _first_difference(left: tuple[str, ...], right: tuple[str, ...]) -> int:
    """The first index where two id lists differ (the shorter length when one extends the
    other)."""
    size = min(len(left), len(right))
    if left[:size] == right[:size]:
        return size
    low, high = 0, size  # the prefixes up to ``low`` agree, those up to ``high`` do not
    while high - low > 1:
        middle = (low + high) // 2
        if left[:middle] == right[:middle]:
            low = middle
        else:
            high = middle
    return low
