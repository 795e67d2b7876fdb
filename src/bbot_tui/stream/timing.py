"""Where a run's time went: first token, speed, total, a node waterfall and token usage.

Plain data, built from the events a run streamed and the transcript they filled (no I/O):

- :class:`Stopwatch` is fed by the :class:`~bbot_tui.stream.reducer.Reducer` with the events
  that tell when graph nodes ran, from up to three stream modes, kept apart so that a report can
  say which one it used:

  * ``tasks``: a task's start (``{"id", "name", "input"…}``) and its result (``{"id", "name",
    "result"|"error"…}``), paired by task id: exact starts and ends as the client saw them;
  * ``debug``: the same pairs as ``task`` / ``task_result`` payloads, with the server's
    ``timestamp`` (durations on the server's clock, placed where the first ``debug`` event
    arrived);
  * ``updates``: a node's write ends its step; its start is inferred (the previous write in
    the same namespace, or the run's first event: the server sends ``metadata`` when it starts
    the run), so parallel nodes look sequential.

  Without any of them the transcript's node timeline (token metadata) is the fallback
  (``tokens``).
- :class:`TimingLog` keeps the timing of a conversation's ended runs, so that a message of an
  earlier run still finds its own run.
- :func:`measure` turns a stopwatch and a transcript into a :class:`RunTiming`: time to first
  token, tokens/s, total, the waterfall (:class:`NodeSpan`, seconds from the run's start, in
  the order the server ran them), the token usage summed over this run's messages'
  ``usage_metadata`` (:class:`Usage`), and the rejoins and replayed events the session counted.

``bbot-tui run --json`` prints :meth:`RunTiming.to_json` as the summary's ``timing``; the text
mode (``--timing``) and the TUI's run details draw the waterfall with :func:`bar_extent`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from bbot_tui.api.events import StreamEvent
from bbot_tui.stream.transcript import Message, Transcript

__all__ = [
    "NodeSpan",
    "RunTiming",
    "Stopwatch",
    "TimingLog",
    "TimingSource",
    "Usage",
    "bar_extent",
    "measure",
]

TimingSource = Literal["tasks", "debug", "updates", "tokens"]
"""Which events a waterfall was built from, best first."""

_USAGE_KEYS = ("input_tokens", "output_tokens", "total_tokens")


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def _r(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


@dataclass(slots=True)
class NodeSpan:
    """One node's run in the waterfall.

    Attributes:
        node: the node's name.
        ns: the subgraph namespace it ran in (empty at the root).
        start: seconds from the run's start.
        duration: seconds it ran (None: still running when measured).
        step: the superstep, when the source tells it.
        error: the error it failed with, if any.
    """

    node: str
    ns: tuple[str, ...] = ()
    start: float = 0.0
    duration: float | None = None
    step: int | None = None
    error: str | None = None

    @property
    def label(self) -> str:
        """``parent › node`` for a subgraph's node, else the node's name."""
        parts = [n.split(":", 1)[0] for n in self.ns]
        return " › ".join([*parts, self.node])

    def to_json(self) -> dict[str, Any]:
        """JSON form (seconds, rounded)."""
        out: dict[str, Any] = {
            "node": self.node,
            "start": _r(self.start),
            "duration": _r(self.duration),
        }
        if self.ns:
            out["ns"] = list(self.ns)
        if self.step is not None:
            out["step"] = self.step
        if self.error is not None:
            out["error"] = self.error
        return out


@dataclass(slots=True)
class Usage:
    """Token usage summed over messages' ``usage_metadata``.

    Attributes:
        input_tokens, output_tokens, total_tokens: the sums.
        messages: how many messages reported usage.
    """

    input_tokens: int = 0
    output_tokens: int = 0
    total_tokens: int = 0
    messages: int = 0

    def add(self, usage: dict[str, Any] | None) -> None:
        """Add one message's ``usage_metadata`` (None or a non-dict adds nothing)."""
        if not isinstance(usage, dict):
            return
        ins, outs, total = (_count(usage.get(k)) for k in _USAGE_KEYS)
        if ins is None and outs is None and total is None:
            return
        self.input_tokens += ins or 0
        self.output_tokens += outs or 0
        self.total_tokens += total if total is not None else (ins or 0) + (outs or 0)
        self.messages += 1

    @classmethod
    def of(cls, messages: Iterable[Message]) -> Usage:
        """The usage of ``messages`` (those without usage count for nothing)."""
        usage = cls()
        for message in messages:
            usage.add(message.usage)
        return usage

    def to_json(self) -> dict[str, int]:
        """JSON form."""
        return {
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "total_tokens": self.total_tokens,
            "messages": self.messages,
        }


