"""What the main screen and its collaborators use of the app, as a protocol.

The app (:class:`bbot_tui.tui.app.BbotApp`) owns the settings and the active profile's client
and builds the main screen, so the screens must not import it: that would be a cycle. They
describe the part they use instead, and the app matches it structurally. Tests can hand the
collaborators any object with these members.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from bbot_tui.api.client import AgentClient
    from bbot_tui.config.settings import Profile, Settings
    from bbot_tui.tui.inbox_watch import InboxWatch

__all__ = ["AppServices"]


class AppServices(Protocol):
    """The settings, the active profile and its client, and saving the settings."""

    @property
    def settings(self) -> Settings | None:
        """The settings (None until they are loaded at startup)."""
        ...

    @property
    def persist(self) -> bool:
        """Whether changes are saved (False for throwaway runs)."""
        ...

    @property
    def profile(self) -> Profile | None:
        """The active profile."""
        ...

    @property
    def client(self) -> AgentClient:
        """The active profile's client (raises ConfigError when there is none)."""
        ...

    @property
    def inbox_watch(self) -> InboxWatch:
        """The active profile's threads waiting for a human (the inbox screen shows them)."""
        ...

    def save_settings(self) -> None:
        """Save the settings in the background."""
        ...
