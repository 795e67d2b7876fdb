"""The connection form's network settings: the environment's proxy, and where the key lives.

The keyring is the suite's ``null`` backend (no keyring, as on a headless Linux) unless a test
sets an in-memory one; the user's real keyring is never touched.
"""

from __future__ import annotations

from pathlib import Path

import keyring
from app_pilot import ready, settings_for, wait_for
from keyring.backend import KeyringBackend
from textual.widgets import Checkbox, Input, Static

from bbot_tui.config.settings import load_settings, save_settings
from bbot_tui.tui.app import make_app
from bbot_tui.tui.screens.connection import ConnectionScreen

KEY = "bbot_FORMKEYCANARY123456"


class _MemoryKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def delete_password(self, service: str, username: str) -> None:
        self.items.pop((service, username), None)


async def _open_form(pilot, app) -> ConnectionScreen:  # type: ignore[no-untyped-def]
    await ready(pilot)
    await pilot.press("f3")
    await wait_for(pilot, lambda: isinstance(app.screen, ConnectionScreen), "the form")
    await pilot.pause()
    return app.screen  # type: ignore[no-any-return]


async def test_the_environment_proxy_can_be_turned_off_and_is_saved(
    server_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "settings.json"
    save_settings(settings_for(server_url), path)
    app = make_app(None, settings_path=path)
    async with app.run_test(size=(140, 42)) as pilot:
        form = await _open_form(pilot, app)
        box = form.query_one("#use-env-proxy", Checkbox)
        assert box.value is True  # on by default, as curl and pip
        assert "HTTPS_PROXY" in str(box.label)
        box.value = False
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: not isinstance(app.screen, ConnectionScreen), "saved")
        await wait_for(
            pilot,
            lambda: load_settings(path).settings.profiles["local"].use_environment_proxy is False,
            "the setting on disk",
        )


async def test_the_form_says_the_key_is_in_settings_json_without_a_keyring(
    server_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "settings.json"
    save_settings(settings_for(server_url), path)
    app = make_app(None, settings_path=path)
    async with app.run_test(size=(140, 42)) as pilot:
        form = await _open_form(pilot, app)
        note = form.query_one("#key-store", Static)
        await wait_for(pilot, lambda: "settings.json" in str(note.render()), "the key note")
        assert str(note.render()) == "A key is kept in settings.json (no system keyring here)."


async def test_a_key_saved_from_the_form_goes_to_the_keyring(
    server_url: str, tmp_path: Path
) -> None:
    memory = _MemoryKeyring()
    keyring.set_keyring(memory)
    path = tmp_path / "settings.json"
    save_settings(settings_for(server_url), path)
    app = make_app(None, settings_path=path)
    async with app.run_test(size=(140, 42)) as pilot:
        form = await _open_form(pilot, app)
        note = form.query_one("#key-store", Static)
        await wait_for(pilot, lambda: "keyring" in str(note.render()), "the key note")
        assert str(note.render()) == "A key is kept in the system keyring."
        form.query_one("#api_key", Input).value = KEY
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: not isinstance(app.screen, ConnectionScreen), "saved")
        await wait_for(pilot, lambda: KEY in memory.items.values(), "the key in the keyring")
        await wait_for(pilot, lambda: KEY not in path.read_text(), "no key in the file")
        form = await _open_form(pilot, app)
        note = form.query_one("#key-store", Static)
        await wait_for(pilot, lambda: "saved key" in str(note.render()), "the key note")
        assert str(note.render()) == "The saved key is kept in the system keyring."
