"""The settings model and its tolerant load / atomic save (docs/PROTOCOL.md,
"Secrets and settings on disk").

One pydantic model tree, :class:`Settings` → :class:`Profile`, with a docstring on every field
and a ``version`` for migrations. The API key is a ``SecretStr``: ``repr``, ``str``,
``model_dump()`` and ``model_dump_json()`` never show it. Only :func:`save_settings` stores it:
in the system keyring when there is one (:mod:`bbot_tui.config.secrets`; the file then keeps
``"key_store": "keyring"`` and no key), else in clear in a 0600 file inside a 0700 directory.
:func:`load_settings` reads it back from where it is.

Loading never raises for bad data. A file that cannot be read, decoded, parsed or validated is
moved aside as ``settings.json.corrupt-<UTC timestamp>`` (never overwritten), and the app starts
with defaults, or with whatever part of the file was valid, plus a warning naming the path and
the parser's message. Saving is atomic (temp file, fsync, ``os.replace``, directory fsync), so a
crash mid-save leaves either the old or the new file, never a torn one.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    SerializationInfo,
    ValidationError,
    field_serializer,
    field_validator,
)

from bbot_tui.config import paths, secrets
from bbot_tui.config.protocols import RunProtocol
from bbot_tui.config.secrets import KeyStore
from bbot_tui.config.security import (
    RESERVED_HEADERS,
    cleartext_risk,
    normalize_api_key,
    normalize_base_url,
    register_secret,
)
from bbot_tui.text import one_line

__all__ = [
    "EPHEMERAL_PROFILE_NAMES",
    "HISTORY_LIMIT",
    "SETTINGS_VERSION",
    "AlertSettings",
    "AttachmentFormat",
    "LoadResult",
    "Profile",
    "Settings",
    "asave_settings",
    "load_settings",
    "read_env_overrides",
    "save_settings",
    "with_launch_profile",
]

SETTINGS_VERSION = 1
"""The settings schema version this build reads and writes."""

HISTORY_LIMIT = 200
"""How many composer entries :attr:`Settings.input_history` keeps."""

EPHEMERAL_PROFILE_NAMES = frozenset({"(command line)", "(environment)"})
"""Names of the one-launch profiles of :func:`with_launch_profile`; never saved."""

FILE_MODE = 0o600
"""Mode of the saved settings file."""

_HEADER_NAME_RE = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_HEADER_VALUE_RE = re.compile(r"^[\x20-\x7e\t]*$")
_REVEAL = "reveal_secrets"
_MASKED = "**********"
_MAX_PROBLEMS = 10


AttachmentFormat = Literal["langchain", "openai"]
"""How a profile's server wants images and PDFs (see :attr:`Profile.attachment_format`)."""


