"""Make ``docs/screenshot.svg``: the demo app after a streamed Markdown answer with a code block.

Starts the bundled demo server (exactly as ``bbot-tui demo`` does), drives the app headlessly
with Textual's Pilot (it opens on ``demo_chat``; send a question, wait for the answer), saves an SVG
screenshot and stops the server. Run it from the repository::

    .venv/bin/python docs/make_screenshot.py [--size 120x36] [--out docs/screenshot.svg]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from bbot_tui.demo.launcher import demo_server, make_demo_app

QUESTION = "How do I greet someone in Python?"
HERE = Path(__file__).resolve().parent


async def shoot(url: str, size: tuple[int, int], out: Path) -> None:
    """Drive the demo app to a finished answer and save the screenshot."""
    app = make_demo_app(url)
    async with app.run_test(size=size) as pilot:
        await app.ready.wait()
        screen = app.main_screen
        for _ in range(600):  # the demo opens on demo_chat
            if screen.assistant is not None and screen.session is not None:
                break
            await pilot.pause(0.05)
        screen.composer.focus()
        screen.composer.load_text(QUESTION)
        await pilot.press("enter")
        for _ in range(600):
            if screen.running:
                break
            await pilot.pause(0.05)
        for _ in range(1200):
            if not screen.running:
                break
            await pilot.pause(0.05)
        await app.workers.wait_for_complete()
        screen.composer.cursor_blink = False
        await pilot.pause(0.2)
        if screen.transcript.stop == "error" or len(screen.transcript.messages) < 2:
            raise RuntimeError(f"the demo run did not finish: {screen.status_bar.status}")
        app.save_screenshot(filename=out.name, path=str(out.parent))


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments, start the server, take the screenshot."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="120x36", help="terminal size, COLSxROWS")
    parser.add_argument("--out", type=Path, default=HERE / "screenshot.svg")
    args = parser.parse_args(argv)
    cols, rows = (int(n) for n in args.size.lower().split("x"))
    with demo_server(sys.stderr) as server:
        assert server.url is not None
        asyncio.run(shoot(server.url, (cols, rows), args.out))
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
