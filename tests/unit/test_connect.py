"""The one connection path (:mod:`bbot_tui.session.connect`): flag over environment over
profile, per field, and a profile's key only ever for the profile's own origin.

The override tests moved here from ``test_settings.py`` when ``apply_env_overrides`` became
:func:`resolve_connection` + :func:`with_launch_profile`. The same combinations run through
the real TUI and the real CLI in ``tests/ui/test_app_connect.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr
from test_settings import KEY_A, realistic

from bbot_tui.config.settings import (
    Profile,
    Settings,
    load_settings,
    save_settings,
    with_launch_profile,
)
from bbot_tui.session.connect import (
    ConnectError,
    Connection,
    Overrides,
    env_overrides,
    origin,
    resolve_connection,
)

PROFILE_URL = "https://api.b-bot.space/v2"
OTHER = "https://evil.example"
KEY_FLAG = "bbot_flag_key_1234567"
KEY_ENV = "bbot_env_key_7654321"

# --------------------------------------------------------------------------- moved tests


def test_env_overrides_same_origin_keeps_saved_key() -> None:
    settings = realistic()
    conn = resolve_connection(settings, flags=Overrides(url="https://api.b-bot.space/v2/"))
    result = with_launch_profile(settings, conn.launch_profile())
    active = result.active()
    assert result.active_profile == "(command line)" and active is not None
    assert active.api_key == SecretStr(KEY_A)
    assert active.last_thread_id == "thread-9"
    assert settings.active_profile == "bbot" and "(command line)" not in settings.profiles


def test_env_overrides_other_origin_drops_saved_key_and_headers() -> None:
    conn = resolve_connection(realistic(), env=Overrides(url="https://evil.example"))
    result = with_launch_profile(realistic(), conn.launch_profile())
    active = result.active()
    assert result.active_profile == "(environment)" and active is not None
    assert active.api_key is None and active.extra_headers == {}
    assert active.base_url == "https://evil.example"


def test_env_override_key_only_uses_active_url() -> None:
    conn = resolve_connection(realistic(), flags=Overrides(api_key=' "bbot_override_123" '))
    active = with_launch_profile(realistic(), conn.launch_profile()).active()
    assert active is not None and active.base_url == "https://api.b-bot.space/v2"
    assert active.api_key == SecretStr("bbot_override_123")
    with pytest.raises(ValueError, match="no server URL"):
        resolve_connection(Settings(), flags=Overrides(api_key="bbot_override_123"))
    with pytest.raises(ValueError, match="newline"):
        resolve_connection(realistic(), flags=Overrides(api_key="bad\nkey"))
    # no override: the saved profile itself, nothing to add to the settings
    plain = resolve_connection(realistic())
    assert not plain.overridden and plain.launch_profile() == realistic().active()


def test_env_override_profile_is_never_saved(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    conn = resolve_connection(
        realistic(), flags=Overrides("http://localhost:9999", "bbot_override_123")
    )
    result = with_launch_profile(realistic(), conn.launch_profile())
    save_settings(result, path)
    text = path.read_text()
    assert "bbot_override_123" not in text and "(command line)" not in text
    assert load_settings(path).settings == realistic()


# --------------------------------------------------------------------------- the precedence


def _settings(key: str | None = KEY_A, **fields: object) -> Settings:
    profile = Profile.model_validate(
        {"name": "saved", "base_url": PROFILE_URL, "api_key": key, **fields}
    )
    return Settings(profiles={"saved": profile}, active_profile="saved")


@pytest.mark.parametrize(
    ("flags", "env", "url", "key", "sources", "dropped"),
    [
        # nothing given: the profile as saved
        ((None, None), (None, None), PROFILE_URL, KEY_A, ("profile", "profile"), False),
        # a URL elsewhere (flag or env) never takes the profile's key
        ((OTHER, None), (None, None), OTHER, None, ("flag", None), True),
        ((None, None), (OTHER, None), OTHER, None, ("environment", None), True),
        # the same origin under another path keeps it
        ((PROFILE_URL[:-3] + "/api/v2", None), (None, None), None, KEY_A, ("flag", "profile"), 0),
        # a key given at launch goes with the URL of the launch, wherever that came from
        ((None, KEY_FLAG), (OTHER, None), OTHER, KEY_FLAG, ("environment", "flag"), False),
        ((OTHER, None), (None, KEY_ENV), OTHER, KEY_ENV, ("flag", "environment"), False),
        ((None, KEY_FLAG), (None, None), PROFILE_URL, KEY_FLAG, ("profile", "flag"), False),
        ((None, None), (None, KEY_ENV), PROFILE_URL, KEY_ENV, ("profile", "environment"), False),
        # per field: the flag wins over the environment
        ((PROFILE_URL, None), (OTHER, KEY_ENV), PROFILE_URL, KEY_ENV, ("flag", "environment"), 0),
        ((OTHER, KEY_FLAG), (PROFILE_URL, KEY_ENV), OTHER, KEY_FLAG, ("flag", "flag"), False),
    ],
)
async def test_flag_over_environment_over_profile_per_field(
    flags: tuple[str | None, str | None],
    env: tuple[str | None, str | None],
    url: str | None,
    key: str | None,
    sources: tuple[str, str | None],
    dropped: bool,
) -> None:
    conn = resolve_connection(_settings(), flags=Overrides(*flags), env=Overrides(*env))
    assert conn.base_url == (url or flags[0])
    assert (conn.api_key.get_secret_value() if conn.api_key else None) == key
    assert (conn.url_source, conn.key_source) == sources
    assert bool(conn.notices) == bool(dropped)
    for notice in conn.notices:
        assert "a profile's key only goes to the profile's own server" in notice
        assert KEY_A not in notice and "saved" in notice
    # the client gets exactly that URL and key
    async with conn.client() as client:
        assert client.base_url == conn.base_url
        assert f"key={'none' if key is None else 'set'}" in repr(client)


def test_other_origin_drops_headers_and_consent_and_says_so() -> None:
    settings = _settings(extra_headers={"X-Team": "alpha"}, allow_insecure_http=True)
    conn = resolve_connection(settings, flags=Overrides("http://10.0.0.9:8000"))
    assert conn.api_key is None and dict(conn.extra_headers) == {}
    assert not conn.allow_insecure and conn.assistants_path == "auto"
    assert conn.launch_profile().last_thread_id is None
    (notice,) = conn.notices
    assert "API key and extra headers are not sent to http://10.0.0.9:8000 (from --url)" in notice
    assert "https://api.b-bot.space" in notice and KEY_A not in notice
    # no key saved: nothing was left out, nothing to say
    conn = resolve_connection(_settings(key=None), env=Overrides(OTHER))
    assert conn.notices == () and conn.name == "(environment)"


def test_origin_compares_scheme_host_and_port() -> None:
    assert origin("https://api.b-bot.space/v2") == origin("https://api.b-bot.space:443/api/v2")
    assert origin("http://127.0.0.1:2024") != origin("http://127.0.0.1:2025")
    assert origin("http://api.b-bot.space") != origin("https://api.b-bot.space")


def test_profile_flag_and_errors_name_their_source() -> None:
    settings = _settings()
    settings.profiles["other"] = Profile(name="other", base_url="http://127.0.0.1:9")
    conn = resolve_connection(settings, profile="other")
    assert conn.base_url == "http://127.0.0.1:9" and conn.name == "other"
    with pytest.raises(ConnectError, match=r"--profile: no profile named 'nope' \(other, saved\)"):
        resolve_connection(settings, profile="nope")
    with pytest.raises(ConnectError, match="BBOT_URL: only http and https") as caught:
        resolve_connection(settings, env=Overrides(url="ftp://x"))
    assert caught.value.source == "environment"
    with pytest.raises(ConnectError, match="--api-key: API key contains a space"):
        resolve_connection(settings, flags=Overrides(api_key="bad key"))
    with pytest.raises(ConnectError, match="no server: pass --url"):
        resolve_connection(Settings())
    assert env_overrides({"BBOT_URL": " http://h ", "LANGSMITH_API_KEY": "x"}) == Overrides(
        "http://h", None
    )


def test_connection_names_and_key_description() -> None:
    conn = resolve_connection(_settings(), env=Overrides(OTHER, KEY_ENV))
    assert conn.name == "(environment)" and conn.describe_key() == "from BBOT_API_KEY"
    assert conn.key_origin == "https://evil.example"
    conn = resolve_connection(_settings(), flags=Overrides(api_key=KEY_FLAG), env=Overrides(OTHER))
    assert conn.name == "(command line)" and conn.describe_key() == "from --api-key"
    saved = resolve_connection(_settings())
    assert saved.describe_key() == "from profile 'saved'" and saved.name == "saved"
    assert Connection.from_profile(_settings().profiles["saved"]) == saved
    with pytest.raises(ValueError, match="not a one-launch profile"):
        with_launch_profile(_settings(), _settings().profiles["saved"])
