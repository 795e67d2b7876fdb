"""``client.assistants``: assistant endpoints under either of their names, and finding the name.

LangGraph serves ``/assistants``; new B-Bot serves the same API as ``/distribution-channels``.
:meth:`AssistantsClient.discover` is the one place that tries each name in turn: the doctor (via
:func:`bbot_tui.api.discovery.discover`), the TUI and the headless CLI all use it.
"""

from __future__ import annotations

from typing import Any

from bbot_tui.api import errors
from bbot_tui.api.models import Assistant, GraphInfo
from bbot_tui.api.transport import (
    ASSISTANTS_PATHS,
    HttpTransport,
    Page,
    next_offset,
    parse,
    parse_list,
)

__all__ = ["AssistantsClient", "path_is_absent"]


def path_is_absent(exc: errors.ApiError) -> bool:
    """Whether a failed search means "no assistants collection under this name".

    A 404 or 405, or an answer that is not the expected JSON (a web page or a proxy answering
    for an unknown path), means "try the other name"; an auth refusal or a server error means
    the name is right and the request failed.
    """
    if isinstance(exc, errors.HttpError):
        return exc.status in (404, 405)
    return isinstance(exc, errors.ProtocolError)


class AssistantsClient:
    """``/assistants`` (B-Bot: ``/distribution-channels``): search, read, schemas, graph.

    Args:
        http: the client's transport; its ``assistants_path`` names the collection.
    """

    def __init__(self, http: HttpTransport) -> None:
        self._http = http

    async def search(
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
        path = f"{self._http.assistants_prefix}/search"
        data, headers = await self._http.request("POST", path, json_body=body)
        return Page(parse_list(Assistant, data), next_offset(headers))

    async def count(self, **filters: Any) -> int:
        """``POST /assistants/count`` (filters: graph_id, name, metadata)."""
        path = f"{self._http.assistants_prefix}/count"
        data, _ = await self._http.request("POST", path, json_body=filters)
        return int(data)

    async def get(self, assistant_id: str) -> Assistant:
        """One assistant by id."""
        path = f"{self._http.assistants_prefix}/{assistant_id}"
        data, _ = await self._http.request("GET", path)
        return parse(Assistant, data)

    async def schemas(self, assistant_id: str) -> dict[str, Any]:
        """Input, output, state, config and context JSON schemas."""
        path = f"{self._http.assistants_prefix}/{assistant_id}/schemas"
        data, _ = await self._http.request("GET", path)
        return data if isinstance(data, dict) else {}

    async def graph(self, assistant_id: str, *, xray: bool | int = False) -> GraphInfo:
        """Nodes and edges (``xray`` includes subgraph nodes)."""
        params = {"xray": str(xray).lower() if isinstance(xray, bool) else str(xray)}
        path = f"{self._http.assistants_prefix}/{assistant_id}/graph"
        data, _ = await self._http.request("GET", path, params=params)
        return parse(GraphInfo, data)

    async def versions(self, assistant_id: str, *, limit: int = 10) -> list[dict[str, Any]]:
        """The assistant's versions, newest first."""
        path = f"{self._http.assistants_prefix}/{assistant_id}/versions"
        data, _ = await self._http.request("POST", path, json_body={"limit": limit})
        return [v for v in data if isinstance(v, dict)] if isinstance(data, list) else []

    async def discover(self, **search: Any) -> Page[Assistant]:
        """Search assistants, trying each collection name until one answers.

        The transport's current ``assistants_path`` is tried first, then the others; the one
        that answers (or refuses with an auth or server error: it exists) is kept on the
        transport, so every later call of every sub-client uses it.

        Args:
            search: the arguments of :meth:`search`.

        Returns:
            The first page from the name that answered.

        Raises:
            ApiError: the refusal of a name that exists, or, when no name answers, the last
                "not here" error (the path is then left as it was).
        """
        start = self._http.assistants_path
        *first, final = [start, *(p for p in ASSISTANTS_PATHS if p != start)]
        for path in first:
            self._http.assistants_path = path
            try:
                return await self.search(**search)
            except (errors.HttpError, errors.ProtocolError) as exc:
                if not path_is_absent(exc):
                    raise
        self._http.assistants_path = final
        try:
            return await self.search(**search)
        except (errors.HttpError, errors.ProtocolError) as exc:
            if path_is_absent(exc):
                self._http.assistants_path = start
            raise