@dataclass(slots=True)
class RunTiming:
    """Where one run's time went (see the module docstring).

    Attributes:
        run_id, thread_id: the run.
        ttft: seconds from the run's start (before its POST) to the first token.
        first_event: seconds from the run's start to the server's first event (``metadata``,
            sent when the server starts the run: the POST and the queue before it).
        tokens: streamed token chunks.
        tokens_per_second: chunks per second between the first and the last token.
        total: seconds from the run's start to its end (or now, while it runs).
        source: the events the waterfall was built from (None: no node was seen).
        spans: the waterfall, in the order the nodes started.
        usage: this run's messages' token usage.
        rejoins: how many times the stream was rejoined (the last drain of a finished run
            included).
        replayed: replayed events dropped at rejoin seams.
        restarts: how many times the run restarted on the server.
        message_keys: the transcript keys of this run's messages (the TUI finds a message's
            run by them).
        running: the run had not ended when measured.
    """

    run_id: str | None = None
    thread_id: str | None = None
    ttft: float | None = None
    first_event: float | None = None
    tokens: int = 0
    tokens_per_second: float | None = None
    total: float | None = None
    source: TimingSource | None = None
    spans: list[NodeSpan] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    rejoins: int = 0
    replayed: int = 0
    restarts: int = 0
    message_keys: frozenset[str] = frozenset()
    running: bool = False

    def to_json(self) -> dict[str, Any]:
        """The ``timing`` object of ``bbot-tui run --json``'s summary (seconds, rounded)."""
        return {
            "ttft": _r(self.ttft),
            "first_event": _r(self.first_event),
            "tokens": self.tokens,
            "tokens_per_second": _r(self.tokens_per_second),
            "total": _r(self.total),
            "source": self.source,
            "waterfall": [s.to_json() for s in self.spans],
            "usage": self.usage.to_json(),
            "rejoins": self.rejoins,
            "replayed": self.replayed,
            "restarts": self.restarts,
        }

    def headline(self) -> str:
        """One line: total, first token, speed, usage, what the waterfall came from."""
        parts = [f"{self.total:.2f} s total" if self.total is not None else "no end yet"]
        if self.first_event is not None:
            parts.append(f"started after {self.first_event:.2f} s")
        if self.ttft is not None:
            parts.append(f"first token {self.ttft:.2f} s")
        if self.tokens_per_second is not None:
            parts.append(f"{self.tokens_per_second:.0f} tokens/s")
        u = self.usage
        if u.messages:
            parts.append(
                f"usage {u.input_tokens} in / {u.output_tokens} out / {u.total_tokens} total"
            )
        if self.rejoins or self.replayed or self.restarts:
            parts.append(
                f"{_n(self.rejoins, 'rejoin')}, {_n(self.replayed, 'replayed event')} dropped, "
                f"{_n(self.restarts, 'restart')}"
            )
        parts.append(f"nodes from {self.source}" if self.source else "no nodes seen")
        return " · ".join(parts)

    def node_names(self) -> list[str]:
        """The waterfall's node names in order (root and subgraph nodes alike)."""
        return [s.node for s in self.spans]


def bar_extent(span: NodeSpan, total: float, width: int) -> tuple[int, int]:
    """Where a span's bar goes in a row of ``width`` cells that stands for ``total`` seconds.

    Args:
        span: the span.
        total: the seconds the whole row stands for (> 0).
        width: cells in the row (>= 1).

    Returns:
        ``(lead, length)``: empty cells before the bar and the bar's cells (at least one, so
        an instant node still shows; never past the row's end).
    """
    width = max(1, width)
    if total <= 0:
        return 0, 1
    lead = min(width - 1, max(0, int(span.start / total * width)))
    duration = span.duration if span.duration is not None else max(0.0, total - span.start)
    length = max(1, round(duration / total * width))
    return lead, min(length, width - lead)


# --- the recorder ------------------------------------------------------------------------------


@dataclass(slots=True)
class _Span:
    node: str
    ns: tuple[str, ...]
    start: float
    end: float | None = None
    step: int | None = None
    error: str | None = None


def _error_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dict):
        return str(value.get("error") or value.get("message") or value)
    return str(value)


def _timestamp(value: Any) -> float | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value).timestamp()
    except ValueError:
        return None


