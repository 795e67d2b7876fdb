"""Prints a :class:`Transcript` to a terminal as it grows, for ``run``, ``join`` and ``replay``.

The printer reads the transcript, not the events, so every stream mode prints the same way:

- AI text is written as it streams. For each message the printer remembers the (sanitized)
  text it has printed; when the text grows, only the new suffix is written. ``messages`` mode
  (B-Bot) sends *cumulative* text that may be replaced: if the new text does not extend what
  was printed, the message is printed again, marked ``↺ revised``.
- Tool calls print as ``⚙ name(args)`` once their arguments are complete, tool results as
  ``↳ result``, node changes as ``── node ──``, errors as ``✗``; none of it is mixed into the
  answer text (each starts on its own line).
- Messages that were on the thread before the run (``baseline_ids``) and the user's own input
  are not printed.

All server text goes through :func:`bbot_tui.text.sanitize` first.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from bbot_tui.cli.common import Output
from bbot_tui.stream.timing import RunTiming, bar_extent
from bbot_tui.stream.transcript import Message, PendingInterrupt, Transcript
from bbot_tui.text import one_line, sanitize, sanitize_json_for_display

__all__ = ["TextPrinter", "format_interrupt", "format_waterfall", "summary"]

MAX_TOOL_RESULT = 4000
"""Characters of a tool result printed (``--json`` has all of it)."""


@dataclass
class _Printed:
    text: str = ""
    calls: set[int] = field(default_factory=set)
    done: bool = False
    skip: bool = False


def _indent(text: str, prefix: str) -> str:
    lines = text.split("\n")
    return "\n".join([prefix + lines[0], *("  " + line for line in lines[1:])])


def format_interrupt(pending: PendingInterrupt) -> str:
    """``⏸ interrupt <id> [in ns]`` and its value as indented JSON (sanitized)."""
    where = ""
    if pending.ns:
        where = " in " + " › ".join(one_line(n.split(":", 1)[0], 40) for n in pending.ns)
    value = sanitize_json_for_display(pending.value)
    if isinstance(value, str):
        body = value
    else:
        body = json.dumps(value, ensure_ascii=False, indent=2, default=str)
    header = f"⏸ interrupt {one_line(str(pending.id or '(no id)'), 80)}{where}"
    return header + "\n" + "\n".join("  " + line for line in body.split("\n"))


def format_waterfall(timing: RunTiming, *, width: int = 40) -> list[str]:
    """``bbot-tui run --timing``: the headline, then one bar per node, in the order they ran.

    Args:
        timing: the run's timing.
        width: cells of the bar column (the run's total).

    Returns:
        Lines without their newline (sanitized).
    """
    lines = [f"⏱ {timing.headline()}"]
    spans = timing.spans
    if not spans:
        return lines
    ends = [s.start + (s.duration or 0.0) for s in spans]
    total = max([timing.total or 0.0, *ends])
    labels = [one_line(s.label, 30) for s in spans]
    pad = max(len(label) for label in labels)
    for span, label in zip(spans, labels, strict=True):
        lead, length = bar_extent(span, total, width)
        bar = " " * lead + "█" * length + " " * (width - lead - length)
        took = "running" if span.duration is None else f"{span.duration:.2f} s"
        mark = f"  ✗ {one_line(span.error, 60)}" if span.error else ""
        lines.append(f"  {label:<{pad}}  {span.start:6.2f} s │{bar}│ {took}{mark}")
    return lines


def summary(
    transcript: Transcript,
    status: str,
    *,
    thread_id: str | None,
    run_id: str | None,
    error: str | None = None,
    continue_command: str | None = None,
    timing: RunTiming | None = None,
) -> dict[str, Any]:
    """The last ``--json`` line (and a recording's last line).

    Args:
        transcript: the run's transcript.
        status: how the run ended.
        thread_id, run_id: the run.
        error: the failure text, if it failed.
        continue_command: the command that goes on from a stop.
        timing: the run's full timing (waterfall, usage, rejoins); without it only the
            transcript's first token, speed and total.
    """
    out: dict[str, Any] = {
        "type": "summary",
        "thread_id": thread_id,
        "run_id": run_id,
        "status": status,
        "interrupts": [p.to_json() for p in transcript.interrupts],
        "messages": transcript.to_json(),
        "timing": timing.to_json() if timing is not None else transcript.timing.to_json(),
    }
    if transcript.stop:
        out["stop"] = transcript.stop
    if transcript.next_nodes:
        out["next"] = list(transcript.next_nodes)
    if error:
        out["error"] = error
    if continue_command:
        out["continue"] = continue_command
    return out


class TextPrinter:
    """Writes a transcript's new content to ``output`` after each update.

    Args:
        output: where to write.
        transcript: the transcript being filled.
        baseline_ids: ids of messages that were on the thread before the run (not printed).
        skip_texts: the user's own input texts (human messages with these are not printed).
        show_errors: print the run's error blocks (``✗ …``); ``run`` and ``join`` pass False
            and say why the run failed once, on stderr, where it is seen even when stdout
            goes to a file.
    """

    def __init__(
        self,
        output: Output,
        transcript: Transcript,
        *,
        baseline_ids: set[str] | None = None,
        skip_texts: set[str] | None = None,
        show_errors: bool = True,
    ) -> None:
        self.output = output
        self.transcript = transcript
        self.show_errors = show_errors
        self.baseline_ids = baseline_ids or set()
        self.skip_texts = set(skip_texts or ())
        self._printed: dict[str, _Printed] = {}
        self._col0 = True
        self._label: str | None = None
        self._current: str | None = None

    # --- public -------------------------------------------------------------------------

    def update(self, *, final: bool = False) -> None:
        """Print what changed since the last call (everything left over when ``final``)."""
        t = self.transcript
        dirty, _meta = t.take_dirty()
        if not final and not dirty:
            return
        if final:
            self._skip_late_inputs()
        for message in t.messages:
            if final or message.key in dirty:
                self._emit(message, final)
        if final:
            self.newline()

    def _skip_late_inputs(self) -> None:
        """Human messages the final state puts before printed ones came too late to print."""
        printed = False
        for message in reversed(self.transcript.messages):
            state = self._printed.get(message.key)
            if state is not None and not state.skip and (state.done or state.text or state.calls):
                printed = True
            elif printed and message.role == "human":
                self._state(message).skip = True

    def newline(self) -> None:
        """End the current line if something is on it."""
        if not self._col0:
            self._write("\n")

    def interrupts(self) -> None:
        """Print the pending interrupts with their ids and values."""
        for pending in self.transcript.interrupts:
            self.newline()
            self._write(format_interrupt(pending) + "\n")

    # --- writing ------------------------------------------------------------------------

    def _write(self, text: str) -> None:
        if text:
            self.output.write(text)
            self._col0 = text.endswith("\n")

    def _label_of(self, message: Message) -> str | None:
        parts = [n.split(":", 1)[0] for n in message.ns]
        if message.node:
            parts.append(message.node)
        return one_line(" › ".join(parts), 80) if parts else None

    def _start_block(self, message: Message, *, resume_mark: bool = False) -> None:
        """Begin writing for ``message``: own line, node header if the node changed."""
        if self._current == message.key and not resume_mark:
            return
        self.newline()
        label = self._label_of(message)
        if label and label != self._label:
            self._write(f"── {label} ──\n")
            self._label = label
        if resume_mark:  # the rest of a message another one interrupted
            self._write("… ")
        self._current = message.key

    def _line_for(self, message: Message, text: str) -> None:
        self._start_block(message)
        self.newline()
        self._write(text + "\n")

    # --- per role -----------------------------------------------------------------------

    def _state(self, message: Message) -> _Printed:
        state = self._printed.get(message.key)
        if state is None:
            state = _Printed()
            if (
                message.id is not None and message.id in self.baseline_ids
            ) or message.role == "system":
                state.skip = True
            self._printed[message.key] = state
        return state

    def _emit(self, message: Message, final: bool) -> None:
        state = self._state(message)
        if state.skip:
            return
        if message.role == "ai":
            self._emit_ai(message, state, final)
        elif state.done or (message.streaming and not final):
            return
        elif message.role == "human":
            state.done = True
            if message.local or message.text in self.skip_texts:
                self.skip_texts.discard(message.text)
                state.skip = True
                return
            self._line_for(message, _indent(sanitize(message.text), "› "))
        elif message.role == "tool":
            state.done = True
            text = sanitize(message.text)
            if len(text) > MAX_TOOL_RESULT:
                more = len(text) - MAX_TOOL_RESULT
                text = text[:MAX_TOOL_RESULT] + f"… ({more} more characters)"
            mark = "↳ ✗ " if message.status == "error" else "↳ "
            self._line_for(message, _indent(text, mark))
        elif message.role == "error":
            state.done = True
            if not self.show_errors:
                return
            self._line_for(message, _indent(sanitize(message.text), "✗ "))

    def _emit_ai(self, message: Message, state: _Printed, final: bool) -> None:
        text = sanitize(message.text)
        if text != state.text:
            if text.startswith(state.text):
                interrupted = bool(state.text) and self._current != message.key
                self._start_block(message, resume_mark=interrupted)
                self._write(text[len(state.text) :])
            elif text.rstrip() == state.text.rstrip() or not text.strip():
                pass  # whitespace settled at the end, or a preview emptied by a tool call
            else:
                self._start_block(message)
                self.newline()
                self._write("↺ revised:\n" + text)
            state.text = text
        for index, call in enumerate(message.tool_calls):
            if index in state.calls:
                continue
            if message.streaming and not final:
                continue  # arguments are complete only with the whole message
            state.calls.add(index)
            args = one_line(call.display_args(), 500)
            self._line_for(message, f"⚙ {one_line(call.name, 80) or '?'}({args})")
