"""Run a real LangGraph Agent Server (``langgraph dev``) in a child process.

Used by the bundled demo (``start_demo_server``) and by the test suite. The server is exactly
``langgraph dev --no-browser --no-reload --host 127.0.0.1 --port N --n-jobs-per-worker J --config
<langgraph.json>``, run by *this* interpreter (``sys.executable -c`` calling the CLI's click entry
point ``langgraph_cli.cli:cli``), so it always uses the caller's environment and never depends on a
``langgraph`` script being on ``PATH``. The few lines run before the CLI start a watchdog thread
that stops the server when its parent process dies (e.g. a killed test run): the server lives in
its own session, so it would otherwise be orphaned.

Why the child does not run in the config's folder: the in-memory runtime pickles its threads,
runs and checkpoints into ``./.langgraph_api`` and reloads them at the next start, and the CLI
offers no way to turn that off (``disable_persistence`` is dropped by its config validation). In
the config's folder that would mean state leaking between test sessions, pytest-xdist workers
clobbering one another's files, and writes into ``site-packages`` for the installed demo. So the
server runs in its own state folder (a fresh temporary one unless ``state_dir`` is given) with a
copy of the config whose relative paths (graph files, ``dependencies``, an ``env`` file) are made
absolute. ``langgraph dev`` appends every local ``dependencies`` folder to ``sys.path``, so graphs
that import sibling modules should list ``"."`` there (its working folder is no longer the
config's folder).

``langgraph dev`` runs one run at a time by default; ``LocalServer`` asks for ``jobs`` (4)
concurrent runs, closer to a deployed server, so a slow run on one thread does not hold up another
thread's run.

The port is chosen by binding ``127.0.0.1:0``; ``langgraph dev`` silently moves to another port
when the requested one is busy, so the real address is always read from the server's log line
``- 🚀 API: http://127.0.0.1:N``. This module must not import Textual (nor httpx).
"""

from __future__ import annotations

import atexit
import collections
import contextlib
import importlib.util
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import IO, Any

DEMO_CONFIG = Path(__file__).with_name("langgraph.json")
"""The bundled demo's ``langgraph.json`` (ships inside the wheel)."""

DEFAULT_STARTUP_TIMEOUT = 90.0
"""Seconds to wait for ``GET /ok`` to answer 200."""

STOP_TIMEOUT = 10.0
"""Seconds between SIGTERM and SIGKILL in ``LocalServer.stop``."""

DEFAULT_JOBS = 4
"""Concurrent runs per server (``langgraph dev`` alone would run one at a time)."""

LOG_TAIL_LINES = 40
"""Log lines quoted in a start-up error."""

_ANSI_RE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_API_RE = re.compile(r"API:\s*(https?://[^\s]+)")

_SET_ENV = {
    "LANGSMITH_TRACING": "false",
    "LANGCHAIN_TRACING_V2": "false",
    "LANGGRAPH_CLI_NO_ANALYTICS": "1",
    # Skips langgraph-api's background "newer version on PyPI?" request.
    "LANGGRAPH_NO_VERSION_CHECK": "true",
    "PYTHONUNBUFFERED": "1",
}
_DROP_ENV = (
    "LANGSMITH_API_KEY",
    "LANGCHAIN_API_KEY",
    "LANGGRAPH_API_KEY",
    "LANGGRAPH_CLOUD_LICENSE_KEY",
    "LANGSMITH_CONTROL_PLANE_API_KEY",
    "BBOT_API_KEY",
)

_BOOTSTRAP = """\
import os, signal, sys, threading, time
def _watch(parent):
    while True:
        time.sleep(1.0)
        if os.getppid() != parent:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(10.0)
            os._exit(1)
_parent = int(os.environ.get("BBOT_TUI_PARENT_PID") or os.getppid())
threading.Thread(target=_watch, args=(_parent,), name="parent-watch", daemon=True).start()
from langgraph_cli.cli import cli
sys.argv[0] = "langgraph"
cli(prog_name="langgraph")
"""
"""Runs ``langgraph dev`` in the child; stops it when the parent process goes away."""

_running: set[LocalServer] = set()
_running_lock = threading.Lock()


class ServerStartError(RuntimeError):
    """The server did not become healthy; the message ends with the last log lines."""

    def __init__(self, message: str, log_tail: str) -> None:
        super().__init__(f"{message}\n--- last {LOG_TAIL_LINES} log lines ---\n{log_tail}")
        self.log_tail = log_tail


def strip_ansi(text: str) -> str:
    """Remove ANSI colour/style escape sequences from ``text``."""
    return _ANSI_RE.sub("", text)


def find_api_url(line: str) -> str | None:
    """Return the base URL announced by a ``- 🚀 API: http://…`` log line, else ``None``."""
    match = _API_RE.search(strip_ansi(line))
    return match.group(1).rstrip("/") if match else None


