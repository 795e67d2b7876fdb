"""Turns stream events into a :class:`~bbot_tui.stream.transcript.Transcript`.

Every stream mode of the Agent Server is handled (docs/PROTOCOL.md, "Stream modes and tokens"):

- ``messages`` from ``messages-tuple``: ``[chunk, metadata]``, delta text appended by message
  id, ``tool_call_chunks`` assembled by index; node, step and namespace from the metadata.
- ``messages/metadata|partial|complete`` from ``messages``: **cumulative** text (B-Bot sends
  "Hello", "Hello!", "Hello! How"): replaced, never appended.
- ``values``: the whole state; at the root it is authoritative for the messages and their
  order; ``__interrupt__`` gives the pending interrupts.
- ``updates``: ``{node: delta}``; ``{"__interrupt__": []}`` is a breakpoint.
- ``metadata`` (run id; a second one for the same run means it restarted: the in-flight
  preview is dropped), ``error``, ``tasks``, ``checkpoints``, ``custom``; ``debug`` and
  ``events`` only feed the event log.

The reducer never raises on odd payloads: what it cannot use becomes a warning.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from bbot_tui.api.events import StreamEvent
from bbot_tui.stream.message_mode import MessageModes
from bbot_tui.stream.transcript import Message, role_of

__all__ = ["Reducer"]

_MAX_CUSTOM = 1000


class Reducer(MessageModes):
    """Applies stream events to a transcript.

    Args:
        transcript: the transcript to fill (a new one by default).
    """

    # --- public API ----------------------------------------------------------------------

    def begin_run(self, now: float | None = None) -> None:
        """Start a new run on the same transcript."""
        self.transcript.begin_run(now)
        self._run_message_keys = set()
        self._meta = {}
        self._open_node = None

    def apply_batch(self, events: Iterable[StreamEvent]) -> None:
        """Apply several events."""
        for event in events:
            self.apply(event)

    def apply(self, event: StreamEvent) -> None:
        """Apply one event."""
        t = self.transcript
        if event.error is not None:
            self._warn(f"malformed {event.event or 'unnamed'} event ignored ({event.error})")
            return
        handler = _HANDLERS.get(event.mode)
        if handler is None:
            if event.mode not in ("events", "debug", "message"):
                self._warn(f"unknown event {event.event!r} ignored")
            return
        try:
            handler(self, event)
        except (TypeError, ValueError, AttributeError, KeyError, IndexError) as exc:
            self._warn(f"{event.mode} event not understood ({type(exc).__name__})")
        if t.timing.started_at is None:
            t.timing.started_at = event.received_at

    def load_messages(self, messages: list[dict[str, Any]]) -> None:
        """Show a thread's stored messages (opening a thread)."""
        for raw in messages:
            if isinstance(raw, dict):
                self._upsert(raw, final=True)

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
            message = self._upsert(raw, final=True, exclude=seen)
            if message is not None and id(message) not in seen:
                seen.add(id(message))
                order.append(message)
        for message in list(t.messages):
            if id(message) in seen or message.role == "error":
                continue
            if keep_unsaved and self._from_this_run(message):
                message.streaming = message.local = False
                message.unsaved = True
                t.touch(message)
            else:
                t.remove(message)
        t.reorder(order)

    def _from_this_run(self, message: Message) -> bool:
        """Whether the current run streamed ``message`` (or it is the input it was sent)."""
        return message.streaming or message.local or message.key in self._run_message_keys

    def end_run(self, now: float) -> None:
        """Mark the end of the run (timing; previews are no longer streaming)."""
        t = self.transcript
        t.timing.ended_at = now
        for message in t.messages:
            if message.streaming:
                message.streaming = False
                t.touch(message)
        t.touch_meta()

    # --- per mode --------------------------------------------------------------------

    def _on_metadata(self, event: StreamEvent) -> None:
        t = self.transcript
        data = event.data if isinstance(event.data, dict) else {}
        run_id = data.get("run_id")
        if t.run_id is not None and run_id == t.run_id:
            # the same run started again (server restart): drop the in-flight preview
            t.restarts += 1
            for message in list(t.messages):
                if message.streaming:
                    t.remove(message)
            self._warn("the run restarted on the server; its output is streamed again")
        t.run_id = run_id or t.run_id
        t.attempt = data.get("attempt", t.attempt)
        t.touch_meta()

    def _on_values(self, event: StreamEvent) -> None:
        data = event.data
        if not isinstance(data, dict):
            return
        if "__interrupt__" in data:
            self._interrupts(data["__interrupt__"], event.ns)
        if event.ns:
            return  # a subgraph's state: its messages reach the root through updates/values
        messages = data.get("messages")
        if isinstance(messages, list):
            order = []
            for raw in messages:
                if isinstance(raw, dict):
                    message = self._upsert(raw, final=True)
                    if message is not None:
                        order.append(message)
            self.transcript.reorder(order)

    def _on_updates(self, event: StreamEvent) -> None:
        data = event.data
        if not isinstance(data, dict):
            return
        for node, delta in data.items():
            if node == "__interrupt__":
                self._interrupts(delta, event.ns)
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
                            self._upsert(raw, final=True, node=node, ns=event.ns)
            self._node_done(node, event.ns, event.received_at)

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
        self._open_node = None
        for step in reversed(t.nodes):
            if step.ended_at is None:
                step.ended_at = event.received_at
                step.error = t.error["error"]
                block.node = step.node
                break
        t.touch_meta()

    def _on_tasks(self, event: StreamEvent) -> None:
        data = event.data
        if not isinstance(data, dict) or not data.get("name"):
            return
        name = str(data["name"])
        if "result" in data or "error" in data:
            self._node_done(name, event.ns, event.received_at, data.get("error"))
            if data.get("interrupts"):
                self._interrupts(data["interrupts"], event.ns)
        else:
            self._node_seen(name, event.ns, None, event.received_at)

    def _on_checkpoints(self, event: StreamEvent) -> None:
        data = event.data
        if isinstance(data, dict) and not event.ns and isinstance(data.get("next"), list):
            self.transcript.next_nodes = [str(n) for n in data["next"]]
            self.transcript.touch_meta()

    def _on_custom(self, event: StreamEvent) -> None:
        t = self.transcript
        t.custom.append((event.ns, event.data))
        if len(t.custom) > _MAX_CUSTOM:
            del t.custom[: len(t.custom) - _MAX_CUSTOM]
        t.touch_meta()


_HANDLERS = {
    "metadata": Reducer._on_metadata,
    "messages": Reducer._on_tuple,
    "messages/metadata": Reducer._on_messages_mode,
    "messages/partial": Reducer._on_messages_mode,
    "messages/complete": Reducer._on_messages_mode,
    "values": Reducer._on_values,
    "updates": Reducer._on_updates,
    "error": Reducer._on_error,
    "tasks": Reducer._on_tasks,
    "checkpoints": Reducer._on_checkpoints,
    "custom": Reducer._on_custom,
}
