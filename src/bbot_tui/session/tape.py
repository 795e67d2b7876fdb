"""A script's tape: every request and event of a played script, to replay a step offline.

A tape is JSON lines, the shapes of ``bbot-tui run --record`` (``cli/record.py``) with the step
number on each line:

1. ``{"type":"script","version":1,"source":…,"assistant":…,"assistant_id":…,"url":…,
   "thread_id":…}``, once;
2. per step that started a run: ``{"type":"request","step":N,"spec":<the step as written>,
   "endpoint":…,"url":…,"body":{…},"user_text":…}``, then one ``{"type":"event","step":N,
   "t":<seconds since the request>,"event":…,"id":…,"data":<data string>}`` per event the
   session applied, the thread state it was reconciled with (``{"type":"state","step":N,
   "messages":[…],"next":[…],"interrupts":[…],"tasks":[{"name":…,"interrupts":[ids]}]}``)
   and ``{"type":"result","step":N,"status":…,"stop":…,"error":…,"run_id":…}``;
3. other lines (checks, the summary) that replay ignores.

No key and no header is ever written; every line is passed through
:func:`~bbot_tui.config.security.redact` with the registered secrets and the connection's key
before it reaches the file (mode 0600).

:func:`replay_step` feeds a step's events through the same reducer as a live run, so the
transcript after a replayed step equals the recorded one; :func:`replay_paced` does the same at
the recorded pace (the presenter's replay, which an audience watches). Nothing here imports Textual.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from bbot_tui.api.events import StreamEvent
from bbot_tui.api.models import ThreadState, ThreadTask
from bbot_tui.config.security import redact, registered_secrets
from bbot_tui.stream.inputs import input_message_id
from bbot_tui.stream.reducer import Reducer
from bbot_tui.stream.transcript import PendingInterrupt

__all__ = [
    "TAPE_VERSION",
    "Tape",
    "TapeError",
    "TapeStep",
    "TapeWriter",
    "interrupt_nodes",
    "replay_paced",
    "replay_step",
]

TAPE_VERSION = 1
"""The version of the tape format written by :class:`TapeWriter`."""

_STOPS = ("question", "breakpoint", "cancelled", "error")
_BATCH = 1 / 60
"""Events due within this many seconds of one another are replayed as one batch."""


class TapeError(ValueError):
    """A file that is not a readable tape (the message says which line and why)."""


def interrupt_nodes(tasks: Iterable[ThreadTask]) -> list[tuple[str, str]]:
    """``(node name, interrupt id)`` of every pending interrupt of a state's tasks.

    A subgraph's own tasks (``task.state``, read with ``subgraphs=True``) are included, after
    the parent's: an answer may name the inner node that asked or the subgraph node.
    """
    out: list[tuple[str, str]] = []
    for task in tasks:
        out.extend((task.name, i.id) for i in task.interrupts if i.id)
        nested = task.state.get("tasks") if isinstance(task.state, dict) else None
        if isinstance(nested, list):
            inner = [ThreadTask.model_validate(t) for t in nested if isinstance(t, dict)]
            out.extend(interrupt_nodes(inner))
    return out


def _tasks(tasks: Iterable[ThreadTask]) -> list[dict[str, Any]]:
    by_name: dict[str, list[str]] = {}
    for name, interrupt_id in interrupt_nodes(tasks):
        by_name.setdefault(name, []).append(interrupt_id)
    return [{"name": name, "interrupts": ids} for name, ids in by_name.items()]


class TapeWriter:
    """Writes a tape as the script plays (flushed per line, file mode 0600).

    Args:
        path: the file to write (replaced).
        secrets: values never to write (the connection's key), on top of the registered ones.

    Raises:
        OSError: the file cannot be created.
    """

    def __init__(self, path: str | os.PathLike[str], secrets: Iterable[str | None] = ()) -> None:
        self.path = Path(path)
        self._secrets = tuple(s for s in secrets if s)
        self._started = time.monotonic()
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        self._file: TextIO = os.fdopen(fd, "w", encoding="utf-8")

    def write(self, obj: dict[str, Any]) -> None:
        """Write one line, with every secret masked."""
        line = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), default=str)
        line = redact(line, (*registered_secrets(), *self._secrets))
        self._file.write(line + "\n")
        self._file.flush()

    def header(
        self,
        *,
        source: str,
        assistant: str,
        assistant_id: str | None,
        url: str,
        thread_id: str | None,
    ) -> None:
        """The first line: which script, on which server and thread."""
        self.write(
            {
                "type": "script",
                "version": TAPE_VERSION,
                "source": source,
                "assistant": assistant,
                "assistant_id": assistant_id,
                "url": url,
                "thread_id": thread_id,
            }
        )

    def request(
        self,
        step: int,
        spec: dict[str, Any],
        *,
        endpoint: str,
        url: str,
        body: dict[str, Any],
        user_text: str | None,
        replayed: bool = False,
    ) -> None:
        """A step's request (the step as written, and the body sent)."""
        self._started = time.monotonic()
        line: dict[str, Any] = {
            "type": "request",
            "step": step,
            "spec": spec,
            "endpoint": endpoint,
            "url": url,
            "body": body,
        }
        if user_text is not None:
            line["user_text"] = user_text
        if replayed:
            line["replayed"] = True
        self.write(line)

    def events(self, step: int, events: Iterable[StreamEvent]) -> None:
        """One line per event, with its time since the step's request."""
        for event in events:
            if event.raw is not None:
                data = event.raw
            elif event.data is None:
                data = ""
            else:
                data = json.dumps(event.data, ensure_ascii=False, separators=(",", ":"))
            t = round(max(0.0, event.received_at - self._started), 4)
            self.write(
                {
                    "type": "event",
                    "step": step,
                    "t": t,
                    "event": event.event,
                    "id": event.id,
                    "data": data,
                }
            )

    def state(self, step: int, state: ThreadState | dict[str, Any] | None) -> None:
        """The thread state the step's run was reconciled with (nothing when unknown)."""
        if state is None:
            return
        if isinstance(state, dict):
            self.write({**state, "type": "state", "step": step})
            return
        interrupts = [i.model_dump(mode="json", exclude_none=True) for i in state.interrupts]
        self.write(
            {
                "type": "state",
                "step": step,
                "messages": state.messages,
                "next": list(state.next),
                "interrupts": interrupts,
                "tasks": _tasks(state.tasks),
            }
        )

    def result(self, step: int, result: dict[str, Any]) -> None:
        """How the step's run ended."""
        self.write({**result, "type": "result", "step": step})

    def close(self) -> None:
        """Close the file (idempotent)."""
        if not self._file.closed:
            self._file.close()


@dataclass
class TapeStep:
    """What a tape holds for one step that started a run.

    Attributes:
        number: the step number (1-based).
        request: the request line.
        events: the event lines, in order.
        state: the state line, or None.
        result: the result line (empty when the tape was cut before it).
    """

    number: int
    request: dict[str, Any]
    events: list[dict[str, Any]] = field(default_factory=list)
    state: dict[str, Any] | None = None
    result: dict[str, Any] = field(default_factory=dict)

    @property
    def spec(self) -> Any:
        """The step as the script had it when the tape was made."""
        return self.request.get("spec")

    @property
    def complete(self) -> bool:
        """Whether the tape has the step's end (a result line)."""
        return bool(self.result)


@dataclass
class Tape:
    """A tape read back: its header and its steps by number.

    Attributes:
        header: the ``script`` line.
        steps: the steps that started a run, by number.
    """

    header: dict[str, Any]
    steps: dict[int, TapeStep]

    @property
    def thread_id(self) -> str | None:
        """The thread the tape was made on."""
        value = self.header.get("thread_id")
        return value if isinstance(value, str) else None

    @property
    def assistant_id(self) -> str | None:
        """The assistant id the tape was made with."""
        value = self.header.get("assistant_id")
        return value if isinstance(value, str) else None

    def step(self, number: int) -> TapeStep | None:
        """The complete recording of step ``number``, or None."""
        found = self.steps.get(number)
        return found if found is not None and found.complete else None

    @classmethod
    def read(cls, path: str | os.PathLike[str]) -> Tape:
        """Read a tape.

        Raises:
            TapeError: the file cannot be read or is not a tape.
        """
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise TapeError(f"cannot read {path} ({reason})") from None
        return cls.parse(text, str(path))

    @classmethod
    def parse(cls, text: str, name: str = "<tape>") -> Tape:
        """Parse a tape's text (see :meth:`read`)."""
        header: dict[str, Any] | None = None
        steps: dict[int, TapeStep] = {}
        for number, raw in enumerate(text.splitlines(), start=1):
            if not raw.strip():
                continue
            try:
                line = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise TapeError(f"{name}:{number}: not JSON ({exc.msg})") from None
            if not isinstance(line, dict) or not isinstance(line.get("type"), str):
                raise TapeError(f"{name}:{number}: not a tape line")
            kind = line["type"]
            if header is None:
                if kind != "script":
                    raise TapeError(f"{name}: not a script tape (no script line first)")
                header = line
                continue
            step = line.get("step")
            if kind not in ("request", "event", "state", "result"):
                continue
            if not isinstance(step, int) or isinstance(step, bool):
                raise TapeError(f"{name}:{number}: a {kind} line without a step number")
            if kind == "request":
                steps[step] = TapeStep(step, line)
                continue
            current = steps.get(step)
            if current is None:
                raise TapeError(f"{name}:{number}: step {step} has no request line before it")
            if kind == "event":
                current.events.append(line)
            elif kind == "state":
                current.state = line
            else:
                current.result = line
        if header is None:
            raise TapeError(f"{name}: an empty tape")
        return cls(header, steps)


def _begin(reducer: Reducer, step: TapeStep, base: float) -> None:
    """The step's user message (with the id it was sent with), then the run's start."""
    request = step.request
    text = request.get("user_text")
    if isinstance(text, str):
        body = request.get("body")
        run_input = body.get("input") if isinstance(body, dict) else None
        reducer.transcript.add_user_message(text, input_message_id(run_input, text))
    reducer.begin_run(base)


def _event(line: dict[str, Any], base: float) -> StreamEvent:
    """A recorded event line as the stream event it was, received at ``base + t``."""
    return StreamEvent.from_sse(
        str(line.get("event") or "message"),
        str(line.get("data") or ""),
        line.get("id"),
        received_at=base + _offset(line),
    )


def _offset(line: dict[str, Any]) -> float:
    value = line.get("t")
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def _end(reducer: Reducer, step: TapeStep, at: float) -> None:
    """The recorded thread state and stop, as the live run ended on them."""
    t = reducer.transcript
    state = step.state or {}
    messages = state.get("messages")
    if isinstance(messages, list):
        reducer.reconcile([m for m in messages if isinstance(m, dict)])
    t.next_nodes = [str(n) for n in state.get("next") or []]
    stop = step.result.get("stop")
    if stop == "question":
        known = {p.id: p for p in t.interrupts}
        fresh: list[PendingInterrupt] = []
        for item in state.get("interrupts") or []:
            if isinstance(item, dict):
                ns = tuple(item.get("ns") or ()) or (
                    known[item["id"]].ns if item.get("id") in known else ()
                )
                fresh.append(PendingInterrupt(id=item.get("id"), value=item.get("value"), ns=ns))
        t.interrupts = fresh
    else:
        t.interrupts = []
    t.stop = stop if stop in _STOPS else None
    t.touch_meta()
    reducer.end_run(at)


def replay_step(reducer: Reducer, step: TapeStep, *, now: float | None = None) -> None:
    """Apply a recorded step to a transcript as the live run did, with no server.

    The user's message is added first (with the id it was sent with), the events go through
    the reducer, then the recorded thread state and stop are applied.

    Args:
        reducer: the session's reducer (its transcript holds the steps before this one).
        step: the recorded step.
        now: the monotonic time the replay starts (default: now).
    """
    base = time.monotonic() if now is None else now
    _begin(reducer, step, base)
    last = 0.0
    for line in step.events:
        last = max(last, _offset(line))
        reducer.apply(_event(line, base))
    _end(reducer, step, base + last)


async def replay_paced(
    reducer: Reducer,
    step: TapeStep,
    *,
    speed: float = 1.0,
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
) -> AsyncIterator[list[StreamEvent]]:
    """:func:`replay_step` at the recorded pace: each event when it came, relative to the request.

    Events that fall due together are applied and yielded as one batch, so a viewer redraws
    once per batch (as it does for a live stream). The transcript ends exactly as
    :func:`replay_step` leaves it.

    Args:
        reducer: the session's reducer.
        step: the recorded step.
        speed: 2.0 plays twice as fast; 0 or less applies everything at once.
        sleep: how to wait (tests pass a fake).

    Yields:
        The events applied since the last batch (an empty list for the final state).
    """
    started = time.monotonic()
    _begin(reducer, step, started)
    last = 0.0
    batch: list[StreamEvent] = []
    for line in step.events:
        offset = _offset(line)
        last = max(last, offset)
        due = started + (offset / speed if speed > 0 else 0.0)
        wait = due - time.monotonic()
        if wait > _BATCH and batch:
            yield batch
            batch = []
        if wait > 0:
            await sleep(wait)
        event = _event(line, started)
        reducer.apply(event)
        batch.append(event)
    if batch:
        yield batch
    _end(reducer, step, started + last)
    yield []
