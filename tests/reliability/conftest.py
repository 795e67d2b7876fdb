"""Fixtures of the reliability tests: the fault proxy and hostile server helpers on sys.path,
and the figures of the fault trials.

``tests/support`` holds plain modules (no package: tests have no ``__init__.py``), imported as
``faultproxy``, ``hostile`` and ``trials``.

Each batch of fault trials writes its per-trial records to ``<basetemp>/reliability-figures/``
(shared by the pytest-xdist workers of one run); at the end of the run the totals (k/100
identical, detection and rejoin timings) are printed in the terminal summary and written to
``<basetemp>/reliability-figures.json``.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

SUPPORT = Path(__file__).resolve().parents[1] / "support"
if str(SUPPORT) not in sys.path:
    sys.path.insert(0, str(SUPPORT))

from hostile import HostileServer  # noqa: E402
from trials import aggregate  # noqa: E402

_FIGURES = "reliability-figures"


@pytest.fixture
async def hostile() -> AsyncIterator[HostileServer]:
    """A started hostile server (stopped after the test)."""
    server = HostileServer(max_seconds=60)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


def _run_root(factory: pytest.TempPathFactory) -> Path:
    base = factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(scope="session")
def figures_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where trial batches write their records (one folder for all workers of the run)."""
    folder = _run_root(tmp_path_factory) / _FIGURES
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """Print the totals of every experiment whose batches ran."""
    factory = getattr(config, "_tmp_path_factory", None)
    if factory is None:
        return
    try:
        folder = _run_root(factory) / _FIGURES
    except (OSError, ValueError):
        return
    if not folder.is_dir():
        return
    experiments: dict[str, list[dict[str, Any]]] = {}
    for path in sorted(folder.glob("*.json")):
        experiment = path.stem.rsplit("-", 1)[0]
        experiments.setdefault(experiment, []).extend(json.loads(path.read_text()))
    if not experiments:
        return
    totals = {name: aggregate(records) for name, records in experiments.items()}
    (folder.parent / f"{_FIGURES}.json").write_text(json.dumps(totals, indent=2))
    terminalreporter.section("reliability figures")
    for name, figures in totals.items():
        n = figures["trials"]
        terminalreporter.write_line(
            f"{name}: final identical {figures['final_identical']}/{n}, token-level identical "
            f"{figures['token_identical']}/{n}; faults {figures['faults']}; reconnects "
            f"{figures['reconnects']}; duplicates dropped {figures['duplicates_dropped']}; "
            f"max runs per thread {figures['runs_per_thread_max']}"
        )
        terminalreporter.write_line(
            f"  fault→noticed {figures['detect']}; noticed→rejoin {figures['rejoin']}; "
            f"trial {figures['trial_wall']}"
        )
    terminalreporter.write_line(f"(written to {folder.parent / f'{_FIGURES}.json'})")
