"""``bbot-tui run`` and ``bbot-tui join``: stream a run to stdout, exit with its outcome.

Exit codes: 0 finished, 3 stopped at an interrupt or breakpoint (the pending interrupts and the
command that goes on are printed), 1 run or server error, 2 bad usage (nothing sent), 130
Ctrl+C (the run is cancelled on the server unless ``--detach``).

Before anything is created, ``--assistant`` is resolved (id, graph id or name, through the
assistants path the server answers: :mod:`bbot_tui.session.assistants`) and its entity id put
in ``config.configurable``; a run the server still refuses leaves no thread behind
(:mod:`bbot_tui.session.refusal`). A streamed run on an existing thread, which a refusal
cannot leave anything behind for, sends the assistant an earlier command resolved
(:class:`~bbot_tui.session.assistants.KnownAssistants`) and looks it up only if the server
refuses the run: with the stream and the state read that reconciles it, two requests.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shlex
import uuid
from collections.abc import AsyncIterator
from typing import Any

from bbot_tui.api import errors
from bbot_tui.api.client import AgentClient
from bbot_tui.api.models import Assistant, RunCreate, RunCreateStateless, ThreadState
from bbot_tui.cli.common import (
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_STOPPED,
    Connection,
    Output,
    UsageError,
    make_client,
    resolve_connection,
)
from bbot_tui.cli.options import (
    RunRequest,
    build_run_request,
    check_something_to_send,
    resume_flag,
    run_protocol,
)
from bbot_tui.cli.printer import TextPrinter, format_waterfall, summary
from bbot_tui.cli.record import Recorder
from bbot_tui.session.assistants import (
    AssistantLookupError,
    KnownAssistant,
    KnownAssistants,
    resolve_assistant,
)
from bbot_tui.session.refusal import discard_thread, is_refusal
from bbot_tui.session.run import RunSession, SessionUpdate
from bbot_tui.session.timing import run_timing
from bbot_tui.session.titles import new_thread_metadata
from bbot_tui.text import one_line, sanitize

__all__ = ["detach_body", "join_command", "run_command"]

_QUIET_PHASES = {"posting", "streaming", "reconciling", "done", "joining"}
CANCEL_CONFIRM_SECONDS = 15.0
"""How long Ctrl+C waits for the server to confirm the run stopped."""


def _cmd(*parts: str) -> str:
    return " ".join(shlex.quote(p) for p in parts)


def _conn_flags(conn: Connection) -> list[str]:
    if conn.explicit_url:
        return ["--url", conn.base_url]
    if conn.profile is not None:
        return ["--profile", conn.profile.name]
    return []


async def find_assistant(client: AgentClient, name: str, *, auto: bool) -> Assistant:
    """The assistant ``--assistant`` names (id, graph id or name), before anything is made.

    Raises:
        UsageError: no assistant, or several, match (exit 2).
    """
    try:
        return await resolve_assistant(client, name, auto=auto)
    except AssistantLookupError as exc:
        raise UsageError(f"--assistant: {exc}") from None


async def check_breakpoints(client: AgentClient, assistant: Assistant, req: RunRequest) -> None:
    """Reject ``--interrupt-before/after`` node names the assistant's graph does not have."""
    wanted = {
        "--interrupt-before": req.body.interrupt_before,
        "--interrupt-after": req.body.interrupt_after,
    }
    if not any(isinstance(v, list) for v in wanted.values()):
        return
    try:
        graph = await client.assistants.graph(assistant.assistant_id, xray=True)
    except (errors.HttpError, errors.ProtocolError):
        return
    nodes = graph.node_names()
    known = set(nodes) | {n.rsplit(":", 1)[-1] for n in nodes}
    for flag, value in wanted.items():
        if not isinstance(value, list):
            continue
        unknown = [n for n in value if n not in known]
        if unknown:
            listed = ", ".join(one_line(n, 60) for n in nodes) or "(none)"
            bad = ", ".join(repr(one_line(n, 60)) for n in unknown)
            raise UsageError(f"{flag}: unknown node {bad}; the graph's nodes are: {listed}")


