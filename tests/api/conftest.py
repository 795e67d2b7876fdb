"""Fixtures of the API tests: the real server made to look like B-Bot."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from bbot_proxy import GENERATIONS, BBotProxy


@pytest.fixture(params=GENERATIONS, ids=["v2-assistants", "api-v2-distribution-channels"])
async def proxy(request: pytest.FixtureRequest, server_url: str) -> AsyncIterator[BBotProxy]:
    """The local server behind a proxy answering as one B-Bot generation."""
    prefix, name = request.param
    async with BBotProxy(server_url, prefix, name) as proxy:
        yield proxy
