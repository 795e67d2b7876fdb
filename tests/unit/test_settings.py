"""Tests for bbot_tui.config.paths and .settings: tolerant load, atomic 0600 save, overrides."""

from __future__ import annotations

import json
import os
import random
import stat
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr, ValidationError

from bbot_tui.config import paths
from bbot_tui.config import settings as settings_module
from bbot_tui.config.settings import (
    HISTORY_LIMIT,
    SETTINGS_VERSION,
    LoadResult,
    Profile,
    Settings,
    asave_settings,
    load_settings,
    read_env_overrides,
    save_settings,
)

KEY_A = "bbot_live_9f8e7d6c5b4a39281706f5e4d3c2f3a9"
KEY_B = "local-dev-key-0042"


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "home"
    monkeypatch.setenv("BBOT_TUI_HOME", str(root))
    return root


def realistic() -> Settings:
    return Settings.model_validate(
        {
            "profiles": {
                "bbot": {
                    "base_url": "https://api.b-bot.space/v2",
                    "api_key": KEY_A,
                    "extra_headers": {"X-Team": "alpha"},
                    "assistants_path": "distribution-channels",
                    "last_assistant_id": "asst-1",
                    "last_thread_id": "thread-9",
                },
                "local": {
                    "base_url": "http://localhost:2024",
                    "api_key": KEY_B,
                    "assistants_path": "assistants",
                },
            },
            "active_profile": "bbot",
            "run_options": {
                "asst-1": {"temperature": 0.2, "interrupt_before": ["tools"], "stream": True},
                "agent": {"config": {"recursion_limit": 25}, "note": "héllo ✓"},
            },
            "theme": "nord",
            "show_event_log": True,
            "input_history": ["hello", "what's up?", "multi\nline"],
        }
    )


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


# --------------------------------------------------------------------------- paths


def test_paths_live_under_override_and_are_private(home: Path) -> None:
    assert paths.settings_path() == home / "config" / "settings.json"
    assert paths.run_state_path() == home / "state" / "active-runs.json"
    assert paths.log_dir() == home / "log"
    for directory in ("config", "state", "log"):
        assert mode(home / directory) == 0o700
    assert not paths.settings_path().exists()  # directories only, never files


def test_existing_loose_directory_is_tightened(home: Path) -> None:
    (home / "config").mkdir(parents=True)
    os.chmod(home / "config", 0o755)
    paths.config_dir()
    assert mode(home / "config") == 0o700


