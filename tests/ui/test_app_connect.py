"""The TUI and the CLI send the key to the same place, for every mix of flag, environment and
profile (one resolver: :func:`bbot_tui.session.connect.resolve_connection`).

Two loopback origins log the headers they receive: ``A`` is the saved profile's server (with its
key), ``B`` another one. Each combination starts the real app (``make_app``, settings read from
disk like ``bbot-tui`` does, ``BBOT_URL``/``BBOT_API_KEY`` read from the environment) until it
has asked its server for assistants, then runs ``bbot-tui assistants`` with the same flags and
environment; both must reach the same origin with the same key, and the key the rule expects.
No LangGraph server is needed: the origins answer every request with an empty list.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from app_pilot import Recorder, wait_for

from bbot_tui.cli.common import EXIT_OK
from bbot_tui.cli.main import main
from bbot_tui.config.settings import Profile, Settings, save_settings
from bbot_tui.tui.app import make_app

KEY_PROFILE = "bbot_canary_profile_6a1d0e"
KEY_FLAG = "bbot_canary_flag_93c2b7"
KEY_ENV = "bbot_canary_env_0f4e18"
RULE = "a profile's key only goes to the profile's own server"


class HeaderLog:
    """A loopback origin that answers ``[]`` to everything and keeps each request's headers."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str]]] = []
        log = self.requests

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                self.rfile.read(int(self.headers.get("content-length") or 0))
                log.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
                body = json.dumps([]).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _answer

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def keys(self) -> set[str | None]:
        """The ``bbot-api-key`` values received (None: a request without one)."""
        return {headers.get("bbot-api-key") for _, headers in self.requests}

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


@pytest.fixture
def origins() -> Iterator[tuple[HeaderLog, HeaderLog]]:
    """``A`` (the profile's server) and ``B`` (another origin)."""
    a, b = HeaderLog(), HeaderLog()
    try:
        yield a, b
    finally:
        a.close()
        b.close()


# (flag url, flag key), (env url, env key), where the key must go, which key, a notice?
# "A"/"B" stand for the two origins; "A/api/v2" is the profile's origin under another path.
CASES = {
    "flag-url-elsewhere": (("B", None), (None, None), "B", None, True),
    "env-url-elsewhere": ((None, None), ("B", None), "B", None, True),
    "env-url-flag-key": ((None, KEY_FLAG), ("B", None), "B", KEY_FLAG, False),
    "flag-url-env-key": (("B", None), (None, KEY_ENV), "B", KEY_ENV, False),
    "flag-url-same-origin": (("A/api/v2", None), (None, None), "A", KEY_PROFILE, False),
    "flag-key-only": ((None, KEY_FLAG), (None, None), "A", KEY_FLAG, False),
    "env-key-only": ((None, None), (None, KEY_ENV), "A", KEY_ENV, False),
    "flag-url-beats-env-url": (("A", None), ("B", None), "A", KEY_PROFILE, False),
    "flags-beat-env": (("B", KEY_FLAG), ("A", KEY_ENV), "B", KEY_FLAG, False),
    "env-same-origin-env-key": ((None, None), ("A", KEY_ENV), "A", KEY_ENV, False),
}


def _url(label: str | None, a: HeaderLog, b: HeaderLog) -> str | None:
    if label is None:
        return None
    base = a.url if label.startswith("A") else b.url
    return base + label[1:]


def _where(a: HeaderLog, b: HeaderLog) -> tuple[str, set[str | None]]:
    """Which origin was asked, and with which keys (exactly one origin must be)."""
    asked = [(name, log) for name, log in (("A", a), ("B", b)) if log.requests]
    assert len(asked) == 1, [(name, log.requests) for name, log in asked]
    name, log = asked[0]
    return name, log.keys()


@pytest.mark.parametrize("case", list(CASES))
async def test_tui_and_cli_send_the_key_to_the_same_origin(
    case: str,
    origins: tuple[HeaderLog, HeaderLog],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (flag_url, flag_key), (env_url, env_key), dest, key, notice = CASES[case]
    a, b = origins
    profile = Profile(name="saved", base_url=a.url, api_key=KEY_PROFILE)
    save_settings(Settings(profiles={"saved": profile}, active_profile="saved"))
    if env_url is not None:
        monkeypatch.setenv("BBOT_URL", _url(env_url, a, b) or "")
    if env_key is not None:
        monkeypatch.setenv("BBOT_API_KEY", env_key)
    url = _url(flag_url, a, b)

    # the TUI: `bbot-tui [--url U] [--api-key K]`, as run_tui builds it
    notes = Recorder()
    app = make_app(None, url=url, api_key=flag_key, read_env=True, persist=False)
    async with app.run_test(size=(100, 30), message_hook=notes) as pilot:
        await app.ready.wait()
        await wait_for(pilot, lambda: a.requests or b.requests, "a request from the app")
        await pilot.app.workers.wait_for_complete()
    tui = _where(a, b)
    assert notes.saw(RULE) == notice, notes.notes
    a.requests.clear()
    b.requests.clear()

    # the CLI: `bbot-tui assistants [--url U] [--api-key K]`
    argv = ["assistants"]
    if url is not None:
        argv += ["--url", url]
    if flag_key is not None:
        argv += ["--api-key", flag_key]
    capsys.readouterr()
    code = await asyncio.to_thread(main, argv)
    err = capsys.readouterr().err
    assert code == EXIT_OK, err
    cli = _where(a, b)
    assert (RULE in err) == notice, err

    # one origin asked, every request with the same key (or none): the one the rule names
    assert tui == cli == (dest, {key}), (tui, cli)
    for secret in (KEY_PROFILE, KEY_FLAG, KEY_ENV):
        assert secret not in err and not any(secret in n for n in notes.notes)
