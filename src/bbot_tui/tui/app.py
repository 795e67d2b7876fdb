"""The Textual app: settings, the active profile's client, the theme, and the screens.

:func:`make_app` builds the app for the CLI and the tests; :func:`run_tui` runs it (``bbot-tui``
and ``bbot-tui tui``). Startup is kept fast: this module imports no pydantic or httpx code, only
the first screen's stylesheets are read at start, and the garbage collector waits
(:mod:`.startup`). The first frame (the main screen with a focused composer) is drawn first; the
settings are loaded, the command-line and environment overrides applied and the client created
right after, in a worker. One :class:`~bbot_tui.api.client.AgentClient` lives per profile; it is
closed when the profile changes and when the app exits.

Security: log redaction is installed at startup, every untrusted string is sanitized before it is
drawn or notified, and the crash screen prints no local variables (the key also only ever lives
in a ``SecretStr``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from bbot_tui.text import one_line
from bbot_tui.tui.alerts import Alerter
from bbot_tui.tui.clipboard import SystemClipboard
from bbot_tui.tui.inbox_watch import InboxWatch
from bbot_tui.tui.messages import (
    AttentionNeeded,
    ConnectionRequested,
    NotConnected,
    ProfileActivated,
    SettingsLoaded,
    WaitingCount,
)
from bbot_tui.tui.resources import stylesheet
from bbot_tui.tui.screens.main import MainScreen
from bbot_tui.tui.startup import pause_collector, resume_collector
from bbot_tui.tui.themes import PRESENTER_THEME

if TYPE_CHECKING:
    from bbot_tui.api.client import AgentClient
    from bbot_tui.config.settings import Profile, Settings
    from bbot_tui.tui.widgets.status_bar import StatusBar
__all__ = ["DEMO_PROFILE", "BbotApp", "ClientFactory", "make_app", "run_tui"]

ClientFactory = Callable[["Profile"], "AgentClient"]
"""Builds the client of a profile (tests pass one with a custom transport)."""

DEMO_PROFILE = "(demo)"
"""The one-launch profile of ``bbot-tui demo`` (never saved)."""

_SHEETS = (
    "app.tcss",
    "main.tcss",
    "message_view.tcss",
    "interrupt_card.tcss",
    "presenter.tcss",
)
"""The sheets read at start: app-wide, then the first screen's and its widgets' (those present).

