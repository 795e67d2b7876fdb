"""The UI-free core never loads Textual (the headless CLI and the tests rely on it)."""

import subprocess
import sys

CORE = [
    "bbot_tui.api",
    "bbot_tui.api.client",
    "bbot_tui.api.models",
    "bbot_tui.api.errors",
    "bbot_tui.stream",
    "bbot_tui.stream.sse",
    "bbot_tui.stream.events",
    "bbot_tui.security",
    "bbot_tui.text",
    "bbot_tui.settings",
    "bbot_tui.paths",
]


def test_core_imports_no_textual() -> None:
    code = (
        "import importlib, sys\n"
        f"for name in {CORE!r}:\n"
        "    importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "", f"the core imported Textual modules: {out}"
