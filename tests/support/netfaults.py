"""Loopback listeners that fail the way real networks do, for the transport-error tests.

``FaultyListener("silent")`` accepts connections and never answers (a stuck server, a firewall
that holds the connection), ``"reset"`` accepts and resets each connection at once (a port
held by another service, a middlebox), ``"plain"`` answers every connection with plain-text
HTTP (an https URL pointed at an http port: the TLS handshake fails). Each runs in a thread of
its own, so it serves ``asyncio.run`` callers (the CLI in-process) as well as async tests::

    with FaultyListener("silent") as listener:
        ...  # connect to listener.url
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from typing import Literal, Self

__all__ = ["FaultyListener"]

Behaviour = Literal["silent", "reset", "plain"]


class FaultyListener:
    """A loopback TCP listener that misbehaves one way.

    Attributes:
        url: ``http://127.0.0.1:PORT`` (use ``https`` yourself for the TLS case).
        port: the port.
        accepted: how many connections it accepted.
    """

    def __init__(self, behaviour: Behaviour) -> None:
        self.behaviour = behaviour
        self._server = socket.create_server(("127.0.0.1", 0))
        self._server.settimeout(0.2)
        self.port: int = self._server.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.accepted = 0
        self._held: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        for conn in self._held:
            with contextlib.suppress(OSError):
                conn.close()
        self._server.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.accepted += 1
            if self.behaviour == "silent":
                self._held.append(conn)  # never read, never answered, closed at exit
            elif self.behaviour == "reset":
                # SO_LINGER 0: close() sends a RST instead of a FIN
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                conn.close()
            else:
                with contextlib.suppress(OSError):
                    conn.settimeout(2)
                    conn.recv(4096)
                    conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                conn.close()
