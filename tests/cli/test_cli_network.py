"""The networks people really have: an HTTP proxy and a company CA, from the environment.

Every request goes through a real proxy on loopback that counts what passes
(``tests/support/countingproxy.py``): with ``HTTP_PROXY`` / ``ALL_PROXY`` set requests go
through it, without them none do, nor when the profile turns the environment off, nor for a
host in ``NO_PROXY``. Over https the proxy sees only ``CONNECT``: the key travels inside the
tunnel to the configured origin, an https server with its own CA that ``SSL_CERT_FILE`` names
(``tests/support/tlsorigin.py``).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_helpers import run_cli

from bbot_tui.api import errors
from bbot_tui.api.client import AgentClient
from bbot_tui.cli.common import EXIT_OK
from bbot_tui.config.network import environment_proxy, mask_proxy_url
from bbot_tui.config.settings import Profile, Settings, save_settings
from bbot_tui.session.connect import resolve_connection

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))
from countingproxy import CountingProxy
from tlsorigin import TlsOrigin

CANARY = "bbot_PROXYCANARY12345"
_VARIABLES = ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY", "SSL_CERT_FILE", "SSL_CERT_DIR")


@pytest.fixture(autouse=True)
def _no_network_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Start from an environment without proxies or CA settings (this machine sets some)."""
    for name in _VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


@pytest.fixture
def proxy() -> Iterator[CountingProxy]:
    with CountingProxy() as running:
        yield running


def _save_profile(url: str, *, use_environment_proxy: bool) -> None:
    profile = Profile(name="work", base_url=url, use_environment_proxy=use_environment_proxy)
    save_settings(Settings(profiles={"work": profile}, active_profile="work"))


