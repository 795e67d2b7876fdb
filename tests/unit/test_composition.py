"""The run session and the reducer are built by composition, and stay so.

A class that grows takes collaborators (objects it owns and calls through public methods), it
is not cut into base classes in sibling files. The signs of such a split are checked on every
module of ``bbot_tui.session`` and ``bbot_tui.stream`` (a new module is covered without
touching this test): a class inheriting from two or more of the project's classes, a method
typed ``self: OtherClass``, a call to another object's ``_private`` method, and an import
cycle between the modules.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import bbot_tui

ROOT = Path(bbot_tui.__file__).parent
PACKAGES = ("session", "stream")


def _modules() -> list[tuple[str, ast.Module]]:
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).glob("*.py")):
            name = f"bbot_tui.{package}.{path.stem}".removesuffix(".__init__")
            found.append((name, ast.parse(path.read_text(encoding="utf-8"))))
    return found


MODULES = _modules()


def _class_index() -> dict[tuple[str, str], list[tuple[str, str]]]:
    """Every class of the project: ``(module, name)`` -> its bases as ``(module, name)``."""
    index: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT.parent).with_suffix("")
        module = ".".join(rel.parts).removesuffix(".__init__")
        tree = ast.parse(path.read_text(encoding="utf-8"))
        where = {}  # a name imported from the project -> the module it comes from
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("bbot_tui"):
                for alias in node.names:
                    where[alias.asname or alias.name] = node.module or ""
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                bases = []
                for base in node.bases:
                    if isinstance(base, ast.Name):
                        bases.append((where.get(base.id, module), base.id))
                index[(module, node.name)] = bases
    return index


CLASSES = _class_index()


def _ancestors(key: tuple[str, str]) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    todo = list(CLASSES.get(key, []))
    while todo:
        base = todo.pop()
        if base in CLASSES and base not in found:
            found.add(base)
            todo.extend(CLASSES[base])
    return found


@pytest.mark.parametrize(("module", "tree"), MODULES, ids=[m for m, _ in MODULES])
def test_no_class_is_cut_into_project_base_classes(module: str, tree: ast.Module) -> None:
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            foreign = {a for a in _ancestors((module, node.name)) if a[0] != module}
            assert len(foreign) < 2, f"{module}.{node.name} inherits from {sorted(foreign)}"


@pytest.mark.parametrize(("module", "tree"), MODULES, ids=[m for m, _ in MODULES])
def test_no_method_borrows_another_class_as_self(module: str, tree: ast.Module) -> None:
    for cls in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)):
        for fn in cls.body:
            if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef) or not fn.args.args:
                continue
            decorators = {d.id for d in fn.decorator_list if isinstance(d, ast.Name)}
            if "staticmethod" not in decorators:
                first = fn.args.args[0]
                assert first.annotation is None, f"{module}.{cls.name}.{fn.name}: typed self"


@pytest.mark.parametrize(("module", "tree"), MODULES, ids=[m for m, _ in MODULES])
def test_no_call_to_another_objects_private_method(module: str, tree: ast.Module) -> None:
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        attr = node.func.attr
        if not attr.startswith("_") or attr.startswith("__"):
            continue
        owner = node.func.value
        own = isinstance(owner, ast.Name) and owner.id in ("self", "cls")
        own = own or (  # super()._x() is the class's own
            isinstance(owner, ast.Call)
            and isinstance(owner.func, ast.Name)
            and owner.func.id == "super"
        )
        assert own, f"{module}:{node.lineno} calls {ast.unparse(node.func)}()"


def test_no_import_cycle_between_the_modules() -> None:
    graph: dict[str, set[str]] = {}
    names = {m for m, _ in MODULES}
    for module, tree in MODULES:
        edges: set[str] = set()
        for node in tree.body:  # top-level imports: the ones that run at import time
            if isinstance(node, ast.ImportFrom) and node.module in names:
                edges.add(node.module)
        graph[module] = edges
    state: dict[str, int] = {}

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(graph[module]):
            assert state.get(target) != 1, f"import cycle: {' -> '.join([*path, target])}"
            if target not in state:
                visit(target, [*path, target])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