async def nothing_pending(
    client: AgentClient, conn: Connection, args: argparse.Namespace, req: RunRequest
) -> str | None:
    """Why a resume, or a run with no input, would do nothing on ``--thread``; None if not.

    A resume with no interrupt pending, or a run with no input on a thread with no next node,
    is accepted by the server and ends at once with nothing done: say so before sending.

    Returns:
        The sentence to print (exit 1), or None: the run goes on.
    """
    return (await _check_pending(client, conn, args, req))[0]


async def _check_pending(
    client: AgentClient, conn: Connection, args: argparse.Namespace, req: RunRequest
) -> tuple[str | None, ThreadState | None]:
    """:func:`nothing_pending`, with the thread state it read (None when it read none)."""
    flag = resume_flag(args)
    continuing = "input" not in req.fields and not req.has_command and not args.checkpoint_id
    if flag is None and not continuing:
        return None, None
    try:
        state = await client.threads.get_state(args.thread)
    except (errors.NotFound, errors.Unprocessable):
        return None, None  # the run's own request gets the server's answer
    if state.next or state.interrupts or any(task.interrupts for task in state.tasks):
        return None, state
    why = "no interrupt waits for an answer" if flag else "it has nothing to continue"
    where = ["--thread", args.thread, "--assistant", args.assistant]
    send = _cmd("bbot-tui", "run", *_conn_flags(conn), *where, "--message", "TEXT")
    return (
        f"bbot-tui: nothing is pending on thread {args.thread}: {why}; "
        f"to send a new message: {send}"
    ), state


async def baseline_ids(client: AgentClient, thread_id: str, run_id: str | None = None) -> set[str]:
    """Ids of the messages the thread had before the run (or now, without a run id)."""
    with contextlib.suppress(errors.NotFound, errors.Unprocessable):
        if run_id is not None:
            history = await client.threads.get_history(
                thread_id, limit=100, metadata={"run_id": run_id}
            )
            if history:
                oldest = history[-1]
                parent = oldest.parent_checkpoint_id or (
                    oldest.parent_checkpoint.checkpoint_id if oldest.parent_checkpoint else None
                )
                if (oldest.metadata or {}).get("source") == "input" or not parent:
                    return {str(m.get("id")) for m in oldest.messages if m.get("id")}
                state = await client.threads.get_state(thread_id, checkpoint_id=parent)
                return {str(m.get("id")) for m in state.messages if m.get("id")}
        state = await client.threads.get_state(thread_id)
        return {str(m.get("id")) for m in state.messages if m.get("id")}
    return set()


