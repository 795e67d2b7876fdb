"""The app's inbox watcher: how many threads wait for a human, and which are new.

:class:`InboxWatch` is owned by the app. It keeps one :class:`~bbot_tui.session.inbox.Inbox`
per active profile (started when a profile becomes active, restarted when it changes, stopped on
exit) and polls it with the inbox's back-off: one short worker per poll (group ``inbox``), the
wait between two polls on a timer, so no worker of the app runs for ever (``wait_for_complete``
returns). After each poll it

* posts :class:`~bbot_tui.tui.messages.WaitingCount` to the app when the number of waiting
  threads changed (the status bar's badge),
* posts :class:`~bbot_tui.tui.messages.AttentionNeeded` (kind ``"interrupt"``) for each thread
  that started waiting since the last poll: not for those already waiting at the first poll,
* publishes :attr:`InboxWatch.changed` (a Textual ``Signal``) for the inbox screen, which
  shows the same :class:`Inbox` (opening it makes no requests of its own).

:meth:`InboxWatch.wake` polls at once (the inbox screen when shown, the main screen after a
run). A failure is kept in :attr:`InboxWatch.error` and retried later, never notified: the
watcher runs in the background, and the inbox screen shows the error. What the requests are is
in ``docs/PROTOCOL.md`` (the thread search).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from textual.signal import Signal

from bbot_tui.text import one_line
from bbot_tui.tui.messages import AttentionNeeded, WaitingCount

if TYPE_CHECKING:
    from textual.app import App
    from textual.timer import Timer
    from textual.worker import Worker

    from bbot_tui.api.client import AgentClient
    from bbot_tui.session.inbox import Inbox, InboxItem

__all__ = ["InboxWatch", "attention_for"]

Key = tuple[str, tuple[str | None, ...]]
"""A waiting question: the thread and its pending interrupts' ids (a new interrupt on the same
thread is a new question)."""


def _key(item: InboxItem) -> Key:
    return (item.thread_id, tuple(p.id for p in item.interrupts))


def attention_for(item: InboxItem) -> AttentionNeeded:
    """The alert for a thread that started waiting: its title (else its graph) and what it asks.

    Args:
        item: The waiting thread.

    Returns:
        The message, plain sanitized text.
    """
    title = item.title or item.graph_id or f"thread {item.thread_id[:8]}"
    return AttentionNeeded(
        kind="interrupt",
        thread_id=item.thread_id,
        title=one_line(title, 80),
        detail=one_line("; ".join(item.asks), 200),
    )


class InboxWatch:
    """Polls the active profile's inbox in the background; one per app.

    Args:
        app: The app: it runs the workers and timers and receives the messages.
        limit: How many waiting threads the inbox keeps (the newest).
        page_size: Threads per search request.
        min_delay, max_delay: The back-off's bounds, in seconds.
        now: The wall clock (tests pass a fixed one).
    """

    def __init__(
        self,
        app: App[Any],
        *,
        limit: int = 100,
        page_size: int = 100,
        min_delay: float = 2.0,
        max_delay: float = 60.0,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self.app = app
        self.limit = limit
        self.page_size = page_size
        self.min_delay = min_delay
        self.max_delay = max_delay
        self.now: Callable[[], datetime] = now or (lambda: datetime.now(UTC))
        """The clock of :attr:`checked_at` and of the waiting times the inbox screen shows."""
        self.inbox: Inbox | None = None
        """The active profile's inbox (None: no profile, or stopped)."""
        self.changed: Signal[InboxWatch] = Signal(app, "inbox-changed")
        """Published after every poll (changed or not, failed or not)."""
        self.checked_at: datetime | None = None
        """When the last poll ended (None: not yet for this profile)."""
        self.error: str | None = None
        """The last poll's failure, plain text (None: it worked)."""
        self.count: int | None = None
        """The last :class:`WaitingCount` posted (None: none yet for this profile)."""
        self.polls = 0
        """Polls done for this profile (tests wait on it)."""
        self._known: set[Key] | None = None
        self._timer: Timer | None = None
        self._worker: Worker[None] | None = None
        self._again = False

    @property
    def items(self) -> list[InboxItem]:
        """The waiting threads, newest change first (empty before the first poll)."""
        return list(self.inbox.items) if self.inbox is not None else []

    @property
    def polling(self) -> bool:
        """True while a poll is in flight."""
        return self._worker is not None and not self._worker.is_finished

    def start(self, client: AgentClient) -> None:
        """Watch a (new) profile's server from scratch: poll now, alert only for new questions.

        Args:
            client: The profile's client (the app owns and closes it).
        """
        from bbot_tui.session.inbox import Inbox

        self.stop()
        self.inbox = Inbox(
            client,
            limit=self.limit,
            page_size=self.page_size,
            min_delay=self.min_delay,
            max_delay=self.max_delay,
        )
        self._poll()

    def stop(self) -> None:
        """Stop polling and forget the profile's inbox (its count and alerts start again)."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if self._worker is not None:
            self._worker.cancel()
            self._worker = None
        self.inbox = None
        self.checked_at = None
        self.error = None
        self.count = None
        self.polls = 0
        self._known = None
        self._again = False

    def wake(self) -> None:
        """Poll now (or right after the poll in flight), whatever the back-off says."""
        if self.inbox is None:
            return
        if self.polling:
            self._again = True
            return
        self._poll()

    # --- one poll ------------------------------------------------------------------------

    def _poll(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        inbox = self.inbox
        if inbox is None:
            return
        self._again = False
        self._worker = self.app.run_worker(
            self._step(inbox), group="inbox", exclusive=True, exit_on_error=False
        )

    async def _step(self, inbox: Inbox) -> None:
        from bbot_tui.api.errors import ApiError

        try:
            changed = await inbox.poll()
        except ApiError as exc:  # a rejected key, a server without thread search: later
            inbox.error = exc.message + (f" ({exc.hint})" if exc.hint else "")
            inbox.next_delay = inbox.max_delay
            changed = False
        if inbox is not self.inbox:
            return  # the profile changed meanwhile
        self.polls += 1
        self.checked_at = self.now()
        self.error = inbox.error
        if changed:  # the first successful read always is
            self._update(inbox.items)
        self.changed.publish(self)
        if self._again:  # woken while this poll was in flight: once more, now
            self.app.call_next(self._poll)
        else:
            self._timer = self.app.set_timer(inbox.next_delay, self._poll, name="inbox-poll")

    def _update(self, items: list[InboxItem]) -> None:
        """Post the count when it changed, and an alert per question new since the last read."""
        count = len(items)
        if count != self.count:
            self.count = count
            self.app.post_message(WaitingCount(count))
        keys = {_key(item): item for item in items}
        if self._known is not None:  # the first read is what already waited: no alerts
            for key, item in keys.items():
                if key not in self._known:
                    self.app.post_message(attention_for(item))
        self._known = set(keys)
