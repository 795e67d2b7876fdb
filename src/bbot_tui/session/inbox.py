"""The inbox: every thread on the server that waits for a human, across all assistants.

A thread waits for a human when its status is ``interrupted`` **and** it has pending
interrupts (an ``interrupted`` thread without any was cancelled or stopped at a breakpoint).
:class:`Inbox` reads them with the server's thread search alone, one request per
``page_size`` threads::

    POST /threads/search {"status": "interrupted", "select": [...], "extract": {...},
                          "limit": page_size, "offset": k, "sort_by": "updated_at"}

``select`` keeps each answer small (no ``values``: a thread's whole conversation) and brings
the pending ``interrupts`` with their ids and values, so no thread is read on its own.
``extract`` (newer servers; older ones ignore it) adds the first message's text for threads
without a ``metadata.title``. Only the newest ``limit`` waiting threads are kept:
:meth:`Inbox.load_more` widens the window by a page; 10,000 waiting threads never mean 10,000
requests nor loading them all.

:meth:`Inbox.refresh` reads the window again and says whether anything changed;
:attr:`Inbox.next_delay` doubles (up to ``max_delay``) while nothing does and drops back to
``min_delay`` when something does; :meth:`Inbox.watch` loops on both.

Nothing here imports Textual.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from bbot_tui.api import errors
from bbot_tui.api.client import AgentClient, Page
from bbot_tui.api.models import Thread
from bbot_tui.session.core import RETRYABLE
from bbot_tui.session.interrupts import classify, legacy_requests, v1_actions
from bbot_tui.stream.transcript import PendingInterrupt, content_text

__all__ = ["SELECT", "Inbox", "InboxItem", "format_waited", "summarize_interrupt"]

SELECT: Final = [
    "thread_id",
    "status",
    "created_at",
    "updated_at",
    "state_updated_at",
    "metadata",
    "interrupts",
]
"""The thread fields an inbox search asks for (everything but ``values`` and ``config``)."""
_EXTRACT: Final = {"first_message": "values.messages[0].content"}
"""A title for threads without ``metadata.title``: the first message's content."""
MAX_PAGE = 1000
"""The largest page the Agent Server accepts."""


def _args_text(args: Any) -> str:
    """``to="a@b.c", body="hi"`` for a dict of arguments, compact JSON otherwise."""
    if isinstance(args, dict):
        return ", ".join(
            f"{k}={json.dumps(v, ensure_ascii=False, default=str)}" for k, v in args.items()
        )
    if args is None:
        return ""
    return json.dumps(args, ensure_ascii=False, default=str)


def summarize_interrupt(value: Any) -> str:
    """What an interrupt asks, in one line (unsanitized: the caller makes it safe to show).

    HumanInterrupt (legacy) and HITL v1 questions give their actions with arguments:
    ``send_email(to="a@b.c", body="hi")``, several joined by ``; ``; any other value is
    shown as is (a string) or as compact JSON.
    """
    shape = classify(value)
    if shape == "legacy":
        return "; ".join(f"{r.action}({_args_text(r.args)})" for r in legacy_requests(value))
    if shape == "hitl_v1":
        return "; ".join(f"{a.name}({_args_text(a.args)})" for a in v1_actions(value))
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str, separators=(", ", ": "))


def format_waited(seconds: float | None) -> str:
    """``45s``, ``12m``, ``3h 05m``, ``2d 04h``; ``?`` when unknown (the CLI and the TUI)."""
    if seconds is None:
        return "?"
    total = int(seconds)
    if total < 60:
        return f"{total}s"
    minutes, _ = divmod(total, 60)
    if minutes < 60:
        return f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h {minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours:02d}h"


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class InboxItem:
    """A thread that waits for a human.

    Attributes:
        thread_id: the thread.
        assistant_id, graph_id: who asks (from the thread's metadata; None if unknown).
        title: ``metadata.title``, else the first message's text, else "".
        interrupts: the pending interrupts (id, value, namespace).
        asks: one line per interrupt saying what it asks (:func:`summarize_interrupt`).
        waiting_since: when the thread's state last changed (ISO 8601, as the server says).
        updated_at: the thread's last change (the refresh compares it).
    """

    thread_id: str
    assistant_id: str | None
    graph_id: str | None
    title: str
    interrupts: tuple[PendingInterrupt, ...]
    asks: tuple[str, ...]
    waiting_since: str | None
    updated_at: str | None

    @classmethod
    def from_thread(cls, thread: Thread) -> InboxItem | None:
        """The item of a searched thread; None when it waits for nobody."""
        pending = thread.pending_interrupts()
        if thread.status != "interrupted" or not pending:
            return None
        meta = thread.metadata or {}
        title = thread.title
        if not title:
            extracted = (thread.model_extra or {}).get("extracted")
            if isinstance(extracted, dict):
                title = content_text(extracted.get("first_message"))
        interrupts = tuple(
            PendingInterrupt(id=i.id, value=i.value, ns=tuple(i.ns or ())) for i in pending
        )
        assistant = meta.get("assistant_id")
        graph = meta.get("graph_id")
        return cls(
            thread_id=thread.thread_id,
            assistant_id=str(assistant) if assistant else None,
            graph_id=str(graph) if graph else None,
            title=title or "",
            interrupts=interrupts,
            asks=tuple(summarize_interrupt(i.value) for i in interrupts),
            waiting_since=thread.state_updated_at or thread.updated_at,
            updated_at=thread.updated_at,
        )

    def waited(self, now: datetime | None = None) -> float | None:
        """Seconds the thread has waited (None when the server gave no time)."""
        since = _parse_time(self.waiting_since)
        if since is None:
            return None
        return max(0.0, ((now or datetime.now(UTC)) - since).total_seconds())

    def to_json(self) -> dict[str, Any]:
        """One ``bbot-tui inbox --json`` line."""
        return {
            "thread_id": self.thread_id,
            "assistant_id": self.assistant_id,
            "graph_id": self.graph_id,
            "title": self.title,
            "interrupts": [p.to_json() for p in self.interrupts],
            "asks": list(self.asks),
            "waiting_since": self.waiting_since,
        }

    @property
    def change_key(self) -> tuple[Any, ...]:
        """What a refresh compares: the thread, its last change and its interrupts' ids."""
        return (self.thread_id, self.updated_at, tuple(p.id for p in self.interrupts))


