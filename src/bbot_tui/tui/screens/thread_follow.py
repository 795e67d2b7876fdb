"""Live follow in the main screen: runs other clients start, on the open thread and on others.

Agents do not only run when this client sends: another client, a cron or a colleague start runs
on the same threads (docs/PROTOCOL.md, the thread stream). :class:`FollowController` keeps one
:class:`~bbot_tui.session.follow.ThreadFollower` per followed thread, each in a task of its own,
so a follow costs one connection at most.

A follow is not a Textual worker on purpose: it lasts as long as its thread is shown or marked,
and no worker of the app may run for ever (``app.workers.wait_for_complete()`` must return, as
for the inbox watcher). The controller owns the tasks: it cancels them when the thread changes,
the profile changes or the screen goes (:meth:`FollowController.stop_all`); a failure ends only
its follow, with a word in the status bar or a notification. The follows are:

* **the open thread** is followed as long as it is shown. Its follower fills the same
  transcript as the screen's :class:`~.run_controller.RunController`, so a run started
  elsewhere shows live in the message view: a note "run started by another client" with its
  assistant, its streamed messages, its end reconciled with the thread state by the same
  reconciler as the client's own runs, and its question in the interrupt card (answered as
  for an own run). The client's own runs are skipped (:meth:`RunController.started_here
  <.run_controller.RunController.started_here>`): a run never shows twice. Opening another
  thread or a new conversation, or switching profile, stops the follow (its task is
  cancelled, which closes its connection).
* **followed threads** (``f`` in the thread list; remembered per profile in
  ``Profile.followed_threads``) are followed in the background, each with a transcript of its
  own; their rows are refreshed as runs start and end.

When a followed run (open thread or background) stops on a question or a breakpoint, an
:class:`~bbot_tui.tui.messages.AttentionNeeded` ``"interrupt"`` goes to the app with what is
asked (:func:`~bbot_tui.session.inbox.summarize_interrupt`); when it ends otherwise, a
``"run_ended"`` with its length. The app's alerter decides whether to ring. A follower only
reads: it never cancels a run it did not start (Stop and Detach stay for the client's own
runs). While a run started elsewhere streams on the open thread, the composer does not send
(the server would refuse a second run); the status bar says when a follow reconnects or polls.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from bbot_tui.text import one_line

if TYPE_CHECKING:
    from textual.app import App
    from textual.notifications import SeverityLevel

    from bbot_tui.api.models import Run
    from bbot_tui.session.follow import (
        FollowNotice,
        FollowUpdate,
        RunEnded,
        RunEvents,
        RunStarted,
        ThreadFollower,
    )
    from bbot_tui.stream.transcript import Transcript
    from bbot_tui.tui.screens.app_services import AppServices
    from bbot_tui.tui.screens.run_controller import RunController
    from bbot_tui.tui.screens.thread_browser import ThreadBrowser
    from bbot_tui.tui.widgets.assistant_pane import AssistantPane
    from bbot_tui.tui.widgets.event_log import EventLog
    from bbot_tui.tui.widgets.status_bar import StatusBar
    from bbot_tui.tui.widgets.thread_pane import ThreadPane

__all__ = ["FOREIGN_NOTE", "FollowController", "FollowHost", "FollowedThread"]

FOREIGN_NOTE = "run started by another client"
"""The note above a run started elsewhere, in the open thread's conversation."""

_END_STATUS = {"success": "done", "cancelled": "stopped", "error": "error"}
"""The status bar's word for how a run ended (as for the client's own runs)."""


