"""Branches of the open thread: edit and resend, regenerate, move between siblings.

:class:`BranchController` keeps the open thread's
:class:`~bbot_tui.stream.branches.CheckpointTree` (read from the server's history by
:mod:`bbot_tui.session.branches`) and the **head**: the checkpoint whose messages are shown
(None: the thread's newest, what the server runs from by default).

* **Edit and resend** (``e`` on a human message): the message goes back into the composer;
  Enter runs the new text from the checkpoint just before it (a run with ``checkpoint_id``:
  the server writes a new branch and keeps the old one).
* **Regenerate** (``r`` on an AI message): a run with no input from the checkpoint just
  before it.
* **Move between branches** (``<``/``>`` on a message with siblings): the view then shows the
  messages of the other branch's newest checkpoint, read from the server; a message sent there
  continues that branch (it runs from the shown checkpoint).
* The message view labels each message that has siblings ("branch 2/3").

Nothing is kept on the client: everything is read back from the checkpoints. The tree is read
after a thread is opened and after each run, unless the thread is long
(:data:`AUTO_TREE_MESSAGES`): then only when a branch action asks for it. The controller is not a
widget; it reaches the screen through :class:`BranchHost` and runs its reads in the screen's
workers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from collections.abc import Coroutine

    from textual.notifications import SeverityLevel
    from textual.worker import Worker

    from bbot_tui.stream.branches import CheckpointTree
    from bbot_tui.stream.transcript import Message
    from bbot_tui.tui.screens.app_services import AppServices
    from bbot_tui.tui.screens.run_controller import RunController, RunPlan
    from bbot_tui.tui.screens.thread_browser import ThreadBrowser
    from bbot_tui.tui.widgets.composer import Composer

__all__ = ["AUTO_TREE_MESSAGES", "BranchController", "BranchHost", "PendingEdit"]

AUTO_TREE_MESSAGES = 300
"""Up to this many messages, the tree is read after every open and run (each checkpoint of the
history carries the whole state: a long thread's history is read only when asked for)."""
AUTO_CHECKPOINTS = 60
"""The newest checkpoints read after an open or a run (enough for the branches made lately);
a branch action reads the whole history (up to ``session.branches.MAX_CHECKPOINTS``)."""


@dataclass(frozen=True)
class PendingEdit:
    """A human message being edited in the composer.

    Attributes:
        message_id: The message's id on the server.
        checkpoint_id: The checkpoint the edited text runs from.
    """

    message_id: str
    checkpoint_id: str


class BranchHost(Protocol):
    """What the branch controller uses of the screen that owns it."""

    @property
    def services(self) -> AppServices:
        """The app: settings, active profile, client."""
        ...

    @property
    def threads(self) -> ThreadBrowser:
        """The open thread."""
        ...

    @property
    def runs(self) -> RunController:
        """The transcript and run session of the open thread."""
        ...

    @property
    def running(self) -> bool:
        """True while a run streams."""
        ...

    @property
    def composer(self) -> Composer:
        """The composer (an edited message goes there)."""
        ...

    def show_branch_labels(self, labels: dict[str, str]) -> None:
        """Label messages (by transcript key) in the message view."""
        ...

    def run_flow(self, plan: RunPlan) -> object:
        """Start a run plan in the run worker."""
        ...

    def run_worker(
        self, work: Coroutine[Any, Any, Any], *, group: str, exit_on_error: bool
    ) -> Worker[Any]:
        """Run a coroutine in a worker of the screen."""
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


class BranchController:
    """The open thread's branches (see the module docstring).

    Args:
        host: The screen.
    """

    def __init__(self, host: BranchHost) -> None:
        self._host = host
        self.tree: CheckpointTree | None = None
        """The open thread's checkpoints, as last read (None: not read)."""
        self.head: str | None = None
        """The checkpoint shown when it is not the newest (None: the newest)."""
        self.editing: PendingEdit | None = None
        """The human message being edited in the composer, if any."""
        self._tree_thread: str | None = None
        self._whole = False
        """Whether :attr:`tree` holds the whole history (not only the newest checkpoints)."""

    # --- the tree -------------------------------------------------------------------------------

    def forget(self) -> None:
        """Another thread (or none) is open: drop the tree, the head and a pending edit."""
        self.tree, self.head, self._tree_thread = None, None, None
        self.cancel_edit()
        self._host.show_branch_labels({})

    def refresh_later(self) -> None:
        """Read the tree again in a worker (after an open or a run), when the thread is short."""
        if len(self._host.runs.transcript.messages) > AUTO_TREE_MESSAGES:
            self.tree = None
            return
        if self._host.threads.thread_id is not None:
            self._host.run_worker(self._refresh_quietly(), group="branches", exit_on_error=False)

    async def _refresh_quietly(self) -> None:
        """:meth:`refresh` in the background: a server without a history (or one that fails
        to answer) only means no labels; a branch action asks again and says why."""
        from bbot_tui.api.errors import ApiError

        try:
            await self.refresh(limit=AUTO_CHECKPOINTS)
        except ApiError:
            self.tree = None

    async def refresh(self, *, limit: int | None = None) -> CheckpointTree | None:
        """Read the open thread's tree and label the messages that have siblings.

        Args:
            limit: Read only this many of the newest checkpoints (None: the whole history).
        """
        from bbot_tui.session.branches import MAX_CHECKPOINTS, read_checkpoints
        from bbot_tui.stream.branches import CheckpointTree

        thread_id = self._host.threads.thread_id
        if thread_id is None:
            self.forget()
            return None
        states = await read_checkpoints(
            self._host.services.client, thread_id, limit=limit or MAX_CHECKPOINTS
        )
        if self._host.threads.thread_id != thread_id:
            return None  # another thread was opened meanwhile
        tree = CheckpointTree.from_states(states)
        self._whole = limit is None or len(states) < limit
        self.tree, self._tree_thread = tree, thread_id
        if self.head is not None and self.head not in tree.nodes:
            self.head = None
        self.label()
        return tree

    def current_head(self) -> str | None:
        """The checkpoint shown (the head, else the newest)."""
        if self.tree is None:
            return None
        return self.head or self.tree.latest()

    def label(self) -> None:
        """Label the transcript's messages that have siblings ("branch 2/3")."""
        head = self.current_head()
        if self.tree is None or head is None:
            self._host.show_branch_labels({})
            return
        labels = self.tree.branch_labels(head)
        shown: dict[str, str] = {}
        for message in self._host.runs.transcript.messages:
            if message.id in labels:
                index, total = labels[message.id]
                shown[message.key] = f"branch {index}/{total} · < >"
        self._host.show_branch_labels(shown)

    async def _tree(self) -> CheckpointTree | None:
        thread_id = self._host.threads.thread_id
        if self.tree is None or self._tree_thread != thread_id or not self._whole:
            return await self.refresh()
        return self.tree

    def _message(self, key: str, role: str) -> Message | None:
        message = self._host.runs.transcript.get(key)
        if message is None or message.role != role or message.id is None:
            return None
        return message

    def _idle(self) -> bool:
        if self._host.running:
            self._host.notify("A run is streaming: stop it first (Esc).", severity="warning")
            return False
        if self._host.threads.thread_id is None:
            self._host.notify("Send a message first.", severity="warning")
            return False
        return True

    # --- moving between branches ------------------------------------------------------------

    def move(self, key: str, delta: int) -> None:
        """Show the sibling ``delta`` steps from the message ``key`` (its branch's newest)."""
        if self._idle():
            self._host.run_worker(self._move(key, delta), group="branches", exit_on_error=False)

    async def _move(self, key: str, delta: int) -> None:
        host = self._host
        tree = await self._tree()
        message = host.runs.transcript.get(key)
        head = self.current_head()
        if tree is None or head is None or message is None or message.id is None:
            return
        target = tree.switch(head, message.id, delta)
        if target is None:
            host.notify("This message has no other branch.", severity="warning")
            return
        await self.show(target)

    async def show(self, head: str) -> None:
        """Show the messages of checkpoint ``head`` (read from the server)."""
        host = self._host
        thread_id = host.threads.thread_id
        if thread_id is None:
            return
        state = await host.services.client.threads.get_state(thread_id, checkpoint_id=head)
        tree = self.tree
        latest = tree.latest() if tree is not None else None
        self.head = None if head == latest else head
        runs = host.runs
        runs.install(thread_id)
        assert runs.session is not None
        runs.session.reducer.load_messages(state.messages)
        self.label()

    # --- edit and regenerate ---------------------------------------------------------------------

    def edit(self, key: str) -> None:
        """Put a human message in the composer; Enter then sends it as a new branch."""
        if self._idle():
            self._host.run_worker(self._edit(key), group="branches", exit_on_error=False)

    async def _edit(self, key: str) -> None:
        host = self._host
        message = self._message(key, "human")
        tree = await self._tree()
        head = self.current_head()
        if message is None or tree is None or head is None or message.id is None:
            host.notify("Pick one of your messages to edit ([ and ] select).", severity="warning")
            return
        point = tree.edit_point(head, message.id)
        if point is None:
            host.notify("The checkpoint before this message is not known.", severity="warning")
            return
        self.editing = PendingEdit(message.id, point)
        composer = host.composer
        composer.load_text(message.text)
        composer.editing = True
        composer.move_cursor(composer.document.end)
        composer.focus()

    def cancel_edit(self) -> None:
        """Leave the edit: the composer sends plain messages again."""
        if self.editing is not None:
            self.editing = None
            self._host.composer.editing = False

    def send_edit(self, text: str) -> bool:
        """Send the edited message as a new branch (True when an edit was pending)."""
        edit = self.editing
        if edit is None:
            return False
        self.cancel_edit()
        self._host.run_worker(
            self._fork(edit.checkpoint_id, text), group="branches", exit_on_error=False
        )
        return True

    def regenerate(self, key: str) -> None:
        """Write an AI answer again, as a new branch (the old one stays on the server)."""
        if self._idle():
            self._host.run_worker(self._regenerate(key), group="branches", exit_on_error=False)

    async def _regenerate(self, key: str) -> None:
        host = self._host
        message = self._message(key, "ai")
        tree = await self._tree()
        head = self.current_head()
        if message is None or tree is None or head is None or message.id is None:
            host.notify("Pick an answer to regenerate ([ and ] select).", severity="warning")
            return
        point = tree.regenerate_point(head, message.id)
        if point is None:
            host.notify("The checkpoint before this answer is not known.", severity="warning")
            return
        await self._fork(point, None)

    async def _fork(self, checkpoint_id: str, text: str | None) -> None:
        """Show the state at ``checkpoint_id``, then run from it (the new branch)."""
        from bbot_tui.tui.screens.run_controller import RunPlan

        await self.show(checkpoint_id)
        self.head = None  # the run's branch becomes the newest
        if text is None:
            self._host.run_flow(RunPlan("rerun", checkpoint_id=checkpoint_id))
        else:
            self._host.run_flow(RunPlan("send", text=text, checkpoint_id=checkpoint_id))

    def plan_checkpoint(self) -> str | None:
        """The checkpoint a new message runs from: the head when another branch is shown."""
        head = self.head
        self.head = None
        return head
