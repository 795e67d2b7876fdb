"""The user-side hostile cases of docs/PROTOCOL.md (U3–U9); U1 and U2 are in ``test_pty.py``.

Each case is answered where the app answers it: the link confirmation screen (U3), the JSON
fields' parser (U4), the run options' node check (U5), the session's reading of a thread's
state (U6), the composer and the send confirmation (U7), key and URL normalisation and the
client's cleartext guard (U8, U9).
"""

from __future__ import annotations

import pytest
from hostile import THREAD, HostileServer, json_response
from textual import events
from textual.app import App, ComposeResult
from textual.widgets import Static

from bbot_tui.api import errors
from bbot_tui.api.client import AgentClient
from bbot_tui.config.security import cleartext_risk, mask_key, normalize_api_key, normalize_base_url
from bbot_tui.session.jsontext import JsonTextError, parse_json_or_text, parse_json_text
from bbot_tui.session.run import RunSession
from bbot_tui.session.run_options import RunOptions
from bbot_tui.tui.screens.confirm import OpenUrlScreen, is_openable_url
from bbot_tui.tui.screens.main import CONFIRM_BYTES, parse_answer
from bbot_tui.tui.widgets.composer import PASTE_WARN_BYTES, Composer

# --- U3: deceptive links ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "openable"),
    [
        ("https://evil.example/login", True),
        ("http://good.example", True),
        ("file:///etc/passwd", False),
        ("javascript:alert(1)", False),
        ("https://evil.example/\x1b]0;x\x07", False),
        ("https://ok.example/a b", False),
    ],
)
async def test_u3_link_screen_shows_the_real_target_and_opens_only_http(
    url: str, openable: bool
) -> None:
    opened: list[str] = []

    class Host(App[None]):
        def open_url(self, url: str, *, new_tab: bool = True) -> None:
            opened.append(url)

    app = Host()
    async with app.run_test() as pilot:
        screen = OpenUrlScreen(url)
        result: list[bool] = []
        app.push_screen(screen, result.append)
        await pilot.pause()
        shown = str(screen.query_one("#url", Static).render())
        assert "\x1b" not in shown
        assert shown.startswith(url.split("\x1b")[0].split(" ")[0][:20])
        assert screen.focused is not None and screen.focused.id == "cancel"  # not the default
        assert bool(screen.query("#open")) is openable
        await pilot.press("enter")  # Enter presses the focused Cancel
        await pilot.pause()
        assert result == [False]
    assert opened == []
    assert is_openable_url(url) is openable


# --- U4: invalid JSON in the resume/update fields ----------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [('{"approve": yes}', 1, 13), ('{"a": 1,}', 1, 9), ('{\n  "a": [1, 2\n}', 3, 1)],
)
def test_u4_invalid_json_names_line_and_column(text: str, line: int, column: int) -> None:
    with pytest.raises(JsonTextError) as info:
        parse_json_text(text)
    assert (info.value.line, info.value.column) == (line, column)
    assert f"line {line}, column {column}" in str(info.value)


def test_u4_bare_word_is_sent_as_a_string_only_when_asked() -> None:
    with pytest.raises(JsonTextError):
        parse_json_or_text("yes", as_json=True)
    assert parse_json_or_text("yes", as_json=False) == "yes"
    assert parse_answer("yes") == "yes"
    assert parse_answer('{"approve": true}') == {"approve": True}
    with pytest.raises(JsonTextError, match="nested too deeply"):
        parse_json_text("[" * 100_000 + "]" * 100_000)


# --- U5: unknown node names in breakpoints -----------------------------------------------


def test_u5_unknown_breakpoint_nodes_are_warned_about() -> None:
    options = RunOptions(interrupt_before=["talk", "no_such_node"], interrupt_after=["tallk"])
    warnings = options.validate_nodes(["talk", "tools"])
    assert len(warnings) == 2
    assert "'no_such_node' is not a node of this graph" in warnings[0]
    assert "'tallk'" in warnings[1]
    assert RunOptions(interrupt_before="*").validate_nodes(["talk"]) == []


# --- U6: resume when nothing is pending ------------------------------------------------


