"""Checkpoint history rows and readable state diffs for the time-travel screen (UI-free).

:func:`checkpoint_rows` turns ``POST /threads/{id}/history`` states (newest first) into rows:
step, source (input / loop / update), the node(s) that ran to produce the checkpoint, next, time.
This server's checkpoint metadata has no ``writes``; the nodes that ran are the tasks of the
parent checkpoint that have a result (or an error / interrupt); ``update`` (a state edit) and
``fork`` (a re-run from an earlier checkpoint) checkpoints ran no node.

:func:`ran_label` is the "ran" column of both the history screen and ``bbot-tui history``.

:func:`diff_values` compares a checkpoint's ``values`` with its parent's: one line per added,
removed or changed key, and per added / removed / changed message (matched by id) for message
lists. Every text is made one-line and sanitized.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from bbot_tui.api.models import ThreadState
from bbot_tui.stream.transcript import content_text, role_of
from bbot_tui.text import one_line

__all__ = [
    "CheckpointRow",
    "DiffLine",
    "checkpoint_id_of",
    "checkpoint_rows",
    "diff_values",
    "format_time",
    "preview",
    "ran_label",
]

DiffKind = Literal["added", "removed", "changed"]


@dataclass(frozen=True, slots=True)
class DiffLine:
    """One difference: what changed (``key``, e.g. ``messages[2]``) and a one-line summary."""

    kind: DiffKind
    key: str
    text: str


@dataclass(slots=True)
class CheckpointRow:
    """One history entry as the history list shows it."""

    checkpoint_id: str | None
    parent_id: str | None
    step: int | None
    source: str
    ran: list[str] = field(default_factory=list)
    next: list[str] = field(default_factory=list)
    time: str = ""


def preview(value: Any, limit: int = 80) -> str:
    """A one-line, sanitized preview of a JSON value."""
    if isinstance(value, str):
        return one_line(json.dumps(value, ensure_ascii=False), limit)
    try:
        text = json.dumps(value, ensure_ascii=False, default=str, separators=(", ", ": "))
    except (TypeError, ValueError):
        text = repr(value)
    return one_line(text, limit)


def checkpoint_id_of(state: ThreadState) -> str | None:
    """A state's checkpoint id (top level, else inside ``checkpoint``)."""
    if state.checkpoint_id:
        return state.checkpoint_id
    return state.checkpoint.checkpoint_id if state.checkpoint else None


def _parent_id_of(state: ThreadState) -> str | None:
    if state.parent_checkpoint_id:
        return state.parent_checkpoint_id
    return state.parent_checkpoint.checkpoint_id if state.parent_checkpoint else None


def format_time(iso: str | None) -> str:
    """``2026-11-23T09:14:05.870301+00:00`` → ``11-23 09:14:05`` (as the server wrote it)."""
    if not iso or len(iso) < 19 or iso[10] != "T":
        return one_line(iso or "", 20)
    return f"{iso[5:10]} {iso[11:19]}"


def _ran(state: ThreadState, parent: ThreadState | None) -> list[str]:
    writes = (state.metadata or {}).get("writes")
    if isinstance(writes, dict) and writes:
        return [str(k) for k in writes]
    if parent is None or (state.metadata or {}).get("source") in ("update", "fork"):
        return []  # a state edit or a fork: no node ran (the parent's tasks ran elsewhere)
    return [t.name for t in parent.tasks if t.result is not None or t.error or t.interrupts]


def checkpoint_rows(
    states: Sequence[ThreadState], extra_parents: Sequence[ThreadState] = ()
) -> list[CheckpointRow]:
    """History rows for ``states`` (newest first).

    Args:
        states: the history entries.
        extra_parents: other known states (e.g. the next page) to find parents in.
    """
    by_id = {checkpoint_id_of(s): s for s in [*states, *extra_parents]}
    rows: list[CheckpointRow] = []
    for state in states:
        meta = state.metadata or {}
        step = meta.get("step")
        parent_id = _parent_id_of(state)
        parent = by_id.get(parent_id) if parent_id else None
        rows.append(
            CheckpointRow(
                checkpoint_id=checkpoint_id_of(state),
                parent_id=parent_id,
                step=step if isinstance(step, int) else None,
                source=one_line(str(meta.get("source") or "?"), 12),
                ran=[one_line(n, 40) for n in _ran(state, parent)],
                next=[one_line(n, 40) for n in state.next],
                time=format_time(state.created_at),
            )
        )
    return rows


