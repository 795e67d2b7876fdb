"""Export a thread as Markdown, JSON or a self-contained HTML page.

The headless core behind ``bbot-tui export`` (and, later, the TUI's palette action): nothing here
draws or knows a widget. :func:`bbot_tui.session.thread_record.read_thread` reads what the server
keeps on a thread (the thread, its state, every checkpoint of its history, its runs and its
assistant); :func:`render` turns that :class:`ThreadRecord` into a document.

What a document holds, in the order of the conversation:

* every message of the thread's state: human, AI (with the node that wrote it when the history
  says so: a checkpoint's task ``result`` holds the messages its node returned), tool calls with
  their arguments, tool results;
* every interrupt found in the history (a checkpoint's ``interrupts``, with the task that
  asked), with what answered it: the ``command`` of the run that went on from that checkpoint
  (the run id is in the next checkpoint's metadata; its ``kwargs`` come from the runs list);
* every error: a task's error in a checkpoint, the thread's ``error`` (the last run's), and runs
  that ended in ``error`` or ``timeout`` with no message kept;
* a header: the assistant, the server (its URL never carries a user name, password, query or
  key), the thread id and its dates.

Safety: every string taken from the server passes through :func:`bbot_tui.text.sanitize`
(escape sequences and control characters removed) and has the secrets given to :func:`render`
replaced by ``***``, in every format. The HTML page is rendered by markdown-it-py with raw HTML
disabled (content cannot inject markup), carries a Content-Security-Policy that loads nothing
from anywhere, and needs no other file.

A server that kept its checkpoints under another graph (a thread run by several assistants)
computes the tasks of the old checkpoints with the current graph, so their nodes and interrupts
can be unknown (seen with langgraph-api 0.16: ``next`` and ``tasks`` come back empty); the export
then shows those messages without a node and cannot see their interrupts.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, get_args

from markdown_it import MarkdownIt

from bbot_tui import __version__
from bbot_tui.api.models import Interrupt, Run, ThreadState
from bbot_tui.session.thread_record import ThreadRecord, assistant_id_of, scrub
from bbot_tui.stream.transcript import role_of
from bbot_tui.text import markdown_literal, one_line, sanitize

__all__ = [
    "EXPORT_FORMATS",
    "EXTENSIONS",
    "Entry",
    "ExportFormat",
    "entries",
    "render",
    "to_html",
    "to_json",
    "to_markdown",
]

ExportFormat = Literal["markdown", "json", "html"]
"""The formats of an export."""
EXPORT_FORMATS: tuple[ExportFormat, ...] = get_args(ExportFormat)
"""Every format, in the order the command line lists them."""
EXTENSIONS: dict[str, ExportFormat] = {
    ".md": "markdown",
    ".markdown": "markdown",
    ".json": "json",
    ".html": "html",
    ".htm": "html",
}
"""File name extensions that imply a format (``-o thread.html``)."""

JSON_FORMAT = "bbot-tui.thread-export/1"
"""The ``format`` field of a JSON export."""

_UNSAFE_JSON = re.compile("[\u2028\u2029]")
_BACKTICKS = re.compile(r"`+")
_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "base-uri 'none'; form-action 'none'"
)

EntryKind = Literal["human", "ai", "tool", "system", "message", "interrupt", "error"]


# --------------------------------------------------------------------------- entries


@dataclass
class Entry:
    """One item of the conversation: a message, an interrupt or an error.

    Attributes:
        kind: ``human``, ``ai``, ``tool``, ``system``, ``message`` (another type),
            ``interrupt`` or ``error``.
        title: the heading, as Markdown inline text.
        parts: ``(role, markdown)`` pairs: ``content``, ``tool-call``, ``value``, ``answer``.
        message_id: the message's id (messages only).
        data: the entry's JSON (the message as the server has it, or an interrupt or error).
    """

    kind: EntryKind
    title: str
    parts: list[tuple[str, str]] = field(default_factory=list)
    message_id: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


def _code(text: str) -> str:
    """An inline code span holding ``text`` (one line), whatever backticks it contains."""
    flat = one_line(text, 200)
    longest = max((len(m) for m in _BACKTICKS.findall(flat)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") or not flat else ""
    return f"{ticks}{pad}{flat}{pad}{ticks}"


def _fence(text: str, info: str = "") -> str:
    """A fenced code block holding ``text`` verbatim, whatever fences it contains."""
    longest = max((len(m) for m in _BACKTICKS.findall(text)), default=0)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}{info}\n{text.rstrip(chr(10))}\n{ticks}"


def _json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, default=str)


def _value_block(value: Any) -> str:
    """A value as a fenced block: text as text, anything else as JSON."""
    if isinstance(value, str):
        return _fence(value, "text")
    return _fence(_json_text(value), "json")


def _when(timestamp: Any) -> str:
    """An ISO timestamp as ``YYYY-MM-DD HH:MM:SS UTC`` (as given when it cannot be read)."""
    if not isinstance(timestamp, str) or not timestamp:
        return ""
    try:
        moment = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    except ValueError:
        return one_line(timestamp, 60)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _content_markdown(content: Any) -> str:
    """A message's content as Markdown: text as is, other blocks named or as JSON."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return _value_block(content)
    parts: list[str] = []
    for block in content:
        if isinstance(block, str):
            parts.append(block)
        elif isinstance(block, dict) and isinstance(block.get("text"), str):
            parts.append(block["text"])
        elif isinstance(block, dict) and block.get("type") in ("tool_use", "tool_call"):
            continue  # also in tool_calls, shown there
        elif isinstance(block, dict) and block.get("type") in ("image", "image_url"):
            parts.append("*(an image)*")
        else:
            parts.append(_value_block(block))
    return "\n\n".join(p for p in parts if p)


