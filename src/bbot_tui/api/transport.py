"""The wire layer every endpoint module shares: auth, timeouts, ids from headers, error mapping.

Nothing here knows an endpoint. :class:`KeyAuth` adds B-Bot's ``bbot-api-key`` header to the
configured origin only, :func:`ids_from_location` reads run ids back from response headers (and
refuses ids that could escape a request path), :func:`transport_error` turns an httpx exception
into the :class:`~bbot_tui.api.errors.ApiError` family the UI sees.
"""

from __future__ import annotations

import re
from collections.abc import Generator
from dataclasses import dataclass
from typing import Generic, Literal, TypeVar

import httpx
from pydantic import SecretStr

from bbot_tui.api import errors

__all__ = [
    "API_KEY_HEADER",
    "ASSISTANTS_PATHS",
    "DEFAULT_TIMEOUT",
    "AssistantsPath",
    "KeyAuth",
    "Page",
    "ids_from_location",
    "transport_error",
]

DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=20.0, write=30.0, pool=5.0)
"""Read timeout 20 s: above the server's 5 s heartbeat, low enough to notice a dead link."""
API_KEY_HEADER = "bbot-api-key"
AssistantsPath = Literal["assistants", "distribution-channels"]
ASSISTANTS_PATHS: tuple[AssistantsPath, ...] = ("assistants", "distribution-channels")
"""The names of the assistants collection, in the order discovery tries them: LangGraph's,
then new B-Bot's."""
T = TypeVar("T")
_ID_SEGMENT = re.compile(r"[A-Za-z0-9_\-:]+(?:\.[A-Za-z0-9_\-:]+)*")
"""What a thread or run id taken from a response header may look like (no dots-only, no
slashes, no percent escapes): ids from a server are put back into request paths."""


class KeyAuth(httpx.Auth):
    """Adds ``bbot-api-key`` to requests for the configured origin, and to nothing else."""

    def __init__(self, key: SecretStr, origin: tuple[str, str, int | None]) -> None:
        self._key = key
        self._origin = origin

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        url = request.url
        if (url.scheme, url.host, url.port) == self._origin:
            request.headers[API_KEY_HEADER] = self._key.get_secret_value()
        yield request

    def __repr__(self) -> str:
        return "KeyAuth(***)"


@dataclass(slots=True)
class Page(Generic[T]):
    """One page of a search: the items and the next offset (None when there is no more)."""

    items: list[T]
    next_offset: int | None = None


def ids_from_location(location: str | None) -> tuple[str | None, str | None]:
    """``(thread_id, run_id)`` from a ``Content-Location`` such as ``/threads/t/runs/r``.

    Stateless runs answer ``/runs/r``, which gives ``(None, r)``.
    """
    if not location:
        return None, None
    try:
        parts = [p for p in httpx.URL(location).path.split("/") if p]
    except (httpx.InvalidURL, TypeError, ValueError):
        return None, None
    thread_id = run_id = None
    for i, part in enumerate(parts[:-1]):
        if part == "threads" and thread_id is None:
            thread_id = parts[i + 1]
        elif part == "runs":
            run_id = parts[i + 1]
    if run_id in ("stream", "wait", "join"):
        run_id = None
    if thread_id is not None and not _ID_SEGMENT.fullmatch(thread_id):
        thread_id = None
    if run_id is not None and not _ID_SEGMENT.fullmatch(run_id):
        run_id = None
    return thread_id, run_id


def transport_error(exc: Exception, base_url: str) -> errors.ApiError:
    """Translate an httpx (or encoding) exception into our error family."""
    name = type(exc).__name__
    if isinstance(exc, httpx.ConnectTimeout):
        return errors.ConnectFailed(
            f"connecting to {base_url} timed out", hint="is the server reachable from here?"
        )
    if isinstance(exc, httpx.ConnectError):
        return errors.ConnectFailed(
            f"could not connect to {base_url}",
            hint="is the server running, and is the URL right?",
        )
    if isinstance(exc, httpx.TimeoutException):
        return errors.RequestTimeout(
            f"the server did not answer in time ({name})", hint="try again"
        )
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError):
        return errors.ConnectionDropped(
            f"the connection was interrupted ({name})", hint="the answer may be incomplete"
        )
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return errors.ConfigError(f"the server URL is not usable ({name})", hint=base_url)
    if isinstance(exc, httpx.LocalProtocolError | UnicodeEncodeError):
        return errors.ConfigError(
            "a header value is not valid (check the API key and extra headers)"
        )
    return errors.TransportError(f"network error ({name})")
