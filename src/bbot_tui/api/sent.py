"""What the client sent: one request as it left, keys masked, for the event log.

:class:`SentRequest` is built by the transport right before a request goes out (see
:attr:`~bbot_tui.api.transport.HttpTransport.request_listeners`): the method, the path below the
base URL, the query, the headers and the JSON body. Nothing secret is kept: the API key header
(added later, by the transport's auth, to the configured origin only) is shown as ``***``, any
header whose name says key, token, secret, cookie or authorization is masked, and every
registered secret (:func:`bbot_tui.config.security.registered_secrets`) is replaced by ``***``
wherever it appears in the body.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bbot_tui.config.security import redact, registered_secrets

__all__ = ["MASK", "RequestListener", "SentRequest", "sent_request"]

MASK = "***"
"""What a masked value is shown as."""

_SENSITIVE = re.compile(r"key|token|secret|cookie|authorization|password", re.IGNORECASE)


@dataclass(frozen=True)
class SentRequest:
    """One request as it was sent (secrets masked).

    Attributes:
        method: ``GET``, ``POST``…
        path: The path below the base URL, with its query (``/threads/t/runs/stream``).
        headers: The request headers, masked.
        body: The JSON body, masked (None: no body).
        size: The body's size in bytes.
        sent_at: When it was sent (:func:`time.monotonic`).
    """

    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    size: int = 0
    sent_at: float = 0.0

    @property
    def label(self) -> str:
        """``POST /threads/…/runs/stream``."""
        return f"{self.method} {self.path}"

    def to_json(self) -> dict[str, Any]:
        """Method, path, headers and body, as the event log shows them."""
        out: dict[str, Any] = {"method": self.method, "path": self.path, "headers": self.headers}
        if self.body is not None:
            out["body"] = self.body
        return out


RequestListener = Callable[[SentRequest], None]
"""Called with each request right before it is sent."""


def sent_request(
    method: str,
    path: str,
    *,
    params: Mapping[str, Any] | None,
    headers: Mapping[str, str],
    content: bytes | None,
    key_header: str | None,
) -> SentRequest:
    """The masked record of a request about to be sent.

    Args:
        method: The method.
        path: The path below the base URL.
        params: The query parameters.
        headers: The headers the request carries (the client's and its own).
        content: The JSON body's bytes, if any.
        key_header: The header the API key goes in, when a key is sent (shown as ``***``).
    """
    secrets = registered_secrets()
    shown = {
        name: (MASK if _SENSITIVE.search(name) else redact(str(value), secrets))
        for name, value in headers.items()
    }
    if key_header is not None:
        shown[key_header] = MASK
    body: Any = None
    if content is not None:
        text = redact(content.decode("utf-8", "replace"), secrets)
        try:
            body = json.loads(text)
        except ValueError:
            body = text
    if params:
        query = "&".join(f"{k}={v}" for k, v in params.items())
        path = f"{path}?{redact(query, secrets)}"
    return SentRequest(
        method,
        "/" + path.lstrip("/"),
        shown,
        body,
        len(content or b""),
        time.monotonic(),
    )