class Profile(BaseModel):
    """One server connection: where to connect and how to authenticate."""

    model_config = ConfigDict(
        extra="ignore", use_attribute_docstrings=True, validate_assignment=True
    )

    name: str = Field(min_length=1, max_length=100)
    """Display name; equal to the profile's key in :attr:`Settings.profiles`."""

    base_url: str
    """Server base URL, normalized (scheme added, trailing slash dropped), e.g.
    ``https://api.b-bot.space/v2``."""

    api_key: SecretStr | None = None
    """API key sent as a header on every request; None for servers that need none."""

    extra_headers: dict[str, str] = Field(default_factory=dict)
    """Additional request headers. The key headers (``bbot-api-key``, ``x-api-key``,
    ``authorization``) are not allowed here: the key has its own field."""

    assistants_path: Literal["auto", "assistants", "distribution-channels"] = "auto"
    """Which endpoint lists assistants: ``auto`` probes, the others force one."""

    allow_insecure_http: bool = False
    """Allow sending the key over plain http to a non-loopback host (explicit opt-in)."""

    key_store: KeyStore | None = None
    """``keyring`` when the key is kept in the system keyring (this file then holds no key);
    None when it is in this file, or not saved yet. Written by :func:`save_settings`, read
    by :func:`load_settings`, never set by hand."""

    use_environment_proxy: bool = True
    """Take the proxy (``HTTPS_PROXY``, ``HTTP_PROXY``, ``ALL_PROXY``, ``NO_PROXY``) and the CA
    certificates (``SSL_CERT_FILE``, ``SSL_CERT_DIR``) from the environment, as curl and pip
    do. Off: connect directly with the bundled certificates, whatever the environment says.
    The key only ever goes to this profile's server (through an https proxy, in the tunnel)."""

    protocol: RunProtocol = "runs"
    """Which streaming protocol runs use: ``runs`` (the runs API, B-Bot's documented one),
    ``events`` (the thread-centric event protocol of recent Agent Servers) or ``auto`` (the
    event protocol where the server offers it and a run's options fit it); the ``--protocol``
    flag of ``bbot-tui run`` overrides it."""

    attachment_format: AttachmentFormat = "langchain"
    """How images and PDFs attached with ``@path`` are sent: ``langchain`` (LangChain's standard
    ``image``/``file`` blocks with ``base64`` and ``mime_type``) or ``openai`` (``image_url``
    and ``file`` blocks with ``data:`` URLs), for servers whose models want those."""

    last_assistant_id: str | None = None
    """Assistant selected when the app was last closed with this profile."""

    last_thread_id: str | None = None
    """Thread open when the app was last closed with this profile."""

    followed_threads: list[str] = Field(default_factory=list)
    """Threads followed in the background (``f`` in the thread list): their questions and
    ends are announced while the app runs."""

    @field_validator("name")
    @classmethod
    def _check_name(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("give the profile a name")
        if one_line(value, 100) != value:
            raise ValueError("profile name must be one line without control characters")
        return value

    @field_validator("base_url")
    @classmethod
    def _check_base_url(cls, value: str) -> str:
        return normalize_base_url(value)

    @field_validator("api_key", mode="before")
    @classmethod
    def _check_api_key(cls, value: object) -> object:
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if not isinstance(value, str):
            return value  # let pydantic report the type error
        key = normalize_api_key(value)
        if set(key) == {"*"}:
            raise ValueError("API key is a masked placeholder, not a key")
        # Not registered for redaction here: a value typed into a form that is then cancelled
        # is no secret. Keys are registered when loaded from disk and when a client uses them.
        return SecretStr(key)

    @field_validator("extra_headers")
    @classmethod
    def _check_headers(cls, value: dict[str, str]) -> dict[str, str]:
        cleaned: dict[str, str] = {}
        for name, header_value in value.items():
            if not _HEADER_NAME_RE.match(name):
                raise ValueError(f"header name {one_line(name, 40)!r} is not a valid token")
            if name.lower() in RESERVED_HEADERS:
                raise ValueError(f"header {name!r} is not allowed here; use the API key field")
            header_value = header_value.strip()
            if not _HEADER_VALUE_RE.match(header_value):
                raise ValueError(
                    f"value of header {name!r} must be printable ASCII without control characters"
                )
            cleaned[name] = header_value
        return cleaned

    @field_serializer("api_key")
    def _serialize_api_key(
        self, value: SecretStr | None, info: SerializationInfo
    ) -> SecretStr | str | None:
        if value is None:
            return None
        context = info.context
        if isinstance(context, dict) and context.get(_REVEAL) is True:
            return value.get_secret_value()
        return _MASKED if info.mode_is_json() else value

    @property
    def cleartext_blocked(self) -> bool:
        """True when the key must not be sent: plain http to a non-loopback host, a key set,
        and no :attr:`allow_insecure_http` opt-in."""
        return cleartext_risk(self.base_url, self.api_key is not None) and not (
            self.allow_insecure_http
        )


class AlertSettings(BaseModel):
    """How bbot-tui tells you that something needs you (an interrupt, a long run that ended).

    Alerts come only when you are not looking at that very thread: the app is not focused (the
    terminal reports it), or another thread, the inbox or another screen is in front. The
    desktop notification and the toast are on by default; the bell is off, because it is the
    one users find noisy: it is audible, and many terminals already turn a bell in an unfocused
    window into their own notification or badge, so with the desktop notification it would
    tell the same thing twice. Each can be turned on or off from the command palette
    (``Alerts: …``).
    """

    model_config = ConfigDict(
        extra="ignore", use_attribute_docstrings=True, validate_assignment=True
    )

    bell: bool = False
    """Ring the terminal bell (off by default: audible, and doubled by many terminals)."""

    desktop: bool = True
    """Write a desktop notification to the terminal (OSC 9, or OSC 777 where the terminal
    wants it); terminals that do not support it ignore it."""

    toast: bool = True
    """Show a toast in the app (also while it is focused, unless on that very thread)."""

    long_run_seconds: float = Field(default=30.0, ge=0, le=86_400)
    """A run that ended is worth an alert only when it took at least this many seconds."""


class Settings(BaseModel):
    """Everything bbot-tui remembers between launches."""

    model_config = ConfigDict(
        extra="ignore", use_attribute_docstrings=True, validate_assignment=True
    )

    version: int = Field(default=SETTINGS_VERSION, ge=1)
    """Schema version of the file, for migrations."""

    profiles: dict[str, Profile] = Field(default_factory=dict)
    """Server profiles by name."""

    active_profile: str | None = None
    """Name of the profile used at startup; None when there is none."""

    run_options: dict[str, dict[str, Any]] = Field(default_factory=dict)
    """Run options per assistant id: the run-options form's raw JSON-able values."""

    theme: str = Field(default="textual-dark", min_length=1, max_length=100)
    """Textual theme name."""

    show_event_log: bool = False
    """Show the raw event log panel."""

    show_assistant_pane: bool = True
    """Show the assistant and thread side pane."""

    input_history: list[str] = Field(default_factory=list)
    """The last composer entries, oldest first (at most :data:`HISTORY_LIMIT`)."""

    alerts: AlertSettings = Field(default_factory=AlertSettings)
    """Bell, desktop notification and toast when something needs you (see
    :class:`AlertSettings`)."""

    _base_active: str | None = PrivateAttr(default=None)
    """Saved active profile while an ephemeral override profile is active."""

    @field_validator("profiles", mode="before")
    @classmethod
    def _fill_profile_names(cls, value: object) -> object:
        if isinstance(value, dict):
            return {
                key: {**item, "name": key} if isinstance(item, dict) else item
                for key, item in value.items()
            }
        return value

    @field_validator("profiles")
    @classmethod
    def _key_names_profiles(cls, value: dict[str, Profile]) -> dict[str, Profile]:
        return {
            key: item if item.name == key else item.model_copy(update={"name": key})
            for key, item in value.items()
        }

    @field_validator("input_history")
    @classmethod
    def _cap_history(cls, value: list[str]) -> list[str]:
        return value[-HISTORY_LIMIT:]

    def active(self) -> Profile | None:
        """Return the active profile.

        Returns:
            The profile named by :attr:`active_profile`, or None if unset or missing.
        """
        if self.active_profile is None:
            return None
        return self.profiles.get(self.active_profile)


@dataclass
class LoadResult:
    """What :func:`load_settings` found."""

    settings: Settings
    """The settings to use: the file's, the valid part of it, or defaults."""

    warnings: list[str] = field(default_factory=list)
    """Problems to show the user persistently (already sanitized, one line each)."""

    backup_path: Path | None = None
    """Where a corrupt file was moved, or None when nothing was moved."""


# --------------------------------------------------------------------------- loading


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed in JSON")


def _migrate(data: dict[str, Any], warnings: list[str]) -> dict[str, Any]:
    """Bring a parsed settings object to :data:`SETTINGS_VERSION`.

    Version 1 is the first schema, so there is nothing to convert yet: add steps here as
    ``if version < 2: …`` blocks. A newer version is loaded as far as this build understands
    it, with a warning.
    """
    version = data.get("version", SETTINGS_VERSION)
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        return data  # reported by validation
    if version > SETTINGS_VERSION:
        warnings.append(
            f"Settings were written by a newer bbot-tui (format {version}, this build knows "
            f"{SETTINGS_VERSION}); unknown fields are ignored and will be lost when settings "
            "are saved."
        )
    return {**data, "version": SETTINGS_VERSION}


def _loc_text(loc: tuple[int | str, ...]) -> str:
    return one_line(".".join(str(part) for part in loc), 80) or "(root)"


def _drop_error(data: dict[str, Any], loc: tuple[int | str, ...], msg: str) -> str | None:
    """Remove the value at ``loc`` so that it falls back to its default. Returns a warning."""
    top = loc[0] if loc else None
    if not isinstance(top, str) or top not in data:
        return None
    if top == "profiles" and len(loc) >= 2 and isinstance(data[top], dict):
        name = loc[1]
        if name not in data[top]:
            return None
        profile = data[top][name]
        field_name = loc[2] if len(loc) >= 3 else None
        label = one_line(str(name), 40)
        if (
            isinstance(profile, dict)
            and isinstance(field_name, str)
            and field_name in profile
            and not Profile.model_fields[field_name].is_required()
        ):
            data[top][name] = {k: v for k, v in profile.items() if k != field_name}
            return f"Profile {label!r}: {field_name} was invalid and is ignored ({msg})."
        data[top] = {k: v for k, v in data[top].items() if k != name}
        return f"Profile {label!r} was invalid and is ignored ({_loc_text(loc[2:])}: {msg})."
    if top == "alerts" and len(loc) >= 2 and isinstance(data[top], dict) and loc[1] in data[top]:
        data[top] = {k: v for k, v in data[top].items() if k != loc[1]}
        return f"Setting {_loc_text(loc[:2])} was invalid and was reset to its default ({msg})."
    if top in ("run_options", "input_history") and len(loc) >= 2:
        container = data[top]
        if isinstance(container, dict) and loc[1] in container:
            data[top] = {k: v for k, v in container.items() if k != loc[1]}
            return f"Setting {_loc_text(loc[:2])} was invalid and is ignored ({msg})."
        if isinstance(container, list) and isinstance(loc[1], int) and loc[1] < len(container):
            data[top] = [v for i, v in enumerate(container) if i != loc[1]]
            return f"Setting {_loc_text(loc[:2])} was invalid and is ignored ({msg})."
    del data[top]
    return f"Setting {_loc_text((top,))} was invalid and was reset to its default ({msg})."


def _validate_tolerantly(data: dict[str, Any]) -> tuple[Settings, list[str]]:
    """Validate ``data``, dropping each invalid part and retrying. Returns the problems."""
    data = dict(data)
    problems: list[str] = []
    for _ in range(20):
        try:
            return Settings.model_validate(data), problems
        except ValidationError as exc:
            found: list[str] = []
            # Last error first, so removing a list item does not shift the next index.
            for err in reversed(exc.errors(include_url=False, include_input=False)):
                warning = _drop_error(data, tuple(err["loc"]), one_line(err["msg"], 120))
                if warning is not None:
                    found.append(warning)
            if not found:
                break
            problems.extend(reversed(found))
    problems.append("Settings could not be repaired; defaults are used.")
    return Settings(), problems


def _unknown_key_warnings(data: dict[str, Any]) -> list[str]:
    warnings = [
        f"Unknown setting {one_line(key, 40)!r} is ignored."
        for key in data
        if key not in Settings.model_fields
    ]
    profiles = data.get("profiles")
    if isinstance(profiles, dict):
        for name, profile in profiles.items():
            if isinstance(profile, dict):
                warnings += [
                    f"Profile {one_line(name, 40)!r}: unknown field {one_line(key, 40)!r} "
                    "is ignored."
                    for key in profile
                    if key not in Profile.model_fields
                ]
    return warnings


def _corrupt(
    path: Path,
    problem: str,
    settings: Settings | None = None,
    warnings: list[str] | None = None,
    extra: list[str] | None = None,
) -> LoadResult:
    """Move the file aside and describe what happened in the first warning."""
    warnings = warnings or []
    extra = extra or []
    try:
        backup: Path | None = paths.move_aside(path, "corrupt")
        moved = f"it was moved to {backup}"
    except OSError as exc:
        backup, moved = None, f"it could not be moved aside ({exc.strerror or exc})"
    what = "the valid part of it is used" if extra else "defaults are used"
    warnings.insert(0, f"Settings file {path} {problem}; {moved}, and {what}.")
    warnings.extend(extra)
    return LoadResult(settings or Settings(), warnings, backup)


def load_settings(path: Path | None = None) -> LoadResult:
    """Load settings, tolerating any damage to the file.

    Args:
        path: The settings file; defaults to :func:`bbot_tui.config.paths.settings_path`.

    Returns:
        The settings, the warnings to show, and where a corrupt file was moved. A missing file
        gives defaults and no warning. An unreadable, undecodable, unparsable or invalid file
        is moved aside (never overwritten) and defaults, or its valid part, are used.
    """
    warnings: list[str] = []
    if path is None:
        try:
            path = paths.settings_path()
        except OSError as exc:
            msg = f"Settings directory is not usable ({exc}); defaults are used."
            return LoadResult(Settings(), [one_line(msg, 300)])
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return LoadResult(Settings())
    except OSError as exc:
        return _corrupt(path, f"could not be read ({exc.strerror or exc})")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return _corrupt(path, f"is not valid UTF-8 (byte {exc.start})")
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        problem = f"is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        return _corrupt(path, problem)
    except (ValueError, RecursionError) as exc:
        problem = f"is not valid JSON: {one_line(str(exc), 120) or type(exc).__name__}"
        return _corrupt(path, problem)
    if not isinstance(data, dict):
        return _corrupt(path, "does not contain a JSON object")
    data = _migrate(data, warnings)
    if not any("newer bbot-tui" in w for w in warnings):
        warnings += _unknown_key_warnings(data)
    settings, problems = _validate_tolerantly(data)
    if settings.active_profile is not None and settings.active() is None:
        name = one_line(settings.active_profile, 40)
        warnings.append(f"Active profile {name!r} does not exist; none is used.")
        settings.active_profile = None
    if len(problems) > _MAX_PROBLEMS:
        more = len(problems) - _MAX_PROBLEMS + 1
        problems = [*problems[: _MAX_PROBLEMS - 1], f"… and {more} more problems."]
    warnings += _keys_from_keyring(settings)
    _register_keys(settings)
    if problems:
        return _corrupt(path, "has invalid settings", settings, warnings, problems)
    return LoadResult(settings=settings, warnings=warnings)


def _keys_from_keyring(settings: Settings) -> list[str]:
    """Read the keys kept in the system keyring into their profiles. Returns warnings."""
    warnings: list[str] = []
    for name, profile in settings.profiles.items():
        if profile.key_store != "keyring" or profile.api_key is not None:
            continue
        key = secrets.load_key(name)
        if key is not None:
            try:
                profile.api_key = SecretStr(key)
                continue
            except ValidationError:
                where = "holds a key that is not valid"
        elif secrets.keyring_available():
            where = "has no key for it"
        else:
            where = "is not available here"
        warnings.append(
            f"Profile {one_line(name, 40)!r}: its API key is kept in the system keyring, which "
            f"{where}; enter the key again in the connection form (F3)."
        )
    return warnings


def _register_keys(settings: Settings) -> None:
    """Mask the saved profiles' keys in every log record from now on."""
    for profile in settings.profiles.values():
        if profile.api_key is not None:
            register_secret(profile.api_key.get_secret_value())


# --------------------------------------------------------------------------- saving

_write_lock = threading.Lock()
_KEYRING_MARK = b'"key_store": "keyring"'
_KEY_MARK = b'"api_key": "'
"""How :func:`_serialize` writes a key (``json.dumps(indent=2)``); with neither in sight a
save makes no keyring call."""
_sequence = itertools.count(1)
_last_written: dict[Path, int] = {}


def _serialize(settings: Settings) -> bytes:
    """Render the file contents: the key in clear, ephemeral profiles left out."""
    data = settings.model_dump(mode="json", context={_REVEAL: True})
    data["version"] = SETTINGS_VERSION
    data["profiles"] = {
        name: profile
        for name, profile in data["profiles"].items()
        if name not in EPHEMERAL_PROFILE_NAMES
    }
    if settings.active_profile in EPHEMERAL_PROFILE_NAMES:
        data["active_profile"] = settings._base_active
    return (json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n").encode()


def _keyring_names(path: Path) -> set[str]:
    """The profiles whose key the file at ``path`` says is in the keyring (none if unreadable)."""
    try:
        raw = path.read_bytes()
        if _KEYRING_MARK not in raw:
            return set()
        data = json.loads(raw)
        profiles = data.get("profiles") if isinstance(data, dict) else None
    except (OSError, ValueError, RecursionError):
        return set()
    if not isinstance(profiles, dict):
        return set()
    return {
        name
        for name, profile in profiles.items()
        if isinstance(profile, dict) and profile.get("key_store") == "keyring"
    }


def _place_keys(payload: bytes, path: Path) -> bytes:
    """Move each profile's key from the payload to the system keyring, where there is one.

    A key the keyring took is left out of the file (``"key_store": "keyring"``); one it could
    not take stays in the file (``"key_store": null``). A profile marked ``keyring`` without a
    key (the keyring could not be read at load) keeps its mark, and its key stays where it
    is. Keys of profiles that are gone, or whose key was removed, leave the keyring.
    """
    before = _keyring_names(path)
    if not before and _KEY_MARK not in payload:
        return payload  # no key to place, none to remove (most saves: history, options)
    data = json.loads(payload)
    profiles = data.get("profiles") if isinstance(data, dict) else None
    kept: set[str] = set()
    for name, profile in (profiles if isinstance(profiles, dict) else {}).items():
        key = profile.get("api_key")
        if key:
            stored = secrets.store_key(name, key)
            profile["key_store"] = "keyring" if stored else None
            if stored:
                profile["api_key"] = None
                kept.add(name)
        elif profile.get("key_store") == "keyring":
            kept.add(name)
        else:
            profile["key_store"] = None
    for name in before - kept:
        secrets.delete_key(name)
    return (json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n").encode()


def _write_atomic(payload: bytes, path: Path, sequence: int) -> None:
    with _write_lock:
        if _last_written.get(path, 0) > sequence:
            return  # a newer snapshot is already on disk
        paths.atomic_write(path, _place_keys(payload, path), mode=FILE_MODE)
        _last_written[path] = sequence


def save_settings(settings: Settings, path: Path | None = None) -> None:
    """Write settings atomically to a 0600 file in a 0700 directory.

    One-launch profiles (:func:`with_launch_profile`) are not written. Each API key goes to
    the system keyring when there is one (:mod:`bbot_tui.config.secrets`), else it is written
    in clear: the file's mode is the protection. The keyring may block: the TUI calls
    :func:`asave_settings`.

    Args:
        settings: The settings to write.
        path: The settings file; defaults to :func:`bbot_tui.config.paths.settings_path`.

    Raises:
        OSError: If the directory or file cannot be written; the old file is then unchanged.
        ValueError: If :attr:`Settings.run_options` holds values JSON cannot represent.
    """
    target = path if path is not None else paths.settings_path()
    _write_atomic(_serialize(settings), target, next(_sequence))


async def asave_settings(settings: Settings, path: Path | None = None) -> None:
    """Save settings without blocking the event loop.

    The settings are serialized right away, in the caller's thread, so later changes cannot
    race with the write; the write runs in a worker thread. When saves overlap, an older
    snapshot never replaces a newer one.

    Args:
        settings: The settings to write.
        path: The settings file; defaults to :func:`bbot_tui.config.paths.settings_path`.

    Raises:
        OSError: As for :func:`save_settings`.
        ValueError: As for :func:`save_settings`.
    """
    payload = _serialize(settings)
    sequence = next(_sequence)
    target = path if path is not None else await asyncio.to_thread(paths.settings_path)
    await asyncio.to_thread(_write_atomic, payload, target, sequence)


# --------------------------------------------------------------------------- overrides


def read_env_overrides(environ: Mapping[str, str] | None = None) -> tuple[str | None, str | None]:
    """Read ``BBOT_URL`` and ``BBOT_API_KEY``, and nothing else.

    ``LANGSMITH_API_KEY``, ``LANGCHAIN_API_KEY`` and ``LANGGRAPH_API_KEY`` are deliberately
    never read: they belong to other services (docs/PROTOCOL.md, "B-Bot").

    Args:
        environ: The environment; defaults to ``os.environ``.

    Returns:
        ``(url, api_key)``, each None when unset or blank.
    """
    env = os.environ if environ is None else environ
    url = env.get("BBOT_URL", "").strip() or None
    key = env.get("BBOT_API_KEY", "").strip() or None
    return url, key


def with_launch_profile(settings: Settings, profile: Profile) -> Settings:
    """Return a copy of ``settings`` whose active profile is a one-launch ``profile``.

    The profile is the one :func:`bbot_tui.session.connect.resolve_connection` made from the
    command line and the environment (it decides which URL and key go together); it is named
    ``(command line)`` or ``(environment)`` and never saved: :func:`save_settings` leaves it
    out and writes the saved active profile instead.

    Args:
        settings: The loaded settings (not modified).
        profile: The one-launch profile; its name is one of :data:`EPHEMERAL_PROFILE_NAMES`.

    Returns:
        The modified copy.

    Raises:
        ValueError: If the profile's name is not a one-launch name (it would be saved).
    """
    if profile.name not in EPHEMERAL_PROFILE_NAMES:
        raise ValueError(f"{profile.name!r} is not a one-launch profile name")
    result = settings.model_copy(deep=True)
    result.profiles = {**result.profiles, profile.name: profile}
    if settings.active_profile not in EPHEMERAL_PROFILE_NAMES:
        result._base_active = settings.active_profile
    result.active_profile = profile.name
    return result
