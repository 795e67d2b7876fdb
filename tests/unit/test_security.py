"""Tests for bbot_tui.config.security: key and URL normalization, masking and log redaction."""

from __future__ import annotations

import io
import logging

import pytest

from bbot_tui.config.security import (
    RedactingFilter,
    clear_secrets,
    cleartext_risk,
    install_log_redaction,
    is_loopback_url,
    mask_key,
    normalize_api_key,
    normalize_base_url,
    redact,
    register_secret,
    registered_secrets,
)

KEY = "bbot_9f8e7d6c5b4a39281706f5e4d3c2f3a9"


@pytest.fixture(autouse=True)
def _fresh_registry() -> None:
    clear_secrets()


# --------------------------------------------------------------------------- API keys


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (KEY, KEY),
        (f"  {KEY}\n", KEY),
        (f'"{KEY}"', KEY),
        (f"'{KEY}'", KEY),
        (f' "{KEY}" \r\n', KEY),
        ("local-anything", "local-anything"),
        ("'x'", "x"),
        (f"\"{KEY}'", f"\"{KEY}'"),  # mismatched quotes are part of the token
    ],
)
def test_normalize_api_key_accepts(raw: str, expected: str) -> None:
    assert normalize_api_key(raw) == expected


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ('""', "empty"),
        ("bbot_abc\ndef", "newline"),
        ("bbot_abc\tdef", "tab"),
        ("bbot_abc\x00def", "NUL"),
        ("bbot_abc\x1bdef", "U+001B"),
        ("bbot_abc\x7fdef", "U+007F"),
        ("bbot_abc\x9bdef", "control"),
        ("bbot_abcédef", "non-ASCII"),
        ("bbot_abc\u00a0def", "non-ASCII"),
        ("bbot_abc def", "space"),
    ],
)
def test_normalize_api_key_rejects_without_echoing(raw: str, fragment: str) -> None:
    with pytest.raises(ValueError) as info:
        normalize_api_key(raw)
    message = str(info.value)
    assert fragment in message
    assert "abc" not in message and "def" not in message


def test_normalize_api_key_reports_position() -> None:
    with pytest.raises(ValueError, match="position 9"):
        normalize_api_key("bbot_abc def")


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        (None, "(none)"),
        ("", "(none)"),
        (KEY, "bbot_…f3a9"),
        ("abcdefghij", "…ij"),
        ("abc", "…"),
    ],
)
def test_mask_key(key: str | None, expected: str) -> None:
    assert mask_key(key) == expected


@pytest.mark.parametrize("length", range(1, 80))
def test_mask_key_never_reveals_too_much(length: int) -> None:
    key = "".join(chr(ord("a") + i % 26) for i in range(length))
    shown = mask_key(key).replace("…", "")
    assert len(shown) <= 9
    assert len(shown) <= length / 3