class _Follower:
    """Consumes a session's updates: prints them, records them, ends with the outcome."""

    def __init__(
        self,
        output: Output,
        conn: Connection,
        session: RunSession,
        *,
        json_mode: bool,
        assistant: str | None,
        baseline: set[str],
        skip_texts: set[str],
        recorder: Recorder | None = None,
        detach: bool = False,
        timing: bool = False,
        history_above_input: bool = False,
    ) -> None:
        self.output = output
        self.conn = conn
        self.session = session
        self.json_mode = json_mode
        self.assistant = assistant
        self.recorder = recorder
        self.detach = detach
        self.timing = timing
        """Print the run's waterfall at its end (text mode, ``--timing``)."""
        self.baseline = baseline
        """Ids of the messages the thread had before the run: not printed, not timed."""
        self.printer = (
            None
            if json_mode
            else TextPrinter(
                output,
                session.transcript,
                baseline_ids=baseline,
                skip_texts=skip_texts,
                show_errors=False,  # finish() says why the run failed, once
            )
        )
        if self.printer is not None:
            self.printer.baseline_ids = self.baseline  # one set: history found later counts
        self.history_above_input = history_above_input
        """Find the thread's earlier messages in the transcript itself, without reading the
        state before the run: whatever shows up above the run's own input (the stored
        messages the reconcile or a ``values`` event brings) was there before the run."""
        self._input_key: str | None = None
        self._announced = False

    def announce(self, thread_id: str | None, run_id: str | None) -> None:
        """Say which run this is (stderr), once."""
        if run_id and not self._announced and not self.json_mode:
            self._announced = True
            where = f"thread {thread_id} · " if thread_id else "stateless · "
            self.output.note(f"▶ {where}run {run_id}")

    def mark_history(self) -> None:
        """Add the messages above the run's input to :attr:`baseline` (with
        ``history_above_input``).

        The input is the user's message the session shows at once (``local``), under a key
        that stays when the server's copy replaces it; the first call finds it.
        """
        if not self.history_above_input:
            return
        messages = self.session.transcript.messages
        if self._input_key is None:
            mine = next((m for m in messages if m.local and m.role == "human"), None)
            if mine is None:
                return
            self._input_key = mine.key
        for message in messages:
            if message.key == self._input_key:
                return
            if message.id is not None:
                self.baseline.add(message.id)

    def on_update(self, update: SessionUpdate) -> None:
        """Print and record one update."""
        self.mark_history()
        if self.recorder is not None and update.events:
            self.recorder.events(update.events)
        if self.json_mode:
            for event in update.events:
                self.output.json(event.to_json())
        else:
            assert self.printer is not None
            self.announce(self.session.thread_id, self.session.run_id)
            if update.events:
                self.printer.update()
            if update.notice and update.phase not in _QUIET_PHASES:
                self.printer.newline()
                self.output.note(f"… {sanitize(update.notice)}")

    async def follow(self, updates: AsyncIterator[SessionUpdate]) -> int:
        """Consume the updates; Ctrl+C cancels the run (unless detached)."""
        try:
            async for update in updates:
                self.on_update(update)
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if task is not None:
                task.uncancel()
            return await self.interrupted()
        return await self.finish()

    def continue_command(self) -> str | None:
        """The exact command that goes on from the stop, if the run stopped."""
        t = self.session.transcript
        thread_id = self.session.thread_id
        if t.stop not in ("question", "breakpoint") or not thread_id or not self.assistant:
            return None
        parts = ["bbot-tui", "run", *_conn_flags(self.conn)]
        parts += ["--thread", thread_id, "--assistant", self.assistant]
        if t.stop == "question":
            if len(t.interrupts) > 1 and all(p.id for p in t.interrupts):
                for pending in t.interrupts:
                    parts += ["--resume-id", f"{pending.id}=<JSON>"]
            else:
                parts += ["--resume", "<JSON>"]
        return _cmd(*parts)

    async def finish(self) -> int:
        """Print the end of the run and return the exit code."""
        session = self.session
        outcome = session.outcome
        t = session.transcript
        command = self.continue_command()
        if self.recorder is not None:
            if session.thread_id:
                with contextlib.suppress(errors.ApiError):
                    state = await session.client.threads.get_state(
                        session.thread_id, subgraphs=True
                    )
                    self.recorder.state(state)
            self.recorder.summary(self._summary(outcome.status, command))
        self.mark_history()
        if self.json_mode:
            self.output.json(self._summary(outcome.status, command))
        else:
            assert self.printer is not None
            self.announce(session.thread_id, session.run_id)
            self.printer.update(final=True)
            if t.stop == "question":
                self.printer.interrupts()
                self.output.line(f"to answer: {command}")
            elif t.stop == "breakpoint":
                nodes = ", ".join(one_line(n, 60) for n in t.next_nodes) or "(unknown)"
                self.output.line(f"⏸ stopped at a breakpoint; next: {nodes}")
                self.output.line(f"to continue: {command}")
            elif outcome.status == "error":
                self.output.note(f"✗ run failed: {sanitize(outcome.error or 'error')}")
            elif outcome.status == "cancelled":
                self.output.note("✗ the run was cancelled on the server")
            if self.timing:
                for line in format_waterfall(run_timing(session, exclude_ids=self.baseline)):
                    self.output.note(line)
        if outcome.status == "interrupted":
            return EXIT_STOPPED
        return EXIT_OK if outcome.status == "success" else EXIT_ERROR

    def _summary(self, status: str, command: str | None) -> dict[str, Any]:
        s = self.session
        return summary(
            s.transcript,
            status,
            thread_id=s.thread_id,
            run_id=s.run_id,
            error=s.outcome.error if status == "error" else None,
            continue_command=command,
            timing=run_timing(s, exclude_ids=self.baseline),
        )

    async def interrupted(self) -> int:
        """Ctrl+C: cancel the run on the server (or leave it going with ``--detach``)."""
        session = self.session
        if self.printer is not None:
            self.printer.newline()
        thread_id, run_id = session.thread_id, session.run_id
        if thread_id and run_id and self.detach:
            self.output.note(f"left the run going; to follow it: {self._join_hint()}")
        elif thread_id and run_id:
            self.output.note("cancelling the run on the server…")
            try:
                await asyncio.wait_for(self._cancel(thread_id, run_id), CANCEL_CONFIRM_SECONDS)
                self.output.note(f"cancelled run {run_id} (thread {thread_id})")
            except (errors.ApiError, TimeoutError) as exc:
                self.output.note(f"could not confirm the cancel: {exc}")
        elif run_id is None:
            self.output.note("interrupted before the run was known to start")
        if self.json_mode or self.recorder is not None:
            line = self._summary("cancelled", None)
            if self.recorder is not None:
                self.recorder.summary(line)
            if self.json_mode:
                self.output.json(line)
        return EXIT_INTERRUPTED

    async def _cancel(self, thread_id: str, run_id: str) -> None:
        await self.session.cancel()
        delay = 0.05
        while True:
            run = await self.session.client.runs.get(thread_id, run_id)
            if not run.active:
                return
            await asyncio.sleep(delay)
            delay = min(0.5, delay * 2)

    def _join_hint(self) -> str:
        s = self.session
        return _cmd("bbot-tui", "join", *_conn_flags(self.conn), s.thread_id or "", s.run_id or "")


