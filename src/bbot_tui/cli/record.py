"""``run --record FILE`` and ``bbot-tui replay FILE``.

A recording is JSON lines:

1. ``{"type":"request","endpoint":"POST /threads/T/runs/stream","url":<base url>,"body":{…},
   "user_text":…,"baseline":[ids]}`` — never the key nor any header;
2. one ``{"type":"event","t":<seconds since start>,"event":<name>,"id":…,"data":<data string>}``
   per event the session applied (after de-duplication);
3. ``{"type":"state","messages":[…],"next":[…],"interrupts":[…]}`` — the thread state the run
   was reconciled with (thread runs only);
4. the ``--json`` summary line.

Replay feeds the events through the same :class:`Reducer` and printer, with no server, so a
replayed transcript equals the recorded run's.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from pathlib import Path
from typing import Any, TextIO

from bbot_tui.api.events import StreamEvent
from bbot_tui.api.models import ThreadState
from bbot_tui.cli.common import EXIT_ERROR, EXIT_OK, EXIT_STOPPED, Output, UsageError, json_line
from bbot_tui.cli.printer import TextPrinter, summary
from bbot_tui.config.security import redact, registered_secrets
from bbot_tui.stream.inputs import input_message_id
from bbot_tui.stream.reducer import Reducer
from bbot_tui.stream.transcript import PendingInterrupt, Transcript
from bbot_tui.text import one_line

__all__ = ["Recorder", "replay_command"]


class Recorder:
    """Writes a recording as the run goes (flushed per batch, file mode 0600).

    Args:
        path: the file to write.
        secret: the API key, removed from every line should the server ever echo it.
    """

    def __init__(self, path: str | os.PathLike[str], secret: str | None = None) -> None:
        self.path = Path(path)
        self._secret = secret
        self.started = time.monotonic()
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        except OSError as exc:
            raise UsageError(f"--record: cannot write {self.path} ({exc.strerror})") from None
        self._file: TextIO = os.fdopen(fd, "w", encoding="utf-8")

    def _put(self, obj: dict[str, Any], *, full_redact: bool = False) -> None:
        line = json_line(obj)
        if full_redact:
            line = redact(line, registered_secrets())
        elif self._secret and self._secret in line:
            line = line.replace(self._secret, "***")
        self._file.write(line + "\n")

    def request(
        self,
        endpoint: str,
        url: str,
        body: dict[str, Any],
        *,
        user_text: str | None = None,
        baseline: set[str] | None = None,
    ) -> None:
        """The request line (no key, no headers)."""
        self.started = time.monotonic()
        line: dict[str, Any] = {"type": "request", "endpoint": endpoint, "url": url, "body": body}
        if user_text is not None:
            line["user_text"] = user_text
        if baseline:
            line["baseline"] = sorted(baseline)
        self._put(line, full_redact=True)
        self._file.flush()

    def events(self, events: list[StreamEvent]) -> None:
        """One line per event, with its arrival time."""
        for event in events:
            if event.raw is not None:
                data = event.raw
            elif event.data is None:
                data = ""
            else:
                data = json.dumps(event.data, ensure_ascii=False, separators=(",", ":"))
            t = round(max(0.0, event.received_at - self.started), 4)
            self._put({"type": "event", "t": t, "event": event.event, "id": event.id, "data": data})
        self._file.flush()

    def state(self, state: ThreadState) -> None:
        """The thread state the run was reconciled with."""
        interrupts = [i.model_dump(mode="json", exclude_none=True) for i in state.interrupts]
        self._put(
            {
                "type": "state",
                "messages": state.messages,
                "next": list(state.next),
                "interrupts": interrupts,
            }
        )

    def summary(self, line: dict[str, Any]) -> None:
        """The summary line; closes the file."""
        self._put(line)
        self.close()

    def close(self) -> None:
        """Close the file (idempotent)."""
        if not self._file.closed:
            self._file.close()


def _read(path: str) -> list[dict[str, Any]]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"replay: cannot read {one_line(path, 200)} ({exc})") from None
    lines: list[dict[str, Any]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise UsageError(f"replay: line {number} is not JSON ({exc.msg})") from None
        if not isinstance(obj, dict) or "type" not in obj:
            raise UsageError(f"replay: line {number} is not a recording line")
        lines.append(obj)
    if not lines or lines[0].get("type") != "request":
        raise UsageError("replay: not a bbot-tui recording (no request line first)")
    return lines


def replay_transcript(lines: list[dict[str, Any]]) -> tuple[Transcript, Reducer]:
    """Set up a transcript and reducer as the live run did before its first event."""
    request = lines[0]
    transcript = Transcript()
    if isinstance(request.get("user_text"), str):
        body = request.get("body")
        run_input = body.get("input") if isinstance(body, dict) else None
        text = request["user_text"]
        transcript.add_user_message(text, input_message_id(run_input, text))
    reducer = Reducer(transcript)
    return transcript, reducer


def apply_state(reducer: Reducer, state: dict[str, Any], recorded: dict[str, Any]) -> None:
    """Reconcile with the recorded state, as the session did after the run."""
    t = reducer.transcript
    messages = state.get("messages")
    if isinstance(messages, list):
        reducer.reconcile([m for m in messages if isinstance(m, dict)])
    t.next_nodes = [str(n) for n in state.get("next") or []]
    stop = recorded.get("stop")
    if stop == "question":
        known = {p.id: p for p in t.interrupts}
        fresh = []
        for item in state.get("interrupts") or []:
            if isinstance(item, dict):
                ns = tuple(item.get("ns") or ()) or (
                    known[item.get("id")].ns if item.get("id") in known else ()
                )
                fresh.append(PendingInterrupt(id=item.get("id"), value=item.get("value"), ns=ns))
        t.interrupts = fresh
    else:
        t.interrupts = []
    t.stop = stop if stop in ("question", "breakpoint", "cancelled", "error") else None
    t.touch_meta()


async def replay_command(path: str, *, speed: float, json_mode: bool, output: Output) -> int:
    """Play a recording through the reducer and the printer (no server).

    Args:
        path: the recording.
        speed: 1 = as recorded, 2 = twice as fast, 0 = as fast as possible.
        json_mode: print ``--json`` lines instead of text.
        output: where to print.
    """
    if speed < 0:
        raise UsageError("--speed: must be 0 (as fast as possible) or more")
    lines = _read(path)
    request = lines[0]
    recorded: dict[str, Any] = next((x for x in reversed(lines) if x.get("type") == "summary"), {})
    transcript, reducer = replay_transcript(lines)
    skip = {request["user_text"]} if isinstance(request.get("user_text"), str) else set()
    printer = (
        None
        if json_mode
        else TextPrinter(
            output, transcript, baseline_ids=set(request.get("baseline") or []), skip_texts=skip
        )
    )
    if not json_mode:
        output.note(
            f"replaying {one_line(str(request.get('endpoint')), 120)} "
            f"of {one_line(str(request.get('url')), 120)}"
        )
    base = time.monotonic()
    reducer.begin_run(base)
    previous = 0.0
    for line in lines[1:]:
        kind = line.get("type")
        if kind == "event":
            t = float(line.get("t") or 0.0)
            if speed > 0 and t > previous:
                await asyncio.sleep((t - previous) / speed)
            previous = max(previous, t)
            event = StreamEvent.from_sse(
                str(line.get("event") or "message"),
                str(line.get("data") or ""),
                line.get("id"),
                received_at=base + t,
            )
            reducer.apply(event)
            if printer is not None:
                printer.update()
            else:
                output.json(event.to_json())
        elif kind == "state":
            apply_state(reducer, line, recorded)
    reducer.end_run(base + previous)
    status = str(recorded.get("status") or "success")
    if printer is not None:
        printer.update(final=True)
        if transcript.stop == "question":
            printer.interrupts()
        if recorded.get("continue"):
            output.line(f"(recorded) to go on: {one_line(str(recorded['continue']), 500)}")
        output.note(f"recorded status: {status}")
    else:
        output.json(
            summary(
                transcript,
                status,
                thread_id=recorded.get("thread_id"),
                run_id=recorded.get("run_id"),
                error=recorded.get("error"),
            )
        )
    if status == "interrupted":
        return EXIT_STOPPED
    return EXIT_OK if status == "success" else EXIT_ERROR