class FollowHost(Protocol):
    """What the follow controller uses of the screen that owns it."""

    @property
    def app(self) -> App[Any]:
        """The app (AttentionNeeded is posted to it)."""
        ...

    @property
    def services(self) -> AppServices:
        """The app: settings, active profile, client."""
        ...

    @property
    def running(self) -> bool:
        """True while the client's own run streams (its status bar fields are its own)."""
        ...

    @property
    def status_bar(self) -> StatusBar:
        """The status bar."""
        ...

    @property
    def thread_pane(self) -> ThreadPane:
        """The thread list (the followed marks)."""
        ...

    @property
    def assistant_pane(self) -> AssistantPane:
        """The assistants (a followed run's assistant is named from there)."""
        ...

    @property
    def event_log(self) -> EventLog:
        """The raw event log (the open thread's followed events go there too)."""
        ...

    def show_interrupts(self, transcript: Transcript) -> None:
        """The transcript's interrupts may have changed: update the interrupt card."""
        ...

    def sync_mode(self) -> None:
        """Set the composer's mode (and the card) from the transcript's stop."""
        ...

    def refresh_thread(self, thread_id: str) -> object:
        """Show a thread's new status in the thread list (in a worker)."""
        ...

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Show a notification."""
        ...


@dataclass(eq=False)
class FollowedThread:
    """One thread being followed, and its task.

    Attributes:
        thread_id: The thread.
        foreground: The open thread (its follower fills the shown transcript).
        transcript: The transcript the follower fills (the shown one in the foreground; None:
            a transcript of its own, loaded from the thread).
        task: The task that runs the follow (cancelled to stop it).
        follower: The follower, once the task runs.
        phase: The connection's last news: ``starting``, ``following``, ``reconnecting``,
            ``polling``, ``waiting`` or ``stopped``.
        live_run: The run started elsewhere that is going now, if any.
        title: The thread's name for alerts (from the thread list, else read once).
    """

    thread_id: str
    foreground: bool
    transcript: Transcript | None = None
    task: asyncio.Task[None] | None = None
    follower: ThreadFollower | None = None
    phase: str = "starting"
    live_run: str | None = None
    title: str = ""
    runs_seen: int = 0
    """Runs started elsewhere that this follow showed."""
    asker: tuple[str, str] | None = None
    """``(run_id, assistant_id)`` of the last run started elsewhere that stopped on a question
    or a breakpoint (the answer resumes with that assistant)."""
    _started: dict[str, float] = field(default_factory=dict)
    _assistants: dict[str, str | None] = field(default_factory=dict)
    _card_meta: int = -1

    @property
    def active(self) -> bool:
        """Whether its task is still going."""
        return self.task is not None and not self.task.done()


class FollowController:
    """The open thread's live follow and the threads followed in the background.

    Args:
        host: The screen that shows them.
        runs: The run controller (the shown transcript, and which runs are this client's).
        threads: The thread browser (the open thread, the listed titles).
    """

    def __init__(self, host: FollowHost, runs: RunController, threads: ThreadBrowser) -> None:
        self._host = host
        self._runs = runs
        self._threads = threads
        self._open: FollowedThread | None = None
        self._background: dict[str, FollowedThread] = {}
        self._notice = ""
        self.followed: list[str] = []
        """The threads followed in the background, in the order they were marked."""

    # --- what is followed -----------------------------------------------------------------

    @property
    def open_follow(self) -> FollowedThread | None:
        """The open thread's follow, if any."""
        return self._open

    @property
    def background(self) -> dict[str, FollowedThread]:
        """The followed threads' follows (not the open thread's), by thread id."""
        return dict(self._background)

    @property
    def live(self) -> bool:
        """Whether a run started elsewhere streams on the open thread now."""
        return self._open is not None and self._open.live_run is not None

    def follows(self) -> list[FollowedThread]:
        """Every follow going (the open thread's first): one connection each at most."""
        found = [self._open] if self._open is not None else []
        return [f for f in found + list(self._background.values()) if f.active]

    def is_followed(self, thread_id: str) -> bool:
        """Whether a thread is marked to be followed in the background."""
        return thread_id in self.followed

    # --- starting and stopping --------------------------------------------------------------

    def open(self, thread_id: str | None) -> None:
        """The shown thread changed: follow it (None: stop following the open thread).

        Called by the run controller once a thread is shown whole (its stored messages
        loaded, or its first run made it) and with None when its transcript is replaced.
        Calling it again for the thread already followed changes nothing.
        """
        transcript = self._runs.transcript
        current = self._open
        if (
            thread_id is not None
            and current is not None
            and current.thread_id == thread_id
            and current.transcript is transcript
            and current.active
        ):
            return
        if current is not None:
            self._stop(current)
            self._open = None
            if current.live_run is not None and not self._host.running:
                self._host.status_bar.status = "idle"
            self._show_notice("")
        if thread_id is not None and self._connected():
            self._open = self._start(FollowedThread(thread_id, True, transcript))
        self._sync_background()

    def reset(self) -> None:
        """A profile became active: stop every follow, then follow its followed threads."""
        self.stop_all()
        self._show_notice("")
        profile = self._host.services.profile
        self.followed = list(profile.followed_threads) if profile is not None else []
        self._host.thread_pane.set_followed(frozenset(self.followed))
        self._sync_background()

    def stop_all(self) -> None:
        """Stop every follow (the runs go on; nothing is cancelled on the server)."""
        if self._open is not None:
            self._stop(self._open)
            self._open = None
        for follow in self._background.values():
            self._stop(follow)
        self._background.clear()

    def toggle(self, thread_id: str) -> bool:
        """Follow a thread in the background, or stop following it (remembered per profile).

        Returns:
            Whether the thread is followed now.
        """
        title = one_line(self._threads.title(thread_id) or thread_id, 60)
        if thread_id in self.followed:
            self.followed.remove(thread_id)
            self._host.notify(f"No longer following {title!r}.", markup=False)
        else:
            self.followed.append(thread_id)
            self._host.notify(
                f"Following {title!r}: its questions and ends are announced.", markup=False
            )
        self._save()
        self._host.thread_pane.set_followed(frozenset(self.followed))
        self._sync_background()
        return thread_id in self.followed

    def _save(self) -> None:
        services = self._host.services
        profile = services.profile
        if profile is not None and profile.followed_threads != self.followed:
            profile.followed_threads = list(self.followed)
            services.save_settings()

    def _sync_background(self) -> None:
        """One background follow per followed thread, except the thread being shown."""
        shown = {self._threads.thread_id}
        if self._open is not None:
            shown.add(self._open.thread_id)
        wanted = [t for t in self.followed if t not in shown] if self._connected() else []
        for thread_id in list(self._background):
            if thread_id not in wanted:
                self._stop(self._background.pop(thread_id))
        for thread_id in wanted:
            known = self._background.get(thread_id)
            if known is None or not known.active:  # new, or ended by a failure: again
                self._background[thread_id] = self._start(FollowedThread(thread_id, False))

    def _connected(self) -> bool:
        return self._host.services.profile is not None

    def _start(self, follow: FollowedThread) -> FollowedThread:
        follow.title = self._threads.title(follow.thread_id)
        follow.task = asyncio.get_running_loop().create_task(
            self.follow(follow), name=f"follow {follow.thread_id}"
        )
        follow.task.add_done_callback(self._ended_task)
        return follow

    def _ended_task(self, task: asyncio.Task[None]) -> None:
        """A follow that failed unexpectedly says so (an ApiError is handled inside)."""
        if task.cancelled() or task.exception() is None:
            return
        error = task.exception()
        self._host.notify(
            one_line(f"{type(error).__name__}: {error}", 300),
            title="Following a thread failed",
            severity="error",
            markup=False,
        )

    @staticmethod
    def _stop(follow: FollowedThread) -> None:
        follow.phase = "stopped"
        if follow.task is not None:
            follow.task.cancel()

    # --- the follow (run in its task) ---------------------------------------------------------

    async def follow(self, follow: FollowedThread) -> None:
        """Follow one thread until its task is cancelled.

        A failure that retrying cannot heal (the thread was deleted, the key was refused)
        ends this follow with a word in the status bar or a notification; it is not an
        error of the screen.
        """
        from bbot_tui.api.errors import ApiError, NotFound
        from bbot_tui.session.follow import ThreadFollower

        try:
            follower = ThreadFollower(
                self._host.services.client,
                follow.thread_id,
                transcript=follow.transcript,
                skip=self._runs.started_here,
                load=not follow.foreground,
                # nobody watches a background thread's tokens: its runs' starts and ends
                stream_mode=None if follow.foreground else "lifecycle",
            )
            follow.follower = follower
            if not follow.title:
                follow.title = await self._read_title(follow.thread_id)
            async for update in follower.updates():
                self._update(follow, update)
        except ApiError as exc:
            follow.phase = "stopped"
            name = one_line(follow.title or follow.thread_id, 40)
            if isinstance(exc, NotFound) and not follow.foreground:
                if follow.thread_id in self.followed:
                    self.followed.remove(follow.thread_id)
                    self._save()
                    self._host.thread_pane.set_followed(frozenset(self.followed))
                self._host.notify(f"No longer following {name!r}: it is gone.", markup=False)
            elif follow.foreground:
                self._show_notice(f"not following the thread: {exc.message}")
            else:
                self._host.notify(
                    f"Stopped following {name!r}: {one_line(exc.message, 200)}",
                    severity="warning",
                    markup=False,
                )

    async def _read_title(self, thread_id: str) -> str:
        from bbot_tui.api.errors import ApiError
        from bbot_tui.session.titles import thread_label

        try:
            thread = await self._host.services.client.threads.get(thread_id)
        except ApiError:
            return ""
        return thread_label(thread)

    def _update(self, follow: FollowedThread, update: FollowUpdate) -> None:
        from bbot_tui.session.follow import RunEnded, RunEvents, RunStarted

        if isinstance(update, RunEvents):
            self._events(follow, update)
        elif isinstance(update, RunStarted):
            self._started(follow, update)
        elif isinstance(update, RunEnded):
            self._ended(follow, update)
        else:
            self._notice_of(follow, update)

    def _started(self, follow: FollowedThread, update: RunStarted) -> None:
        follow.live_run = update.run_id
        follow.runs_seen += 1
        follow._started[update.run_id] = _start_time(update.run, update.late)
        follow._assistants[update.run_id] = update.assistant_id
        self._host.refresh_thread(follow.thread_id)  # busy
        if not follow.foreground or follow.transcript is None:
            return
        host = self._host
        note = f"{FOREIGN_NOTE} · assistant {self._assistant_name(update.run)}"
        if update.late:
            note += " (already going: its start was missed)"
        follow.transcript.add_note(note)
        follow._card_meta = -1
        if not host.running:
            bar = host.status_bar
            bar.status, bar.notice = "streaming", one_line(FOREIGN_NOTE, 80)
            self._notice = bar.notice
            host.sync_mode()

    def _events(self, follow: FollowedThread, update: RunEvents) -> None:
        transcript = follow.transcript
        if not follow.foreground or transcript is None:
            return
        self._host.event_log.add_events(update.events)
        if transcript.meta_version != follow._card_meta:
            follow._card_meta = transcript.meta_version
            self._host.show_interrupts(transcript)

    def _ended(self, follow: FollowedThread, update: RunEnded) -> None:
        outcome = update.outcome
        run_id = update.run_id or ""
        started = follow._started.pop(run_id, None)
        assistant_id = follow._assistants.pop(run_id, None)
        stop = follow.follower.transcript.stop if follow.follower is not None else None
        if assistant_id and stop in ("question", "breakpoint"):
            follow.asker = (run_id, assistant_id)
        duration = max(0.0, time.time() - started) if started is not None else None
        if follow.live_run == run_id:
            follow.live_run = None
        host = self._host
        host.refresh_thread(follow.thread_id)
        if follow.foreground and follow.transcript is not None and not host.running:
            host.show_interrupts(follow.transcript)
            host.sync_mode()
            bar = host.status_bar
            bar.status = _END_STATUS.get(outcome.status, stop or "interrupted")
            if self._notice and bar.notice == self._notice:
                bar.notice = ""
            self._notice = ""
            if outcome.status == "error":
                host.notify(
                    one_line(outcome.error or "the run failed", 300),
                    title="Run started elsewhere failed",
                    severity="error",
                    markup=False,
                )
        self._attention(follow, update, duration)

    def _attention(self, follow: FollowedThread, update: RunEnded, duration: float | None) -> None:
        """Tell the app: a question waits, or the run ended (its alerter decides to ring)."""
        from bbot_tui.session.inbox import summarize_interrupt
        from bbot_tui.tui.messages import AttentionNeeded

        outcome = update.outcome
        title = one_line(self._threads.title(follow.thread_id) or follow.title, 80)
        title = title or f"thread {follow.thread_id}"
        transcript = follow.follower.transcript if follow.follower is not None else None
        if outcome.interrupts:
            asked = "; ".join(summarize_interrupt(i.value) for i in outcome.interrupts)
            message = AttentionNeeded("interrupt", follow.thread_id, title, one_line(asked, 300))
        elif transcript is not None and transcript.stop == "breakpoint":
            nodes = ", ".join(transcript.next_nodes) or "the next node"
            detail = one_line(f"paused at a breakpoint before {nodes}", 300)
            message = AttentionNeeded("interrupt", follow.thread_id, title, detail)
        else:
            detail = "the run finished"
            if outcome.status == "error":
                detail = f"the run failed: {outcome.error or update.run_status}"
            elif outcome.status == "cancelled":
                detail = "the run was stopped"
            message = AttentionNeeded(
                "run_ended", follow.thread_id, title, one_line(detail, 300), duration=duration
            )
        self._host.app.post_message(message)

    def _notice_of(self, follow: FollowedThread, update: FollowNotice) -> None:
        follow.phase = update.phase
        if not follow.foreground:
            return
        if update.phase in ("reconnecting", "polling", "waiting"):
            self._show_notice(f"following: {update.text}")
        else:  # (re)connected: back to what the bar said before
            self._show_notice(FOREIGN_NOTE if follow.live_run else "")

    def _show_notice(self, text: str) -> None:
        """Say something about the open thread's follow (never over the client's own run)."""
        bar = self._host.status_bar
        if self._host.running:
            return
        if text:
            bar.notice = self._notice = one_line(text, 80)
        elif self._notice:
            if bar.notice == self._notice:
                bar.notice = ""
            self._notice = ""

    def _assistant_name(self, run: Run) -> str:
        assistant_id = run.assistant_id or "?"
        for assistant in self._host.assistant_pane.assistants:
            if assistant.assistant_id == assistant_id:
                return one_line(assistant.label, 60)
        graph = (run.metadata or {}).get("graph_id")
        return one_line(f"{graph} ({assistant_id})" if graph else assistant_id, 60)

    def answer_assistant(self) -> str | None:
        """The assistant of the open thread's last run started elsewhere that asks a question.

        The interrupt card's answer resumes with it (the run's own graph), not with whichever
        assistant is selected; None when the question comes from the client's own run.
        """
        follow = self._open
        if follow is None or follow.asker is None:
            return None
        run_id, assistant_id = follow.asker
        transcript = self._runs.transcript
        if transcript is not follow.transcript or transcript.run_id != run_id:
            return None  # the question (if any) is from a later run
        return assistant_id


def _start_time(run: Run, late: bool) -> float:
    """When a run started, in :func:`time.time` seconds (its ``created_at`` if it was late)."""
    if late and run.created_at:
        try:
            stamp = datetime.fromisoformat(run.created_at)
        except ValueError:
            return time.time()
        if stamp.tzinfo is None:
            stamp = stamp.replace(tzinfo=UTC)
        return stamp.timestamp()
    return time.time()
