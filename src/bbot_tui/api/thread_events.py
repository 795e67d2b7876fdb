"""``client.events``: the thread-centric event protocol (event stream, commands, detection).

Recent Agent Servers (langgraph-api 0.16) serve, next to the runs API, a protocol scoped to a
thread (docs/PROTOCOL.md, "The thread-centric event protocol"):

- ``POST /threads/{id}/stream/events``: an SSE stream whose body is the subscription filter
  (``channels``, optional ``namespaces``, ``depth`` and the ``since`` cursor). Each event is a
  JSON envelope ``{"type": "event", "event_id", "seq", "method", "params": {"namespace",
  "timestamp", "data", "node"?}}``; the SSE ``id:`` is the ``seq``. A connection replays the
  thread's whole history (every run) before it goes live; ``since`` skips what was seen.
- ``POST /threads/{id}/commands``: ``{"id": int, "method", "params"}`` in, ``{"type":
  "success", "id", "result", "meta"}`` or ``{"type": "error", "id", "error", "message"}`` out
  (mostly with status 200). ``run.start`` and ``input.respond`` are the ones that matter over
  HTTP; the ``subscription.*`` commands need a connection that lives (the WebSocket).
- a WebSocket at the stream path (detected here, not spoken).

Everything goes through the client's one :class:`~bbot_tui.api.transport.HttpTransport`: the
key, the proxy and the limits are the ones of every other request.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal, TypeAlias, get_args

from bbot_tui.api import errors
from bbot_tui.api.transport import HttpTransport, StreamResponse

__all__ = [
    "ALL_CHANNELS",
    "PROBE_THREAD",
    "Channel",
    "CommandError",
    "InputAnswer",
    "ProtocolOffer",
    "ThreadEventsClient",
]

Channel: TypeAlias = Literal[
    "values",
    "updates",
    "checkpoints",
    "messages",
    "tools",
    "custom",
    "lifecycle",
    "input",
    "tasks",
]
"""The channels an event stream can subscribe to (``custom:<name>`` is also accepted)."""
ALL_CHANNELS: Final[tuple[Channel, ...]] = get_args(Channel)
PROBE_THREAD: Final = "00000000-0000-0000-0000-000000000000"
"""The thread id detection uses: every probe is refused before a thread is looked up."""


class CommandError(errors.ApiError):
    """A command the server answered with ``{"type": "error"}``.

    Attributes:
        code: the protocol error code (``invalid_argument``, ``no_such_run``,
            ``no_such_interrupt``, ``unsupported``, ``resume_gap``, ``unknown_command``…).
        method: the command that failed.
        details: the rest of the error envelope (``resume_gap`` carries ``since`` and
            ``min_available_seq``).
    """

    def __init__(
        self, code: str, message: str, *, method: str, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(f"{method}: {message or code} ({code})")
        self.code = code
        self.method = method
        self.details = details or {}


@dataclass(frozen=True, slots=True)
class InputAnswer:
    """One answer of ``input.respond``: the interrupt, its namespace, the response."""

    interrupt_id: str
    response: Any
    namespace: tuple[str, ...] = ()


@dataclass(slots=True)
class ProtocolOffer:
    """Whether a server offers the thread-centric protocol, and over which transports.

    Attributes:
        sse: the SSE event stream and the HTTP commands answer as the protocol does.
        websocket: the stream path accepts a WebSocket handshake.
        detail: one line per probe, for ``bbot-tui doctor``.
    """

    sse: bool = False
    websocket: bool = False
    detail: list[str] = field(default_factory=list)

    @property
    def offered(self) -> bool:
        """Whether runs can use the protocol (this client speaks it over SSE)."""
        return self.sse

    @property
    def transports(self) -> list[str]:
        """The transports offered, by name."""
        return [name for name, on in (("SSE", self.sse), ("WebSocket", self.websocket)) if on]


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None


class ThreadEventsClient:
    """The event stream, the commands and detection of the thread-centric protocol.

    Args:
        http: the client's transport.
    """

    def __init__(self, http: HttpTransport) -> None:
        self._http = http
        self._ids = itertools.count(1)
        self._offer: ProtocolOffer | None = None

    # --- the event stream ---------------------------------------------------------------

    def stream(
        self,
        thread_id: str,
        channels: Iterable[str] = ALL_CHANNELS,
        *,
        since: int | None = None,
        namespaces: Sequence[Sequence[str]] | None = None,
        depth: int | None = None,
    ) -> contextlib.AbstractAsyncContextManager[StreamResponse]:
        """``POST /threads/{id}/stream/events``: the thread's events, filtered.

        Args:
            thread_id: the thread.
            channels: what to receive (at least one).
            since: only events whose ``seq`` is above it (the reconnect cursor).
            namespaces: only these namespaces (and what is below them).
            depth: how far below them.
        """
        body: dict[str, Any] = {"channels": list(channels)}
        if namespaces is not None:
            body["namespaces"] = [list(ns) for ns in namespaces]
        if depth is not None:
            body["depth"] = depth
        if since is not None:
            body["since"] = since
        return self._http.open_stream("POST", f"/threads/{thread_id}/stream/events", json_body=body)

    # --- commands -----------------------------------------------------------------------

    async def command(
        self, thread_id: str, method: str, params: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Send one command and return its ``result``.

        Raises:
            CommandError: the server answered with an error envelope (status 200 or 400).
            ApiError: the request failed otherwise.
        """
        payload = {"id": next(self._ids), "method": method, "params": params or {}}
        try:
            data, _ = await self._http.request(
                "POST", f"/threads/{thread_id}/commands", json_body=payload
            )
        except errors.BadRequest as exc:
            raise CommandError(
                "invalid_argument", exc.message, method=method, details={"status": 400}
            ) from None
        if not isinstance(data, dict):
            raise errors.ProtocolError(f"{method}: the server's answer is not a command response")
        if data.get("type") == "error":
            details = {k: v for k, v in data.items() if k not in ("type", "id", "error", "message")}
            raise CommandError(
                str(data.get("error") or "unknown_error"),
                str(data.get("message") or ""),
                method=method,
                details=details,
            )
        result = data.get("result")
        return result if isinstance(result, dict) else {}

    async def start_run(self, thread_id: str, params: dict[str, Any]) -> str:
        """``run.start``: create the thread if needed and start a run; returns its id.

        Args:
            thread_id: the thread (created by the run when it does not exist).
            params: ``assistant_id``, ``input``, ``config``, ``metadata``,
                ``multitaskStrategy``, ``langsmith_tracer`` (all the protocol carries).
        """
        result = await self.command(thread_id, "run.start", params)
        run_id = result.get("run_id")
        if not isinstance(run_id, str) or not run_id:
            raise errors.ProtocolError("run.start: the server gave no run id")
        return run_id

    async def respond(
        self,
        thread_id: str,
        answers: Sequence[InputAnswer],
        *,
        update: Any = None,
        goto: Any = None,
        config: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        """``input.respond``: answer one or several pending interrupts at once (one run).

        Args:
            thread_id: the thread.
            answers: the answers, by interrupt id and namespace.
            update, goto: a state update and a jump applied with the answers.
            config, metadata: of the resumed run.
        """
        if not answers:
            raise ValueError("input.respond needs at least one answer")
        params: dict[str, Any] = {
            "responses": [
                {
                    "interrupt_id": a.interrupt_id,
                    "namespace": list(a.namespace),
                    "response": a.response,
                }
                for a in answers
            ]
        }
        for key, value in (("update", update), ("goto", goto), ("config", config)):
            if value is not None:
                params[key] = value
        if metadata is not None:
            params["metadata"] = metadata
        await self.command(thread_id, "input.respond", params)

    # --- detection ----------------------------------------------------------------------

    async def offers(self, *, refresh: bool = False) -> ProtocolOffer:
        """Whether the server speaks the protocol, over SSE and/or a WebSocket.

        Nothing is created: every probe is refused before a thread is looked up. ``/info``
        has no flag for the protocol (langgraph-api 0.16 gates the routes on
        ``FF_V2_EVENT_STREAMING`` when it registers them), so the routes themselves are
        asked: a command without an id is answered with the protocol's ``invalid_argument``
        envelope, a stream without channels with a 400 that names them, and the stream
        path answers a WebSocket handshake with 101 (closed at once). A server without the
        protocol answers 404 or 405. The answer is kept for the client's life.

        Raises:
            ApiError: the server could not be reached.
        """
        if self._offer is not None and not refresh:
            return self._offer
        offer = ProtocolOffer()
        base = f"/threads/{PROBE_THREAD}"
        status, _, body = await self._http.probe("POST", f"{base}/commands", json_body={})
        data = _json(body)
        commands = (
            status == 400 and isinstance(data, dict) and data.get("error") == "invalid_argument"
        )
        offer.detail.append(f"POST {base}/commands (no id): {status}")
        status, _, body = await self._http.probe(
            "POST", f"{base}/stream/events", json_body={"channels": []}
        )
        data = _json(body)
        stream = (
            status == 400 and isinstance(data, dict) and "channels" in str(data.get("detail", ""))
        )
        offer.detail.append(f"POST {base}/stream/events (no channels): {status}")
        offer.sse = commands and stream
        key = base64.b64encode(os.urandom(16)).decode()
        try:
            status, _, _ = await self._http.probe(
                "GET",
                f"{base}/stream/events",
                headers={
                    "connection": "upgrade",
                    "upgrade": "websocket",
                    "sec-websocket-version": "13",
                    "sec-websocket-key": key,
                },
            )
        except errors.TransportError as exc:  # a proxy that drops upgrades
            offer.detail.append(f"WebSocket handshake: {exc.message}")
        else:
            offer.websocket = status == 101
            offer.detail.append(f"WebSocket handshake at {base}/stream/events: {status}")
        self._offer = offer
        return offer
