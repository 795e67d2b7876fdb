"""One family of errors for everything the client can meet.

The UI and the headless CLI only ever see these classes: no raw ``httpx`` exception leaves
:mod:`bbot_tui.api.client`. Each error carries a short user-facing ``message`` and a ``hint``
that says what to do about it. Messages never contain the API key (they are built from the
status, the server's ``detail`` and the exception's class name only).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Literal, TypeAlias

__all__ = [
    "ApiError",
    "AuthError",
    "BadRequest",
    "ConfigError",
    "Conflict",
    "ConnectFailed",
    "ConnectionDropped",
    "FailureKind",
    "GraphError",
    "HttpError",
    "NotFound",
    "PermissionDenied",
    "ProtocolError",
    "RateLimited",
    "RequestTimeout",
    "ServerError",
    "StreamTooLarge",
    "TransportError",
    "Unprocessable",
    "UnsupportedOption",
    "WrongContentType",
    "detail_from_body",
    "http_error_from_response",
]

_EXCERPT = 200


class ApiError(Exception):
    """Base class: something went wrong talking to the server.

    Attributes:
        message: one sentence for people.
        hint: what to do about it (may be empty).
        retryable: whether retrying the same request may succeed.
    """

    retryable: bool = False

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class ConfigError(ApiError):
    """The client is configured wrongly (bad URL, bad key, insecure transport)."""


class UnsupportedOption(ConfigError):
    """A run option the event protocol cannot carry (the run is not started).

    Attributes:
        options: the options, by name.
    """

    def __init__(self, options: Sequence[str], why: str = "") -> None:
        names = ", ".join(options)
        super().__init__(
            f"the event protocol cannot carry {names}" + (f" ({why})" if why else ""),
            hint="run with --protocol runs (or the profile's protocol: runs), or unset "
            + ("it" if len(options) == 1 else "them"),
        )
        self.options = list(options)


# --- HTTP status errors ------------------------------------------------------------------


class HttpError(ApiError):
    """The server answered with an error status.

    Attributes:
        status: the HTTP status code.
        detail: the server's ``detail`` (or ``message``/``error``) text, or an excerpt of a
            non-JSON body.
        body: the decoded JSON body when there was one.
    """

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        body: Any = None,
        method: str = "",
        path: str = "",
        hint: str = "",
    ) -> None:
        self.status = status
        self.detail = detail
        self.body = body
        self.method = method
        self.path = path
        where = f" on {method} {path}" if method else ""
        text = f"HTTP {status}{where}: {detail}" if detail else f"HTTP {status}{where}"
        super().__init__(text, hint=hint)


class BadRequest(HttpError):
    """400: the server refused the request as malformed."""


class AuthError(HttpError):
    """401: the API key is missing or was rejected."""


class PermissionDenied(HttpError):
    """403: the key is valid but may not do this."""


class NotFound(HttpError):
    """404: no such assistant, thread or run (or already gone)."""


class Conflict(HttpError):
    """409: e.g. the thread is busy and multitask_strategy is ``reject``."""


class Unprocessable(HttpError):
    """422: the server's validation rejected the body."""


