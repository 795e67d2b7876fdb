"""Fault trials: one run through ``RunSession.run`` behind a seeded :class:`FaultProxy`.

A trial records what the session delivered (the ordered ``(event name, data)`` pairs, with
random ids masked), the final transcript, and the timing of every fault: when it fired in the
proxy, when the session noticed (its next status poll or rejoin notice), and when the rejoin
request reached the wire. The tests compare a trial with an uncut reference run.
"""

from __future__ import annotations

import json
import re
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from faultproxy import FaultProxy

from bbot_tui.api.client import AgentClient
from bbot_tui.api.models import RunCreate
from bbot_tui.session.run import RunSession

__all__ = [
    "GRAPH_RUNS",
    "TrialResult",
    "aggregate",
    "describe",
    "normalize",
    "record",
    "run_trial",
    "summarize",
    "write_figures",
]

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_VOLATILE_KEYS = frozenset({"client_request_id", "langgraph_api_url"})
_JOIN_PATH = re.compile(r"^GET /threads/[^/]+/runs/[^/]+/stream")
_BREAKING = frozenset({"cut", "rst", "stall-close", "hang", "refuse"})
"""Fault modes that break the connection: the session must notice them and rejoin."""

GRAPH_RUNS: dict[str, dict[str, Any]] = {
    "writer": {"stream_mode": ["custom", "updates"], "configurable": {"delay": 0.03}},
    "slow": {
        "stream_mode": ["messages-tuple", "updates"],
        "configurable": {"tokens": 30, "delay": 0.02},
    },
    "chat": {"stream_mode": ["messages-tuple", "updates"], "configurable": {}},
}
"""Per graph: the stream modes and ``configurable`` of a trial run (each lasts about 0.6 s)."""