def test_core_modules_do_not_import_textual() -> None:
    code = (
        "import sys\n"
        "import bbot_tui.config.paths, bbot_tui.config.security, bbot_tui.text\n"
        "import bbot_tui.config.settings\n"
        "assert 'textual' not in sys.modules, 'textual was imported'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


# --------------------------------------------------------------------------- model


def test_secret_never_shown_by_repr_str_or_dump() -> None:
    settings = realistic()
    profile = settings.profiles["bbot"]
    shown = [
        repr(settings),
        str(settings),
        repr(profile),
        str(profile),
        settings.model_dump_json(),
        str(settings.model_dump()),
        json.dumps(settings.model_dump(mode="json")),
        profile.model_dump_json(),
    ]
    for text in shown:
        assert KEY_A not in text and KEY_B not in text
    assert profile.api_key is not None
    assert profile.api_key.get_secret_value() == KEY_A


def test_profile_validation() -> None:
    profile = Profile(name="p", base_url="api.b-bot.space/v2/", api_key=' "bbot_abcdef" \n')
    assert profile.base_url == "https://api.b-bot.space/v2"
    assert profile.api_key == SecretStr("bbot_abcdef")
    assert Profile(name="p", base_url="http://x", api_key="  ").api_key is None
    for header in ("bbot-api-key", "X-API-Key", "Authorization"):
        with pytest.raises(ValidationError, match="use the API key field"):
            Profile(name="p", base_url="http://x", extra_headers={header: "v"})
    with pytest.raises(ValidationError, match="printable ASCII"):
        Profile(name="p", base_url="http://x", extra_headers={"X-Ok": "a\nb"})
    with pytest.raises(ValidationError, match="only http and https"):
        Profile(name="p", base_url="ftp://x")
    with pytest.raises(ValidationError, match="control character"):
        Profile(name="p", base_url="http://x", api_key="bbot_\nabc")
    with pytest.raises(ValidationError, match="masked placeholder"):
        Profile(name="p", base_url="http://x", api_key="**********")
    with pytest.raises(ValidationError, match="one line"):
        Profile(name="a\x1b[2Jb", base_url="http://x")


def test_cleartext_blocked() -> None:
    remote = Profile(name="p", base_url="http://example.com", api_key="bbot_abcdef")
    assert remote.cleartext_blocked
    assert not remote.model_copy(update={"allow_insecure_http": True}).cleartext_blocked
    local = Profile(name="p", base_url="http://localhost:2024", api_key="k1234")
    assert not local.cleartext_blocked
    assert not Profile(name="p", base_url="http://example.com").cleartext_blocked


def test_profile_names_follow_keys_and_history_is_capped() -> None:
    settings = Settings.model_validate(
        {
            "profiles": {"a": {"base_url": "http://x"}, "b": {"name": "z", "base_url": "http://y"}},
            "input_history": [str(i) for i in range(HISTORY_LIMIT + 50)],
        }
    )
    assert settings.profiles["a"].name == "a"
    assert settings.profiles["b"].name == "b"
    assert len(settings.input_history) == HISTORY_LIMIT
    assert settings.input_history[-1] == str(HISTORY_LIMIT + 49)
    assert settings.active() is None
    settings.active_profile = "b"
    assert settings.active() is settings.profiles["b"]


# --------------------------------------------------------------------------- save


def test_save_is_private_and_round_trips(home: Path) -> None:
    original = realistic()
    save_settings(original)
    path = paths.settings_path()
    assert mode(path) == 0o600
    assert mode(path.parent) == 0o700
    assert KEY_A in path.read_text()  # the key is stored in clear, protected by the mode
    assert json.loads(path.read_text())["version"] == SETTINGS_VERSION
    result = load_settings()
    assert result.warnings == [] and result.backup_path is None
    assert result.settings == original
    assert sorted(p.name for p in path.parent.iterdir()) == ["settings.json"]  # no temp files


def test_save_tightens_existing_loose_file(tmp_path: Path) -> None:
    path = tmp_path / "cfg" / "settings.json"
    path.parent.mkdir()
    path.write_text("{}")
    os.chmod(path, 0o644)
    os.chmod(path.parent, 0o755)
    save_settings(realistic(), path)
    assert mode(path) == 0o600 and mode(path.parent) == 0o700


def test_failed_save_keeps_old_file_and_removes_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "settings.json"
    save_settings(Settings(theme="old"), path)

    def broken_replace(src: str, dst: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(paths.os, "replace", broken_replace)
    with pytest.raises(OSError, match="No space"):
        save_settings(Settings(theme="new"), path)
    assert load_settings(path).settings.theme == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["settings.json"]


async def test_asave_runs_off_the_event_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads: list[int] = []
    real_write = settings_module._write_atomic

    def spy(payload: bytes, path: Path, sequence: int) -> None:
        threads.append(threading.get_ident())
        real_write(payload, path, sequence)

    monkeypatch.setattr(settings_module, "_write_atomic", spy)
    settings = realistic()
    await asave_settings(settings, tmp_path / "s.json")
    assert threads and threads[0] != threading.get_ident()
    assert load_settings(tmp_path / "s.json").settings == settings


def test_older_snapshot_never_replaces_newer(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    settings_module._write_atomic(b'{"theme": "new"}', path, 10**9)
    settings_module._write_atomic(b'{"theme": "old"}', path, 10**9 - 1)
    assert load_settings(path).settings.theme == "new"


def test_torn_reads_never_happen(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    big = "x" * 5000
    versions = [
        Settings(theme=f"theme-{n}", input_history=[f"{n}-{i}-{big}" for i in range(HISTORY_LIMIT)])
        for n in range(2)
    ]
    save_settings(versions[0], path)
    assert path.stat().st_size > 1_000_000
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            for i in range(300):
                save_settings(versions[i % 2], path)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    thread = threading.Thread(target=writer)
    thread.start()
    failures = 0
    for _ in range(300):
        result = load_settings(path)
        if result.warnings or result.settings not in versions:
            failures += 1
    thread.join()
    assert errors == []
    assert failures == 0


# --------------------------------------------------------------------------- load


def test_missing_file_gives_defaults_without_warning() -> None:
    result = load_settings()
    assert isinstance(result, LoadResult)
    assert result.settings == Settings()
    assert result.warnings == [] and result.backup_path is None


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b'{"theme": "x",\n  "profiles": }', "line 2, column 15"),
        (b"", "line 1, column 1"),
        (b"[1, 2]", "does not contain a JSON object"),
        (b'"just a string"', "does not contain a JSON object"),
        (b'{"theme": "caf\xe9"}', "not valid UTF-8"),
        (b'{"run_options": {"a": {"t": NaN}}}', "NaN is not allowed"),
        (b"[" * 100_000 + b"]" * 100_000, "not valid JSON"),
    ],
    ids=["syntax", "empty", "array", "string", "latin1", "nan", "nesting-bomb"],
)
def test_corrupt_file_is_moved_aside(home: Path, content: bytes, fragment: str) -> None:
    path = paths.settings_path()
    path.write_bytes(content)
    result = load_settings()
    assert result.settings == Settings()
    assert result.backup_path is not None
    assert result.backup_path.name.startswith("settings.json.corrupt-")
    assert result.backup_path.read_bytes() == content
    assert not path.exists()
    assert len(result.warnings) >= 1
    assert str(path) in result.warnings[0] and fragment in result.warnings[0]
    assert str(result.backup_path) in result.warnings[0]


def test_unreadable_path_is_moved_aside(home: Path) -> None:
    path = paths.settings_path()
    path.mkdir()  # a directory where the file should be: reading fails
    result = load_settings()
    assert result.settings == Settings()
    assert result.backup_path is not None and result.backup_path.is_dir()
    assert "could not be read" in result.warnings[0]


def test_backups_are_never_overwritten(home: Path) -> None:
    path = paths.settings_path()
    backups = []
    for n in range(3):
        path.write_text(f"corrupt {n}")
        result = load_settings()
        assert result.backup_path is not None
        backups.append(result.backup_path)
    assert len(set(backups)) == 3
    assert [b.read_text() for b in backups] == ["corrupt 0", "corrupt 1", "corrupt 2"]


def test_invalid_parts_are_dropped_and_the_rest_salvaged(home: Path) -> None:
    data = json.loads(realistic().model_dump_json(context={"reveal_secrets": True}))
    data["profiles"]["broken"] = {"base_url": "ftp://nope", "api_key": KEY_B}
    data["profiles"]["local"]["api_key"] = "bad key"
    data["theme"] = 42
    data["show_event_log"] = "perhaps"
    data["input_history"] = ["keep", 3, "also"]
    data["unknown_thing"] = True
    path = paths.settings_path()
    path.write_text(json.dumps(data))
    result = load_settings()
    settings = result.settings
    assert set(settings.profiles) == {"bbot", "local"}
    assert settings.profiles["local"].api_key is None
    assert settings.profiles["bbot"].api_key == SecretStr(KEY_A)
    assert settings.theme == "textual-dark" and settings.show_event_log is False
    assert settings.input_history == ["keep", "also"]
    assert settings.run_options == realistic().run_options
    assert result.backup_path is not None and json.loads(result.backup_path.read_text()) == data
    text = "\n".join(result.warnings)
    for fragment in ("broken", "local", "theme", "show_event_log", "input_history", "unknown"):
        assert fragment in text
    assert "bad key" not in text and KEY_A not in text and KEY_B not in text


def test_unknown_keys_and_missing_active_profile_only_warn(home: Path) -> None:
    path = paths.settings_path()
    path.write_text(json.dumps({"theme": "nord", "future": 1, "active_profile": "gone"}))
    result = load_settings()
    assert result.settings.theme == "nord" and result.settings.active_profile is None
    assert result.backup_path is None and path.exists()
    assert any("future" in w for w in result.warnings)
    assert any("gone" in w for w in result.warnings)


def test_newer_version_loads_tolerantly_with_warning(home: Path) -> None:
    path = paths.settings_path()
    path.write_text(json.dumps({"version": SETTINGS_VERSION + 1, "theme": "nord", "new": {}}))
    result = load_settings()
    assert result.settings.theme == "nord"
    assert result.settings.version == SETTINGS_VERSION
    assert len(result.warnings) == 1 and "newer" in result.warnings[0]


def test_missing_version_is_migrated(home: Path) -> None:
    paths.settings_path().write_text(json.dumps({"theme": "nord"}))
    result = load_settings()
    assert result.warnings == [] and result.settings.version == SETTINGS_VERSION


def test_truncation_at_every_byte_offset(home: Path) -> None:
    original = realistic()
    path = paths.settings_path()
    save_settings(original)
    full = path.read_bytes()
    for offset in range(len(full)):
        chunk = full[:offset]
        for stale in path.parent.glob("settings.json.corrupt-*"):
            stale.unlink()
        path.write_bytes(chunk)
        result = load_settings()
        if chunk.strip() == full.strip():
            assert result.settings == original and result.warnings == []
            continue
        assert result.settings == Settings(), offset
        assert result.warnings and str(path) in result.warnings[0], offset
        assert result.backup_path is not None and result.backup_path.read_bytes() == chunk
        assert not path.exists()


def test_random_byte_flips(home: Path) -> None:
    original = realistic()
    path = paths.settings_path()
    save_settings(original)
    full = path.read_bytes()
    rng = random.Random(1234)
    moved = 0
    for _ in range(100):
        mutated = bytearray(full)
        position = rng.randrange(len(mutated))
        mutated[position] ^= rng.randrange(1, 256)
        path.write_bytes(bytes(mutated))
        result = load_settings()
        assert isinstance(result.settings, Settings)
        if result.backup_path is not None:
            moved += 1
            assert result.backup_path.read_bytes() == bytes(mutated)
            assert not path.exists()
            assert str(path) in result.warnings[0]
            result.backup_path.unlink()
        else:
            assert path.read_bytes() == bytes(mutated)
        # whatever was salvaged must be saveable and reload identically
        save_settings(result.settings, path.with_name("resaved.json"))
        assert load_settings(path.with_name("resaved.json")).settings == result.settings
    assert moved >= 50  # most flips break the JSON or the model


# --------------------------------------------------------------------------- overrides


# apply_env_overrides became session.connect.resolve_connection + with_launch_profile: its
# tests moved to tests/unit/test_connect.py


def test_read_env_overrides_ignores_langsmith_keys() -> None:
    env = {
        "LANGSMITH_API_KEY": "lsv2_pt_SECRET",
        "LANGCHAIN_API_KEY": "lc-secret",
        "LANGGRAPH_API_KEY": "lg-secret",
    }
    assert read_env_overrides(env) == (None, None)
    env |= {"BBOT_URL": " http://localhost:2024 ", "BBOT_API_KEY": "bbot_abcdef"}
    assert read_env_overrides(env) == ("http://localhost:2024", "bbot_abcdef")
