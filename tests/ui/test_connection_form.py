"""The connection screen (F3) as a new user meets it, against the real local server.

Each test here reproduces a bug seen by a new user (it failed before its fix).
"""

from __future__ import annotations

from pathlib import Path

from app_pilot import ready, settings_for, wait_for
from textual.widgets import Input, Label, Static

from bbot_tui.config.security import registered_secrets
from bbot_tui.config.settings import save_settings
from bbot_tui.tui.app import make_app
from bbot_tui.tui.screens.connection import ConnectionScreen


async def _open_form(pilot, app) -> ConnectionScreen:  # type: ignore[no-untyped-def]
    await ready(pilot)
    await pilot.press("f3")
    await wait_for(pilot, lambda: isinstance(app.screen, ConnectionScreen), "the form")
    await pilot.pause()
    return app.screen  # type: ignore[no-any-return]


async def test_values_typed_into_a_cancelled_form_are_not_secrets(
    server_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "settings.json"
    save_settings(settings_for(server_url), path)
    app = make_app(None, settings_path=path)
    typed = "https://typed-into-the-key-field.example"
    async with app.run_test(size=(140, 42)) as pilot:
        form = await _open_form(pilot, app)
        form.query_one("#api_key", Input).value = typed
        await pilot.press("ctrl+t")  # the test validates the form
        result = form.query_one("#test-result", Static)
        await wait_for(pilot, lambda: "Connection" in str(result.render()), "the test result")
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, ConnectionScreen), "closed")
    assert typed not in registered_secrets()


async def test_the_test_result_is_visible_without_scrolling(
    server_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "settings.json"
    save_settings(settings_for(server_url), path)
    app = make_app(None, settings_path=path)
    async with app.run_test(size=(140, 42)) as pilot:
        form = await _open_form(pilot, app)
        await pilot.press("ctrl+t")
        result = form.query_one("#test-result", Static)
        await wait_for(pilot, lambda: "Connection works" in str(result.render()), "the result")
        await pilot.pause()
        dialog = form.query_one("#connection-dialog")
        # the whole result lies inside the dialog as drawn: no scrolling needed to read it
        assert result.region.height > 0
        assert dialog.region.contains_region(result.region), (result.region, dialog.region)
        visible = app.screen.find_widget(result)  # raises if it is not on screen
        assert visible.region == result.region


async def test_name_errors_are_worded_for_people(server_url: str, tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    save_settings(settings_for(server_url), path)
    app = make_app(None, settings_path=path)
    async with app.run_test(size=(140, 42)) as pilot:
        form = await _open_form(pilot, app)
        error = form.query_one("#name-error", Label)
        for name, expected in [
            ("", "Give the profile a name"),
            ("x" * 120, "at most 100 characters"),
            ("(demo)", "reserved"),
        ]:
            form.query_one("#name", Input).value = name
            await pilot.press("ctrl+s")
            await pilot.pause()
            text = str(error.render())
            assert expected in text, text
            assert "String should" not in text and "Value error" not in text
        assert isinstance(app.screen, ConnectionScreen)  # nothing was saved
