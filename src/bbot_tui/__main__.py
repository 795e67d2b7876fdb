"""``python -m bbot_tui``: the same as the ``bbot-tui`` command."""

from __future__ import annotations

import sys

from bbot_tui.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