async def run_command(args: argparse.Namespace, output: Output) -> int:
    """``bbot-tui run``: validate, start the run, stream it, exit with its outcome.

    Requests, each a round trip to a remote server: on a new thread the assistant lookup
    (one search), the run's stream (which creates the thread) and the state read that
    reconciles it; on an existing thread the stream and the state read when the assistant
    was resolved before (:class:`~bbot_tui.session.assistants.KnownAssistants`), else the
    lookup too. The thread's earlier messages are found in the run's own transcript
    (:meth:`_Follower.mark_history`), not read before the run.
    """
    base = build_run_request(args)
    conn = resolve_connection(args.url, args.api_key, args.profile, output)
    async with make_client(conn) as client:
        # a streamed run on an existing thread: a refused run creates nothing, so the
        # assistant resolved by an earlier run is sent without a lookup (the server checks it)
        recall = bool(args.thread) and not (args.wait or args.detach or args.record)
        known = await _recall(conn, args.assistant) if recall else None
        if known is not None and conn.assistants_path not in ("auto", known.assistants_path):
            known = None  # remembered under another collection name than the profile's
        if known is not None:
            client.http.assistants_path = known.assistants_path
            assistant = known.assistant
        else:
            assistant = await _lookup(client, conn, args.assistant)
        profile = conn.profile if conn.profile_applies else None
        protocol = run_protocol(args, profile.protocol if profile is not None else None)
        session = RunSession(client, protocol=protocol)
        try:
            return await _run_with(client, conn, args, output, base, assistant, session)
        except _REFUSED:
            if known is None or session.run_id is not None:
                raise
            # the server refused the remembered assistant (gone, or its entity id changed)?
            with contextlib.suppress(OSError):
                await asyncio.to_thread(KnownAssistants().forget, conn.base_url, args.assistant)
            fresh = await _lookup(client, conn, args.assistant)
            if _same_assistant(fresh, assistant):
                raise  # the same assistant: the refusal was about something else
            session = RunSession(client, protocol=protocol)
            return await _run_with(client, conn, args, output, base, fresh, session)


