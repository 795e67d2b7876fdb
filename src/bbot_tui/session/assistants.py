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

:class:`KnownAssistants` remembers, per server, what an id or a graph id resolved to (the two
answers that cannot come to mean another assistant: a name can be given to another one), so
that a run on an existing thread sends the assistant it remembers without looking it up; a
refusal of that run makes the caller look it up again (see ``bbot_tui.cli.runner``).

One request, where it can (a remote server charges a round trip for each): with ``auto`` the
collection's name is found by an unfiltered search anyway, so that search asks for a whole
page (:data:`SEARCH_LIMIT`) and the name is looked up in it. A page that holds the whole
collection (shorter than asked, no next offset) answers every step at once; a partial page
answers only what it cannot get wrong (an id, a graph's default), and the rest goes through
the filtered searches. (A search filtered by ``graph_id`` cannot be the first request:
LangGraph answers one for an unknown graph with 404, which reads as "no collection here".)
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args

from bbot_tui.api import errors
from bbot_tui.api.client import AgentClient, AssistantsPath, Page
from bbot_tui.api.models import Assistant
from bbot_tui.config import paths
from bbot_tui.text import one_line

__all__ = [
    "REMEMBER_SECONDS",
    "UUID_RE",
    "AmbiguousAssistant",
    "AssistantLookupError",
    "KnownAssistant",
    "KnownAssistants",
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
        # the collection's name (kept on the client) and, in the same answer, the assistants
        page = await list_assistants(client, limit=SEARCH_LIMIT)
        found = _from_page(page, name)
        if found is not None:
            return found
        if _whole(page) and not UUID_RE.match(given):
            # no id, graph or name in the whole collection: only an unlisted id remains
            found = await _by_id(client, given)
            if found is not None:
                return found
            raise UnknownAssistant(
                name, f"no assistant has the id, graph or name {one_line(given, 60)!r}; {hint}"
            )
    if UUID_RE.match(given):
        found = await _by_id(client, given)
        if found is None:
            raise UnknownAssistant(name, f"no assistant has the id {given!r}; {hint}")
        return found
    page = await list_assistants(client, auto=False, graph_id=given, limit=SEARCH_LIMIT)
    of_graph = [a for a in page.items if a.graph_id == given]
    if of_graph:
        return _of_graph(name, of_graph)
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


def _of_graph(name: str, of_graph: list[Assistant]) -> Assistant:
    """The graph's default assistant (made by the server), else its only one."""
    default = [a for a in of_graph if _system_made(a)]
    if default or len(of_graph) == 1:
        return (default or of_graph)[0]
    raise AmbiguousAssistant(name, "graph", of_graph)


def _whole(page: Page[Assistant]) -> bool:
    """Whether an unfiltered page holds the whole collection (shorter than asked, no next)."""
    return page.next_offset is None and len(page.items) < SEARCH_LIMIT


def _from_page(page: Page[Assistant], name: str) -> Assistant | None:
    """What an unfiltered page of assistants says ``name`` is, when it can say it for sure.

    An id, or a graph's default assistant, is the answer wherever it is found. The other
    steps (a graph's only assistant, a name, an ambiguity) need every assistant: only a page
    that holds the whole collection (shorter than asked for, no next offset) answers them.

    Returns:
        The assistant, or None: the filtered searches must decide (nothing matched, or the
        page is partial).

    Raises:
        AmbiguousAssistant: the whole collection shows several matches.
    """
    given = name.strip()
    items = page.items
    by_id = [a for a in items if a.assistant_id == given]
    if UUID_RE.match(given):
        # not listed: read by id (a search need not list every assistant)
        return by_id[0] if by_id else None
    of_graph = [a for a in items if a.graph_id == given]
    default = [a for a in of_graph if _system_made(a)]
    if default:
        return default[0]
    if not _whole(page):
        return None  # a partial page: the filtered searches see every match
    if of_graph:
        return _of_graph(name, of_graph)
    named = [a for a in items if a.name == given]
    if len(named) > 1:
        raise AmbiguousAssistant(name, "name", named)
    match = named or by_id
    return match[0] if match else None


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


REMEMBER_SECONDS = 7 * 24 * 3600.0
"""How long a resolved assistant is used without a lookup (the server still checks each run)."""
MAX_REMEMBERED = 50
"""At most this many resolutions are kept (the oldest go)."""


@dataclass(frozen=True, slots=True)
class KnownAssistant:
    """An assistant as remembered: what a run needs of it, and the collection that had it.

    Attributes:
        assistant: the assistant (id, graph id, name and entity id only).
        assistants_path: the collection's name on that server.
    """

    assistant: Assistant
    assistants_path: AssistantsPath


def _lasting(name: str, assistant: Assistant) -> bool:
    """Whether ``name`` keeps meaning ``assistant``: it is its id, or its graph's default."""
    given = name.strip()
    return assistant.assistant_id == given or (
        assistant.graph_id == given and _system_made(assistant)
    )


class KnownAssistants:
    """What ``--assistant`` resolved to, per server, in a small file of the state directory.

    Only an id, or a graph id that named the graph's default, is remembered (a name can be
    given to another assistant later), with the assistant's id, graph, name and entity id and
    nothing else of its config. The file is written atomically (0600); a damaged one reads as
    empty. The methods block (file I/O): call them with ``asyncio.to_thread``.

    Args:
        path: the file (``state_dir()/assistants.json`` by default).
    """

    _lock = threading.Lock()

    def __init__(self, path: Path | None = None) -> None:
        self._path = path

    @property
    def path(self) -> Path:
        """The file."""
        return self._path or paths.state_dir() / "assistants.json"

    def recall(self, base_url: str, name: str) -> KnownAssistant | None:
        """The assistant ``name`` resolved to on ``base_url``, if remembered and recent."""
        now = time.time()
        for entry in self._read():
            if entry.get("base_url") != base_url or entry.get("name") != name.strip():
                continue
            saved = entry.get("saved_at")
            path = entry.get("assistants_path")
            if not isinstance(saved, (int, float)) or not 0 <= now - saved < REMEMBER_SECONDS:
                return None
            try:
                assistant = Assistant.model_validate(entry.get("assistant"))
            except ValueError:
                return None
            for known in get_args(AssistantsPath):
                if path == known:
                    return KnownAssistant(assistant, known)
            return None
        return None

    def remember(
        self, base_url: str, name: str, assistant: Assistant, assistants_path: AssistantsPath
    ) -> bool:
        """Keep what ``name`` resolved to, if it is lasting (an id, a graph's default).

        Returns:
            Whether it was kept.
        """
        if not _lasting(name, assistant):
            return False
        kept: dict[str, Any] = {
            "assistant_id": assistant.assistant_id,
            "graph_id": assistant.graph_id,
            "name": assistant.name,
            "metadata": {"created_by": (assistant.metadata or {}).get("created_by")},
        }
        if assistant.entity_id:
            kept["config"] = {"configurable": {"entity_id": assistant.entity_id}}
        entry = {
            "base_url": base_url,
            "name": name.strip(),
            "assistants_path": assistants_path,
            "saved_at": time.time(),
            "assistant": kept,
        }
        with self._lock:
            entries = [e for e in self._read() if not self._same(e, base_url, name)]
            self._write([*entries, entry][-MAX_REMEMBERED:])
        return True

    def forget(self, base_url: str, name: str) -> None:
        """Drop what ``name`` resolved to on ``base_url`` (the server refused it)."""
        with self._lock:
            entries = self._read()
            kept = [e for e in entries if not self._same(e, base_url, name)]
            if len(kept) != len(entries):
                self._write(kept)

    @staticmethod
    def _same(entry: dict[str, Any], base_url: str, name: str) -> bool:
        return entry.get("base_url") == base_url and entry.get("name") == name.strip()

    def _read(self) -> list[dict[str, Any]]:
        try:
            data = json.loads(self.path.read_text("utf-8"))
        except (OSError, ValueError):
            return []
        entries = data.get("assistants") if isinstance(data, dict) else None
        return [e for e in entries if isinstance(e, dict)] if isinstance(entries, list) else []

    def _write(self, entries: list[dict[str, Any]]) -> None:
        data = json.dumps({"assistants": entries}, indent=1).encode()
        paths.atomic_write(self.path, data)
