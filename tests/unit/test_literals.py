"""Every allowed value of the API is defined once (a ``Literal``) and derived everywhere else.

The ``Literal`` types live in :mod:`bbot_tui.api.literals` (and the key headers, which the
settings check too, in :mod:`bbot_tui.config.security`). This test reads every module under
``src/bbot_tui`` and fails on a copy of one of their value sets: a tuple, list or set of the
same strings, a ``Literal[...]`` of them, or an ``a|b|c`` string (a flag's metavar). The request
models and the run-options model are checked to accept exactly those values.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

import pytest
from pydantic import ValidationError

import bbot_tui
from bbot_tui.api import literals
from bbot_tui.api.models import RunCreate, RunCreateStateless
from bbot_tui.config import security
from bbot_tui.session.run_options import RunOptions

PACKAGE_ROOT = Path(bbot_tui.__file__).parent
HOMES = {
    PACKAGE_ROOT / "api" / "literals.py",
    PACKAGE_ROOT / "config" / "security.py",
    PACKAGE_ROOT / "config" / "protocols.py",
}
"""The modules where the values are written out (once)."""


def _value_sets() -> dict[frozenset[str], str]:
    sets: dict[frozenset[str], str] = {}
    for module in (literals, security):
        for name in dir(module):
            value = getattr(module, name)
            if get_origin(value) is Literal and len(get_args(value)) >= 2:
                sets[frozenset(get_args(value))] = f"{module.__name__}.{name}"
    sets[frozenset(literals.DEFAULT_STREAM_MODES)] = "bbot_tui.api.literals.DEFAULT_STREAM_MODES"
    return sets


VALUE_SETS = _value_sets()


def copies_in(source: str) -> list[tuple[int, str]]:
    """``(line, name of the Literal)`` for every copy of a known value set in ``source``."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        values: list[Any] | None = None
        if isinstance(node, ast.Tuple | ast.List | ast.Set):
            values = [e.value if isinstance(e, ast.Constant) else None for e in node.elts]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and "|" in node.value:
            values = node.value.split("|")
        if not values or len(values) < 2 or not all(isinstance(v, str) for v in values):
            continue
        name = VALUE_SETS.get(frozenset(values))
        if name is not None:
            found.append((node.lineno, name))
    return found


def test_the_value_sets_are_found() -> None:
    names = set(VALUE_SETS.values())
    for expected in (
        "StreamMode",
        "Durability",
        "MultitaskStrategy",
        "IfNotExists",
        "OnDisconnect",
        "OnCompletion",
        "ThreadStatus",
        "CancelAction",
        "ReservedHeader",
        "DEFAULT_STREAM_MODES",
    ):
        assert any(n.endswith("." + expected) for n in names), expected


@pytest.mark.parametrize(
    "source",
    [
        'MODES = ("messages-tuple", "updates")\n',
        'x: Literal["interrupt", "rollback"] = "interrupt"\n',
        'CHOICES = [(m, m) for m in ("enqueue", "reject", "interrupt", "rollback")]\n',
        'p.add_argument("--durability", metavar="sync|async|exit")\n',
        'p.add_argument("--status", choices=("idle", "busy", "interrupted", "error"))\n',
        'RESERVED = frozenset({"bbot-api-key", "x-api-key", "authorization"})\n',
    ],
)
def test_a_copy_is_reported(source: str) -> None:
    """The check is not vacuous: each of these copies is found."""
    assert copies_in(source) != []


def test_other_values_are_not_copies() -> None:
    source = 'ACTIVE = ("pending", "running")\nKINDS = ("approve", "edit", "reject")\nX = "a|b"\n'
    assert copies_in(source) == []


def test_no_module_copies_an_allowed_value_set() -> None:
    copies = [
        f"{path.relative_to(PACKAGE_ROOT)}:{line} copies {name}"
        for path in sorted(PACKAGE_ROOT.rglob("*.py"))
        if path not in HOMES
        for line, name in copies_in(path.read_text(encoding="utf-8"))
    ]
    assert copies == []


@pytest.mark.parametrize(
    ("model", "field", "literal"),
    [
        (RunCreate, "durability", literals.Durability),
        (RunCreate, "multitask_strategy", literals.MultitaskStrategy),
        (RunCreate, "if_not_exists", literals.IfNotExists),
        (RunCreate, "on_disconnect", literals.OnDisconnect),
        (RunCreateStateless, "on_completion", literals.OnCompletion),
        (RunCreate, "stream_mode", literals.StreamMode),
        (RunOptions, "durability", literals.Durability),
        (RunOptions, "multitask_strategy", literals.MultitaskStrategy),
        (RunOptions, "if_not_exists", literals.IfNotExists),
        (RunOptions, "on_disconnect", literals.OnDisconnect),
        (RunOptions, "on_completion", literals.OnCompletion),
        (RunOptions, "stream_mode", literals.StreamMode),
    ],
)
def test_the_models_accept_exactly_the_literal(model: Any, field: str, literal: Any) -> None:
    base: dict[str, Any] = {"assistant_id": "a"} if model is not RunOptions else {}
    wrap = (lambda v: [v]) if model is RunOptions and field == "stream_mode" else (lambda v: v)
    for value in get_args(literal):
        assert getattr(model.model_validate({**base, field: wrap(value)}), field) == wrap(value)
    with pytest.raises(ValidationError) as info:
        model.model_validate({**base, field: wrap("not-a-value")})
    assert info.value.errors()[0]["loc"][0] == field


def test_the_default_stream_modes() -> None:
    assert set(literals.DEFAULT_STREAM_MODES) <= set(get_args(literals.StreamMode))
    assert RunOptions().stream_mode == list(literals.DEFAULT_STREAM_MODES)
    assert RunOptions().build("a", None).stream_mode == list(literals.DEFAULT_STREAM_MODES)


def test_the_reserved_headers_are_refused_as_extra_headers() -> None:
    from bbot_tui.api.client import AgentClient
    from bbot_tui.api.errors import ConfigError
    from bbot_tui.config.settings import Profile

    for name in get_args(security.ReservedHeader):
        with pytest.raises(ConfigError):
            AgentClient("http://127.0.0.1:9", extra_headers={name.title(): "x"})
        with pytest.raises(ValidationError):
            Profile(name="p", base_url="http://127.0.0.1:9", extra_headers={name: "x"})
