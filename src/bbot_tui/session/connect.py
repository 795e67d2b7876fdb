"""The one way from a saved profile, the environment and the command line to a client.

The TUI and every headless command call :func:`resolve_connection` and build their client with
:meth:`Connection.client`; nothing else turns settings into an
:class:`~bbot_tui.api.client.AgentClient`, so ``bbot-tui`` and ``bbot-tui run`` always talk to
the same server with the same key.

Precedence, applied per field: **flag over environment over profile**.

=========  ==================  ==================  ===============================
field      1. flag             2. environment      3. profile
=========  ==================  ==================  ===============================
profile    ``--profile NAME``  (none)              the active profile
URL        ``--url``           ``BBOT_URL``        the profile's ``base_url``
API key    ``--api-key``       ``BBOT_API_KEY``    the profile's key (rule 1 below)
=========  ==================  ==================  ===============================

Where the key goes:

1. **A profile's key belongs to the profile's origin** (scheme, host and port). When the URL
   comes from a flag or the environment and points at another origin, the profile's key is not
   used, nor its extra headers or its consent to plain http; :attr:`Connection.notices` says so,
   naming this rule and never the key. The same origin under another path (``/v2`` and
   ``/api/v2``) keeps them.
2. **A key given by flag or environment goes with the URL of the same launch**: the URL
   resolved above, whichever level it came from (``BBOT_URL=X bbot-tui … --api-key K`` sends
   ``K`` to ``X``, in the TUI and in the CLI alike).
3. Keys of other tools (``LANGSMITH_API_KEY``, ``LANGGRAPH_API_KEY``…) are never read.

Once built, the client adds the key (header ``bbot-api-key``) only to requests for its own
origin, and refuses to send it over plain http to a non-loopback host without the profile's
consent (see ``docs/PROTOCOL.md``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import httpx
from pydantic import SecretStr

from bbot_tui.api.client import DEFAULT_TIMEOUT, AgentClient, AssistantsPath
from bbot_tui.api.discovery import likely_assistants_path
from bbot_tui.config.security import normalize_api_key, normalize_base_url, register_secret
from bbot_tui.config.settings import Profile, Settings, read_env_overrides
from bbot_tui.text import one_line

__all__ = [
    "COMMAND_LINE_PROFILE",
    "ENVIRONMENT_PROFILE",
    "ConnectError",
    "Connection",
    "Overrides",
    "Source",
    "env_overrides",
    "origin",
    "resolve_connection",
]

Source = Literal["flag", "environment", "profile"]
"""Where a field of a connection came from."""

COMMAND_LINE_PROFILE = "(command line)"
"""Name of the one-launch profile when a field came from a flag (never saved)."""
ENVIRONMENT_PROFILE = "(environment)"
"""Name of the one-launch profile when fields came from the environment only (never saved)."""

_OPTION: dict[str, dict[Source, str]] = {
    "url": {"flag": "--url", "environment": "BBOT_URL", "profile": "the profile"},
    "api_key": {"flag": "--api-key", "environment": "BBOT_API_KEY", "profile": "the profile"},
}
_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin(url: str) -> tuple[str, str, int | None]:
    """``(scheme, host, port)`` of a URL, the port filled in for http and https."""
    parsed = httpx.URL(url)
    return parsed.scheme, parsed.host, parsed.port or _DEFAULT_PORTS.get(parsed.scheme)


def _origin_text(url: str) -> str:
    scheme, host, port = origin(url)
    default = _DEFAULT_PORTS.get(scheme)
    return f"{scheme}://{host}" + ("" if port == default else f":{port}")


class ConnectError(ValueError):
    """The profile, URL or key given cannot make a connection.

    Attributes:
        option: what to fix (``--url``, ``BBOT_API_KEY``, ``--profile``…), or None when no
            single option is at fault (no server at all).
        source: the level the bad value came from, or None.
    """

    def __init__(self, message: str, *, option: str | None = None, source: Source | None = None):
        super().__init__(f"{option}: {message}" if option else message)
        self.option = option
        self.source = source


@dataclass(frozen=True, slots=True)
class Overrides:
    """One level of one-launch overrides: the command line's flags or the environment."""

    url: str | None = None
    """Server base URL, as given (normalized by :func:`resolve_connection`)."""
    api_key: str | None = None
    """API key, as given (never printed)."""

    @property
    def given(self) -> bool:
        """Whether this level sets any field."""
        return self.url is not None or self.api_key is not None


def env_overrides(environ: Mapping[str, str] | None = None) -> Overrides:
    """``BBOT_URL`` and ``BBOT_API_KEY`` from the environment, and nothing else.

    Args:
        environ: the environment (default ``os.environ``).
    """
    url, key = read_env_overrides(environ)
    return Overrides(url, key)


