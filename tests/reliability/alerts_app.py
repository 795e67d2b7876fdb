"""The real bbot-tui app, plus a remote control for the pty alert tests (a test script).

Usage: ``python alerts_app.py CONTROL_DIR``. The app is built by ``make_app`` and loads the
settings from ``BBOT_TUI_HOME`` as ``bbot-tui`` does; nothing in it is changed. Beside it, in
the same event loop, this script

* writes ``CONTROL_DIR/state.json`` (``{"focus": bool, "thread": str | null, "polls": int}``:
  whether the app has terminal focus, the thread the alerter sees in front, and how many times
  the inbox watcher has polled) whenever one of them changes;
* every 50 ms, posts an :class:`~bbot_tui.tui.messages.AttentionNeeded` to the app for each new
  ``CONTROL_DIR/post-N.json`` (the message's fields), as the live follow and the inbox do, and
  writes ``CONTROL_DIR/done-N`` once the app has handled it.

Keys are never used to drive it: a key press gives the app focus again.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

from bbot_tui.tui.app import make_app
from bbot_tui.tui.messages import AttentionNeeded


def _write(path: Path, text: str) -> None:
    temp = path.with_suffix(".tmp")
    temp.write_text(text)
    os.replace(temp, path)


async def main(control: Path) -> int:
    app = make_app(None)
    running = asyncio.create_task(app.run_async())
    done: set[str] = set()
    state: tuple[bool, str | None, int] | None = None
    while not running.done():
        await asyncio.sleep(0.05)
        if not app.is_running or not app.screen_stack:
            continue
        now = (bool(app.app_focus), app.alerts.viewed_thread(), app.inbox_watch.polls)
        if now != state:
            state = now
            fields = {"focus": now[0], "thread": now[1], "polls": now[2]}
            _write(control / "state.json", json.dumps(fields))
        for path in sorted(control.glob("post-*.json")):
            name = path.stem.removeprefix("post-")
            if name in done:
                continue
            done.add(name)
            fields = json.loads(path.read_text())
            app.post_message(AttentionNeeded(**fields))
            # queued after the message: runs once the app has handled it
            app.call_later(_write, control / f"done-{name}", "")
    await running
    return app.return_code or 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(Path(sys.argv[1]))))