def test_requests_go_through_the_proxy_of_the_environment(
    capsys: pytest.CaptureFixture[str],
    server_url: str,
    proxy: CountingProxy,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    r = run_cli(capsys, "assistants", "--url", server_url)
    assert r.code == EXIT_OK, r.err
    assert "chat" in r.out
    assert proxy.count >= 1
    assert all(seen.target.startswith(server_url + "/") for seen in proxy.seen)
    # a streamed run too: the events come back through the proxy
    before = proxy.count
    r = run_cli(capsys, "run", "--url", server_url, "--assistant", "chat", "--message", "via")
    assert r.code == EXIT_OK, r.err
    assert "You said: via." in r.out
    targets = [(s.method, s.target) for s in proxy.seen[before:]]
    assert any(m == "POST" and t.endswith("/runs/stream") for m, t in targets), targets


def test_all_proxy_is_used_too(
    capsys: pytest.CaptureFixture[str],
    server_url: str,
    proxy: CountingProxy,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ALL_PROXY", proxy.url)
    r = run_cli(capsys, "assistants", "--url", server_url)
    assert r.code == EXIT_OK, r.err
    assert proxy.count >= 1


def test_no_proxy_without_the_environment(
    capsys: pytest.CaptureFixture[str], server_url: str, proxy: CountingProxy
) -> None:
    r = run_cli(capsys, "assistants", "--url", server_url)
    assert r.code == EXIT_OK, r.err
    assert proxy.count == 0


def test_no_proxy_for_a_host_in_no_proxy(
    capsys: pytest.CaptureFixture[str],
    server_url: str,
    proxy: CountingProxy,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.setenv("NO_PROXY", "example.com,127.0.0.1")
    r = run_cli(capsys, "assistants", "--url", server_url)
    assert r.code == EXIT_OK, r.err
    assert proxy.count == 0
    assert environment_proxy(server_url) is None


def test_a_profile_can_turn_the_environment_off(
    capsys: pytest.CaptureFixture[str],
    server_url: str,
    proxy: CountingProxy,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    _save_profile(server_url, use_environment_proxy=False)
    r = run_cli(capsys, "assistants")
    assert r.code == EXIT_OK, r.err
    assert proxy.count == 0
    r = run_cli(capsys, "doctor")
    assert r.code == EXIT_OK, r.out
    assert proxy.count == 0 and "proxy" not in r.out
    # the same profile with the environment on goes through the proxy
    _save_profile(server_url, use_environment_proxy=True)
    r = run_cli(capsys, "assistants")
    assert r.code == EXIT_OK, r.err
    assert proxy.count >= 1


def test_doctor_names_the_proxy_without_its_password(
    capsys: pytest.CaptureFixture[str],
    server_url: str,
    proxy: CountingProxy,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with_password = proxy.url.replace("http://", "http://someone:hunter2@")
    monkeypatch.setenv("HTTP_PROXY", with_password)
    r = run_cli(capsys, "doctor", "--url", server_url)
    assert r.code == EXIT_OK, r.out
    masked = proxy.url.replace("http://", "http://***@")
    assert f"✓ proxy: requests go through {masked} (from the environment)" in r.out
    assert "hunter2" not in r.out + r.err
    assert proxy.count >= 1


async def test_over_https_the_proxy_sees_only_connect_and_the_key_reaches_the_origin(
    tmp_path: Path, proxy: CountingProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    with TlsOrigin(tmp_path / "tls") as origin:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        monkeypatch.setenv("SSL_CERT_FILE", str(origin.ca_file))
        async with AgentClient(origin.url, api_key=CANARY) as client:
            assert await client.ok() == {"ok": True}
    port = origin.url.rsplit(":", 1)[1]
    assert [(s.method, s.target) for s in proxy.seen] == [("CONNECT", f"127.0.0.1:{port}")]
    assert all(CANARY not in value for s in proxy.seen for value in s.headers.values())
    assert origin.seen[0]["bbot-api-key"] == CANARY


async def test_ssl_cert_file_is_what_makes_a_company_ca_trusted(
    tmp_path: Path, proxy: CountingProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    with TlsOrigin(tmp_path / "tls") as origin:
        # without SSL_CERT_FILE the test CA is unknown: a TLS failure, named as such
        async with AgentClient(origin.url) as client:
            with pytest.raises(errors.ConnectFailed) as caught:
                await client.ok()
        assert caught.value.kind == "tls"
        assert "unable to get local issuer certificate" in caught.value.message
        monkeypatch.setenv("SSL_CERT_FILE", str(origin.ca_file))
        async with AgentClient(origin.url) as client:
            assert await client.ok() == {"ok": True}
        # a profile that turns the environment off ignores SSL_CERT_FILE and the proxy
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        profile = Profile(name="p", base_url=origin.url, use_environment_proxy=False)
        conn = resolve_connection(Settings(profiles={"p": profile}, active_profile="p"))
        async with conn.client() as client:
            with pytest.raises(errors.ConnectFailed) as caught:
                await client.ok()
        assert caught.value.kind == "tls"
    assert proxy.count == 0


def test_a_socks_proxy_without_its_package_is_a_clear_config_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "socksio", None)  # as where httpx[socks] is missing
    monkeypatch.setenv("ALL_PROXY", "socks5://127.0.0.1:1")
    r = run_cli(capsys, "assistants", "--url", "http://127.0.0.1:9")
    assert r.code == 2
    assert "the proxy in the environment needs a package that is not installed" in r.err


def test_environment_proxy_follows_httpx_rules() -> None:
    proxies = {"https": "proxy:3128", "http": "http://u:p@proxy:8080", "no": ".corp,localhost"}
    assert environment_proxy("https://api.b-bot.space/v2", proxies) == "http://proxy:3128"
    assert environment_proxy("http://x.org", proxies) == "http://***@proxy:8080"
    assert environment_proxy("https://git.corp/api", proxies) is None
    assert environment_proxy("https://corp/api", proxies) == "http://proxy:3128"
    assert environment_proxy("http://localhost:2024", proxies) is None
    assert environment_proxy("http://x.org", {**proxies, "no": "*"}) is None
    assert environment_proxy("http://x.org", {"all": "http://p:1"}) == "http://p:1"
    assert mask_proxy_url("http://proxy:1") == "http://proxy:1"
