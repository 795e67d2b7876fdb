"""A new conversation's thread, made by its first run where the server can.

Creating the thread first costs a round trip before the first token. The Agent Server creates
the thread a run names when the run says ``if_not_exists: "create"`` (the client chooses the
thread id), copying the run's ``metadata`` onto the new thread beside ``graph_id`` and
``assistant_id`` (``docs/PROTOCOL.md``, "Threads and history"). :class:`ThreadStarter` asks for
that, and falls back where a server does not do it: a 404 (the server ignored the flag and
found no thread) or a 422 that names the flag (it does not know it) means the thread is created
first (``POST /threads`` with the same id) and the run sent again without the flag; any other
422 (B-Bot's missing entity id…) is the run's own refusal, and nothing is made for it. The
client is then remembered as one whose server needs the thread first, so the next
conversation pays no failed request. A second refusal shows the first was about something else
(an unknown assistant…): the thread made for it is deleted again and the memory undone.

Nothing here imports Textual.
"""

from __future__ import annotations

import contextlib
import weakref
from typing import Any

from bbot_tui.api import errors
from bbot_tui.api.client import AgentClient
from bbot_tui.api.models import RunCreate

__all__ = ["FLAG", "ThreadStarter", "refuses_flag"]

FLAG = "if_not_exists"
"""The run field that asks the server to create the thread."""

_THREAD_FIRST: weakref.WeakSet[AgentClient] = weakref.WeakSet()
"""Clients whose server refused ``if_not_exists: "create"``: their threads are made first."""


def refuses_flag(exc: errors.ApiError) -> bool:
    """Whether a run's refusal says the server does not create threads with runs.

    A 404 (the server ignored the flag and found no thread), or a 422 whose detail names the
    flag (a server that does not know the field). Any other refusal (a 422 about the entity,
    the input…) is the run's own, and no thread is made for it.
    """
    if isinstance(exc, errors.NotFound):
        return True
    return isinstance(exc, errors.Unprocessable) and FLAG in f"{exc.detail} {exc.body}"


class ThreadStarter:
    """Makes one new thread: with its first run, or first when the server needs that.

    Args:
        client: the profile's client.
        thread_id: the id chosen for the new thread.
        metadata: the new thread's metadata (title, assistant…).

    Attributes:
        created: whether this starter created the thread itself (the fallback), so that a
            refused run can take it back.
    """

    def __init__(self, client: AgentClient, thread_id: str, metadata: dict[str, Any]) -> None:
        self._client = client
        self.thread_id = thread_id
        self._metadata = dict(metadata)
        self.created = False
        self._asked = False
        """Whether the run in flight asks the server to create the thread."""
        self._learnt = False
        """Whether this starter's refusal taught the client to make threads first."""

    @property
    def with_run(self) -> bool:
        """Whether the thread can be created by the run (as far as this client knows)."""
        return self._client not in _THREAD_FIRST

    def body(self, body: RunCreate) -> RunCreate:
        """The first run's body: asking for the thread (its metadata beside the run's).

        The run's own metadata (its ``client_request_id``…) wins over the thread's on a
        clash; the server copies both onto the new thread.
        """
        self._asked = True
        metadata = {**self._metadata, **(body.metadata or {})}
        updates: dict[str, Any] = {"if_not_exists": "create", "metadata": metadata}
        fresh = body.model_copy(update=updates)
        fresh.__pydantic_fields_set__.update(updates)
        return fresh

    def plain(self, body: RunCreate) -> RunCreate:
        """A body that does not ask for the thread (it exists now)."""
        self._asked = False
        fresh = body.model_copy(update={"if_not_exists": None})
        fresh.__pydantic_fields_set__.discard("if_not_exists")
        return fresh

    def refused(self, exc: errors.ApiError) -> bool:
        """Whether ``exc``, the answer to the first run, says the thread must come first.

        If so, the client is remembered as one whose server needs the thread first.
        """
        if not (self._asked and not self.created and refuses_flag(exc)):
            return False  # a refusal of the run itself: posting again would not help
        _THREAD_FIRST.add(self._client)
        self._learnt = True
        return True

    async def create(self) -> None:
        """Create the thread now, before its first run.

        Raises:
            ApiError: the thread could not be created.
        """
        await self._client.threads.create(
            thread_id=self.thread_id, metadata=self._metadata, if_exists="do_nothing"
        )
        self.created = True

    async def take_back(self) -> None:
        """The run was refused even on the created thread: delete it, forget the fallback.

        The refusal was not about the flag, so the server may well create threads with runs.
        """
        if self._learnt:
            _THREAD_FIRST.discard(self._client)
            self._learnt = False
        if self.created:
            self.created = False
            with contextlib.suppress(errors.ApiError):
                await self._client.threads.delete(self.thread_id)
