"""The client's core: one ``httpx.AsyncClient`` per profile, a JSON request, typed decoding.

:class:`BaseClient` owns the connection pool and the checks made once per profile (a usable
URL, a well-formed key, no key over plain http to another host without consent). The endpoint
groups (:mod:`.assistants`, :mod:`.threads`, :mod:`.runs`, :mod:`.streaming`) subclass it and
only build paths and bodies; :class:`~bbot_tui.api.client.AgentClient` composes them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Self, TypeVar

import httpx
from pydantic import BaseModel, SecretStr, ValidationError

from bbot_tui.api import errors
from bbot_tui.api.sse import DEFAULT_MAX_EVENT, DEFAULT_MAX_LINE
from bbot_tui.api.transport import DEFAULT_TIMEOUT, AssistantsPath, KeyAuth, transport_error
from bbot_tui.config.security import cleartext_risk, normalize_api_key, normalize_base_url

__all__ = ["BaseClient"]

M = TypeVar("M", bound=BaseModel)


class BaseClient:
    """An async client for one server profile.

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
        self.max_line = max_line
        self.max_event = max_event
        url = httpx.URL(self.base_url)
        auth = KeyAuth(key, (url.scheme, url.host, url.port)) if key is not None else None
        headers = {"user-agent": "bbot-tui", "accept": "application/json"}
        for name, value in (extra_headers or {}).items():
            if name.lower() in ("bbot-api-key", "x-api-key", "authorization"):
                raise errors.ConfigError(f"header {name!r} cannot be set as an extra header")
            headers[name] = value
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            auth=auth,
            headers=headers,
            timeout=timeout,
            transport=transport,
            follow_redirects=False,
            trust_env=False,
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.base_url!r}, key={'set' if self.has_key else 'none'})"

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # --- plumbing --------------------------------------------------------------------

    async def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        ok_404: bool = False,
    ) -> tuple[Any, httpx.Headers]:
        """Send a request and decode its JSON answer.

        Args:
            method, path: the HTTP method and the path below the base URL.
            json_body: the JSON body (``None`` sends none).
            params: query parameters.
            headers: extra headers for this request.
            ok_404: return ``(None, headers)`` for a 404 instead of raising.

        Returns:
            The decoded body (``None`` for an empty one) and the response headers.
        """
        content = None if json_body is None else json.dumps(json_body).encode()
        req_headers = dict(headers or {})
        if content is not None:
            req_headers["content-type"] = "application/json"
        try:
            response = await self._http.request(
                method, path.lstrip("/"), content=content, params=params, headers=req_headers
            )
        except httpx.HTTPError as exc:
            raise transport_error(exc, self.base_url) from None
        except UnicodeEncodeError as exc:
            raise transport_error(exc, self.base_url) from None
        if response.status_code == 404 and ok_404:
            return None, response.headers
        if response.status_code >= 300:
            raise self._http_error(response, response.content, method, path)
        return self._decode(response), response.headers

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

    def _decode(self, response: httpx.Response) -> Any:
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

    @staticmethod
    def _parse(model: type[M], data: Any) -> M:
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            loc = ".".join(str(p) for p in exc.errors()[0]["loc"])
            raise errors.ProtocolError(
                f"unexpected {model.__name__} from the server (field {loc or '?'})"
            ) from None

    def _parse_list(self, model: type[M], data: Any) -> list[M]:
        if not isinstance(data, list):
            raise errors.ProtocolError(f"expected a list of {model.__name__}")
        return [self._parse(model, item) for item in data]

    @staticmethod
    def _next_offset(headers: httpx.Headers) -> int | None:
        value = headers.get("x-pagination-next")
        try:
            return int(value) if value not in (None, "") else None
        except ValueError:
            return None

    # --- health -------------------------------------------------------------------------

    async def ok(self) -> Any:
        """``GET /ok`` (stock servers; B-Bot may not have it)."""
        return (await self.request("GET", "/ok"))[0]

    async def info(self) -> Any:
        """``GET /info``: server version and flags."""
        return (await self.request("GET", "/info"))[0]