def _messages_of(value: Any) -> list[dict[str, Any]]:
    """The message dicts inside a task result (``{"messages": [...]}`` or one message)."""
    if isinstance(value, dict):
        inner = value.get("messages")
        if isinstance(inner, list):
            return [m for m in inner if isinstance(m, dict)]
        if isinstance(inner, dict):
            return [inner]
    if isinstance(value, list):
        found: list[dict[str, Any]] = []
        for item in value:
            found.extend(_messages_of(item))
        return found
    return []


def _checkpoint_run(state: ThreadState) -> str | None:
    run_id = (state.metadata or {}).get("run_id")
    return run_id if isinstance(run_id, str) and run_id else None


def _message_ids(state: ThreadState) -> list[str]:
    return [str(m["id"]) for m in state.messages if m.get("id")]


@dataclass
class _History:
    """What the checkpoints say: who wrote each message, when, and where things happened."""

    nodes: dict[str, str] = field(default_factory=dict)
    first_seen: dict[str, str] = field(default_factory=dict)
    interrupts: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    run_anchor: dict[str, int] = field(default_factory=dict)
    times: list[tuple[str, int]] = field(default_factory=list)


def _resume_for(run: Run | None, interrupt_id: str | None) -> tuple[bool, Any, Any]:
    """``(answered, answer, command)`` from the command of the run that went on."""
    kwargs = run.kwargs if run is not None and isinstance(run.kwargs, dict) else {}
    command = kwargs.get("command")
    if not isinstance(command, dict) or "resume" not in command:
        return False, None, command
    resume = command["resume"]
    if isinstance(resume, dict) and interrupt_id is not None and interrupt_id in resume:
        return True, resume[interrupt_id], command
    return True, resume, command