class RateLimited(HttpError):
    """429: too many requests; ``retry_after`` seconds (capped at 60) if the server said."""

    retryable = True

    def __init__(self, *args: Any, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.retry_after = retry_after


class ServerError(HttpError):
    """5xx: the server or a proxy in front of it failed."""

    retryable = True


_STATUS_CLASSES: dict[int, tuple[type[HttpError], str]] = {
    400: (BadRequest, ""),
    401: (AuthError, "check the API key in the profile (header bbot-api-key)"),
    403: (PermissionDenied, "the key is not allowed to do this"),
    404: (NotFound, ""),
    409: (Conflict, ""),
    422: (Unprocessable, ""),
    429: (RateLimited, "wait a moment and try again"),
}


# --- transport errors ------------------------------------------------------------------


FailureKind: TypeAlias = Literal[
    "refused", "dns", "timeout", "tls", "reset", "unreachable", "proxy", "other"
]
"""What went wrong on the network: the connection was refused, the name did not resolve
(DNS), nothing answered in time, the TLS handshake failed, the peer reset or closed the
connection, no route to the host, the proxy refused, or something else."""


class TransportError(ApiError):
    """The connection failed; no (complete) answer arrived.

    Attributes:
        kind: what went wrong (:data:`FailureKind`), for a precise message (``doctor``).
    """

    retryable = True
    kind: FailureKind = "other"

    def __init__(self, message: str, *, hint: str = "", kind: FailureKind | None = None) -> None:
        super().__init__(message, hint=hint)
        if kind is not None:
            self.kind = kind


class ConnectFailed(TransportError):
    """Nothing answered at the address (refused, DNS failure, TLS, unreachable)."""


class RequestTimeout(TransportError):
    """The server did not answer in time."""

    kind: FailureKind = "timeout"


class ConnectionDropped(TransportError):
    """The connection broke in the middle of an answer (reset, incomplete body)."""

    kind: FailureKind = "reset"


# --- protocol errors -------------------------------------------------------------------


class ProtocolError(ApiError):
    """The server answered, but not in the shape the API promises."""


class WrongContentType(ProtocolError):
    """A stream endpoint answered without ``text/event-stream`` (or JSON was expected)."""


class StreamTooLarge(ProtocolError):
    """An SSE line or event exceeded the client's size cap."""


class GraphError(ApiError):
    """The graph itself failed (``__error__`` in a wait/join answer, or an SSE ``error``).

    Attributes:
        error: the exception class name the server reported (e.g. ``ValueError``).
        detail: its message.
    """

    def __init__(self, error: str, detail: str) -> None:
        self.error = error
        self.detail = detail
        super().__init__(f"{error}: {detail}" if detail else error)


def _excerpt(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _EXCERPT else text[: _EXCERPT - 1] + "…"


def detail_from_body(content: bytes, content_type: str) -> tuple[str, Any]:
    """Return (detail text, decoded JSON body or None) from an error response body."""
    if not content:
        return "", None
    try:
        body = json.loads(content)
    except (ValueError, RecursionError):
        if "html" in content_type:
            return "the server answered with an HTML page (a proxy or gateway error?)", None
        return _excerpt(content.decode("utf-8", "replace")), None
    if isinstance(body, dict):
        for key in ("detail", "message", "error"):
            value = body.get(key)
            if isinstance(value, str) and value:
                return _excerpt(value) if len(value) > 2000 else value, body
            if value is not None and key == "detail":
                return _excerpt(json.dumps(value)), body
    return _excerpt(json.dumps(body)), body


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, min(60.0, float(value)))
    except ValueError:
        return None


def http_error_from_response(
    status: int,
    content: bytes,
    headers: Any,
    *,
    method: str = "",
    path: str = "",
) -> HttpError:
    """Build the right :class:`HttpError` subclass for an error response.

    Args:
        status: the HTTP status (>= 300: a redirect is an error too, it is never followed).
        content: the raw body (may be empty, JSON, HTML or anything else).
        headers: a mapping of response headers (``content-type``, ``retry-after``).
        method: the request method, for the message.
        path: the request path, for the message.

    Returns:
        The error to raise.
    """
    content_type = str(headers.get("content-type") or "")
    detail, body = detail_from_body(content, content_type)
    if status in _STATUS_CLASSES:
        cls, hint = _STATUS_CLASSES[status]
    elif status >= 500:
        cls, hint = ServerError, "the server or a proxy failed; try again"
    else:
        cls, hint = HttpError, ""
    if cls is RateLimited:
        return RateLimited(
            status,
            detail,
            body=body,
            method=method,
            path=path,
            hint=hint,
            retry_after=_retry_after(headers.get("retry-after")),
        )
    if 300 <= status < 400:
        location = str(headers.get("location") or "")
        hint = "redirects are not followed; check the server URL" + (
            f" (the server pointed to {_excerpt(location)})" if location else ""
        )
        return HttpError(status, detail, body=body, method=method, path=path, hint=hint)
    if status == 408:
        err = HttpError(status, detail, body=body, method=method, path=path, hint=hint)
        err.retryable = True
        return err
    return cls(status, detail, body=body, method=method, path=path, hint=hint)