class _Pairs:
    """Start/end pairs of tasks by ``(ns, task id)``, in the order they started."""

    __slots__ = ("open", "spans")

    def __init__(self) -> None:
        self.spans: list[_Span] = []
        self.open: dict[tuple[tuple[str, ...], str], _Span] = {}

    def start(self, key: tuple[tuple[str, ...], str], span: _Span) -> None:
        if key not in self.open:
            self.open[key] = span
            self.spans.append(span)

    def end(
        self,
        key: tuple[tuple[str, ...], str],
        node: str,
        at: float,
        step: int | None,
        error: str | None,
    ) -> None:
        span = self.open.pop(key, None)
        if span is None:  # a result without its start (a rejoin missed it): an instant
            span = _Span(node, key[0], at, step=step)
            self.spans.append(span)
        span.end = at
        span.error = error
        if span.step is None:
            span.step = step


class Stopwatch:
    """Records when graph nodes ran, per source (see the module docstring).

    The reducer calls :meth:`begin` when a run starts and one of :meth:`task`, :meth:`debug`,
    :meth:`update` per event of those modes; none of them raises on odd payloads.

    Attributes:
        baseline: the transcript keys that existed when the run began (not this run's).
        opened_at: when the run's first ``metadata`` event arrived (monotonic), if it did.
    """

    __slots__ = (
        "_debug",
        "_debug_anchor",
        "_marks",
        "_started",
        "_tasks",
        "_updates",
        "baseline",
        "opened_at",
    )

    def __init__(self) -> None:
        self.baseline: frozenset[str] = frozenset()
        self.opened_at: float | None = None
        self._started = 0.0
        self._tasks = _Pairs()
        self._debug = _Pairs()
        self._debug_anchor: tuple[float, float] | None = None
        self._updates: list[_Span] = []
        self._marks: dict[tuple[str, ...], float] = {}

    def begin(self, keys: Iterable[str], now: float) -> None:
        """A run starts at ``now``; ``keys`` are the transcript's messages before it."""
        self.baseline = frozenset(keys)
        self.opened_at = None
        self._started = now
        self._tasks = _Pairs()
        self._debug = _Pairs()
        self._debug_anchor = None
        self._updates = []
        self._marks = {(): now}

    def opened(self, at: float) -> None:
        """The server's ``metadata`` event arrived: it started the run (the first one counts)."""
        if self.opened_at is None:
            self.opened_at = at
            if not self._updates:
                self._marks[()] = at

    def task(self, event: StreamEvent) -> None:
        """A ``tasks`` event: a task started, or ended with a result or an error."""
        data = event.data
        if not isinstance(data, dict):
            return
        name, task_id = data.get("name"), data.get("id")
        if not isinstance(name, str) or name.startswith("__") or not isinstance(task_id, str):
            return
        key = (event.ns, task_id)
        at = event.received_at
        if "result" in data or "error" in data:
            self._tasks.end(key, name, at, None, _error_text(data.get("error")))
        else:
            self._tasks.start(key, _Span(name, event.ns, at))

    def debug(self, event: StreamEvent) -> None:
        """A ``debug`` event: its ``task`` and ``task_result`` payloads, on the server's clock."""
        data = event.data
        if not isinstance(data, dict):
            return
        server_at = _timestamp(data.get("timestamp"))
        if self._debug_anchor is None and server_at is not None:
            self._debug_anchor = (event.received_at, server_at)
        kind = data.get("type")
        payload = data.get("payload")
        if kind not in ("task", "task_result") or not isinstance(payload, dict):
            return
        name, task_id = payload.get("name"), payload.get("id")
        if not isinstance(name, str) or name.startswith("__") or not isinstance(task_id, str):
            return
        at = event.received_at
        if server_at is not None and self._debug_anchor is not None:
            at = self._debug_anchor[0] + (server_at - self._debug_anchor[1])
        step = data.get("step") if isinstance(data.get("step"), int) else None
        key = (event.ns, task_id)
        if kind == "task_result":
            self._debug.end(key, name, at, step, _error_text(payload.get("error")))
        else:
            self._debug.start(key, _Span(name, event.ns, at, step=step))

    def update(self, event: StreamEvent) -> None:
        """An ``updates`` event: each node in it finished now (its start is inferred)."""
        data = event.data
        if not isinstance(data, dict):
            return
        ns, at = event.ns, event.received_at
        marks = self._marks
        start = marks.get(ns)
        if start is None:
            start = marks.get(ns[:-1], self._started) if ns else self._started
        wrote = False
        for node in data:
            if isinstance(node, str) and not node.startswith("__"):
                self._updates.append(_Span(node, ns, min(start, at), at))
                wrote = True
        if wrote:
            marks[ns] = at

    def spans(self, transcript: Transcript) -> tuple[TimingSource | None, list[NodeSpan]]:
        """The waterfall from the best source this run streamed (see :data:`TimingSource`).

        Args:
            transcript: the run's transcript (its ``nodes`` are the fallback source).

        Returns:
            The source and the spans, in the order they started (seconds from the run's start).
        """
        source: TimingSource | None
        raw: list[_Span]
        if self._tasks.spans:
            source, raw = "tasks", self._tasks.spans
        elif self._debug.spans:
            source, raw = "debug", self._debug.spans
        elif self._updates:
            source, raw = "updates", self._updates
        elif transcript.nodes:
            source = "tokens"
            raw = [
                _Span(n.node, n.ns, n.started_at, n.ended_at, n.step, n.error)
                for n in transcript.nodes
            ]
        else:
            return None, []
        origin = transcript.timing.started_at
        if origin is None:
            origin = self._started
        ordered = sorted(enumerate(raw), key=lambda item: (item[1].start, item[0]))
        return source, [
            NodeSpan(
                node=s.node,
                ns=s.ns,
                start=max(0.0, s.start - origin),
                duration=None if s.end is None else max(0.0, s.end - s.start),
                step=s.step,
                error=s.error,
            )
            for _, s in ordered
        ]

    def run_messages(
        self, transcript: Transcript, exclude_ids: Iterable[str] = ()
    ) -> Iterator[Message]:
        """This run's messages: those the transcript did not hold when it began.

        Args:
            transcript: the transcript.
            exclude_ids: message ids known to predate the run (a CLI run on an existing thread
                whose stream shows the thread's older messages).
        """
        excluded = set(exclude_ids)
        for message in transcript.messages:
            if message.key in self.baseline or (message.id is not None and message.id in excluded):
                continue
            yield message


