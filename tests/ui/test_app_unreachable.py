"""A server that cannot be reached: the app says so and keeps saying it.

Nothing listens on the port (a socket bound and closed by the test), so the connection is
refused. The notification goes away after a while; the status bar must not keep claiming that
assistants are loading.
"""

from __future__ import annotations

import socket

from app_pilot import Recorder, wait_for

from bbot_tui.tui.app import make_app


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_a_refused_connection_is_shown_in_the_status_bar() -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    app = make_app(None, url=url, persist=False)
    notes = Recorder()
    async with app.run_test(size=(120, 40), message_hook=notes) as pilot:
        await app.ready.wait()
        screen = app.main_screen
        await wait_for(
            pilot, lambda: "could not connect" in screen.status_bar.notice, "the failure notice"
        )
        assert screen.status_bar.notice.startswith("Connection: could not connect to")
        assert "loading" not in screen.status_bar.notice
        assert notes.saw("could not connect")
        assert app.is_running
