"""The interrupt card against the real local server: every shape answered, breakpoints, cancel.

A tiny harness app mounts the card; the test starts a run through ``RunSession``, gives the
card the transcript, works the card's controls with the keyboard, and the harness sends the
``ResumeRequested`` command (or the ``ContinueRequested`` continue) through ``RunSession.run``
like the main screen does. The graph's final message says what it received.
"""

from __future__ import annotations

from typing import Any

from textual import on, work
from textual.app import App, ComposeResult
from textual.widgets import Button, Input, RadioSet, TextArea

from bbot_tui.api.client import AgentClient
from bbot_tui.api.models import Command
from bbot_tui.session.run import RunSession
from bbot_tui.session.run_options import RunOptions
from bbot_tui.tui.resources import stylesheet
from bbot_tui.tui.widgets.interrupt_card import InterruptCard
from bbot_tui.tui.widgets.interrupt_item import InterruptItem

HELLO = {"messages": [{"role": "user", "content": "hello"}]}


class CardHarness(App[None]):
    """The card, and the part of the main screen that turns its messages into runs."""

    CSS_PATH = [stylesheet("interrupt_card.tcss")]

    def __init__(self, client: AgentClient, assistant_id: str, thread_id: str, **opts: Any) -> None:
        super().__init__()
        self.session = RunSession(client)
        self.assistant_id = assistant_id
        self.thread_id = thread_id
        self.options = RunOptions(**opts)
        self.sent: list[Command | None] = []

    def compose(self) -> ComposeResult:
        yield InterruptCard()

    @property
    def card(self) -> InterruptCard:
        return self.query_one(InterruptCard)

    async def start(self, input: Any) -> None:
        body = self.options.build(self.assistant_id, input)
        async for _ in self.session.run(body, thread_id=self.thread_id):
            pass
        self.card.transcript = self.session.transcript

    @on(InterruptCard.ResumeRequested)
    def _resume(self, event: InterruptCard.ResumeRequested) -> None:
        self.sent.append(event.command)
        self.send(event.command)

    @on(InterruptCard.ContinueRequested)
    def _continue(self) -> None:
        self.sent.append(None)
        self.send(None)

    @work(exclusive=True, group="run", exit_on_error=False)
    async def send(self, command: Command | None) -> None:
        body = self.options.build(self.assistant_id, None, command)
        async for _ in self.session.run(body, thread_id=self.thread_id):
            pass
        self.card.transcript = self.session.transcript


async def _last_ai(client: AgentClient, thread_id: str) -> str:
    state = await client.threads.get_state(thread_id)
    ai = [m for m in state.messages if m.get("type") == "ai"]
    return str(ai[-1]["content"]) if ai else ""


async def _choose(pilot: Any, radio_id: str, steps: int) -> None:
    """Pick the option ``steps`` to the right of the first, with the keyboard."""
    pilot.app.query_one(f"#{radio_id}", RadioSet).focus()
    await pilot.pause()
    await pilot.press("enter", *["right"] * steps, "enter")


async def _harness(server_url: str, graph: str, assistant_ids: dict[str, str], **opts: Any):
    client = AgentClient(server_url)
    thread = await client.threads.create()
    return client, CardHarness(client, assistant_ids[graph], thread.thread_id, **opts)