def _read_history(record: ThreadRecord, positions: dict[str, int]) -> _History:
    """Walk the checkpoints oldest first."""
    found = _History()
    runs = {r.run_id: r for r in record.runs}
    children: dict[str, ThreadState] = {}
    for state in record.history:
        if state.parent_checkpoint_id and state.parent_checkpoint_id not in children:
            children[state.parent_checkpoint_id] = state
    pending = {i.id for i in record.state.interrupts if i.id}
    seen_interrupts: set[str] = set()
    seen_errors: set[str] = set()
    for state in record.history:
        ids = _message_ids(state)
        anchor = max((positions[i] for i in ids if i in positions), default=-1)
        for message_id in ids:
            if state.created_at:
                found.first_seen.setdefault(message_id, state.created_at)
        run_id = _checkpoint_run(state)
        if run_id:
            found.run_anchor[run_id] = anchor
        if state.created_at:
            found.times.append((state.created_at, anchor))
        for task in state.tasks:
            for message in _messages_of(task.result):
                if message.get("id") and task.name and not task.name.startswith("__"):
                    found.nodes.setdefault(str(message["id"]), task.name)
            if task.error and (task.id or "") not in seen_errors:
                seen_errors.add(task.id or f"{state.checkpoint_id}:{task.name}")
                found.errors.append(
                    {
                        "node": task.name,
                        "error": task.error,
                        "run_id": run_id,
                        "checkpoint_id": state.checkpoint_id,
                        "created_at": state.created_at,
                        "anchor": anchor,
                    }
                )
        asked: list[tuple[str | None, Interrupt]] = [
            (task.name, i) for task in state.tasks for i in task.interrupts
        ]
        known = {i.id for _, i in asked}
        asked += [(None, i) for i in state.interrupts if i.id is None or i.id not in known]
        for node, interrupt in asked:
            key = interrupt.id or f"{state.checkpoint_id}:{len(found.interrupts)}"
            if key in seen_interrupts:
                continue
            seen_interrupts.add(key)
            child = children.get(state.checkpoint_id or "")
            next_run = _checkpoint_run(child) if child is not None else None
            item: dict[str, Any] = interrupt.model_dump(mode="json", exclude_none=True)
            item.update(
                {
                    "node": node,
                    "checkpoint_id": state.checkpoint_id,
                    "run_id": run_id,
                    "created_at": state.created_at,
                    "anchor": anchor,
                }
            )
            if interrupt.id in pending and child is None:
                item["status"] = "pending"
            elif next_run is None or next_run == run_id:
                item["status"] = "pending" if child is None else "continued"
            else:
                answered, answer, command = _resume_for(runs.get(next_run), interrupt.id)
                item["answered_by_run"] = next_run
                if answered:
                    item["status"] = "answered"
                    item["answer"] = answer
                elif next_run in runs:
                    item["status"] = "not answered"
                    item["command"] = command
                else:
                    item["status"] = "answered (the answer is not recorded)"
            found.interrupts.append(item)
    return found


def _anchor_at(times: list[tuple[str, int]], moment: str | None, end: int) -> int:
    """The position of the last checkpoint written before ``moment`` (``end`` without any)."""
    if not times:
        return end
    anchor = -1
    for created, position in times:
        if moment is not None and created > moment:
            break
        anchor = position
    return anchor


def _collect_errors(record: ThreadRecord, found: _History) -> list[dict[str, Any]]:
    """Task errors, the thread's error and failed runs: one item per failed run."""
    items = [dict(e) for e in found.errors]
    by_run = {e["run_id"]: e for e in items if e.get("run_id")}
    latest = record.runs[0] if record.runs else None
    end = len(record.state.messages) - 1
    thread_error = record.thread.error if isinstance(record.thread.error, dict) else None
    if thread_error is not None and not record.thread.cancelled:
        text = ": ".join(str(thread_error[k]) for k in ("error", "message") if thread_error.get(k))
        run_id = latest.run_id if latest is not None else None
        target = by_run.get(run_id) if run_id else (items[-1] if items else None)
        if target is not None:
            target["error"] = text or target["error"]  # the thread says it best
        else:
            anchor = found.run_anchor.get(run_id or "")
            if anchor is None:
                anchor = _anchor_at(found.times, latest.created_at if latest else None, end)
            item = {"node": None, "error": text or "error", "run_id": run_id, "anchor": anchor}
            items.append(item)
            by_run[run_id] = item
    for run in reversed(record.runs):
        if run.status not in ("error", "timeout") or run.run_id in by_run:
            continue
        anchor = found.run_anchor.get(run.run_id)
        if anchor is None:
            anchor = _anchor_at(found.times, run.created_at, end)
        text = (
            "the run timed out"
            if run.status == "timeout"
            else "the run failed (the server kept no message)"
        )
        item = {"node": None, "error": text, "run_id": run.run_id, "anchor": anchor}
        items.append(item)
        by_run[run.run_id] = item
    runs = {r.run_id: r for r in record.runs}
    for item in items:
        failed = runs.get(str(item.get("run_id") or ""))
        if not item.get("created_at"):
            item["created_at"] = failed.updated_at if failed is not None else None
    return items


