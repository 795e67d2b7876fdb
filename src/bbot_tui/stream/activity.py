"""What a run does besides its messages: tool executions and the namespace tree.

:class:`Activity` keeps a transcript's :class:`~bbot_tui.stream.transcript.ToolExecution`
entries (a tool running for a tool call, its streamed output, done or failed) and its
:class:`~bbot_tui.stream.transcript.NamespaceNode` tree (the subgraphs and subagents of the
run, with their lifecycle: running, done, failed, interrupted). It has two kinds of callers:

- the thread event protocol, whose ``tools`` and ``lifecycle`` channels say all this directly:
  :meth:`Activity.tool_started`, :meth:`~Activity.tool_output`, :meth:`~Activity.tool_finished`,
  :meth:`~Activity.namespace_started` and :meth:`~Activity.namespace_ended`;
- the runs API, where the :class:`~bbot_tui.stream.reducer.Reducer` infers the same from what
  it carries: the namespace of every event (``messages|tools:3f…``, with ``stream_subgraphs``)
  opens the namespaces (:meth:`~Activity.seen`), a ``tasks`` event names them and its result
  closes them (:meth:`~Activity.task`), a node's ``updates`` closes the namespaces it ran
  (:meth:`~Activity.node_done`), a ``custom`` event ``{"tool_call_id": id, "delta": text}``
  (what a tool's stream writer sends, see ``docs/PROTOCOL.md``) is streamed tool output
  (:meth:`~Activity.custom`), and the end of the run closes what is still open
  (:meth:`~Activity.end_run`).

So the view draws the same thing whichever protocol fed it. A change to a tool execution marks
the message holding its tool call dirty (the view draws the output under the call); a change
to the tree marks the run state dirty. Nothing here raises on odd payloads.
"""

from __future__ import annotations

import json
from typing import Any

from bbot_tui.stream.transcript import (
    NamespaceNode,
    NamespaceStatus,
    ToolExecution,
    Transcript,
)

__all__ = ["MAX_TOOL_EXECUTIONS", "Activity", "namespace_label", "within"]

MAX_TOOL_EXECUTIONS = 500
"""Tool executions kept (the oldest go first); a finished one's output is also in its
ToolMessage."""

_TERMINAL: dict[str | None, NamespaceStatus] = {
    "error": "failed",
    "question": "interrupted",
    "breakpoint": "interrupted",
}
"""What a namespace still running becomes when the run stops, by ``Transcript.stop``."""


def namespace_label(segment: str) -> str:
    """A namespace segment's node name: ``tools:3f…`` → ``tools``."""
    return segment.split(":", 1)[0] or segment


def within(ns: tuple[str, ...], branch: tuple[str, ...]) -> bool:
    """Whether namespace ``ns`` is ``branch`` or inside it (``()`` holds everything)."""
    return ns[: len(branch)] == branch


