"""Fixtures of the session tests: ``tests/support`` on sys.path (``faultproxy``, ``hostile``).

``tests/support`` holds plain modules (tests have no ``__init__.py``).
"""

from __future__ import annotations

import sys
from pathlib import Path

SUPPORT = Path(__file__).resolve().parents[1] / "support"
if str(SUPPORT) not in sys.path:
    sys.path.insert(0, str(SUPPORT))
