"""``bbot-tui serve [--host H] [--port N] [-- ARGS]``: the TUI (or presenter mode) as a web page.

Each browser tab that opens the page gets its own ``bbot-tui ARGS`` process (``tui`` by default,
``present FILE``, ``demo``), run by textual-serve's :class:`~textual_serve.app_service.AppService`
with Textual's web driver; the page is xterm.js drawing that process's terminal over a
websocket. This module is the web server around it (aiohttp), written here rather than
textual-serve's ``Server`` because of what it must refuse:

* **It listens on loopback** (``127.0.0.1``) unless ``--host`` says otherwise, and says so.
* **A random token per launch** is in the printed URL, like Jupyter's
  (``http://127.0.0.1:PORT/?token=…``). Every request must carry it: in the query, or in the
  cookie (HttpOnly, SameSite=Strict) the page sets when opened with it, which the page's own
  script, stylesheet, fonts and websocket then send. Anything else gets 403, compared in
  constant time. The websocket also refuses another site's ``Origin``.
* **The API key never reaches the page.** ``--api-key K`` given among ARGS is taken out of the
  served command line and handed to the process in ``BBOT_API_KEY`` (its environment, which
  ``ps`` does not show); the page only shows what the TUI draws, and the TUI never draws a key.
* **No request leaves the machine**: the page is this module's own (textual-serve's loads a
  font from a public CDN); the fonts come from textual-serve's package.

textual-serve is the ``serve`` extra (``pip install 'bbot-tui[serve]'``); it is imported when
the command runs, so the other commands do not need it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hmac
import html
import ipaddress
import json
import os
import secrets
import shlex
import signal
import sys
from collections.abc import Iterator, Sequence
from importlib import resources
from pathlib import Path
from string import Template
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from bbot_tui.cli.common import EXIT_OK, Output, UsageError

if TYPE_CHECKING:
    from aiohttp import web
    from textual_serve.app_service import AppService

__all__ = [
    "APPS",
    "TOKEN_COOKIE",
    "WebTerminal",
    "app_command",
    "is_loopback",
    "serve_command",
]

APPS = ("tui", "present", "demo")
"""The commands that can be served (the rest print to a terminal, they draw none)."""
TOKEN_COOKIE = "bbot_serve_token"
"""The cookie that carries the token once the page was opened with it."""
KEY_FLAG = "--api-key"

_PAGE = Template("""<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<meta name="referrer" content="no-referrer">
<title>$title</title>
<link rel="stylesheet" href="$static/css/xterm.css">
<style>
@font-face {
  font-family: "Roboto Mono";
  src: url("$static/fonts/RobotoMono-VariableFont_wght.ttf") format("truetype");
}
html, body { margin: 0; padding: 0; background: #000; height: 100%; }
.textual-terminal { width: 100vw; height: 100vh; }
.ended { display: none; color: #fff; font: 16px "Roboto Mono", monospace; padding: 2em; }
body.-closed .ended { display: block; }
body.-closed .textual-terminal { display: none; }
</style>
<script src="$static/js/textual.js"></script>
</head>
<body>
<div class="ended">The session ended. Reload the page to start a new one.</div>
<div id="terminal" class="textual-terminal" data-session-websocket-url="$websocket"
     data-font-size="$font_size"></div>
</body>
</html>
""")


# --- the command line ---------------------------------------------------------------------------


def app_command(args: Sequence[str]) -> tuple[list[str], str | None]:
    """The served app's arguments without the API key, and the key.

    Args:
        args: what followed ``--`` (``present demo.yaml --api-key K``…).

    Returns:
        The arguments (``["tui"]`` when none were given) and the key, or None.

    Raises:
        UsageError: a command that draws no terminal UI, or ``--api-key`` without a value.
    """
    rest = list(args)
    if rest[:1] == ["--"]:
        rest = rest[1:]
    if not rest or rest[0].startswith("-"):
        rest = ["tui", *rest]
    if rest[0] not in APPS:
        raise UsageError(f"serve: only {', '.join(APPS)} can be served (got {rest[0]!r})")
    out: list[str] = []
    key: str | None = None
    items = iter(rest)
    for item in items:
        if item == KEY_FLAG:
            key = next(items, None)
            if key is None:
                raise UsageError(f"serve: {KEY_FLAG} needs a value")
        elif item.startswith(KEY_FLAG + "="):
            key = item.split("=", 1)[1]
        else:
            out.append(item)
    return out, key


def is_loopback(host: str) -> bool:
    """Whether ``host`` only accepts connections from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@contextlib.contextmanager
def _key_in_environment(key: str | None) -> Iterator[None]:
    """``BBOT_API_KEY`` for the served processes (they copy this process's environment)."""
    if key is None:
        yield
        return
    before = os.environ.get("BBOT_API_KEY")
    os.environ["BBOT_API_KEY"] = key
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("BBOT_API_KEY", None)
        else:
            os.environ["BBOT_API_KEY"] = before


# --- the web server ------------------------------------------------------------------------------


class WebTerminal:
    """The web server: the page, its static files and one app process per websocket.

    Args:
        command: the shell command that runs the app (no key in it).
        host: the address to listen on.
        port: the port (0: a free one).
        token: the token every request must carry (a new random one by default).
        title: the page's title.
    """

    def __init__(
        self,
        command: str,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        token: str | None = None,
        title: str = "bbot-tui",
    ) -> None:
        self.command = command
        self.host = host
        self.port = port
        self.token = token or secrets.token_urlsafe(24)
        self.title = title
        self.static = Path(str(resources.files("textual_serve") / "static"))
        self._runner: web.AppRunner | None = None
        self._services: set[AppService] = set()

    @property
    def url(self) -> str:
        """The page's address with the token (what to open)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/?token={self.token}"

    async def start(self) -> str:
        """Listen, and return :attr:`url` (with the port the system gave)."""
        from aiohttp import web

        app = web.Application(middlewares=[self._gate])
        app.add_routes(
            [
                web.get("/", self._index),
                web.get("/ws", self._websocket),
                web.static("/static", self.static),
            ]
        )
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        return self.url

    async def stop(self) -> None:
        """Stop every app process and the server."""
        services, self._services = list(self._services), set()
        for service in services:
            with contextlib.suppress(Exception):
                await service.stop()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # --- the token ------------------------------------------------------------------------

    def _allowed(self, request: web.Request) -> bool:
        for given in (request.query.get("token"), request.cookies.get(TOKEN_COOKIE)):
            if given is not None and hmac.compare_digest(given.encode(), self.token.encode()):
                return True
        return False

    @property
    def _gate(self) -> Any:
        from aiohttp import web

        @web.middleware
        async def gate(request: web.Request, handler: Any) -> web.StreamResponse:
            if not self._allowed(request):
                return web.Response(
                    status=403,
                    text="403: open the address bbot-tui serve printed (it carries the token)\n",
                )
            response: web.StreamResponse = await handler(request)
            return response

        return gate

    # --- the page and the terminal ------------------------------------------------------

    async def _index(self, request: web.Request) -> web.StreamResponse:
        from aiohttp import web

        try:
            font_size = max(6, min(48, int(request.query.get("fontsize", "16"))))
        except ValueError:
            font_size = 16
        scheme = "wss" if request.secure else "ws"
        page = _PAGE.substitute(
            title=html.escape(self.title),
            static="/static",
            websocket=html.escape(f"{scheme}://{request.host}/ws", quote=True),
            font_size=font_size,
        )
        response = web.Response(text=page, content_type="text/html")
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.set_cookie(TOKEN_COOKIE, self.token, httponly=True, samesite="Strict", path="/")
        return response

    def _same_origin(self, request: web.Request) -> bool:
        origin = request.headers.get("Origin")
        if origin is None:
            return True  # not a browser page: the token already stood for the caller
        return urlsplit(origin).netloc == request.host

    async def _websocket(self, request: web.Request) -> web.StreamResponse:
        from aiohttp import WSMsgType, web
        from textual_serve.app_service import AppService
        from textual_serve.download_manager import DownloadManager

        if not self._same_origin(request):
            return web.Response(status=403, text="403: another site's page\n")
        socket = web.WebSocketResponse(heartbeat=15)
        await socket.prepare(request)

        async def close() -> None:
            await socket.close()

        width = _int(request.query.get("width"), 80)
        height = _int(request.query.get("height"), 24)
        service = AppService(
            self.command,
            write_bytes=socket.send_bytes,
            write_str=socket.send_str,
            close=close,
            download_manager=DownloadManager(),
        )
        self._services.add(service)
        try:
            await service.start(width, height)
            async for message in socket:
                if message.type != WSMsgType.TEXT:
                    continue
                await _forward(service, socket, message.data)
        finally:
            self._services.discard(service)
            await service.stop()
        return socket


def _int(value: str | None, default: int) -> int:
    try:
        return max(1, min(1000, int(value))) if value is not None else default
    except ValueError:
        return default


async def _forward(service: AppService, socket: web.WebSocketResponse, data: str) -> None:
    """One message of the page to the app (keys, size, focus) or back (ping)."""
    try:
        envelope = json.loads(data)
    except ValueError:
        return
    if not isinstance(envelope, list) or not envelope:
        return
    kind = envelope[0]
    payload = envelope[1] if len(envelope) > 1 else None
    if kind == "stdin" and isinstance(payload, str):
        await service.send_bytes(payload.encode("utf-8"))
    elif kind == "resize" and isinstance(payload, dict):
        await service.set_terminal_size(
            _int(str(payload.get("width")), 80), _int(str(payload.get("height")), 24)
        )
    elif kind == "ping":
        await socket.send_json(["pong", payload])
    elif kind == "blur":
        await service.blur()
    elif kind == "focus":
        await service.focus()


# --- the command --------------------------------------------------------------------------------


async def serve_command(args: argparse.Namespace, output: Output) -> int:
    """``bbot-tui serve``: serve the app until Ctrl+C (or SIGTERM), then stop every process."""
    app_args, key = app_command(args.app or [])
    try:
        import aiohttp  # noqa: F401
        import textual_serve  # noqa: F401
    except ModuleNotFoundError as exc:
        raise UsageError(
            f"serve needs the serve extra ({exc.name} is missing): pip install 'bbot-tui[serve]'"
        ) from None
    command = shlex.join([sys.executable, "-m", "bbot_tui", *app_args])
    title = "bbot-tui " + " ".join(app_args[:2])
    terminal = WebTerminal(command, host=args.host, port=args.port, title=title)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    with _key_in_environment(key):
        try:
            url = await terminal.start()
        except OSError as exc:
            raise UsageError(f"serve: cannot listen on {args.host}:{args.port} ({exc})") from None
        output.line(f"bbot-tui serve: {url}")
        if is_loopback(args.host):
            output.note(
                f"listening on {args.host} only (this machine); --host 0.0.0.0 shares it. "
                "Open the address above: without its token every request gets 403."
            )
        else:
            output.note(
                f"listening on {args.host}: anyone who can reach it and has the address "
                "(with its token) gets this app and its connection. Ctrl+C stops it."
            )
        if key is not None:
            output.note("the API key goes to the app in its environment, not its command line")
        try:
            await stop.wait()
        finally:
            await terminal.stop()
    output.note("bbot-tui serve: stopped")
    return EXIT_OK
