"""Textual messages that cross screens.

The app owns the settings and the profile's client; the main screen owns assistants, threads and
runs. The app tells the main screen what changed with these messages (posted to the screen), and
the screens ask the app for app-level things with ``…Requested`` messages (they bubble from a
screen to the app).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from textual.message import Message

__all__ = [
    "AttentionNeeded",
    "ConnectionRequested",
    "NotConnected",
    "ProfileActivated",
    "SettingsLoaded",
    "WaitingCount",
]


@dataclass
class SettingsLoaded(Message):
    """The settings are loaded (at startup): apply the layout toggles and the input history.

    Attributes:
        warnings: problems found while loading (already sanitized, one line each).
        backup_path: where a corrupt settings file was moved, if it was.
    """

    warnings: list[str] = field(default_factory=list)
    backup_path: Path | None = None


@dataclass
class ProfileActivated(Message):
    """A profile became active and its client is ready: reload assistants and threads.

    Everything shown of the previous profile's server is cleared first.

    Attributes:
        name: the profile's name.
        announce: say "connected" once the server answered (the user switched profiles).
    """

    name: str
    announce: bool = False


@dataclass
class NotConnected(Message):
    """The connection screen closed and no profile is set up: say how to connect."""


@dataclass
class ConnectionRequested(Message):
    """A screen wants the connection screen (to edit the active profile or add one)."""

    new_profile: bool = False


@dataclass
class AttentionNeeded(Message):
    """Something happened that a person may want to know about (posted to the app).

    The app's alerter decides whether and how to tell (bell, a desktop notification written
    to the terminal, a toast), from the settings and whether the app has focus on that
    very thread.

    Attributes:
        kind: ``"interrupt"`` (a run waits for a human) or ``"run_ended"`` (a long run ended).
        thread_id: the thread concerned.
        title: a short line naming it (the thread's title or assistant), plain text.
        detail: what is asked or how the run ended, plain text.
        duration: the run's length in seconds (for ``"run_ended"``).
    """

    kind: str
    thread_id: str
    title: str = ""
    detail: str = ""
    duration: float | None = None


@dataclass
class WaitingCount(Message):
    """How many threads wait for a human now (the inbox's count; posted to the app)."""

    count: int
