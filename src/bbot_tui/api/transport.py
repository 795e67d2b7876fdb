"""The wire: one ``httpx.AsyncClient`` per profile, JSON requests, SSE responses, error mapping.

:class:`HttpTransport` is the one object the sub-clients (:mod:`.assistants`, :mod:`.threads`,
:mod:`.runs`) share: it makes the checks done once per profile (a usable URL, a well-formed key,
no key over plain http to another host without consent), holds the base path and the name of
the assistants collection, sends requests and opens event streams. It knows no endpoint.

Around it: :class:`KeyAuth` adds B-Bot's ``bbot-api-key`` header to the configured origin only,
:func:`ids_from_location` reads run ids back from response headers (and refuses ids that could
escape a request path), :func:`transport_error` turns an httpx exception into the
:class:`~bbot_tui.api.errors.ApiError` family the UI sees, and :func:`parse` /
:func:`parse_list` turn a JSON answer into a model or a :class:`~.errors.ProtocolError`.
"""

from __future__ import annotations

import contextlib
import errno
import json
import re
import socket
import ssl
from collections.abc import AsyncIterator, Generator, Mapping
from dataclasses import dataclass
from typing import Any, Final, Generic, TypeVar, get_args

import httpx
from pydantic import BaseModel, SecretStr, ValidationError

from bbot_tui.api import errors
from bbot_tui.api.events import StreamEvent
from bbot_tui.api.literals import AssistantsPath
from bbot_tui.api.sent import RequestListener, sent_request
from bbot_tui.api.sse import DEFAULT_MAX_EVENT, DEFAULT_MAX_LINE, SSEParser, aiter_event_batches
from bbot_tui.config.network import environment_proxy
from bbot_tui.config.security import (
    RESERVED_HEADERS,
    ReservedHeader,
    cleartext_risk,
    normalize_api_key,
    normalize_base_url,
)

__all__ = [
    "API_KEY_HEADER",
    "ASSISTANTS_PATHS",
    "DEFAULT_TIMEOUT",
    "AssistantsPath",
    "HttpTransport",
    "KeyAuth",
    "Page",
    "StreamResponse",
    "failure_kind",
    "ids_from_location",
    "next_offset",
    "parse",
    "parse_list",
    "transport_error",
]

DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=20.0, write=30.0, pool=5.0)
"""Read timeout 20 s: above the server's 5 s heartbeat, low enough to notice a dead link."""
API_KEY_HEADER: Final[ReservedHeader] = "bbot-api-key"
"""The header B-Bot reads the API key from."""
ASSISTANTS_PATHS: tuple[AssistantsPath, ...] = get_args(AssistantsPath)
"""The names of the assistants collection, in the order discovery tries them."""
_UNREACHABLE = frozenset({errno.ENETUNREACH, errno.EHOSTUNREACH})
M = TypeVar("M", bound=BaseModel)
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


