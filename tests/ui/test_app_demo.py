"""``bbot-tui demo``: the launcher's server, the demo app on it, and a missing ``demo`` extra.

One real demo server is started (the launcher's own ``demo_server``); the app built by
``make_demo_app`` is driven with Pilot like a new user would: the demo assistants are listed, a
message gets the streamed Markdown answer, nothing is written to the user's settings, and the
server is gone when the block ends, also when it ends with an exception.
"""

from __future__ import annotations

import io
import os

import pytest
from app_pilot import pick, run_started, send, settle, view_text, wait_for

from bbot_tui.cli import main as cli
from bbot_tui.config import paths
from bbot_tui.demo import launcher
from bbot_tui.demo.launcher import demo_server, make_demo_app, run_demo
from bbot_tui.tui.app import DEMO_PROFILE
from bbot_tui.tui.widgets.composer import Composer

DEMO_GRAPHS = {"demo_chat", "demo_tools", "demo_approval", "demo_subgraph", "demo_fail"}


class Crash(Exception):
    """Stands for the app crashing inside the launcher's ``with`` block."""


async def test_demo_server_app_and_clean_stop() -> None:
    progress = io.StringIO()
    started = []
    with pytest.raises(Crash), demo_server(progress) as server:
        started.append(server)
        assert server.url is not None and server.running
        app = make_demo_app(server.url)
        async with app.run_test(size=(120, 40)) as pilot:
            await app.ready.wait()
            screen = app.main_screen
            # a new user lands on the friendly chat, not on the newest (failing) demo
            await wait_for(pilot, lambda: screen.assistant is not None, "an assistant")
            assert screen.assistant is not None and screen.assistant.graph_id == "demo_chat"
            screen = await pick(pilot, "demo_chat")
            pane = screen.query_one("#assistant-pane")
            graphs = {a.graph_id for a in pane.assistants}  # type: ignore[attr-defined]
            assert graphs == DEMO_GRAPHS
            assert screen.status_bar.profile == DEMO_PROFILE
            assert isinstance(app.focused, Composer)
            await send(pilot, "hello")
            await wait_for(pilot, lambda: run_started(screen), "the run to start")
            await settle(pilot, screen)
            shown = view_text(screen)
            assert "Hello from the bbot-tui demo" in shown
            assert 'return f"Hello, {name}!"' in shown  # the code block
            assert "```" not in shown  # drawn as Markdown, not as source
            assert screen.status_bar.status == "done"
        raise Crash
    [server] = started
    assert not server.running
    assert server.process is not None and server.process.returncode is not None
    with pytest.raises(ProcessLookupError):
        os.kill(server.process.pid, 0)
    text = progress.getvalue()
    assert "starting the local demo server…" in text
    assert f"demo server ready at {server.url}" in text
    assert not paths.settings_path().exists()  # the demo saved nothing


def test_missing_demo_extra_prints_the_install_command(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def missing() -> None:
        raise RuntimeError("langgraph_cli is missing")

    monkeypatch.setattr(launcher, "check_installed", missing)
    out = io.StringIO()
    assert run_demo(out) == 1
    assert "pip install 'bbot-tui[demo]'" in out.getvalue()
    assert cli.main(["demo"]) == 1
    assert "pip install 'bbot-tui[demo]'" in capsys.readouterr().err


def test_progress_on_a_pipe_is_one_line_per_step() -> None:
    out = io.StringIO()
    progress = launcher.Progress("starting…", out).start()
    progress.stop("ready")
    assert out.getvalue() == "bbot-tui: starting…\nbbot-tui: ready\n"
