"""One async client per server profile: sub-clients over one shared transport, like the SDK's.

``client.assistants``, ``client.threads`` and ``client.runs`` are small classes
(:mod:`.assistants`, :mod:`.threads`, :mod:`.runs`) that build paths and bodies; each calls the
one :class:`~bbot_tui.api.transport.HttpTransport` (``client.http``), which owns the
``httpx.AsyncClient``, the key, the base path and the assistants name, and maps every failure
to an :class:`~bbot_tui.api.errors.ApiError`. B-Bot's variations live there: the
``bbot-api-key`` header (only ever sent to the configured origin), the two base paths seen in
B-Bot's docs, and ``/distribution-channels`` as the name of ``/assistants``.

This module is the import path the rest of the project uses::

    async with AgentClient(url, api_key=key) as client:
        thread = await client.threads.create()
        async with client.runs.stream(thread.thread_id, body) as response:
            async for batch in response.batches():
                ...
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self

import httpx
from pydantic import SecretStr

from bbot_tui.api.assistants import AssistantsClient
from bbot_tui.api.literals import AssistantsPath
from bbot_tui.api.runs import RunsClient, WaitResult
from bbot_tui.api.sse import DEFAULT_MAX_EVENT, DEFAULT_MAX_LINE
from bbot_tui.api.thread_events import ThreadEventsClient
from bbot_tui.api.threads import ThreadsClient
from bbot_tui.api.transport import (
    API_KEY_HEADER,
    DEFAULT_TIMEOUT,
    HttpTransport,
    KeyAuth,
    Page,
    StreamResponse,
    ids_from_location,
)

__all__ = [
    "API_KEY_HEADER",
    "DEFAULT_TIMEOUT",
    "AgentClient",
    "AssistantsClient",
    "AssistantsPath",
    "HttpTransport",
    "KeyAuth",
    "Page",
    "RunsClient",
    "StreamResponse",
    "ThreadEventsClient",
    "ThreadsClient",
    "WaitResult",
    "ids_from_location",
]


class AgentClient:
    """An async client for one server profile: every endpoint group on one connection pool.

    Use it as ``async with AgentClient(url) as client:`` or call :meth:`aclose`.

    Args:
        base_url: the API root, e.g. ``http://127.0.0.1:8123`` or
            ``https://api.b-bot.space/api/v2``.
        api_key: sent as ``bbot-api-key`` to that origin only.
        extra_headers: more headers for every request (not for the key).
        assistants_path: ``assistants`` (LangGraph) or ``distribution-channels`` (new B-Bot).
        timeout: httpx timeouts.
        transport: an httpx transport (tests pass a fault-injecting one).
        allow_insecure: allow sending a key over plain http to a non-loopback host.
        max_line: the longest SSE line accepted (bytes); a longer one aborts the stream.
        max_event: the largest SSE event accepted (bytes of data).
        trust_env: use the environment's proxy and CA certificates (see
            :class:`~bbot_tui.api.transport.HttpTransport`).

    Attributes:
        http: the transport the sub-clients share (requests and streams to any path).
        assistants: ``/assistants`` (B-Bot: ``/distribution-channels``).
        threads: ``/threads``, their state, history and stream.
        runs: runs on a thread and stateless runs, waited, streamed, joined, cancelled.
        events: the thread-centric event protocol (event stream, commands, detection).

    Raises:
        ConfigError: a malformed URL or key, or a key over plain http without consent.
    """

    def __init__(
        self,
        base_url: str,
        *,
        api_key: SecretStr | str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        assistants_path: AssistantsPath = "assistants",
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
        allow_insecure: bool = False,
        max_line: int = DEFAULT_MAX_LINE,
        max_event: int = DEFAULT_MAX_EVENT,
        trust_env: bool = True,
    ) -> None:
        self.http = HttpTransport(
            base_url,
            api_key=api_key,
            extra_headers=extra_headers,
            assistants_path=assistants_path,
            timeout=timeout,
            transport=transport,
            allow_insecure=allow_insecure,
            max_line=max_line,
            max_event=max_event,
            trust_env=trust_env,
        )
        self.assistants = AssistantsClient(self.http)
        self.threads = ThreadsClient(self.http)
        self.runs = RunsClient(self.http)
        self.events = ThreadEventsClient(self.http)

    def __repr__(self) -> str:
        key = "set" if self.http.has_key else "none"
        return f"{type(self).__name__}({self.base_url!r}, key={key})"

    @property
    def base_url(self) -> str:
        """The normalized API root."""
        return self.http.base_url

    @property
    def assistants_path(self) -> AssistantsPath:
        """The assistants collection's name in use (``assistants.discover`` may change it)."""
        return self.http.assistants_path

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self.http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def ok(self) -> Any:
        """``GET /ok`` (stock servers; B-Bot may not have it)."""
        return (await self.http.request("GET", "/ok"))[0]

    async def info(self) -> Any:
        """``GET /info``: server version and flags."""
        return (await self.http.request("GET", "/info"))[0]