def free_port(host: str = "127.0.0.1") -> int:
    """Return a port that was free on ``host`` a moment ago (bind to port 0, then release)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def check_installed() -> None:
    """Raise ``RuntimeError`` when the ``langgraph dev`` server packages are missing."""
    missing = [m for m in ("langgraph_cli", "langgraph_api") if importlib.util.find_spec(m) is None]
    if missing:
        raise RuntimeError(
            f"The local LangGraph server needs {', '.join(missing)}; "
            "install it with: pip install 'bbot-tui[demo]'"
        )


def _absolute_config(config_path: Path) -> dict[str, Any]:
    """Load ``langgraph.json`` and make every relative local path in it absolute."""
    base = config_path.parent
    data: dict[str, Any] = json.loads(config_path.read_text(encoding="utf-8"))

    def fix(path: str) -> str:
        return str((base / path).resolve()) if path.startswith(".") else path

    graphs: dict[str, Any] = {}
    for graph_id, spec in data.get("graphs", {}).items():
        if isinstance(spec, dict) and isinstance(spec.get("path"), str):
            spec = {**spec, "path": fix(spec["path"])}
        elif isinstance(spec, str):
            spec = fix(spec)
        graphs[graph_id] = spec
    data["graphs"] = graphs
    data["dependencies"] = [fix(d) for d in data.get("dependencies", [])]
    if isinstance(data.get("env"), str):
        data["env"] = fix(data["env"])
    return data


class LocalServer:
    """A ``langgraph dev`` child process serving the graphs of one ``langgraph.json``.

    Use as a context manager, or call ``start()`` and ``stop()``. ``url`` is set once the server
    answers ``GET /ok``. The child runs in its own process group; ``stop()`` signals only that
    group. Servers still running when the interpreter exits are stopped by an ``atexit`` hook.

    Args:
        config: Path to a ``langgraph.json``.
        startup_timeout: Seconds to wait for the server to become healthy.
        port: Port to ask for; a free one is chosen when ``None``.
        log_path: Where to write the server's stdout and stderr; a new temporary file when
            ``None``. The log is kept after ``stop()``.
        state_dir: Working folder for the server's persisted state (``.langgraph_api``); a fresh
            temporary folder, deleted by ``stop()``, when ``None``.
        env: Extra environment variables for the child.
        jobs: Runs the server may execute at once (``--n-jobs-per-worker``).
    """

    def __init__(
        self,
        config: str | os.PathLike[str],
        *,
        startup_timeout: float = DEFAULT_STARTUP_TIMEOUT,
        port: int | None = None,
        log_path: str | os.PathLike[str] | None = None,
        state_dir: str | os.PathLike[str] | None = None,
        env: dict[str, str] | None = None,
        jobs: int = DEFAULT_JOBS,
    ) -> None:
        self.config = Path(config).resolve()
        self.startup_timeout = startup_timeout
        self.requested_port = port
        self.log_path: Path = Path(log_path) if log_path is not None else self._temp_log()
        self.state_dir: Path | None = Path(state_dir) if state_dir is not None else None
        self.extra_env = dict(env or {})
        self.jobs = jobs
        self.url: str | None = None
        """Base URL, e.g. ``http://127.0.0.1:41234``; ``None`` until started."""
        self.process: subprocess.Popen[bytes] | None = None
        self.startup_seconds: float | None = None
        """How long ``start()`` took until ``/ok`` answered."""
        self._owned_workdir: Path | None = None
        self._tail: collections.deque[str] = collections.deque(maxlen=400)
        self._announced: str | None = None
        self._reader: threading.Thread | None = None
        self._lock = threading.Lock()

    @staticmethod
    def _temp_log() -> Path:
        fd, name = tempfile.mkstemp(prefix="bbot-tui-server-", suffix=".log")
        os.close(fd)
        return Path(name)

    @property
    def pid(self) -> int | None:
        """Process id of the server (also its process group id), or ``None``."""
        return self.process.pid if self.process is not None else None

    @property
    def running(self) -> bool:
        """Whether the child process is alive."""
        return self.process is not None and self.process.poll() is None

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        """The last ``lines`` log lines, ANSI codes removed."""
        return "\n".join(list(self._tail)[-lines:])

    def command(self, config_path: Path, port: int) -> list[str]:
        """The argv used to start the server (``langgraph dev …`` via ``_BOOTSTRAP``)."""
        return [
            sys.executable,
            "-c",
            _BOOTSTRAP,
            "dev",
            "--no-browser",
            "--no-reload",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--n-jobs-per-worker",
            str(self.jobs),
            "--config",
            str(config_path),
        ]

    def _child_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in _DROP_ENV}
        env.update(_SET_ENV)
        env["BBOT_TUI_PARENT_PID"] = str(os.getpid())
        env.update(self.extra_env)
        return env

    def _prepare_workdir(self) -> Path:
        if self.state_dir is not None:
            workdir = self.state_dir
            workdir.mkdir(parents=True, exist_ok=True)
        else:
            workdir = Path(tempfile.mkdtemp(prefix="bbot-tui-server-"))
            self._owned_workdir = workdir
        config_copy = workdir / "langgraph.json"
        config_copy.write_text(json.dumps(_absolute_config(self.config), indent=2), "utf-8")
        return workdir

    def start(self) -> LocalServer:
        """Start the server and wait until ``GET {url}/ok`` answers 200.

        Returns:
            ``self``, with ``url`` set.

        Raises:
            FileNotFoundError: The config file does not exist.
            ServerStartError: The process exited early or was not healthy in time (a
                ``RuntimeError``; the message ends with the last 40 log lines).
            RuntimeError: Already started, or the server packages are not installed.
        """
        if self.process is not None:
            raise RuntimeError("LocalServer already started")
        if not self.config.is_file():
            raise FileNotFoundError(f"LangGraph config not found: {self.config}")
        check_installed()
        began = time.monotonic()
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log_file = self.log_path.open("ab")
        try:
            workdir = self._prepare_workdir()
        except BaseException:
            log_file.close()
            raise
        port = self.requested_port or free_port()
        popen_kwargs: dict[str, Any] = {}
        if sys.platform == "win32":  # pragma: no cover - POSIX is what we run on
            popen_kwargs["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP
        else:
            popen_kwargs["start_new_session"] = True
        try:
            self.process = subprocess.Popen(
                self.command(workdir / "langgraph.json", port),
                cwd=workdir,
                env=self._child_env(),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                **popen_kwargs,
            )
        except BaseException:
            log_file.close()
            self._remove_workdir()
            raise
        with _running_lock:
            _running.add(self)
        assert self.process.stdout is not None
        self._reader = threading.Thread(
            target=self._read_output,
            args=(self.process.stdout, log_file),
            name=f"langgraph-dev-log-{self.process.pid}",
            daemon=True,
        )
        self._reader.start()
        try:
            self._wait_healthy(began + self.startup_timeout)
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - began
        return self

    def _read_output(self, stream: IO[bytes], log_file: IO[bytes]) -> None:
        with log_file, stream:
            for raw in iter(stream.readline, b""):
                log_file.write(raw)
                log_file.flush()
                line = strip_ansi(raw.decode("utf-8", "replace")).rstrip("\r\n")
                self._tail.append(line)
                if self._announced is None:
                    self._announced = find_api_url(line)

    def _wait_healthy(self, deadline: float) -> None:
        assert self.process is not None
        while True:
            if self.process.poll() is not None:
                if self._reader is not None:
                    self._reader.join(timeout=2)
                raise ServerStartError(
                    f"langgraph dev exited early with code {self.process.returncode}",
                    self.log_tail(),
                )
            url = self._announced
            if url is not None and _is_ok(url):
                self.url = url
                return
            if time.monotonic() >= deadline:
                raise ServerStartError(
                    f"langgraph dev was not healthy after {self.startup_timeout:.0f} s "
                    f"(announced URL: {url})",
                    self.log_tail(),
                )
            time.sleep(0.1)

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """Stop the server: SIGTERM to its process group, SIGKILL after ``timeout`` seconds.

        Idempotent; safe to call from ``atexit`` and after a failed start.
        """
        with self._lock:
            process = self.process
            if process is not None and process.returncode is None:
                self._terminate(process, timeout)
            if self._reader is not None:
                self._reader.join(timeout=5)
            with _running_lock:
                _running.discard(self)
            self._remove_workdir()

    @staticmethod
    def _terminate(process: subprocess.Popen[bytes], timeout: float) -> None:
        if sys.platform == "win32":  # pragma: no cover
            process.terminate()
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            return
        pgid = process.pid  # start_new_session=True: the child leads its own group
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, signal.SIGKILL)
            process.wait()
        # Anything else left in the group (there should be nothing) goes too.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)

    def _remove_workdir(self) -> None:
        if self._owned_workdir is not None:
            shutil.rmtree(self._owned_workdir, ignore_errors=True)
            self._owned_workdir = None

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"LocalServer(config={str(self.config)!r}, url={self.url!r}, pid={self.pid})"


