"""``bbot-tui serve`` in a real browser: Debian's headless Chromium against the real local server.

The command is started as a process of its own (``-- tui --api-key CANARY``); the tests check
that every request without the launch's token gets 403 (the page, its script, the websocket),
that the page opened with the token runs the TUI, that a message typed into it streams an answer
from the real server (the answer is drawn in the page's terminal), that a screenshot shows it,
and that the canary key is in no byte the browser received (page, script, websocket frames) nor
in the served process's command line: it reaches that process through its environment. Every
process started (the server, its app processes, the browser) is stopped at the end.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from bbot_tui.cli.common import UsageError
from bbot_tui.cli.serve import TOKEN_COOKIE, app_command, is_loopback
from bbot_tui.config.settings import Profile, Settings, save_settings

CHROMEDRIVER = Path("/usr/bin/chromedriver")
CHROMIUM = Path("/usr/bin/chromium")
CANARY = "bbot_canary_7f3c2a9d51e84b06"
MESSAGE = "hello from the browser"
LIMIT = 60.0
_ESCAPES = re.compile(
    r"\x1b(\[[0-9;?<>=]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[()][0-9A-Za-z]|.)"
)


# --- no browser needed ---------------------------------------------------------------------------


def test_the_key_is_taken_out_of_the_served_command_line() -> None:
    assert app_command([]) == (["tui"], None)
    assert app_command(["--", "present", "demo.yaml", "--api-key", "K", "--url", "u"]) == (
        ["present", "demo.yaml", "--url", "u"],
        "K",
    )
    assert app_command(["--api-key=K2"]) == (["tui"], "K2")
    with pytest.raises(UsageError, match="only tui, present, demo"):
        app_command(["--", "run", "--message", "hi"])
    with pytest.raises(UsageError, match="needs a value"):
        app_command(["tui", "--api-key"])
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.0.2.7")


# --- the served app ------------------------------------------------------------------------------


@dataclass
class Served:
    """A running ``bbot-tui serve`` and what it printed."""

    process: subprocess.Popen[str]
    url: str
    lines: list[str] = field(default_factory=list)

    @property
    def base(self) -> str:
        return self.url.split("?", 1)[0].rstrip("/")


def _descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    out: list[int] = []
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def _group(pgid: int) -> list[int]:
    """The processes of process group ``pgid`` (the server and the apps it started)."""
    out: list[int] = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid and fields[0] != "Z":
                out.append(int(entry.name))
    return out


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""


@contextlib.contextmanager
def _serve(app_args: list[str], tmp_path: Path) -> Iterator[Served]:
    """Run ``bbot-tui serve -- APP_ARGS`` until the block ends, then stop all it started."""
    stderr = (tmp_path / "serve.err").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "bbot_tui", "serve", "--", *app_args],
        stdout=subprocess.PIPE,
        stderr=stderr,
        stdin=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    lines: list[str] = []
    got = threading.Event()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line.rstrip("\n"))
            got.set()

    threading.Thread(target=pump, daemon=True).start()
    try:
        assert got.wait(LIMIT), (tmp_path / "serve.err").read_text()
        match = re.search(r"(http://\S+\?token=\S+)", lines[0])
        assert match, lines
        yield Served(process, match.group(1), lines)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(20)
        if _group(process.pid):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)
        stderr.close()


@pytest.fixture
def served(server_url: str, assistant_ids: dict[str, str], tmp_path: Path) -> Iterator[Served]:
    """``bbot-tui serve -- tui --api-key CANARY`` with a profile on the chat graph."""
    save_settings(
        Settings(
            profiles={
                "local": Profile(
                    name="local", base_url=server_url, last_assistant_id=assistant_ids["chat"]
                )
            },
            active_profile="local",
        )
    )
    with _serve(["tui", "--api-key", CANARY], tmp_path) as running:
        yield running


def test_without_the_token_everything_is_403_and_the_page_sets_a_cookie(
    served: Served,
) -> None:
    base = served.base
    token = served.url.split("token=", 1)[1]
    assert served.url.startswith("http://127.0.0.1:")
    for path in ("/", "/?token=wrong", "/static/js/textual.js", "/ws", f"/?token={token}x"):
        r = httpx.get(base + path, timeout=10)
        assert r.status_code == 403, path
        assert "token" in r.text
    page = httpx.get(served.url, timeout=10)
    assert page.status_code == 200
    cookie = page.headers["set-cookie"]
    assert f"{TOKEN_COOKIE}={token}" in cookie
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert "fonts.googleapis" not in page.text and "https://" not in page.text
    script = httpx.get(base + "/static/js/textual.js", cookies={TOKEN_COOKIE: token}, timeout=10)
    assert script.status_code == 200
    # another site's page may not open the terminal, even with the cookie
    r = httpx.get(
        base + "/ws",
        cookies={TOKEN_COOKIE: token},
        headers={
            "Origin": "http://evil.example",
            "Connection": "Upgrade",
            "Upgrade": "websocket",
            "Sec-WebSocket-Version": "13",
            "Sec-WebSocket-Key": base64.b64encode(b"0123456789abcdef").decode(),
        },
        timeout=10,
    )
    assert r.status_code == 403
    for body in (page.text, script.text):
        assert CANARY not in body


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    """Headless Chromium from Debian's packages, recording the network (websocket frames)."""
    if not CHROMEDRIVER.exists() or not CHROMIUM.exists():
        pytest.fail(
            "needs Debian's chromium and chromium-driver "
            "(apt-get install -y chromium chromium-driver; .ci/run does it)"
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    profile = tempfile.mkdtemp(prefix="chromium-", dir=tmp_path)
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
        "--window-size=1200,800",
    ):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()