def ran_label(row: CheckpointRow, known: Collection[str | None] = ()) -> str:
    """What the "ran" column shows for a checkpoint (the history screen and the CLI alike).

    Args:
        row: The checkpoint's row.
        known: The checkpoint ids loaded: a parent outside them (an older page) is ``…``.

    Returns:
        The nodes that ran, ``(state edit)`` / ``(fork)`` for checkpoints no node made, ``…``
        when the parent that would tell is not loaded, else an empty string.
    """
    if row.ran:
        return ", ".join(row.ran)
    if row.source == "update":
        return "(state edit)"
    if row.source == "fork":
        return "(fork)"
    return "…" if row.parent_id and row.parent_id not in known else ""


def _message_label(message: Any) -> str:
    if not isinstance(message, dict):
        return preview(message, 60)
    role = role_of(message)
    text = content_text(message.get("content"))
    calls = message.get("tool_calls")
    if not text and isinstance(calls, list) and calls:
        names = ", ".join(str(c.get("name")) for c in calls if isinstance(c, dict))
        text = f"[tool call {names}]"
    return f"{role}: {one_line(text, 60)}"


def _message_key(message: Any, index: int) -> str:
    if isinstance(message, dict) and message.get("id"):
        return f"id:{message['id']}"
    return f"#{index}"


def _diff_messages(key: str, old: list[Any], new: list[Any]) -> list[DiffLine]:
    old_map = {_message_key(m, i): m for i, m in enumerate(old)}
    new_keys = [_message_key(m, i) for i, m in enumerate(new)]
    out: list[DiffLine] = []
    for index, (mkey, message) in enumerate(zip(new_keys, new, strict=True)):
        label = f"{key}[{index}]"
        if mkey not in old_map:
            out.append(DiffLine("added", label, _message_label(message)))
        elif old_map[mkey] != message:
            before, after = _message_label(old_map[mkey]), _message_label(message)
            text = after if before == after else f"{before} → {after}"
            out.append(DiffLine("changed", label, text))
    kept = set(new_keys)
    for index, message in enumerate(old):
        if _message_key(message, index) not in kept:
            out.append(DiffLine("removed", f"{key}[{index}]", _message_label(message)))
    return out


def _is_messages(value: Any) -> bool:
    return isinstance(value, list) and all(
        isinstance(m, dict) and ("content" in m or "type" in m) for m in value
    )


def diff_values(old: Any, new: Any) -> list[DiffLine]:
    """What changed from ``old`` values to ``new`` values (an empty list when equal).

    Dict values are compared key by key; message lists message by message (by id).
    """
    if not isinstance(old, dict) or not isinstance(new, dict):
        if old == new:
            return []
        if old is None:
            return [DiffLine("added", "values", preview(new))]
        return [DiffLine("changed", "values", f"{preview(old, 38)} → {preview(new, 38)}")]
    out: list[DiffLine] = []
    for key, value in new.items():
        name = one_line(str(key), 40)
        if key not in old:
            if _is_messages(value) and value:
                out.extend(_diff_messages(name, [], value))
            else:
                out.append(DiffLine("added", name, preview(value)))
        elif old[key] != value:
            if _is_messages(old[key]) and _is_messages(value):
                out.extend(_diff_messages(name, old[key], value))
            else:
                out.append(
                    DiffLine("changed", name, f"{preview(old[key], 38)} → {preview(value, 38)}")
                )
    for key, value in old.items():
        if key not in new:
            out.append(DiffLine("removed", one_line(str(key), 40), preview(value)))
    return out
