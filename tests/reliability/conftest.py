"""Fixtures of the reliability tests: the fault proxy and hostile server helpers on sys.path.

``tests/support`` holds plain modules (no package: tests have no ``__init__.py``), imported as
``faultproxy``, ``hostile`` and ``trials``.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

SUPPORT = Path(__file__).resolve().parents[1] / "support"
if str(SUPPORT) not in sys.path:
    sys.path.insert(0, str(SUPPORT))

from hostile import HostileServer  # noqa: E402


@pytest.fixture
async def hostile() -> AsyncIterator[HostileServer]:
    """A started hostile server (stopped after the test)."""
    server = HostileServer(max_seconds=60)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