def _same_assistant(one: Assistant, other: Assistant) -> bool:
    return (one.assistant_id, one.entity_id) == (other.assistant_id, other.entity_id)


_REFUSED = (errors.NotFound, errors.Unprocessable, errors.BadRequest)
"""A run's refusals that may be about its assistant (LangGraph: 404; B-Bot: 422)."""


async def _recall(conn: Connection, name: str) -> KnownAssistant | None:
    with contextlib.suppress(OSError):
        return await asyncio.to_thread(KnownAssistants().recall, conn.base_url, name)
    return None


async def _lookup(client: AgentClient, conn: Connection, name: str) -> Assistant:
    """Resolve ``--assistant`` on the server, and remember it when it lasts."""
    assistant = await find_assistant(client, name, auto=conn.assistants_path == "auto")
    with contextlib.suppress(OSError):
        await asyncio.to_thread(
            KnownAssistants().remember, conn.base_url, name, assistant, client.assistants_path
        )
    return assistant


async def _run_with(
    client: AgentClient,
    conn: Connection,
    args: argparse.Namespace,
    output: Output,
    base: RunRequest,
    assistant: Assistant,
    session: RunSession,
) -> int:
    """Validate the run for ``assistant``, start it in ``session`` and follow it (see
    :func:`run_command`)."""
    req = base.for_assistant(assistant.assistant_id, assistant.entity_id)
    await check_breakpoints(client, assistant, req)
    check_something_to_send(args, req)
    if args.thread:
        nothing, state = await _check_pending(client, conn, args, req)
        if nothing is not None:
            output.note(nothing)
            return EXIT_ERROR
        if state is not None:  # read anyway: the messages before the run
            baseline = {str(m.get("id")) for m in state.messages if m.get("id")}
        elif req.user_text and not (args.wait or args.detach or args.record):
            # found in the run's own transcript, above its input (no request before it)
            return await _start(args, output, conn, session, req, args.thread, set(), history=True)
        else:
            baseline = await baseline_ids(client, args.thread)
        return await _start(args, output, conn, session, req, args.thread, baseline)
    if req.stateless:
        return await _start(args, output, conn, session, req, None, set())
    # titled like the TUI's threads: in the thread list they look alike, whoever made them
    metadata = new_thread_metadata(assistant.assistant_id, assistant.graph_id, req.user_text)
    if not (args.detach or args.wait):  # a streamed run creates its thread (one request)
        return await _start(
            args, output, conn, session, req, str(uuid.uuid4()), set(), new_thread=metadata
        )
    thread_id = (await client.threads.create(metadata=metadata)).thread_id
    try:
        return await _start(args, output, conn, session, req, thread_id, set())
    except errors.ApiError as exc:
        if session.run_id is None and is_refusal(exc):
            # the thread was made for this run only: an empty one must not stay behind
            output.note(await discard_thread(client, thread_id))
        raise


