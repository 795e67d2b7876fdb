"""The checkpoint tree: branches, siblings and where to run from, on the shape of history the
real server writes (checked by tests/ui/test_app_branches.py against it)."""

from __future__ import annotations

from typing import Any

from bbot_tui.api.models import ThreadState
from bbot_tui.stream.branches import CheckpointTree


def _state(cid: str, parent: str | None, ids: list[str], nxt: list[str], t: int, source: str):
    data: dict[str, Any] = {
        "values": {"messages": [{"id": i, "type": "human", "content": i} for i in ids]},
        "next": nxt,
        "checkpoint": {"checkpoint_id": cid},
        "parent_checkpoint": {"checkpoint_id": parent} if parent else None,
        "metadata": {"source": source, "step": t},
        "created_at": f"2026-01-01T00:00:{t:02d}+00:00",
    }
    return ThreadState.model_validate(data)


def _history() -> list[ThreadState]:
    """Two runs (h1, a1, h2, a2); h2 edited to h2b (fork from c2, the end of run 1); then the
    answer to h2b regenerated (a run with no input from c8: the server writes a fork
    checkpoint f9 first). The newest first, as the server answers."""
    states = [
        _state("c0", None, [], ["__start__"], 0, "input"),
        _state("c1", "c0", ["h1"], ["chat"], 1, "loop"),
        _state("c2", "c1", ["h1", "a1"], [], 2, "loop"),
        _state("c3", "c2", ["h1", "a1"], ["__start__"], 3, "input"),
        _state("c4", "c3", ["h1", "a1", "h2"], ["chat"], 4, "loop"),
        _state("c5", "c4", ["h1", "a1", "h2", "a2"], [], 5, "loop"),
        _state("c6", "c2", ["h1", "a1"], ["__start__"], 6, "input"),
        _state("c8", "c6", ["h1", "a1", "h2b"], ["chat"], 8, "loop"),
        _state("c9", "c8", ["h1", "a1", "h2b", "a2b"], [], 9, "loop"),
        _state("f9", "c8", ["h1", "a1", "h2b"], ["chat"], 10, "fork"),
        _state("c10", "f9", ["h1", "a1", "h2b", "a2c"], [], 11, "loop"),
    ]
    return list(reversed(states))


def test_tree_structure() -> None:
    tree = CheckpointTree.from_states(_history())
    assert tree.roots == ["c0"]
    assert tree.children["c2"] == ["c3", "c6"]
    assert tree.children["c8"] == ["c9", "f9"]
    assert sorted(tree.branch_points()) == ["c2", "c8"]
    assert tree.latest() == "c10"
    assert [n.checkpoint_id for n in tree.lineage("c5")] == ["c0", "c1", "c2", "c3", "c4", "c5"]


def test_siblings_and_labels() -> None:
    tree = CheckpointTree.from_states(_history())
    index, alternatives = tree.alternatives("c10", "h2b")
    assert index == 1
    assert [(a.message_id, a.head) for a in alternatives] == [("h2", "c5"), ("h2b", "c10")]
    index, alternatives = tree.alternatives("c10", "a2c")
    assert (index, [a.message_id for a in alternatives]) == (1, ["a2b", "a2c"])
    assert tree.branch_labels("c10") == {"h2b": (2, 2), "a2c": (2, 2)}
    assert tree.branch_labels("c5") == {"h2": (1, 2)}
    assert tree.branch_labels("c9") == {"h2b": (2, 2), "a2b": (1, 2)}
    assert tree.alternatives("c10", "h1") == (0, [tree.alternatives("c10", "h1")[1][0]])
    assert tree.alternatives("c10", "nope") == (0, [])


def test_switch_moves_between_branches_and_wraps() -> None:
    tree = CheckpointTree.from_states(_history())
    assert tree.switch("c10", "h2b", -1) == "c5"  # the original question's branch
    assert tree.switch("c5", "h2", 1) == "c10"  # the newest checkpoint with h2b
    assert tree.switch("c10", "a2c", 1) == "c9"  # wraps around
    assert tree.switch("c10", "h1", 1) is None  # no siblings


def test_where_a_new_branch_starts() -> None:
    tree = CheckpointTree.from_states(_history())
    # an edit runs from the end of the run before (at rest), not from the input checkpoint
    assert tree.edit_point("c10", "h2b") == "c2"
    assert tree.edit_point("c5", "h1") == "c0"  # the first message: the first checkpoint
    # a regeneration runs from the last state before the answer (its node still to run)
    assert tree.regenerate_point("c10", "a2c") == "f9"
    assert tree.regenerate_point("c5", "a2") == "c4"
    assert tree.regenerate_point("c5", "missing") is None


def test_rows_mark_the_current_branch() -> None:
    tree = CheckpointTree.from_states(_history())
    rows = tree.rows("c5")
    assert [r.node.checkpoint_id for r in rows] == [
        "c0", "c1", "c2", "c3", "c4", "c5", "c6", "c8", "c9", "f9", "c10"
    ]  # fmt: skip
    assert [r.depth for r in rows] == [0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2]
    assert [r.node.checkpoint_id for r in rows if r.current] == ["c0", "c1", "c2", "c3", "c4", "c5"]
    assert [r.node.checkpoint_id for r in rows if r.head] == ["c5"]
    assert [r.node.checkpoint_id for r in rows if r.branch_point] == ["c2", "c8"]


def test_an_unbranched_thread_has_no_labels() -> None:
    tree = CheckpointTree.from_states(_history()[-6:])  # c0..c5 only
    assert tree.branch_points() == []
    assert tree.branch_labels("c5") == {}
    assert CheckpointTree.from_states([]).latest() is None