def normalize(value: Any) -> Any:
    """Mask what differs between two runs of the same graph (ids, the request id)."""
    if isinstance(value, dict):
        return {k: ("<x>" if k in _VOLATILE_KEYS else normalize(v)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [normalize(v) for v in value]
    if isinstance(value, str):
        return _UUID.sub("<id>", value)
    return value


@dataclass
class TrialResult:
    """What one trial produced.

    Attributes:
        seed, graph: the trial.
        status: the session's outcome status (or the exception's name).
        tokens: the delivered ``(event name, data)`` pairs, normalized.
        final: the transcript after reconcile, normalized (messages, stop, interrupts, custom).
        warnings: the transcript's warnings.
        rejoins, dropped: from the outcome.
        faults: fault modes that fired.
        detect: seconds from each fault to the session noticing.
        rejoin: seconds from noticing to the rejoin request on the wire.
        runs_on_thread: ``GET /threads/{t}/runs`` count after the trial.
        error: the exception's text, if the trial raised.
        connections: the proxy's connection logs.
        phases: the session's phases, in order, without repeats.
    """

    seed: int
    graph: str
    status: str = ""
    tokens: list[Any] = field(default_factory=list)
    final: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    rejoins: int = 0
    dropped: int = 0
    faults: list[str] = field(default_factory=list)
    detect: list[float] = field(default_factory=list)
    rejoin: list[float] = field(default_factory=list)
    runs_on_thread: int = 0
    error: str | None = None
    connections: list[Any] = field(default_factory=list)
    phases: list[str] = field(default_factory=list)


def _final(session: RunSession) -> dict[str, Any]:
    t = session.transcript
    messages = [{k: v for k, v in m.items() if k != "id"} for m in normalize(t.to_json())]
    return {
        "messages": messages,
        "stop": t.stop,
        "interrupts": normalize([p.to_json() for p in t.interrupts]),
        "custom": normalize([list(item) for item in t.custom]),
    }


async def run_trial(
    server_url: str,
    assistant_id: str,
    graph: str,
    *,
    seed: int,
    proxy: dict[str, Any] | None = None,
    client: dict[str, Any] | None = None,
    session: dict[str, Any] | None = None,
    text: str = "hello there",
) -> TrialResult:
    """Run one ``graph`` run through a fault proxy seeded with ``seed``.

    Args:
        server_url: the real server.
        assistant_id: the graph's assistant.
        graph: a key of :data:`GRAPH_RUNS`.
        seed: the proxy's seed.
        proxy: FaultProxy options (None: a proxy that never faults).
        client: AgentClient options.
        session: RunSession options.
        text: the user's message.
    """
    target = urlsplit(server_url)
    options = dict(proxy or {"fault_rate": 0.0})
    fault_proxy = FaultProxy(
        target.hostname or "127.0.0.1", target.port or 80, seed=seed, **options
    )
    await fault_proxy.start()
    result = TrialResult(seed=seed, graph=graph)
    polls: list[float] = []
    notices: list[float] = []
    agent = AgentClient(fault_proxy.url, **(client or {}))
    real_get_run = agent.runs.get

    async def get_run(*args: Any, **kwargs: Any) -> Any:
        polls.append(time.monotonic())
        return await real_get_run(*args, **kwargs)

    agent.runs.get = get_run  # type: ignore[method-assign]
    spec = GRAPH_RUNS[graph]
    body = RunCreate.model_validate(
        {
            "assistant_id": assistant_id,
            "input": {"messages": [{"role": "user", "content": text}]},
            "stream_mode": spec["stream_mode"],
            "config": {"configurable": spec["configurable"]},
        }
    )
    run_session = RunSession(agent, **(session or {}))
    try:
        thread = await agent.threads.create()
        async for update in run_session.run(body, thread_id=thread.thread_id, user_text=text):
            if not result.phases or result.phases[-1] != update.phase:
                result.phases.append(update.phase)
            if update.phase in ("rejoining", "checking", "finding"):
                notices.append(time.monotonic())
            for event in update.events:
                result.tokens.append((event.event, normalize(event.data)))
        result.status = run_session.outcome.status
        runs = await agent.runs.list(thread.thread_id, limit=20)
        result.runs_on_thread = len(runs)
    except Exception as exc:  # reported, and failed on by the test
        result.status = type(exc).__name__
        result.error = str(exc)
    finally:
        await agent.aclose()
        await fault_proxy.stop()
    result.final = _final(run_session)
    result.warnings = list(run_session.transcript.warnings)
    result.rejoins = run_session.outcome.rejoins
    result.dropped = run_session.outcome.duplicates_dropped
    result.connections = list(fault_proxy.logs)
    joins = [
        when for log in fault_proxy.logs for when, line in log.requests if _JOIN_PATH.match(line)
    ]
    for log in fault_proxy.logs:
        if not (log.fired and log.fired_at is not None):
            continue
        result.faults.append(log.mode)
        if log.mode not in _BREAKING:
            continue  # a stall that goes on, or a flipped byte: nothing to notice
        fired = log.fired_at
        noticed = min((t for t in polls + notices if t > fired), default=None)
        if noticed is None:
            continue
        result.detect.append(noticed - fired)
        rejoined = min((t for t in joins if t >= noticed), default=None)
        if rejoined is not None:
            result.rejoin.append(rejoined - noticed)
    return result


def _stats(values: list[float]) -> str:
    if not values:
        return "n=0"
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return (
        f"n={len(values)} median={statistics.median(values) * 1000:.0f} ms "
        f"p95={p95 * 1000:.0f} ms max={max(values) * 1000:.0f} ms"
    )


def summarize(
    name: str, results: list[TrialResult], references: dict[str, TrialResult]
) -> dict[str, Any]:
    """Compare trials with their uncut references; returns the figures (and prints them)."""
    final_ok = [r for r in results if r.final == references[r.graph].final and not r.error]
    token_ok = [r for r in results if r.tokens == references[r.graph].tokens and not r.error]
    faults: dict[str, int] = {}
    for r in results:
        for mode in r.faults:
            faults[mode] = faults.get(mode, 0) + 1
    figures = {
        "trials": len(results),
        "final_identical": len(final_ok),
        "token_identical": len(token_ok),
        "faults": faults,
        "reconnects": sum(r.rejoins for r in results),
        "duplicates_dropped": sum(r.dropped for r in results),
        "detect": _stats([d for r in results for d in r.detect]),
        "rejoin": _stats([d for r in results for d in r.rejoin]),
    }
    n = len(results)
    print(
        f"\n[{name}] final transcript identical {len(final_ok)}/{n}, token-level identical "
        f"{len(token_ok)}/{n}; faults fired {sum(faults.values())} {faults}; "
        f"reconnects {figures['reconnects']}; duplicates dropped {figures['duplicates_dropped']}; "
        f"fault→noticed {figures['detect']}; noticed→rejoin on the wire {figures['rejoin']}"
    )
    return figures


def describe(result: TrialResult, reference: TrialResult) -> str:
    """A short account of how a trial differs from its reference (for assertion messages)."""
    parts = [f"seed {result.seed} {result.graph}: {result.status} faults={result.faults}"]
    if result.error:
        parts.append(f"error={result.error}")
    if result.final != reference.final:
        parts.append(f"final={result.final} expected={reference.final}")
    if result.tokens != reference.tokens:
        got = [name for name, _ in result.tokens]
        want = [name for name, _ in reference.tokens]
        parts.append(f"tokens {len(got)} vs {len(want)}")
        for i, (a, b) in enumerate(zip(result.tokens, reference.tokens, strict=False)):
            if a != b:
                parts.append(f"first difference at {i}: {str(a)[:200]} vs {str(b)[:200]}")
                break
    return "; ".join(parts)


def record(result: TrialResult, reference: TrialResult, wall: float) -> dict[str, Any]:
    """One trial as a JSON-able line of the figures file."""
    return {
        "seed": result.seed,
        "graph": result.graph,
        "status": result.status,
        "final_identical": result.final == reference.final and not result.error,
        "token_identical": result.tokens == reference.tokens and not result.error,
        "faults": result.faults,
        "detect": result.detect,
        "rejoin": result.rejoin,
        "rejoins": result.rejoins,
        "dropped": result.dropped,
        "runs_on_thread": result.runs_on_thread,
        "wall": wall,
    }


def aggregate(records: list[dict[str, Any]]) -> dict[str, Any]:
    """Totals over the records of one experiment (what the note quotes)."""
    faults: dict[str, int] = {}
    for r in records:
        for mode in r["faults"]:
            faults[mode] = faults.get(mode, 0) + 1
    return {
        "trials": len(records),
        "final_identical": sum(r["final_identical"] for r in records),
        "token_identical": sum(r["token_identical"] for r in records),
        "faults": faults,
        "reconnects": sum(r["rejoins"] for r in records),
        "duplicates_dropped": sum(r["dropped"] for r in records),
        "runs_per_thread_max": max((r["runs_on_thread"] for r in records), default=0),
        "detect": _stats([d for r in records for d in r["detect"]]),
        "rejoin": _stats([d for r in records for d in r["rejoin"]]),
        "trial_wall": _stats([r["wall"] for r in records]),
    }


def write_figures(folder: Path, name: str, records: list[dict[str, Any]]) -> None:
    """Store one batch's records as ``<experiment>-<batch>.json`` (summed at the end)."""
    (folder / f"{name}.json").write_text(json.dumps(records))