@dataclass(frozen=True, slots=True)
class Connection:
    """A resolved connection: where to connect, with which key, and why.

    Attributes:
        base_url: the normalized API root.
        api_key: the key to send there, or None.
        extra_headers: more headers (the profile's, when its origin is kept).
        assistants_path: ``auto``, ``assistants`` or ``distribution-channels``.
        allow_insecure: consent to send the key over plain http to a remote host.
        use_environment_proxy: take the proxy and CA certificates from the environment (the
            profile's choice, kept for another origin too: it is about the network, not the
            server).
        profile: the saved profile this stands on (None when none is set up).
        url_source: where the URL came from.
        key_source: where the key came from (None: no key).
        profile_applies: the profile's key, headers and consent apply (same origin).
        notices: sentences to show the user (a profile's key left out, and why).
    """

    base_url: str
    api_key: SecretStr | None = None
    extra_headers: Mapping[str, str] = field(default_factory=dict)
    assistants_path: Literal["auto"] | AssistantsPath = "auto"
    allow_insecure: bool = False
    use_environment_proxy: bool = True
    profile: Profile | None = None
    url_source: Source = "profile"
    key_source: Source | None = None
    profile_applies: bool = True
    notices: tuple[str, ...] = ()

    @classmethod
    def from_profile(cls, profile: Profile) -> Connection:
        """A saved profile as it is, with no override."""
        return cls(
            base_url=profile.base_url,
            api_key=profile.api_key,
            extra_headers=dict(profile.extra_headers),
            assistants_path=profile.assistants_path,
            allow_insecure=profile.allow_insecure_http,
            use_environment_proxy=profile.use_environment_proxy,
            profile=profile,
            key_source="profile" if profile.api_key is not None else None,
        )

    @property
    def overridden(self) -> bool:
        """Whether a flag or the environment set the URL or the key."""
        return self.url_source != "profile" or self.key_source in ("flag", "environment")

    @property
    def explicit_url(self) -> bool:
        """The URL came from ``--url`` or ``BBOT_URL`` (hints then repeat ``--url``)."""
        return self.url_source != "profile"

    @property
    def name(self) -> str:
        """The profile's name, or the one-launch name when a flag or the environment set a
        field (``(command line)`` wins over ``(environment)``)."""
        if not self.overridden and self.profile is not None:
            return self.profile.name
        if "flag" in (self.url_source, self.key_source):
            return COMMAND_LINE_PROFILE
        return ENVIRONMENT_PROFILE

    @property
    def key_origin(self) -> str | None:
        """The origin the key is sent to (``https://host[:port]``), or None without a key."""
        return _origin_text(self.base_url) if self.api_key is not None else None

    def describe_key(self) -> str:
        """Where the key comes from, for a status line (never the key itself)."""
        if self.api_key is None or self.key_source is None:
            return "none"
        if self.key_source == "profile" and self.profile is not None:
            return f"from profile {one_line(self.profile.name, 40)!r}"
        return f"from {_OPTION['api_key'][self.key_source]}"

    def launch_profile(self) -> Profile:
        """The profile the TUI makes active: the saved one, or a one-launch copy never saved.

        The copy keeps the saved profile's last assistant and thread only when the profile
        applies (same origin).
        """
        if not self.overridden and self.profile is not None:
            return self.profile
        fields: dict[str, object] = {
            "name": self.name,
            "base_url": self.base_url,
            "api_key": self.api_key,
            "extra_headers": dict(self.extra_headers),
            "assistants_path": self.assistants_path,
            "allow_insecure_http": self.allow_insecure,
            "use_environment_proxy": self.use_environment_proxy,
        }
        if self.profile is not None and self.profile_applies:
            fields["last_assistant_id"] = self.profile.last_assistant_id
            fields["last_thread_id"] = self.profile.last_thread_id
        return Profile.model_validate(fields)

    def client(
        self,
        *,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> AgentClient:
        """A new client for this connection (the caller closes it).

        ``auto`` starts with ``/assistants``; the first assistants search finds the name the
        server answers (:meth:`~bbot_tui.api.assistants.AssistantsClient.discover`).

        Args:
            timeout: httpx timeouts.
            transport: an httpx transport (tests).

        Raises:
            ConfigError: a bad URL or key, or a key over plain http to a remote host.
        """
        path: AssistantsPath = (
            likely_assistants_path(self.base_url)
            if self.assistants_path == "auto"
            else self.assistants_path
        )
        if self.api_key is not None:  # the key a client sends is masked in every log record
            register_secret(self.api_key.get_secret_value())
        return AgentClient(
            self.base_url,
            api_key=self.api_key,
            extra_headers=dict(self.extra_headers),
            assistants_path=path,
            allow_insecure=self.allow_insecure,
            timeout=timeout,
            transport=transport,
            trust_env=self.use_environment_proxy,
        )


def _base_profile(settings: Settings, name: str | None) -> Profile | None:
    if name is None:
        return settings.active()
    profile = settings.profiles.get(name)
    if profile is None:
        names = ", ".join(sorted(settings.profiles)) or "none saved"
        raise ConnectError(f"no profile named {one_line(name, 60)!r} ({names})", option="--profile")
    return profile


def _pick(flag: str | None, env: str | None) -> tuple[str | None, Source | None]:
    if flag is not None:
        return flag, "flag"
    if env is not None:
        return env, "environment"
    return None, None


def resolve_connection(
    settings: Settings,
    *,
    flags: Overrides | None = None,
    env: Overrides | None = None,
    profile: str | None = None,
) -> Connection:
    """Resolve the connection of one launch, field by field (see the module docstring).

    Args:
        settings: the loaded settings (not modified).
        flags: ``--url`` and ``--api-key`` (None: none given).
        env: ``BBOT_URL`` and ``BBOT_API_KEY`` (:func:`env_overrides`; None when the caller
            does not read the environment).
        profile: ``--profile``: a saved profile instead of the active one.

    Returns:
        The connection, with :attr:`Connection.notices` to show.

    Raises:
        ConnectError: an unknown profile, a malformed URL or key (naming the option it came
            from), or no server at all.
    """
    flags = flags or Overrides()
    env = env or Overrides()
    base = _base_profile(settings, profile)
    raw_url, url_source = _pick(flags.url, env.url)
    raw_key, key_source = _pick(flags.api_key, env.api_key)
    url: str | None = None
    if raw_url is not None and url_source is not None:
        try:
            url = normalize_base_url(raw_url)
        except ValueError as exc:
            raise ConnectError(
                str(exc), option=_OPTION["url"][url_source], source=url_source
            ) from None
    key: SecretStr | None = None
    if raw_key is not None and key_source is not None:
        try:
            key = SecretStr(normalize_api_key(raw_key))
        except ValueError as exc:
            raise ConnectError(
                str(exc), option=_OPTION["api_key"][key_source], source=key_source
            ) from None
        register_secret(key.get_secret_value())
    if url is None:
        if base is None:
            if key is not None:
                raise ConnectError(
                    "an API key was given but no server URL; pass a URL too (--url or BBOT_URL)",
                    option=_OPTION["api_key"][key_source or "flag"],
                    source=key_source,
                )
            raise ConnectError(
                "no server: pass --url URL (or set BBOT_URL), or save a profile in the TUI"
            )
        if key is None:
            return Connection.from_profile(base)
        return Connection(
            base_url=base.base_url,
            api_key=key,
            extra_headers=dict(base.extra_headers),
            assistants_path=base.assistants_path,
            allow_insecure=base.allow_insecure_http,
            use_environment_proxy=base.use_environment_proxy,
            profile=base,
            key_source=key_source,
        )
    assert url_source is not None
    if base is None:
        return Connection(url, key, url_source=url_source, key_source=key_source)
    if origin(url) == origin(base.base_url):
        return Connection(
            base_url=url,
            api_key=key if key is not None else base.api_key,
            extra_headers=dict(base.extra_headers),
            assistants_path=base.assistants_path if url == base.base_url else "auto",
            allow_insecure=base.allow_insecure_http,
            use_environment_proxy=base.use_environment_proxy,
            profile=base,
            url_source=url_source,
            key_source=key_source or ("profile" if base.api_key is not None else None),
        )
    notices: list[str] = []
    dropped = [
        what
        for what, present in (
            ("API key", base.api_key is not None and key is None),
            ("extra headers", bool(base.extra_headers)),
        )
        if present
    ]
    if dropped:
        verb = "is" if len(dropped) == 1 else "are"
        notices.append(
            f"profile {one_line(base.name, 40)!r}: its {' and '.join(dropped)} {verb} not sent to "
            f"{_origin_text(url)} (from {_OPTION['url'][url_source]}): a profile's key only goes "
            f"to the profile's own server, {_origin_text(base.base_url)}; for another server "
            "pass --api-key or set BBOT_API_KEY"
        )
    return Connection(
        base_url=url,
        api_key=key,
        use_environment_proxy=base.use_environment_proxy,
        profile=base,
        url_source=url_source,
        key_source=key_source,
        profile_applies=False,
        notices=tuple(notices),
    )