The main screen (or presenter mode's screen) is the app's default screen, whose own ``CSS_PATH``
Textual does not load, so its sheets are the app's. Every other screen names its own sheet in
``CSS_PATH`` (run options, history, connection): read when it first opens, so that the first
frame neither parses nor matches rules that no widget on it uses."""

NOTICE_TIMEOUT = 30.0
"""Seconds a settings warning stays on screen (it also stays in the status bar)."""


def default_client(profile: Profile) -> AgentClient:
    """The client of a profile, built the one way the CLI builds its own.

    Args:
        profile: The profile (the one-launch profile already carries the overrides).

    Returns:
        A new client (the caller closes it).

    Raises:
        ConfigError: a bad URL or key, or a key over plain http to a remote host.
    """
    from bbot_tui.session.connect import Connection

    return Connection.from_profile(profile).client()


class BbotApp(App[int]):
    """bbot-tui: a terminal chat client for B-Bot and any LangGraph Agent Server."""

    TITLE = "bbot-tui"
    CSS_PATH = [
        path
        for path in map(stylesheet, _SHEETS)
        if path.name in ("app.tcss", "main.tcss") or path.exists()
    ]
    BINDINGS = [
        Binding("f3", "connection", "Connection", tooltip="Server profiles and API key"),
    ]

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        client_factory: ClientFactory | None = None,
        warnings: Iterable[str] = (),
        backup_path: Path | None = None,
        settings_path: Path | None = None,
        url: str | None = None,
        api_key: str | None = None,
        profile: str | None = None,
        ephemeral_profiles: Iterable[str] = (),
        read_env: bool = False,
        persist: bool = True,
        launch_profile: Profile | None = None,
        default_screen: Callable[[], Screen[Any]] | None = None,
        profiles_only: bool = False,
    ) -> None:
        super().__init__()
        self.register_theme(PRESENTER_THEME)
        self._default_screen = default_screen
        self.settings: Settings | None = settings
        """The settings (None until loaded at startup)."""
        self.client_factory: ClientFactory = client_factory or default_client
        self.settings_path = settings_path
        self.persist = persist and not profiles_only
        """Whether every change is saved (the demo saves only the user's own profiles)."""
        self._profiles_only = persist and profiles_only
        self._saved: Settings | None = settings.model_copy(deep=True) if settings else None
        """What the file holds (as loaded, then as last written): the base of a profiles-only
        save, and what it is compared with (nothing is written when the profiles are unchanged)."""
        self._warnings = list(warnings)
        self._backup_path = backup_path
        self._overrides = (url, api_key, profile, read_env)
        self._ephemeral = set(ephemeral_profiles) | {DEMO_PROFILE}
        self._launch_profile = launch_profile
        if launch_profile is not None:
            self._ephemeral.add(launch_profile.name)
        self._disk_active: str | None = settings.active_profile if settings else None
        self._client: AgentClient | None = None
        self._client_profile: str | None = None
        self.ready = asyncio.Event()
        """Set once the settings are loaded and the first profile (if any) is active."""
        self.system_clipboard = SystemClipboard()
        """Where a copy goes besides OSC 52 (``pbcopy``, ``wl-copy``, ``xclip``…, if any)."""
        self.inbox_watch = InboxWatch(self)
        """The active profile's threads waiting for a human, polled in the background (the
        inbox screen shows them; the watcher posts ``WaitingCount`` and ``AttentionNeeded``)."""
        self.alerts = Alerter(self)
        """The bell, desktop notifications, toasts and the inbox badge (:mod:`.alerts`)."""

    def copy_to_clipboard(self, text: str) -> None:
        """Copy to the terminal's clipboard (OSC 52) and to the system clipboard, if any.

        The system tool runs in the background (:mod:`bbot_tui.tui.clipboard`): it never
        blocks the event loop, and a missing or hung tool leaves OSC 52 alone.
        """
        super().copy_to_clipboard(text)
        self.system_clipboard.copy(text)

    # --- screens -------------------------------------------------------------------------

    def get_default_screen(self) -> Screen[Any]:
        """The main screen is the app's base screen (presenter mode gives its own)."""
        if self._default_screen is not None:
            return self._default_screen()
        return MainScreen(id="main")

    @property
    def main_screen(self) -> MainScreen:
        """The main screen (at the bottom of the stack)."""
        return self.screen_stack[0]  # type: ignore[return-value]

    def on_mount(self) -> None:
        """Load the settings right after the first frame; the garbage collector runs again then."""
        # after the refresh: the worker's imports (pydantic, httpx) would delay the first frame
        self.call_after_refresh(self._startup)
        self.call_after_refresh(resume_collector)

    # --- settings ----------------------------------------------------------------------------

    @work(exclusive=True, group="startup", exit_on_error=False)
    async def _startup(self) -> None:
        from bbot_tui.config.security import install_log_redaction

        install_log_redaction()
        if self.settings is None:
            from bbot_tui.config.settings import load_settings

            result = await asyncio.to_thread(load_settings, self.settings_path)
            self.settings = result.settings
            self._warnings += result.warnings
            self._backup_path = self._backup_path or result.backup_path
            self._disk_active = self.settings.active_profile
            self._saved = self.settings.model_copy(deep=True)
        self._add_launch_profile()
        self._apply_overrides()
        settings = self.settings
        if settings.theme in self.available_themes and settings.theme != self.theme:
            self.theme = settings.theme
        self.main_screen.post_message(SettingsLoaded(list(self._warnings), self._backup_path))
        for warning in self._warnings:
            self.notify(
                one_line(warning, 400),
                title="Settings",
                severity="warning",
                timeout=NOTICE_TIMEOUT,
                markup=False,
            )
        if settings.active() is None:
            self.action_connection(first_start=True)
        else:
            await self.activate_profile(settings.active_profile)
        self.ready.set()

    def _add_launch_profile(self) -> None:
        """Make the one-launch profile (the demo's) active; it is never written to disk."""
        assert self.settings is not None
        profile = self._launch_profile
        if profile is not None:
            self.settings.profiles = {**self.settings.profiles, profile.name: profile}
            self.settings.active_profile = profile.name

    def _apply_overrides(self) -> None:
        """Resolve ``--profile``, ``--url``/``--api-key`` and the environment like the CLI.

        :func:`~bbot_tui.session.connect.resolve_connection` decides, per field, flag over
        environment over profile, and keeps a profile's key to its own origin; an overridden
        connection becomes a one-launch profile (never saved).
        """
        from bbot_tui.config.settings import with_launch_profile
        from bbot_tui.session.connect import (
            ConnectError,
            Overrides,
            env_overrides,
            resolve_connection,
        )

        assert self.settings is not None
        url, api_key, profile, read_env = self._overrides
        if profile is not None and profile not in self.settings.profiles:
            self._warnings.append(f"There is no profile named {one_line(profile, 40)!r}.")
            profile = None
        if profile is not None:
            self.settings.active_profile = profile
        flags = Overrides(url, api_key)
        env = env_overrides() if read_env else Overrides()
        if not (flags.given or env.given):
            return
        try:
            conn = resolve_connection(self.settings, flags=flags, env=env, profile=profile)
        except ConnectError as exc:
            source = "environment" if exc.source == "environment" else "command line"
            self._warnings.append(f"The {source} server override was ignored: {exc}")
            return
        self._warnings += conn.notices
        if conn.overridden:
            self.settings = with_launch_profile(self.settings, conn.launch_profile())

    def settings_for_disk(self) -> Settings:
        """The settings to write: one-launch profiles removed, the saved active profile kept.

        In the demo (``profiles_only``) only the profiles and the active profile come from this
        launch; everything else (theme, history, layout, run options) stays as the file had it.
        """
        assert self.settings is not None
        base = self._saved if self._profiles_only and self._saved is not None else self.settings
        settings = base.model_copy(deep=True)
        settings.profiles = {
            name: p.model_copy(deep=True)
            for name, p in self.settings.profiles.items()
            if name not in self._ephemeral
        }
        active = self._disk_active if self._disk_active in settings.profiles else None
        settings.active_profile = active
        return settings

    def _to_write(self) -> Settings | None:
        """The settings to write now, or None when nothing is to be saved."""
        if self.settings is None or not (self.persist or self._profiles_only):
            return None
        settings = self.settings_for_disk()
        if self._profiles_only:
            saved = self._saved
            if saved is not None and (settings.profiles, settings.active_profile) == (
                saved.profiles,
                saved.active_profile,
            ):
                return None  # the demo changed none of the user's profiles
        self._saved = settings.model_copy(deep=True)
        return settings

    def save_settings(self) -> None:
        """Save the settings in the background (atomic, off the event loop)."""
        settings = self._to_write()
        if settings is not None:
            self._save_worker(settings)

    @work(group="settings", exit_on_error=False)
    async def _save_worker(self, settings: Settings) -> None:
        from bbot_tui.config.settings import asave_settings

        await asave_settings(settings, self.settings_path)

    def watch_theme(self, theme: str) -> None:
        """Remember the theme."""
        if self.settings is not None and self.settings.theme != theme:
            self.settings.theme = theme
            self.save_settings()

    # --- profiles and the client -------------------------------------------------------

    @property
    def profile(self) -> Profile | None:
        """The active profile."""
        return self.settings.active() if self.settings is not None else None

    @property
    def client(self) -> AgentClient:
        """The active profile's client (created on first use).

        Raises:
            ConfigError: there is no active profile, or it cannot make a client.
        """
        profile = self.profile
        if profile is None:
            from bbot_tui.api.errors import ConfigError

            raise ConfigError("no server profile is set up", hint="press F3 to add one")
        if self._client is None or self._client_profile != profile.name:
            if self._client is not None:
                self._close_client(self._client)
            self._client = self.client_factory(profile)
            self._client_profile = profile.name
        return self._client

    def _close_client(self, client: AgentClient) -> None:
        self.run_worker(client.aclose(), group="close-client", exit_on_error=False)

    async def activate_profile(
        self, name: str | None, *, remember: bool = False, announce: bool = False
    ) -> None:
        """Make a profile active: close the old client and tell the main screen.

        Args:
            name: The profile's name.
            remember: Also make it the saved default profile.
            announce: Have the main screen say "connected" once the server answers.
        """
        assert self.settings is not None
        if name is None or name not in self.settings.profiles:
            return
        if self._client is not None and self._client_profile != name:
            client, self._client, self._client_profile = self._client, None, None
            await client.aclose()
        self.settings.active_profile = name
        if remember and name not in self._ephemeral:
            self._disk_active = name
            self.save_settings()
        self.main_screen.post_message(ProfileActivated(name, announce=announce))
        self._watch_inbox()

    def _watch_inbox(self) -> None:
        """Watch the active profile's inbox from scratch (stopped when it has no client)."""
        from bbot_tui.api.errors import ApiError

        try:
            client = self.client
        except ApiError:  # the main screen says what is wrong with the profile
            self.inbox_watch.stop()
            return
        self.inbox_watch.start(client)

    def action_connection(self, first_start: bool = False) -> None:
        """Open the connection screen (profiles, URL, key, test connection)."""
        from bbot_tui.tui.screens.connection import ConnectionScreen

        if self.settings is None or isinstance(self.screen, ConnectionScreen):
            return
        self.push_screen(
            ConnectionScreen(self.settings, first_start=first_start), self._connection_done
        )

    @on(ConnectionRequested)
    def _connection_requested(self, message: ConnectionRequested) -> None:
        self.action_connection()

    # --- alerts ------------------------------------------------------------------------------

    def on_attention_needed(self, message: AttentionNeeded) -> None:
        """An interrupt appeared or a run ended: the alerter rings, notifies or toasts."""
        self.alerts.attention(message)

    def on_waiting_count(self, message: WaitingCount) -> None:
        """The number of threads waiting for a human: the status bar's badge."""
        self.alerts.waiting_count(message.count)

    async def on_status_bar_inbox_requested(self, message: StatusBar.InboxRequested) -> None:
        """The badge was clicked: open the inbox (when there is one)."""
        await self.alerts.open_inbox()

    async def _connection_done(self, profile: Profile | None) -> None:
        if profile is None and self.settings is not None and self.profile is None:
            # the welcome dismissed: the main screen says how to connect, or see the demo
            self.main_screen.post_message(NotConnected())
        if profile is None or self.settings is None:
            return
        profiles = dict(self.settings.profiles)
        profiles[profile.name] = profile
        self.settings.profiles = profiles
        if self._client_profile == profile.name and self._client is not None:
            client, self._client, self._client_profile = self._client, None, None
            await client.aclose()
        # "connected" is said by the main screen once the server answered, not here
        await self.activate_profile(profile.name, remember=True, announce=True)

    async def on_unmount(self) -> None:
        """Stop the inbox watcher, close the client and write the settings one last time."""
        self.inbox_watch.stop()
        if self._client is not None:
            client, self._client = self._client, None
            await client.aclose()
        settings = self._to_write()
        if settings is not None:
            from bbot_tui.config.settings import asave_settings

            try:
                await asave_settings(settings, self.settings_path)
            except (OSError, ValueError) as exc:
                self.log.error("settings not saved", one_line(str(exc), 200))

    # --- the command palette and crashes ----------------------------------------------

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """Textual's commands, then every action of bbot-tui (see :mod:`.screens.palette`).

        Over the main screen: its actions and those of its panes, view and card; over a dialog
        (run options, connection, history…): that dialog's own bindings.
        """
        from bbot_tui.tui.screens.palette import main_commands, screen_binding_commands

        yield from super().get_system_commands(screen)
        yield SystemCommand(
            "Connection…",
            "Server profiles: URL, API key, test connection (F3)",
            self.action_connection,
        )
        if isinstance(screen, MainScreen):
            yield from main_commands(screen)
        else:
            yield from screen_binding_commands(screen)
        yield from self.alerts.commands()

    def _fatal_error(self) -> None:
        """Show a crash without local variables (they could hold request headers).

        Textual's own handler renders ``Traceback(show_locals=True)`` and has no public switch,
        so this hook is replaced; it only uses the public :meth:`App.panic`.
        """
        from rich.traceback import Traceback

        self.bell()
        self.panic(Traceback(show_locals=False, width=None))


def make_app(
    settings: Settings | None,
    *,
    client_factory: ClientFactory | None = None,
    warnings: Iterable[str] = (),
    backup_path: Path | None = None,
    settings_path: Path | None = None,
    url: str | None = None,
    api_key: str | None = None,
    profile: str | None = None,
    ephemeral_profiles: Iterable[str] = (),
    read_env: bool = False,
    persist: bool = True,
    launch_profile: Profile | None = None,
    default_screen: Callable[[], Screen[Any]] | None = None,
    profiles_only: bool = False,
) -> BbotApp:
    """Build the app (the CLI and the tests use this).

    Args:
        settings: Settings to use; None loads them from disk at startup (after the first frame).
        client_factory: Builds a profile's client (default: :func:`default_client`).
        warnings: Settings warnings to show (when ``settings`` were loaded by the caller).
        backup_path: Where a corrupt settings file was moved (shown with the warnings).
        settings_path: The settings file (default: :func:`bbot_tui.config.paths.settings_path`).
        url: A one-launch server URL override (not saved).
        api_key: A one-launch API key override (not saved).
        profile: The saved profile to use.
        ephemeral_profiles: Profile names never written to disk (e.g. the demo's).
        read_env: Read ``BBOT_URL``/``BBOT_API_KEY`` when no override is given.
        persist: Save settings changes (False for throwaway runs).
        launch_profile: A profile made active for this launch only, never saved (the demo's).
        profiles_only: Save only the profiles the user adds or edits, and which one is active
            (the demo: its own profile, theme and history are never written).
        default_screen: Builds the base screen instead of the main screen (presenter mode's;
            it receives the messages the app posts to the main screen).

    Returns:
        The app, not yet running.
    """
    return BbotApp(
        settings,
        client_factory=client_factory,
        warnings=warnings,
        backup_path=backup_path,
        settings_path=settings_path,
        url=url,
        api_key=api_key,
        profile=profile,
        ephemeral_profiles=ephemeral_profiles,
        read_env=read_env,
        persist=persist,
        launch_profile=launch_profile,
        default_screen=default_screen,
        profiles_only=profiles_only,
    )


def run_tui(url: str | None = None, api_key: str | None = None, profile: str | None = None) -> int:
    """Run the TUI until the user quits.

    ``url``/``api_key`` (or ``BBOT_URL``/``BBOT_API_KEY`` when they are None) override the
    active profile for this launch only; they are never saved.

    Args:
        url: Server URL override.
        api_key: API key override.
        profile: A saved profile to use.

    Returns:
        The process exit code.
    """
    pause_collector()  # until the first frame (the launcher has paused it already)
    app = make_app(None, url=url, api_key=api_key, profile=profile, read_env=True)
    try:
        app.run()
    finally:
        resume_collector()
    return app.return_code or 0
