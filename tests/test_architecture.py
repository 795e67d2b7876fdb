"""The package order holds for every module, and only ``tui/`` imports Textual.

The order, from the top down (an import may only point down, or stay in its own package)::

    cli -> demo -> tui -> session -> stream -> api -> config -> text

Every ``.py`` file under ``src/bbot_tui`` is read (a new module is covered without touching this
test), with every import in it: top-level, inside functions, and under ``TYPE_CHECKING``.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import bbot_tui

PACKAGE_ROOT = Path(bbot_tui.__file__).parent

LAYERS = ("cli", "demo", "tui", "session", "stream", "api", "config", "text")
"""Top to bottom. ``text`` is the one top-level module beside ``__init__`` and ``__main__``."""

RANK = {name: len(LAYERS) - i for i, name in enumerate(LAYERS)}


def _layer_of(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "bbot_tui" or len(parts) < 2:
        return None
    return parts[1] if parts[1] in RANK else None


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE_ROOT.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(source: str, module: str, is_package: bool) -> list[tuple[int, str]]:
    """Every module a source imports (line, absolute name), relative imports resolved."""
    found: list[tuple[int, str]] = []
    package = module if is_package else module.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                name = ".".join([*base, node.module] if node.module else base)
            else:
                name = node.module or ""
            found.append((node.lineno, name))
            # ``from bbot_tui import text`` names a module too.
            found.extend((node.lineno, f"{name}.{alias.name}") for alias in node.names)
    return found


def violations(source: str, module: str, is_package: bool = False) -> list[str]:
    """The arrows of one module that break the order, and its imports of Textual."""
    here = _layer_of(module)
    bad: list[str] = []
    for line, target in imports_of(source, module, is_package):
        if target == "textual" or target.startswith("textual."):
            if here != "tui":
                bad.append(f"{module}:{line} imports {target} (only bbot_tui.tui may)")
            continue
        there = _layer_of(target)
        if here is None or there is None or here == there:
            continue
        if RANK[there] > RANK[here]:
            bad.append(f"{module}:{line} imports {target}: {here} -> {there} points up")
    return bad


def _all_modules() -> list[tuple[Path, str]]:
    return [(p, _module_name(p)) for p in sorted(PACKAGE_ROOT.rglob("*.py"))]


def test_every_module_is_in_a_layer() -> None:
    loose = [m for _, m in _all_modules() if _layer_of(m) is None]
    assert sorted(loose) == ["bbot_tui", "bbot_tui.__main__"], loose


def test_no_arrow_points_up_and_only_tui_imports_textual() -> None:
    bad: list[str] = []
    for path, module in _all_modules():
        bad += violations(path.read_text(encoding="utf-8"), module, path.name == "__init__.py")
    assert bad == []


@pytest.mark.parametrize(
    ("module", "source"),
    [
        ("bbot_tui.api.client", "from bbot_tui.stream.transcript import Transcript\n"),
        ("bbot_tui.session.run", "def f():\n    from bbot_tui.tui import app\n"),
        ("bbot_tui.stream.reducer", "from ..session import run\n"),
        ("bbot_tui.config.settings", "from bbot_tui import api\n"),
        ("bbot_tui.session.run", "import textual.app\n"),
        ("bbot_tui.text", "from bbot_tui.config import paths\n"),
    ],
)
def test_a_reversed_arrow_fails(module: str, source: str) -> None:
    """The check is not vacuous: each of these arrows points up and is reported."""
    assert violations(source, module) != []


def test_allowed_arrows_pass() -> None:
    assert violations("from bbot_tui.api import errors\n", "bbot_tui.session.run") == []
    assert violations("from ..api.models import Run\n", "bbot_tui.stream.inputs") == []
    assert violations("from textual.app import App\n", "bbot_tui.tui.app") == []


def test_the_ui_free_modules_never_load_textual() -> None:
    """Importing every module outside ``tui/`` (and the demo's TUI launcher) loads no Textual."""
    names = [
        m
        for _, m in _all_modules()
        if _layer_of(m) not in (None, "tui") and m != "bbot_tui.demo.launcher"
    ]
    assert "bbot_tui.cli.main" in names and "bbot_tui.session.run" in names
    code = (
        "import importlib, sys\n"
        f"for name in {names!r}:\n"
        "    importlib.import_module(name)\n"
        "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] == 'textual')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "", f"a UI-free module loaded Textual: {out}"
