"""Pure helpers for API keys, server URLs and log redaction.

Nothing here touches the network or the UI. The rules (docs/PROTOCOL.md, hostile cases U8/U9 and
"Secrets"):

* U8: a pasted key is stripped of surrounding whitespace and one layer of quotes; control
  characters, non-ASCII and inner whitespace are rejected with a message that says what is
  wrong without ever repeating the key.
* U9: a server URL gets ``https://`` when it has no scheme; only http and https are accepted;
  plain http to a non-loopback host while a key is set is a *cleartext risk*.
* §6.5: log records are redacted (known secrets and ``bbot_…``/``lsv2_…`` tokens) before any
  handler sees them, including the ``httpx`` and ``httpcore`` loggers that print full URLs.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import threading
from collections.abc import Iterable
from typing import Literal, TypeAlias, get_args
from urllib.parse import SplitResult, urlsplit

import httpx

__all__ = [
    "RESERVED_HEADERS",
    "RedactingFilter",
    "ReservedHeader",
    "clear_secrets",
    "cleartext_risk",
    "install_log_redaction",
    "is_loopback_url",
    "mask_key",
    "normalize_api_key",
    "normalize_base_url",
    "redact",
    "register_secret",
    "registered_secrets",
]

ReservedHeader: TypeAlias = Literal["bbot-api-key", "x-api-key", "authorization"]
"""The headers that carry a key: only the key field sets one, never the extra headers."""
RESERVED_HEADERS: frozenset[str] = frozenset(get_args(ReservedHeader))
"""The names of :data:`ReservedHeader` (lower case, as compared)."""

REDACTED = "***"
"""What a redacted secret is replaced with."""

MIN_SECRET_LENGTH = 4
"""Shorter registered secrets are ignored: masking "ab" everywhere would garble logs."""

_KEY_PATTERNS = re.compile(r"(bbot_|lsv2_|bb_live_|bb_test_)[A-Za-z0-9_\-]{6,}")
_CONTROL_NAMES = {"\n": "a newline", "\r": "a carriage return", "\t": "a tab", "\x00": "a NUL"}
_SCHEME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")
_BARE_SCHEME_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):(?!\d)")
_DEFAULT_PORTS = {"http": 80, "https": 443}


# --------------------------------------------------------------------------- API keys


def _describe_char(ch: str) -> str:
    return _CONTROL_NAMES.get(ch, f"U+{ord(ch):04X}")


def normalize_api_key(raw: str) -> str:
    """Clean up a pasted API key and check that it can be sent as a header value.

    Surrounding whitespace and one layer of matching quotes (``'…'`` or ``"…"``) are removed.
    Any printable ASCII token is accepted (B-Bot keys start with ``bbot_``, local servers accept
    anything).

    Args:
        raw: The key as typed, pasted or read from a file or the environment.

    Returns:
        The normalized key.

    Raises:
        ValueError: If the key is empty or contains a control character, a non-ASCII character
            or inner whitespace. The message names the problem and its position, never the key.
    """
    key = raw.strip()
    if len(key) >= 2 and key[0] == key[-1] and key[0] in "'\"":
        key = key[1:-1].strip()
    if not key:
        raise ValueError("API key is empty")
    for pos, ch in enumerate(key, start=1):
        code = ord(ch)
        if code < 0x20 or 0x7F <= code <= 0x9F:
            raise ValueError(
                f"API key contains a control character ({_describe_char(ch)}) at position {pos}"
            )
        if code > 0x7E:
            raise ValueError(
                f"API key contains a non-ASCII character ({_describe_char(ch)}) at position {pos};"
                " keys are plain ASCII"
            )
        if ch == " ":
            raise ValueError(f"API key contains a space at position {pos}")
    return key


def mask_key(key: str | None) -> str:
    """Return a short preview of a key that is safe to display.

    Keys of 27 characters or more show the first 5 and last 4 characters (``bbot_…f3a9``);
    keys of 6 to 26 characters show ``…`` and the last 2; shorter keys show only ``…``. The
    preview never reveals more than 9 characters nor more than a third of the key.

    Args:
        key: The key, or None.

    Returns:
        The masked preview, or ``"(none)"`` when there is no key.
    """
    if not key:
        return "(none)"
    if len(key) >= 27:
        shown = key[:5] + "…" + key[-4:]
    elif len(key) >= 6:
        shown = "…" + key[-2:]
    else:
        shown = "…"
    return "".join(ch if ch == "…" or 0x20 < ord(ch) < 0x7F else "?" for ch in shown)


# --------------------------------------------------------------------------- URLs


def _split(url: str) -> SplitResult:
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises ValueError on a bad port
    except ValueError as exc:
        detail = str(exc)
        if "IPv6" in detail or "[" in url or "]" in url:
            raise ValueError("invalid URL: unbalanced or misplaced brackets in the host") from None
        if "Port" in detail or "port" in detail:
            raise ValueError("invalid URL: the port must be a number from 1 to 65535") from None
        raise ValueError(f"invalid URL: {detail}") from None
    return parts


def normalize_base_url(raw: str) -> str:
    """Validate a server base URL and bring it to a canonical form.

    ``https://`` is added when no scheme is given; only http and https are accepted. The host is
    lowercased, a default port is dropped, the path is kept without its trailing slash (so
    ``https://api.b-bot.space/v2/`` becomes ``https://api.b-bot.space/v2``), and any query or
    fragment is dropped.

    Args:
        raw: The URL as typed.

    Returns:
        The normalized URL.

    Raises:
        ValueError: If the URL is empty, has another scheme, no host, an invalid port,
            misplaced brackets, embedded credentials, whitespace or control characters.
    """
    url = raw.strip()
    if not url:
        raise ValueError("server URL is empty")
    if any(ord(ch) < 0x21 or 0x7F <= ord(ch) <= 0x9F for ch in url):
        raise ValueError("server URL must not contain spaces or control characters")
    if not _SCHEME_RE.match(url):
        # "mailto:x" or "javascript:…" carry a scheme without "//"; "localhost:2024" and
        # "api.example:8443" are host:port pairs.
        prefix = _BARE_SCHEME_RE.match(url)
        if prefix and prefix.group(1).lower() != "localhost" and "." not in prefix.group(1):
            if prefix.group(1).lower() in _DEFAULT_PORTS:
                raise ValueError(f"invalid URL: expected '//' after '{prefix.group(1)}:'")
            raise ValueError("only http and https are supported")
        url = "https://" + url
    parts = _split(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise ValueError("only http and https are supported")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise ValueError("server URL must not contain a user name or password; use the API key")
    host = parts.hostname
    if not host or not any(ch.isalnum() for ch in host):
        raise ValueError("server URL has no host name")
    port = parts.port
    if port == 0:
        raise ValueError("invalid URL: the port must be a number from 1 to 65535")
    netloc_host = f"[{host}]" if ":" in host else host
    netloc = netloc_host
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        netloc = f"{netloc_host}:{port}"
    path = parts.path.rstrip("/")
    result = f"{scheme}://{netloc}{path}"
    try:
        checked = httpx.URL(result)
    except (httpx.InvalidURL, ValueError, TypeError) as exc:
        raise ValueError(f"invalid URL: {exc}") from None
    if not checked.host:
        raise ValueError("server URL has no host name")
    return result


def _host_of(url: str) -> str | None:
    try:
        return urlsplit(normalize_base_url(url)).hostname
    except ValueError:
        return None


def is_loopback_url(url: str) -> bool:
    """Tell whether a URL points at this machine.

    Args:
        url: A server URL (normalized or not).

    Returns:
        True for ``localhost`` (and ``*.localhost``), 127.0.0.0/8, ``::1`` and IPv4-mapped
        loopback addresses; False otherwise, including for invalid URLs.
    """
    host = _host_of(url)
    if host is None:
        return False
    host = host.rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        addr = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return addr.ipv4_mapped.is_loopback
    return addr.is_loopback


def cleartext_risk(url: str, has_key: bool) -> bool:
    """Tell whether using this URL would send an API key unencrypted over the network.

    Args:
        url: The server URL.
        has_key: Whether a key would be sent.

    Returns:
        True when the scheme is http, the host is not loopback and a key is set. An invalid URL
        gives False (it is rejected elsewhere and no request is made).
    """
    if not has_key:
        return False
    try:
        normalized = normalize_base_url(url)
    except ValueError:
        return False
    return normalized.startswith("http://") and not is_loopback_url(normalized)


# --------------------------------------------------------------------------- redaction

_secrets: set[str] = set()
_secrets_lock = threading.Lock()
_secrets_sorted: tuple[str, ...] = ()


def register_secret(value: str | None) -> None:
    """Add a value to the registry that :class:`RedactingFilter` masks in every log record.

    Args:
        value: The secret; None, empty and very short values (< 4 characters) are ignored.
    """
    global _secrets_sorted
    if not value or len(value) < MIN_SECRET_LENGTH:
        return
    with _secrets_lock:
        if value not in _secrets:
            _secrets.add(value)
            _secrets_sorted = tuple(sorted(_secrets, key=len, reverse=True))


def clear_secrets() -> None:
    """Forget every registered secret (for tests and profile switches)."""
    global _secrets_sorted
    with _secrets_lock:
        _secrets.clear()
        _secrets_sorted = ()


def registered_secrets() -> tuple[str, ...]:
    """Return the registered secrets, longest first.

    Returns:
        A snapshot of the registry.
    """
    return _secrets_sorted


def redact(text: str, secrets: Iterable[str]) -> str:
    """Mask secrets and anything that looks like a B-Bot or LangSmith key in a string.

    Args:
        text: The text to clean (a log line, an error message, an export).
        secrets: Exact values to replace with ``***``; values shorter than 4 characters are
            ignored. Longer secrets are replaced first, so a secret containing another is fully
            masked.

    Returns:
        The text with every occurrence of each secret replaced by ``***`` and every
        ``bbot_…``, ``lsv2_…``, ``bb_live_…`` or ``bb_test_…`` token replaced by its prefix
        followed by ``***``.
    """
    unique = {s for s in secrets if s and len(s) >= MIN_SECRET_LENGTH}
    for secret in sorted(unique, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, REDACTED)
    return _KEY_PATTERNS.sub(lambda m: m.group(1) + REDACTED, text)


class RedactingFilter(logging.Filter):
    """A logging filter that redacts registered secrets and key-like tokens.

    The message is formatted (``msg % args``) and redacted, the args are cleared, and any
    exception or stack text is pre-formatted and redacted too (``exc_info`` is dropped so that
    handlers such as Rich's cannot re-render locals that may hold the key). The filter never
    drops a record and never raises.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact ``record`` in place.

        Args:
            record: The record about to be handled.

        Returns:
            Always True.
        """
        secrets = _secrets_sorted
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not break logging
            message = f"{record.msg!s} {record.args!r}"
        record.msg = redact(message, secrets)
        record.args = None
        if record.exc_info:
            try:
                text = logging.Formatter().formatException(record.exc_info)
            except Exception:
                text = repr(record.exc_info[1])
            record.exc_text = redact(text, secrets)
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = redact(record.exc_text, secrets)
        if record.stack_info:
            record.stack_info = redact(record.stack_info, secrets)
        return True


def _attach(target: logging.Logger | logging.Handler) -> None:
    if not any(isinstance(f, RedactingFilter) for f in target.filters):
        target.addFilter(RedactingFilter())


def install_log_redaction() -> None:
    """Attach a :class:`RedactingFilter` where secrets could leak into logs.

    The filter goes on every handler of the root logger (call this after logging is configured;
    it is idempotent, so call it again after adding handlers) and on the ``httpx`` and
    ``httpcore`` loggers and their existing child loggers, because httpx logs full request URLs
    at INFO.
    """
    root = logging.getLogger()
    for handler in root.handlers:
        _attach(handler)
    names = ["httpx", "httpcore"]
    names += [
        name
        for name in list(logging.Logger.manager.loggerDict)
        if name.startswith(("httpx.", "httpcore."))
    ]
    for name in names:
        _attach(logging.getLogger(name))