def _as_text(value: Any) -> str:
    """Streamed tool output as text: a string as it is, anything else as compact JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("text"), str):
        return str(value["text"])
    return json.dumps(value, ensure_ascii=False, default=str)


class Activity:
    """Fills a transcript's tool executions and namespace tree.

    Args:
        transcript: the transcript whose ``tools`` and ``namespaces`` are kept.
    """

    __slots__ = ("_owners", "_tasks", "_transcript")

    def __init__(self, transcript: Transcript) -> None:
        self._transcript = transcript
        self._owners: dict[str, str] = {}
        """Tool call id → key of the message holding the call."""
        self._tasks: dict[str, tuple[str, str | None]] = {}
        """Task id → (tool name, tool call id) of a task started for one tool call."""

    def begin_run(self) -> None:
        """A new run: its tasks are new (the tree itself is reset by the transcript)."""
        self._tasks.clear()

    # --- tool executions -----------------------------------------------------------------

    def tool_started(self, call_id: str, name: str = "", ns: tuple[str, ...] = ()) -> ToolExecution:
        """A tool started for ``call_id`` (again: a resumed tool starts over, output cleared).

        Args:
            call_id: the tool call id.
            name: the tool's name.
            ns: the namespace it runs in.
        """
        execution = self._execution(call_id, name, ns)
        if execution.status != "running" or execution.output:
            fresh = ToolExecution(call_id=call_id, name=execution.name, ns=execution.ns)
            fresh.version = execution.version + 1
            self._transcript.tools[call_id] = execution = fresh
        self._changed(execution)
        return execution

    def tool_output(self, call_id: str, delta: Any, ns: tuple[str, ...] = ()) -> ToolExecution:
        """Output a tool streamed (a string, or any JSON value shown as JSON).

        Args:
            call_id: the tool call id.
            delta: the new piece of output.
            ns: the namespace it runs in (when this is the first news of it).
        """
        execution = self._execution(call_id, "", ns)
        execution.append(_as_text(delta))
        self._changed(execution)
        return execution

    def tool_finished(
        self,
        call_id: str,
        *,
        failed: bool = False,
        error: str | None = None,
        name: str = "",
        ns: tuple[str, ...] = (),
    ) -> ToolExecution:
        """A tool ended: done, or failed with ``error``.

        Args:
            call_id: the tool call id.
            failed: it raised.
            error: the error message, when it failed.
            name: the tool's name (when this is the first news of it).
            ns: the namespace it ran in (when this is the first news of it).
        """
        execution = self._execution(call_id, name, ns)
        execution.status = "failed" if failed else "done"
        execution.error = error if failed else None
        execution.version += 1
        self._changed(execution)
        return execution

    def custom(self, ns: tuple[str, ...], data: Any) -> bool:
        """A ``custom`` event: streamed tool output when it is ``{"tool_call_id", "delta"}``.

        Returns:
            Whether it was tool output.
        """
        if not isinstance(data, dict) or "delta" not in data:
            return False
        call_id = data.get("tool_call_id")
        if not isinstance(call_id, str) or not call_id:
            return False
        self.tool_output(call_id, data["delta"], ns)
        return True

    def _execution(self, call_id: str, name: str, ns: tuple[str, ...]) -> ToolExecution:
        tools = self._transcript.tools
        execution = tools.get(call_id)
        if execution is None:
            execution = tools[call_id] = ToolExecution(call_id=call_id, name=name, ns=ns)
            if len(tools) > MAX_TOOL_EXECUTIONS:
                oldest = next(iter(tools))
                del tools[oldest]
                self._owners.pop(oldest, None)
        elif name and not execution.name:
            execution.name = name
        return execution

    def _changed(self, execution: ToolExecution) -> None:
        """Mark the message holding the tool call dirty (found once, then remembered)."""
        t = self._transcript
        owner = t.get(self._owners.get(execution.call_id, ""))
        if owner is None or not any(c.id == execution.call_id for c in owner.tool_calls):
            owner = next(
                (
                    m
                    for m in reversed(t.messages)
                    if any(c.id == execution.call_id for c in m.tool_calls)
                ),
                None,
            )
            if owner is None:
                return
            self._owners[execution.call_id] = owner.key
        t.touch(owner)

    # --- the namespace tree ----------------------------------------------------------------

    def seen(self, ns: tuple[str, ...]) -> None:
        """An event came from ``ns``: it and the namespaces around it are known (running
        when new)."""
        namespaces = self._transcript.namespaces
        if not ns or ns in namespaces:
            return
        for depth in range(1, len(ns) + 1):
            path = ns[:depth]
            if path not in namespaces:
                name, _, task_id = path[-1].partition(":")
                label, cause = name or "?", None
                if task_id in self._tasks:
                    tool, cause = self._tasks[task_id]
                    label = f"{label} · {tool}" if tool else label
                namespaces[path] = NamespaceNode(path=path, label=label, cause=cause)
        self._transcript.touch_meta()

    def namespace_started(
        self, ns: tuple[str, ...], label: str | None = None, cause: str | None = None
    ) -> NamespaceNode | None:
        """A subgraph or subagent started (running again if it had stopped, e.g. resumed).

        Args:
            ns: its namespace.
            label: its name (a subagent's ``graph_name``); the node name by default.
            cause: the tool call that started it.
        """
        if not ns:
            return None
        self.seen(ns)
        node = self._transcript.namespaces[ns]
        if label:
            node.label = label
        if cause:
            node.cause = cause
        node.status, node.error = "running", None
        self._transcript.touch_meta()
        return node

    def namespace_ended(
        self, ns: tuple[str, ...], status: NamespaceStatus, error: str | None = None
    ) -> None:
        """A subgraph or subagent ended (``done``, ``failed``, ``interrupted``); the
        namespaces inside it still running end the same way."""
        if not ns:
            return
        self.seen(ns)
        for path, node in self._transcript.namespaces.items():
            if path == ns or (within(path, ns) and node.status == "running"):
                node.status = status
                node.error = error if status == "failed" and path == ns else node.error
        self._transcript.touch_meta()

    def task(self, ns: tuple[str, ...], data: dict[str, Any]) -> None:
        """A ``tasks`` event of the runs API: a task started or ended at ``ns``.

        A start of a task run for one tool call (``Send`` of a ``tool_call_with_context``,
        how ``create_agent`` runs tools) starts that call's tool execution and remembers which
        call its task id stands for, so the namespace ``node:<task id>`` it opens is labelled
        and caused by that call; a subagent
        (a task whose metadata has an ``lc_agent_name``) is labelled with its name. A result
        ends the namespaces its task ran (``node:<task id>`` under ``ns``).
        """
        task_id = data.get("id")
        if not isinstance(task_id, str):
            return
        if "result" in data or "error" in data:
            error = data.get("error")
            if data.get("interrupts"):
                status: NamespaceStatus = "interrupted"
            else:
                status = "failed" if error else "done"
            message = None
            if isinstance(error, dict):
                message = str(error.get("message") or error.get("error") or "")
            elif error:
                message = str(error)
            for path in [p for p in self._transcript.namespaces if p[:-1] == ns]:
                if path[-1].partition(":")[2] == task_id:
                    self.namespace_ended(path, status, message)
            return
        payload = data.get("input")
        if isinstance(payload, dict) and isinstance(payload.get("tool_call"), dict):
            call = payload["tool_call"]
            call_id = call.get("id") if isinstance(call.get("id"), str) else None
            self._tasks[task_id] = (str(call.get("name") or ""), call_id)
            if call_id:  # the tool starts (again, when resumed: its old output goes)
                self.tool_started(call_id, str(call.get("name") or ""), ns)
        if ns:
            self.seen(ns)
            metadata = data.get("metadata")
            agent = metadata.get("lc_agent_name") if isinstance(metadata, dict) else None
            node = self._transcript.namespaces[ns]
            if isinstance(agent, str) and agent and node.label != agent:
                node.label = agent  # a subagent (``create_agent`` names its agents)
                self._transcript.touch_meta()

    def node_done(self, ns: tuple[str, ...], node: str) -> None:
        """``node`` wrote its update at ``ns``: the namespaces it ran (``node:*`` right under
        ``ns``) that are still running are done (a tool task of its own ends its own only,
        when known from ``tasks``)."""
        for path, item in list(self._transcript.namespaces.items()):
            if path[:-1] == ns and item.status == "running" and namespace_label(path[-1]) == node:
                task_id = path[-1].partition(":")[2]
                if task_id in self._tasks:
                    continue  # the task's own result ends it
                self.namespace_ended(path, "done")

    def end_run(self, stop: str | None) -> None:
        """The run ended: namespaces still running end as the run did (done, failed, or
        interrupted by a question), and so do tools still running (done, or failed)."""
        status = _TERMINAL.get(stop, "done")
        changed = False
        for node in self._transcript.namespaces.values():
            if node.status == "running":
                node.status = status
                changed = True
        if changed:
            self._transcript.touch_meta()
        for execution in self._transcript.tools.values():
            if execution.status == "running" and stop != "question":
                self.tool_finished(execution.call_id, failed=stop in ("error", "cancelled"))
