"""One async client per server profile, over one ``httpx.AsyncClient``.

Every endpoint of the Agent Server API that bbot-tui uses, with B-Bot's variations: the
``bbot-api-key`` header (set by :class:`KeyAuth`, only ever for the configured origin), the
two base paths seen in B-Bot's docs, and ``/distribution-channels`` as the name of
``/assistants``. Every failure is raised as an :class:`~bbot_tui.api.errors.ApiError`.

The code lives by concern in the sibling modules (:mod:`.transport`, :mod:`.base`,
:mod:`.assistants`, :mod:`.threads`, :mod:`.runs`, :mod:`.streaming`); this module composes
them into :class:`AgentClient` and is the import path the rest of the project uses.
"""

from __future__ import annotations

from bbot_tui.api.assistants import AssistantsMixin
from bbot_tui.api.runs import RunsMixin, WaitResult
from bbot_tui.api.streaming import StreamResponse, StreamsMixin
from bbot_tui.api.threads import ThreadsMixin
from bbot_tui.api.transport import (
    API_KEY_HEADER,
    DEFAULT_TIMEOUT,
    AssistantsPath,
    KeyAuth,
    Page,
    ids_from_location,
)

__all__ = [
    "API_KEY_HEADER",
    "DEFAULT_TIMEOUT",
    "AgentClient",
    "AssistantsPath",
    "KeyAuth",
    "Page",
    "StreamResponse",
    "WaitResult",
    "ids_from_location",
]


class AgentClient(AssistantsMixin, ThreadsMixin, RunsMixin, StreamsMixin):
    """An async client for one server profile: every endpoint group on one connection pool.

    Construction (URL and key checks, headers, timeouts, SSE size caps) is documented on
    :class:`~bbot_tui.api.base.BaseClient`; use it as ``async with AgentClient(url) as c:``
    or call :meth:`aclose`.
    """