def failure_kind(exc: BaseException) -> errors.FailureKind:
    """What a network exception means, read from it and the exceptions it was raised from.

    httpx wraps the operating system's error (``ConnectError`` around a refused connection, a
    DNS failure or a TLS error alike); the cause names it.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, httpx.ProxyError):
            return "proxy"
        if isinstance(current, ssl.SSLError):
            return "tls"
        if isinstance(current, socket.gaierror):
            return "dns"
        if isinstance(current, ConnectionRefusedError):
            return "refused"
        if isinstance(current, ConnectionResetError | ConnectionAbortedError | BrokenPipeError):
            return "reset"
        if isinstance(current, httpx.TimeoutException | TimeoutError):
            return "timeout"
        if isinstance(current, OSError) and current.errno in _UNREACHABLE:
            return "unreachable"
        current = current.__cause__ or current.__context__
    if isinstance(exc, httpx.RemoteProtocolError):
        return "reset"  # the peer closed the connection without (a complete) answer
    return "other"


def _tls_reason(exc: BaseException) -> str:
    current: BaseException | None = exc
    while current is not None:
        if isinstance(current, ssl.SSLCertVerificationError):
            return current.verify_message or "the certificate could not be verified"
        if isinstance(current, ssl.SSLError):
            return (current.reason or str(current)).replace("_", " ").lower()
        current = current.__cause__ or current.__context__
    return "handshake failed"


def transport_error(exc: Exception, base_url: str, *, proxy: str | None = None) -> errors.ApiError:
    """Translate an httpx (or encoding) exception into our error family.

    A connection failure says what failed (:attr:`~bbot_tui.api.errors.TransportError.kind`):
    refused, DNS, timeout, TLS, reset, unreachable or the proxy.

    Args:
        exc: the exception.
        base_url: the server, for the message.
        proxy: the proxy the request went through (credentials masked), if any.
    """
    name = type(exc).__name__
    host = httpx.URL(base_url).host
    via = f" (through the proxy {proxy})" if proxy else ""
    if isinstance(exc, httpx.ProxyError):
        return errors.ConnectFailed(
            f"could not connect to {base_url}: the proxy {proxy or ''} refused ({exc})",
            hint="check HTTPS_PROXY / HTTP_PROXY, or turn off the profile's use of the "
            "environment's proxy",
            kind="proxy",
        )
    if isinstance(exc, httpx.ConnectTimeout):
        return errors.ConnectFailed(
            f"connecting to {base_url} timed out{via}",
            hint="is the server reachable from here? a firewall may drop the traffic",
            kind="timeout",
        )
    if isinstance(exc, httpx.ConnectError):
        kind = failure_kind(exc)
        why, hint = {
            "refused": (
                f"the connection was refused{via}",
                "is the server running, and is the URL right?",
            ),
            "dns": (
                f"the name {host} could not be resolved (DNS){via}",
                "check the host name; on a VPN or a company network, check it is connected",
            ),
            "tls": (
                f"the TLS handshake failed ({_tls_reason(exc)}){via}",
                "plain http on that port? use http://; a company proxy that inspects TLS "
                "needs its CA certificate: set SSL_CERT_FILE",
            ),
            "reset": (f"the connection was reset{via}", "is it the right port?"),
            "unreachable": (f"no route to {host}{via}", "check your network or VPN"),
        }.get(kind, (f"{exc}{via}" if str(exc) else name, "is the URL right?"))
        return errors.ConnectFailed(f"could not connect to {base_url}: {why}", hint=hint, kind=kind)
    if isinstance(exc, httpx.TimeoutException):
        return errors.RequestTimeout(
            f"the server did not answer in time ({name})", hint="try again"
        )
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError):
        return errors.ConnectionDropped(
            f"the connection was interrupted ({name})",
            hint="the answer may be incomplete",
            kind="timeout" if failure_kind(exc) == "timeout" else "reset",
        )
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return errors.ConfigError(f"the server URL is not usable ({name})", hint=base_url)
    if isinstance(exc, httpx.LocalProtocolError | UnicodeEncodeError):
        return errors.ConfigError(
            "a header value is not valid (check the API key and extra headers)"
        )
    return errors.TransportError(f"network error ({name})", kind=failure_kind(exc))


def parse(model: type[M], data: Any) -> M:
    """Validate a JSON answer as ``model``.

    Raises:
        ProtocolError: the answer does not have the model's shape (the first bad field named).
    """
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        loc = ".".join(str(p) for p in exc.errors()[0]["loc"])
        raise errors.ProtocolError(
            f"unexpected {model.__name__} from the server (field {loc or '?'})"
        ) from None


def parse_list(model: type[M], data: Any) -> list[M]:
    """Validate a JSON answer as a list of ``model``.

    Raises:
        ProtocolError: not a list, or an item without the model's shape.
    """
    if not isinstance(data, list):
        raise errors.ProtocolError(f"expected a list of {model.__name__}")
    return [parse(model, item) for item in data]


def next_offset(headers: httpx.Headers) -> int | None:
    """The ``X-Pagination-Next`` offset of a search answer (None: no more pages)."""
    value = headers.get("x-pagination-next")
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


class StreamResponse:
    """An open SSE response: the run ids from its headers and its events, in batches.

    The ids are only ever used to build request paths under the configured base URL: a
    ``Location`` header is never followed, so a server cannot send the key elsewhere
    (docs/PROTOCOL.md, case S5).

    Attributes:
        thread_id, run_id: from ``Content-Location`` (known before any event arrives).
        parser: the SSE parser; ``parser.last_event_id`` is the resume cursor.
    """

    def __init__(
        self, response: httpx.Response, base_url: str, parser: SSEParser | None = None
    ) -> None:
        self._response = response
        self._base_url = base_url
        self.thread_id, self.run_id = ids_from_location(
            response.headers.get("content-location") or response.headers.get("location")
        )
        self.parser = parser if parser is not None else SSEParser()

    @property
    def headers(self) -> httpx.Headers:
        """The response headers."""
        return self._response.headers

    async def batches(self) -> AsyncIterator[list[StreamEvent]]:
        """Yield the events of each network read (never an empty list).

        Raises:
            ApiError: a transport error mid-stream, or a line/event over the size caps.
        """
        encoded = self._response.headers.get("content-encoding", "identity") != "identity"
        # aiter_bytes undoes a content encoding a proxy may apply despite our
        # "accept-encoding: identity" (aiter_raw would hand gzip bytes to the parser);
        # without one, aiter_raw skips two layers of per-chunk work (bench/ingest.py)
        chunks = self._response.aiter_bytes() if encoded else self._response.aiter_raw()
        try:
            async with contextlib.aclosing(aiter_event_batches(chunks, self.parser)) as batches:
                async for batch in batches:
                    yield batch
        except httpx.HTTPError as exc:
            raise transport_error(exc, self._base_url) from None

    async def events(self) -> AsyncIterator[StreamEvent]:
        """Yield the events one by one."""
        async for batch in self.batches():
            for event in batch:
                yield event


class HttpTransport:
    """The connection to one server profile, shared by every sub-client of a client.

    Args:
        base_url: the API root, e.g. ``http://127.0.0.1:8123`` or
            ``https://api.b-bot.space/api/v2``.
        api_key: sent as ``bbot-api-key`` to that origin only.
        extra_headers: more headers for every request (not for the key).
        assistants_path: ``assistants`` (LangGraph) or ``distribution-channels`` (new B-Bot).
        timeout: httpx timeouts.
        transport: an httpx transport (tests pass a fault-injecting one).
        allow_insecure: allow sending a key over plain http to a non-loopback host.
        trust_env: take the proxy (``HTTPS_PROXY``, ``HTTP_PROXY``, ``ALL_PROXY``,
            ``NO_PROXY``) and the CA certificates (``SSL_CERT_FILE``, ``SSL_CERT_DIR``) from
            the environment; the key still goes only to the configured origin (through an
            https proxy, inside the tunnel).
        max_line: the longest SSE line accepted (bytes); a longer one aborts the stream.
        max_event: the largest SSE event accepted (bytes of data).

    Attributes:
        base_url: the normalized API root.
        assistants_path: the name of the assistants collection; discovery
            (:meth:`~bbot_tui.api.assistants.AssistantsClient.discover`) changes it.
        has_key: whether an API key is sent.
        proxy: the environment's proxy requests go through (credentials masked), or None.

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
        try:
            self.base_url = normalize_base_url(base_url)
        except ValueError as exc:
            raise errors.ConfigError(f"bad server URL: {exc}") from None
        key: SecretStr | None = None
        if api_key is not None:
            raw = api_key.get_secret_value() if isinstance(api_key, SecretStr) else api_key
            if raw.strip():
                try:
                    key = SecretStr(normalize_api_key(raw))
                except ValueError as exc:
                    raise errors.ConfigError(f"bad API key: {exc}") from None
        if key is not None and cleartext_risk(self.base_url, True) and not allow_insecure:
            raise errors.ConfigError(
                "refusing to send the API key over plain http to a remote host",
                hint="use https, or allow insecure http in the profile",
            )
        self.assistants_path: AssistantsPath = assistants_path
        self.has_key = key is not None
        self.request_listeners: list[RequestListener] = []
        """Called with each request (masked, see :mod:`.sent`) right before it is sent: the
        TUI's event log shows what a run sent before the events it caused."""
        self._max_line = max_line
        self._max_event = max_event
        url = httpx.URL(self.base_url)
        auth = KeyAuth(key, (url.scheme, url.host, url.port)) if key is not None else None
        headers = {"user-agent": "bbot-tui", "accept": "application/json"}
        for name, value in (extra_headers or {}).items():
            if name.lower() in RESERVED_HEADERS:
                raise errors.ConfigError(f"header {name!r} cannot be set as an extra header")
            headers[name] = value
        use_env = trust_env and transport is None
        self.proxy = environment_proxy(self.base_url) if use_env else None
        try:
            # httpx's default pool keeps an idle connection 5 s: a run's requests follow one
            # another at once (the state read as the stream ends), so one connection serves
            # them all even at 400 ms RTT (tests/cli/test_cli_requests.py). Longer would
            # outlive the server's own keep-alive (uvicorn's is 5 s) and race its close.
            self._client = httpx.AsyncClient(
                base_url=self.base_url,
                auth=auth,
                headers=headers,
                timeout=timeout,
                transport=transport,
                follow_redirects=False,
                trust_env=use_env,
            )
        except ImportError as exc:  # a socks:// proxy without httpx[socks]
            raise errors.ConfigError(
                f"the proxy in the environment needs a package that is not installed ({exc})",
                hint="install httpx[socks], or turn off the profile's use of the environment",
            ) from None
        except (ValueError, httpx.InvalidURL) as exc:
            raise errors.ConfigError(
                f"the proxy in the environment is not usable: {exc}",
                hint="check HTTPS_PROXY, HTTP_PROXY and ALL_PROXY",
            ) from None
        except OSError as exc:  # includes ssl.SSLError
            raise errors.ConfigError(
                f"the CA certificates in SSL_CERT_FILE / SSL_CERT_DIR cannot be loaded ({exc})",
                hint="point SSL_CERT_FILE at a PEM bundle, or unset it",
            ) from None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.base_url!r}, key={'set' if self.has_key else 'none'})"

    def _announce(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None,
        headers: Mapping[str, str],
        content: bytes | None,
    ) -> None:
        """Tell the request listeners what is about to be sent (masked)."""
        if not self.request_listeners:
            return
        sent = sent_request(
            method,
            path,
            params=params,
            headers={**dict(self._client.headers), **headers},
            content=content,
            key_header=API_KEY_HEADER if self.has_key else None,
        )
        for listener in list(self.request_listeners):
            listener(sent)

    @property
    def assistants_prefix(self) -> str:
        """The path of the assistants collection: ``/assistants`` or ``/distribution-channels``."""
        return "/" + self.assistants_path

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._client.aclose()

    async def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[Any, httpx.Headers]:
        """Send a request and decode its JSON answer.

        Args:
            method, path: the HTTP method and the path below the base URL.
            json_body: the JSON body (``None`` sends none).
            params: query parameters.
            headers: extra headers for this request.

        Returns:
            The decoded body (``None`` for an empty one) and the response headers.

        Raises:
            ApiError: the request failed, or the answer is an error status or not JSON.
        """
        content = None if json_body is None else json.dumps(json_body).encode()
        req_headers = dict(headers or {})
        if content is not None:
            req_headers["content-type"] = "application/json"
        self._announce(method, path, params, req_headers, content)
        try:
            response = await self._client.request(
                method, path.lstrip("/"), content=content, params=params, headers=req_headers
            )
        except (httpx.HTTPError, UnicodeEncodeError) as exc:
            raise transport_error(exc, self.base_url, proxy=self.proxy) from None
        if response.status_code >= 300:
            raise self._http_error(response, response.content, method, path)
        return self._decode(response), response.headers

    async def probe(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
        limit: int = 4096,
    ) -> tuple[int, httpx.Headers, bytes]:
        """Send a request whose status is the answer (capability detection).

        Unlike :meth:`request`, an error status is returned, not raised; the body is read up to
        ``limit`` bytes, and an upgrade answer (101) is closed unread.

        Raises:
            ApiError: only for a transport failure.
        """
        content = None if json_body is None else json.dumps(json_body).encode()
        req_headers = dict(headers or {})
        if content is not None:
            req_headers["content-type"] = "application/json"
        self._announce(method, path, None, req_headers, content)
        request = self._client.build_request(
            method, path.lstrip("/"), content=content, headers=req_headers
        )
        try:
            response = await self._client.send(request, stream=True)
        except (httpx.HTTPError, UnicodeEncodeError) as exc:
            raise transport_error(exc, self.base_url, proxy=self.proxy) from None
        body = b""
        try:
            if response.status_code != 101:
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) >= limit:
                        break
        except httpx.HTTPError:
            pass
        finally:
            await response.aclose()
        return response.status_code, response.headers, body[:limit]

    @contextlib.asynccontextmanager
    async def open_stream(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        params: Mapping[str, Any] | None = None,
        last_event_id: str | None = None,
    ) -> AsyncIterator[StreamResponse]:
        """Open an SSE response; errors before the first byte are raised as ApiError.

        A caller so never reads a half-open stream: an HTTP error or a page that is not an
        event stream is raised here, with the server's detail.

        Args:
            method, path: e.g. ``POST /threads/{t}/runs/stream``.
            json_body: the run body.
            params: query parameters.
            last_event_id: sent as ``Last-Event-ID`` (a rejoin cursor).
        """
        headers = {
            "accept": "text/event-stream",
            "cache-control": "no-store",
            "accept-encoding": "identity",
        }
        if last_event_id is not None:
            if any(c in last_event_id for c in "\r\n\0"):
                raise errors.ConfigError("the Last-Event-ID cursor contains a line break")
            headers["last-event-id"] = last_event_id
        content = None
        if json_body is not None:
            content = json.dumps(json_body).encode()
            headers["content-type"] = "application/json"
        request = self._client.build_request(
            method, path.lstrip("/"), content=content, params=params, headers=headers
        )
        self._announce(method, path, params, headers, content)
        try:
            response = await self._client.send(request, stream=True)
        except (httpx.HTTPError, UnicodeEncodeError) as exc:
            raise transport_error(exc, self.base_url, proxy=self.proxy) from None
        try:
            if response.status_code >= 300:
                raise self._http_error(response, await _body(response), method, path)
            ctype = response.headers.get("content-type", "")
            if "text/event-stream" not in ctype:
                detail, _ = errors.detail_from_body(await _body(response), ctype)
                raise errors.WrongContentType(
                    f"expected an event stream, got {ctype or 'no content type'}"
                    + (f": {detail}" if detail else ""),
                    hint="is the URL the API root?",
                )
            parser = SSEParser(max_line=self._max_line, max_event=self._max_event)
            yield StreamResponse(response, self.base_url, parser)
        finally:
            await response.aclose()

    def _http_error(
        self, response: httpx.Response, body: bytes, method: str, path: str
    ) -> errors.HttpError:
        err = errors.http_error_from_response(
            response.status_code, body, response.headers, method=method, path="/" + path.lstrip("/")
        )
        if isinstance(err, errors.AuthError | errors.PermissionDenied):
            host = httpx.URL(self.base_url).host
            if isinstance(err, errors.PermissionDenied):
                err.hint = f"{host} accepted the API key, but it may not do this"
            elif self.has_key:
                err.hint = f"{host} rejected the API key; check it in the profile"
            else:
                err.hint = f"{host} needs an API key; add one to the profile"
        return err

    @staticmethod
    def _decode(response: httpx.Response) -> Any:
        body = response.content
        if not body.strip():
            return None
        try:
            return json.loads(body)
        except (ValueError, RecursionError):
            ctype = response.headers.get("content-type", "?")
            raise errors.ProtocolError(
                f"the server answered with something that is not JSON ({ctype})",
                hint="is the URL the API root (a proxy or web page answered)?",
            ) from None


async def _body(response: httpx.Response) -> bytes:
    """The body of a streamed error answer, or nothing if it cannot be read."""
    try:
        return await response.aread()
    except httpx.HTTPError:
        return b""
