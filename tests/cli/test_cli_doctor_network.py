"""``bbot-tui doctor`` names what failed on the network: refused, DNS, timeout, TLS, reset.

A DNS failure used to be reported as "nothing is listening". Every case is on this machine:
a closed loopback port, a name under ``.invalid`` (reserved, never resolves), and loopback
listeners that hold, reset or answer in plain text (``tests/support/netfaults.py``).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import httpx
import pytest
from cli_helpers import closed_port_url, run_cli

from bbot_tui.api import errors
from bbot_tui.api.client import AgentClient
from bbot_tui.cli.common import EXIT_ERROR

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))
from netfaults import FaultyListener


def _reachable(r_out: str) -> tuple[str, str]:
    """The ``server reachable`` line's detail and its fix."""
    lines = r_out.splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith("✗ server reachable: "))
    return lines[index].removeprefix("✗ server reachable: "), lines[index + 1].strip()


def test_a_closed_port_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    url = closed_port_url()
    r = run_cli(capsys, "doctor", "--url", url)
    assert r.code == EXIT_ERROR
    detail, fix = _reachable(r.out)
    assert detail == f"nothing is listening at {url}"
    assert fix.startswith("fix: start the server")


def test_an_unresolvable_name_is_called_a_dns_failure(capsys: pytest.CaptureFixture[str]) -> None:
    r = run_cli(capsys, "doctor", "--url", "http://nonexistent.invalid")
    assert r.code == EXIT_ERROR
    detail, fix = _reachable(r.out)
    assert detail.startswith("the name nonexistent.invalid could not be resolved (DNS)")
    assert "nothing is listening" not in r.out
    assert "check the host name" in fix
    r = run_cli(capsys, "doctor", "--url", "http://nonexistent.invalid", "--json")
    checks = json.loads(r.out)["checks"]
    assert checks[-1]["name"] == "server reachable" and "(DNS)" in checks[-1]["detail"]


def test_a_port_that_accepts_and_never_answers_is_a_timeout(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        "bbot_tui.session.doctor.DOCTOR_TIMEOUT",
        httpx.Timeout(connect=2.0, read=0.5, write=2.0, pool=2.0),
    )
    with FaultyListener("silent") as listener:
        r = run_cli(capsys, "doctor", "--url", listener.url)
        assert listener.accepted >= 1
    assert r.code == EXIT_ERROR
    detail, fix = _reachable(r.out)
    assert detail == f"{listener.url} accepted the connection but sent no answer within 0.5 s"
    assert "nothing is listening" not in r.out
    assert "right port" in fix


def test_a_reset_connection_is_called_a_reset(capsys: pytest.CaptureFixture[str]) -> None:
    with FaultyListener("reset") as listener:
        r = run_cli(capsys, "doctor", "--url", listener.url)
    assert r.code == EXIT_ERROR
    detail, _ = _reachable(r.out)
    assert detail == f"{listener.url} accepted the connection, then closed it without answering"


def test_https_on_a_plain_port_is_a_tls_failure(capsys: pytest.CaptureFixture[str]) -> None:
    with FaultyListener("plain") as listener:
        url = f"https://127.0.0.1:{listener.port}"
        r = run_cli(capsys, "doctor", "--url", url)
    assert r.code == EXIT_ERROR
    detail, fix = _reachable(r.out)
    assert detail.startswith("the TLS handshake with 127.0.0.1 failed (")
    assert "wrong version number" in detail
    assert "use http://" in fix and "SSL_CERT_FILE" in fix


@pytest.mark.parametrize(
    ("make_url", "kind", "text"),
    [
        (lambda: closed_port_url(), "refused", "the connection was refused"),
        (lambda: "http://nonexistent.invalid", "dns", "could not be resolved (DNS)"),
    ],
)
async def test_the_client_error_says_what_failed(make_url: object, kind: str, text: str) -> None:
    assert callable(make_url)
    url = make_url()
    async with AgentClient(url) as client:
        with pytest.raises(errors.ConnectFailed) as caught:
            await client.ok()
    assert caught.value.kind == kind
    assert caught.value.message.startswith(f"could not connect to {url}: ")  # as the TUI shows
    assert text in caught.value.message


async def test_a_reset_mid_request_is_a_dropped_connection() -> None:
    with FaultyListener("reset") as listener:
        async with AgentClient(listener.url) as client:
            with pytest.raises(errors.TransportError) as caught:
                await client.ok()
    assert caught.value.kind == "reset"
