"""Read a thread's checkpoints for its branches (:class:`~bbot_tui.stream.branches.CheckpointTree`).

:func:`read_tree` pages through ``POST /threads/{id}/history`` (newest first, with the
``before`` cursor) up to :data:`MAX_CHECKPOINTS` and builds the tree. A thread with more
checkpoints than that gets the tree of its newest ones: the oldest branches are then not
offered. Nothing here knows a widget.
"""

from __future__ import annotations

from bbot_tui.api.client import AgentClient
from bbot_tui.api.models import ThreadState
from bbot_tui.stream.branches import CheckpointTree
from bbot_tui.stream.statediff import checkpoint_id_of

__all__ = ["HISTORY_PAGE", "MAX_CHECKPOINTS", "read_checkpoints", "read_tree"]

HISTORY_PAGE = 100
"""Checkpoints asked for per history request."""
MAX_CHECKPOINTS = 1000
"""The most checkpoints read for one tree."""


async def read_checkpoints(
    client: AgentClient, thread_id: str, *, limit: int = MAX_CHECKPOINTS
) -> list[ThreadState]:
    """The thread's checkpoints, newest first, at most ``limit``.

    Raises:
        ApiError: the history could not be read.
    """
    states: list[ThreadState] = []
    before: str | None = None
    while len(states) < limit:
        page = await client.threads.get_history(
            thread_id, limit=min(HISTORY_PAGE, limit - len(states)), before=before
        )
        states.extend(page)
        if len(page) < HISTORY_PAGE or not page:
            break
        before = checkpoint_id_of(page[-1])
        if before is None:
            break
    return states


async def read_tree(client: AgentClient, thread_id: str) -> CheckpointTree:
    """The checkpoint tree of a thread (see :func:`read_checkpoints`)."""
    return CheckpointTree.from_states(await read_checkpoints(client, thread_id))
