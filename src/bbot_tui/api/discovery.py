"""Which base path and which assistants name a server answers: the one implementation.

B-Bot's docs show two generations of the same API: ``…/v2`` with ``/assistants`` and
``…/api/v2`` with ``/distribution-channels``, and users paste either URL. :func:`discover`
tries the URL as given, then its ``/v2`` ↔ ``/api/v2`` twin, each with every assistants name
(:meth:`~bbot_tui.api.assistants.AssistantsClient.discover`), and reports the pair
that answers. ``bbot-tui doctor`` and the connection screen use it; a profile whose path is
``auto`` uses ``client.assistants.discover`` directly on its own client, starting from the name
:func:`likely_assistants_path` reads off the URL (each name tried in vain costs a round trip).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import httpx
from pydantic import SecretStr

from bbot_tui.api import errors
from bbot_tui.api.assistants import path_is_absent
from bbot_tui.api.client import AgentClient
from bbot_tui.api.literals import AssistantsPath
from bbot_tui.api.models import Assistant
from bbot_tui.api.transport import DEFAULT_TIMEOUT

__all__ = ["Discovery", "base_url_variants", "discover", "likely_assistants_path"]


def base_url_variants(url: str) -> list[str]:
    """``url`` first, then its other B-Bot generation (``/v2`` ↔ ``/api/v2``) if it has one."""
    if url.endswith("/api/v2"):
        return [url, url[: -len("/api/v2")] + "/v2"]
    if url.endswith("/v2"):
        return [url, url[: -len("/v2")] + "/api/v2"]
    return [url]


def likely_assistants_path(url: str) -> AssistantsPath:
    """The assistants name to try first at ``url``: the one its B-Bot generation serves.

    ``…/api/v2`` is the generation with ``/distribution-channels``; anything else (``…/v2``,
    LangGraph) starts with ``/assistants``. Only the order of the tries depends on it: the
    other name is still tried when this one is absent.
    """
    return "distribution-channels" if url.rstrip("/").endswith("/api/v2") else "assistants"


@dataclass(slots=True)
class Discovery:
    """What :func:`discover` found.

    Attributes:
        base_url: the base URL whose assistants endpoint answered (None if none did).
        assistants_path: the assistants name there (None if none answered).
        error: why the answering endpoint refused (an auth, permission or server error), or,
            when nothing answered, the last "not here" error; None on success.
        assistants: the first page of assistants (empty unless the search succeeded).
        tried: the base URLs tried, in order.
    """

    base_url: str | None = None
    assistants_path: AssistantsPath | None = None
    error: errors.ApiError | None = None
    assistants: list[Assistant] = field(default_factory=list)
    tried: list[str] = field(default_factory=list)


async def discover(
    base_url: str,
    *,
    api_key: SecretStr | str | None = None,
    extra_headers: Mapping[str, str] | None = None,
    timeout: httpx.Timeout = DEFAULT_TIMEOUT,
    allow_insecure: bool = False,
    transport: httpx.AsyncBaseTransport | None = None,
    limit: int = 10,
    trust_env: bool = True,
) -> Discovery:
    """Find the base path and assistants name that answer, with a first page of assistants.

    Args:
        base_url: the URL as the user gave it (normalized by :class:`AgentClient`).
        api_key, extra_headers, timeout, allow_insecure, transport, trust_env: as for
            AgentClient.
        limit: the size of the first page of assistants.

    Returns:
        The pair that answered (possibly with a refusal in ``error``), or an empty discovery
        with the last error when no candidate has an assistants endpoint.

    Raises:
        ConfigError: a malformed URL or key.
        TransportError: the server could not be reached.
    """
    found = Discovery()
    for candidate in base_url_variants(base_url):
        found.tried.append(candidate)
        async with AgentClient(
            candidate,
            api_key=api_key,
            extra_headers=extra_headers,
            assistants_path=likely_assistants_path(candidate),
            timeout=timeout,
            transport=transport,
            allow_insecure=allow_insecure,
            trust_env=trust_env,
        ) as client:
            try:
                page = await client.assistants.discover(limit=limit)
            except (errors.HttpError, errors.ProtocolError) as exc:
                found.error = exc
                if path_is_absent(exc):
                    continue
                found.base_url, found.assistants_path = candidate, client.assistants_path
                return found
        found.base_url, found.assistants_path = candidate, client.assistants_path
        found.error, found.assistants = None, page.items
        return found
    return found
