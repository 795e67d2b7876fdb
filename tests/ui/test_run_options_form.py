"""The run-options form and dialog: round trip, per-field errors, help line, save/cancel.

The last test sends the saved options to the real local server.
"""

from __future__ import annotations

from typing import Any

from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Input, SelectionList, Static, TextArea

from bbot_tui.api.client import AgentClient
from bbot_tui.session.run import RunSession
from bbot_tui.session.run_options import RunOptions
from bbot_tui.tui.resources import stylesheet
from bbot_tui.tui.screens.run_options import RunOptionsScreen
from bbot_tui.tui.widgets.run_options import RunOptionsForm

NODES = ["step1", "step2", "step3"]
EVERYTHING = RunOptions(
    mode="stateless",
    stream_mode=["values", "updates", "custom"],
    stream_subgraphs=True,
    stream_resumable=False,
    interrupt_before=["step2", "gone"],
    interrupt_after="*",
    resume_as_json=False,
    resume_text="yes",
    update_text='{"x": 1}',
    goto_text="step3",
    durability="exit",
    checkpoint_id="1f1e-abc",
    checkpoint_during=False,
    multitask_strategy="rollback",
    if_not_exists="create",
    on_disconnect="cancel",
    on_completion="keep",
    after_seconds=2.5,
    recursion_limit=9,
    tags=["t1", "t2"],
    configurable='{"tokens": 3}',
    context='{"delay": 0}',
    metadata='{"m": true}',
    webhook="https://example.com/h",
    feedback_keys=["k"],
)


class DialogApp(App[None]):
    """Opens the dialog at start and records what it returned."""

    CSS_PATH = [stylesheet("run_options.tcss")]

    def __init__(self, options: RunOptions | None = None, entity_id: str | None = None) -> None:
        super().__init__()
        self.options = options
        self.entity_id = entity_id
        self.results: list[RunOptions | None] = []

    def on_mount(self) -> None:
        screen = RunOptionsScreen(
            self.options, node_names=NODES, entity_id=self.entity_id, title="steps"
        )
        self.push_screen(screen, self.results.append)


def _text(app: App[Any], selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def test_every_option_round_trips_through_the_form() -> None:
    app = DialogApp(EVERYTHING)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        form = app.screen.query_one(RunOptionsForm)
        assert form.to_model() == EVERYTHING
        unknown = form.query_one("#opt-interrupt-before", SelectionList)
        assert "gone" in unknown.selected
        assert "not a node of this graph" in _text(app, "#breakpoint-warnings")
        form.load(RunOptions())
        await pilot.pause()
        assert form.to_model() == RunOptions()
        form.load(EVERYTHING)
        await pilot.pause()
        await pilot.press("ctrl+s")  # stateless + checkpoint_id/multitask is not a valid request
        await pilot.pause()
        assert app.results == []
        assert "not available in stateless mode" in _text(app, "#error-checkpoint-id")
        assert "not available in stateless mode" in _text(app, "#error-multitask-strategy")
        assert app.screen.query_one("#field-checkpoint-id").has_class("-invalid")


async def test_wrong_json_shows_its_field_error_and_nothing_is_saved() -> None:
    app = DialogApp(entity_id="ent-42")
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        editor = app.screen.query_one("#opt-configurable", TextArea)
        assert editor.text == '{"entity_id": "ent-42"}'  # pre-filled from the assistant
        typed = '{"entity_id": "ent-42",\n "tokens": }'
        editor.load_text(typed)
        app.screen.query_one("#opt-recursion-limit", Input).value = "0"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.results == [] and isinstance(app.screen, RunOptionsScreen)
        assert "line 2, column 12" in _text(app, "#error-configurable")
        assert editor.text == typed  # what the user typed is kept
        assert app.focused is editor
        assert _text(app, "#error-recursion-limit") == ""  # the model step failed first
        editor.load_text('{"entity_id": "ent-42", "tokens": 3}')
        await pilot.pause()
        assert not app.screen.query_one("#field-configurable").has_class("-invalid")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.results == []
        assert "greater than or equal to 1" in _text(app, "#error-recursion-limit")
        app.screen.query_one("#opt-recursion-limit", Input).value = "5"
        await pilot.press("ctrl+s")
        await pilot.pause()
        [saved] = app.results
        assert saved is not None and saved.recursion_limit == 5
        assert saved.configurable_value() == {"entity_id": "ent-42", "tokens": 3}


async def test_help_line_follows_focus_and_escape_cancels() -> None:
    app = DialogApp()
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        app.screen.query_one("#opt-durability").focus()
        await pilot.pause()
        assert _text(app, "#run-options-help") == RunOptions.help_for("durability")
        await pilot.press("tab")
        await pilot.pause()
        assert _text(app, "#run-options-help") == RunOptions.help_for("checkpoint_id")
        await pilot.press("escape")
        await pilot.pause()
        assert app.results == [None]


async def test_breakpoint_picked_with_the_keyboard() -> None:
    app = DialogApp()
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        picker = app.screen.query_one("#opt-interrupt-before", SelectionList)
        picker.focus()
        picker.highlighted = 0  # "*"
        await pilot.press("down", "down", "space")  # step1, then tick step2
        await pilot.press("ctrl+s")
        await pilot.pause()
        [saved] = app.results
        assert saved is not None and saved.interrupt_before == ["step2"]


async def test_saved_options_reach_the_server(
    server_url: str, assistant_ids: dict[str, str]
) -> None:
    app = DialogApp()
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        app.screen.query_one("#opt-configurable", TextArea).load_text('{"tokens": 3, "delay": 0}')
        app.screen.query_one("#opt-tags", Input).value = "form, test"
        await pilot.press("ctrl+s")
        await pilot.pause()
    [options] = app.results
    assert options is not None
    async with AgentClient(server_url) as client:
        thread = await client.threads.create()
        session = RunSession(client)
        body = options.build(
            assistant_ids["slow"], {"messages": [{"role": "user", "content": "hi"}]}
        )
        assert body.to_body()["config"] == {
            "tags": ["form", "test"],
            "configurable": {"tokens": 3, "delay": 0},
        }
        async for _ in session.run(body, thread_id=thread.thread_id):
            pass
        state = await client.threads.get_state(thread.thread_id)
        assert state.messages[-1]["content"] == "tok0 tok1 tok2"


def test_snapshot_form(snap_compare: Any) -> None:
    async def settle(pilot: Pilot[None]) -> None:
        await pilot.pause()
        pilot.app.screen.query_one("#opt-mode").focus()
        await pilot.pause()

    app = DialogApp(RunOptions(interrupt_before=["step2"]), entity_id="ent-42")
    assert snap_compare(app, terminal_size=(100, 34), run_before=settle)


def test_snapshot_form_with_an_error(snap_compare: Any) -> None:
    async def break_json(pilot: Pilot[None]) -> None:
        await pilot.pause()
        pilot.app.screen.query_one("#opt-context", TextArea).load_text('{"a": [1, 2,,]}')
        await pilot.press("ctrl+s")
        await pilot.pause()
        focused: Any = pilot.app.focused
        if hasattr(focused, "cursor_blink"):
            focused.cursor_blink = False  # a blinking cursor is drawn or not by timing
        await pilot.pause()

    assert snap_compare(DialogApp(), terminal_size=(100, 34), run_before=break_json)