_NO_PROXY_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
"""Health checks go straight to loopback, whatever ``http_proxy`` says."""


def _is_ok(url: str) -> bool:
    try:
        with _NO_PROXY_OPENER.open(f"{url}/ok", timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError, ValueError):
        return False


def stop_all() -> None:
    """Stop every ``LocalServer`` of this process that is still running (``atexit`` hook)."""
    with _running_lock:
        servers = list(_running)
    for server in servers:
        with contextlib.suppress(Exception):
            server.stop()


atexit.register(stop_all)


def start_demo_server(
    *,
    startup_timeout: float = DEFAULT_STARTUP_TIMEOUT,
    log_path: str | os.PathLike[str] | None = None,
    state_dir: str | os.PathLike[str] | None = None,
) -> LocalServer:
    """Start the bundled demo server (``bbot_tui/demo/langgraph.json``) and return it.

    Args:
        startup_timeout: Seconds to wait for the server to become healthy.
        log_path: Server log file; a temporary file when ``None``.
        state_dir: Keep the demo's threads in this folder across restarts; ephemeral if ``None``.

    Returns:
        A started ``LocalServer``; the caller must ``stop()`` it (an ``atexit`` hook is the
        backstop).
    """
    server = LocalServer(
        DEMO_CONFIG, startup_timeout=startup_timeout, log_path=log_path, state_dir=state_dir
    )
    return server.start()
