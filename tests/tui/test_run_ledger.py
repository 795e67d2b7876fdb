"""The run ledger: streaming runs written down in order, one drain at a time, off the loop."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from bbot_tui.tui.screens.run_ledger import RunLedger

URL = "http://127.0.0.1:1"


def _entries(path: Path) -> list[dict[str, str]]:
    return json.loads(path.read_text("utf-8"))["runs"]  # type: ignore[no-any-return]


async def test_only_the_first_report_asks_for_a_drain(tmp_path: Path) -> None:
    ledger = RunLedger(tmp_path / "runs.json")
    assert ledger.started(URL, "t1", "r1", "a1") is True
    assert ledger.started(URL, "t2", "r2") is False  # a drain is already due
    assert ledger.ended(URL, "t1") is False
    assert ledger.pending == 3
    await ledger.drain()
    assert ledger.pending == 0
    assert _entries(tmp_path / "runs.json") == [
        {"base_url": URL, "thread_id": "t2", "run_id": "r2"}
    ]
    # the drain is over: the next report asks for a new one
    assert ledger.ended(URL, "t2") is True
    await ledger.drain()
    assert _entries(tmp_path / "runs.json") == []


async def test_writes_keep_their_order_and_reports_during_a_drain_join_it(tmp_path: Path) -> None:
    path = tmp_path / "runs.json"
    ledger = RunLedger(path)
    assert ledger.started(URL, "t1", "r1", "a1")
    drain = asyncio.create_task(ledger.drain())
    await asyncio.sleep(0)
    # reported while the first write runs in its thread: no second drain, same drain writes it
    assert ledger.ended(URL, "t1") is False
    assert ledger.started(URL, "t1", "r2", "a1") is False
    await drain
    assert ledger.pending == 0
    assert _entries(path) == [
        {"base_url": URL, "thread_id": "t1", "run_id": "r2", "assistant_id": "a1"}
    ]


async def test_remembered_and_forget(tmp_path: Path) -> None:
    ledger = RunLedger(tmp_path / "runs.json")
    ledger.started(URL, "t1", "r1")
    ledger.started("http://elsewhere", "t9", "r9")
    ledger.started(URL, "t2", "r2", "a2")
    await ledger.drain()
    assert [e["thread_id"] for e in await ledger.remembered(URL)] == ["t1", "t2"]
    await ledger.forget(URL, "t1")
    assert await ledger.remembered(URL) == [
        {"base_url": URL, "thread_id": "t2", "run_id": "r2", "assistant_id": "a2"}
    ]
    assert [e["thread_id"] for e in await ledger.remembered("http://elsewhere")] == ["t9"]


async def test_a_failed_write_ends_the_drain(tmp_path: Path) -> None:
    """A write that raises ends the drain (its worker fails); the next report starts another."""
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    ledger = RunLedger(blocker / "runs.json")
    assert ledger.started(URL, "t1", "r1")
    with pytest.raises(OSError):
        await ledger.drain()
    assert ledger.started(URL, "t1", "r1") is True
