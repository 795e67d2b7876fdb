"""The client's shape: sub-clients over one transport, and the old flat names as delegates.

Each old flat name of :class:`AgentClient` (kept until every caller uses the sub-clients) must
be exactly its sub-client's method, looked up at each access, so that a test replacing
``client.runs.get`` is seen by a caller still using ``client.get_run``. Delete this module's
``DELEGATES`` test with the delegates.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from bbot_tui.api.assistants import AssistantsClient
from bbot_tui.api.client import AgentClient
from bbot_tui.api.runs import RunsClient
from bbot_tui.api.threads import ThreadsClient
from bbot_tui.api.transport import HttpTransport

DELEGATES = {
    "search_assistants": ("assistants", "search"),
    "count_assistants": ("assistants", "count"),
    "get_assistant": ("assistants", "get"),
    "get_schemas": ("assistants", "schemas"),
    "get_graph": ("assistants", "graph"),
    "get_versions": ("assistants", "versions"),
    "discover_assistants": ("assistants", "discover"),
    "create_thread": ("threads", "create"),
    "search_threads": ("threads", "search"),
    "count_threads": ("threads", "count"),
    "get_thread": ("threads", "get"),
    "patch_thread": ("threads", "update"),
    "delete_thread": ("threads", "delete"),
    "copy_thread": ("threads", "copy"),
    "get_state": ("threads", "get_state"),
    "update_state": ("threads", "update_state"),
    "get_history": ("threads", "get_history"),
    "thread_stream": ("threads", "stream"),
    "create_run": ("runs", "create"),
    "list_runs": ("runs", "list"),
    "get_run": ("runs", "get"),
    "delete_run": ("runs", "delete"),
    "cancel_run": ("runs", "cancel"),
    "cancel_runs": ("runs", "cancel_many"),
    "wait_run": ("runs", "wait"),
    "join_run": ("runs", "join"),
    "stream_run": ("runs", "stream"),
    "stream_stateless": ("runs", "stream_stateless"),
    "join_stream": ("runs", "join_stream"),
}


@pytest.fixture
async def client() -> AsyncIterator[AgentClient]:
    async with AgentClient(
        "http://127.0.0.1:9", transport=httpx.MockTransport(httpx.Response)
    ) as client:
        yield client


def test_sub_clients_share_one_transport(client: AgentClient) -> None:
    assert isinstance(client.http, HttpTransport)
    assert isinstance(client.assistants, AssistantsClient)
    assert isinstance(client.threads, ThreadsClient)
    assert isinstance(client.runs, RunsClient)
    for sub in (client.assistants, client.threads, client.runs):
        assert vars(sub) == {"_http": client.http}
    assert client.base_url == client.http.base_url == "http://127.0.0.1:9"
    assert client.assistants_path == client.http.assistants_path == "assistants"
    assert repr(client) == "AgentClient('http://127.0.0.1:9', key=none)"


def test_no_class_of_the_client_inherits_from_another() -> None:
    for cls in (AgentClient, HttpTransport, AssistantsClient, ThreadsClient, RunsClient):
        assert cls.__bases__ == (object,), cls


@pytest.mark.parametrize(("old", "target"), sorted(DELEGATES.items()))
def test_each_delegate_is_its_sub_client_method(
    client: AgentClient, old: str, target: tuple[str, str]
) -> None:
    group, name = target
    assert getattr(client, old) == getattr(getattr(client, group), name)


def test_the_delegates_are_every_public_callable_left_on_the_client(client: AgentClient) -> None:
    public = {n for n in dir(AgentClient) if not n.startswith("_") and callable(getattr(client, n))}
    assert public - set(DELEGATES) == {"aclose", "info", "ok"}


async def test_a_delegate_sees_a_replaced_sub_client_method(client: AgentClient) -> None:
    calls: list[tuple[str, str]] = []

    async def get(thread_id: str, run_id: str) -> str:
        calls.append((thread_id, run_id))
        return "replaced"

    client.runs.get = get  # type: ignore[method-assign]
    assert await client.get_run("t", "r") == "replaced"
    assert calls == [("t", "r")]
