"""Filesystem locations used by bbot-tui.

All locations come from platformdirs for the app name ``bbot-tui``. Setting the environment
variable ``BBOT_TUI_HOME`` relocates everything under one folder (``config/``, ``state/`` and
``log/`` subfolders); tests use it to isolate the user's real configuration.

Directories are created on first use with mode ``0o700``. An existing directory with a looser
mode is tightened to ``0o700`` because it holds the settings file with the API key (see
docs/PROTOCOL.md, "Secrets and settings on disk"). The location functions never create files.

Two file-safety helpers shared by every writer of a private file (settings, active runs):
:func:`atomic_write` (temp file, fsync, ``os.replace``, directory fsync)
and :func:`move_aside` (keep a corrupt file under a new name, never overwriting one).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import stat
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import platformdirs

APP_NAME = "bbot-tui"
"""The platformdirs application name."""

HOME_ENV = "BBOT_TUI_HOME"
"""Environment variable that overrides every location (config, state and log)."""

DIR_MODE = 0o700
"""Mode for every directory this module creates or tightens."""


def _home_override() -> Path | None:
    raw = os.environ.get(HOME_ENV, "").strip()
    if not raw:
        return None
    return Path(raw).expanduser()


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) if needed and make sure its mode is ``0o700``.

    Parents that have to be created get ``0o700`` too; existing parents are left alone.
    On platforms without POSIX modes (Windows) the chmod is skipped.

    Args:
        path: The directory to create or tighten.

    Returns:
        The same path, for chaining.

    Raises:
        OSError: If the directory cannot be created or is not a directory.
    """
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    if os.name == "posix":
        current = stat.S_IMODE(path.stat().st_mode)
        if current != DIR_MODE:
            os.chmod(path, DIR_MODE)
    return path


def config_dir() -> Path:
    """Return the configuration directory, created with mode ``0o700``.

    Returns:
        ``$BBOT_TUI_HOME/config`` if the override is set, else the platformdirs user config
        directory for ``bbot-tui`` (``~/.config/bbot-tui`` on Linux).
    """
    home = _home_override()
    base = home / "config" if home else platformdirs.user_config_path(APP_NAME, appauthor=False)
    return ensure_private_dir(base)


def state_dir() -> Path:
    """Return the state directory (active runs and similar), created with mode ``0o700``.

    Returns:
        ``$BBOT_TUI_HOME/state`` if the override is set, else the platformdirs user state
        directory for ``bbot-tui``.
    """
    home = _home_override()
    base = home / "state" if home else platformdirs.user_state_path(APP_NAME, appauthor=False)
    return ensure_private_dir(base)


def log_dir() -> Path:
    """Return the log directory, created with mode ``0o700``.

    Returns:
        ``$BBOT_TUI_HOME/log`` if the override is set, else the platformdirs user log
        directory for ``bbot-tui``.
    """
    home = _home_override()
    base = home / "log" if home else platformdirs.user_log_path(APP_NAME, appauthor=False)
    return ensure_private_dir(base)


def settings_path() -> Path:
    """Return the path of the settings file (``config_dir()/settings.json``).

    The containing directory is created; the file itself is not.

    Returns:
        The settings file path.
    """
    return config_dir() / "settings.json"


def run_state_path() -> Path:
    """Return the path of the active-runs file (``state_dir()/active-runs.json``).

    The containing directory is created; the file itself is not.

    Returns:
        The active-runs file path.
    """
    return state_dir() / "active-runs.json"


def _fsync_dir(directory: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _replace(source: str, target: Path) -> None:
    for attempt in range(5):
        try:
            os.replace(source, target)
            return
        except PermissionError:  # Windows: the target is open in another process
            if os.name == "posix" or attempt == 4:
                raise
            time.sleep(0.05 * (attempt + 1))


def atomic_write(path: Path, data: bytes, *, mode: int = 0o600) -> None:
    """Replace ``path`` with ``data`` so that readers see the old or the new file, never a mix.

    Recipe: ``mkstemp`` in the same directory, write, flush, fsync,
    chmod, ``os.replace`` (retried briefly on Windows), fsync the directory. The temp file is
    removed on any failure. The parent directory is created or tightened to ``0o700``.

    Args:
        path: The file to replace.
        data: The complete new contents.
        mode: The file's permission bits.

    Raises:
        OSError: If any step fails; ``path`` is then unchanged.
    """
    ensure_private_dir(path.parent)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        _replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)


def move_aside(path: Path, tag: str) -> Path:
    """Rename ``path`` to ``<name>.<tag>-<UTC timestamp>`` without overwriting anything.

    A hard link claims the new name first (it fails if the name exists, even in a race);
    where hard links are unsupported, or for a directory, a checked rename is used. A ``-N``
    counter is added when the timestamped name is taken.

    Args:
        path: The file (or directory) to move.
        tag: A word for the reason, e.g. ``"corrupt"``.

    Returns:
        The new path.

    Raises:
        OSError: If the file cannot be moved.
    """
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    for n in itertools.count():
        if n > 1000:
            raise OSError(f"too many backups of {path.name}")
        suffix = f".{tag}-{stamp}" if n == 0 else f".{tag}-{stamp}-{n}"
        target = path.with_name(path.name + suffix)
        try:
            os.link(path, target)
        except FileExistsError:
            continue
        except OSError:
            if os.path.lexists(target):
                continue
            os.rename(path, target)
            return target
        os.unlink(path)
        return target
    raise AssertionError("unreachable")  # pragma: no cover
