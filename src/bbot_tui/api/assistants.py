"""Assistant endpoints, under either of their names, and finding which name a server uses.

LangGraph serves ``/assistants``; new B-Bot serves the same API as ``/distribution-channels``.
:meth:`AssistantsMixin.discover_assistants` is the one place that tries each name in turn: the
doctor (via :func:`bbot_tui.api.discovery.discover`), the TUI and the headless CLI all use it.
"""

from __future__ import annotations

from typing import Any

from bbot_tui.api import errors
from bbot_tui.api.base import BaseClient
from bbot_tui.api.models import Assistant, GraphInfo
from bbot_tui.api.transport import ASSISTANTS_PATHS, Page

__all__ = ["AssistantsMixin", "path_is_absent"]


def path_is_absent(exc: errors.ApiError) -> bool:
    """Whether a failed search means "no assistants collection under this name".

    A 404 or 405, or an answer that is not the expected JSON (a web page or a proxy answering
    for an unknown path), means "try the other name"; an auth refusal or a server error means
    the name is right and the request failed.
    """
    if isinstance(exc, errors.HttpError):
        return exc.status in (404, 405)
    return isinstance(exc, errors.ProtocolError)


class AssistantsMixin(BaseClient):
    """``/assistants`` (B-Bot: ``/distribution-channels``): search, read, schemas, graph."""

    @property
    def _a(self) -> str:
        return "/" + self.assistants_path

    async def search_assistants(
        self,
        *,
        limit: int = 50,
        offset: int = 0,
        graph_id: str | None = None,
        name: str | None = None,
        metadata: dict[str, Any] | None = None,
        sort_by: str | None = None,
        sort_order: str | None = None,
    ) -> Page[Assistant]:
        """Search assistants (B-Bot: distribution channels), one page."""
        body: dict[str, Any] = {"limit": limit, "offset": offset}
        for key, value in (
            ("graph_id", graph_id),
            ("name", name),
            ("metadata", metadata),
            ("sort_by", sort_by),
            ("sort_order", sort_order),
        ):
            if value is not None:
                body[key] = value
        data, headers = await self.request("POST", f"{self._a}/search", json_body=body)
        return Page(self._parse_list(Assistant, data), self._next_offset(headers))

    async def count_assistants(self, **filters: Any) -> int:
        """``POST /assistants/count``."""
        data, _ = await self.request("POST", f"{self._a}/count", json_body=filters)
        return int(data)

    async def get_assistant(self, assistant_id: str) -> Assistant:
        """One assistant by id."""
        data, _ = await self.request("GET", f"{self._a}/{assistant_id}")
        return self._parse(Assistant, data)

    async def get_schemas(self, assistant_id: str) -> dict[str, Any]:
        """Input, output, state, config and context JSON schemas."""
        data, _ = await self.request("GET", f"{self._a}/{assistant_id}/schemas")
        return data if isinstance(data, dict) else {}

    async def get_graph(self, assistant_id: str, *, xray: bool | int = False) -> GraphInfo:
        """Nodes and edges (``xray`` includes subgraph nodes)."""
        params = {"xray": str(xray).lower() if isinstance(xray, bool) else str(xray)}
        data, _ = await self.request("GET", f"{self._a}/{assistant_id}/graph", params=params)
        return self._parse(GraphInfo, data)

    async def get_versions(self, assistant_id: str, *, limit: int = 10) -> list[dict[str, Any]]:
        """The assistant's versions, newest first."""
        data, _ = await self.request(
            "POST", f"{self._a}/{assistant_id}/versions", json_body={"limit": limit}
        )
        return [v for v in data if isinstance(v, dict)] if isinstance(data, list) else []

    async def discover_assistants(self, **search: Any) -> Page[Assistant]:
        """Search assistants, trying each collection name until one answers.

        The current :attr:`assistants_path` is tried first, then the others; the one that
        answers (or refuses with an auth or server error: it exists) is kept on the client.

        Args:
            search: the arguments of :meth:`search_assistants`.

        Returns:
            The first page from the name that answered.

        Raises:
            ApiError: the refusal of a name that exists, or, when no name answers, the last
                "not here" error (the client's path is then left as it was).
        """
        start = self.assistants_path
        *first, final = [start, *(p for p in ASSISTANTS_PATHS if p != start)]
        for path in first:
            self.assistants_path = path
            try:
                return await self.search_assistants(**search)
            except (errors.HttpError, errors.ProtocolError) as exc:
                if not path_is_absent(exc):
                    raise
        self.assistants_path = final
        try:
            return await self.search_assistants(**search)
        except (errors.HttpError, errors.ProtocolError) as exc:
            if path_is_absent(exc):
                self.assistants_path = start
            raise