# --------------------------------------------------------------------------- URLs


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("api.b-bot.space/v2", "https://api.b-bot.space/v2"),
        ("https://api.b-bot.space/v2/", "https://api.b-bot.space/v2"),
        ("  https://API.B-Bot.space/api/v2?x=1#frag  ", "https://api.b-bot.space/api/v2"),
        ("http://localhost:2024/", "http://localhost:2024"),
        ("HTTP://127.0.0.1:2024", "http://127.0.0.1:2024"),
        ("https://example.com:443/", "https://example.com"),
        ("http://example.com:8443", "http://example.com:8443"),
        ("http://[::1]:2024/v2", "http://[::1]:2024/v2"),
        ("localhost:2024", "https://localhost:2024"),
    ],
)
def test_normalize_base_url(raw: str, expected: str) -> None:
    assert normalize_base_url(raw) == expected


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("", "empty"),
        ("htp://x", "only http and https are supported"),
        ("ftp://example.com", "only http and https are supported"),
        ("file:///etc/passwd", "only http and https are supported"),
        ("javascript:alert(1)", "only http and https are supported"),
        ("http://[::1", "brackets"),
        ("http://a]b", "brackets"),
        ("http://", "no host"),
        ("https://x:99999", "port"),
        ("https://x:abc", "port"),
        ("https://x:0", "port"),
        ("https://exa mple.com", "spaces"),
        ("https://x\n.com", "control"),
        ("https://user:pw@example.com", "password"),
        ("http:example.com", "//"),
    ],
)
def test_normalize_base_url_rejects(raw: str, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        normalize_base_url(raw)


@pytest.mark.parametrize(
    ("url", "loopback"),
    [
        ("http://localhost:2024", True),
        ("http://LOCALHOST", True),
        ("http://127.0.0.1", True),
        ("http://127.5.6.7:80", True),
        ("http://[::1]:2024", True),
        ("http://[::ffff:127.0.0.1]", True),
        ("localhost:2024", True),
        ("http://128.0.0.1", False),
        ("http://localhost.evil.com", False),
        ("https://api.b-bot.space/v2", False),
        ("http://[::2]", False),
        ("not a url at all", False),
    ],
)
def test_is_loopback_url(url: str, loopback: bool) -> None:
    assert is_loopback_url(url) is loopback


@pytest.mark.parametrize(
    ("url", "has_key", "risk"),
    [
        ("http://api.b-bot.space/v2", True, True),
        ("http://10.0.0.5:2024", True, True),
        ("http://api.b-bot.space/v2", False, False),
        ("https://api.b-bot.space/v2", True, False),
        ("http://localhost:2024", True, False),
        ("http://127.0.0.1:2024", True, False),
        ("api.b-bot.space", True, False),  # becomes https
    ],
)
def test_cleartext_risk(url: str, has_key: bool, risk: bool) -> None:
    assert cleartext_risk(url, has_key) is risk


# --------------------------------------------------------------------------- redaction


def test_redact_known_secrets_and_patterns() -> None:
    text = (
        f"key={KEY} other=canary-XXXX-1234 ls=lsv2_pt_abcdef123456 short=ab "
        "live=bb_live_SUPERSECRET123 word=bbot_ok"
    )
    out = redact(text, ["canary-XXXX-1234", "ab", ""])
    assert KEY not in out
    assert "canary-XXXX-1234" not in out
    assert "lsv2_pt_abcdef123456" not in out
    assert "SUPERSECRET123" not in out
    assert "short=ab" in out  # secrets shorter than 4 characters are ignored
    assert "word=bbot_ok" in out  # too short to be a key
    assert "bbot_***" in out and "lsv2_***" in out


def test_redact_longest_secret_first() -> None:
    assert redact("token=abcd1234", ["abcd", "abcd1234"]) == "token=***"


def test_register_secret_ignores_short_and_duplicates() -> None:
    register_secret(None)
    register_secret("abc")
    register_secret("secret-one")
    register_secret("secret-one")
    register_secret("secret-longer-two")
    assert registered_secrets() == ("secret-longer-two", "secret-one")


def _capture_logger(name: str) -> tuple[logging.Logger, io.StringIO, logging.Handler]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(name)s %(message)s"))
    logger = logging.getLogger(name)
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    return logger, stream, handler


def test_redacting_filter_masks_message_args_and_exceptions() -> None:
    register_secret("canary-SECRET-value")
    logger, stream, handler = _capture_logger("bbot_tui.test.redact")
    handler.addFilter(RedactingFilter())
    try:
        logger.info("headers=%s", {"x-api-key": "canary-SECRET-value"})
        logger.info("bad format %s %s", "canary-SECRET-value")  # wrong arg count
        try:
            raise RuntimeError("Illegal header value b'canary-SECRET-value'")
        except RuntimeError:
            logger.exception("request failed with %s", KEY)
    finally:
        logger.removeHandler(handler)
    output = stream.getvalue()
    assert "canary-SECRET-value" not in output
    assert KEY not in output
    assert "RuntimeError" in output  # the traceback is kept, only redacted
    assert output.count("***") >= 4


def test_install_log_redaction_covers_httpx_and_root_handlers() -> None:
    register_secret("QUERYSECRET-123")
    root = logging.getLogger()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    root.addHandler(handler)
    httpx_logger = logging.getLogger("httpx")
    old_level = httpx_logger.level
    httpx_logger.setLevel(logging.INFO)
    try:
        install_log_redaction()
        install_log_redaction()  # idempotent
        assert sum(isinstance(f, RedactingFilter) for f in handler.filters) == 1
        assert any(isinstance(f, RedactingFilter) for f in httpx_logger.filters)
        assert any(isinstance(f, RedactingFilter) for f in logging.getLogger("httpcore").filters)
        httpx_logger.info('HTTP Request: GET http://h/ok?api_key=%s "200 OK"', "QUERYSECRET-123")
        logging.getLogger("bbot_tui.other").warning("key %s", KEY)
    finally:
        root.removeHandler(handler)
        httpx_logger.setLevel(old_level)
        for flt in list(httpx_logger.filters):
            httpx_logger.removeFilter(flt)
    output = stream.getvalue()
    assert "QUERYSECRET-123" not in output
    assert KEY not in output
    assert "api_key=***" in output
