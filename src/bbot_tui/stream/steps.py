"""The graph nodes a run went through, for the transcript's node timeline.

:class:`NodeSteps` records when each node (per subgraph namespace) was first seen and when it
finished, from whatever the stream modes tell: token metadata (``langgraph_node``), ``updates``
(a node's write ends its step), ``tasks`` (start and result) and ``error`` (the open step
failed). It also remembers the one step known to be open, so the token path can skip the
bookkeeping while tokens keep coming from the same node.
"""

from __future__ import annotations

from bbot_tui.stream.transcript import NodeStep, Transcript

__all__ = ["NodeSteps"]


class NodeSteps:
    """Opens and closes :class:`~bbot_tui.stream.transcript.NodeStep` entries of a transcript.

    Args:
        transcript: the transcript whose ``nodes`` are kept.

    Attributes:
        open: the ``(node, ns)`` whose step is known open (its tokens skip the bookkeeping),
            or None.
    """

    __slots__ = ("_transcript", "open")

    def __init__(self, transcript: Transcript) -> None:
        self._transcript = transcript
        self.open: tuple[str | None, tuple[str, ...]] | None = None

    def begin_run(self) -> None:
        """Forget the open step (a new run starts with none)."""
        self.open = None

    def seen(self, node: str | None, ns: tuple[str, ...], step: int | None, at: float) -> None:
        """A node is running: open a step for it unless one is open already.

        Internal nodes (``__start__``, ``__interrupt__``…) and unnamed ones are ignored.
        """
        if not node or node.startswith("__"):
            return
        t = self._transcript
        for existing in reversed(t.nodes):
            if existing.node == node and existing.ns == ns and existing.ended_at is None:
                return
        t.nodes.append(NodeStep(node=node, ns=ns, step=step, started_at=at))
        t.touch_meta()

    def entered(self, node: str | None, ns: tuple[str, ...], step: int | None, at: float) -> None:
        """A token came from ``node``: open its step once, then remember it as the open one."""
        if self.open != (node, ns):
            self.seen(node, ns, step, at)
            self.open = (node, ns)

    def done(self, node: str, ns: tuple[str, ...], at: float, error: str | None = None) -> None:
        """A node finished (with ``error`` when it failed): close its open step.

        A node finished without being seen running gets a zero-length step.
        """
        self.open = None
        if node.startswith("__"):
            return
        t = self._transcript
        for existing in reversed(t.nodes):
            if existing.node == node and existing.ns == ns and existing.ended_at is None:
                existing.ended_at = at
                existing.error = error
                t.touch_meta()
                return
        t.nodes.append(NodeStep(node=node, ns=ns, started_at=at, ended_at=at, error=error))
        t.touch_meta()

    def fail_open(self, error: str, at: float) -> str | None:
        """The run failed: close the last open step with ``error``; returns its node name."""
        self.open = None
        for step in reversed(self._transcript.nodes):
            if step.ended_at is None:
                step.ended_at = at
                step.error = error
                return step.node
        return None