def _message_entry(message: dict[str, Any], nodes: dict[str, str], seen: dict[str, str]) -> Entry:
    role = role_of(message)
    message_id = str(message["id"]) if message.get("id") else None
    when = _when(seen.get(message_id or ""))
    stamp = f" · {when}" if when else ""
    content = _content_markdown(message.get("content"))
    parts: list[tuple[str, str]] = []
    if role == "human":
        entry = Entry("human", f"Human{stamp}")
    elif role == "ai":
        node = nodes.get(message_id or "")
        where = f" · node {_code(node)}" if node else ""
        name = message.get("name")
        who = f" · {markdown_literal(name)}" if isinstance(name, str) and name else ""
        entry = Entry("ai", f"AI{who}{where}{stamp}")
    elif role == "tool":
        tool = message.get("name")
        call = message.get("tool_call_id")
        title = "Tool result"
        if isinstance(tool, str) and tool:
            title += f" · {_code(tool)}"
        if isinstance(call, str) and call:
            title += f" · call {_code(call)}"
        if message.get("status") == "error":
            title += " · error"
        entry = Entry("tool", title + stamp)
        content = _fence(content, "text") if content else ""
    elif role == "system":
        entry = Entry("system", f"System{stamp}")
    else:
        entry = Entry("message", f"{markdown_literal(role) or 'Message'}{stamp}")
    if content:
        parts.append(("content", content))
    for call in message.get("tool_calls") or []:
        if not isinstance(call, dict):
            continue
        name = call.get("name")
        call_id = call.get("id")
        head = f"**Tool call** {_code(str(name or '?'))}"
        if isinstance(call_id, str) and call_id:
            head += f" · id {_code(call_id)}"
        parts.append(("tool-call", f"{head}\n\n{_value_block(call.get('args', {}))}"))
    for call in message.get("invalid_tool_calls") or []:
        if isinstance(call, dict):
            head = f"**Invalid tool call** {_code(str(call.get('name') or '?'))}"
            parts.append(("tool-call", f"{head}\n\n{_value_block(call)}"))
    entry.parts = parts
    entry.message_id = message_id
    entry.data = message
    return entry


def _interrupt_entry(item: dict[str, Any]) -> Entry:
    node = item.get("node")
    title = "Interrupt" + (f" · node {_code(node)}" if node else "")
    when = _when(item.get("created_at"))
    if when:
        title += f" · {when}"
    parts = [("value", _value_block(item.get("value")))]
    status = item.get("status")
    run = item.get("answered_by_run")
    by = f" (run {_code(run)})" if run else ""
    if status == "answered":
        parts.append(("answer", f"**Answered**{by}:\n\n{_value_block(item.get('answer'))}"))
    elif status == "pending":
        parts.append(("answer", "**Pending**: not answered yet."))
    elif status == "not answered":
        command = item.get("command")
        text = f"**Not answered**: the thread went on{by}"
        text += f" with this command:\n\n{_value_block(command)}" if command else " with new input."
        parts.append(("answer", text))
    elif status == "continued":
        parts.append(("answer", "**Continued** by the same run."))
    else:
        parts.append(("answer", f"**Answered**{by}; the server does not keep the answer."))
    return Entry("interrupt", title, parts, data=item)


def _error_entry(item: dict[str, Any]) -> Entry:
    node = item.get("node")
    title = "Error" + (f" · node {_code(node)}" if node else "")
    when = _when(item.get("created_at"))
    if when:
        title += f" · {when}"
    if item.get("run_id"):
        title += f" · run {_code(item['run_id'])}"
    return Entry(
        "error", title, [("content", _fence(str(item.get("error") or ""), "text"))], data=item
    )


def _plan(record: ThreadRecord) -> tuple[list[Entry], list[dict[str, Any]], list[dict[str, Any]]]:
    messages = [m for m in record.state.messages]
    positions = {str(m["id"]): i for i, m in enumerate(messages) if m.get("id")}
    found = _read_history(record, positions)
    failures = _collect_errors(record, found)
    keyed: list[tuple[int, int, int, Entry]] = []
    for index, message in enumerate(messages):
        entry = _message_entry(message, found.nodes, found.first_seen)
        keyed.append((index, 0, index, entry))
    for order, item in enumerate(found.interrupts):
        keyed.append((int(item["anchor"]), 1, order, _interrupt_entry(item)))
    for order, item in enumerate(failures):
        keyed.append((int(item["anchor"]), 2, order, _error_entry(item)))
    keyed.sort(key=lambda k: k[:3])
    interrupts = [{k: v for k, v in i.items() if k != "anchor"} for i in found.interrupts]
    failures = [{k: v for k, v in e.items() if k != "anchor"} for e in failures]
    return [k[3] for k in keyed], interrupts, failures


