"""Shared fixtures: user-dir isolation and one real local LangGraph Agent Server per session.

The server (``langgraph dev`` via ``bbot_tui.demo.server.LocalServer``) serves the offline test
graphs of ``tests/graphs/langgraph.json``. Each pytest-xdist worker starts its own server on its
own free port (about 1.5 s). Tests that use it are marked ``server`` automatically, so
``pytest -m "not server"`` runs the rest. The server is stopped at session end, on Ctrl-C, by an
``atexit`` backstop, and by its own watchdog if this process is killed.
"""

from __future__ import annotations

import atexit
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bbot_tui.demo.server import LocalServer

TESTS_DIR = Path(__file__).resolve().parent
TEST_GRAPHS_CONFIG = TESTS_DIR / "graphs" / "langgraph.json"
"""The ``langgraph.json`` registering the test graphs."""

GRAPH_IDS = (
    "chat",
    "approval",
    "agent",
    "fail",
    "subgraph",
    "parallel",
    "slow",
    "writer",
    "steps",
    "legacy_hitl",
    "hitl_v1",
    "markdown",
    "echo",
    "reasoning",
    "subagent",
)
"""Every graph id in ``tests/graphs/langgraph.json`` (a contract for the API and UI tests)."""

_SECRET_ENV = (
    "BBOT_URL",
    "BBOT_API_KEY",
    "LANGSMITH_API_KEY",
    "LANGCHAIN_API_KEY",
    "LANGGRAPH_API_KEY",
)
_SERVER_FIXTURES = {"local_server", "server_url", "assistant_ids"}


@pytest.fixture(autouse=True)
def _isolate_user_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point ``BBOT_TUI_HOME`` at a per-test folder and drop credentials from the environment."""
    home = tmp_path / "bbot-tui-home"
    monkeypatch.setenv("BBOT_TUI_HOME", str(home))
    for name in _SECRET_ENV:
        monkeypatch.delenv(name, raising=False)
    return home


@pytest.fixture(autouse=True)
def _no_system_keyring(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Never the user's real keyring: the ``null`` backend here and in child processes.

    A test that needs a keyring sets its own with ``keyring.set_keyring`` (restored after).
    """
    import keyring
    from keyring.backends import null

    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    previous = keyring.get_keyring()
    keyring.set_keyring(null.Keyring())
    yield
    keyring.set_keyring(previous)


@pytest.fixture(scope="session")
def local_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    """The session's running ``LocalServer`` (``url``, ``pid``, ``log_path``)."""
    log_path = tmp_path_factory.mktemp("server") / "langgraph-dev.log"
    server = LocalServer(TEST_GRAPHS_CONFIG, log_path=log_path)
    atexit.register(server.stop)
    try:
        server.start()
        yield server
    finally:  # also on KeyboardInterrupt
        server.stop()
        atexit.unregister(server.stop)


@pytest.fixture(scope="session")
def server_url(local_server: LocalServer) -> str:
    """Base URL of the session's local LangGraph Agent Server, e.g. ``http://127.0.0.1:41234``."""
    assert local_server.url is not None
    return local_server.url


@pytest.fixture(scope="session")
def assistant_ids(server_url: str) -> dict[str, str]:
    """Graph id → id of the server-created default assistant of that graph."""
    response = httpx.post(f"{server_url}/assistants/search", json={"limit": 100}, timeout=30)
    response.raise_for_status()
    ids: dict[str, str] = {}
    for assistant in response.json():
        if assistant.get("metadata", {}).get("created_by") == "system":
            ids[assistant["graph_id"]] = assistant["assistant_id"]
    return ids


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that needs the real server with ``server``."""
    for item in items:
        if _SERVER_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.server)