async def _start(
    args: argparse.Namespace,
    output: Output,
    conn: Connection,
    session: RunSession,
    req: RunRequest,
    thread_id: str | None,
    baseline: set[str],
    *,
    new_thread: dict[str, Any] | None = None,
    history: bool = False,
) -> int:
    """Send the validated run (detached, waited or streamed) and follow it to its end.

    With ``new_thread`` (its metadata), ``thread_id`` is a new id the streamed run creates.
    With ``history``, the thread's earlier messages are found above the run's input
    (:meth:`_Follower.mark_history`) instead of in ``baseline``.
    """
    client = session.client
    if args.record and session.protocol == "events":
        raise UsageError("--record: a recording is of the runs API; use --protocol runs")
    if args.detach:
        assert thread_id is not None
        return await _detach(
            client, conn, req, thread_id, output, json_mode=args.json, protocol=session.protocol
        )
    follower = _Follower(
        output,
        conn,
        session,
        json_mode=args.json,
        assistant=args.assistant,
        baseline=baseline,
        skip_texts=req.input_texts,
        detach=False,
        timing=bool(getattr(args, "timing", False)),
        history_above_input=history,
    )
    session.on_run = follower.announce
    if args.wait:
        await session.wait(req.body, thread_id=thread_id, user_text=req.user_text)
        return await follower.finish()
    if args.record:
        follower.recorder = Recorder(
            args.record, conn.api_key.get_secret_value() if conn.api_key else None
        )
        endpoint = f"POST /threads/{thread_id}/runs/stream" if thread_id else "POST /runs/stream"
        follower.recorder.request(
            endpoint,
            conn.base_url,
            req.body.to_body(),
            user_text=req.user_text,
            baseline=baseline,
        )
    try:
        updates = session.run(
            req.body, thread_id=thread_id, user_text=req.user_text, new_thread=new_thread
        )
        return await follower.follow(updates)
    finally:
        if follower.recorder is not None:
            follower.recorder.close()


def detach_body(body: RunCreate | RunCreateStateless) -> RunCreate:
    """The body ``run --detach`` posts: resumable unless the user said otherwise, so that
    ``join`` can replay the run from its start."""
    if "stream_resumable" not in body.model_fields_set:
        body = RunCreate.model_validate({**body.to_body(), "stream_resumable": True})
    assert isinstance(body, RunCreate)
    return body


async def _detach(
    client: AgentClient,
    conn: Connection,
    req: RunRequest,
    thread_id: str,
    output: Output,
    *,
    json_mode: bool,
    protocol: str = "runs",
) -> int:
    """Start the run in the background (resumable, so ``join`` can replay it) and return.

    Over the event protocol the run is started with ``run.start`` (its runs are always
    resumable), and what it cannot carry is refused.
    """
    if protocol == "events":
        from bbot_tui.session.event_run import run_start_params

        run_id = await client.events.start_run(thread_id, run_start_params(detach_body(req.body)))
        run = await client.runs.get(thread_id, run_id)
    else:
        run = await client.runs.create(thread_id, detach_body(req.body))
    join = _cmd("bbot-tui", "join", *_conn_flags(conn), thread_id, run.run_id)
    if json_mode:
        line = {
            "type": "summary",
            "thread_id": thread_id,
            "run_id": run.run_id,
            "status": run.status,
            "interrupts": [],
            "messages": [],
            "timing": {},
            "continue": join,
        }
        output.json(line)
    else:
        output.line(f"▶ run {run.run_id} started on thread {thread_id} ({run.status}); detached")
        output.line(f"to follow it: {join}")
    return EXIT_OK


async def join_command(args: argparse.Namespace, output: Output) -> int:
    """``bbot-tui join THREAD [RUN]``: follow a live run with the same output as ``run``."""
    conn = resolve_connection(args.url, args.api_key, args.profile, output)
    async with make_client(conn) as client:
        thread_id: str = args.thread
        run_id: str | None = args.run
        if run_id is None:
            runs = await client.runs.list(thread_id, limit=50)
            active = [r for r in runs if r.active]
            if not active:
                latest = f" (latest: {runs[0].run_id}, {runs[0].status})" if runs else ""
                output.note(f"no pending or running run on thread {thread_id}{latest}")
                output.note("  hint: pass RUN to replay a finished resumable run")
                return EXIT_ERROR
            run_id = active[0].run_id
        run = await client.runs.get(thread_id, run_id)
        baseline = await baseline_ids(client, thread_id, run_id)
        follower = _Follower(
            output,
            conn,
            RunSession(client),
            json_mode=args.json,
            assistant=run.assistant_id,
            baseline=baseline,
            skip_texts=set(),
            detach=args.detach,
            timing=bool(getattr(args, "timing", False)),
        )
        follower.announce(thread_id, run_id)
        last = args.last_event_id if args.last_event_id is not None else "-1"
        updates = follower.session.join(thread_id, run_id, last_event_id=last)
        return await follower.follow(updates)