class Inbox:
    """The threads that wait for a human, newest first, refreshed with a back-off.

    Args:
        client: the profile's client.
        limit: how many waiting threads to keep (the window; :meth:`load_more` widens it).
        page_size: threads per search request (at most :data:`MAX_PAGE`).
        max_pages: search requests per refresh at most (with ``limit`` this bounds the
            requests whatever the number of threads on the server).
        min_delay, max_delay: the refresh back-off's bounds, in seconds.

    Attributes:
        items: the waiting threads, newest change first.
        has_more: the server has more interrupted threads than were read.
        next_delay: seconds until the next refresh is worth it.
        requests: search requests made so far.
        error: the last refresh's failure text (:meth:`watch` only), or None.
    """

    def __init__(
        self,
        client: AgentClient,
        *,
        limit: int = 100,
        page_size: int = 100,
        max_pages: int = 10,
        min_delay: float = 2.0,
        max_delay: float = 60.0,
    ) -> None:
        if limit < 1 or page_size < 1 or max_pages < 1:
            raise ValueError("limit, page_size and max_pages must be at least 1")
        self.client = client
        self.limit = limit
        self.page_size = min(page_size, MAX_PAGE)
        self.max_pages = max_pages
        self.min_delay = min_delay
        self.max_delay = max_delay
        self.items: list[InboxItem] = []
        self.has_more = False
        self.next_delay = min_delay
        self.requests = 0
        self.error: str | None = None
        self._signature: tuple[Any, ...] | None = None
        self._extract = True  # False once the server refused it

    async def refresh(self) -> bool:
        """Read the window again; True when it changed (the first read always does).

        Raises:
            ApiError: the search failed.
        """
        items: list[InboxItem] = []
        offset = 0
        more = False
        for _page in range(self.max_pages):
            page = await self._search(offset)
            for thread in page.items:
                item = InboxItem.from_thread(thread)
                if item is not None:
                    items.append(item)
            more = page.next_offset is not None and bool(page.items)
            if not more or len(items) >= self.limit:
                break
            assert page.next_offset is not None
            offset = page.next_offset
        self.has_more = more or len(items) > self.limit
        self.items = items[: self.limit]
        signature = (*(item.change_key for item in self.items), self.has_more)
        changed = signature != self._signature
        self._signature = signature
        self.error = None
        if changed:
            self.next_delay = self.min_delay
        else:
            self.next_delay = min(self.max_delay, self.next_delay * 2)
        return changed

    async def _search(self, offset: int) -> Page[Thread]:
        """One page; a server that refuses ``extract`` is asked again without it, once."""
        while True:
            self.requests += 1
            try:
                return await self.client.threads.search(
                    status="interrupted",
                    select=list(SELECT),
                    extract=dict(_EXTRACT) if self._extract else None,
                    limit=self.page_size,
                    offset=offset,
                    sort_by="updated_at",
                    sort_order="desc",
                )
            except (errors.BadRequest, errors.Unprocessable):
                if not self._extract:
                    raise
                self._extract = False

    async def load_more(self) -> bool:
        """Widen the window by one page and refresh; True when it changed."""
        self.limit += self.page_size
        return await self.refresh()

    async def poll(self) -> bool:
        """One step of :meth:`watch`: refresh, True when the items changed.

        A failure that a retry can heal is kept in :attr:`error` and backed off (False); any
        other is raised. The TUI runs one step per worker and waits :attr:`next_delay` on a
        timer, so that no worker of the app runs for ever.

        Raises:
            ApiError: a failure that a retry cannot heal (a rejected key, a missing route).
        """
        try:
            return await self.refresh()
        except RETRYABLE as exc:
            self.error = exc.message
            self.next_delay = min(self.max_delay, max(self.min_delay, self.next_delay * 2))
            return False

    async def watch(self) -> AsyncIterator[list[InboxItem]]:
        """Yield the items at once, then each time they change; until cancelled.

        A failure that a retry can heal is kept in :attr:`error` and backed off; any other
        is raised.
        """
        first = True
        while True:
            changed = await self.poll()
            if changed or first:
                first = False
                yield list(self.items)
            await asyncio.sleep(self.next_delay)
