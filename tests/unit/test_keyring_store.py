"""The key in the system keyring when there is one, the 0600 file when not (``gh``'s way).

The keyring here is an in-memory backend set with ``keyring.set_keyring``; the suite's autouse
fixture restores the ``null`` backend after each test, so the user's real keyring is never
touched. ``BBOT_TUI_HOME`` is isolated per test as everywhere.
"""

from __future__ import annotations

import json
import socket
import stat

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import null
from keyring.errors import PasswordDeleteError, PasswordSetError

from bbot_tui.cli.main import main
from bbot_tui.config import secrets
from bbot_tui.config.paths import settings_path
from bbot_tui.config.settings import Profile, Settings, load_settings, save_settings

KEY = "bbot_KEYRINGCANARY12345"


class MemoryKeyring(KeyringBackend):
    """A keyring in a dict that counts its writes and can refuse them."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}
        self.writes = 0
        self.refuse = False

    def set_password(self, service: str, username: str, password: str) -> None:
        if self.refuse:
            raise PasswordSetError("the keyring is locked")
        self.writes += 1
        self.items[(service, username)] = password

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def delete_password(self, service: str, username: str) -> None:
        if (service, username) not in self.items:
            raise PasswordDeleteError("not there")
        del self.items[(service, username)]


@pytest.fixture
def memory() -> MemoryKeyring:
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    return backend


def _settings(key: str | None = KEY, name: str = "work") -> Settings:
    profile = Profile(name=name, base_url="https://api.example.com/v2", api_key=key)
    return Settings(profiles={name: profile}, active_profile=name)


def _file() -> dict:  # type: ignore[type-arg]
    return json.loads(settings_path().read_text())  # type: ignore[no-any-return]


def test_a_saved_key_goes_to_the_keyring_and_comes_back(memory: MemoryKeyring) -> None:
    save_settings(_settings())
    on_disk = _file()["profiles"]["work"]
    assert on_disk["api_key"] is None and on_disk["key_store"] == "keyring"
    assert KEY not in settings_path().read_text()
    assert memory.items == {(secrets.SERVICE, "work"): KEY}
    loaded = load_settings()
    assert loaded.warnings == []
    profile = loaded.settings.profiles["work"]
    assert profile.api_key is not None and profile.api_key.get_secret_value() == KEY
    assert profile.key_store == "keyring"
    assert secrets.describe_store(profile.key_store, has_key=True) == "in the system keyring"
    assert stat.S_IMODE(settings_path().stat().st_mode) == 0o600


def test_without_a_keyring_the_file_keeps_the_key_quietly() -> None:
    assert not secrets.keyring_available()  # the suite's null backend: a headless Linux
    save_settings(_settings())
    on_disk = _file()["profiles"]["work"]
    assert on_disk["api_key"] == KEY and on_disk["key_store"] is None
    loaded = load_settings()
    assert loaded.warnings == []  # no noise
    profile = loaded.settings.profiles["work"]
    assert profile.api_key is not None and profile.api_key.get_secret_value() == KEY
    assert (
        secrets.describe_store(profile.key_store, has_key=True)
        == "in settings.json (no system keyring here)"
    )


def test_a_keyring_that_refuses_leaves_the_key_in_the_file(memory: MemoryKeyring) -> None:
    memory.refuse = True
    save_settings(_settings())
    on_disk = _file()["profiles"]["work"]
    assert on_disk["api_key"] == KEY and on_disk["key_store"] is None
    assert memory.items == {}
    assert secrets.describe_store("file", has_key=True) == "in settings.json"


def test_saving_again_writes_the_keyring_only_when_the_key_changed(
    memory: MemoryKeyring,
) -> None:
    settings = _settings()
    save_settings(settings)
    settings.input_history = ["a", "b"]
    save_settings(settings)
    assert memory.writes == 1
    settings.profiles["work"].api_key = "bbot_OTHERKEY987654321"  # type: ignore[assignment]
    save_settings(settings)
    assert memory.writes == 2
    assert memory.items[(secrets.SERVICE, "work")] == "bbot_OTHERKEY987654321"


def test_a_removed_key_or_profile_leaves_the_keyring(memory: MemoryKeyring) -> None:
    save_settings(_settings())
    save_settings(_settings(key=None))
    assert memory.items == {}
    assert _file()["profiles"]["work"]["key_store"] is None
    save_settings(_settings(name="gone"))
    assert (secrets.SERVICE, "gone") in memory.items
    save_settings(Settings())
    assert memory.items == {}


def test_a_keyring_key_that_cannot_be_read_is_said_and_not_lost(memory: MemoryKeyring) -> None:
    save_settings(_settings())
    keyring.set_keyring(null.Keyring())  # e.g. the same home over ssh
    loaded = load_settings()
    (warning,) = loaded.warnings
    assert "kept in the system keyring, which is not available here" in warning
    assert "enter the key again" in warning
    profile = loaded.settings.profiles["work"]
    assert profile.api_key is None and profile.key_store == "keyring"
    save_settings(loaded.settings)  # e.g. the input history changed
    assert _file()["profiles"]["work"]["key_store"] == "keyring"  # the mark stays
    keyring.set_keyring(memory)
    assert memory.items == {(secrets.SERVICE, "work"): KEY}  # and the key
    again = load_settings().settings.profiles["work"]
    assert again.api_key is not None and again.api_key.get_secret_value() == KEY


def _closed_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def test_doctor_says_where_the_key_lives(
    capsys: pytest.CaptureFixture[str], memory: MemoryKeyring
) -> None:
    profile = Profile(name="work", base_url=_closed_url(), api_key=KEY)
    save_settings(Settings(profiles={"work": profile}, active_profile="work"))
    assert main(["doctor"]) == 1
    err = capsys.readouterr().err
    assert "from profile 'work', in the system keyring)" in err
    keyring.set_keyring(null.Keyring())
    save_settings(Settings(profiles={"work": profile}, active_profile="work"))
    assert main(["doctor"]) == 1
    err = capsys.readouterr().err
    assert "from profile 'work', in settings.json (no system keyring here))" in err
    assert KEY not in err