@pytest.mark.parametrize(
    ("state", "stop"),
    [
        ({"values": {"messages": []}, "next": [], "tasks": []}, None),
        (
            {
                "values": {"messages": []},
                "next": ["talk"],
                "tasks": [{"id": "t", "name": "talk", "error": "CancelledError()"}],
            },
            "cancelled",
        ),
        (
            {
                "values": {"messages": []},
                "next": ["approve"],
                "tasks": [{"id": "t", "name": "approve", "interrupts": []}],
                "interrupts": [{"id": "i1", "value": {"question": "ok?"}}],
            },
            "question",
        ),
    ],
    ids=["nothing-pending", "cancelled-not-a-question", "real-question"],
)
async def test_u6_resume_is_offered_only_for_a_real_pending_interrupt(
    hostile: HostileServer, state: dict, stop: str | None
) -> None:
    hostile.route("GET", rf"/threads/{THREAD}/state", [json_response(200, state)])
    async with AgentClient(hostile.url) as client:
        session = RunSession(client)
        await session.load_thread(THREAD)
    transcript = session.transcript
    assert transcript.stop == stop
    assert bool(transcript.interrupts) is (stop == "question")


# --- U7: huge pasted input -------------------------------------------------------------


async def test_u7_huge_paste_warns_and_stays_editable() -> None:
    class Host(App[None]):
        def compose(self) -> ComposeResult:
            yield Composer(id="composer")

    app = Host()
    async with app.run_test() as pilot:
        composer = app.query_one(Composer)
        composer.focus()
        big = "x" * (PASTE_WARN_BYTES + 1) + "\x1b[2J"
        composer.post_message(events.Paste(big))
        await pilot.pause()
        notes = [n.message for n in app._notifications]
        assert any("Pasted" in note and "Large inputs" in note for note in notes)
        assert len(composer.text) >= PASTE_WARN_BYTES
    assert CONFIRM_BYTES == 2_000_000  # above it, sending asks first (screens/main.py)


# --- U8: pasted API keys ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("  bbot_abcdef123456\n", "bbot_abcdef123456"),
        ('"bbot_abcdef123456" ', "bbot_abcdef123456"),
        ("'lsv2_pt_xyz'", "lsv2_pt_xyz"),
    ],
)
def test_u8_pasted_key_is_trimmed(raw: str, clean: str) -> None:
    assert normalize_api_key(raw) == clean


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("bbot_abc\ndef", "control character (a newline) at position 9"),
        ("bbot_abcé", "non-ASCII character (U+00E9) at position 9"),
        ("bbot abc", "a space at position 5"),
        ("   ", "empty"),
    ],
)
def test_u8_bad_key_is_rejected_without_echoing_it(raw: str, problem: str) -> None:
    with pytest.raises(ValueError) as info:
        normalize_api_key(raw)
    assert problem in str(info.value)
    assert "bbot_abc" not in str(info.value)
    if not raw.strip():
        return  # a blank key field means "no key" for the client
    with pytest.raises(errors.ConfigError) as config_info:
        AgentClient("http://127.0.0.1:9", api_key=raw)
    assert "bbot_abc" not in str(config_info.value)


def test_u8_key_preview_is_masked() -> None:
    key = "bbot_live_0123456789abcdefghijKLMN"
    preview = mask_key(key)
    assert preview == "bbot_…KLMN"
    assert key not in preview


# --- U9: bad server URLs ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("api.b-bot.space/v2", "https://api.b-bot.space/v2"),
        ("https://api.b-bot.space/v2/", "https://api.b-bot.space/v2"),
        ("htp://x", "only http and https"),
        ("http://[::1", "brackets"),
        ("http://", "no host name"),
        ("https://user:pw@host", "user name or password"),
        ("http://host:99999", "port"),
    ],
)
def test_u9_server_url_is_normalised_or_rejected(raw: str, expected: str) -> None:
    if expected.startswith("https://"):
        assert normalize_base_url(raw) == expected
        return
    with pytest.raises(ValueError, match=expected.replace("[", r"\[")):
        normalize_base_url(raw)
    with pytest.raises(errors.ConfigError):
        AgentClient(raw)


def test_u9_plain_http_to_a_remote_host_needs_consent_for_a_key() -> None:
    assert cleartext_risk("http://api.b-bot.space/v2", True)
    assert not cleartext_risk("http://127.0.0.1:2024", True)
    assert not cleartext_risk("http://[::1]:2024", True)
    assert not cleartext_risk("http://api.b-bot.space/v2", False)
    with pytest.raises(errors.ConfigError, match="plain http"):
        AgentClient("http://api.b-bot.space/v2", api_key="bbot_canary_123456")
    AgentClient("http://api.b-bot.space/v2", api_key="bbot_canary_123456", allow_insecure=True)
    AgentClient("http://api.b-bot.space/v2")  # no key: nothing to leak
