"""The main screen is one class that owns its collaborators, and the screens never import the app.

The screen used to be a chain of base classes in sibling modules; these checks keep it
composed: no class of the screens package inherits from a project class of another module,
no module of it imports the app (which imports the main screen), and importing the main
screen stays light (the app draws its first frame before pydantic and httpx are loaded).
"""

from __future__ import annotations

import ast
import importlib
import inspect
import subprocess
import sys
from pathlib import Path

import bbot_tui.tui.screens as screens_package
from bbot_tui.tui.screens.main import MainScreen
from bbot_tui.tui.screens.run_controller import RunController
from bbot_tui.tui.screens.thread_browser import ThreadBrowser

SCREENS = Path(screens_package.__file__).parent


def _modules() -> list[str]:
    return [f"bbot_tui.tui.screens.{p.stem}" for p in sorted(SCREENS.glob("*.py"))]


def test_no_screen_class_builds_on_a_project_class_of_another_module() -> None:
    chains = []
    for name in _modules():
        module = importlib.import_module(name)
        for cls_name, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ != name:
                continue
            own = [
                k
                for k in cls.__mro__[1:]
                if k.__module__.startswith("bbot_tui.") and k.__module__ != name
            ]
            if own:
                chains.append(f"{name}.{cls_name} <- {own}")
    assert chains == []


def test_the_screen_owns_its_collaborators() -> None:
    screen = MainScreen()
    assert isinstance(screen.threads, ThreadBrowser)
    assert isinstance(screen.runs, RunController)
    assert screen.transcript is screen.runs.transcript
    assert screen.thread_id is None and screen.assistant is None and screen.session is None


def test_no_screen_imports_the_app() -> None:
    found = []
    for path in sorted(SCREENS.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            if "bbot_tui.tui.app" in names:
                found.append(f"{path.name}:{node.lineno}")
    assert found == []


def test_importing_the_main_screen_loads_no_pydantic_or_httpx() -> None:
    code = (
        "import sys\n"
        "import bbot_tui.tui.screens.main\n"
        "print(sorted(m for m in ('pydantic', 'httpx') if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert out.stdout.strip() == "[]"
