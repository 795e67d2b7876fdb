"""What ``--assistant`` names, found through the assistants path the server answers.

A run names its assistant by id, by graph id or by name. :func:`resolve_assistant` turns that
into the one :class:`~bbot_tui.api.models.Assistant` it means, before anything is created on the
server, through the collection the server was found to answer: ``/assistants`` (LangGraph) or
``/distribution-channels`` (new B-Bot, whose objects carry ``channel_id``); see
:meth:`bbot_tui.api.assistants.AssistantsClient.discover`. Every command that starts or resumes
a run uses it, and the TUI lists its assistants with :func:`list_assistants`, the same search.

Its entity id matters: B-Bot refuses a run without ``config.configurable.entity_id`` (HTTP
422), and :func:`with_entity_id` puts it there unless the user set one (see
``docs/PROTOCOL.md``, "B-Bot").

Order of lookup, first match wins:

1. an id (a UUID): ``GET /assistants/{id}``;
2. a graph id: the graph's default assistant (the one the server created), else its only one;
3. a name: the one assistant with exactly that name;
4. any other id the server knows (B-Bot's channel ids need not be UUIDs).

Several matches at one step, or none at all, is an :class:`AssistantLookupError`: the CLI exits
2 and sends nothing more.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from bbot_tui.api import errors
from bbot_tui.api.client import AgentClient, Page
from bbot_tui.api.models import Assistant
from bbot_tui.text import one_line

__all__ = [
    "UUID_RE",
    "AmbiguousAssistant",
    "AssistantLookupError",
    "UnknownAssistant",
    "list_assistants",
    "resolve_assistant",
    "with_entity_id",
]

UUID_RE = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)
"""An assistant or thread id as LangGraph makes them (graph names are not UUIDs)."""

SEARCH_LIMIT = 100
"""How many assistants one lookup reads per step."""

_NOT_THERE = (errors.NotFound, errors.Unprocessable, errors.BadRequest)
"""What a server answers for an id it does not have (LangGraph: 422 for a malformed one)."""


class AssistantLookupError(Exception):
    """``--assistant`` names no assistant, or several.

    Attributes:
        name: what was given.
    """

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name


class UnknownAssistant(AssistantLookupError):
    """No assistant has that id, graph id or name."""


class AmbiguousAssistant(AssistantLookupError):
    """Several assistants match; the message lists them.

    Attributes:
        candidates: the assistants that match.
    """

    def __init__(self, name: str, what: str, candidates: Sequence[Assistant]) -> None:
        listed = ", ".join(
            f"{a.assistant_id} ({one_line(a.name or a.graph_id, 40)})" for a in candidates[:5]
        )
        more = f" and {len(candidates) - 5} more" if len(candidates) > 5 else ""
        super().__init__(
            name,
            f"{one_line(name, 60)!r} is the {what} of {len(candidates)} assistants: "
            f"{listed}{more}; pass one id",
        )
        self.candidates = list(candidates)


async def list_assistants(
    client: AgentClient, *, auto: bool = True, **search: Any
) -> Page[Assistant]:
    """One page of assistants, through the collection name the server answers.

    Args:
        client: the client.
        auto: try each collection name until one answers (a profile's ``auto``); False uses
            the client's configured name only.
        search: the arguments of :meth:`~bbot_tui.api.assistants.AssistantsClient.search`.

    Returns:
        The page (the client keeps the name that answered); empty for a graph the server does
        not have.
    """
    filtered = any(search.get(k) is not None for k in ("graph_id", "name", "metadata"))
    if auto and not filtered:
        return await client.assistants.discover(**search)
    if auto:
        # the name first, unfiltered: LangGraph answers a search for an unknown graph_id with
        # 404, which would read as "no collection under this name"
        await client.assistants.discover(limit=1)
    try:
        return await client.assistants.search(**search)
    except errors.NotFound:
        if search.get("graph_id") is None:
            raise
        return Page([])  # no such graph


def _system_made(assistant: Assistant) -> bool:
    return (assistant.metadata or {}).get("created_by") == "system"


async def _by_id(client: AgentClient, assistant_id: str) -> Assistant | None:
    try:
        return await client.assistants.get(assistant_id)
    except _NOT_THERE:
        return None


async def resolve_assistant(client: AgentClient, name: str, *, auto: bool = True) -> Assistant:
    """The assistant ``name`` means: an id, a graph id or a name (see the module docstring).

    Args:
        client: the client (with ``auto``, its assistants name is found first).
        name: what the user gave.
        auto: find the collection name the server answers (a profile's ``auto``).

    Returns:
        The assistant, with its real id and config (and so its entity id).

    Raises:
        UnknownAssistant: nothing has that id, graph id or name.
        AmbiguousAssistant: several assistants share that graph (none made by the server) or
            that name.
        ApiError: the server failed to answer (unreachable, 401, 5xx…).
    """
    given = name.strip()
    hint = "`bbot-tui assistants` lists them"
    if not given:
        raise UnknownAssistant(name, f"an empty assistant name; {hint}")
    if auto:
        await list_assistants(client, limit=1)  # the collection's name, kept on the client
    if UUID_RE.match(given):
        found = await _by_id(client, given)
        if found is None:
            raise UnknownAssistant(name, f"no assistant has the id {given!r}; {hint}")
        return found
    page = await list_assistants(client, auto=False, graph_id=given, limit=SEARCH_LIMIT)
    of_graph = [a for a in page.items if a.graph_id == given]
    if of_graph:
        default = [a for a in of_graph if _system_made(a)]
        if default or len(of_graph) == 1:
            return (default or of_graph)[0]
        raise AmbiguousAssistant(name, "graph", of_graph)
    page = await client.assistants.search(name=given, limit=SEARCH_LIMIT)
    named = [a for a in page.items if a.name == given]
    if len(named) == 1:
        return named[0]
    if named:
        raise AmbiguousAssistant(name, "name", named)
    found = await _by_id(client, given)
    if found is not None:
        return found
    raise UnknownAssistant(
        name, f"no assistant has the id, graph or name {one_line(given, 60)!r}; {hint}"
    )


def with_entity_id(
    configurable: Mapping[str, Any] | None, entity_id: str | None
) -> dict[str, Any] | None:
    """``config.configurable`` with B-Bot's entity id added, unless the user set one.

    Args:
        configurable: what the user set (None: nothing).
        entity_id: the assistant's entity id (None: it has none, e.g. on LangGraph).

    Returns:
        A new mapping (or None when there is nothing to send).
    """
    if configurable is None and not entity_id:
        return None
    result = dict(configurable or {})
    if entity_id and "entity_id" not in result:
        result["entity_id"] = entity_id
    return result
