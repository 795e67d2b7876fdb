"""Turns stream events into a :class:`~bbot_tui.stream.transcript.Transcript`.

:class:`Reducer` owns the transcript's updates for every stream mode of the Agent Server (what
each mode sends is in ``docs/PROTOCOL.md``, "Stream modes and tokens" and "Interrupts and
breakpoints"). It dispatches each event by mode to a handler, and owns the collaborators the
handlers share:

- the token modes have their own handlers (:mod:`.message_mode`): ``messages`` from
  ``messages-tuple`` (delta text) and ``messages/metadata|partial|complete`` from ``messages``
  (cumulative text);
- whole messages are merged by a :class:`~bbot_tui.stream.assembler.MessageAssembler`, node
  steps kept by :class:`~bbot_tui.stream.steps.NodeSteps`;
- the state modes are handled here: ``values`` (at the root, authoritative for the messages and
  their order; ``__interrupt__`` gives the pending interrupts), ``updates`` (``{node: delta}``;
  ``{"__interrupt__": []}`` is a breakpoint), ``metadata`` (the run id; a second one for the
  same run means it restarted and the in-flight preview is dropped), ``error``, ``tasks``,
  ``checkpoints`` and ``custom``; ``debug`` and ``events`` only feed the event log (and
  ``debug``, like ``tasks`` and ``updates``, the run's :class:`~bbot_tui.stream.timing.Stopwatch`);
- tool executions and the namespace tree are kept by an :class:`~bbot_tui.stream.activity.Activity`
  (:attr:`Reducer.activity`, which the thread event protocol feeds directly): every namespaced
  event, ``tasks``, ``updates``, ``custom`` tool output and the end of the run tell it here.

Besides events, the reducer reconciles the transcript with a thread's stored messages
(:meth:`Reducer.reconcile`), which is how a run's preview becomes what the server saved. It
never raises on odd payloads: what it cannot use becomes a warning.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from bbot_tui.api.events import StreamEvent
from bbot_tui.stream.activity import Activity
from bbot_tui.stream.assembler import MessageAssembler
from bbot_tui.stream.message_mode import MessagesMode, TupleMode
from bbot_tui.stream.steps import NodeSteps
from bbot_tui.stream.timing import Stopwatch
from bbot_tui.stream.transcript import (
    CLIENT_ROLES,
    Message,
    PendingInterrupt,
    Transcript,
    content_text,
    role_of,
)

__all__ = ["Reducer"]

_MAX_CUSTOM = 1000
_MAX_WARNINGS = 100
_QUIET_MODES = frozenset({"events", "message"})
"""Modes with nothing for the transcript (the event log shows them); no warning."""


class Reducer:
    """Applies stream events to a transcript.

    Args:
        transcript: the transcript to fill (a new one by default).

    Attributes:
        transcript: the transcript being filled.
        stopwatch: when the current run's nodes ran (see :mod:`bbot_tui.stream.timing`).
        activity: its tool executions and namespace tree (see :mod:`bbot_tui.stream.activity`).
    """

    def __init__(self, transcript: Transcript | None = None) -> None:
        self.transcript = t = transcript if transcript is not None else Transcript()
        self.stopwatch = Stopwatch()
        self.activity = Activity(t)
        self.envelopes: Callable[[StreamEvent], None] | None = None
        """Where an event whose data is a thread-event-protocol envelope goes (what the runs
        API's join stream replays for a run started over that protocol); set by
        :class:`~bbot_tui.stream.event_protocol.EventReducer`. None: such events are warned."""
        self._assembler = MessageAssembler(t)
        self._steps = NodeSteps(t)
        self._tuple = TupleMode(t, self._assembler, self._steps)
        self._messages = MessagesMode(t, self._assembler, self._steps)
        self._handlers: dict[str, Callable[[StreamEvent], None]] = {
            "metadata": self._on_metadata,
            "messages": self._tuple.apply,
            "messages/metadata": self._messages.apply,
            "messages/partial": self._messages.apply,
            "messages/complete": self._messages.apply,
            "values": self._on_values,
            "updates": self._on_updates,
            "error": self._on_error,
            "tasks": self._on_tasks,
            "checkpoints": self._on_checkpoints,
            "custom": self._on_custom,
            "debug": self.stopwatch.debug,
        }

    # --- runs --------------------------------------------------------------------------

    def begin_run(self, now: float | None = None) -> None:
        """Start a new run on the same transcript (its messages stay)."""
        self.transcript.begin_run(now)
        t = self.transcript
        self.stopwatch.begin([m.key for m in t.messages], t.timing.started_at or 0.0)
        self._assembler.begin_run()
        self._messages.begin_run()
        self._steps.begin_run()
        self.activity.begin_run()

    def end_run(self, now: float) -> None:
        """Mark the end of the run (timing; previews are no longer streaming)."""
        t = self.transcript
        t.timing.ended_at = now
        self.activity.end_run(t.stop)
        for message in t.messages:
            if message.streaming:
                message.streaming = False
                t.touch(message)
        t.touch_meta()

    # --- events -------------------------------------------------------------------------

    def apply_batch(self, events: Iterable[StreamEvent]) -> None:
        """Apply several events."""
        for event in events:
            self.apply(event)

    def apply(self, event: StreamEvent) -> None:
        """Apply one event; an event that cannot be used becomes a warning."""
        t = self.transcript
        if event.error is not None:
            self.warn(f"malformed {event.event or 'unnamed'} event ignored ({event.error})")
            return
        data = event.data
        envelopes = self.envelopes
        if (
            envelopes
            and type(data) is dict
            and data.get("type") == "event"
            and type(data.get("params")) is dict
            and type(data.get("method")) is str
        ):
            envelopes(event)
            return
        handler = self._handlers.get(event.mode)
        if handler is None:
            if event.mode not in _QUIET_MODES:
                self.warn(f"unknown event {event.event!r} ignored")
            return
        try:
            handler(event)
        except (TypeError, ValueError, AttributeError, KeyError, IndexError) as exc:
            self.warn(f"{event.mode} event not understood ({type(exc).__name__})")
        if event.ns and event.ns not in t.namespaces:
            self.activity.seen(event.ns)
        if t.timing.started_at is None:
            t.timing.started_at = event.received_at

    # --- what the session adds besides events ----------------------------------------------

    def warn(self, text: str) -> None:
        """Add a non-fatal problem to the transcript's warnings (the first 100 are kept)."""
        t = self.transcript
        if len(t.warnings) < _MAX_WARNINGS:
            t.warnings.append(text)
        t.touch_meta()

    def add_interrupts(self, value: Any, ns: tuple[str, ...] = ()) -> None:
        """Record pending interrupts (an ``__interrupt__`` list); an empty list is a breakpoint.

        Args:
            value: the list of ``{"id", "value", "ns"?}`` items; anything else is ignored.
            ns: the namespace of the event that carried them (used when an item has none).
        """
        t = self.transcript
        if not isinstance(value, list):
            return
        if not value:
            if t.stop is None:
                t.stop = "breakpoint"
            t.touch_meta()
            return
        for item in value:
            if not isinstance(item, dict):
                continue
            interrupt_id = item.get("id")
            item_ns = tuple(item.get("ns") or ()) or ns
            existing = next((p for p in t.interrupts if p.id == interrupt_id), None)
            if existing is not None:
                if len(item_ns) > len(existing.ns):
                    existing.ns = item_ns
                continue
            t.interrupts.append(
                PendingInterrupt(id=interrupt_id, value=item.get("value"), ns=item_ns)
            )
        t.stop = "question"
        t.touch_meta()

    def load_messages(self, messages: list[dict[str, Any]]) -> None:
        """Show a thread's stored messages (opening a thread)."""
        for raw in messages:
            if isinstance(raw, dict):
                self._assembler.upsert(raw, final=True)

    def reconcile(self, messages: list[dict[str, Any]], *, keep_unsaved: bool = False) -> None:
        """Make the transcript's messages equal the server's authoritative state.

        Streamed previews are replaced by the stored messages (ids, content, tool calls);
        the order becomes the state's. Error blocks stay. Previews the state does not have (a
        restarted node, a cancelled answer) are dropped, unless ``keep_unsaved``: after a
        cancel the server never saved the partly streamed answer, and making the text the
        user was reading vanish is worse than showing it flagged ``unsaved`` after the
        state's messages. Only this run's previews are kept: older unsaved ones go.

        Args:
            messages: the thread state's ``messages``.
            keep_unsaved: keep this run's previews the state lacks, flagged ``unsaved``.
        """
        t = self.transcript
        order: list[Message] = []
        seen: set[int] = set()
        for raw in messages:
            if not isinstance(raw, dict) or role_of(raw) == "remove":
                continue
            message = self._assembler.upsert(raw, final=True, exclude=seen)
            if message is not None and id(message) not in seen:
                seen.add(id(message))
                order.append(message)
        for message in list(t.messages):
            if id(message) in seen or message.role in CLIENT_ROLES:
                continue
            if keep_unsaved and self._assembler.from_this_run(message):
                message.streaming = message.local = False
                message.unsaved = True
                t.touch(message)
            else:
                t.remove(message)
        t.reorder(order)

    def stream_gaps(self, messages: list[dict[str, Any]]) -> int:
        """How many of this run's stored messages its stream showed wrong, or not at all.

        Read-only: the count :meth:`reconcile` would correct. A block of this run whose text
        the state differs from counts, and so does a stored message no block matches that
        comes after this run's first block (older messages a fresh transcript never showed
        come before it). Zero means the stream showed the run whole; the session reads more
        as a sign that the stream lost events (see ``docs/PROTOCOL.md``, "Resumable runs,
        rejoin and seams").

        Args:
            messages: the thread state's ``messages``.
        """
        assembler = self._assembler
        gaps = 0
        in_run = False
        seen: set[int] = set()
        for raw in messages:
            if not isinstance(raw, dict):
                continue
            message = assembler.match(raw, seen)
            if message is None:
                gaps += in_run and role_of(raw) != "remove"
                continue
            seen.add(id(message))
            if assembler.from_this_run(message):
                in_run = True
                gaps += message.text != content_text(raw.get("content"))
        return gaps

    # --- the state modes ---------------------------------------------------------------------

    def _on_metadata(self, event: StreamEvent) -> None:
        t = self.transcript
        self.stopwatch.opened(event.received_at)
        data = event.data if isinstance(event.data, dict) else {}
        run_id = data.get("run_id")
        if t.run_id is not None and run_id == t.run_id:
            # the same run started again (server restart): drop the in-flight preview
            t.restarts += 1
            for message in list(t.messages):
                if message.streaming:
                    t.remove(message)
            self.warn("the run restarted on the server; its output is streamed again")
        t.run_id = run_id or t.run_id
        t.attempt = data.get("attempt", t.attempt)
        t.touch_meta()

    def _on_values(self, event: StreamEvent) -> None:
        data = event.data
        if not isinstance(data, dict):
            return
        if "__interrupt__" in data:
            self.add_interrupts(data["__interrupt__"], event.ns)
        if event.ns:
            return  # a subgraph's state: its messages reach the root through updates/values
        messages = data.get("messages")
        if isinstance(messages, list):
            order = []
            for raw in messages:
                if isinstance(raw, dict):
                    message = self._assembler.upsert(raw, final=True)
                    if message is not None:
                        order.append(message)
            self.transcript.reorder(order)

    def _on_updates(self, event: StreamEvent) -> None:
        data = event.data
        if not isinstance(data, dict):
            return
        self.stopwatch.update(event)
        for node, delta in data.items():
            if node == "__interrupt__":
                self.add_interrupts(delta, event.ns)
                continue
            writes = delta if isinstance(delta, list) else [delta]
            for write in writes:
                if not isinstance(write, dict):
                    continue
                messages = write.get("messages")
                if isinstance(messages, dict):
                    messages = [messages]
                if isinstance(messages, list):
                    for raw in messages:
                        if isinstance(raw, dict):
                            self._assembler.upsert(raw, final=True, node=node, ns=event.ns)
            self._steps.done(node, event.ns, event.received_at)
            self.activity.node_done(event.ns, node)

    def _on_error(self, event: StreamEvent) -> None:
        t = self.transcript
        data = event.data if isinstance(event.data, dict) else {"message": str(event.data)}
        t.error = {
            "error": str(data.get("error") or "Error"),
            "message": str(data.get("message") or ""),
        }
        t.stop = "error"
        block = t.new_message(None, "error")
        block.set_text(f"{t.error['error']}: {t.error['message']}".rstrip(": "))
        failed = self._steps.fail_open(t.error["error"], event.received_at)
        if failed is not None:
            block.node = failed
        t.touch_meta()

    def _on_tasks(self, event: StreamEvent) -> None:
        data = event.data
        if not isinstance(data, dict) or not data.get("name"):
            return
        self.stopwatch.task(event)
        self.activity.task(event.ns, data)
        name = str(data["name"])
        if "result" in data or "error" in data:
            self._steps.done(name, event.ns, event.received_at, data.get("error"))
            if data.get("interrupts"):
                self.add_interrupts(data["interrupts"], event.ns)
        else:
            self._steps.seen(name, event.ns, None, event.received_at)

    def _on_checkpoints(self, event: StreamEvent) -> None:
        data = event.data
        if isinstance(data, dict) and not event.ns and isinstance(data.get("next"), list):
            self.transcript.next_nodes = [str(n) for n in data["next"]]
            self.transcript.touch_meta()

    def _on_custom(self, event: StreamEvent) -> None:
        t = self.transcript
        self.activity.custom(event.ns, event.data)
        t.custom.append((event.ns, event.data))
        if len(t.custom) > _MAX_CUSTOM:
            del t.custom[: len(t.custom) - _MAX_CUSTOM]
        t.touch_meta()