def entries(record: ThreadRecord) -> list[Entry]:
    """The conversation in order: messages, with interrupts and errors where they happened.

    An interrupt or an error comes after the last message its checkpoint held.
    """
    return _plan(record)[0]


# --------------------------------------------------------------------------- documents


def _title(record: ThreadRecord) -> str:
    metadata = record.thread.metadata or {}
    for key in ("title", "name"):
        value = metadata.get(key)
        if isinstance(value, str) and value.strip():
            return value
    return f"Thread {record.thread.thread_id}"


def _header(record: ThreadRecord) -> list[tuple[str, str]]:
    """``(label, markdown value)`` rows of the header."""
    rows: list[tuple[str, str]] = []
    assistant = record.assistant
    assistant_id = assistant_id_of(record)
    if assistant is not None:
        text = markdown_literal(assistant.label) + f" ({_code(assistant.assistant_id)}"
        text += f", graph {_code(assistant.graph_id)})" if assistant.graph_id else ")"
        rows.append(("Assistant", text))
    elif assistant_id:
        rows.append(("Assistant", _code(assistant_id)))
    rows.append(("Server", _code(record.server)))
    rows.append(("Thread", _code(record.thread.thread_id)))
    if record.thread.status:
        rows.append(("Status", markdown_literal(record.thread.status)))
    for label, value in (
        ("Created", record.thread.created_at),
        ("Updated", record.thread.updated_at),
    ):
        if value:
            rows.append((label, markdown_literal(_when(value))))
    rows.append(
        (
            "Exported",
            markdown_literal(f"{_when(datetime.now(UTC).isoformat())} by bbot-tui {__version__}"),
        )
    )
    for note in record.notes:
        rows.append(("Note", markdown_literal(note)))
    return rows


def _scrubbed(record: ThreadRecord, secrets: Iterable[str]) -> ThreadRecord:
    """The record with every server string sanitized and every secret masked."""
    masks = tuple(secrets)

    def clean_model(model: Any) -> Any:
        data = scrub(model.model_dump(mode="json", by_alias=False), masks)
        return type(model).model_validate(data)

    return ThreadRecord(
        server=scrub(record.server, masks),
        thread=clean_model(record.thread),
        state=clean_model(record.state),
        history=[clean_model(s) for s in record.history],
        runs=[clean_model(r) for r in record.runs],
        assistant=clean_model(record.assistant) if record.assistant is not None else None,
        notes=[scrub(n, masks) for n in record.notes],
    )


def to_markdown(record: ThreadRecord, secrets: Iterable[str] = ()) -> str:
    """The thread as a Markdown document (see the module docstring for what it holds).

    Args:
        record: what :func:`read_thread` read.
        secrets: values to mask wherever they appear.
    """
    clean = _scrubbed(record, secrets)
    lines = [f"# {markdown_literal(_title(clean))}", ""]
    lines += [f"- **{label}:** {value}" for label, value in _header(clean)]
    for entry in entries(clean):
        lines += ["", f"## {entry.title}"]
        for _, text in entry.parts:
            lines += ["", text]
    return sanitize("\n".join(lines) + "\n")


def to_json(record: ThreadRecord, secrets: Iterable[str] = ()) -> str:
    """The thread's messages and interrupts as the server has them, as indented JSON.

    ``messages`` is the state's ``values.messages`` list; ``interrupts`` holds each interrupt
    of the history (``id``, ``value``…) with where it was asked and how it was answered;
    ``errors`` each failure found. Strings are sanitized and secrets masked.

    Args:
        record: what :func:`read_thread` read.
        secrets: values to mask wherever they appear.
    """
    clean = _scrubbed(record, secrets)
    _, interrupts, failures = _plan(clean)
    values = clean.state.values if isinstance(clean.state.values, dict) else {}
    messages = values.get("messages") if isinstance(values.get("messages"), list) else []
    thread = clean.thread.model_dump(mode="json", exclude_none=True, exclude={"values"})
    assistant = (
        clean.assistant.model_dump(
            mode="json", exclude_none=True, include={"assistant_id", "graph_id", "name"}
        )
        if clean.assistant is not None
        else None
    )
    document = {
        "format": JSON_FORMAT,
        "exported_at": datetime.now(UTC).isoformat(),
        "client": f"bbot-tui {__version__}",
        "server": clean.server,
        "thread": thread,
        "assistant": assistant,
        "messages": messages,
        "interrupts": interrupts,
        "pending_interrupts": [
            i.model_dump(mode="json", exclude_none=True) for i in clean.state.interrupts
        ],
        "errors": failures,
        "notes": clean.notes,
    }
    text = json.dumps(document, ensure_ascii=False, indent=2, default=str)
    return _UNSAFE_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text) + "\n"