class Traffic:
    """What the browser received: every websocket frame (decoded) and every response URL."""

    def __init__(self, driver: Any) -> None:
        self.driver = driver
        self.frames: list[bytes] = []
        self.urls: list[str] = []

    def poll(self) -> None:
        for entry in self.driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            method = message.get("method")
            params = message.get("params", {})
            if method == "Network.webSocketFrameReceived":
                frame = params["response"]
                data = frame["payloadData"]
                raw = base64.b64decode(data) if frame.get("opcode") == 2 else data.encode()
                self.frames.append(raw)
            elif method == "Network.responseReceived":
                self.urls.append(params["response"]["url"])

    def screen(self) -> str:
        """The terminal output so far, escape sequences taken out."""
        text = b"".join(self.frames).decode("utf-8", "replace")
        return _ESCAPES.sub("", text)

    def wait_for(self, condition: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + LIMIT
        while time.monotonic() < deadline:
            self.poll()
            if condition():
                return
            time.sleep(0.2)
        shot = Path(tempfile.gettempdir()) / f"bbot-serve-{os.getpid()}.png"
        self.driver.save_screenshot(str(shot))
        raise AssertionError(f"gave up waiting for {what} (the page: {shot})")


def _thread_with(server_url: str, text: str) -> dict[str, Any] | None:
    """The newest thread whose first message is ``text``."""
    threads = httpx.post(
        f"{server_url}/threads/search",
        json={"limit": 50, "sort_by": "created_at", "sort_order": "desc"},
        timeout=10,
    ).json()
    for thread in threads:
        messages = (thread.get("values") or {}).get("messages") or []
        if messages and messages[0].get("content") == text:
            return dict(thread)
    return None


def test_the_page_runs_the_tui_and_a_typed_message_streams_an_answer(
    served: Served, browser: Any, server_url: str, tmp_path: Path
) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    # without the token: 403, in the browser too
    browser.get(served.base + "/")
    assert "403" in browser.find_element(By.TAG_NAME, "body").text

    traffic = Traffic(browser)
    browser.get(served.url)
    traffic.wait_for(lambda: "Message the assistant" in traffic.screen(), "the TUI's composer")
    traffic.wait_for(lambda: "chat" in traffic.screen(), "the chat assistant selected")
    # click into the composer (the bottom of the terminal), as a person would, then type
    screen = browser.find_element(By.CSS_SELECTOR, ".xterm-screen")
    height = screen.rect["height"]
    ActionChains(browser).move_to_element_with_offset(
        screen, screen.rect["width"] // 4, int(height / 2 - 70)
    ).click().perform()
    time.sleep(0.5)
    ActionChains(browser).send_keys(MESSAGE).send_keys(Keys.ENTER).perform()

    answer = f"You said: {MESSAGE}."
    traffic.wait_for(lambda: _thread_with(server_url, MESSAGE) is not None, "the thread")
    traffic.wait_for(lambda: answer in traffic.screen(), "the answer drawn in the page")
    thread = _thread_with(server_url, MESSAGE)
    assert thread is not None
    state = httpx.get(f"{server_url}/threads/{thread['thread_id']}/state", timeout=10).json()
    texts = [(m["type"], m["content"]) for m in state["values"]["messages"]]
    assert texts[0] == ("human", MESSAGE)
    assert texts[-1][0] == "ai" and str(texts[-1][1]).startswith(answer)

    shot = tmp_path / "serve.png"
    assert browser.save_screenshot(str(shot))
    assert shot.stat().st_size > 10_000

    # the key: in no byte the browser got, nor on the served process's command line
    traffic.poll()
    assert traffic.frames and CANARY.encode() not in b"".join(traffic.frames)
    assert CANARY not in browser.page_source
    web = [u for u in traffic.urls if u.startswith(("http:", "https:", "ws:", "wss:"))]
    assert web and all(u.startswith(served.base) for u in web), web  # nothing else fetched
    apps = [
        pid
        for pid in _descendants(served.process.pid)
        if b"bbot_tui" in _read(Path(f"/proc/{pid}/cmdline"))
    ]
    assert apps, "no served app process"
    for pid in apps:
        assert CANARY.encode() not in _read(Path(f"/proc/{pid}/cmdline"))
    environs = [_read(Path(f"/proc/{pid}/environ")) for pid in apps]
    assert any(f"BBOT_API_KEY={CANARY}".encode() in e for e in environs)
    assert CANARY not in "\n".join(served.lines)

    # Ctrl+C or SIGTERM stops the server and every app process it started
    served.process.send_signal(signal.SIGTERM)
    assert served.process.wait(20) == 0
    deadline = time.monotonic() + 10
    while _group(served.process.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _group(served.process.pid) == []


def test_presenter_mode_is_served_too(server_url: str, browser: Any, tmp_path: Path) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    script = tmp_path / "demo.yaml"
    script.write_text(
        "assistant: chat\ntitle: Served demo\nsteps:\n  - note: first words\n"
        "  - say: hi from the stage\n",
        encoding="utf-8",
    )
    with _serve(["present", str(script), "--url", server_url], tmp_path) as served:
        traffic = Traffic(browser)
        browser.get(served.url)
        traffic.wait_for(lambda: "first words" in traffic.screen(), "the presenter's note")
        screen = browser.find_element(By.CSS_SELECTOR, ".xterm-screen")
        ActionChains(browser).move_to_element(screen).click().perform()  # the page's focus
        time.sleep(0.5)
        ActionChains(browser).send_keys(" ").perform()
        answer = "You said: hi from the stage."
        traffic.wait_for(lambda: answer in traffic.screen(), "the answer drawn in the page")
        traffic.wait_for(lambda: "1/1" in traffic.screen(), "the step counter at 1/1")
        assert browser.save_screenshot(str(tmp_path / "present.png"))
