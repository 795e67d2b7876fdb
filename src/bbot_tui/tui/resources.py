"""Where the shipped resources are: the Textual stylesheets.

In a wheel the repository's ``styles/`` folder is packaged as ``bbot_tui/styles``; from a
source checkout (editable install) it is read from the repository root.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["STYLES_DIR", "stylesheet"]

_PACKAGED = Path(__file__).resolve().parents[1] / "styles"
STYLES_DIR: Path = (
    _PACKAGED if _PACKAGED.is_dir() else Path(__file__).resolve().parents[3] / "styles"
)
"""The folder holding the ``.tcss`` files."""


def stylesheet(name: str) -> Path:
    """The path of one stylesheet, e.g. ``stylesheet("app.tcss")``."""
    return STYLES_DIR / name
