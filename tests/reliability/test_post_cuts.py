"""A run POST cut before its response headers arrive never creates a second run (G4).

The proxy arms only on ``POST …/runs/stream`` and breaks that connection once, at a random
byte of the first 440 of the answer (the real server's header block of a run stream is
448 bytes: the cut always lands in the status line or the headers, before the response
exists for the client), or refuses it outright (the server never sees it). The
session cannot know whether the run exists: it must look it up by
``metadata.client_request_id`` before any retry, then join it from the start (``-1``) or,
when it was never created, send it again. Either way the thread ends with exactly one run and
the transcript of an uncut run.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from trials import TrialResult, describe, run_trial

TRIALS = 50
BATCHES = 5
CONCURRENCY = 4

POST_PROXY: dict[str, Any] = {
    "modes": ("cut", "rst", "refuse"),
    "fault_rate": 1.0,
    "cut_after": (0, 440),
    "stall": 0.0,
    "arm_on": "/runs/stream",
    "max_faults": 1,
}
CLIENT: dict[str, Any] = {"timeout": httpx.Timeout(connect=5.0, read=3.0, write=10.0, pool=5.0)}

_reference: dict[str, TrialResult] = {}


@pytest.mark.parametrize("batch", range(BATCHES))
async def test_post_cut_before_headers_creates_one_run(
    server_url: str, assistant_ids: dict[str, str], batch: int
) -> None:
    if "writer" not in _reference:
        ref = await run_trial(server_url, assistant_ids["writer"], "writer", seed=0, client=CLIENT)
        assert ref.status == "success" and ref.runs_on_thread == 1, describe(ref, ref)
        _reference["writer"] = ref
    reference = _reference["writer"]
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(seed: int) -> TrialResult:
        async with gate:
            return await run_trial(
                server_url,
                assistant_ids["writer"],
                "writer",
                seed=seed,
                proxy=POST_PROXY,
                client=CLIENT,
            )

    per_batch = TRIALS // BATCHES
    seeds = range(2001 + batch * per_batch, 2001 + (batch + 1) * per_batch)
    results = await asyncio.gather(*(one(seed) for seed in seeds))
    for result in results:
        explain = describe(result, reference) + f"; phases={result.phases}"
        post = next(log for log in result.connections if log.armed)
        assert post.fired and post.mode in POST_PROXY["modes"], explain
        assert post.cut_after <= POST_PROXY["cut_after"][1], explain  # inside the header block
        assert "finding" in result.phases, explain  # looked up before any retry
        assert result.error is None, explain
        assert result.runs_on_thread == 1, explain
        assert result.final == reference.final, explain
        assert result.tokens == reference.tokens, explain
    refused = sum(r.faults == ["refuse"] for r in results)
    print(f"\n[post-cuts {batch}] {len(results)} POSTs cut, {refused} never reached the server")