_STYLE = """
:root { color-scheme: light dark; --muted: #6b7280; --line: #d1d5db; }
body { font: 15px/1.55 system-ui, sans-serif; max-width: 52rem; margin: 2rem auto;
       padding: 0 1rem; }
header.thread dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; }
header.thread dt { font-weight: 600; }
header.thread dd { margin: 0; }
section.entry { border-left: 4px solid var(--line); padding: .2rem 1rem; margin: 1.2rem 0; }
section.entry > h2 { font-size: 1rem; margin: .4rem 0; color: var(--muted); }
section.entry-human { border-color: #3b82f6; }
section.entry-ai { border-color: #10b981; }
section.entry-tool { border-color: #8b5cf6; }
section.entry-interrupt { border-color: #f59e0b; }
section.entry-error { border-color: #ef4444; }
section.entry-error pre { white-space: pre-wrap; }
pre { overflow-x: auto; padding: .6rem; border: 1px solid var(--line); border-radius: 4px; }
code { font-family: ui-monospace, monospace; font-size: .9em; }
table { border-collapse: collapse; }
td, th { border: 1px solid var(--line); padding: .2rem .5rem; }
"""


def _renderer() -> MarkdownIt:
    # raw HTML off: a message's "<script>" is shown as text, never parsed as markup
    return MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])


def to_html(record: ThreadRecord, secrets: Iterable[str] = ()) -> str:
    """The Markdown export rendered into one self-contained HTML page.

    Each entry is a ``<section class="entry entry-KIND" data-kind=… data-message-id=…>`` with
    its heading and one ``<div class="ROLE">`` per part (``content``, ``tool-call``, ``value``,
    ``answer``). The page loads nothing (its Content-Security-Policy forbids it).

    Args:
        record: what :func:`read_thread` read.
        secrets: values to mask wherever they appear.
    """
    clean = _scrubbed(record, secrets)
    md = _renderer()
    title = html.escape(sanitize(_title(clean), keep_newlines=False))
    rows = "".join(
        f"<dt>{html.escape(label)}</dt><dd>{md.renderInline(sanitize(value))}</dd>"
        for label, value in _header(clean)
    )
    sections: list[str] = []
    for entry in entries(clean):
        attrs = f' data-kind="{entry.kind}"'
        if entry.message_id:
            attrs += f' data-message-id="{html.escape(entry.message_id, quote=True)}"'
        body = "".join(
            f'<div class="{role}">{md.render(sanitize(text))}</div>' for role, text in entry.parts
        )
        heading = md.renderInline(sanitize(entry.title))
        sections.append(
            f'<section class="entry entry-{entry.kind}"{attrs}><h2>{heading}</h2>{body}</section>'
        )
    page = (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">\n'
        '<meta name="referrer" content="no-referrer">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{title}</title>\n<style>{_STYLE}</style></head>\n<body>\n"
        f'<header class="thread"><h1>{title}</h1><dl>{rows}</dl></header>\n'
        f'<main class="entries">\n{chr(10).join(sections)}\n</main>\n</body></html>\n'
    )
    return sanitize(page)


def render(record: ThreadRecord, fmt: ExportFormat, secrets: Iterable[str] = ()) -> str:
    """The thread in one of :data:`EXPORT_FORMATS`.

    Args:
        record: what :func:`read_thread` read.
        fmt: ``markdown``, ``json`` or ``html``.
        secrets: values to mask wherever they appear (the connection's key).
    """
    if fmt == "json":
        return to_json(record, secrets)
    if fmt == "html":
        return to_html(record, secrets)
    return to_markdown(record, secrets)