async def test_legacy_respond_through_the_card(
    server_url: str, assistant_ids: dict[str, str]
) -> None:
    client, app = await _harness(server_url, "legacy_hitl", assistant_ids)
    async with client, app.run_test(size=(100, 40)) as pilot:
        await app.start(HELLO)
        await pilot.pause()
        assert app.card.display and app.session.transcript.stop == "question"
        [item] = app.card.query(InterruptItem)
        assert item.shape == "legacy"
        await _choose(pilot, "q0-kind-0", 2)  # accept, edit, respond
        assert item.kind(0) == "response"
        app.query_one("#q0-text-0", Input).focus()
        await pilot.press(*"later", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.sent == [Command(resume=[{"type": "response", "args": "later"}])]
        assert await _last_ai(client, app.thread_id) == 'decision: response "later"'
        assert app.session.transcript.stop is None and not app.card.display


async def test_legacy_edit_shows_the_command_before_sending(
    server_url: str, assistant_ids: dict[str, str]
) -> None:
    client, app = await _harness(server_url, "legacy_hitl", assistant_ids)
    async with client, app.run_test(size=(100, 40)) as pilot:
        await app.start(HELLO)
        await pilot.pause()
        await _choose(pilot, "q0-kind-0", 1)
        editor = app.query_one("#q0-args-0", TextArea)
        assert editor.display
        editor.load_text('{"to": "x@y.z",\n "body": }')
        await pilot.pause()
        assert "line 2, column 10" in str(app.query_one("#interrupt-error").render())
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.sent == []  # nothing sent while the JSON is wrong
        editor.load_text('{"to": "x@y.z", "body": "bye"}')
        await pilot.pause()
        preview = str(app.query_one("#interrupt-preview").render())
        assert '"type": "edit"' in preview and '"to": "x@y.z"' in preview
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        expected = 'decision: edit {"action": "send_email", "args": {"body": "bye", "to": "x@y.z"}}'
        assert await _last_ai(client, app.thread_id) == expected


async def test_hitl_v1_reject_with_a_message(
    server_url: str, assistant_ids: dict[str, str]
) -> None:
    client, app = await _harness(server_url, "hitl_v1", assistant_ids)
    async with client, app.run_test(size=(100, 40)) as pilot:
        await app.start(HELLO)
        await pilot.pause()
        assert app.card.query_one(InterruptItem).shape == "hitl_v1"
        await _choose(pilot, "q0-kind-0", 2)  # approve, edit, reject
        app.query_one("#q0-text-0", Input).focus()
        await pilot.press(*"too risky")
        await pilot.click("#interrupt-send")
        await app.workers.wait_for_complete()
        assert app.sent == [
            Command(resume={"decisions": [{"type": "reject", "message": "too risky"}]})
        ]
        assert await _last_ai(client, app.thread_id) == "decision: reject too risky"


async def test_hitl_v1_edit(server_url: str, assistant_ids: dict[str, str]) -> None:
    client, app = await _harness(server_url, "hitl_v1", assistant_ids)
    async with client, app.run_test(size=(100, 40)) as pilot:
        await app.start(HELLO)
        await pilot.pause()
        await _choose(pilot, "q0-kind-0", 1)
        app.query_one("#q0-args-0", TextArea).load_text('{"to": "boss@b.c", "body": "hi"}')
        await pilot.pause()
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        expected = 'decision: edit send_email {"body": "hi", "to": "boss@b.c"}'
        assert await _last_ai(client, app.thread_id) == expected


async def test_generic_answer_with_a_state_update(
    server_url: str, assistant_ids: dict[str, str]
) -> None:
    client, app = await _harness(server_url, "approval", assistant_ids)
    async with client, app.run_test(size=(100, 40)) as pilot:
        await app.start(HELLO)
        await pilot.pause()
        assert app.card.query_one(InterruptItem).shape == "generic"
        update = '{"messages": [{"role": "user", "content": "injected by update"}]}'
        app.query_one("#interrupt-update", TextArea).load_text(update)
        app.query_one("#q0-answer", Input).focus()
        await pilot.press(*"yes", "enter")
        await app.workers.wait_for_complete()
        assert app.sent[0] is not None and app.sent[0].to_body() == {
            "resume": "yes",
            "update": {"messages": [{"role": "user", "content": "injected by update"}]},
        }
        state = await client.threads.get_state(app.thread_id)
        texts = [m["content"] for m in state.messages]
        assert texts[-2:] == ["injected by update", "you said yes"]


async def test_two_parallel_interrupts_in_one_resume(
    server_url: str, assistant_ids: dict[str, str]
) -> None:
    client, app = await _harness(server_url, "parallel", assistant_ids)
    async with client, app.run_test(size=(100, 40)) as pilot:
        await app.start(HELLO)
        await pilot.pause()
        items = list(app.card.query(InterruptItem))
        assert len(items) == 2
        for item in items:
            app.query_one(f"#q{item.index}-answer", Input).focus()
            await pilot.press(*(item.interrupt.value["question"][0].upper() + "1"))
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        [command] = app.sent
        assert command is not None and isinstance(command.resume, dict)
        assert set(command.resume) == {i.interrupt.id for i in items}
        assert await _last_ai(client, app.thread_id) == "a=A1 b=B1"


async def test_breakpoint_stops_and_continue_runs_to_the_end(
    server_url: str, assistant_ids: dict[str, str]
) -> None:
    client, app = await _harness(server_url, "steps", assistant_ids, interrupt_before=["step2"])
    async with client, app.run_test(size=(100, 30)) as pilot:
        await app.start(HELLO)
        await pilot.pause()
        assert app.session.transcript.stop == "breakpoint"
        assert str(app.query_one("#interrupt-title").render()) == "stopped before step2"
        assert not app.card.query(InterruptItem) and not app.card.query("#interrupt-send")
        state = await client.threads.get_state(app.thread_id)
        assert state.next == ["step2"] and [m["content"] for m in state.messages][-1] == "step1"
        await pilot.click("#interrupt-continue")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.sent == [None]
        state = await client.threads.get_state(app.thread_id)
        assert [m["content"] for m in state.messages] == ["hello", "step1", "step2", "step3"]
        assert state.next == [] and not app.card.display


async def test_cancelled_run_is_no_question(server_url: str, assistant_ids: dict[str, str]) -> None:
    client, app = await _harness(
        server_url, "slow", assistant_ids, configurable='{"tokens": 2000, "delay": 0.02}'
    )
    async with client, app.run_test(size=(100, 30)) as pilot:
        session = app.session
        body = app.options.build(app.assistant_id, HELLO)
        cancelled = False
        async for _ in session.run(body, thread_id=app.thread_id):
            streaming = any(m.role == "ai" and m.text for m in session.transcript.messages)
            if streaming and not cancelled:
                cancelled = await session.cancel()
        assert cancelled and session.transcript.stop == "cancelled"
        app.card.transcript = session.transcript
        await pilot.pause()
        assert app.card.display and app.card.has_class("-cancelled")
        assert str(app.query_one("#interrupt-title").render()).startswith("run stopped")
        assert not app.card.query(InterruptItem) and not app.card.query(Button)
        await pilot.press("ctrl+s")
        assert app.sent == []
        thread = await client.threads.get(app.thread_id)
        assert thread.status == "interrupted" and thread.pending_interrupts() == []