def measure(
    transcript: Transcript,
    stopwatch: Stopwatch,
    *,
    rejoins: int = 0,
    replayed: int = 0,
    exclude_ids: Iterable[str] = (),
) -> RunTiming:
    """The :class:`RunTiming` of the transcript's current (or last) run.

    Args:
        transcript: the run's transcript.
        stopwatch: what the reducer recorded for it.
        rejoins: the session's rejoin count for the run.
        replayed: the replayed events the session dropped.
        exclude_ids: message ids that predate the run (see :meth:`Stopwatch.run_messages`).
    """
    timing = transcript.timing
    source, spans = stopwatch.spans(transcript)
    messages = list(stopwatch.run_messages(transcript, exclude_ids))
    first_event = None
    if stopwatch.opened_at is not None and timing.started_at is not None:
        first_event = max(0.0, stopwatch.opened_at - timing.started_at)
    return RunTiming(
        run_id=transcript.run_id,
        thread_id=transcript.thread_id,
        ttft=timing.ttft,
        first_event=first_event,
        tokens=timing.tokens,
        tokens_per_second=timing.tokens_per_second,
        total=timing.total,
        source=source,
        spans=spans,
        usage=Usage.of(messages),
        rejoins=rejoins,
        replayed=replayed,
        restarts=transcript.restarts,
        message_keys=frozenset(m.key for m in messages),
        running=timing.ended_at is None,
    )


class TimingLog:
    """The timings of a conversation's runs, newest last, to find a message's run.

    Args:
        limit: how many runs are kept (the oldest go first).
    """

    def __init__(self, limit: int = 100) -> None:
        self._limit = limit
        self._runs: list[RunTiming] = []

    def __len__(self) -> int:
        return len(self._runs)

    def add(self, timing: RunTiming) -> None:
        """Keep an ended run's timing (a run measured again replaces its older entry)."""
        if timing.run_id is not None:
            self._runs = [t for t in self._runs if t.run_id != timing.run_id]
        self._runs.append(timing)
        del self._runs[: max(0, len(self._runs) - self._limit)]

    def clear(self) -> None:
        """Forget every run (another thread is shown)."""
        self._runs.clear()

    def last(self) -> RunTiming | None:
        """The newest run's timing, if any."""
        return self._runs[-1] if self._runs else None

    def for_message(self, key: str) -> RunTiming | None:
        """The timing of the run that made the message with transcript key ``key``."""
        for timing in reversed(self._runs):
            if key in timing.message_keys:
                return timing
        return None
