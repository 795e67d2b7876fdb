"""The wheel ships the stylesheets, and the package runs from the wheel alone.

``styles/`` lives at the repository root (``pyproject.toml`` force-includes it as
``bbot_tui/styles``). A wheel without it installs fine and fails only when the app starts, so
this test builds the wheel into a temporary folder, checks every ``styles/*.tcss`` is inside
byte for byte, unpacks it (a pure-Python wheel installs by unpacking) and imports the package
from there in a fresh interpreter: the module files, the styles folder and every stylesheet
the app and its screens name must come from the unpacked wheel, not from this checkout.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STYLES = sorted((ROOT / "styles").glob("*.tcss"))

PROBE = """
import json, sys
sys.path.insert(0, sys.argv[1])
import bbot_tui, bbot_tui.tui.resources as resources
from bbot_tui.tui.app import _SHEETS
from bbot_tui.tui.app import BbotApp
from bbot_tui.tui.screens.connection import ConnectionScreen
named = [resources.stylesheet(name) for name in _SHEETS]  # the app drops a missing one
paths = [str(p) for p in named + list(BbotApp.CSS_PATH) + [ConnectionScreen.CSS_PATH]]
print(json.dumps({
    "module": bbot_tui.__file__,
    "styles_dir": str(resources.STYLES_DIR),
    "css": paths,
    "missing": [p for p in paths if not __import__("pathlib").Path(p).is_file()],
}))
"""


def _build_wheel(out: Path) -> Path:
    command = [sys.executable, "-m", "build", "--wheel", "--outdir", str(out)]
    if importlib.util.find_spec("hatchling") is not None:
        command.append("--no-isolation")  # offline when the backend is installed
    result = subprocess.run([*command, str(ROOT)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    (wheel,) = out.glob("bbot_tui-*.whl")
    return wheel


def test_wheel_ships_styles_and_imports_from_them(tmp_path: Path) -> None:
    assert STYLES, "no stylesheets in styles/"
    wheel = _build_wheel(tmp_path / "dist")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        for style in STYLES:
            packed = f"bbot_tui/styles/{style.name}"
            assert packed in names, f"{style.name} is not in the wheel"
            assert archive.read(packed) == style.read_bytes()
        entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
        assert "bbot-tui = bbot_tui.cli.main:main" in archive.read(entry_points).decode()
        assert "bbot_tui/demo/langgraph.json" in names
        site = tmp_path / "site"
        archive.extractall(site)

    probe = subprocess.run(
        [sys.executable, "-c", PROBE, str(site)], capture_output=True, text=True, timeout=120
    )
    assert probe.returncode == 0, probe.stderr[-2000:]
    found = json.loads(probe.stdout.splitlines()[-1])
    package = site / "bbot_tui"
    assert Path(found["module"]) == package / "__init__.py"
    assert Path(found["styles_dir"]) == package / "styles"
    assert found["css"] and found["missing"] == []
    assert all(Path(p).is_relative_to(package / "styles") for p in found["css"])
